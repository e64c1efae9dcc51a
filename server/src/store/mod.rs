//! The SQLite store: config versions, the append-only consent log, its Merkle subtrees and
//! signed checkpoints.
//!
//! Plain Rust over rusqlite; knows nothing of HTTP. Durability: WAL with `synchronous=FULL`,
//! so a transaction is on disk when `COMMIT` returns. Writes go through one connection, owned
//! by the log writer thread (`crate::log::Writer`), which answers a request only after the
//! transaction holding its event committed. Reads use a small pool of other connections: in WAL
//! mode they never block the writer and always see a committed state.
//!
//! Every SQL statement of the server is here, by concern: [`read`] and
//! [`write`](mod@write) (the consent log), [`audit`] (what the log check reads and records),
//! [`export`] (the audit bundle), [`dashboard`] (the dashboard's reads), [`accounts`] (accounts,
//! sessions, API tokens, the admin audit trail), [`scans`] (kept scans, schedules), and this file
//! (open, migrations, config versions, site numbers). They are typed functions over a
//! [`Connection`]; the rules stay with their modules (`admin`, `log`, `export`, `scan`), which
//! run no SQL themselves.

pub mod accounts;
pub mod audit;
pub mod copy;
pub mod dashboard;
pub mod export;
pub mod keys;
pub mod logdb;
pub mod logread;
mod migrations;
// Not yet used by the commands: `serve --database` and `migrate` come next (issue 20).
#[allow(dead_code, unused_imports)]
pub mod pg;
pub mod read;
pub mod scans;
pub mod write;

/// The database handle the rest of the server passes back to this module's functions (it
/// never runs a statement on it itself): every SQL statement of the server is in this module.
pub use rusqlite::Connection;

