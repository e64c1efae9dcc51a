//! What the dashboard reads from the consent log: filtered pages of events (keyset paging on
//! `seq`, so page N costs the same as page 1 over millions of rows), statistics for the
//! charts, withdrawals, config versions. Read-only, over its own connection.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

pub struct Dashboard {
    db: Mutex<Connection>,
    /// [`SCAN`], or less in tests.
    scan: i64,
}

/// Log filters from the dashboard form (README, "Dashboard, accounts, audit export"). Empty fields
/// do not filter.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub action: String,
    pub category: String,
    pub version: String,
    pub language: String,
    pub consent_id: String,
    /// Keyset cursor: show events with `seq` below this.
    pub before: Option<i64>,
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

/// Counts of a site's log per UTC hour (`YYYY-MM-DDTHH`), dimension (`all`, `action`,
/// `category`, `language`, `version`) and key, as the log writer keeps them (`log_counts`,
/// migration 11). The overview folds the hours into the site's days.
pub type HourCounts = Vec<(String, String, String, i64)>;

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
fn checked_row(site: &str, row: &crate::store::read::StoredRow) -> EventRow {
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
    pub fn open(db_file: &Path) -> rusqlite::Result<Dashboard> {
        let c =
            Connection::open_with_flags(db_file, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Dashboard { db: Mutex::new(c), scan: SCAN })
    }

    /// Looks through at most `n` records per page of the log for filters checked row by row.
    pub fn scanning(self, n: i64) -> Dashboard {
        Dashboard { scan: n, ..self }
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A site's log: its number and the `events.id` range of its records (migration 5); `None`
    /// while it has logged nothing.
    fn site(db: &Connection, site: &str) -> rusqlite::Result<Option<(i64, i64, i64)>> {
        let no: Option<i64> =
            db.query_row("SELECT site_no FROM log_sites WHERE site = ?1", [site], |r| r.get(0)).optional()?;
        Ok(no.map(|n| {
            let (lo, hi) = crate::store::site_range(n);
            (n, lo, hi)
        }))
    }

    /// One page of events, newest first, and the cursor for the next (older) page.
    ///
    /// The consent id has an index and dates are id ranges, but the other filters (action,
    /// category, version, language) are checked row by row: one page looks through at most
    /// [`SCAN`] records (`--log-scan-window` in tests), so a filter that matches little answers as fast as one that matches
    /// much. When the window ends before the page is full, the cursor points past it and
    /// `searched` says how far back the page looked (the page then offers the older records).
    pub fn events(&self, site: &str, f: &Filter, limit: i64) -> rusqlite::Result<Page> {
        let db = self.db();
        let Some((site_no, lo, hi)) = Self::site(&db, site)? else { return Ok(Page::default()) };
        // Every column, to check the row against its leaf before it is shown; `page` is only
        // in the canonical bytes (and gone after the retention purge).
        let mut sql = format!("SELECT {} FROM events WHERE id >= ? AND id < ?", crate::store::read::ROW_COLUMNS);
        // The ids to look at, `lower..upper`: the site's, below the cursor, within the dates
        // (the log is in time order: a time range is an id range, `store::first_id_at`).
        let mut lower = lo;
        // Just past the newest record (seq runs from 1 without gaps), not the end of the range.
        let mut upper = lo + Self::size(&db, lo, hi)?;
        if let Some(b) = f.before {
            upper = upper.min(crate::store::event_key(site_no, b.max(0) as u64));
        }
        if !f.from.is_empty() {
            lower = lower.max(crate::store::first_id_at(&db, site_no, &f.from)?);
        }
        if !f.to.is_empty() {
            // Inclusive of the whole `to` day.
            upper = upper.min(crate::store::first_id_at(&db, site_no, &format!("{}\u{7f}", f.to))?);
        }
        let row_by_row = f.consent_id.is_empty()
            && !(f.action.is_empty() && f.category.is_empty() && f.version.is_empty() && f.language.is_empty());
        let window = if row_by_row { lower.max(upper - self.scan) } else { lower };
        let mut args: Vec<Value> = vec![window.into(), upper.into()];
        let mut add = |cond: &str, v: &[Value]| {
            sql.push_str(cond);
            args.extend_from_slice(v);
        };
        if !f.action.is_empty() {
            add(" AND action = ?", &[f.action.clone().into()]);
        }
        if !f.category.is_empty() {
            add(" AND (' ' || granted || ' ') LIKE ?", &[format!("% {} %", f.category.replace(['%', '_'], "")).into()]);
        }
        if !f.version.is_empty() {
            add(" AND config_version LIKE ?", &[format!("{}%", f.version.replace(['%', '_'], "")).into()]);
        }
        if !f.language.is_empty() {
            add(" AND language = ?", &[f.language.clone().into()]);
        }
        if !f.consent_id.is_empty() {
            // Stored as 16 bytes; text that is not a UUID matches nothing.
            let id = crate::store::uuid_bytes(f.consent_id.trim()).map_or(Value::Null, |b| Value::Blob(b.to_vec()));
            add(" AND site_no = ? AND consent_id = ?", &[site_no.into(), id]);
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push((limit + 1).into());
        let mut st = db.prepare(&sql)?;
        let mut rows: Vec<EventRow> = st
            .query_map(params_from_iter(args.iter()), |r| {
                Ok(checked_row(site, &crate::store::read::StoredRow::read(r, 0)?))
            })?
            .collect::<Result<_, _>>()?;
        let seq_of = |id: i64| id - crate::store::event_key(site_no, 0);
        if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            let next = rows.last().map(|r| r.seq);
            return Ok(Page { rows, next, searched: None });
        }
        // The page is not full: the log ends here, or the window does.
        let searched = (window > lower).then(|| seq_of(window));
        Ok(Page { rows, next: searched, searched })
    }

    pub fn stats_counts(&self, site: &str) -> rusqlite::Result<i64> {
        let db = self.db();
        let Some((_, lo, hi)) = Self::site(&db, site)? else { return Ok(0) };
        Self::size(&db, lo, hi)
    }

    /// A site's number of records: seq runs from 1 without gaps, so the last id tells.
    fn size(db: &Connection, lo: i64, hi: i64) -> rusqlite::Result<i64> {
        db.query_row("SELECT COALESCE(MAX(id) - ?1 + 1, 0) FROM events WHERE id BETWEEN ?1 AND ?2", [lo, hi], |r| {
            r.get(0)
        })
    }

    /// The counts of a site's log for the UTC hours `from..to` (`YYYY-MM-DDTHH`), read from
    /// `log_counts`: a few rows per hour however long the log is.
    pub fn counts(&self, site: &str, from: &str, to: &str) -> rusqlite::Result<HourCounts> {
        let db = self.db();
        let Some((site_no, _, _)) = Self::site(&db, site)? else { return Ok(Vec::new()) };
        let mut st = db.prepare_cached(
            "SELECT hour, dim, key, n FROM log_counts
             WHERE site_no = ?1 AND dim IN ('all', 'action', 'category', 'language', 'version')
               AND hour >= ?2 AND hour < ?3",
        )?;
        let rows = st.query_map(params![site_no, from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect()
    }

    /// Withdrawals, newest first, each checked against its leaf like the log page's rows (a
    /// row whose stored action says `withdraw` but whose signed bytes do not is flagged).
    pub fn withdrawals(&self, site: &str, limit: i64) -> rusqlite::Result<Vec<EventRow>> {
        let db = self.db();
        let Some((_, lo, hi)) = Self::site(&db, site)? else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT {} FROM events INDEXED BY events_withdrawals
             WHERE id BETWEEN ?1 AND ?2 AND action = 'withdraw' ORDER BY id DESC LIMIT ?3",
            crate::store::read::ROW_COLUMNS
        );
        let mut st = db.prepare(&sql)?;
        let rows = st.query_map(params![lo, hi, limit], |r| {
            Ok(checked_row(site, &crate::store::read::StoredRow::read(r, 0)?))
        })?;
        rows.collect()
    }

    /// Config versions ever served: (version, first_seen, events referencing it).
    pub fn versions(&self, site: &str) -> rusqlite::Result<Vec<(String, String, i64)>> {
        let db = self.db();
        // Events per version from the counts the writer keeps (`log_counts`).
        let site_no = Self::site(&db, site)?.map_or(-1, |(n, _, _)| n);
        let mut counts: std::collections::HashMap<String, i64> = Default::default();
        let mut st =
            db.prepare("SELECT key, SUM(n) FROM log_counts WHERE site_no = ?1 AND dim = 'version' GROUP BY key")?;
        for row in st.query_map([site_no], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (v, n) = row?;
            counts.insert(v, n);
        }
        let mut st =
            db.prepare("SELECT version, first_seen FROM config_versions WHERE site = ?1 ORDER BY first_seen DESC")?;
        let rows = st.query_map([site], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            row.map(|(v, first)| {
                let n = counts.get(&v).copied().unwrap_or(0);
                (v, first, n)
            })
        })
        .collect()
    }

    /// The site's config versions with the time each was first served.
    pub fn version_dates(&self, site: &str) -> rusqlite::Result<Vec<(String, String)>> {
        let db = self.db();
        let mut st = db.prepare_cached("SELECT version, first_seen FROM config_versions WHERE site = ?1")?;
        let rows = st.query_map([site], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    /// The latest `kelisim scan` of a site kept with `--data`, if any.
    pub fn last_scan(&self, site: &str) -> rusqlite::Result<Option<crate::scan::report::Report>> {
        crate::scan::record::latest(&self.db(), site)
    }

    /// The scan of a site before its latest, if any.
    pub fn previous_scan(&self, site: &str) -> rusqlite::Result<Option<crate::scan::report::Report>> {
        crate::scan::record::previous(&self.db(), site)
    }

    /// Scans of a site, newest first.
    pub fn scans(&self, site: &str, limit: i64) -> rusqlite::Result<Vec<crate::scan::record::Past>> {
        crate::scan::record::history(&self.db(), site, limit)
    }

    /// A site's scan schedule, if it has one.
    pub fn scan_schedule(&self, site: &str) -> rusqlite::Result<Option<crate::scan::record::Schedule>> {
        crate::scan::record::schedule(&self.db(), site)
    }

    pub fn version_body(&self, site: &str, version: &str) -> rusqlite::Result<Option<String>> {
        self.db()
            .query_row("SELECT body FROM config_versions WHERE site = ?1 AND version = ?2", [site, version], |r| {
                r.get(0)
            })
            .optional()
    }
}
