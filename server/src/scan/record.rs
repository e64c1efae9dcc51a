//! Scans kept for the dashboard (`kelisim scan --data DIR` or `--database URL`): each report as its JSON, by
//! site, in the `scans` table (the statements are `crate::store::scans`'s, behind its
//! [`ScanStore`], SQLite or PostgreSQL). Not part of the consent log: nothing here is signed or
//! append-only, and it holds no visitor's data (the scanner is the only visitor).

use super::report::Report;
use super::ScanError;
use crate::store::scans::{open_scans, NewScan};
pub use crate::store::scans::{Every, Past, ScanStore, Schedule};
use crate::store::{self, Location, StoreError};
use std::path::Path;

/// Where `kelisim scan` keeps its report: the server's own database.
pub enum Keep<'a> {
    /// `--data DIR`: the data directory's SQLite database (created if needed).
    Data(&'a Path),
    /// `--database URL`: the PostgreSQL database of `serve --database`.
    Database(&'a str),
}

impl<'a> Keep<'a> {
    /// `--database` if given (the data directory then holds no scans), else `--data`.
    pub fn of(data: Option<&'a Path>, database: Option<&'a str>) -> Option<Keep<'a>> {
        database.map(Keep::Database).or(data.map(Keep::Data))
    }

    /// The option that asked for it, for a usage error.
    pub fn option(&self) -> &'static str {
        match self {
            Keep::Data(_) => "--data",
            Keep::Database(_) => "--database",
        }
    }
}

/// The data directory, or the database's URL without its password.
impl std::fmt::Display for Keep<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Data(dir) => write!(f, "{}", dir.display()),
            Keep::Database(url) => f.write_str(&store::pg::redacted(url)),
        }
    }
}

/// Stores `report` under `site` in the server's database: the SQLite database of a data
/// directory (created if needed, migrated), or PostgreSQL (migrated if nobody did yet).
pub fn record(keep: &Keep<'_>, site: &str, report: &Report) -> Result<i64, ScanError> {
    let fail = |e: &dyn std::fmt::Display| ScanError::Write(format!("cannot record the scan in {keep}: {e}"));
    let loc = match keep {
        Keep::Data(data) => {
            drop(store::Store::open(data).map_err(|e| fail(&e))?);
            Location::Sqlite(data.join(store::DB_FILE))
        }
        Keep::Database(url) => Location::Postgres((*url).to_owned()),
    };
    let scans = open_scans(&loc).map_err(|e| fail(&e))?;
    insert(&*scans, site, report, None).map_err(|e| fail(&e.detail()))
}

/// Stores `report` under `site` (the server's own scans, `jobs`), with who started it: an
/// account's name, [`BY_SCHEDULE`], or `None` (the command line).
pub fn insert(scans: &dyn ScanStore, site: &str, report: &Report, by: Option<&str>) -> Result<i64, StoreError> {
    let json = serde_json::to_string(report)
        .map_err(|e| StoreError::Corrupt(format!("a scan report does not serialize: {e}")))?;
    scans.insert(NewScan {
        site,
        url: &report.url,
        finished_at: &report.finished_at,
        violations: report.summary.violations as i64,
        report: &json,
        by,
    })
}

/// `started_by` of the scans a site's schedule starts.
pub const BY_SCHEDULE: &str = "schedule";

/// The latest scan of `site`, if any.
pub fn latest(scans: &dyn ScanStore, site: &str) -> Result<Option<Report>, StoreError> {
    nth_latest(scans, site, 0)
}

/// The scan of `site` before the latest, if any: what the latest is compared with.
pub fn previous(scans: &dyn ScanStore, site: &str) -> Result<Option<Report>, StoreError> {
    nth_latest(scans, site, 1)
}

fn nth_latest(scans: &dyn ScanStore, site: &str, n: i64) -> Result<Option<Report>, StoreError> {
    Ok(scans.nth_latest(site, n)?.and_then(|j| serde_json::from_str(&j).ok()))
}
