//! The dashboard's accounts, sessions, API tokens and admin audit trail as stored (migration 2
//! and the later ones that changed `api_tokens`): the tables `admins`, `sessions`,
//! `api_tokens` and `audit_log`, and the row types read from them.
//!
//! Only the statements live here; the rules (names, password strength, argon2, token
//! generation, when a token counts as used) are `crate::admin::auth`'s. Token columns hold
//! SHA-256 hashes, never a token. Times are given by the caller: RFC 3339 UTC text, except
//! `sessions.expires_at`, which is Unix seconds.

use super::StoreError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reads, exports, and changes accounts, tokens and checkpoints.
    Admin,
    /// Reads and exports only (the authorized body's inspector, the operator's lawyer).
    Auditor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }
}

/// A stored role; an unknown one reads as the weaker.
fn role_of(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Auditor)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Expired => "expired",
            TokenStatus::Revoked => "revoked",
        }
    }
}

/// An API token as listed (never the token itself: only its hash is stored).
#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub created_by: String,
    /// RFC 3339 UTC; `None`: valid until revoked.
    pub expires_at: Option<String>,
    /// To the minute; `None`: never used.
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub status: TokenStatus,
}

/// An API token looked up by its hash, as `bearer` checks it.
#[derive(Clone, Debug)]
pub struct BearerRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// One entry of the admin audit trail.
pub type AuditEntry = (i64, String, String, String, String);

/// The accounts' own connection to the server's database: written from the dashboard's
/// blocking threads and the command line, never by the log writer.
pub struct AccountStore {
    db: Mutex<Connection>,
}

impl AccountStore {
    /// Opens the admin tables in the server's database (created by the migrations).
    pub fn open(db_file: &Path) -> Result<AccountStore, StoreError> {
        let c = Connection::open(db_file)?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        c.pragma_update(None, "synchronous", "FULL")?;
        Ok(AccountStore { db: Mutex::new(c) })
    }

    /// The connection, for the functions of this module; held for as long as the guard lives.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Adds an account; `false` if the name is taken.
pub fn insert_admin(c: &Connection, name: &str, hash: &str, role: Role, now: &str) -> Result<bool, StoreError> {
    let n = c.execute(
        "INSERT OR IGNORE INTO admins (username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, hash, role.as_str(), now],
    )?;
    Ok(n > 0)
}

/// Every account: name, role, created at, disabled.
pub fn admins(c: &Connection) -> Result<Vec<(String, Role, String, bool)>, StoreError> {
    let mut st = c.prepare("SELECT username, role, created_at, disabled FROM admins ORDER BY username")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, role_of(&r.get::<_, String>(1)?), r.get(2)?, r.get::<_, bool>(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Disables or enables an account; `false` if there is none of that name.
pub fn set_disabled(c: &Connection, name: &str, disabled: bool) -> Result<bool, StoreError> {
    Ok(c.execute("UPDATE admins SET disabled = ?2 WHERE username = ?1", params![name, disabled])? > 0)
}

/// An account's password hash (PHC string), role and whether it is disabled.
pub fn credentials(c: &Connection, name: &str) -> Result<Option<(String, Role, bool)>, StoreError> {
    Ok(c.query_row("SELECT password_hash, role, disabled FROM admins WHERE username = ?1", params![name], |r| {
        Ok((r.get(0)?, role_of(&r.get::<_, String>(1)?), r.get(2)?))
    })
    .optional()?)
}

/// Ends every session of an account.
pub fn delete_sessions_of(c: &Connection, name: &str) -> Result<(), StoreError> {
    c.execute("DELETE FROM sessions WHERE username = ?1", params![name])?;
    Ok(())
}

/// Drops the sessions that expired before `now` (Unix seconds).
pub fn delete_expired_sessions(c: &Connection, now: i64) -> Result<(), StoreError> {
    c.execute("DELETE FROM sessions WHERE expires_at < ?1", params![now])?;
    Ok(())
}

/// Opens a session under the hash of its token, with its CSRF token, until `expires_at`
/// (Unix seconds).
pub fn insert_session(
    c: &Connection,
    token_hash: &[u8],
    name: &str,
    csrf: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO sessions (token_hash, username, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, name, csrf, expires_at],
    )?;
    Ok(())
}

/// The holder of a live session (name, role, CSRF token) at `now` (Unix seconds), unless the
/// account is disabled.
pub fn session(c: &Connection, token_hash: &[u8], now: i64) -> Result<Option<(String, Role, String)>, StoreError> {
    Ok(c.query_row(
        "SELECT s.username, a.role, s.csrf FROM sessions s JOIN admins a ON a.username = s.username
         WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0",
        params![token_hash, now],
        |r| Ok((r.get(0)?, role_of(&r.get::<_, String>(1)?), r.get(2)?)),
    )
    .optional()?)
}

/// Ends the session of a token.
pub fn delete_session(c: &Connection, token_hash: &[u8]) -> Result<(), StoreError> {
    c.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash])?;
    Ok(())
}

