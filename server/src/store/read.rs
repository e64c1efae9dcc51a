//! Read-side queries: a consent id's history, checkpoints, and the Merkle subtrees that proofs
//! are built from.

use super::write::MIN_STORED_LEVEL;
use super::{event_key, subtree_key, uuid_bytes, uuid_text, StoreError};
use kelisim_shared::merkle::{root_of, Hash, Subtrees};
use rusqlite::{params, Connection, OptionalExtension};

/// A site's tree as stored: leaves in `events.leaf_hash`, complete subtrees of level ≥
/// [`MIN_STORED_LEVEL`] in `merkle_subtrees`, the ones between recomputed from their (at most 8)
/// leaves. Proofs over it cost O(log n) primary-key look-ups.
pub struct SqlSubtrees<'a> {
    pub conn: &'a Connection,
    pub site: &'a str,
    pub site_no: i64,
}

fn hash_of(v: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

impl Subtrees for SqlSubtrees<'_> {
    type Error = StoreError;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, StoreError> {
        let missing = || {
            StoreError::Corrupt(format!("site {}: Merkle subtree (level {level}, index {index}) is missing", self.site))
        };
        if level >= MIN_STORED_LEVEL {
            let mut st = self.conn.prepare_cached("SELECT hash FROM merkle_subtrees WHERE id = ?1")?;
            let v: Option<Vec<u8>> =
                st.query_row([subtree_key(self.site_no, level, index)], |r| r.get(0)).optional()?;
            return hash_of(v.ok_or_else(missing)?, "a Merkle hash");
        }
        let lo = event_key(self.site_no, (index << level) + 1);
        let hi = lo + (1i64 << level) - 1;
        let mut st = self.conn.prepare_cached("SELECT leaf_hash FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id")?;
        let leaves = st
            .query_map([lo, hi], |r| r.get::<_, Vec<u8>>(0))?
            .map(|v| hash_of(v?, "a leaf hash"))
            .collect::<Result<Vec<Hash>, _>>()?;
        if leaves.len() != 1 << level {
            return Err(missing());
        }
        Ok(root_of(&leaves))
    }
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

/// One logged decision as the visitor's receipt shows it: no IP, user agent or page. Its fields
/// come from the record's canonical bytes when they hash to its leaf (`log::audit`); a record
/// that disagrees with itself is shown as its columns have it, with `problem` saying what is
/// wrong, and never as verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEvent {
    pub seq: u64,
    pub receipt_id: String,
    pub recorded_at: String,
    pub action: String,
    pub granted: Vec<String>,
    pub language: String,
    pub config_version: String,
    pub gpc: bool,
    pub leaf_hash: Hash,
    /// The retention purge removed its canonical bytes: its fields can no longer be checked.
    pub purged: bool,
    /// Why the record does not match its own leaf, if it does not.
    pub problem: Option<String>,
}

/// Longest history returned for one consent id (the most recent ones).
pub const MAX_HISTORY: usize = 200;

/// A consent id's decisions on a site, oldest first (at most the last [`MAX_HISTORY`]).
pub fn history(c: &Connection, site: &str, consent_id: &str) -> Result<Vec<HistoryEvent>, StoreError> {
    use crate::log::audit::{Shown, StoredRow, ROW_COLUMNS};
    let (Some(site_no), Some(consent)) = (super::site_no(c, site)?, uuid_bytes(consent_id)) else {
        return Ok(Vec::new());
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM events WHERE site_no = ?1 AND consent_id = ?2 ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(params![site_no, &consent[..], MAX_HISTORY as i64], |r| StoredRow::read(r, 0))?;
    let mut out = Vec::new();
    for row in rows {
        let row = row?;
        // What the visitor is shown is what the log signed, where the bytes still say it.
        let shown = Shown::of(site, &row);
        let e = HistoryEvent {
            seq: row.seq,
            receipt_id: uuid_text(&row.receipt_id)?,
            recorded_at: shown.recorded_at,
            action: shown.action,
            granted: shown.granted,
            language: shown.language,
            config_version: shown.config_version,
            gpc: shown.gpc,
            leaf_hash: hash_of(row.leaf.clone(), "a leaf hash").unwrap_or([0; 32]),
            purged: shown.purged,
            problem: shown.problem,
        };
        out.push(e);
    }
    out.reverse();
    Ok(out)
}
