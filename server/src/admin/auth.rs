//! Admin accounts, sessions, API tokens and the admin audit trail (README, "Dashboard, accounts,
//! audit export"; docs/api.md, "Admin API"). Plain Rust over the store's
//! [`crate::store::accounts::Accounts`] (SQLite or PostgreSQL, where the statements are, each
//! change with its audit entry in one transaction); knows nothing of HTTP.
//!
//! Passwords are argon2id (PHC strings). Session and API tokens are 32 random bytes shown to
//! the client once; only their SHA-256 is stored, so a copy of the database opens no session.

use crate::store::accounts::{self as db, NewSession, NewToken, Note};
pub use crate::store::accounts::{Role, TokenInfo, TokenStatus};
use crate::store::Location;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use std::sync::Arc;

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
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

pub const SESSION_SECS: i64 = 12 * 3600;

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

/// The dashboard's accounts, sessions and API tokens, and the admin audit trail, over the
/// store's [`db::Accounts`].
pub struct Accounts {
    db: Arc<dyn db::Accounts>,
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
    pub fn open(loc: &Location) -> Result<Accounts, AuthError> {
        Ok(Accounts { db: db::open_accounts(loc)? })
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
        let now = crate::clock::now_rfc3339();
        let note = Note { at: &now, actor: by, action: "account.add" };
        if !self.db.add(name, &hash, role, note, &format!("{name} ({})", role.as_str()))? {
            return Err(AuthError::Exists(name.to_owned()));
        }
        Ok(())
    }

    pub fn list(&self) -> Result<Vec<(String, Role, String, bool)>, AuthError> {
        Ok(self.db.list()?)
    }

    pub fn set_disabled(&self, name: &str, disabled: bool, by: &str) -> Result<bool, AuthError> {
        let now = crate::clock::now_rfc3339();
        let action = if disabled { "account.disable" } else { "account.enable" };
        Ok(self.db.set_disabled(name, disabled, Note { at: &now, actor: by, action })?)
    }

    /// Checks a password and opens a session; both outcomes go to the audit trail. How many
    /// attempts may be made, and how many run at once, is for the caller (`limits`) to hold:
    /// this is the slow part (argon2), run it off the async workers.
    pub fn login(&self, name: &str, password: &str) -> Result<(String, Actor), AuthError> {
        let now = now_secs();
        let name_key: String = name.chars().take(64).collect();
        // Verify even for an unknown user, so timing does not tell which names exist.
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0PZWJCmUx5mJ1ROIB2Uq0jtBjwHU3Nn1Aqx+/EPyzTQ";
        let verify = |stored: Option<&str>| {
            PasswordHash::new(stored.unwrap_or(DUMMY))
                .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        };
        let token = random_token();
        let csrf = random_token();
        let hash = token_hash(&token);
        let session = NewSession { token_hash: &hash, csrf: &csrf, now, expires_at: now + SESSION_SECS };
        let at = crate::clock::now_rfc3339();
        let ok = Note { at: &at, actor: name, action: "login" };
        let failed = Note { at: &at, actor: &name_key, action: "login.failed" };
        match self.db.login(name, &verify, session, ok, failed)? {
            Some(role) => Ok((token, Actor { name: name.to_owned(), role, csrf })),
            None => Err(AuthError::BadCredentials),
        }
    }

    pub fn session(&self, token: &str) -> Result<Option<Actor>, AuthError> {
        let held = self.db.session(&token_hash(token), now_secs())?;
        Ok(held.map(|(name, role, csrf)| Actor { name, role, csrf }))
    }

    pub fn logout(&self, token: &str, actor: &str) -> Result<(), AuthError> {
        let now = crate::clock::now_rfc3339();
        Ok(self.db.logout(&token_hash(token), Note { at: &now, actor, action: "logout" })?)
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
        let hash = token_hash(&token);
        let now = crate::clock::now_rfc3339();
        let until = expires_at.map(|e| format!(", expires {e}")).unwrap_or_default();
        let id = self.db.create_token(
            NewToken { token_hash: &hash, name, role, expires_at },
            Note { at: &now, actor: by, action: "token.create" },
            &|id| format!("#{id} {name} ({}{until})", role.as_str()),
        )?;
        Ok((id, token))
    }

    /// Every API token ever made, newest first (revoked and expired ones too).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, AuthError> {
        Ok(self.db.tokens(&crate::clock::now_rfc3339())?)
    }

    /// Revokes a token for good; `false` if there is no such token or it was revoked already.
    pub fn revoke_token(&self, id: i64, by: &str) -> Result<bool, AuthError> {
        let now = crate::clock::now_rfc3339();
        let note = Note { at: &now, actor: by, action: "token.revoke" };
        Ok(self.db.revoke_token(id, note, &|name| format!("#{id} {name}"))?)
    }

    /// The token's holder, or why it is refused. Its last use is kept to the minute (a write
    /// at most once a minute per token, not one per request).
    pub fn bearer(&self, token: &str) -> Result<Result<Actor, &'static str>, AuthError> {
        let Some(row) = self.db.token_by_hash(&token_hash(token))? else {
            return Ok(Err("unknown bearer token"));
        };
        let now = crate::clock::now_rfc3339();
        if row.revoked_at.is_some() {
            return Ok(Err("this token was revoked"));
        }
        if row.expires_at.is_some_and(|e| e <= now) {
            return Ok(Err("this token has expired"));
        }
        if row.last_used_at.is_none_or(|l| l.get(..16) != now.get(..16)) {
            self.db.touch_token(row.id, &now)?;
        }
        Ok(Ok(Actor { name: format!("token:{}", row.name), role: row.role, csrf: String::new() }))
    }

    pub fn record(&self, actor: &str, action: &str, detail: &str) -> Result<(), AuthError> {
        let now = crate::clock::now_rfc3339();
        Ok(self.db.record(Note { at: &now, actor, action }, detail)?)
    }

    /// The admin audit trail, newest first.
    pub fn audit_trail(&self, before: Option<i64>, limit: i64) -> Result<Vec<db::AuditEntry>, AuthError> {
        Ok(self.db.audit_trail(before, limit)?)
    }
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
