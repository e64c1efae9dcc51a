//! The dashboard's accounts, sessions, API tokens and admin audit trail as stored (migration 2
//! and the later ones that changed `api_tokens`): the tables `admins`, `sessions`,
//! `api_tokens` and `audit_log`, and the row types read from them.
//!
//! Only the statements live here, behind [`Accounts`] ([`open_accounts`]: the SQLite store's
//! [`SqliteAccounts`], or PostgreSQL's in `store::pg::accounts`); the rules (names, password
//! strength, argon2, token generation, when a token counts as used, the audit trail's action
//! codes and details) are `crate::admin::auth`'s. Token columns hold SHA-256 hashes, never a
//! token. Times are given by the caller: RFC 3339 UTC text, except `sessions.expires_at`,
//! which is Unix seconds.

use super::{Location, StoreError};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

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
pub(crate) fn role_of(s: &str) -> Role {
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

/// An entry of the admin audit trail as a change writes it, in the change's own transaction:
/// when, who, what (the action codes and their details are `crate::admin`'s).
#[derive(Clone, Copy, Debug)]
pub struct Note<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
}

/// A session to open at login: the hash of its token, its CSRF token, and the Unix seconds it
/// starts (sessions that expired before then are dropped) and ends at.
#[derive(Clone, Copy, Debug)]
pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub csrf: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// A new API token: the hash of the token, its name, role and end (RFC 3339 UTC; `None`: valid
/// until revoked).
#[derive(Clone, Copy, Debug)]
pub struct NewToken<'a> {
    pub token_hash: &'a [u8],
    pub name: &'a str,
    pub role: Role,
    pub expires_at: Option<&'a str>,
}

