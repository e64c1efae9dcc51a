//! Admin accounts, sessions, API tokens and the admin audit trail (README, "Dashboard, accounts,
//! audit export"; docs/api.md, "Admin API"). Plain Rust over its own SQLite connection; knows
//! nothing of HTTP.
//!
//! Passwords are argon2id (PHC strings). Session and API tokens are 32 random bytes shown to
//! the client once; only their SHA-256 is stored, so a copy of the database opens no session.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Mutex;

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

/// Who is acting: a logged-in person or an API token.
#[derive(Clone, Debug)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// The session's CSRF token (empty for bearer tokens, which browsers never send by themselves).
    pub csrf: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many failed logins; try again in {0} seconds")]
    Backoff(u64),
    #[error("the user `{0}` already exists")]
    Exists(String),
    #[error("a user name is 1–64 letters, digits, `.`, `_`, `-` or `@`")]
    BadName,
    #[error("a password needs at least 12 characters")]
    WeakPassword,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub const SESSION_SECS: i64 = 12 * 3600;

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

/// A `--expires` that cannot be a token's end.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    #[error("--expires takes 1 to 3650 days, or a date (YYYY-MM-DD)")]
    Days,
    #[error("--expires `{0}`: give a number of days or a date (YYYY-MM-DD)")]
    NotADate(String),
    #[error("--expires: that date is too far")]
    TooFar,
    #[error("--expires {0} is in the past")]
    Past(String),
}

/// When a token made `now` with `--expires SPEC` expires: `SPEC` is a number of days from now,
/// or a date (`YYYY-MM-DD`, UTC), through the end of which the token is valid. RFC 3339 UTC.
pub fn expiry(spec: &str, now: time::OffsetDateTime) -> Result<String, ExpiryError> {
    let at = if let Ok(days) = spec.parse::<u32>() {
        if !(1..=3650).contains(&days) {
            return Err(ExpiryError::Days);
        }
        now + time::Duration::days(i64::from(days))
    } else {
        let day = time::Date::parse(spec, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| ExpiryError::NotADate(spec.to_owned()))?;
        let end = day.next_day().ok_or(ExpiryError::TooFar)?.midnight().assume_utc();
        if end <= now {
            return Err(ExpiryError::Past(spec.to_owned()));
        }
        end
    };
    Ok(crate::clock::rfc3339(at))
}

pub struct Accounts {
    db: Mutex<Connection>,
}

