//! [`LogRead`] on PostgreSQL: the same reads as the SQLite store's, over `(site_no, seq)` keys.
//! Used inside a `REPEATABLE READ READ ONLY` transaction when a caller needs one state of the
//! log (a check, a proof), or on a plain connection for a single read.

use crate::store::logread::LogRead;
use crate::store::read::{StoredCheckpoint, StoredRow, MAX_HISTORY};
use crate::store::{uuid_bytes, StoreError};
use kelisim_shared::merkle::{Frontier, Hash};
use postgres::GenericClient;

/// The columns a [`StoredRow`] is read from, in order.
pub(super) const ROW_COLUMNS: &str = "seq, event_id, consent_id, receipt_id, recorded_at, config_version, action, granted, language, gpc, sec_gpc, origin, leaf_hash, canonical";

pub(super) fn stored_row(r: &postgres::Row) -> StoredRow {
    StoredRow {
        seq: r.get::<_, i64>(0) as u64,
        event_id: r.get(1),
        consent_id: r.get(2),
        receipt_id: r.get(3),
        recorded_at: r.get(4),
        config_version: r.get(5),
        action: r.get(6),
        granted: r.get(7),
        language: r.get(8),
        gpc: r.get(9),
        sec_gpc: r.get(10),
        origin: r.get(11),
        leaf: r.get(12),
        canonical: r.get(13),
    }
}

fn checkpoint(site: &str, r: &postgres::Row) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        site: site.to_owned(),
        tree_size: r.get::<_, i64>(0) as u64,
        root: r
            .get::<_, Vec<u8>>(1)
            .try_into()
            .map_err(|_| StoreError::Corrupt("a checkpoint's root is not 32 bytes".into()))?,
        signed_at: r.get(2),
        key_id: r.get(3),
        note: r.get(4),
    })
}

/// Reads through a connection or a transaction.
pub struct PgRead<'a, C: GenericClient>(pub &'a mut C);