use kelisim_shared::config::Config;
use rusqlite::{params, OpenFlags};
use serde::Serialize;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
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
    #[error("cannot create {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("database migration {version} failed: {source}")]
    Migration { version: usize, source: rusqlite::Error },
    #[error("the database was written by a newer Kelisim (schema {found}, this one knows {known})")]
    TooNew { found: usize, known: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the log writer has stopped")]
    WriterGone,
    /// Asked of a server whose data is on PostgreSQL, for what works on the SQLite file only.
    #[error("{0} works on the SQLite store only; this server's data is on PostgreSQL (back it up with pg_dump: docs/postgres.md)")]
    SqliteOnly(&'static str),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// PostgreSQL (store/pg): the server's words, with its SQLSTATE where it gave one.
    #[error("PostgreSQL: {}", pg_words(.0))]
    Pg(#[from] postgres::Error),
    /// A `--database` URL Kelisim will not use as given (its TLS options: store/pg/tls.rs).
    #[error("the database URL: {0}")]
    DatabaseUrl(String),
    #[error("PostgreSQL migration {version} failed: {}{}", pg_words(.source), owner_hint(.source))]
    PgMigration { version: usize, source: postgres::Error },
}

/// A PostgreSQL error as its server said it (`postgres::Error`'s own Display says only "db
/// error").
fn pg_words(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// For a migration refused for want of rights: who may run it.
fn owner_hint(e: &postgres::Error) -> &'static str {
    match e.code() {
        Some(c) if *c == postgres::error::SqlState::INSUFFICIENT_PRIVILEGE => {
            ". A new schema version is applied by the role that owns the schema: start one instance once as that role, then serve as the restricted one (docs/deploy.md, \"Grants\")"
        }
        _ => "",
    }
}

impl StoreError {
    /// The database's own words for a failed statement (without the "database error: " that
    /// [`StoreError::Sql`] puts before them); the whole message for any other error.
    pub fn detail(&self) -> String {
        match self {
            StoreError::Sql(e) => e.to_string(),
            StoreError::Pg(e) => pg_words(e),
            e => e.to_string(),
        }
    }

    /// Whether the database could not be reached or went away (a PostgreSQL restart or
    /// failover; SQLSTATE classes 08 and 57P): worth a retry, and nothing was committed —
    /// except when the connection was lost during `COMMIT` itself, which a retry settles
    /// (idempotency finds the record if it was committed).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pg(e) => match e.code() {
                Some(code) => code.code().starts_with("08") || code.code().starts_with("57P"),
                None => e.as_db_error().is_none(),
            },
            _ => false,
        }
    }

    /// Whether a statement failed on a UNIQUE constraint (the log's idempotency key: the
    /// writer then looks up the record already logged).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            }
            StoreError::Pg(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
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

/// Bits of `events.id` that hold the seq: `id` = site_no · 2^40 + seq (migration 5), so each
/// site's log is one contiguous, ordered range of the rowid b-tree.
pub const SEQ_BITS: u32 = 40;

/// Lowest level of the Merkle subtrees kept in `merkle_subtrees` (migrations 5 and 6): one node per
/// 2^4 = 16 events. Lower subtrees are recomputed from at most 8 leaves when a proof needs them.
pub const MIN_STORED_LEVEL: u32 = 4;

/// The `events.id` of a site's record `seq`.
pub fn event_key(site_no: i64, seq: u64) -> i64 {
    (site_no << SEQ_BITS) + seq as i64
}

/// The `events.id` range `lo..=hi` that holds a site's records (seq 1 ..).
pub fn site_range(site_no: i64) -> (i64, i64) {
    (event_key(site_no, 1), event_key(site_no + 1, 0) - 1)
}

/// The `merkle_subtrees.id` of a site's complete subtree (level, index) (migration 6): keyed by
/// the log size that completes it, then by level, so subtrees are appended in the order they
/// are made.
pub fn subtree_key(site_no: i64, level: u32, index: u64) -> i64 {
    (((site_no << SEQ_BITS) + ((index as i64 + 1) << level)) << 6) + i64::from(level)
}

/// The first `events.id` of a site's log whose row satisfies `cond` (an SQL expression over one
/// `events` row, false for a prefix of the log and true after it; `?2` in it is `arg`); one past
/// the last record if none does. A binary search: O(log n) rowid look-ups.
fn first_id_where(c: &Connection, site_no: i64, cond: &str, arg: Option<&str>) -> rusqlite::Result<i64> {
    let (lo, hi) = site_range(site_no);
    let last: Option<i64> =
        c.query_row("SELECT MAX(id) FROM events WHERE id BETWEEN ?1 AND ?2", [lo, hi], |r| r.get(0))?;
    let Some(last) = last else { return Ok(lo) };
    let mut st = c.prepare_cached(&format!("SELECT {cond} FROM events WHERE id = ?1"))?;
    // Invariant: every id below `a` fails `cond`; `b` satisfies it (or is past the end).
    let (mut a, mut b) = (lo, last + 1);
    while a < b {
        let mid = a + (b - a) / 2;
        let holds: bool = match arg {
            Some(v) => st.query_row(params![mid, v], |r| r.get(0))?,
            None => st.query_row([mid], |r| r.get(0))?,
        };
        if holds {
            b = mid;
        } else {
            a = mid + 1;
        }
    }
    Ok(a)
}

/// The first `events.id` of a site's log recorded at or after `time` (RFC 3339 as the log
/// writes it, or any prefix of one); one past the last record if none is. `recorded_at` never
/// decreases along a log (see the writer), so a time range is an id range.
pub fn first_id_at(c: &Connection, site_no: i64, time: &str) -> Result<i64, StoreError> {
    Ok(first_id_where(c, site_no, "recorded_at >= ?2", Some(time))?)
}

/// The first `events.id` of a site's log whose canonical bytes the retention purge has not
/// removed (it removes them oldest first, so the purged records are a prefix of the log).
pub fn first_unpurged_id(c: &Connection, site_no: i64) -> Result<i64, StoreError> {
    Ok(first_id_where(c, site_no, "canonical IS NOT NULL", None)?)
}

/// A lowercase hyphenated UUID as the 16 bytes the log stores; `None` if it is not one.
pub fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    kelisim_shared::is_uuid(text).then(|| uuid::Uuid::parse_str(text).ok()).flatten().map(|u| *u.as_bytes())
}

/// The text form (lowercase, hyphenated) of a stored UUID.
pub fn uuid_text(bytes: &[u8]) -> Result<String, StoreError> {
    let u = uuid::Uuid::from_slice(bytes).map_err(|_| StoreError::Corrupt("a stored id is not 16 bytes".into()))?;
    Ok(u.hyphenated().to_string())
}

