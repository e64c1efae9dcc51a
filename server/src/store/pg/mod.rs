//! The PostgreSQL store (issue 20; docs/postgres.md): one consent log per site that any number
//! of `kelisim serve` instances append to. This part holds the log's core — the schema and its
//! migrations, the per-site sequencer, batches appended under it, the Merkle tree read back and
//! checkpoints signed once per size — written against a real PostgreSQL in its tests
//! (store/pg/tests.rs, a throwaway cluster of their own).
//!
//! The synchronous `postgres` client, like rusqlite: the log writer calls it from its own
//! thread, never from an async task (the client runs a small runtime of its own).

pub mod accounts;
pub mod dashboard;
mod log;
pub mod pool;
pub mod read;
pub mod scans;
mod schema;
#[cfg(test)]
mod tests;
mod tls;

pub use log::{append_batch, sign_checkpoint, PgLogDb, PgSiteLog};
pub use pool::{PgPool, Pooled};

use super::{StoreError, MIN_STORED_LEVEL};
use kelisim_shared::merkle::{root_of, Frontier, Hash, Subtrees};
use postgres::{Client, GenericClient, NoTls};

/// The advisory lock key migrations run under ("kelisim" in ASCII, as an i64).
const MIGRATION_LOCK: i64 = 0x6b656c6973696d;

/// A connection URL without its password, for messages and logs. Also a URL with several
/// hosts (`postgres://u:pw@db1:5432,db2:5433/kelisim`), which is not a URL to the `url` crate.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => {
            let Some((scheme, rest)) = url.split_once("://") else { return "(an unreadable URL)".into() };
            let authority = rest.split(['/', '?']).next().unwrap_or("");
            match authority.rsplit_once('@') {
                Some((user, hosts)) if user.contains(':') => {
                    let name = user.split(':').next().unwrap_or("");
                    format!("{scheme}://{name}:***@{hosts}{}", &rest[authority.len()..])
                }
                _ => url.to_owned(),
            }
        }
    }
}

/// Opens a connection: TLS with the server's certificate verified when the URL asks for it
/// (`sslmode=verify-full`, [`tls`]), plain TCP otherwise.
pub fn connect(url: &str) -> Result<Client, StoreError> {
    let target = tls::Target::parse(url)?;
    Ok(match target.tls {
        None => Client::connect(&target.url, NoTls)?,
        Some(config) => Client::connect(&target.url, tokio_postgres_rustls::MakeRustlsConnect::new(config))?,
    })
}

/// Brings the schema up to date: every migration not yet applied, each in its own transaction,
/// all under a session advisory lock, so that instances starting at once wait for each other
/// and each migration runs once. Returns the schema version.
pub fn migrate(c: &mut Client) -> Result<usize, StoreError> {
    c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = migrate_locked(c);
    // Released on every path; a connection that dies releases it too.
    let unlocked = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    let version = result?;
    unlocked?;
    Ok(version)
}

fn migrate_locked(c: &mut Client) -> Result<usize, StoreError> {
    // Only DDL when there is something to change: a serving role without CREATE on the schema
    // (docs/deploy.md, "Grants") starts on an up-to-date database.
    let exists: bool = c.query_one("SELECT to_regclass('kelisim_schema') IS NOT NULL", &[])?.get(0);
    if !exists {
        c.batch_execute("CREATE TABLE IF NOT EXISTS kelisim_schema (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            .map_err(|source| StoreError::PgMigration { version: 1, source })?;
    }
    let found: i32 = c.query_one("SELECT COALESCE(MAX(version), 0) FROM kelisim_schema", &[])?.get(0);
    let found = found as usize;
    let known = schema::MIGRATIONS.len();
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found) {
        let version = i + 1;
        let mut tx = c.transaction()?;
        tx.batch_execute(sql).map_err(|source| StoreError::PgMigration { version, source })?;
        tx.execute("INSERT INTO kelisim_schema (version) VALUES ($1)", &[&(version as i32)])?;
        tx.commit()?;
    }
    Ok(known)
}

/// The site's number, registering the site (and its empty head) if it has none. Safe when
/// several instances register the same site at once.
pub fn register_site(c: &mut impl GenericClient, site: &str) -> Result<i64, StoreError> {
    c.execute("INSERT INTO log_sites (site) VALUES ($1) ON CONFLICT (site) DO NOTHING", &[&site])?;
    let site_no: i64 = c.query_one("SELECT site_no FROM log_sites WHERE site = $1", &[&site])?.get(0);
    c.execute(
        "INSERT INTO log_heads (site_no, size, last_time) VALUES ($1, 0, '') ON CONFLICT (site_no) DO NOTHING",
        &[&site_no],
    )?;
    Ok(site_no)
}

/// A site's head as committed: (size, time of the last record; empty while there is none).
pub fn head(c: &mut impl GenericClient, site_no: i64) -> Result<(u64, String), StoreError> {
    let row = c.query_one("SELECT size, last_time FROM log_heads WHERE site_no = $1", &[&site_no])?;
    Ok((row.get::<_, i64>(0) as u64, row.get(1)))
}

/// A site's tree as stored, as in the SQLite store (`store::read::SqlSubtrees`): leaves in
/// `events.leaf_hash`, complete subtrees of level ≥ [`MIN_STORED_LEVEL`] in `merkle_subtrees`,
/// the ones between recomputed from their leaves.
pub struct PgSubtrees<'a, C: GenericClient> {
    pub conn: &'a mut C,
    pub site: &'a str,
    pub site_no: i64,
}

fn hash_of(v: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

impl<C: GenericClient> Subtrees for PgSubtrees<'_, C> {
    type Error = StoreError;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, StoreError> {
        let missing = || -> StoreError {
            StoreError::Corrupt(format!("site {}: Merkle subtree (level {level}, index {index}) is missing", self.site))
        };
        if level >= MIN_STORED_LEVEL {
            let row = self.conn.query_opt(
                "SELECT hash FROM merkle_subtrees WHERE site_no = $1 AND level = $2 AND idx = $3",
                &[&self.site_no, &(level as i32), &(index as i64)],
            )?;
            return hash_of(row.ok_or_else(missing)?.get(0), "a Merkle hash");
        }
        let lo = ((index << level) + 1) as i64;
        let hi = lo + (1i64 << level) - 1;
        let leaves = self
            .conn
            .query(
                "SELECT leaf_hash FROM events WHERE site_no = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
                &[&self.site_no, &lo, &hi],
            )?
            .into_iter()
            .map(|r| hash_of(r.get(0), "a leaf hash"))
            .collect::<Result<Vec<Hash>, _>>()?;
        if leaves.len() != 1 << level {
            return Err(missing());
        }
        Ok(root_of(&leaves))
    }
}

/// A site's Merkle frontier at `size`, read from the stored subtrees: O(log n) look-ups.
pub fn load_frontier(c: &mut impl GenericClient, site: &str, site_no: i64, size: u64) -> Result<Frontier, StoreError> {
    let mut src = PgSubtrees { conn: c, site, site_no };
    let hashes = Frontier::parts(size)
        .into_iter()
        .map(|(level, index)| src.subtree(level, index))
        .collect::<Result<Vec<_>, _>>()?;
    Frontier::from_parts(size, hashes)
        .ok_or_else(|| StoreError::Corrupt(format!("site {site}: frontier of size {size}")))
}