/// Stores a new API token's hash; returns its id.
pub fn insert_token(
    c: &Connection,
    token_hash: &[u8],
    name: &str,
    role: Role,
    now: &str,
    by: &str,
    expires_at: Option<&str>,
) -> Result<i64, StoreError> {
    c.execute(
        "INSERT INTO api_tokens (token_hash, name, role, created_at, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token_hash, name, role.as_str(), now, by, expires_at],
    )?;
    Ok(c.last_insert_rowid())
}

/// Every API token ever made, newest first (revoked and expired ones too), with its status
/// at `now` (RFC 3339).
pub fn tokens(c: &Connection, now: &str) -> Result<Vec<TokenInfo>, StoreError> {
    let mut st = c.prepare(
        "SELECT id, name, role, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by FROM api_tokens ORDER BY id DESC",
    )?;
    let rows = st.query_map([], |r| {
        let expires_at: Option<String> = r.get(5)?;
        let revoked_at: Option<String> = r.get(7)?;
        let status = match (&revoked_at, &expires_at) {
            (Some(_), _) => TokenStatus::Revoked,
            (None, Some(e)) if e.as_str() <= now => TokenStatus::Expired,
            _ => TokenStatus::Active,
        };
        Ok(TokenInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            role: role_of(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
            created_by: r.get(4)?,
            expires_at,
            last_used_at: r.get(6)?,
            revoked_at,
            revoked_by: r.get(8)?,
            status,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The name of a token not revoked yet, if there is one with that id.
pub fn unrevoked_token_name(c: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(c.query_row("SELECT name FROM api_tokens WHERE id = ?1 AND revoked_at IS NULL", params![id], |r| r.get(0))
        .optional()?)
}

/// Revokes a token at `now`, by `by` (the database keeps a revoked token revoked).
pub fn revoke_token(c: &Connection, id: i64, now: &str, by: &str) -> Result<(), StoreError> {
    c.execute("UPDATE api_tokens SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1", params![id, now, by])?;
    Ok(())
}

/// The API token with this hash, if any.
pub fn token_by_hash(c: &Connection, token_hash: &[u8]) -> Result<Option<BearerRow>, StoreError> {
    Ok(c.query_row(
        "SELECT id, name, role, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?1",
        params![token_hash],
        |r| {
            Ok(BearerRow {
                id: r.get(0)?,
                name: r.get(1)?,
                role: role_of(&r.get::<_, String>(2)?),
                expires_at: r.get(3)?,
                revoked_at: r.get(4)?,
                last_used_at: r.get(5)?,
            })
        },
    )
    .optional()?)
}

/// Notes a token's use at `now`.
pub fn touch_token(c: &Connection, id: i64, now: &str) -> Result<(), StoreError> {
    c.execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", params![id, now])?;
    Ok(())
}

/// Appends to the admin audit trail (append-only: the database refuses changes to it).
pub fn append_audit(c: &Connection, now: &str, actor: &str, action: &str, detail: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![now, actor, action, detail],
    )?;
    Ok(())
}

/// The admin audit trail, newest first: `limit` entries before `before` (seq), or the newest.
pub fn audit_trail(c: &Connection, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let mut st =
        c.prepare("SELECT seq, at, actor, action, detail FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2")?;
    let rows = st.query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
