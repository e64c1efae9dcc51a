//! Scans kept for the dashboard and their schedules: the `scans` table (each report as its
//! JSON, by site) and `scan_schedules`. Not part of the consent log: nothing here is signed or
//! append-only, and it holds no visitor's data (the scanner is the only visitor).
//!
//! A report is stored and returned as JSON text: its type is the scanner's
//! (`crate::scan::report::Report`), which this module does not know. The scanner and the
//! dashboard use them through [`ScanStore`], in SQLite or PostgreSQL ([`open_scans`]).

use super::{Location, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// One of a site's scans, as the history lists it.
pub struct Past {
    pub finished_at: String,
    pub url: String,
    pub violations: i64,
    /// An account, `crate::scan::record::BY_SCHEDULE`, or `None` (the command line).
    pub by: Option<String>,
}

/// A scan report to keep: its JSON and what the history lists of it.
#[derive(Clone, Copy, Debug)]
pub struct NewScan<'a> {
    pub site: &'a str,
    pub url: &'a str,
    pub finished_at: &'a str,
    pub violations: i64,
    /// The report's JSON.
    pub report: &'a str,
    /// Who started it (`None`: the command line).
    pub by: Option<&'a str>,
}

/// Kept scans and their schedules, in SQLite ([`SqliteScans`]) or PostgreSQL
/// (`store::pg::scans`). Each method is one statement.
pub trait ScanStore: Send + Sync {
    /// Stores a scan report; returns its id.
    fn insert(&self, scan: NewScan<'_>) -> Result<i64, StoreError>;

    /// The JSON of the `n`th latest scan of `site` (0: the latest), if there is one.
    fn nth_latest(&self, site: &str, n: i64) -> Result<Option<String>, StoreError>;

    /// Earlier scans of `site`, newest first.
    fn history(&self, site: &str, limit: i64) -> Result<Vec<Past>, StoreError>;

    /// The schedule of `site`, if it has one.
    fn schedule(&self, site: &str) -> Result<Option<Schedule>, StoreError>;

    /// Every site's schedule, by site (bytewise).
    fn schedules(&self) -> Result<Vec<Schedule>, StoreError>;

    /// Sets (or, with `None`, removes) the schedule of `site`. A changed schedule keeps when it
    /// last ran, so changing the address does not start a scan at once.
    fn set_schedule(&self, site: &str, s: Option<&Schedule>) -> Result<(), StoreError>;

    /// Notes that the schedule of `site` started a scan at `at` (RFC 3339).
    fn attempted(&self, site: &str, at: &str) -> Result<(), StoreError>;
}

/// The scans of a server's database: the SQLite file (as the migrations left it) or a
/// PostgreSQL database (migrated here if nobody did yet).
pub fn open_scans(loc: &Location) -> Result<Arc<dyn ScanStore>, StoreError> {
    Ok(match loc {
        Location::Sqlite(path) => Arc::new(SqliteScans::open(path)?),
        Location::Postgres(url) => Arc::new(super::pg::scans::PgScans::open(url)?),
    })
}

/// The scans in the SQLite database: a connection of their own that may write (the server's
/// scans write from their own threads; the dashboard's connection only reads).
pub struct SqliteScans {
    db: Mutex<Connection>,
}

impl SqliteScans {
    pub fn open(db_file: &Path) -> Result<SqliteScans, StoreError> {
        let conn = Connection::open(db_file)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(SqliteScans { db: Mutex::new(conn) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ScanStore for SqliteScans {
    fn insert(&self, s: NewScan<'_>) -> Result<i64, StoreError> {
        let c = self.lock();
        c.execute(
            "INSERT INTO scans (site, url, finished_at, violations, report, started_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.site, s.url, s.finished_at, s.violations, s.report, s.by],
        )?;
        Ok(c.last_insert_rowid())
    }

    fn nth_latest(&self, site: &str, n: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT report FROM scans WHERE site = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
                params![site, n],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn history(&self, site: &str, limit: i64) -> Result<Vec<Past>, StoreError> {
        let c = self.lock();
        let mut st = c.prepare(
            "SELECT finished_at, url, violations, started_by FROM scans WHERE site = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![site, limit], |r| {
            Ok(Past { finished_at: r.get(0)?, url: r.get(1)?, violations: r.get(2)?, by: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn schedule(&self, site: &str) -> Result<Option<Schedule>, StoreError> {
        Ok(self
            .lock()
            .query_row(&format!("SELECT {SCHEDULE_COLUMNS} FROM scan_schedules WHERE site = ?1"), [site], schedule_row)
            .optional()?)
    }

    fn schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        let c = self.lock();
        let mut st = c.prepare(&format!("SELECT {SCHEDULE_COLUMNS} FROM scan_schedules ORDER BY site"))?;
        let rows = st.query_map([], schedule_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_schedule(&self, site: &str, s: Option<&Schedule>) -> Result<(), StoreError> {
        let c = self.lock();
        match s {
            None => c.execute("DELETE FROM scan_schedules WHERE site = ?1", [site])?,
            Some(s) => c.execute(
                "INSERT INTO scan_schedules (site, every, url, pages, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (site) DO UPDATE SET every = excluded.every, url = excluded.url, pages = excluded.pages,
                         set_by = excluded.set_by, set_at = excluded.set_at",
                params![site, s.every.as_str(), s.url, s.pages, s.set_by, s.set_at],
            )?,
        };
        Ok(())
    }

    fn attempted(&self, site: &str, at: &str) -> Result<(), StoreError> {
        self.lock().execute("UPDATE scan_schedules SET last_attempt_at = ?2 WHERE site = ?1", params![site, at])?;
        Ok(())
    }
}

/// How often a site is scanned by the server itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    Day,
    Week,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Day => "daily",
            Every::Week => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Every> {
        match s {
            "daily" => Some(Every::Day),
            "weekly" => Some(Every::Week),
            _ => None,
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Every::Day => 86_400,
            Every::Week => 7 * 86_400,
        }
    }
}

/// A site's scan schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub site: String,
    pub every: Every,
    pub url: String,
    pub pages: i64,
    pub set_by: String,
    pub set_at: String,
    /// When it last started a scan (whether or not the scan could run).
    pub last_attempt_at: Option<String>,
}

fn schedule_row(r: &rusqlite::Row) -> rusqlite::Result<Schedule> {
    let every: String = r.get(1)?;
    Ok(Schedule {
        site: r.get(0)?,
        every: Every::parse(&every).unwrap_or(Every::Week),
        url: r.get(2)?,
        pages: r.get(3)?,
        set_by: r.get(4)?,
        set_at: r.get(5)?,
        last_attempt_at: r.get(6)?,
    })
}

pub(crate) const SCHEDULE_COLUMNS: &str = "site, every, url, pages, set_by, set_at, last_attempt_at";

#[cfg(test)]
mod tests;
