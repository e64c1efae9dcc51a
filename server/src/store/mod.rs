//! The SQLite store: config versions and the append-only consent log.
//!
//! Plain Rust over rusqlite; knows nothing of HTTP. Durability: WAL with `synchronous=FULL`,
//! so a transaction is on disk when `commit` returns, and [`Store::append`] returns only after
//! its commit — the server never acknowledges an event it has not committed.

mod migrations;

use kelisim_shared::canonical::{leaf_hash, ConsentRecord};
use kelisim_shared::config::Config;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const DB_FILE: &str = "kelisim.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("the data directory {path} is not writable: {source}")]
    NotWritable { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("database migration {version} failed: {source}")]
    Migration { version: usize, source: rusqlite::Error },
    #[error("the database was written by a newer Kelisim (schema {found}, this one knows {known})")]
    TooNew { found: usize, known: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What a browser gets back for a logged decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub receipt_id: String,
    pub consent_id: String,
    pub seq: u64,
    pub recorded_at: String,
    pub leaf_hash: String,
}

/// A decision ready to be logged: everything but its place in the log.
pub struct NewEvent {
    pub receipt_id: String,
    pub record: ConsentRecord,
}

pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and runs pending migrations.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })?;
        check_writable(data_dir)?;
        let path = data_dir.join(DB_FILE);
        let open = || -> Result<Connection, StoreError> {
            let c = Connection::open(&path).map_err(|source| StoreError::Open { path: path.clone(), source })?;
            c.busy_timeout(std::time::Duration::from_secs(5))?;
            // WAL: readers never block the writer. synchronous=FULL: every commit is fsynced,
            // so an acknowledged event survives kill -9 and power loss.
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "FULL")?;
            c.pragma_update(None, "foreign_keys", "ON")?;
            Ok(c)
        };
        let mut writer = open()?;
        migrate(&mut writer)?;
        let reader = open()?;
        Ok(Store { writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    /// Records a config version as served (idempotent). Every version ever served is kept.
    pub fn record_config(&self, config: &Config, body: &str, now: &str) -> Result<(), StoreError> {
        let c = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        c.execute(
            "INSERT OR IGNORE INTO config_versions (site, version, body, first_seen) VALUES (?1, ?2, ?3, ?4)",
            params![config.site, config.version, body, now],
        )?;
        Ok(())
    }

    /// The config of a version once served for a site, if any.
    pub fn config_version(&self, site: &str, version: &str) -> Result<Option<String>, StoreError> {
        let c = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        Ok(c.query_row(
            "SELECT body FROM config_versions WHERE site = ?1 AND version = ?2",
            params![site, version],
            |r| r.get(0),
        )
        .optional()?)
    }

    /// Appends an event to its site's log and commits it durably. If an event with the same
    /// `event_id` is already logged for the site, nothing is written and its receipt is
    /// returned with `false` (idempotency: a retried POST never makes a second record).
    pub fn append(&self, ev: NewEvent) -> Result<(Receipt, bool), StoreError> {
        let mut c = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let r = &ev.record;
        if let Some(existing) = receipt_by_event_id(&tx, &r.site, &r.event_id)? {
            return Ok((existing, false));
        }
        let seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE site = ?1",
            params![r.site],
            |row| row.get(0),
        )?;
        let seq = seq as u64;
        let mut record = ev.record;
        record.seq = seq;
        let canonical = record.canonical_bytes();
        let leaf = leaf_hash(&canonical);
        tx.execute(
            "INSERT INTO events (site, seq, event_id, receipt_id, consent_id, recorded_at, config_version,
                 action, granted, language, gpc, sec_gpc, page, origin, ip, user_agent, canonical, leaf_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                record.site,
                seq as i64,
                record.event_id,
                ev.receipt_id,
                record.consent_id,
                record.recorded_at,
                record.config_version,
                record.action.as_str(),
                record.granted.join(" "),
                record.language.code(),
                record.gpc,
                record.sec_gpc,
                record.page,
                record.origin,
                record.ip,
                record.user_agent,
                canonical,
                leaf.as_slice(),
            ],
        )?;
        tx.commit()?;
        Ok((
            Receipt {
                receipt_id: ev.receipt_id,
                consent_id: record.consent_id,
                seq,
                recorded_at: record.recorded_at,
                leaf_hash: hex::encode(leaf),
            },
            true,
        ))
    }

    /// Whether the database accepts a write right now (for `/healthz`): takes the write lock
    /// and writes inside a transaction that is rolled back.
    pub fn check_writable(&self) -> Result<(), StoreError> {
        let mut c = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("CREATE TEMP TABLE IF NOT EXISTS healthz (x)", [])?;
        tx.execute("INSERT INTO healthz VALUES (1)", [])?;
        tx.rollback()?;
        Ok(())
    }
}

fn receipt_by_event_id(c: &Connection, site: &str, event_id: &str) -> Result<Option<Receipt>, StoreError> {
    Ok(c.query_row(
        "SELECT receipt_id, consent_id, seq, recorded_at, leaf_hash FROM events WHERE site = ?1 AND event_id = ?2",
        params![site, event_id],
        |r| {
            Ok(Receipt {
                receipt_id: r.get(0)?,
                consent_id: r.get(1)?,
                seq: r.get::<_, i64>(2)? as u64,
                recorded_at: r.get(3)?,
                leaf_hash: hex::encode(r.get::<_, Vec<u8>>(4)?),
            })
        },
    )
    .optional()?)
}

fn check_writable(dir: &Path) -> Result<(), StoreError> {
    let probe = dir.join(".kelisim-write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|source| StoreError::NotWritable { path: dir.to_owned(), source })
}

fn migrate(c: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = current as usize;
    let known = migrations::MIGRATIONS.len();
    if current > known {
        return Err(StoreError::TooNew { found: current, known });
    }
    for (i, sql) in migrations::MIGRATIONS.iter().enumerate().skip(current) {
        let version = i + 1;
        let tx = c.transaction().map_err(|source| StoreError::Migration { version, source })?;
        tx.execute_batch(sql).map_err(|source| StoreError::Migration { version, source })?;
        tx.pragma_update(None, "user_version", version as i64).map_err(|source| StoreError::Migration { version, source })?;
        tx.commit().map_err(|source| StoreError::Migration { version, source })?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
