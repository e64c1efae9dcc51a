//! Versioned schema migrations, run in order at start (`PRAGMA user_version` holds the last
//! one applied). Never edit a migration that has shipped: add a new one.

pub const MIGRATIONS: &[&str] = &[
    // 1: config versions and the consent log.
    r#"
    -- Every config version ever served, as the exact JSON the browser got (its SHA-256 over the
    -- canonical form is `version`). Events reference these; they are never changed or removed.
    CREATE TABLE config_versions (
        site        TEXT NOT NULL,
        version     TEXT NOT NULL,
        body        TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        PRIMARY KEY (site, version)
    ) WITHOUT ROWID;
    CREATE TRIGGER config_versions_no_update BEFORE UPDATE ON config_versions
        BEGIN SELECT RAISE(ABORT, 'config versions are immutable'); END;
    CREATE TRIGGER config_versions_no_delete BEFORE DELETE ON config_versions
        BEGIN SELECT RAISE(ABORT, 'config versions are immutable'); END;

    -- The consent log: one row per decision, in `seq` order per site. `canonical` is the exact
    -- bytes that are hashed (`leaf_hash` = SHA-256(0x00 || canonical), RFC 6962); the other
    -- columns repeat its fields so that the dashboard can filter without parsing JSON.
    CREATE TABLE events (
        site            TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        event_id        TEXT NOT NULL,
        receipt_id      TEXT NOT NULL,
        consent_id      TEXT NOT NULL,
        recorded_at     TEXT NOT NULL,
        config_version  TEXT NOT NULL,
        action          TEXT NOT NULL,
        granted         TEXT NOT NULL,
        language        TEXT NOT NULL,
        gpc             INTEGER NOT NULL,
        sec_gpc         INTEGER NOT NULL,
        page            TEXT,
        origin          TEXT,
        ip              TEXT,
        user_agent      TEXT,
        canonical       BLOB,
        leaf_hash       BLOB NOT NULL,
        PRIMARY KEY (site, seq),
        FOREIGN KEY (site, config_version) REFERENCES config_versions (site, version)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX events_by_event_id ON events (site, event_id);
    CREATE INDEX events_by_consent_id ON events (site, consent_id, seq);
    -- Append-only (docs/architecture.md §4): the database itself refuses to change or remove a logged event.
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    "#,
    // 2: admin accounts, sessions, API tokens, login backoff, and the admin audit trail.
    r#"
    CREATE TABLE admins (
        username      TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
        created_at    TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    );
    -- Only SHA-256 of session and API tokens is stored.
    CREATE TABLE sessions (
        token_hash BLOB PRIMARY KEY,
        username   TEXT NOT NULL REFERENCES admins (username),
        csrf       TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE api_tokens (
        token_hash BLOB PRIMARY KEY,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
        created_at TEXT NOT NULL,
        revoked    INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE login_failures (
        username TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_at  INTEGER NOT NULL  -- Unix time in milliseconds
    );
    -- The admin audit trail (README, "Dashboard, accounts, audit export"): logins, failed logins, exports, account and token
    -- changes. Append-only, like the consent log.
    CREATE TABLE audit_log (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        at     TEXT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the admin audit trail is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the admin audit trail is append-only'); END;
    "#,
    // 3: the verifiable log (RFC 6962) and the retention purge.
    r#"
    -- Hashes of the complete ("perfect") subtrees of each site's Merkle tree, level >= 1 (level 0
    -- is events.leaf_hash). Written in the same transaction as the events that complete them,
    -- about one per event, so that roots and proofs never need the whole log: O(log n) reads.
    CREATE TABLE merkle_nodes (
        site    TEXT NOT NULL,
        level   INTEGER NOT NULL,
        idx     INTEGER NOT NULL,
        hash    BLOB NOT NULL,
        PRIMARY KEY (site, level, idx)
    ) WITHOUT ROWID;
    CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;

    -- Signed checkpoints (C2SP signed notes over origin, tree size, root hash, time). `note` is
    -- the exact signed text; the other columns repeat it for queries.
    CREATE TABLE checkpoints (
        id          INTEGER PRIMARY KEY,
        site        TEXT NOT NULL,
        tree_size   INTEGER NOT NULL,
        root_hash   BLOB NOT NULL,
        signed_at   TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        note        TEXT NOT NULL
    );
    CREATE INDEX checkpoints_by_site ON checkpoints (site, id);
    CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
    CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

    -- The retention purge (site file `retention_days`) is the single exception to the
    -- append-only log. It runs in one transaction: insert a marker row here, UPDATE the expired
    -- events, delete the marker, commit. The trigger below lets an UPDATE through only while a
    -- marker for the event's site exists, only for events recorded before the marker's cutoff,
    -- and only if it sets the personal fields (ip, user_agent, page) and the canonical bytes
    -- that hold them to NULL and leaves every other column, leaf_hash included, unchanged: the
    -- Merkle tree and every signed checkpoint stay verifiable after the purge.
    CREATE INDEX events_by_time ON events (site, recorded_at);
    CREATE TABLE purge_in_progress (
        site    TEXT PRIMARY KEY,
        before  TEXT NOT NULL
    ) WITHOUT ROWID;
    DROP TRIGGER events_no_update;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        WHEN NOT (
            EXISTS (SELECT 1 FROM purge_in_progress p WHERE p.site = OLD.site AND OLD.recorded_at < p.before)
            AND NEW.site IS OLD.site AND NEW.seq IS OLD.seq AND NEW.event_id IS OLD.event_id
            AND NEW.receipt_id IS OLD.receipt_id AND NEW.consent_id IS OLD.consent_id
            AND NEW.recorded_at IS OLD.recorded_at AND NEW.config_version IS OLD.config_version
            AND NEW.action IS OLD.action AND NEW.granted IS OLD.granted AND NEW.language IS OLD.language
            AND NEW.gpc IS OLD.gpc AND NEW.sec_gpc IS OLD.sec_gpc AND NEW.origin IS OLD.origin
            AND NEW.leaf_hash IS OLD.leaf_hash
            AND NEW.ip IS NULL AND NEW.user_agent IS NULL AND NEW.page IS NULL AND NEW.canonical IS NULL
        )
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    "#,
    // 4: the cookie scanner's reports (`kelisim scan --data DIR`), for the dashboard. Not part
    // of the consent log: no visitor's data, nothing signed.
    r#"
    CREATE TABLE scans (
        id          INTEGER PRIMARY KEY,
        site        TEXT NOT NULL,
        url         TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        violations  INTEGER NOT NULL,
        report      TEXT NOT NULL  -- the JSON report (server/src/scan/report.rs)
    );
    CREATE INDEX scans_by_site ON scans (site, id);
    "#,
    // 5: the consent log in a compact rowid table, and Merkle subtrees from level 4 up.
    r#"
    -- Why (docs/BENCHMARKS.md, "Server"): the log writer's cost was dominated by SQLite page
    -- writes. Migration 1's WITHOUT ROWID table stored each ~1 KB row inside its primary-key
    -- b-tree, repeated every field of the canonical bytes as a column, kept ids as 36-char text,
    -- and wrote one Merkle node per event. This layout stores the canonical bytes once, ids as
    -- 16-byte blobs, and only the columns the dashboard, receipts and purge query.

    -- Each site's number, the high bits of its events' ids. Rows are never changed or removed.
    CREATE TABLE log_sites (
        site_no INTEGER PRIMARY KEY,
        site    TEXT NOT NULL UNIQUE
    );
    CREATE TRIGGER log_sites_no_update BEFORE UPDATE ON log_sites
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    CREATE TRIGGER log_sites_no_delete BEFORE DELETE ON log_sites
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    INSERT INTO log_sites (site) SELECT DISTINCT site FROM events ORDER BY site;

    -- The consent log: one row per decision. `id` = site_no · 2^40 + seq, so a site's log is
    -- one contiguous range of the rowid b-tree, in `seq` order, and appending is appending.
    -- `canonical` is the exact bytes that are hashed (`leaf_hash` = SHA-256(0x00 || canonical),
    -- RFC 6962) and the only copy of the personal fields (ip, user_agent, page). The other
    -- columns repeat the fields that the dashboard filters and counts, the receipts show, and
    -- that stay after the retention purge; `receipt_id` is not in the canonical bytes.
    -- UUIDs are stored as their 16 bytes. The config version an event names is checked
    -- against the versions ever served before the event reaches the log (`ingest`).
    CREATE TABLE events_v4 (
        id              INTEGER PRIMARY KEY,
        event_id        BLOB NOT NULL,
        consent_id      BLOB NOT NULL,
        receipt_id      BLOB NOT NULL,
        recorded_at     TEXT NOT NULL,
        config_version  TEXT NOT NULL,
        action          TEXT NOT NULL,
        granted         TEXT NOT NULL,
        language        TEXT NOT NULL,
        gpc             INTEGER NOT NULL,
        sec_gpc         INTEGER NOT NULL,
        origin          TEXT,
        leaf_hash       BLOB NOT NULL,
        canonical       BLOB,
        site_no         INTEGER GENERATED ALWAYS AS (id >> 40) VIRTUAL,
        seq             INTEGER GENERATED ALWAYS AS (id & 1099511627775) VIRTUAL
    );
    INSERT INTO events_v4 (id, event_id, consent_id, receipt_id, recorded_at, config_version, action,
            granted, language, gpc, sec_gpc, origin, leaf_hash, canonical)
        SELECT (s.site_no << 40) + e.seq, unhex(e.event_id, '-'), unhex(e.consent_id, '-'),
            unhex(e.receipt_id, '-'), e.recorded_at, e.config_version, e.action, e.granted,
            e.language, e.gpc, e.sec_gpc, e.origin, e.leaf_hash, e.canonical
        FROM events e JOIN log_sites s ON s.site = e.site ORDER BY 1;
    DROP TABLE events;
    ALTER TABLE events_v4 RENAME TO events;
    -- Idempotency (docs/api.md: a repeated event_id returns the first receipt, never a second record).
    CREATE UNIQUE INDEX events_by_event_id ON events (site_no, event_id);
    CREATE INDEX events_by_consent_id ON events (site_no, consent_id);
    CREATE INDEX events_by_time ON events (site_no, recorded_at);
    -- Append-only (docs/architecture.md §4), with the one exception of the retention purge, as in migration 3:
    -- while a purge_in_progress marker for the event's site exists, an event recorded before
    -- the marker's cutoff may lose its canonical bytes (the only copy of ip, user_agent and
    -- page); every other column, leaf_hash included, stays as it was.
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        WHEN NOT (
            EXISTS (SELECT 1 FROM purge_in_progress p JOIN log_sites s ON s.site = p.site
                    WHERE s.site_no = OLD.id >> 40 AND OLD.recorded_at < p.before)
            AND NEW.id IS OLD.id AND NEW.event_id IS OLD.event_id AND NEW.consent_id IS OLD.consent_id
            AND NEW.receipt_id IS OLD.receipt_id AND NEW.recorded_at IS OLD.recorded_at
            AND NEW.config_version IS OLD.config_version AND NEW.action IS OLD.action
            AND NEW.granted IS OLD.granted AND NEW.language IS OLD.language AND NEW.gpc IS OLD.gpc
            AND NEW.sec_gpc IS OLD.sec_gpc AND NEW.origin IS OLD.origin AND NEW.leaf_hash IS OLD.leaf_hash
            AND NEW.canonical IS NULL
        )
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;

    -- The log as people read it (SQL shell, tests): text ids, the site's name, and the
    -- personal fields out of the canonical bytes. Nothing in the server reads it.
    CREATE VIEW events_readable AS
        SELECT s.site AS site, e.seq AS seq,
            lower(substr(hex(e.event_id), 1, 8) || '-' || substr(hex(e.event_id), 9, 4) || '-' || substr(hex(e.event_id), 13, 4) || '-' || substr(hex(e.event_id), 17, 4) || '-' || substr(hex(e.event_id), 21)) AS event_id,
            lower(substr(hex(e.consent_id), 1, 8) || '-' || substr(hex(e.consent_id), 9, 4) || '-' || substr(hex(e.consent_id), 13, 4) || '-' || substr(hex(e.consent_id), 17, 4) || '-' || substr(hex(e.consent_id), 21)) AS consent_id,
            lower(substr(hex(e.receipt_id), 1, 8) || '-' || substr(hex(e.receipt_id), 9, 4) || '-' || substr(hex(e.receipt_id), 13, 4) || '-' || substr(hex(e.receipt_id), 17, 4) || '-' || substr(hex(e.receipt_id), 21)) AS receipt_id,
            e.recorded_at, e.config_version, e.action, e.granted, e.language, e.gpc, e.sec_gpc, e.origin,
            CAST(e.canonical AS TEXT) ->> '$.page' AS page, CAST(e.canonical AS TEXT) ->> '$.ip' AS ip,
            CAST(e.canonical AS TEXT) ->> '$.user_agent' AS user_agent, e.canonical, e.leaf_hash
        FROM events e JOIN log_sites s ON s.site_no = e.site_no;

    -- Subtrees below level 4 (16 leaves) are recomputed from the leaves when a proof needs
    -- them (at most 15 leaf reads), so the writer stores one node per 16 events instead of one
    -- per event. The lower levels written by earlier versions are dropped.
    DROP TRIGGER merkle_nodes_no_delete;
    DELETE FROM merkle_nodes WHERE level < 4;
    CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    "#,
    // 6: Merkle subtrees keyed in the order they are made; no index by time.
    r#"
    -- Why (docs/BENCHMARKS.md, "Server"): each commit rewrote about 17 pages of the WAL, and
    -- two b-trees cost more than their share. merkle_nodes was keyed (site, level, idx), so the
    -- one or two subtrees a batch completes landed in different leaf pages, one per level;
    -- events_by_time repeated the time of every event although the log is already in time
    -- order.
    --
    -- A subtree (level L, index i) is complete once its site's log holds (i + 1) · 2^L events;
    -- keyed by that count, then by level, subtrees are appended in the order the writer makes
    -- them. id = ((site_no · 2^40 + (i + 1) · 2^L) · 2^6) + L.
    CREATE TABLE merkle_subtrees (
        id      INTEGER PRIMARY KEY,
        hash    BLOB NOT NULL
    );
    INSERT INTO merkle_subtrees (id, hash)
        SELECT (((s.site_no << 40) + ((n.idx + 1) << n.level)) << 6) + n.level, n.hash
        FROM merkle_nodes n JOIN log_sites s ON s.site = n.site ORDER BY 1;
    DROP TABLE merkle_nodes;
    CREATE TRIGGER merkle_subtrees_no_update BEFORE UPDATE ON merkle_subtrees
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
    CREATE TRIGGER merkle_subtrees_no_delete BEFORE DELETE ON merkle_subtrees
        BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;

    -- recorded_at never decreases along a site's log (the writer holds it to the previous
    -- event's time if the clock steps back; the export's verifier checks it), so a time range
    -- is a seq range, found by binary search over the rowid (store::first_id_at).
    DROP INDEX events_by_time;
    "#,
    // 7: one index for both the receipt look-up and idempotency.
    r#"
    -- Why (docs/BENCHMARKS.md, "Server"): real visitors' ids are random UUIDs, so each of the
    -- two id indexes took a page write at a random place per event, a large part of the
    -- writer's work.
    -- The idempotency key becomes (consent_id, event_id): a widget's retry repeats both, and an
    -- event_id alone no longer finds (and answers with) another visitor's receipt. One index,
    -- ordered by consent id, serves the receipt look-up by its prefix.
    DROP INDEX events_by_event_id;
    DROP INDEX events_by_consent_id;
    CREATE UNIQUE INDEX events_by_consent ON events (site_no, consent_id, event_id);
    "#,
    // 8: the retention purge enforced by the database itself, and how far each log is verified.
    r#"
    -- Why: migration 5 let any writer of the database blank a record by inserting a
    -- purge_in_progress marker with a cutoff of its choosing. Now the database also holds each
    -- site's retention, as it was when each record was made, and refuses to blank a record
    -- younger than that.
    --
    -- Each site's retention (site file `retention_days`) from `since` on. Rows are only ever
    -- added, never in the past and never before the site's last row, so a change applies to
    -- records made after it: a record keeps the retention in force when the visitor decided,
    -- and nobody can shorten it afterwards. Records older than a site's first row take that row.
    CREATE TABLE log_retention (
        site_no INTEGER NOT NULL REFERENCES log_sites (site_no),
        since   TEXT NOT NULL,
        days    INTEGER NOT NULL CHECK (days >= 1),
        PRIMARY KEY (site_no, since)
    ) WITHOUT ROWID;
    CREATE TRIGGER log_retention_forward BEFORE INSERT ON log_retention
        WHEN NEW.since < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-5 minutes')
          OR NEW.since <= IFNULL((SELECT MAX(since) FROM log_retention WHERE site_no = NEW.site_no), '')
        BEGIN SELECT RAISE(ABORT, 'a retention applies from now on, never to records already made'); END;
    CREATE TRIGGER log_retention_no_update BEFORE UPDATE ON log_retention
        BEGIN SELECT RAISE(ABORT, 'a site''s retention history is append-only'); END;
    CREATE TRIGGER log_retention_no_delete BEFORE DELETE ON log_retention
        BEGIN SELECT RAISE(ABORT, 'a site''s retention history is append-only'); END;

    -- The purge exception of migration 5, now only for records older than their retention by
    -- the database's own clock. IFNULL: a site with no retention row is never purged.
    DROP TRIGGER events_no_update;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        WHEN NOT (
            EXISTS (SELECT 1 FROM purge_in_progress p JOIN log_sites s ON s.site = p.site
                    WHERE s.site_no = OLD.id >> 40 AND OLD.recorded_at < p.before)
            AND IFNULL(OLD.recorded_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || COALESCE(
                    (SELECT r.days FROM log_retention r WHERE r.site_no = OLD.id >> 40 AND r.since <= OLD.recorded_at ORDER BY r.since DESC LIMIT 1),
                    (SELECT r.days FROM log_retention r WHERE r.site_no = OLD.id >> 40 ORDER BY r.since LIMIT 1)) || ' days'), 0)
            AND NEW.id IS OLD.id AND NEW.event_id IS OLD.event_id AND NEW.consent_id IS OLD.consent_id
            AND NEW.receipt_id IS OLD.receipt_id AND NEW.recorded_at IS OLD.recorded_at
            AND NEW.config_version IS OLD.config_version AND NEW.action IS OLD.action
            AND NEW.granted IS OLD.granted AND NEW.language IS OLD.language AND NEW.gpc IS OLD.gpc
            AND NEW.sec_gpc IS OLD.sec_gpc AND NEW.origin IS OLD.origin AND NEW.leaf_hash IS OLD.leaf_hash
            AND NEW.canonical IS NULL
        )
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;

    -- How far each site's log was last verified record by record (`kelisim log verify`, the
    -- dashboard's "Verify now", and every start of the server, which checks only what came
    -- after): the size, and the Merkle frontier at that size (its subtree hashes, 32 bytes
    -- each, largest first). Not evidence: a changed row here can only make a start check
    -- more, or fail against the next signed checkpoint.
    CREATE TABLE log_verified (
        site_no     INTEGER PRIMARY KEY REFERENCES log_sites (site_no),
        tree_size   INTEGER NOT NULL,
        frontier    BLOB NOT NULL,
        verified_at TEXT NOT NULL
    );
    "#,
    // 9: API tokens that can be listed, revoked and expire, with their last use.
    r#"
    -- Why: migration 2 gave tokens no id to name them by, and its `revoked` column was never
    -- set, so a leaked token stayed valid for ever. `kelisim token list|revoke` and the
    -- Accounts page name a token by `id`; `expires_at` and `revoked_at` are RFC 3339 UTC, and
    -- a token is valid while neither is reached; `last_used_at` is kept to the minute.
    CREATE TABLE api_tokens_v2 (
        id           INTEGER PRIMARY KEY,
        token_hash   BLOB NOT NULL UNIQUE,
        name         TEXT NOT NULL,
        role         TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
        created_at   TEXT NOT NULL,
        created_by   TEXT NOT NULL DEFAULT '',
        expires_at   TEXT,
        last_used_at TEXT,
        revoked_at   TEXT,
        revoked_by   TEXT
    );
    INSERT INTO api_tokens_v2 (token_hash, name, role, created_at, revoked_at)
        SELECT token_hash, name, role, created_at, CASE WHEN revoked THEN created_at END
        FROM api_tokens ORDER BY rowid;
    DROP TABLE api_tokens;
    ALTER TABLE api_tokens_v2 RENAME TO api_tokens;
    -- A revoked token stays revoked, and nothing but its last use changes afterwards.
    CREATE TRIGGER api_tokens_revoked_stays BEFORE UPDATE ON api_tokens
        WHEN OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NOT OLD.revoked_at OR NEW.expires_at IS NOT OLD.expires_at
            OR NEW.token_hash IS NOT OLD.token_hash OR NEW.role IS NOT OLD.role)
        BEGIN SELECT RAISE(ABORT, 'a revoked token stays revoked'); END;

    -- Failed logins are counted in memory now, per account and client address before each
    -- password check (server/src/admin/limits.rs); every failed login stays in audit_log.
    DROP TABLE login_failures;
    "#,
    // 10: scans the server runs itself (the dashboard's "Scan now", "Check my site" and each
    // site's schedule): who or what started each, and the schedules.
    r#"
    ALTER TABLE scans ADD COLUMN started_by TEXT;  -- an account, 'schedule', or NULL (`kelisim scan --data`)
    CREATE TABLE scan_schedules (
        site            TEXT PRIMARY KEY,
        every           TEXT NOT NULL CHECK (every IN ('daily', 'weekly')),
        url             TEXT NOT NULL,
        pages           INTEGER NOT NULL CHECK (pages BETWEEN 1 AND 50),
        set_by          TEXT NOT NULL,
        set_at          TEXT NOT NULL,
        last_attempt_at TEXT             -- when the schedule last started a scan (run or not)
    );
    "#,
    // 11: counts of the log kept as events are written, for the dashboard's overview.
    r#"
    -- Why: the overview grouped the whole log on every view (3.6 s at 1.65 M events). The log
    -- writer adds each new event here in the same transaction as the event itself, so the
    -- counts are exactly the log's; the overview reads a few hundred rows per month instead.
    -- Per site, per UTC hour (`YYYY-MM-DDTHH`: the dashboard folds hours into the site's own
    -- days, exactly for a zone of whole hours, Kazakhstan's included), per dimension: `all`
    -- (key ''), `action`, `category` (each granted category id), `language`, `version`
    -- (config version). Not evidence: derived from `events`, rebuilt by this migration.
    CREATE TABLE log_counts (
        site_no INTEGER NOT NULL,
        hour    TEXT NOT NULL,
        dim     TEXT NOT NULL CHECK (dim IN ('all', 'action', 'category', 'language', 'version')),
        key     TEXT NOT NULL,
        n       INTEGER NOT NULL,
        PRIMARY KEY (site_no, dim, hour, key)
    ) WITHOUT ROWID;
    INSERT INTO log_counts SELECT id >> 40, substr(recorded_at, 1, 13), 'all', '', COUNT(*) FROM events GROUP BY 1, 2;
    INSERT INTO log_counts SELECT id >> 40, substr(recorded_at, 1, 13), 'action', action, COUNT(*) FROM events GROUP BY 1, 2, 4;
    INSERT INTO log_counts SELECT id >> 40, substr(recorded_at, 1, 13), 'language', language, COUNT(*) FROM events GROUP BY 1, 2, 4;
    INSERT INTO log_counts SELECT id >> 40, substr(recorded_at, 1, 13), 'version', config_version, COUNT(*) FROM events GROUP BY 1, 2, 4;
    WITH RECURSIVE split (site_no, hour, cat, rest) AS (
        SELECT id >> 40, substr(recorded_at, 1, 13), '', granted || ' ' FROM events
        UNION ALL
        SELECT site_no, hour, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
        FROM split WHERE rest <> ''
    )
    INSERT INTO log_counts SELECT site_no, hour, 'category', cat, COUNT(*) FROM split WHERE cat <> '' GROUP BY 1, 2, 4;
    -- The withdrawals page lists the newest withdrawals: without an index it walks back through
    -- the whole log when there are few. A partial index holds the withdrawals only.
    CREATE INDEX events_withdrawals ON events (id) WHERE action = 'withdraw';
    "#,
    // 12: the idempotency index by generation.
    r#"
    -- Why (docs/BENCHMARKS.md, "With 10,000,000 events stored"): visitors with an old cookie
    -- send random (v4) consent ids, and an index ordered by them took each new key at a random
    -- leaf of a tree as large as the log: a log of 10 M events took a third fewer writes a
    -- second than an empty one. Each 2^20 records of a site's log are now one generation
    -- (`seq >> 20`), the index leads with it, and new keys go into the newest generation, a
    -- region of the index that stays as small as an empty log's. The index is unique within a
    -- generation; across generations the one writer keeps (consent_id, event_id) unique
    -- (store/keys.rs). A look-up by consent id names the generations it searches.
    DROP INDEX events_by_consent;
    CREATE UNIQUE INDEX events_by_consent ON events (site_no, seq >> 20, consent_id, event_id);
    "#,
];
