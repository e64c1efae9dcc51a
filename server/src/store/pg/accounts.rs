//! The dashboard's accounts, sessions, API tokens and admin audit trail in PostgreSQL
//! ([`crate::store::accounts::Accounts`]; the tables of migration 1, store/pg/schema.rs): the
//! same statements as the SQLite store's, each change and its audit entry one transaction.
//! Where the two differ: `ON CONFLICT DO NOTHING` for `INSERT OR IGNORE`, `RETURNING id` for
//! the last rowid, rows a change reads first locked (`FOR UPDATE`) against a concurrent one
//! from another instance, hashes as `bytea`, and names sorted bytewise (`COLLATE "C"`) as
//! SQLite sorts them, whatever the database's collation.

use super::{migrate, PgPool};
use crate::store::accounts::{role_of, AuditEntry, BearerRow, NewSession, NewToken, Note, Role, TokenInfo};
use crate::store::StoreError;
use postgres::GenericClient;

pub struct PgAccounts {
    pool: PgPool,
}

impl PgAccounts {
    /// A pool on `url`; migrates the schema if nobody did yet.
    pub fn open(url: &str) -> Result<PgAccounts, StoreError> {
        let pool = PgPool::new(url);
        migrate(&mut *pool.get()?)?;
        Ok(PgAccounts { pool })
    }
}

fn append_audit(c: &mut impl GenericClient, note: Note<'_>, detail: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)",
        &[&note.at, &note.actor, &note.action, &detail],
    )?;
    Ok(())
}

fn credentials(c: &mut impl GenericClient, name: &str, lock: &str) -> Result<Option<(String, Role, bool)>, StoreError> {
    let row =
        c.query_opt(&format!("SELECT password_hash, role, disabled FROM admins WHERE username = $1 {lock}"), &[&name])?;
    Ok(row.map(|r| (r.get(0), role_of(r.get(1)), r.get(2))))
}

impl crate::store::accounts::Accounts for PgAccounts {
    fn add(&self, name: &str, hash: &str, role: Role, note: Note<'_>, detail: &str) -> Result<bool, StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        let added = tx.execute(
            "INSERT INTO admins (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (username) DO NOTHING",
            &[&name, &hash, &role.as_str(), &note.at],
        )? > 0;
        if added {
            append_audit(&mut tx, note, detail)?;
        }
        tx.commit()?;
        Ok(added)
    }

    fn list(&self) -> Result<Vec<(String, Role, String, bool)>, StoreError> {
        let rows = self
            .pool
            .get()?
            .query(r#"SELECT username, role, created_at, disabled FROM admins ORDER BY username COLLATE "C""#, &[])?;
        Ok(rows.iter().map(|r| (r.get(0), role_of(r.get(1)), r.get(2), r.get(3))).collect())
    }

    fn set_disabled(&self, name: &str, disabled: bool, note: Note<'_>) -> Result<bool, StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        let changed = tx.execute("UPDATE admins SET disabled = $2 WHERE username = $1", &[&name, &disabled])? > 0;
        if changed {
            tx.execute("DELETE FROM sessions WHERE username = $1", &[&name])?;
            append_audit(&mut tx, note, name)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    fn credentials(&self, name: &str) -> Result<Option<(String, Role, bool)>, StoreError> {
        credentials(&mut *self.pool.get()?, name, "")
    }

    fn login(
        &self,
        name: &str,
        verify: &dyn Fn(Option<&str>) -> bool,
        session: NewSession<'_>,
        ok: Note<'_>,
        failed: Note<'_>,
    ) -> Result<Option<Role>, StoreError> {
        let mut c = self.pool.get()?;
        let row = credentials(&mut *c, name, "")?;
        let verified = verify(row.as_ref().map(|r| r.0.as_str()));
        let mut tx = c.transaction()?;
        // The account as it is now, held until COMMIT: disabling it waits for this login, and
        // a login waits for a disabling that came first (then fails).
        let role = match credentials(&mut tx, name, "FOR SHARE")? {
            Some((hash, role, false)) if verified && row.as_ref().is_some_and(|r| r.0 == hash) => {
                tx.execute("DELETE FROM sessions WHERE expires_at < $1", &[&session.now])?;
                tx.execute(
                    "INSERT INTO sessions (token_hash, username, csrf, expires_at) VALUES ($1, $2, $3, $4)",
                    &[&session.token_hash, &name, &session.csrf, &session.expires_at],
                )?;
                append_audit(&mut tx, ok, "")?;
                Some(role)
            }
            _ => {
                append_audit(&mut tx, failed, "")?;
                None
            }
        };
        tx.commit()?;
        Ok(role)
    }

    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<(String, Role, String)>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT s.username, a.role, s.csrf FROM sessions s JOIN admins a ON a.username = s.username
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT a.disabled",
            &[&token_hash, &now],
        )?;
        Ok(row.map(|r| (r.get(0), role_of(r.get(1)), r.get(2))))
    }

    fn logout(&self, token_hash: &[u8], note: Note<'_>) -> Result<(), StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        tx.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])?;
        append_audit(&mut tx, note, "")?;
        tx.commit()?;
        Ok(())
    }

    fn create_token(&self, t: NewToken<'_>, note: Note<'_>, detail: &dyn Fn(i64) -> String) -> Result<i64, StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO api_tokens (token_hash, name, role, created_at, created_by, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&t.token_hash, &t.name, &t.role.as_str(), &note.at, &note.actor, &t.expires_at],
            )?
            .get(0);
        append_audit(&mut tx, note, &detail(id))?;
        tx.commit()?;
        Ok(id)
    }

    fn tokens(&self, now: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT id, name, role, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by
             FROM api_tokens ORDER BY id DESC",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                TokenInfo::new(
                    r.get(0),
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                    r.get(7),
                    r.get(8),
                    now,
                )
            })
            .collect())
    }

    fn revoke_token(&self, id: i64, note: Note<'_>, detail: &dyn Fn(&str) -> String) -> Result<bool, StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        // Locked: of two revocations at once, the second finds it revoked.
        let Some(row) =
            tx.query_opt("SELECT name FROM api_tokens WHERE id = $1 AND revoked_at IS NULL FOR UPDATE", &[&id])?
        else {
            return Ok(false);
        };
        let name: String = row.get(0);
        tx.execute(
            "UPDATE api_tokens SET revoked_at = $2, revoked_by = $3 WHERE id = $1",
            &[&id, &note.at, &note.actor],
        )?;
        append_audit(&mut tx, note, &detail(&name))?;
        tx.commit()?;
        Ok(true)
    }

    fn token_by_hash(&self, token_hash: &[u8]) -> Result<Option<BearerRow>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT id, name, role, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1",
            &[&token_hash],
        )?;
        Ok(row.map(|r| BearerRow {
            id: r.get(0),
            name: r.get(1),
            role: role_of(r.get(2)),
            expires_at: r.get(3),
            revoked_at: r.get(4),
            last_used_at: r.get(5),
        }))
    }

    fn touch_token(&self, id: i64, now: &str) -> Result<(), StoreError> {
        self.pool.get()?.execute("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", &[&id, &now])?;
        Ok(())
    }

    fn record(&self, note: Note<'_>, detail: &str) -> Result<(), StoreError> {
        append_audit(&mut *self.pool.get()?, note, detail)
    }

    fn audit_trail(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT seq, at, actor, action, detail FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            &[&before.unwrap_or(i64::MAX), &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect())
    }
}
