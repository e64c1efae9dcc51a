//! What the check of a stored log (`crate::log::audit`: `kelisim log verify`, the dashboard's
//! "Verify now", every start of the server) reads and records, in a read snapshot
//! ([`super::read::snapshot`]): the site's
//! checkpoints as signed notes, its rows in `seq` order, its stored Merkle subtrees, its
//! retention history (`log_retention`, migration 8), and how far it was verified before
//! (`log_verified`).
//!
//! The checking itself (hashes, signatures, roots, retention) is `crate::log::audit`'s.

use super::read::{StoredRow, ROW_COLUMNS};
use super::{event_key, site_range, subtree_key, StoreError};
use kelisim_shared::merkle::{Frontier, Hash};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// A connection of its own to the database file at `db_file` that may write (a check records
/// how far it verified the log), for a check run outside the log writer (the dashboard's
/// "Verify now").
pub fn connect(db_file: &Path) -> Result<Connection, StoreError> {
    let db = Connection::open(db_file)?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(db)
}

/// How many signed checkpoints `site` has: all of them, or only those that cover records
/// (`tree_size > 0`) with `covering`.
pub fn checkpoint_count(c: &Connection, site: &str, covering: bool) -> Result<i64, StoreError> {
    let sql = if covering {
        "SELECT COUNT(*) FROM checkpoints WHERE site = ?1 AND tree_size > 0"
    } else {
        "SELECT COUNT(*) FROM checkpoints WHERE site = ?1"
    };
    Ok(c.query_row(sql, [site], |r| r.get(0))?)
}

/// The signed checkpoints of `site` of size `from` or more, oldest first: `(id, tree_size, note)`.
pub fn checkpoints_from(c: &Connection, site: &str, from: u64) -> Result<Vec<(i64, i64, String)>, StoreError> {
    let mut st =
        c.prepare("SELECT id, tree_size, note FROM checkpoints WHERE site = ?1 AND tree_size >= ?2 ORDER BY id")?;
    let rows = st.query_map(params![site, from as i64], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// At most `limit` stored rows of a site's log after `after` records (seq `after + 1` on), in
/// `seq` order.
pub fn rows_after(c: &Connection, site_no: i64, after: u64, limit: usize) -> Result<Vec<StoredRow>, StoreError> {
    let (_, hi) = site_range(site_no);
    let mut st =
        c.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3"))?;
    let rows = st.query_map(params![event_key(site_no, after + 1), hi, limit as i64], |r| StoredRow::read(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The stored hash of a site's complete subtree (level, index), if it is stored.
pub fn stored_subtree(c: &Connection, site_no: i64, level: u32, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
    let mut st = c.prepare_cached("SELECT hash FROM merkle_subtrees WHERE id = ?1")?;
    Ok(st.query_row([subtree_key(site_no, level, index)], |r| r.get(0)).optional()?)
}

/// A site's retention history (`log_retention`): from each `since` (RFC 3339), `days`, oldest
/// first.
pub fn retention(c: &Connection, site_no: i64) -> Result<Vec<(String, u32)>, StoreError> {
    let mut st = c.prepare_cached("SELECT since, days FROM log_retention WHERE site_no = ?1 ORDER BY since")?;
    let rows = st.query_map([site_no], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records `days` as the site's retention from `since` (RFC 3339, now: the database refuses
/// anything that would apply to records made before).
pub fn insert_retention(c: &Connection, site_no: i64, since: &str, days: u32) -> Result<(), StoreError> {
    c.execute("INSERT INTO log_retention (site_no, since, days) VALUES (?1, ?2, ?3)", params![site_no, since, days])?;
    Ok(())
}

/// How far a site's log was verified before (`log_verified`), if it was and the row is sound.
pub fn verified_state(c: &Connection, site_no: i64) -> Result<Option<Frontier>, StoreError> {
    let row: Option<(i64, Vec<u8>)> = c
        .query_row("SELECT tree_size, frontier FROM log_verified WHERE site_no = ?1", [site_no], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(size, bytes)| {
        let hashes = bytes.chunks(32).map(|c| Hash::try_from(c).ok()).collect::<Option<Vec<Hash>>>()?;
        Frontier::from_parts(u64::try_from(size).ok()?, hashes)
    }))
}

/// Records that a site's log is verified up to `frontier`'s size, at `now` (RFC 3339).
pub fn save_verified(c: &Connection, site_no: i64, frontier: &Frontier, now: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO log_verified (site_no, tree_size, frontier, verified_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (site_no) DO UPDATE SET tree_size = excluded.tree_size, frontier = excluded.frontier, verified_at = excluded.verified_at",
        params![site_no, frontier.size() as i64, frontier.hashes().concat(), now],
    )?;
    Ok(())
}
