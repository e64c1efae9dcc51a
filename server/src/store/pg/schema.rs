//! The PostgreSQL schema, as versioned migrations run at start ([`super::migrate`]) under an
//! advisory lock, so that several `kelisim serve` instances starting at once apply each
//! migration exactly once. A migration is never edited once released: a change is a new one.
//!
//! The layout follows the SQLite store's (store/migrations.rs) where the two databases agree,
//! and differs where PostgreSQL has a better tool: a site's log is keyed `(site_no, seq)`
//! (PostgreSQL has no rowid to pack them into), ids and hashes are `bytea`, and append-only is
//! a trigger function plus the grants of docs/postgres.md. One table is new: `log_heads`, each
//! site's sequencer (its size and last time), the row a batch locks so that appends from any
//! number of instances take consecutive `seq`s (docs/postgres.md, "Sequencing").

/// The migrations, in order; `kelisim_schema` records how many ran.
pub const MIGRATIONS: &[&str] = &[
    // 1: the consent log, its Merkle subtrees and signed checkpoints, config versions.
    r#"
    -- A time as the log writes it: RFC 3339 UTC with milliseconds (server/src/clock.rs).
    CREATE FUNCTION kelisim_utc(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    $$;

    -- Refuses any change to a row of the table it guards: the log is append-only.
    CREATE FUNCTION kelisim_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
    END $$;

    -- Every config version ever served (the canonical JSON an event's `config_version` names).
    CREATE TABLE config_versions (
        site        text NOT NULL,
        version     text NOT NULL,
        body        text NOT NULL,
        first_seen  text NOT NULL,
        PRIMARY KEY (site, version)
    );
    CREATE TRIGGER config_versions_append_only BEFORE UPDATE OR DELETE ON config_versions
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('config versions are immutable');

    -- Each site's number. Rows are never changed or removed.
    CREATE TABLE log_sites (
        site_no bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site    text NOT NULL UNIQUE
    );
    CREATE TRIGGER log_sites_append_only BEFORE UPDATE OR DELETE ON log_sites
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('the consent log is append-only');

    -- Each site's sequencer: how many records its log holds and the time of the last one. A
    -- batch locks its sites' rows (SELECT … FOR UPDATE, in site_no order), appends at size + 1
    -- on, and moves them on in the same transaction; an instance that finds a size other than
    -- the one it knows reloads the site's Merkle frontier first. Checked against `events` by
    -- `kelisim log verify` like everything else: not evidence itself.
    CREATE TABLE log_heads (
        site_no   bigint PRIMARY KEY REFERENCES log_sites (site_no),
        size      bigint NOT NULL CHECK (size >= 0),
        last_time text NOT NULL
    );
    -- The head only moves forward.
    CREATE FUNCTION kelisim_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.site_no <> OLD.site_no OR NEW.size < OLD.size OR NEW.last_time < OLD.last_time THEN
            RAISE EXCEPTION 'a log''s head only moves forward' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER log_heads_forward BEFORE UPDATE ON log_heads
        FOR EACH ROW EXECUTE FUNCTION kelisim_head_forward();
    CREATE TRIGGER log_heads_no_delete BEFORE DELETE ON log_heads
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('the consent log is append-only');

    -- The consent log: one row per decision, as in the SQLite store (migration 5 there):
    -- `canonical` is the exact bytes hashed into `leaf_hash` (RFC 6962) and the only copy of
    -- the personal fields; the other columns are what the dashboard, receipts and purge read.
    CREATE TABLE events (
        site_no         bigint NOT NULL REFERENCES log_sites (site_no),
        seq             bigint NOT NULL CHECK (seq >= 1),
        event_id        bytea NOT NULL,
        consent_id      bytea NOT NULL,
        receipt_id      bytea NOT NULL,
        recorded_at     text NOT NULL,
        config_version  text NOT NULL,
        action          text NOT NULL,
        granted         text NOT NULL,
        language        text NOT NULL,
        gpc             boolean NOT NULL,
        sec_gpc         boolean NOT NULL,
        origin          text,
        leaf_hash       bytea NOT NULL,
        canonical       bytea,
        PRIMARY KEY (site_no, seq)
    );
    -- Idempotency: a repeated (consent_id, event_id) gets the first receipt, never a second record.
    CREATE UNIQUE INDEX events_by_consent ON events (site_no, consent_id, event_id);
    CREATE INDEX events_withdrawals ON events (site_no, seq) WHERE action = 'withdraw';
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('the consent log is append-only');

    -- Each site's retention (site file `retention_days`) from `since` on, as in the SQLite
    -- store's migration 8: rows only added, never in the past and never before the site's last
    -- one, so a record keeps the retention in force when the visitor decided.
    CREATE TABLE log_retention (
        site_no bigint NOT NULL REFERENCES log_sites (site_no),
        since   text NOT NULL,
        days    integer NOT NULL CHECK (days >= 1),
        PRIMARY KEY (site_no, since)
    );
    CREATE FUNCTION kelisim_retention_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.since < kelisim_utc(now() - interval '5 minutes')
           OR NEW.since <= COALESCE((SELECT MAX(since) FROM log_retention WHERE site_no = NEW.site_no), '') THEN
            RAISE EXCEPTION 'a retention applies from now on, never to records already made'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER log_retention_forward BEFORE INSERT ON log_retention
        FOR EACH ROW EXECUTE FUNCTION kelisim_retention_forward();
    CREATE TRIGGER log_retention_append_only BEFORE UPDATE OR DELETE ON log_retention
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('a site''s retention history is append-only');

    -- The retention purge's marker: while a site has one, its events recorded before `before`
    -- may lose their canonical bytes (and nothing else), if they are also older than their
    -- retention by the database's own clock.
    CREATE TABLE purge_in_progress (
        site    text PRIMARY KEY,
        before  text NOT NULL
    );

    -- Append-only, with the one exception of the retention purge (the SQLite store's
    -- migrations 5 and 8): the canonical bytes — the only copy of ip, user_agent and page — of
    -- a record past its retention, while a purge marker for its site covers it.
    CREATE FUNCTION kelisim_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        days integer;
    BEGIN
        IF NEW.canonical IS NULL
           AND (NEW.site_no, NEW.seq, NEW.event_id, NEW.consent_id, NEW.receipt_id, NEW.recorded_at,
                NEW.config_version, NEW.action, NEW.granted, NEW.language, NEW.gpc, NEW.sec_gpc,
                NEW.origin, NEW.leaf_hash)
               IS NOT DISTINCT FROM
               (OLD.site_no, OLD.seq, OLD.event_id, OLD.consent_id, OLD.receipt_id, OLD.recorded_at,
                OLD.config_version, OLD.action, OLD.granted, OLD.language, OLD.gpc, OLD.sec_gpc,
                OLD.origin, OLD.leaf_hash)
           AND EXISTS (SELECT 1 FROM purge_in_progress p JOIN log_sites s ON s.site = p.site
                       WHERE s.site_no = OLD.site_no AND OLD.recorded_at < p.before) THEN
            days := COALESCE(
                (SELECT r.days FROM log_retention r WHERE r.site_no = OLD.site_no AND r.since <= OLD.recorded_at
                 ORDER BY r.since DESC LIMIT 1),
                (SELECT r.days FROM log_retention r WHERE r.site_no = OLD.site_no ORDER BY r.since LIMIT 1));
            IF days IS NOT NULL AND OLD.recorded_at < kelisim_utc(now() - make_interval(days => days)) THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'the consent log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER events_append_only BEFORE UPDATE ON events
        FOR EACH ROW EXECUTE FUNCTION kelisim_events_guard();

    -- Complete subtrees of level ≥ 4 (store::MIN_STORED_LEVEL) of each site's tree.
    CREATE TABLE merkle_subtrees (
        site_no bigint NOT NULL REFERENCES log_sites (site_no),
        level   integer NOT NULL,
        idx     bigint NOT NULL,
        hash    bytea NOT NULL,
        PRIMARY KEY (site_no, level, idx)
    );
    CREATE TRIGGER merkle_subtrees_append_only BEFORE UPDATE OR DELETE ON merkle_subtrees
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('the Merkle tree is append-only');

    -- Signed checkpoints. One per (site, size): whichever instance signs a size first.
    CREATE TABLE checkpoints (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site        text NOT NULL,
        tree_size   bigint NOT NULL,
        root_hash   bytea NOT NULL,
        signed_at   text NOT NULL,
        key_id      text NOT NULL,
        note        text NOT NULL
    );
    CREATE INDEX checkpoints_by_site ON checkpoints (site, id);
    CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('checkpoints are append-only');

    -- How far each site's log was last verified record by record (the SQLite store's
    -- migration 8). Not evidence.
    CREATE TABLE log_verified (
        site_no     bigint PRIMARY KEY REFERENCES log_sites (site_no),
        tree_size   bigint NOT NULL,
        frontier    bytea NOT NULL,
        verified_at text NOT NULL
    );

    -- Counts of the log kept by the writer in each batch's transaction (the dashboard's
    -- overview), as in the SQLite store's migration 11. Not evidence.
    CREATE TABLE log_counts (
        site_no bigint NOT NULL,
        hour    text NOT NULL,
        dim     text NOT NULL CHECK (dim IN ('all', 'action', 'category', 'language', 'version')),
        key     text NOT NULL,
        n       bigint NOT NULL,
        PRIMARY KEY (site_no, dim, hour, key)
    );
    
    -- The dashboard's accounts, sessions and API tokens, and the admin audit trail (the SQLite
    -- store's migrations 2 and 9).
    CREATE TABLE admins (
        username      text PRIMARY KEY,
        password_hash text NOT NULL,
        role          text NOT NULL CHECK (role IN ('admin', 'auditor')),
        created_at    text NOT NULL,
        disabled      boolean NOT NULL DEFAULT false
    );
    CREATE TABLE sessions (
        token_hash bytea PRIMARY KEY,
        username   text NOT NULL REFERENCES admins (username),
        csrf       text NOT NULL,
        expires_at bigint NOT NULL
    );
    CREATE TABLE api_tokens (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        token_hash   bytea NOT NULL UNIQUE,
        name         text NOT NULL,
        role         text NOT NULL CHECK (role IN ('admin', 'auditor')),
        created_at   text NOT NULL,
        created_by   text NOT NULL DEFAULT '',
        expires_at   text,
        last_used_at text,
        revoked_at   text,
        revoked_by   text
    );
    -- A revoked token stays revoked, and nothing but its last use changes afterwards.
    CREATE FUNCTION kelisim_token_revoked_stays() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
            OR NEW.expires_at IS DISTINCT FROM OLD.expires_at OR NEW.token_hash IS DISTINCT FROM OLD.token_hash
            OR NEW.role IS DISTINCT FROM OLD.role) THEN
            RAISE EXCEPTION 'a revoked token stays revoked' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER api_tokens_revoked_stays BEFORE UPDATE ON api_tokens
        FOR EACH ROW EXECUTE FUNCTION kelisim_token_revoked_stays();
    CREATE TABLE audit_log (
        seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at     text NOT NULL,
        actor  text NOT NULL,
        action text NOT NULL,
        detail text NOT NULL
    );
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION kelisim_append_only('the admin audit trail is append-only');

    -- Scans of the sites and their schedules (the SQLite store's migration 10).
    CREATE TABLE scans (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site        text NOT NULL,
        url         text NOT NULL,
        finished_at text NOT NULL,
        violations  integer NOT NULL,
        report      text NOT NULL,  -- the JSON report (server/src/scan/report.rs)
        started_by  text            -- an account, 'schedule', or NULL (`kelisim scan --data`)
    );
    CREATE INDEX scans_by_site ON scans (site, id);
    CREATE TABLE scan_schedules (
        site            text PRIMARY KEY,
        every           text NOT NULL CHECK (every IN ('daily', 'weekly')),
        url             text NOT NULL,
        pages           integer NOT NULL CHECK (pages BETWEEN 1 AND 50),
        set_by          text NOT NULL,
        set_at          text NOT NULL,
        last_attempt_at text
    );
    "#,
    // 2: one row the health check updates (`/healthz`, `PgLogDb::ping`): a commit that writes,
    // so that it waits for the disk and a synchronous standby as a batch's commit does.
    r#"
    CREATE TABLE health (
        id smallint PRIMARY KEY CHECK (id = 1),
        at timestamptz NOT NULL
    );
    INSERT INTO health VALUES (1, now());
    "#,
    // 3: the idempotency index by generation, as SQLite's migration 12.
    r#"
    -- Why (docs/BENCHMARKS.md, "With 10,000,000 events stored"): random (v4) consent ids put
    -- each new key at a random leaf of an index as large as the log. Each 2^20 records of a
    -- site's log are now one generation (seq >> 20); new keys go into the newest, a region as
    -- small as an empty log's. Unique within a generation; across generations each instance's
    -- writer checks, under the site's head lock, the newest generation and the older ones its
    -- filters may hold the key in (store/keys.rs, store/pg/log.rs `PgKeys`).
    DROP INDEX events_by_consent;
    CREATE UNIQUE INDEX events_by_consent ON events (site_no, (seq >> 20), consent_id, event_id);
    "#,
];