/// A site's number in `log_sites`, if it has one.
pub fn site_no(c: &Connection, site: &str) -> Result<Option<i64>, StoreError> {
    use rusqlite::OptionalExtension;
    let mut st = c.prepare_cached("SELECT site_no FROM log_sites WHERE site = ?1")?;
    Ok(st.query_row([site], |r| r.get(0)).optional()?)
}

/// A site's number in `log_sites`, given one if it has none yet (a write).
pub fn register_site(c: &Connection, site: &str) -> Result<i64, StoreError> {
    if let Some(n) = site_no(c, site)? {
        return Ok(n);
    }
    c.execute("INSERT OR IGNORE INTO log_sites (site) VALUES (?1)", [site])?;
    site_no(c, site)?.ok_or_else(|| StoreError::Corrupt(format!("site {site} has no number in log_sites")))
}

/// Where a server's data lives: the SQLite file in its data directory (the default), or a
/// PostgreSQL database that several instances share (`--database postgres://…`,
/// docs/postgres.md). The data directory holds the signing key and local files either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The SQLite database file (`DATA/kelisim.sqlite`).
    Sqlite(PathBuf),
    /// A `postgres://` connection URL.
    Postgres(String),
}

/// Read access to the database: a pool of read-only connections to the SQLite file, or a pool
/// of connections to the PostgreSQL database.
pub struct Store {
    kind: Kind,
}

enum Kind {
    Sqlite { path: PathBuf, readers: Mutex<Vec<Connection>> },
    Postgres { pool: pg::PgPool },
}

/// Sets the log writer's page cache (`PRAGMA cache_size`) for the database's size; true when
/// it is the large one. Called when the store opens and, by the writer, now and then after a
/// commit (`SqliteLogDb`), so a log that grows past 1 GiB gets the large cache.
///
/// - **Large (64 MiB) once the database reaches its lock-byte page** (1 GiB): the writer then
///   inserts random consent ids into an index of up to 2^20 keys (the newest generation,
///   `store::keys`), and keeps those pages in memory rather than rereading them from the OS.
/// - **Small (4 MiB) below it.** When SQLite rebalances a b-tree and swaps two pages, it parks
///   one under the lock-byte page's number (262,145 with 4 KiB pages; `balance_nonroot`); its
///   page cache then takes that for the largest page it holds, and the next `COMMIT`, which
///   drops the cached pages beyond the database's end, scans the cache's whole hash table
///   instead of none of it: 16,384 slots with 64 MiB, 1,024 with 4 MiB (what it cost and what
///   the change gained: docs/BENCHMARKS.md, 2026-12-08). A database past that page number never
///   pays it. Below 1 GiB the newest generation's index is small, and a page the cache lacks
///   comes from the OS's page cache.
pub(crate) fn size_writer_cache(c: &Connection) -> Result<bool, rusqlite::Error> {
    let pages: i64 = c.pragma_query_value(None, "page_count", |r| r.get(0))?;
    let page_size: i64 = c.pragma_query_value(None, "page_size", |r| r.get(0))?;
    let large = past_lock_page(pages, page_size);
    c.pragma_update(None, "cache_size", if large { WRITER_CACHE_LARGE_KIB } else { WRITER_CACHE_SMALL_KIB })?;
    Ok(large)
}

/// `PRAGMA cache_size` values of the log writer (negative: KiB), by `size_writer_cache`.
const WRITER_CACHE_LARGE_KIB: i64 = -65536;
const WRITER_CACHE_SMALL_KIB: i64 = -4096;

/// Whether a database of `pages` pages of `page_size` bytes reaches its lock-byte page, the
/// page holding byte 2^30 (SQLite's `PENDING_BYTE`), which no table ever uses.
fn past_lock_page(pages: i64, page_size: i64) -> bool {
    pages > (1 << 30) / page_size.max(512)
}

