//! What the audit export (`crate::export`, docs/export.md) reads: the site's newest config
//! version, its signed checkpoints, the leaves of its log, the records of a range as their
//! canonical bytes and the config versions they name — all in one read transaction, streamed
//! row by row so memory does not grow with the log.
//!
//! Writing the bundle (zip, views, signatures) is `crate::export`'s.

use super::StoreError;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// A read-only connection of its own to the database file at `db_file`, for one export.
pub fn open(db_file: &Path) -> Result<Connection, StoreError> {
    let db = Connection::open_with_flags(db_file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    db.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(db)
}

/// The body of the config version `site` served last, if it served any.
pub fn newest_config_body(db: &Connection, site: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .query_row("SELECT body FROM config_versions WHERE site = ?1 ORDER BY first_seen DESC LIMIT 1", [site], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Runs `f` inside one read transaction on `db`: every file of a bundle describes the same
/// state of the log.
pub fn in_read_transaction<T, E: From<StoreError>>(db: &Connection, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    db.execute_batch("BEGIN").map_err(StoreError::from)?;
    let result = f();
    let _ = db.execute_batch("COMMIT");
    result
}

/// Every signed checkpoint of `site`, oldest first: `(tree_size, note)`.
pub fn checkpoint_notes(db: &Connection, site: &str) -> Result<Vec<(u64, String)>, StoreError> {
    let mut st = db.prepare("SELECT tree_size, note FROM checkpoints WHERE site = ?1 ORDER BY id")?;
    let rows = st.query_map([site], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Calls `f` with the leaf hash of each record whose `events.id` is in `lo..=last`, in order.
pub fn each_leaf<E: From<StoreError>>(
    db: &Connection,
    lo: i64,
    last: i64,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut st =
        db.prepare("SELECT leaf_hash FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id").map_err(StoreError::from)?;
    let mut rows = st.query(params![lo, last]).map_err(StoreError::from)?;
    while let Some(r) = rows.next().map_err(StoreError::from)? {
        let leaf = r.get_ref(0).and_then(|v| Ok(v.as_blob()?)).map_err(StoreError::from)?;
        f(leaf)?;
    }
    Ok(())
}

/// The exported records: the `events.id` range `lo..=last` of the signed log, from `from` and
/// before `before` where the export has dates (time ranges are id ranges).
pub struct Records {
    pub lo: i64,
    pub last: i64,
    pub from: Option<i64>,
    pub before: Option<i64>,
}

impl Records {
    /// The `WHERE` over `events.id` and its arguments.
    fn condition(&self) -> (String, Vec<Value>) {
        let mut where_ = String::from("id BETWEEN ?1 AND ?2");
        let mut args: Vec<Value> = vec![self.lo.into(), self.last.into()];
        if let Some(f) = self.from {
            where_.push_str(" AND id >= ?3");
            args.push(f.into());
        }
        if let Some(t) = self.before {
            where_.push_str(&format!(" AND id < ?{}", args.len() + 1));
            args.push(t.into());
        }
        (where_, args)
    }
}

/// The config versions the records name.
pub fn versions_named(db: &Connection, records: &Records) -> Result<Vec<String>, StoreError> {
    let (where_, args) = records.condition();
    let mut st = db.prepare(&format!("SELECT DISTINCT config_version FROM events WHERE {where_}"))?;
    let rows = st.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When `site` first served a config version, and its body (an error if it never did).
pub fn config_version(db: &Connection, site: &str, version: &str) -> Result<(String, String), StoreError> {
    Ok(db.query_row(
        "SELECT first_seen, body FROM config_versions WHERE site = ?1 AND version = ?2",
        [site, version],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Calls `f` with each record's `seq` and canonical bytes (`None` once purged), in `seq` order.
pub fn each_record<E: From<StoreError>>(
    db: &Connection,
    records: &Records,
    mut f: impl FnMut(u64, Option<&[u8]>) -> Result<(), E>,
) -> Result<(), E> {
    let (where_, args) = records.condition();
    let mut st = db
        .prepare(&format!("SELECT seq, canonical FROM events WHERE {where_} ORDER BY id"))
        .map_err(StoreError::from)?;
    let mut rows = st.query(params_from_iter(args.iter())).map_err(StoreError::from)?;
    while let Some(r) = rows.next().map_err(StoreError::from)? {
        let seq = r.get::<_, i64>(0).map_err(StoreError::from)? as u64;
        let bytes = r.get_ref(1).and_then(|v| Ok(v.as_blob_or_null()?)).map_err(StoreError::from)?;
        f(seq, bytes)?;
    }
    Ok(())
}
