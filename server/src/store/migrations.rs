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
    -- Append-only (SPEC §6): the database itself refuses to change or remove a logged event.
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
        last_at  INTEGER NOT NULL
    );
    -- The admin audit trail (SPEC §6): logins, failed logins, exports, account and token
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
];
