//! What the dashboard reads from the consent log: filtered pages of stored rows (keyset paging
//! on `seq`, so page N costs the same as page 1 over millions of rows), the counts the writer
//! keeps for the charts (`log_counts`), withdrawals, config versions. Read-only, behind
//! [`DashboardReads`]: the SQLite store's here ([`SqliteDashboard`], the dashboard's own
//! connection), PostgreSQL's in `store::pg::dashboard`; [`open_dashboard`] opens either.
//!
//! Rows come back as stored ([`StoredRow`]): checking them against their leaves before they
//! are shown is `crate::log::audit`'s, done by `crate::admin::queries`.

use super::read::{StoredRow, ROW_COLUMNS};
use super::{event_key, first_id_at, site_range, uuid_bytes, Location, StoreError};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the dashboard reads of the consent log and its config versions: every page answers
/// from an index or the counts, however long the log (keyset paging by `seq`, never an offset
/// or a count over `events`).
pub trait DashboardReads: Send + Sync {
    /// One page of events, newest first, and the cursor for the next (older) page. The consent
    /// id has an index and dates are seq ranges, but the other filters (action, category,
    /// version, language) are checked row by row: one page looks through at most `scan`
    /// records; when that window ends before the page is full, the cursor points past it and
    /// `searched` says how far back the page looked.
    fn events(&self, site: &str, f: &Filter, limit: i64, scan: i64) -> Result<StoredPage, StoreError>;

    /// A site's number of records.
    fn record_count(&self, site: &str) -> Result<i64, StoreError>;

    /// The counts of a site's log for the UTC hours `from..to` (`YYYY-MM-DDTHH`), from
    /// `log_counts`: a few rows per hour however long the log is.
    fn counts(&self, site: &str, from: &str, to: &str) -> Result<HourCounts, StoreError>;

    /// Withdrawals as stored, newest first.
    fn withdrawals(&self, site: &str, limit: i64) -> Result<Vec<StoredRow>, StoreError>;

    /// Config versions ever served: (version, first_seen, events referencing it), newest first.
    fn versions(&self, site: &str) -> Result<Vec<(String, String, i64)>, StoreError>;

    /// The site's config versions with the time each was first served.
    fn version_dates(&self, site: &str) -> Result<Vec<(String, String)>, StoreError>;

    /// The body of one of a site's config versions, if it served it.
    fn version_body(&self, site: &str, version: &str) -> Result<Option<String>, StoreError>;
}

/// The dashboard's reads of a server's database: the SQLite file (read-only) or a PostgreSQL
/// database (migrated here if nobody did yet).
pub fn open_dashboard(loc: &Location) -> Result<Arc<dyn DashboardReads>, StoreError> {
    Ok(match loc {
        Location::Sqlite(path) => Arc::new(SqliteDashboard::open(path)?),
        Location::Postgres(url) => Arc::new(super::pg::dashboard::PgDashboard::open(url)?),
    })
}

/// The dashboard's read-only connection to the SQLite database.
pub struct SqliteDashboard {
    db: Mutex<Connection>,
}

