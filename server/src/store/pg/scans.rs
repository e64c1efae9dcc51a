//! Kept scans and their schedules in PostgreSQL ([`crate::store::scans::ScanStore`]; the
//! tables `scans` and `scan_schedules` of migration 1, store/pg/schema.rs): the SQLite store's
//! statements, with `RETURNING id` for the last rowid, the counts (`integer` columns) converted
//! at the boundary, and sites sorted bytewise (`COLLATE "C"`) as SQLite sorts them.

use super::{migrate, PgPool};
use crate::store::scans::{Every, NewScan, Past, ScanStore, Schedule, SCHEDULE_COLUMNS};
use crate::store::StoreError;

pub struct PgScans {
    pool: PgPool,
}

impl PgScans {
    /// A pool on `url`; migrates the schema if nobody did yet.
    pub fn open(url: &str) -> Result<PgScans, StoreError> {
        let pool = PgPool::new(url);
        migrate(&mut *pool.get()?)?;
        Ok(PgScans { pool })
    }
}

fn schedule_row(r: &postgres::Row) -> Schedule {
    Schedule {
        site: r.get(0),
        every: Every::parse(r.get(1)).unwrap_or(Every::Week),
        url: r.get(2),
        pages: i64::from(r.get::<_, i32>(3)),
        set_by: r.get(4),
        set_at: r.get(5),
        last_attempt_at: r.get(6),
    }
}

/// A count for an `integer` column (the scans' and schedules' are small).
fn int(n: i64, what: &str) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} {n} does not fit the database's column")))
}

impl ScanStore for PgScans {
    fn insert(&self, s: NewScan<'_>) -> Result<i64, StoreError> {
        let violations = int(s.violations, "a scan's count of violations")?;
        Ok(self
            .pool
            .get()?
            .query_one(
                "INSERT INTO scans (site, url, finished_at, violations, report, started_by)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&s.site, &s.url, &s.finished_at, &violations, &s.report, &s.by],
            )?
            .get(0))
    }

    fn nth_latest(&self, site: &str, n: i64) -> Result<Option<String>, StoreError> {
        let row = self
            .pool
            .get()?
            .query_opt("SELECT report FROM scans WHERE site = $1 ORDER BY id DESC LIMIT 1 OFFSET $2", &[&site, &n])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn history(&self, site: &str, limit: i64) -> Result<Vec<Past>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT finished_at, url, violations, started_by FROM scans WHERE site = $1 ORDER BY id DESC LIMIT $2",
            &[&site, &limit],
        )?;
        Ok(rows
            .iter()
            .map(|r| Past {
                finished_at: r.get(0),
                url: r.get(1),
                violations: i64::from(r.get::<_, i32>(2)),
                by: r.get(3),
            })
            .collect())
    }

    fn schedule(&self, site: &str) -> Result<Option<Schedule>, StoreError> {
        let row = self
            .pool
            .get()?
            .query_opt(&format!("SELECT {SCHEDULE_COLUMNS} FROM scan_schedules WHERE site = $1"), &[&site])?;
        Ok(row.as_ref().map(schedule_row))
    }

    fn schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        let rows = self
            .pool
            .get()?
            .query(&format!(r#"SELECT {SCHEDULE_COLUMNS} FROM scan_schedules ORDER BY site COLLATE "C""#), &[])?;
        Ok(rows.iter().map(schedule_row).collect())
    }

    fn set_schedule(&self, site: &str, s: Option<&Schedule>) -> Result<(), StoreError> {
        let mut c = self.pool.get()?;
        match s {
            None => c.execute("DELETE FROM scan_schedules WHERE site = $1", &[&site])?,
            Some(s) => c.execute(
                "INSERT INTO scan_schedules (site, every, url, pages, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (site) DO UPDATE SET every = excluded.every, url = excluded.url, pages = excluded.pages,
                         set_by = excluded.set_by, set_at = excluded.set_at",
                &[&site, &s.every.as_str(), &s.url, &int(s.pages, "a schedule's pages")?, &s.set_by, &s.set_at],
            )?,
        };
        Ok(())
    }

    fn attempted(&self, site: &str, at: &str) -> Result<(), StoreError> {
        self.pool.get()?.execute("UPDATE scan_schedules SET last_attempt_at = $2 WHERE site = $1", &[&site, &at])?;
        Ok(())
    }
}
