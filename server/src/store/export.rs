//! What the audit export (`crate::export`, docs/export.md) reads from the SQLite file, for
//! [`super::logread::SqliteRead`]: the site's newest config version, the records of a range as
//! their canonical bytes, in chunks, and the config versions they name. The export reads them
//! in one read snapshot (`Store::snapshot`), with the checkpoints and leaves every check reads.
//!
//! Writing the bundle (zip, views, signatures) is `crate::export`'s.

use super::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

/// The body of the config version `site` served last, if it served any.
pub fn newest_config_body(db: &Connection, site: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .query_row("SELECT body FROM config_versions WHERE site = ?1 ORDER BY first_seen DESC LIMIT 1", [site], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The config versions the records whose `events.id` is in `lo..=hi` name.
pub fn versions_named(db: &Connection, lo: i64, hi: i64) -> Result<Vec<String>, StoreError> {
    let mut st = db.prepare("SELECT DISTINCT config_version FROM events WHERE id BETWEEN ?1 AND ?2")?;
    let rows = st.query_map(params![lo, hi], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When `site` first served a config version, and its body.
pub fn config_version(db: &Connection, site: &str, version: &str) -> Result<Option<(String, String)>, StoreError> {
    Ok(db
        .query_row(
            "SELECT first_seen, body FROM config_versions WHERE site = ?1 AND version = ?2",
            [site, version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// At most `limit` records whose `events.id` is in `lo..=hi`: each seq and its canonical bytes
/// (`None` once purged), in order.
pub fn records(
    db: &Connection,
    lo: i64,
    hi: i64,
    limit: usize,
) -> Result<Vec<super::logread::RecordBytes>, StoreError> {
    let mut st =
        db.prepare_cached("SELECT seq, canonical FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3")?;
    let rows = st.query_map(params![lo, hi, limit as i64], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
