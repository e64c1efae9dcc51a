//! Scans kept for the dashboard (`kelisim scan --data DIR`): each report as its JSON, by
//! site, in the `scans` table (the statements are `crate::store::scans`'s). Not part of the
//! consent log: nothing here is signed or append-only, and it holds no visitor's data (the
//! scanner is the only visitor).

use super::report::Report;
use super::ScanError;
pub use crate::store::scans::{attempted, history, schedule, schedules, set_schedule, Every, Past, Schedule};
use crate::store::{self, scans, Connection, StoreError};
use std::path::Path;

/// Stores `report` under `site` in the database of `data` (created if needed, migrated).
pub fn record(data: &Path, site: &str, report: &Report) -> Result<i64, ScanError> {
    let fail =
        |e: &dyn std::fmt::Display| ScanError::Write(format!("cannot record the scan in {}: {e}", data.display()));
    let (_store, conn) = store::Store::open(data).map_err(|e| fail(&e))?;
    insert(&conn, site, report, None).map_err(|e| fail(&e.detail()))
}

/// Stores `report` under `site` over an open connection (the server's own scans, `jobs`),
/// with who started it: an account's name, [`BY_SCHEDULE`], or `None` (the command line).
pub fn insert(conn: &Connection, site: &str, report: &Report, by: Option<&str>) -> Result<i64, StoreError> {
    let json = serde_json::to_string(report)
        .map_err(|e| StoreError::Corrupt(format!("a scan report does not serialize: {e}")))?;
    scans::insert(conn, site, &report.url, &report.finished_at, report.summary.violations as i64, &json, by)
}

/// `started_by` of the scans a site's schedule starts.
pub const BY_SCHEDULE: &str = "schedule";

/// The latest scan of `site`, if any.
pub fn latest(c: &Connection, site: &str) -> Result<Option<Report>, StoreError> {
    nth_latest(c, site, 0)
}

/// The scan of `site` before the latest, if any: what the latest is compared with.
pub fn previous(c: &Connection, site: &str) -> Result<Option<Report>, StoreError> {
    nth_latest(c, site, 1)
}

fn nth_latest(c: &Connection, site: &str, n: i64) -> Result<Option<Report>, StoreError> {
    Ok(scans::nth_latest(c, site, n)?.and_then(|j| serde_json::from_str(&j).ok()))
}
