//! What the dashboard reads from the consent log in PostgreSQL
//! ([`crate::store::dashboard::DashboardReads`]): the SQLite store's reads over the
//! `(site_no, seq)` key instead of the packed `events.id`, as fast on a long log:
//!
//! - a site's size is its head (`log_heads`, moved in the batch's own transaction), not a scan;
//! - pages are keyset ranges of the primary key `(site_no, seq)`, newest first;
//! - a date is a seq range: `recorded_at` never decreases along a log, so the first record at
//!   or after a time is found by binary search on the primary key (O(log n) look-ups, no index
//!   on `recorded_at` for the writer to keep);
//! - a consent id is found through `events_by_consent`, withdrawals through the partial index
//!   `events_withdrawals`, numbers over the whole log in `log_counts`;
//! - text filters match as SQLite's `LIKE` does (ASCII case-insensitive: `ILIKE`, no escape
//!   character).

use super::{migrate, PgPool};
use crate::store::dashboard::{DashboardReads, Filter, HourCounts, StoredPage};
use crate::store::read::StoredRow;
use crate::store::{uuid_bytes, StoreError};
use postgres::types::ToSql;
use postgres::GenericClient;

pub struct PgDashboard {
    pool: PgPool,
}

impl PgDashboard {
    /// A pool on `url`; migrates the schema if nobody did yet.
    pub fn open(url: &str) -> Result<PgDashboard, StoreError> {
        let pool = PgPool::new(url);
        migrate(&mut *pool.get()?)?;
        Ok(PgDashboard { pool })
    }
}

use super::read::{stored_row, ROW_COLUMNS};

