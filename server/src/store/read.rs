//! Read-side queries: a consent id's history, checkpoints, and the Merkle subtrees that proofs
//! are built from.

use super::{event_key, site_range, uuid_bytes, StoreError, SEQ_BITS};
use kelisim_shared::merkle::Hash;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// A read transaction on `c`: every read through it sees one state of the log. Dropping it
/// ends it (nothing is written through it).
pub fn snapshot(c: &Connection) -> Result<Transaction<'_>, StoreError> {
    Ok(c.unchecked_transaction()?)
}

pub(crate) fn hash_of(v: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

/// A stored signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub site: String,
    pub tree_size: u64,
    pub root: Hash,
    pub signed_at: String,
    pub key_id: String,
    /// The exact signed note.
    pub note: String,
}

fn checkpoint_row(r: &rusqlite::Row) -> rusqlite::Result<(String, i64, Vec<u8>, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn to_checkpoint(row: (String, i64, Vec<u8>, String, String, String)) -> Result<StoredCheckpoint, StoreError> {
    let (site, size, root, signed_at, key_id, note) = row;
    Ok(StoredCheckpoint {
        site,
        tree_size: size as u64,
        root: hash_of(root, "a checkpoint root")?,
        signed_at,
        key_id,
        note,
    })
}

const CHECKPOINT_COLUMNS: &str = "site, tree_size, root_hash, signed_at, key_id, note";

/// The most recent checkpoint of a site, if any.
pub fn latest_checkpoint(c: &Connection, site: &str) -> Result<Option<StoredCheckpoint>, StoreError> {
    let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE site = ?1 ORDER BY id DESC LIMIT 1");
    c.query_row(&sql, [site], checkpoint_row).optional()?.map(to_checkpoint).transpose()
}

/// The most recent checkpoint of a site with exactly `size` records, if any.
pub fn checkpoint_of_size(c: &Connection, site: &str, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
    let sql = format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE site = ?1 AND tree_size = ?2 ORDER BY id DESC LIMIT 1"
    );
    c.query_row(&sql, params![site, size as i64], checkpoint_row).optional()?.map(to_checkpoint).transpose()
}

/// The columns of `events` a [`StoredRow`] is read from, in order.
pub const ROW_COLUMNS: &str =
    "id, event_id, consent_id, receipt_id, recorded_at, config_version, action, granted, language, gpc, sec_gpc, origin, leaf_hash, canonical";

/// One stored row of the log, every column as it is in the database.
#[derive(Clone, Debug)]
pub struct StoredRow {
    pub seq: u64,
    pub event_id: Vec<u8>,
    pub consent_id: Vec<u8>,
    pub receipt_id: Vec<u8>,
    pub recorded_at: String,
    pub config_version: String,
    pub action: String,
    pub granted: String,
    pub language: String,
    pub gpc: bool,
    pub sec_gpc: bool,
    pub origin: Option<String>,
    pub leaf: Vec<u8>,
    pub canonical: Option<Vec<u8>>,
}

impl StoredRow {
    /// Reads the [`ROW_COLUMNS`] of a row, starting at column `at`.
    pub fn read(r: &rusqlite::Row, at: usize) -> rusqlite::Result<StoredRow> {
        let id: i64 = r.get(at)?;
        Ok(StoredRow {
            seq: (id & ((1i64 << SEQ_BITS) - 1)) as u64,
            event_id: r.get(at + 1)?,
            consent_id: r.get(at + 2)?,
            receipt_id: r.get(at + 3)?,
            recorded_at: r.get(at + 4)?,
            config_version: r.get(at + 5)?,
            action: r.get(at + 6)?,
            granted: r.get(at + 7)?,
            language: r.get(at + 8)?,
            gpc: r.get(at + 9)?,
            sec_gpc: r.get(at + 10)?,
            origin: r.get(at + 11)?,
            leaf: r.get(at + 12)?,
            canonical: r.get(at + 13)?,
        })
    }

    /// The granted category ids as the column holds them.
    pub fn granted_ids(&self) -> Vec<String> {
        self.granted.split(' ').filter(|g| !g.is_empty()).map(str::to_owned).collect()
    }
}

/// Longest history returned for one consent id (the most recent ones).
pub const MAX_HISTORY: usize = 200;

/// A consent id's stored rows on a site, oldest first (at most the last [`MAX_HISTORY`]).
pub fn history_rows(c: &Connection, site: &str, consent_id: &str) -> Result<Vec<StoredRow>, StoreError> {
    let (Some(site_no), Some(consent)) = (super::site_no(c, site)?, uuid_bytes(consent_id)) else {
        return Ok(Vec::new());
    };
    // The index by consent id is by generation (migration 12): each of the log's is searched.
    let last_gen = super::keys::gen_of(log_size(c, site_no)?);
    let mut st = c.prepare_cached(&format!(
        "WITH RECURSIVE gens (g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM gens WHERE g < ?4)
         SELECT {ROW_COLUMNS} FROM events WHERE site_no = ?1 AND seq >> 20 IN gens AND consent_id = ?2
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows =
        st.query_map(params![site_no, &consent[..], MAX_HISTORY as i64, last_gen as i64], |r| StoredRow::read(r, 0))?;
    let mut out = rows.collect::<Result<Vec<_>, _>>()?;
    out.reverse();
    Ok(out)
}

/// Every site that has a log (a number in `log_sites`), by name.
pub fn logged_sites(c: &Connection) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare("SELECT site FROM log_sites ORDER BY site")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The number of events in a site's log (seq runs from 1 without gaps).
pub fn log_size(c: &Connection, site_no: i64) -> Result<u64, StoreError> {
    let (lo, hi) = site_range(site_no);
    let last: Option<i64> =
        c.query_row("SELECT MAX(id) FROM events WHERE id BETWEEN ?1 AND ?2", [lo, hi], |r| r.get(0))?;
    Ok(last.map_or(0, |id| (id - (site_no << SEQ_BITS)) as u64))
}

/// `recorded_at` of a site's last record, if it has any.
pub fn last_recorded_at(c: &Connection, site_no: i64) -> Result<Option<String>, StoreError> {
    let (lo, hi) = site_range(site_no);
    Ok(c.query_row(
        "SELECT recorded_at FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id DESC LIMIT 1",
        [lo, hi],
        |r| r.get(0),
    )
    .optional()?)
}

/// The leaf hashes of a site's records seq `from..=to`, in order.
pub fn leaves(c: &Connection, site_no: i64, from: u64, to: u64) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut st = c.prepare_cached("SELECT leaf_hash FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id")?;
    let rows = st.query_map([event_key(site_no, from), event_key(site_no, to)], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