/// The dashboard's accounts, sessions, API tokens and admin audit trail, in SQLite
/// ([`SqliteAccounts`]) or PostgreSQL (`store::pg::accounts`). A change and its audit entry are
/// one method and one transaction: either both are stored or neither.
pub trait Accounts: Send + Sync {
    /// Adds an account and its audit entry (`detail`); `false` (and no entry) if the name is taken.
    fn add(&self, name: &str, hash: &str, role: Role, note: Note<'_>, detail: &str) -> Result<bool, StoreError>;

    /// Every account: name, role, created at, disabled; by name (bytewise).
    fn list(&self) -> Result<Vec<(String, Role, String, bool)>, StoreError>;

    /// Disables or enables an account, ends its sessions and writes the audit entry (its detail
    /// is the name); `false` (and nothing written) if there is no account of that name.
    fn set_disabled(&self, name: &str, disabled: bool, note: Note<'_>) -> Result<bool, StoreError>;

    /// An account's password hash (PHC string), role and whether it is disabled.
    fn credentials(&self, name: &str) -> Result<Option<(String, Role, bool)>, StoreError>;

    /// A login of `name`: `verify` checks the password against the stored hash (`None`: no such
    /// account; it should take as long). It runs outside the transaction (argon2 is slow, and
    /// a SQLite write lock held that long would stall the log writer); then, in one
    /// transaction, the account is read again — a login whose account was disabled or whose
    /// password changed meanwhile fails — and either the session is opened (expired ones
    /// dropped) with the `ok` entry, or the `failed` entry is written. Returns the role of a
    /// login that succeeded.
    fn login(
        &self,
        name: &str,
        verify: &dyn Fn(Option<&str>) -> bool,
        session: NewSession<'_>,
        ok: Note<'_>,
        failed: Note<'_>,
    ) -> Result<Option<Role>, StoreError>;

    /// The holder of a live session (name, role, CSRF token) at `now` (Unix seconds), unless the
    /// account is disabled.
    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<(String, Role, String)>, StoreError>;

    /// Ends the session of a token and writes the audit entry, in one transaction.
    fn logout(&self, token_hash: &[u8], note: Note<'_>) -> Result<(), StoreError>;

    /// Stores a new API token's hash and its audit entry (`detail` of the new token's id), in
    /// one transaction; returns its id.
    fn create_token(&self, t: NewToken<'_>, note: Note<'_>, detail: &dyn Fn(i64) -> String) -> Result<i64, StoreError>;

    /// Every API token ever made, newest first (revoked and expired ones too), with its status
    /// at `now` (RFC 3339).
    fn tokens(&self, now: &str) -> Result<Vec<TokenInfo>, StoreError>;

    /// Revokes a token at `note.at` by `note.actor` and writes the audit entry (`detail` of the
    /// token's name), in one transaction; `false` (and nothing written) if there is no such
    /// token or it was revoked already. The database keeps a revoked token revoked.
    fn revoke_token(&self, id: i64, note: Note<'_>, detail: &dyn Fn(&str) -> String) -> Result<bool, StoreError>;

    /// The API token with this hash, if any.
    fn token_by_hash(&self, token_hash: &[u8]) -> Result<Option<BearerRow>, StoreError>;

    /// Notes a token's use at `now`.
    fn touch_token(&self, id: i64, now: &str) -> Result<(), StoreError>;

    /// Appends to the admin audit trail (append-only: the database refuses changes to it).
    fn record(&self, note: Note<'_>, detail: &str) -> Result<(), StoreError>;

    /// The admin audit trail, newest first: `limit` entries before `before` (seq), or the newest.
    fn audit_trail(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;
}

/// The accounts of a server's database: the SQLite file (opened as the migrations left it) or
/// a PostgreSQL database (migrated here if nobody did yet).
pub fn open_accounts(loc: &Location) -> Result<Arc<dyn Accounts>, StoreError> {
    Ok(match loc {
        Location::Sqlite(path) => Arc::new(SqliteAccounts::open(path)?),
        Location::Postgres(url) => Arc::new(super::pg::accounts::PgAccounts::open(url)?),
    })
}

/// The accounts in the SQLite database: a connection of their own, written from the
/// dashboard's blocking threads and the command line, never by the log writer.
pub struct SqliteAccounts {
    db: Mutex<Connection>,
}

impl SqliteAccounts {
    /// Opens the admin tables in the server's database (created by the migrations).
    pub fn open(db_file: &Path) -> Result<SqliteAccounts, StoreError> {
        let c = Connection::open(db_file)?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        c.pragma_update(None, "synchronous", "FULL")?;
        Ok(SqliteAccounts { db: Mutex::new(c) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one transaction that holds the write lock from its start (`BEGIN
    /// IMMEDIATE`: a transaction that reads first and writes after could not take it later if
    /// the log writer committed meanwhile).
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut c = self.lock();
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Accounts for SqliteAccounts {
    fn add(&self, name: &str, hash: &str, role: Role, note: Note<'_>, detail: &str) -> Result<bool, StoreError> {
        self.write(|c| {
            let added = insert_admin(c, name, hash, role, note.at)?;
            if added {
                append_audit(c, note, detail)?;
            }
            Ok(added)
        })
    }

    fn list(&self) -> Result<Vec<(String, Role, String, bool)>, StoreError> {
        admins(&self.lock())
    }

    fn set_disabled(&self, name: &str, disabled: bool, note: Note<'_>) -> Result<bool, StoreError> {
        self.write(|c| {
            let changed =
                c.execute("UPDATE admins SET disabled = ?2 WHERE username = ?1", params![name, disabled])? > 0;
            if changed {
                c.execute("DELETE FROM sessions WHERE username = ?1", params![name])?;
                append_audit(c, note, name)?;
            }
            Ok(changed)
        })
    }

    fn credentials(&self, name: &str) -> Result<Option<(String, Role, bool)>, StoreError> {
        credentials(&self.lock(), name)
    }

    fn login(
        &self,
        name: &str,
        verify: &dyn Fn(Option<&str>) -> bool,
        session: NewSession<'_>,
        ok: Note<'_>,
        failed: Note<'_>,
    ) -> Result<Option<Role>, StoreError> {
        let row = self.credentials(name)?;
        let verified = verify(row.as_ref().map(|r| r.0.as_str()));
        self.write(|c| match credentials(c, name)? {
            Some((hash, role, false)) if verified && row.as_ref().is_some_and(|r| r.0 == hash) => {
                c.execute("DELETE FROM sessions WHERE expires_at < ?1", params![session.now])?;
                c.execute(
                    "INSERT INTO sessions (token_hash, username, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![session.token_hash, name, session.csrf, session.expires_at],
                )?;
                append_audit(c, ok, "")?;
                Ok(Some(role))
            }
            _ => {
                append_audit(c, failed, "")?;
                Ok(None)
            }
        })
    }

    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<(String, Role, String)>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT s.username, a.role, s.csrf FROM sessions s JOIN admins a ON a.username = s.username
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0",
                params![token_hash, now],
                |r| Ok((r.get(0)?, role_of(&r.get::<_, String>(1)?), r.get(2)?)),
            )
            .optional()?)
    }

    fn logout(&self, token_hash: &[u8], note: Note<'_>) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash])?;
            append_audit(c, note, "")
        })
    }

    fn create_token(&self, t: NewToken<'_>, note: Note<'_>, detail: &dyn Fn(i64) -> String) -> Result<i64, StoreError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO api_tokens (token_hash, name, role, created_at, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.token_hash, t.name, t.role.as_str(), note.at, note.actor, t.expires_at],
            )?;
            let id = c.last_insert_rowid();
            append_audit(c, note, &detail(id))?;
            Ok(id)
        })
    }

    fn tokens(&self, now: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let c = self.lock();
        let mut st = c.prepare(
            "SELECT id, name, role, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by FROM api_tokens ORDER BY id DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok(TokenInfo::new(
                r.get(0)?,
                r.get(1)?,
                &r.get::<_, String>(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                now,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn revoke_token(&self, id: i64, note: Note<'_>, detail: &dyn Fn(&str) -> String) -> Result<bool, StoreError> {
        self.write(|c| {
            let name: Option<String> = c
                .query_row("SELECT name FROM api_tokens WHERE id = ?1 AND revoked_at IS NULL", params![id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(name) = name else { return Ok(false) };
            c.execute(
                "UPDATE api_tokens SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
                params![id, note.at, note.actor],
            )?;
            append_audit(c, note, &detail(&name))?;
            Ok(true)
        })
    }

    fn token_by_hash(&self, token_hash: &[u8]) -> Result<Option<BearerRow>, StoreError> {
        Ok(self
            .lock()
            .query_row(
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

    fn touch_token(&self, id: i64, now: &str) -> Result<(), StoreError> {
        self.lock().execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", params![id, now])?;
        Ok(())
    }

    fn record(&self, note: Note<'_>, detail: &str) -> Result<(), StoreError> {
        append_audit(&self.lock(), note, detail)
    }

    fn audit_trail(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let c = self.lock();
        let mut st = c.prepare(
            "SELECT seq, at, actor, action, detail FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl TokenInfo {
    /// A token as its row holds it, with its status at `now` (RFC 3339).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: i64,
        name: String,
        role: &str,
        created_at: String,
        created_by: String,
        expires_at: Option<String>,
        last_used_at: Option<String>,
        revoked_at: Option<String>,
        revoked_by: Option<String>,
        now: &str,
    ) -> TokenInfo {
        let status = match (&revoked_at, &expires_at) {
            (Some(_), _) => TokenStatus::Revoked,
            (None, Some(e)) if e.as_str() <= now => TokenStatus::Expired,
            _ => TokenStatus::Active,
        };
        TokenInfo {
            id,
            name,
            role: role_of(role),
            created_at,
            created_by,
            expires_at,
            last_used_at,
            revoked_at,
            revoked_by,
            status,
        }
    }
}

/// Adds an account; `false` if the name is taken.
fn insert_admin(c: &Connection, name: &str, hash: &str, role: Role, now: &str) -> Result<bool, StoreError> {
    let n = c.execute(
        "INSERT OR IGNORE INTO admins (username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, hash, role.as_str(), now],
    )?;
    Ok(n > 0)
}

/// Every account: name, role, created at, disabled.
fn admins(c: &Connection) -> Result<Vec<(String, Role, String, bool)>, StoreError> {
    let mut st = c.prepare("SELECT username, role, created_at, disabled FROM admins ORDER BY username")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, role_of(&r.get::<_, String>(1)?), r.get(2)?, r.get::<_, bool>(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An account's password hash (PHC string), role and whether it is disabled.
fn credentials(c: &Connection, name: &str) -> Result<Option<(String, Role, bool)>, StoreError> {
    Ok(c.query_row("SELECT password_hash, role, disabled FROM admins WHERE username = ?1", params![name], |r| {
        Ok((r.get(0)?, role_of(&r.get::<_, String>(1)?), r.get(2)?))
    })
    .optional()?)
}

/// Appends to the admin audit trail (append-only: the database refuses changes to it).
fn append_audit(c: &Connection, note: Note<'_>, detail: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![note.at, note.actor, note.action, detail],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