/// A site's number and size (its head); `None` while it has no log.
fn site(c: &mut impl GenericClient, site: &str) -> Result<Option<(i64, i64)>, StoreError> {
    let row = c.query_opt(
        "SELECT s.site_no, COALESCE(h.size, 0) FROM log_sites s LEFT JOIN log_heads h ON h.site_no = s.site_no
         WHERE s.site = $1",
        &[&site],
    )?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// The first seq of a site's log (of `size` records) recorded at or after `time` (RFC 3339 as
/// the log writes it, or a prefix of one); `size + 1` if none is. A binary search on the
/// primary key: `recorded_at` never decreases along a log.
fn first_seq_at(c: &mut impl GenericClient, site_no: i64, size: i64, time: &str) -> Result<i64, StoreError> {
    let st = c.prepare("SELECT recorded_at >= $3 FROM events WHERE site_no = $1 AND seq = $2")?;
    // Invariant: every seq below `a` is earlier than `time`; `b` is not (or is past the end).
    let (mut a, mut b) = (1i64, size + 1);
    while a < b {
        let mid = a + (b - a) / 2;
        let row = c.query_opt(&st, &[&site_no, &mid, &time])?;
        let holds: bool =
            row.ok_or_else(|| StoreError::Corrupt(format!("record {mid} of site number {site_no} is missing")))?.get(0);
        if holds {
            b = mid;
        } else {
            a = mid + 1;
        }
    }
    Ok(a)
}

/// Text for `ILIKE … ESCAPE ''` with the wildcards taken out (as the SQLite store does).
fn literal(s: &str) -> String {
    s.replace(['%', '_'], "")
}

impl DashboardReads for PgDashboard {
    fn events(&self, site_id: &str, f: &Filter, limit: i64, scan: i64) -> Result<StoredPage, StoreError> {
        let mut c = self.pool.get()?;
        let Some((site_no, size)) = site(&mut *c, site_id)? else { return Ok(StoredPage::default()) };
        // The seqs to look at, `lower..upper`: below the cursor, within the dates.
        let mut lower = 1i64;
        let mut upper = size + 1;
        if let Some(b) = f.before {
            upper = upper.min(b.max(0));
        }
        if !f.from.is_empty() {
            lower = lower.max(first_seq_at(&mut *c, site_no, size, &f.from)?);
        }
        if !f.to.is_empty() {
            // Inclusive of the whole `to` day.
            upper = upper.min(first_seq_at(&mut *c, site_no, size, &format!("{}\u{7f}", f.to))?);
        }
        let row_by_row = f.consent_id.is_empty()
            && !(f.action.is_empty() && f.category.is_empty() && f.version.is_empty() && f.language.is_empty());
        let window = if row_by_row { lower.max(upper - scan) } else { lower };
        let mut sql = format!("SELECT {ROW_COLUMNS} FROM events WHERE site_no = $1 AND seq >= $2 AND seq < $3");
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(site_no), Box::new(window), Box::new(upper)];
        let mut add = |cond: &str, v: Box<dyn ToSql + Sync>| {
            args.push(v);
            sql.push_str(&cond.replace('?', &format!("${}", args.len())));
        };
        if !f.action.is_empty() {
            add(" AND action = ?", Box::new(f.action.clone()));
        }
        if !f.category.is_empty() {
            add(" AND (' ' || granted || ' ') ILIKE ? ESCAPE ''", Box::new(format!("% {} %", literal(&f.category))));
        }
        if !f.version.is_empty() {
            add(" AND config_version ILIKE ? ESCAPE ''", Box::new(format!("{}%", literal(&f.version))));
        }
        if !f.language.is_empty() {
            add(" AND language = ?", Box::new(f.language.clone()));
        }
        if !f.consent_id.is_empty() {
            // The index by consent id is by generation (migration 3): those of the window's records.
            let gen = |seq: i64| crate::store::keys::gen_of(seq.max(0) as u64) as i64;
            let gens: Vec<i64> = (gen(window)..=gen(upper)).collect();
            add(" AND (seq >> 20) = ANY (?)", Box::new(gens));
            // Stored as 16 bytes; text that is not a UUID matches nothing.
            add(" AND consent_id = ?", Box::new(uuid_bytes(f.consent_id.trim()).map(|b| b.to_vec())));
        }
        add(" ORDER BY seq DESC LIMIT ?", Box::new(limit + 1));
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        let mut rows: Vec<StoredRow> = c.query(&sql, &params)?.iter().map(stored_row).collect();
        if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            let next = rows.last().map(|r| r.seq as i64);
            return Ok(StoredPage { rows, next, searched: None });
        }
        // The page is not full: the log ends here, or the window does.
        let searched = (window > lower).then_some(window);
        Ok(StoredPage { rows, next: searched, searched })
    }

    fn record_count(&self, site_id: &str) -> Result<i64, StoreError> {
        Ok(site(&mut *self.pool.get()?, site_id)?.map_or(0, |(_, size)| size))
    }

    fn counts(&self, site_id: &str, from: &str, to: &str) -> Result<HourCounts, StoreError> {
        let mut c = self.pool.get()?;
        let Some((site_no, _)) = site(&mut *c, site_id)? else { return Ok(Vec::new()) };
        let rows = c.query(
            "SELECT hour, dim, key, n FROM log_counts
             WHERE site_no = $1 AND dim IN ('all', 'action', 'category', 'language', 'version')
               AND hour >= $2 AND hour < $3",
            &[&site_no, &from, &to],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
    }

    fn withdrawals(&self, site_id: &str, limit: i64) -> Result<Vec<StoredRow>, StoreError> {
        let mut c = self.pool.get()?;
        let Some((site_no, _)) = site(&mut *c, site_id)? else { return Ok(Vec::new()) };
        // `action = 'withdraw'` in the query's own text: the partial index `events_withdrawals`.
        let rows = c.query(
            &format!(
                "SELECT {ROW_COLUMNS} FROM events WHERE site_no = $1 AND action = 'withdraw' ORDER BY seq DESC LIMIT $2"
            ),
            &[&site_no, &limit],
        )?;
        Ok(rows.iter().map(stored_row).collect())
    }

    fn versions(&self, site_id: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        let mut c = self.pool.get()?;
        let site_no = site(&mut *c, site_id)?.map_or(-1, |(n, _)| n);
        // Events per version from the counts the writer keeps (`log_counts`).
        let rows = c.query(
            "SELECT v.version, v.first_seen,
                    COALESCE((SELECT SUM(n) FROM log_counts k
                              WHERE k.site_no = $2 AND k.dim = 'version' AND k.key = v.version), 0)::bigint
             FROM config_versions v WHERE v.site = $1 ORDER BY v.first_seen DESC",
            &[&site_id, &site_no],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    fn version_dates(&self, site_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows =
            self.pool.get()?.query("SELECT version, first_seen FROM config_versions WHERE site = $1", &[&site_id])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn version_body(&self, site_id: &str, version: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .pool
            .get()?
            .query_opt("SELECT body FROM config_versions WHERE site = $1 AND version = $2", &[&site_id, &version])?;
        Ok(row.map(|r| r.get(0)))
    }
}