fn configure(c: &Connection) -> Result<(), rusqlite::Error> {
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL: readers never block the writer. synchronous=FULL: every commit is fsynced, so an
    // acknowledged event survives kill -9 and power loss.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`, runs pending migrations, and
    /// returns the store (for reads) and the one connection that may write.
    pub fn open(data_dir: &Path) -> Result<(Store, Connection), StoreError> {
        // The consent log is personal data: a new data directory and database are the
        // owner's only (SQLite gives the -wal and -shm files the database's mode).
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })?;
        check_writable(data_dir)?;
        let path = data_dir.join(DB_FILE);
        match create_private_file(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
                if mode & 0o077 != 0 {
                    tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the consent log can be read by other users of this machine: chmod 600 it (and its -wal and -shm files)");
                }
            }
            Err(source) => return Err(StoreError::Create { path, source }),
        }
        let mut writer = Connection::open(&path).map_err(|source| StoreError::Open { path: path.clone(), source })?;
        configure(&writer)?;
        size_writer_cache(&writer)?;
        migrate(&mut writer)?;
        Ok((Store { kind: Kind::Sqlite { path, readers: Mutex::new(Vec::new()) } }, writer))
    }

    /// Opens the PostgreSQL database at `url` (`--database`), brings its schema up to date
    /// (safely when several instances start at once), and returns the store (for reads) and a
    /// connection of its own for the log writer.
    pub fn open_postgres(url: &str) -> Result<(Store, postgres::Client), StoreError> {
        let mut writer = pg::connect(url)?;
        pg::migrate(&mut writer)?;
        Ok((Store { kind: Kind::Postgres { pool: pg::PgPool::new(url) } }, writer))
    }

    /// Where the data is.
    pub fn location(&self) -> Location {
        match &self.kind {
            Kind::Sqlite { path, .. } => Location::Sqlite(path.clone()),
            Kind::Postgres { pool } => Location::Postgres(pool.url().to_owned()),
        }
    }

    /// The SQLite file, for what works on it alone (`what`, said in the error otherwise).
    pub fn path(&self, what: &'static str) -> Result<&Path, StoreError> {
        match &self.kind {
            Kind::Sqlite { path, .. } => Ok(path),
            Kind::Postgres { .. } => Err(StoreError::SqliteOnly(what)),
        }
    }

    /// Copies the WAL back into the database from a thread of its own, so the log writer never
    /// pays for a checkpoint in a request's latency. The writer keeps SQLite's automatic
    /// checkpoint only as a backstop, at a much larger WAL size.
    pub fn start_wal_checkpointer(&self, writer: &Connection) -> Result<(), StoreError> {
        let path = self.path("the WAL checkpointer")?.to_owned();
        writer.pragma_update(None, "wal_autocheckpoint", 20_000)?;
        let c = Connection::open(&path).map_err(|source| StoreError::Open { path: path.clone(), source })?;
        configure(&c)?;
        std::thread::Builder::new()
            .name("kelisim-wal-checkpoint".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_millis(250));
                if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start the WAL checkpoint thread: {e}")))?;
        Ok(())
    }

    /// Runs `f` on a pooled read-only SQLite connection.
    fn read_sqlite<T>(
        path: &Path,
        readers: &Mutex<Vec<Connection>>,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let c = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c
            }
        };
        let out = f(&c);
        let mut pool = readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(c);
        }
        out
    }

    /// Runs `f` on a read-only connection to the SQLite file (tests that look at the tables).
    #[cfg(test)]
    pub fn read_sql<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        match &self.kind {
            Kind::Sqlite { path, readers } => Self::read_sqlite(path, readers, f),
            Kind::Postgres { .. } => Err(StoreError::SqliteOnly("read_sql")),
        }
    }

    /// Runs `f` with reads of the log on a pooled connection (each read on its own).
    pub fn read<T>(&self, f: impl FnOnce(&mut dyn logread::LogRead) -> Result<T, StoreError>) -> Result<T, StoreError> {
        match &self.kind {
            Kind::Sqlite { path, readers } => Self::read_sqlite(path, readers, |c| f(&mut logread::SqliteRead(c))),
            Kind::Postgres { pool } => f(&mut pg::read::PgRead(&mut *pool.get()?)),
        }
    }

    /// Runs `f` with reads of the log inside one read snapshot: everything it reads describes
    /// one state of the log (a check, a proof against a checkpoint).
    pub fn snapshot<T>(
        &self,
        f: impl FnOnce(&mut dyn logread::LogRead) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.kind {
            Kind::Sqlite { path, readers } => Self::read_sqlite(path, readers, |c| {
                let tx = read::snapshot(c)?;
                f(&mut logread::SqliteRead(&tx))
            }),
            Kind::Postgres { pool } => {
                let mut c = pool.get()?;
                let mut tx = c
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?;
                f(&mut pg::read::PgRead(&mut tx))
            }
        }
    }

    /// Records that `site`'s log is verified up to `frontier`'s size (a check run outside the
    /// log writer: the dashboard's "Verify now"), so the next start checks only what came after.
    pub fn save_verified(
        &self,
        site: &str,
        frontier: &kelisim_shared::merkle::Frontier,
        now: &str,
    ) -> Result<(), StoreError> {
        match &self.kind {
            Kind::Sqlite { path, .. } => {
                let c = audit::connect(path)?;
                let Some(site_no) = site_no(&c, site)? else { return Ok(()) };
                audit::save_verified(&c, site_no, frontier, now)
            }
            Kind::Postgres { pool } => {
                let mut c = pool.get()?;
                let Some(site_no) = logread::LogRead::site_no(&mut pg::read::PgRead(&mut *c), site)? else {
                    return Ok(());
                };
                pg::read::save_verified(&mut *c, site_no, frontier, now)
            }
        }
    }

    /// Every config version ever served, by site: `(site, version, body)`.
    pub fn config_versions(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        const SQL: &str = "SELECT site, version, body FROM config_versions";
        match &self.kind {
            Kind::Sqlite { path, readers } => Self::read_sqlite(path, readers, |c| {
                let mut st = c.prepare(SQL)?;
                let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<Result<_, _>>()?)
            }),
            Kind::Postgres { pool } => {
                Ok(pool.get()?.query(SQL, &[])?.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
            }
        }
    }

    /// An online copy of the database (SQLite backup API) into `out`, which must not exist.
    /// Readers and the writer go on while it runs; the copy is one consistent snapshot.
    pub fn backup(&self, out: &Path) -> Result<(), StoreError> {
        let Kind::Sqlite { path, readers } = &self.kind else { return Err(StoreError::SqliteOnly("kelisim backup")) };
        create_private_file(out).map_err(|source| StoreError::Create { path: out.to_owned(), source })?;
        Self::read_sqlite(path, readers, |c| {
            let mut dst =
                Connection::open_with_flags(out, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
                    .map_err(|source| StoreError::Open { path: out.to_owned(), source })?;
            {
                let b = rusqlite::backup::Backup::new(c, &mut dst)?;
                b.run_to_completion(1024, std::time::Duration::from_millis(0), None)?;
            }
            // A backup is a standalone file: no WAL beside it.
            dst.pragma_update(None, "journal_mode", "DELETE")?;
            let ok: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(StoreError::Corrupt(format!("the backup fails its check: {ok}")));
            }
            Ok(())
        })
    }
}

/// Records a config version as served (idempotent). Every version ever served is kept.
pub fn record_config(c: &Connection, config: &Config, body: &str, now: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT OR IGNORE INTO config_versions (site, version, body, first_seen) VALUES (?1, ?2, ?3, ?4)",
        params![config.site, config.version, body, now],
    )?;
    Ok(())
}

fn check_writable(dir: &Path) -> Result<(), StoreError> {
    let probe = dir.join(".kelisim-write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|source| StoreError::NotWritable { path: dir.to_owned(), source })
}

/// Creates `path` empty, readable and writable by its owner only (the consent log and every
/// copy of it are personal data); fails if it exists.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
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
        let began = std::time::Instant::now();
        if current > 0 {
            // Upgrades may rewrite or reindex the log: minutes on a log of many millions.
            tracing::info!(version, "upgrading the database; the server listens once this is done");
        }
        let tx = c.transaction().map_err(|source| StoreError::Migration { version, source })?;
        tx.execute_batch(sql).map_err(|source| StoreError::Migration { version, source })?;
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.commit().map_err(|source| StoreError::Migration { version, source })?;
        tracing::info!(version, seconds = began.elapsed().as_secs_f64(), "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