impl<C: GenericClient> LogRead for PgRead<'_, C> {
    fn site_no(&mut self, site: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.0.query_opt("SELECT site_no FROM log_sites WHERE site = $1", &[&site])?.map(|r| r.get(0)))
    }
    fn logged_sites(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(self.0.query("SELECT site FROM log_sites ORDER BY site", &[])?.iter().map(|r| r.get(0)).collect())
    }
    fn log_size(&mut self, site_no: i64) -> Result<u64, StoreError> {
        let n: Option<i64> = self.0.query_one("SELECT MAX(seq) FROM events WHERE site_no = $1", &[&site_no])?.get(0);
        Ok(n.unwrap_or(0) as u64)
    }
    fn last_recorded_at(&mut self, site_no: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .query_opt("SELECT recorded_at FROM events WHERE site_no = $1 ORDER BY seq DESC LIMIT 1", &[&site_no])?
            .map(|r| r.get(0)))
    }
    fn latest_checkpoint(&mut self, site: &str) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.0
            .query_opt(
                "SELECT tree_size, root_hash, signed_at, key_id, note FROM checkpoints WHERE site = $1 ORDER BY id DESC LIMIT 1",
                &[&site],
            )?
            .map(|r| checkpoint(site, &r))
            .transpose()
    }
    fn checkpoint_of_size(&mut self, site: &str, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.0
            .query_opt(
                "SELECT tree_size, root_hash, signed_at, key_id, note FROM checkpoints WHERE site = $1 AND tree_size = $2
                 ORDER BY id LIMIT 1",
                &[&site, &(size as i64)],
            )?
            .map(|r| checkpoint(site, &r))
            .transpose()
    }
    fn checkpoint_count(&mut self, site: &str, covering: bool) -> Result<i64, StoreError> {
        let sql = if covering {
            "SELECT COUNT(*) FROM checkpoints WHERE site = $1 AND tree_size > 0"
        } else {
            "SELECT COUNT(*) FROM checkpoints WHERE site = $1"
        };
        Ok(self.0.query_one(sql, &[&site])?.get(0))
    }
    fn checkpoints_from(&mut self, site: &str, from: u64) -> Result<Vec<(i64, i64, String)>, StoreError> {
        Ok(self
            .0
            .query(
                "SELECT id, tree_size, note FROM checkpoints WHERE site = $1 AND tree_size >= $2 ORDER BY id",
                &[&site, &(from as i64)],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
    fn history_rows(&mut self, site: &str, consent_id: &str) -> Result<Vec<StoredRow>, StoreError> {
        let (Some(site_no), Some(consent)) = (self.site_no(site)?, uuid_bytes(consent_id)) else {
            return Ok(Vec::new());
        };
        // The index by consent id is by generation (migration 3): each of the log's is searched.
        let gens: Vec<i64> = (0..=crate::store::keys::gen_of(self.log_size(site_no)?) as i64).collect();
        let mut out: Vec<StoredRow> = self
            .0
            .query(
                &format!(
                    "SELECT {ROW_COLUMNS} FROM events WHERE site_no = $1 AND (seq >> 20) = ANY ($4)
                         AND consent_id = $2 ORDER BY seq DESC LIMIT $3"
                ),
                &[&site_no, &&consent[..], &(MAX_HISTORY as i64), &gens],
            )?
            .iter()
            .map(stored_row)
            .collect();
        out.reverse();
        Ok(out)
    }
    fn rows_after(&mut self, site_no: i64, after: u64, limit: usize) -> Result<Vec<StoredRow>, StoreError> {
        Ok(self
            .0
            .query(
                &format!("SELECT {ROW_COLUMNS} FROM events WHERE site_no = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
                &[&site_no, &(after as i64), &(limit as i64)],
            )?
            .iter()
            .map(stored_row)
            .collect())
    }
    fn leaves(&mut self, site_no: i64, from: u64, to: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .0
            .query(
                "SELECT leaf_hash FROM events WHERE site_no = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
                &[&site_no, &(from as i64), &(to as i64)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }
    fn stored_subtree(&mut self, site_no: i64, level: u32, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .0
            .query_opt(
                "SELECT hash FROM merkle_subtrees WHERE site_no = $1 AND level = $2 AND idx = $3",
                &[&site_no, &(level as i32), &(index as i64)],
            )?
            .map(|r| r.get(0)))
    }
    fn retention(&mut self, site_no: i64) -> Result<Vec<(String, u32)>, StoreError> {
        Ok(self
            .0
            .query("SELECT since, days FROM log_retention WHERE site_no = $1 ORDER BY since", &[&site_no])?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i32>(1) as u32))
            .collect())
    }
    fn verified_state(&mut self, site_no: i64) -> Result<Option<Frontier>, StoreError> {
        let row = self.0.query_opt("SELECT tree_size, frontier FROM log_verified WHERE site_no = $1", &[&site_no])?;
        Ok(row.and_then(|r| {
            let (size, bytes): (i64, Vec<u8>) = (r.get(0), r.get(1));
            let hashes = bytes.chunks(32).map(|c| Hash::try_from(c).ok()).collect::<Option<Vec<Hash>>>()?;
            Frontier::from_parts(u64::try_from(size).ok()?, hashes)
        }))
    }
    fn purged_count(&mut self, site_no: i64) -> Result<u64, StoreError> {
        // The purged records are a prefix: binary search for the first unpurged seq, O(log n)
        // primary-key look-ups.
        let size = self.log_size(site_no)?;
        let (mut a, mut b) = (1u64, size + 1);
        while a < b {
            let mid = a + (b - a) / 2;
            let kept: bool = self
                .0
                .query_one(
                    "SELECT canonical IS NOT NULL FROM events WHERE site_no = $1 AND seq = $2",
                    &[&site_no, &(mid as i64)],
                )?
                .get(0);
            if kept {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        Ok(a - 1)
    }
    fn newest_config_body(&mut self, site: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .config_row("SELECT body FROM config_versions WHERE site = $1 ORDER BY first_seen DESC LIMIT 1", &[&site])?
            .map(|r| r.get(0)))
    }
    fn config_version(&mut self, site: &str, version: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .config_row(
                "SELECT first_seen, body FROM config_versions WHERE site = $1 AND version = $2",
                &[&site, &version],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }
    fn first_seq_at(&mut self, site_no: i64, time: &str) -> Result<u64, StoreError> {
        // recorded_at never decreases along a log: a binary search over seq, O(log n) look-ups.
        let size = self.log_size(site_no)?;
        let (mut a, mut b) = (1u64, size + 1);
        while a < b {
            let mid = a + (b - a) / 2;
            let at: String = self
                .0
                .query_one(
                    "SELECT recorded_at FROM events WHERE site_no = $1 AND seq = $2",
                    &[&site_no, &(mid as i64)],
                )?
                .get(0);
            if at.as_str() >= time {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        Ok(a)
    }
    fn versions_named(&mut self, site_no: i64, first: u64, last: u64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .0
            .query(
                "SELECT DISTINCT config_version FROM events WHERE site_no = $1 AND seq BETWEEN $2 AND $3",
                &[&site_no, &(first as i64), &(last as i64)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }
    fn records(
        &mut self,
        site_no: i64,
        after: u64,
        last: u64,
        limit: usize,
    ) -> Result<Vec<crate::store::logread::RecordBytes>, StoreError> {
        Ok(self
            .0
            .query(
                "SELECT seq, canonical FROM events WHERE site_no = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
                &[&site_no, &(after as i64), &(last as i64), &(limit as i64)],
            )?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect())
    }
}

impl<C: GenericClient> PgRead<'_, C> {
    fn config_row(
        &mut self,
        sql: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StoreError> {
        Ok(self.0.query_opt(sql, args)?)
    }
}

/// Records that a site's log is verified up to `frontier`'s size.
pub fn save_verified(
    c: &mut impl GenericClient,
    site_no: i64,
    frontier: &Frontier,
    now: &str,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO log_verified (site_no, tree_size, frontier, verified_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site_no) DO UPDATE SET tree_size = excluded.tree_size, frontier = excluded.frontier,
             verified_at = excluded.verified_at",
        &[&site_no, &(frontier.size() as i64), &frontier.hashes().concat(), &now],
    )?;
    Ok(())
}