impl SqliteDashboard {
    pub fn open(db_file: &Path) -> Result<SqliteDashboard, StoreError> {
        let c =
            Connection::open_with_flags(db_file, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(SqliteDashboard { db: Mutex::new(c) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl DashboardReads for SqliteDashboard {
    fn events(&self, site: &str, f: &Filter, limit: i64, scan: i64) -> Result<StoredPage, StoreError> {
        events(&self.lock(), site, f, limit, scan)
    }
    fn record_count(&self, site: &str) -> Result<i64, StoreError> {
        record_count(&self.lock(), site)
    }
    fn counts(&self, site: &str, from: &str, to: &str) -> Result<HourCounts, StoreError> {
        counts(&self.lock(), site, from, to)
    }
    fn withdrawals(&self, site: &str, limit: i64) -> Result<Vec<StoredRow>, StoreError> {
        withdrawals(&self.lock(), site, limit)
    }
    fn versions(&self, site: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        versions(&self.lock(), site)
    }
    fn version_dates(&self, site: &str) -> Result<Vec<(String, String)>, StoreError> {
        version_dates(&self.lock(), site)
    }
    fn version_body(&self, site: &str, version: &str) -> Result<Option<String>, StoreError> {
        version_body(&self.lock(), site, version)
    }
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

/// Counts of a site's log per UTC hour (`YYYY-MM-DDTHH`), dimension (`all`, `action`,
/// `category`, `language`, `version`) and key, as the log writer keeps them (`log_counts`,
/// migration 11). The overview folds the hours into the site's days.
pub type HourCounts = Vec<(String, String, String, i64)>;

/// One page of the log as stored: its rows, the cursor of the older page, and — when a filter
/// checked row by row ran out of its window before the page was full — the record it looked
/// back to.
#[derive(Debug, Default)]
pub struct StoredPage {
    pub rows: Vec<StoredRow>,
    pub next: Option<i64>,
    pub searched: Option<i64>,
}

/// A site's log: its number and the `events.id` range of its records (migration 5); `None`
/// while it has logged nothing.
fn site(db: &Connection, site: &str) -> Result<Option<(i64, i64, i64)>, StoreError> {
    let no: Option<i64> =
        db.query_row("SELECT site_no FROM log_sites WHERE site = ?1", [site], |r| r.get(0)).optional()?;
    Ok(no.map(|n| {
        let (lo, hi) = site_range(n);
        (n, lo, hi)
    }))
}

/// A site's number of records: seq runs from 1 without gaps, so the last id tells.
fn size(db: &Connection, lo: i64, hi: i64) -> Result<i64, StoreError> {
    Ok(db.query_row("SELECT COALESCE(MAX(id) - ?1 + 1, 0) FROM events WHERE id BETWEEN ?1 AND ?2", [lo, hi], |r| {
        r.get(0)
    })?)
}

/// One page of events, newest first, and the cursor for the next (older) page.
///
/// The consent id has an index and dates are id ranges, but the other filters (action,
/// category, version, language) are checked row by row: one page looks through at most `scan`
/// records, so a filter that matches little answers as fast as one that matches much. When the
/// window ends before the page is full, the cursor points past it and `searched` says how far
/// back the page looked (the page then offers the older records).
fn events(db: &Connection, site_id: &str, f: &Filter, limit: i64, scan: i64) -> Result<StoredPage, StoreError> {
    let Some((site_no, lo, hi)) = site(db, site_id)? else { return Ok(StoredPage::default()) };
    // Every column, to check the row against its leaf before it is shown; `page` is only
    // in the canonical bytes (and gone after the retention purge).
    let mut sql = format!("SELECT {ROW_COLUMNS} FROM events WHERE id >= ? AND id < ?");
    // The ids to look at, `lower..upper`: the site's, below the cursor, within the dates
    // (the log is in time order: a time range is an id range, `store::first_id_at`).
    let mut lower = lo;
    // Just past the newest record (seq runs from 1 without gaps), not the end of the range.
    let mut upper = lo + size(db, lo, hi)?;
    if let Some(b) = f.before {
        upper = upper.min(event_key(site_no, b.max(0) as u64));
    }
    if !f.from.is_empty() {
        lower = lower.max(first_id_at(db, site_no, &f.from)?);
    }
    if !f.to.is_empty() {
        // Inclusive of the whole `to` day.
        upper = upper.min(first_id_at(db, site_no, &format!("{}\u{7f}", f.to))?);
    }
    let seq_of = |id: i64| id - event_key(site_no, 0);
    let row_by_row = f.consent_id.is_empty()
        && !(f.action.is_empty() && f.category.is_empty() && f.version.is_empty() && f.language.is_empty());
    let window = if row_by_row { lower.max(upper - scan) } else { lower };
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
        let id = uuid_bytes(f.consent_id.trim()).map_or(Value::Null, |b| Value::Blob(b.to_vec()));
        // The index by consent id is by generation (migration 12): those of the window's records.
        let gens = super::keys::gen_of(seq_of(window).max(0) as u64)..=super::keys::gen_of(seq_of(upper).max(0) as u64);
        let gens = gens.map(|g| g.to_string()).collect::<Vec<_>>().join(", ");
        add(&format!(" AND site_no = ? AND seq >> 20 IN ({gens}) AND consent_id = ?"), &[site_no.into(), id]);
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    args.push((limit + 1).into());
    let mut st = db.prepare(&sql)?;
    let mut rows: Vec<StoredRow> =
        st.query_map(params_from_iter(args.iter()), |r| StoredRow::read(r, 0))?.collect::<Result<_, _>>()?;
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(|r| r.seq as i64);
        return Ok(StoredPage { rows, next, searched: None });
    }
    // The page is not full: the log ends here, or the window does.
    let searched = (window > lower).then(|| seq_of(window));
    Ok(StoredPage { rows, next: searched, searched })
}

/// A site's number of records.
fn record_count(db: &Connection, site_id: &str) -> Result<i64, StoreError> {
    let Some((_, lo, hi)) = site(db, site_id)? else { return Ok(0) };
    size(db, lo, hi)
}

/// The counts of a site's log for the UTC hours `from..to` (`YYYY-MM-DDTHH`), read from
/// `log_counts`: a few rows per hour however long the log is.
fn counts(db: &Connection, site_id: &str, from: &str, to: &str) -> Result<HourCounts, StoreError> {
    let Some((site_no, _, _)) = site(db, site_id)? else { return Ok(Vec::new()) };
    let mut st = db.prepare_cached(
        "SELECT hour, dim, key, n FROM log_counts
             WHERE site_no = ?1 AND dim IN ('all', 'action', 'category', 'language', 'version')
               AND hour >= ?2 AND hour < ?3",
    )?;
    let rows = st.query_map(params![site_no, from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Withdrawals as stored, newest first.
fn withdrawals(db: &Connection, site_id: &str, limit: i64) -> Result<Vec<StoredRow>, StoreError> {
    let Some((_, lo, hi)) = site(db, site_id)? else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM events INDEXED BY events_withdrawals
             WHERE id BETWEEN ?1 AND ?2 AND action = 'withdraw' ORDER BY id DESC LIMIT ?3"
    );
    let mut st = db.prepare(&sql)?;
    let rows = st.query_map(params![lo, hi, limit], |r| StoredRow::read(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Config versions ever served: (version, first_seen, events referencing it).
fn versions(db: &Connection, site_id: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
    // Events per version from the counts the writer keeps (`log_counts`).
    let site_no = site(db, site_id)?.map_or(-1, |(n, _, _)| n);
    let mut counts: std::collections::HashMap<String, i64> = Default::default();
    let mut st =
        db.prepare("SELECT key, SUM(n) FROM log_counts WHERE site_no = ?1 AND dim = 'version' GROUP BY key")?;
    for row in st.query_map([site_no], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (v, n) = row?;
        counts.insert(v, n);
    }
    let mut st =
        db.prepare("SELECT version, first_seen FROM config_versions WHERE site = ?1 ORDER BY first_seen DESC")?;
    let rows = st.query_map([site_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        Ok(row.map(|(v, first)| {
            let n = counts.get(&v).copied().unwrap_or(0);
            (v, first, n)
        })?)
    })
    .collect()
}

/// The site's config versions with the time each was first served.
fn version_dates(db: &Connection, site_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = db.prepare_cached("SELECT version, first_seen FROM config_versions WHERE site = ?1")?;
    let rows = st.query_map([site_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The body of one of a site's config versions, if it served it.
fn version_body(db: &Connection, site_id: &str, version: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .query_row("SELECT body FROM config_versions WHERE site = ?1 AND version = ?2", [site_id, version], |r| {
            r.get(0)
        })
        .optional()?)
}

#[cfg(test)]
mod tests;
