//! Scans kept for the dashboard (`kelisim scan --data DIR`): each report as its JSON, by
//! site, in the `scans` table (the statements are `crate::store::scans`'s, behind its
//! [`ScanStore`], SQLite or PostgreSQL). Not part of the consent log: nothing here is signed or
//! append-only, and it holds no visitor's data (the scanner is the only visitor).

use super::report::Report;
use super::ScanError;
use crate::store::scans::{open_scans, NewScan};
pub use crate::store::scans::{Every, Past, ScanStore, Schedule};
use crate::store::{self, Location, StoreError};
use std::path::Path;

/// Stores `report` under `site` in the database of `data` (created if needed, migrated).
pub fn record(data: &Path, site: &str, report: &Report) -> Result<i64, ScanError> {
    let fail =
        |e: &dyn std::fmt::Display| ScanError::Write(format!("cannot record the scan in {}: {e}", data.display()));
    drop(store::Store::open(data).map_err(|e| fail(&e))?);
    let scans = open_scans(&Location::Sqlite(data.join(store::DB_FILE))).map_err(|e| fail(&e))?;
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
