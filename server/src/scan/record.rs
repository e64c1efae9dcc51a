//! Scans kept for the dashboard (`kelisim scan --data DIR`): each report as its JSON, by
//! site, in the `scans` table. Not part of the consent log: nothing here is signed or
//! append-only, and it holds no visitor's data (the scanner is the only visitor).

use super::report::Report;
use super::ScanError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// Stores `report` under `site` in the database of `data` (created if needed, migrated).
pub fn record(data: &Path, site: &str, report: &Report) -> Result<i64, ScanError> {
    let fail =
        |e: &dyn std::fmt::Display| ScanError::Write(format!("cannot record the scan in {}: {e}", data.display()));
    let (_store, conn) = crate::store::Store::open(data).map_err(|e| fail(&e))?;
    insert(&conn, site, report).map_err(|e| fail(&e))
}

/// Stores `report` under `site` over an open connection (the server's own scans, `jobs`).
pub fn insert(conn: &Connection, site: &str, report: &Report) -> rusqlite::Result<i64> {
    let json = serde_json::to_string(report).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute(
        "INSERT INTO scans (site, url, finished_at, violations, report) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![site, report.url, report.finished_at, report.summary.violations as i64, json],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The latest scan of `site`, if any.
pub fn latest(c: &Connection, site: &str) -> rusqlite::Result<Option<Report>> {
    let json: Option<String> = c
        .query_row("SELECT report FROM scans WHERE site = ?1 ORDER BY id DESC LIMIT 1", [site], |r| r.get(0))
        .optional()?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// Earlier scans of `site`, newest first: (finished_at, url, violations).
pub fn history(c: &Connection, site: &str, limit: i64) -> rusqlite::Result<Vec<(String, String, i64)>> {
    let mut st =
        c.prepare("SELECT finished_at, url, violations FROM scans WHERE site = ?1 ORDER BY id DESC LIMIT ?2")?;
    let rows = st.query_map(params![site, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