fn now_secs() -> i64 {
    now_ms() / 1000
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the OS random source works");
    hex::encode(b)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Accounts {
    /// Opens the admin tables in the server's database (created by the migrations).
    pub fn open(db_file: &Path) -> Result<Accounts, AuthError> {
        let c = Connection::open(db_file)?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        c.pragma_update(None, "synchronous", "FULL")?;
        Ok(Accounts { db: Mutex::new(c) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, name: &str, password: &str, role: Role, by: &str) -> Result<(), AuthError> {
        let ok_name = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok_name {
            return Err(AuthError::BadName);
        }
        if password.chars().count() < 12 {
            return Err(AuthError::WeakPassword);
        }
        let hash = Argon2::default()
            .hash_password(password.as_bytes())
            .map_err(|e| AuthError::Hash(e.to_string()))?
            .to_string();
        let db = self.db();
        let n = db.execute(
            "INSERT OR IGNORE INTO admins (username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, hash, role.as_str(), crate::clock::now_rfc3339()],
        )?;
        if n == 0 {
            return Err(AuthError::Exists(name.to_owned()));
        }
        audit(&db, by, "account.add", &format!("{name} ({})", role.as_str()))?;
        Ok(())
    }

    pub fn list(&self) -> Result<Vec<(String, Role, String, bool)>, AuthError> {
        let db = self.db();
        let mut st = db.prepare("SELECT username, role, created_at, disabled FROM admins ORDER BY username")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Auditor),
                r.get(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_disabled(&self, name: &str, disabled: bool, by: &str) -> Result<bool, AuthError> {
        let db = self.db();
        let n = db.execute("UPDATE admins SET disabled = ?2 WHERE username = ?1", params![name, disabled])?;
        if n > 0 {
            db.execute("DELETE FROM sessions WHERE username = ?1", params![name])?;
            audit(&db, by, if disabled { "account.disable" } else { "account.enable" }, name)?;
        }
        Ok(n > 0)
    }

    /// Checks a password and opens a session; both outcomes go to the audit trail. How many
    /// attempts may be made, and how many run at once, is for the caller (`limits`) to hold:
    /// this is the slow part (argon2), run it off the async workers.
    pub fn login(&self, name: &str, password: &str) -> Result<(String, Actor), AuthError> {
        let now = now_secs();
        let name_key: String = name.chars().take(64).collect();
        let row: Option<(String, String, bool)> = self
            .db()
            .query_row("SELECT password_hash, role, disabled FROM admins WHERE username = ?1", params![name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        // Verify even for an unknown user, so timing does not tell which names exist.
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0PZWJCmUx5mJ1ROIB2Uq0jtBjwHU3Nn1Aqx+/EPyzTQ";
        let hash = row.as_ref().map(|r| r.0.as_str()).unwrap_or(DUMMY);
        let verified =
            PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        let db = self.db();
        match row {
            Some((_, role, false)) if verified => {
                let token = random_token();
                let csrf = random_token();
                db.execute("DELETE FROM sessions WHERE expires_at < ?1", params![now])?;
                db.execute(
                    "INSERT INTO sessions (token_hash, username, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![token_hash(&token), name, csrf, now + SESSION_SECS],
                )?;
                audit(&db, name, "login", "")?;
                let role = Role::parse(&role).unwrap_or(Role::Auditor);
                Ok((token, Actor { name: name.to_owned(), role, csrf }))
            }
            _ => {
                audit(&db, &name_key, "login.failed", "")?;
                Err(AuthError::BadCredentials)
            }
        }
    }

    pub fn session(&self, token: &str) -> Result<Option<Actor>, AuthError> {
        let db = self.db();
        Ok(db
            .query_row(
                "SELECT s.username, a.role, s.csrf FROM sessions s JOIN admins a ON a.username = s.username
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0",
                params![token_hash(token), now_secs()],
                |r| {
                    Ok(Actor {
                        name: r.get(0)?,
                        role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Auditor),
                        csrf: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn logout(&self, token: &str, actor: &str) -> Result<(), AuthError> {
        let db = self.db();
        db.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash(token)])?;
        audit(&db, actor, "logout", "")?;
        Ok(())
    }

    /// Creates an API token (for automation: `Authorization: Bearer …`), valid until
    /// `expires_at` (RFC 3339 UTC; `None`: until revoked). Returns its id and the token, which
    /// is shown once.
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<&str>,
        by: &str,
    ) -> Result<(i64, String), AuthError> {
        let token = random_token();
        let db = self.db();
        db.execute(
            "INSERT INTO api_tokens (token_hash, name, role, created_at, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![token_hash(&token), name, role.as_str(), crate::clock::now_rfc3339(), by, expires_at],
        )?;
        let id = db.last_insert_rowid();
        let until = expires_at.map(|e| format!(", expires {e}")).unwrap_or_default();
        audit(&db, by, "token.create", &format!("#{id} {name} ({}{until})", role.as_str()))?;
        Ok((id, token))
    }

    /// Every API token ever made, newest first (revoked and expired ones too).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, AuthError> {
        let db = self.db();
        let mut st = db.prepare(
            "SELECT id, name, role, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by FROM api_tokens ORDER BY id DESC",
        )?;
        let now = crate::clock::now_rfc3339();
        let rows = st.query_map([], |r| {
            let expires_at: Option<String> = r.get(5)?;
            let revoked_at: Option<String> = r.get(7)?;
            let status = match (&revoked_at, &expires_at) {
                (Some(_), _) => TokenStatus::Revoked,
                (None, Some(e)) if *e <= now => TokenStatus::Expired,
                _ => TokenStatus::Active,
            };
            Ok(TokenInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Auditor),
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

    /// Revokes a token for good; `false` if there is no such token or it was revoked already.
    pub fn revoke_token(&self, id: i64, by: &str) -> Result<bool, AuthError> {
        let db = self.db();
        let name: Option<String> = db
            .query_row("SELECT name FROM api_tokens WHERE id = ?1 AND revoked_at IS NULL", params![id], |r| r.get(0))
            .optional()?;
        let Some(name) = name else { return Ok(false) };
        db.execute(
            "UPDATE api_tokens SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
            params![id, crate::clock::now_rfc3339(), by],
        )?;
        audit(&db, by, "token.revoke", &format!("#{id} {name}"))?;
        Ok(true)
    }

    /// The token's holder, or why it is refused. Its last use is kept to the minute (a write
    /// at most once a minute per token, not one per request).
    pub fn bearer(&self, token: &str) -> Result<Result<Actor, &'static str>, AuthError> {
        let db = self.db();
        #[allow(clippy::type_complexity)] // one row of the query
        let row: Option<(i64, String, String, Option<String>, Option<String>, Option<String>)> = db
            .query_row(
                "SELECT id, name, role, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?1",
                params![token_hash(token)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let Some((id, name, role, expires_at, revoked_at, last_used)) = row else {
            return Ok(Err("unknown bearer token"));
        };
        let now = crate::clock::now_rfc3339();
        if revoked_at.is_some() {
            return Ok(Err("this token was revoked"));
        }
        if expires_at.is_some_and(|e| e <= now) {
            return Ok(Err("this token has expired"));
        }
        if last_used.is_none_or(|l| l.get(..16) != now.get(..16)) {
            db.execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", params![id, now])?;
        }
        Ok(Ok(Actor {
            name: format!("token:{name}"),
            role: Role::parse(&role).unwrap_or(Role::Auditor),
            csrf: String::new(),
        }))
    }

    pub fn record(&self, actor: &str, action: &str, detail: &str) -> Result<(), AuthError> {
        audit(&self.db(), actor, action, detail)
    }

    /// The admin audit trail, newest first.
    #[allow(clippy::type_complexity)] // rows of the query; named row types come with the store's interface
    pub fn audit_trail(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>, AuthError> {
        let db = self.db();
        let mut st = db.prepare(
            "SELECT seq, at, actor, action, detail FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Appends to the admin audit trail (append-only: the database refuses changes to it).
fn audit(db: &Connection, actor: &str, action: &str, detail: &str) -> Result<(), AuthError> {
    db.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![crate::clock::now_rfc3339(), actor, action, detail],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expiry;

    #[test]
    fn expiry_in_days_or_through_a_date() {
        let now = time::macros::datetime!(2026-11-22 10:30:00 UTC);
        assert_eq!(expiry("30", now).unwrap(), "2026-12-22T10:30:00.000Z");
        assert_eq!(expiry("2026-12-31", now).unwrap(), "2027-01-01T00:00:00.000Z");
        assert_eq!(expiry("2026-11-22", now).unwrap(), "2026-11-23T00:00:00.000Z", "today: through its end");
        assert!(expiry("2026-11-21", now).unwrap_err().to_string().contains("past"));
        assert!(expiry("0", now).is_err());
        assert!(expiry("soon", now).is_err());
    }
}
