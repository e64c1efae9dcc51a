//! What the domain reads of the consent log, as one interface over both databases: `LogRead`,
//! implemented for SQLite here ([`SqliteRead`]) and for PostgreSQL in `pg/read.rs`. The log
//! check (`log::audit`), receipts and proofs (`log::proofs`), the log API and the writer's start
//! read through it, usually inside one read snapshot ([`super::Store::snapshot`]), so that
//! everything read describes one state of the log.
//!
//! Rows come in chunks (`rows_after` with a limit) rather than through a callback, so a reader
//! can look up other things (a stored subtree) between chunks, and memory stays bounded.

use super::read::{self, StoredCheckpoint, StoredRow};
use super::{audit, event_key, export, StoreError, MIN_STORED_LEVEL};
use kelisim_shared::merkle::{root_of, Frontier, Hash, Subtrees};

/// A record as the export reads it: its seq and canonical bytes (`None` once purged).
pub type RecordBytes = (u64, Option<Vec<u8>>);

/// Reads of the consent log. `&mut self`: a PostgreSQL transaction needs it.
pub trait LogRead {
    /// A site's number, if it has a log.
    fn site_no(&mut self, site: &str) -> Result<Option<i64>, StoreError>;
    /// Every site that has a log, by name.
    fn logged_sites(&mut self) -> Result<Vec<String>, StoreError>;
    /// How many records a site's log holds (seq runs from 1 without gaps).
    fn log_size(&mut self, site_no: i64) -> Result<u64, StoreError>;
    /// `recorded_at` of a site's last record, if any.
    fn last_recorded_at(&mut self, site_no: i64) -> Result<Option<String>, StoreError>;
    fn latest_checkpoint(&mut self, site: &str) -> Result<Option<StoredCheckpoint>, StoreError>;
    fn checkpoint_of_size(&mut self, site: &str, size: u64) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// How many signed checkpoints `site` has: all, or with `covering` only those of size > 0.
    fn checkpoint_count(&mut self, site: &str, covering: bool) -> Result<i64, StoreError>;
    /// The signed checkpoints of size `from` or more, oldest first: `(id, tree_size, note)`.
    fn checkpoints_from(&mut self, site: &str, from: u64) -> Result<Vec<(i64, i64, String)>, StoreError>;
    /// A consent id's stored rows on a site, oldest first (at most the last [`read::MAX_HISTORY`]).
    fn history_rows(&mut self, site: &str, consent_id: &str) -> Result<Vec<StoredRow>, StoreError>;
    /// At most `limit` rows of a site's log after `after` records (seq `after + 1` on), in order.
    fn rows_after(&mut self, site_no: i64, after: u64, limit: usize) -> Result<Vec<StoredRow>, StoreError>;
    /// The leaf hashes of seq `from..=to`, in order.
    fn leaves(&mut self, site_no: i64, from: u64, to: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    /// The stored hash of a complete subtree (level ≥ [`MIN_STORED_LEVEL`]), if stored.
    fn stored_subtree(&mut self, site_no: i64, level: u32, index: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// A site's retention history: from each `since`, `days`, oldest first.
    fn retention(&mut self, site_no: i64) -> Result<Vec<(String, u32)>, StoreError>;
    /// How far a site's log was verified before, if it was and the row is sound.
    fn verified_state(&mut self, site_no: i64) -> Result<Option<Frontier>, StoreError>;
    /// How many of a site's first records the retention purge has emptied (it purges oldest
    /// first, so they are a prefix of the log).
    fn purged_count(&mut self, site_no: i64) -> Result<u64, StoreError>;

    // What the audit export reads (`crate::export`, in one snapshot).

    /// The body of the config version `site` served last, if it served any.
    fn newest_config_body(&mut self, site: &str) -> Result<Option<String>, StoreError>;
    /// When `site` first served a config version, and its body.
    fn config_version(&mut self, site: &str, version: &str) -> Result<Option<(String, String)>, StoreError>;
    /// The seq of a site's first record recorded at or after `time` (RFC 3339 or a prefix of
    /// one); one past the last record if none is. The log is in time order.
    fn first_seq_at(&mut self, site_no: i64, time: &str) -> Result<u64, StoreError>;
    /// The config versions the records seq `first..=last` name.
    fn versions_named(&mut self, site_no: i64, first: u64, last: u64) -> Result<Vec<String>, StoreError>;
    /// At most `limit` records of seq `after + 1 ..= last`: each seq and its canonical bytes
    /// (`None` once purged), in order.
    fn records(&mut self, site_no: i64, after: u64, last: u64, limit: usize) -> Result<Vec<RecordBytes>, StoreError>;
}

/// A site's tree as stored, read through a [`LogRead`]: leaves, complete subtrees of level ≥
/// [`MIN_STORED_LEVEL`], the ones between recomputed from their (at most 8) leaves. Proofs over
/// it cost O(log n) look-ups.
pub struct TreeOf<'a> {
    pub r: &'a mut dyn LogRead,
    pub site: &'a str,
    pub site_no: i64,
}

impl Subtrees for TreeOf<'_> {
    type Error = StoreError;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, StoreError> {
        let missing = || {
            StoreError::Corrupt(format!("site {}: Merkle subtree (level {level}, index {index}) is missing", self.site))
        };
        if level >= MIN_STORED_LEVEL {
            let v = self.r.stored_subtree(self.site_no, level, index)?.ok_or_else(missing)?;
            return read::hash_of(v, "a Merkle hash");
        }
        let from = (index << level) + 1;
        let leaves = self
            .r
            .leaves(self.site_no, from, from + (1u64 << level) - 1)?
            .into_iter()
            .map(|v| read::hash_of(v, "a leaf hash"))
            .collect::<Result<Vec<Hash>, _>>()?;
        if leaves.len() != 1 << level {
            return Err(missing());
        }
        Ok(root_of(&leaves))
    }
}

