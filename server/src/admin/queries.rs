//! What the dashboard reads from the consent log: filtered pages of events (keyset paging on
//! `seq`, so page N costs the same as page 1 over millions of rows), statistics for the
//! charts, withdrawals, config versions, scans. Read-only, through the store's
//! [`DashboardReads`] and [`ScanStore`] (SQLite or PostgreSQL, where the statements are); every
//! stored row is checked against its leaf here before it is shown.

use crate::scan::record::ScanStore;
use crate::store::dashboard::{open_dashboard, DashboardReads};
pub use crate::store::dashboard::{Filter, HourCounts};
use crate::store::read::StoredRow;
use crate::store::{Location, StoreError};
use std::sync::Arc;

pub struct Dashboard {
    db: Arc<dyn DashboardReads>,
    scans: Arc<dyn ScanStore>,
    /// [`SCAN`], or less in tests.
    scan: i64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub recorded_at: String,
    pub consent_id: String,
    pub action: String,
    pub granted: Vec<String>,
    pub language: String,
    pub config_version: String,
    pub gpc: bool,
    pub page: Option<String>,
    /// The retention purge removed its canonical bytes: its fields can no longer be checked.
    pub purged: bool,
    /// Why the record does not match its own leaf, if it does not (`log::audit`): then the
    /// row shows what its signed bytes say, where they still hash to its leaf.
    pub problem: Option<String>,
}

pub const PAGE: i64 = 50;

/// The most records one page of the log looks through for filters checked row by row.
pub const SCAN: i64 = 200_000;

/// One page of the log: its rows, the cursor of the older page, and — when a filter checked
/// row by row ran out of its window before the page was full — the record it looked back to.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<EventRow>,
    pub next: Option<i64>,
    pub searched: Option<i64>,
}

/// A stored row as the log page shows it: checked against its own leaf first.
fn checked_row(site: &str, row: &StoredRow) -> EventRow {
    let shown = crate::log::audit::Shown::of(site, row);
    EventRow {
        seq: row.seq as i64,
        recorded_at: shown.recorded_at,
        consent_id: crate::store::uuid_text(&row.consent_id).unwrap_or_default(),
        action: shown.action,
        granted: shown.granted,
        language: shown.language,
        config_version: shown.config_version,
        gpc: shown.gpc,
        page: shown.page,
        purged: shown.purged,
        problem: shown.problem,
    }
}

impl Dashboard {
    /// The dashboard's reads of the database at `loc`, and `scans` (the store the server's
    /// scans keep their reports in, opened once for both).
    pub fn open(loc: &Location, scans: Arc<dyn ScanStore>) -> Result<Dashboard, StoreError> {
        Ok(Dashboard { db: open_dashboard(loc)?, scans, scan: SCAN })
    }

    /// Looks through at most `n` records per page of the log for filters checked row by row.
    pub fn scanning(self, n: i64) -> Dashboard {
        Dashboard { scan: n, ..self }
    }

    /// One page of events, newest first, and the cursor for the next (older) page.
    ///
    /// The consent id has an index and dates are id ranges, but the other filters (action,
    /// category, version, language) are checked row by row: one page looks through at most
    /// [`SCAN`] records (`--log-scan-window` in tests), so a filter that matches little answers as fast as one that matches
    /// much. When the window ends before the page is full, the cursor points past it and
    /// `searched` says how far back the page looked (the page then offers the older records).
    pub fn events(&self, site: &str, f: &Filter, limit: i64) -> Result<Page, StoreError> {
        let found = self.db.events(site, f, limit, self.scan)?;
        let rows = found.rows.iter().map(|r| checked_row(site, r)).collect();
        Ok(Page { rows, next: found.next, searched: found.searched })
    }

    pub fn stats_counts(&self, site: &str) -> Result<i64, StoreError> {
        self.db.record_count(site)
    }

    /// The counts of a site's log for the UTC hours `from..to` (`YYYY-MM-DDTHH`), read from
    /// `log_counts`: a few rows per hour however long the log is.
    pub fn counts(&self, site: &str, from: &str, to: &str) -> Result<HourCounts, StoreError> {
        self.db.counts(site, from, to)
    }

    /// Withdrawals, newest first, each checked against its leaf like the log page's rows (a
    /// row whose stored action says `withdraw` but whose signed bytes do not is flagged).
    pub fn withdrawals(&self, site: &str, limit: i64) -> Result<Vec<EventRow>, StoreError> {
        Ok(self.db.withdrawals(site, limit)?.iter().map(|r| checked_row(site, r)).collect())
    }

    /// Config versions ever served: (version, first_seen, events referencing it).
    pub fn versions(&self, site: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.db.versions(site)
    }

    /// The site's config versions with the time each was first served.
    pub fn version_dates(&self, site: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.db.version_dates(site)
    }

    /// The latest `kelisim scan` of a site kept with `--data`, if any.
    pub fn last_scan(&self, site: &str) -> Result<Option<crate::scan::report::Report>, StoreError> {
        crate::scan::record::latest(&*self.scans, site)
    }

    /// The scan of a site before its latest, if any.
    pub fn previous_scan(&self, site: &str) -> Result<Option<crate::scan::report::Report>, StoreError> {
        crate::scan::record::previous(&*self.scans, site)
    }

    /// Scans of a site, newest first.
    pub fn scans(&self, site: &str, limit: i64) -> Result<Vec<crate::scan::record::Past>, StoreError> {
        self.scans.history(site, limit)
    }

    /// A site's scan schedule, if it has one.
    pub fn scan_schedule(&self, site: &str) -> Result<Option<crate::scan::record::Schedule>, StoreError> {
        self.scans.schedule(site)
    }

    pub fn version_body(&self, site: &str, version: &str) -> Result<Option<String>, StoreError> {
        self.db.version_body(site, version)
    }
}