/// A site's frontier as stored at its full size: O(log n) look-ups.
pub fn load_frontier(r: &mut dyn LogRead, site: &str, site_no: i64) -> Result<Frontier, StoreError> {
    let size = r.log_size(site_no)?;
    let mut tree = TreeOf { r, site, site_no };
    let hashes = Frontier::parts(size)
        .into_iter()
        .map(|(level, index)| tree.subtree(level, index))
        .collect::<Result<Vec<_>, _>>()?;
    Frontier::from_parts(size, hashes)
        .ok_or_else(|| StoreError::Corrupt(format!("site {site}: frontier of size {size}")))
}

/// [`LogRead`] on a SQLite connection (inside a snapshot when the caller opened one).
pub struct SqliteRead<'c>(pub &'c rusqlite::Connection);

impl LogRead for SqliteRead<'_> {
    fn site_no(&mut self, site: &str) -> Result<Option<i64>, StoreError> {
        super::site_no(self.0, site)
    }
    fn logged_sites(&mut self) -> Result<Vec<String>, StoreError> {
        read::logged_sites(self.0)
    }
    fn log_size(&mut self, site_no: i64) -> Result<u64, StoreError> {
        read::log_size(self.0, site_no)
    }
    fn last_recorded_at(&mut self, site_no: i64) -> Result<Option<String>, StoreError> {
        read::last_recorded_at(self.0, site_no)
    }
    fn latest_checkpoint(&mut self, site: &str) -> Result<Option<StoredCheckpoint>, StoreError> {
        read::latest_checkpoint(self.0, site)
    }
    fn checkpoint_of_size(&mut self, site: &str, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        read::checkpoint_of_size(self.0, site, size)
    }
    fn checkpoint_count(&mut self, site: &str, covering: bool) -> Result<i64, StoreError> {
        audit::checkpoint_count(self.0, site, covering)
    }
    fn checkpoints_from(&mut self, site: &str, from: u64) -> Result<Vec<(i64, i64, String)>, StoreError> {
        audit::checkpoints_from(self.0, site, from)
    }
    fn history_rows(&mut self, site: &str, consent_id: &str) -> Result<Vec<StoredRow>, StoreError> {
        read::history_rows(self.0, site, consent_id)
    }
    fn rows_after(&mut self, site_no: i64, after: u64, limit: usize) -> Result<Vec<StoredRow>, StoreError> {
        audit::rows_after(self.0, site_no, after, limit)
    }
    fn leaves(&mut self, site_no: i64, from: u64, to: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        read::leaves(self.0, site_no, from, to)
    }
    fn stored_subtree(&mut self, site_no: i64, level: u32, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        audit::stored_subtree(self.0, site_no, level, index)
    }
    fn retention(&mut self, site_no: i64) -> Result<Vec<(String, u32)>, StoreError> {
        audit::retention(self.0, site_no)
    }
    fn verified_state(&mut self, site_no: i64) -> Result<Option<Frontier>, StoreError> {
        audit::verified_state(self.0, site_no)
    }
    fn purged_count(&mut self, site_no: i64) -> Result<u64, StoreError> {
        Ok((super::first_unpurged_id(self.0, site_no)? - event_key(site_no, 1)).max(0) as u64)
    }
    fn newest_config_body(&mut self, site: &str) -> Result<Option<String>, StoreError> {
        export::newest_config_body(self.0, site)
    }
    fn config_version(&mut self, site: &str, version: &str) -> Result<Option<(String, String)>, StoreError> {
        export::config_version(self.0, site, version)
    }
    fn first_seq_at(&mut self, site_no: i64, time: &str) -> Result<u64, StoreError> {
        Ok((super::first_id_at(self.0, site_no, time)? - event_key(site_no, 0)) as u64)
    }
    fn versions_named(&mut self, site_no: i64, first: u64, last: u64) -> Result<Vec<String>, StoreError> {
        export::versions_named(self.0, event_key(site_no, first), event_key(site_no, last))
    }
    fn records(&mut self, site_no: i64, after: u64, last: u64, limit: usize) -> Result<Vec<RecordBytes>, StoreError> {
        export::records(self.0, event_key(site_no, after + 1), event_key(site_no, last), limit)
    }
}
