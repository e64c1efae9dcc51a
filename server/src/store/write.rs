//! Write-side statements, run by the log writer inside its transactions. Every function takes
//! the open transaction; none commits.

use super::{event_key, uuid_bytes, Receipt, StoreError};
use kelisim_shared::canonical::{ConsentRecord, Unplaced};
use kelisim_shared::checkpoint::Checkpoint;
use kelisim_shared::merkle::Hash;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// A logged record's receipt as the writer has it: raw bytes, no text. [`Logged::receipt`]
/// makes the text form on the request's thread, not on the one writer thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub receipt_id: [u8; 16],
    pub seq: u64,
    pub recorded_at: String,
    pub leaf: Hash,
}

impl Logged {
    pub fn receipt(self, consent_id: String) -> Receipt {
        Receipt {
            receipt_id: uuid::Uuid::from_bytes(self.receipt_id).hyphenated().to_string(),
            consent_id,
            seq: self.seq,
            recorded_at: self.recorded_at,
            leaf_hash: hex_text(&self.leaf),
        }
    }
}

/// Lowercase hex (`hex::encode` goes through a `char` iterator; this runs per consent POST).
fn hex_text(bytes: &[u8; 32]) -> String {
    let mut buf = [0u8; 64];
    hex::encode_to_slice(bytes, &mut buf).expect("64 bytes hold 32 in hex");
    std::str::from_utf8(&buf).expect("hex is ASCII").to_owned()
}

/// What generation `gen` of a site's log holds for this consent id's `event_id`, if anything
/// (the idempotency key, migration 7; generations: migration 12 and `store::keys`).
pub fn logged_in_gen(
    c: &Connection,
    site_no: i64,
    gen: u64,
    consent_id: &[u8; 16],
    event_id: &[u8; 16],
) -> Result<Option<Logged>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT receipt_id, seq, recorded_at, leaf_hash FROM events
         WHERE site_no = ?1 AND seq >> 20 = ?2 AND consent_id = ?3 AND event_id = ?4",
    )?;
    let row = st
        .query_row(params![site_no, gen as i64, &consent_id[..], &event_id[..]], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get(2)?, r.get::<_, Vec<u8>>(3)?))
        })
        .optional()?;
    row.map(|(receipt_id, seq, recorded_at, leaf)| {
        let corrupt = |what: &str| StoreError::Corrupt(format!("a stored {what} has the wrong length"));
        Ok(Logged {
            receipt_id: receipt_id.try_into().map_err(|_| corrupt("receipt id"))?,
            seq: seq as u64,
            recorded_at,
            leaf: leaf.try_into().map_err(|_| corrupt("leaf hash"))?,
        })
    })
    .transpose()
}

/// An event made ready for the log on the request's thread, so that the one writer thread does
/// as little per event as it can: the ids as stored, the granted list as stored, and the
/// canonical bytes with only `recorded_at` and `seq` left for the writer to fill in.
pub struct NewEvent {
    pub record: ConsentRecord,
    pub event_id: [u8; 16],
    pub consent_id: [u8; 16],
    /// The granted category ids, space-separated (`events.granted`).
    pub granted: String,
    pub canonical: Unplaced,
}

impl NewEvent {
    /// `record.seq` and `record.recorded_at` are ignored: the writer sets them.
    pub fn new(record: ConsentRecord) -> Result<NewEvent, StoreError> {
        let malformed =
            |what: &str| StoreError::Corrupt(format!("{what} of an event is not a UUID (ingest checks it)"));
        Ok(NewEvent {
            event_id: uuid_bytes(&record.event_id).ok_or_else(|| malformed("the event_id"))?,
            consent_id: uuid_bytes(&record.consent_id).ok_or_else(|| malformed("the consent_id"))?,
            granted: record.granted.join(" "),
            canonical: record.unplaced(),
            record,
        })
    }
}

/// The new events of a batch counted for the dashboard (`log_counts`, migration 11), written
/// in the batch's transaction so the counts are always exactly the log's. Counted per
/// distinct (site, hour, action, language, version, granted) first — a batch mostly holds a
/// handful — and spread over the dimensions once, at the end.
#[derive(Default)]
pub struct Counts<'e> {
    n: std::collections::HashMap<Kind<'e>, i64>,
}

/// Site number, UTC hour (`YYYY-MM-DDTHH`), action, language, config version, granted.
type Kind<'e> = (i64, [u8; 13], &'static str, &'static str, &'e str, &'e str);

impl<'e> Counts<'e> {
    pub fn add(&mut self, site_no: i64, recorded_at: &str, ev: &'e NewEvent) {
        let mut hour = [b'0'; 13];
        let n = recorded_at.len().min(13);
        hour[..n].copy_from_slice(&recorded_at.as_bytes()[..n]);
        let r = &ev.record;
        *self
            .n
            .entry((
                site_no,
                hour,
                r.action.as_str(),
                r.language.code(),
                r.config_version.as_str(),
                ev.granted.as_str(),
            ))
            .or_default() += 1;
    }

    /// The rows to add to `log_counts`: (site number, UTC hour, dimension, key) → count.
    pub fn rows(self) -> std::collections::BTreeMap<(i64, [u8; 13], &'static str, &'e str), i64> {
        let mut rows: std::collections::BTreeMap<(i64, [u8; 13], &str, &str), i64> = Default::default();
        for ((site_no, hour, action, language, version, granted), n) in self.n {
            *rows.entry((site_no, hour, "all", "")).or_default() += n;
            *rows.entry((site_no, hour, "action", action)).or_default() += n;
            *rows.entry((site_no, hour, "language", language)).or_default() += n;
            *rows.entry((site_no, hour, "version", version)).or_default() += n;
            for cat in granted.split(' ').filter(|c| !c.is_empty()) {
                *rows.entry((site_no, hour, "category", cat)).or_default() += n;
            }
        }
        rows
    }

    pub fn write(self, c: &Connection) -> Result<(), StoreError> {
        let rows = self.rows();
        let mut st = c.prepare_cached(
            "INSERT INTO log_counts (site_no, hour, dim, key, n) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (site_no, dim, hour, key) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((site_no, hour, dim, key), n) in rows {
            let hour =
                std::str::from_utf8(&hour).map_err(|_| StoreError::Corrupt("a recorded_at is not UTF-8".into()))?;
            st.execute(params![site_no, hour, dim, key, n])?;
        }
        Ok(())
    }
}

/// The two statements a batch runs per event, prepared once per batch (not looked up in the
/// statement cache by their SQL text for every event).
pub struct Appender<'c> {
    event: rusqlite::CachedStatement<'c>,
    node: rusqlite::CachedStatement<'c>,
}

impl<'c> Appender<'c> {
    pub fn new(c: &'c Connection) -> Result<Appender<'c>, StoreError> {
        Ok(Appender {
            event: c.prepare_cached(
                "INSERT INTO events (id, event_id, consent_id, receipt_id, recorded_at, config_version, action, granted,
                     language, gpc, sec_gpc, origin, leaf_hash, canonical)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
            node: c.prepare_cached("INSERT INTO merkle_subtrees (id, hash) VALUES (?1, ?2)")?,
        })
    }

    /// Inserts one event row at `seq` of its site's log, with its canonical bytes and leaf
    /// hash as placed there ([`Unplaced::place`]).
    #[allow(clippy::too_many_arguments)]
    pub fn insert_event(
        &mut self,
        site_no: i64,
        ev: &NewEvent,
        seq: u64,
        recorded_at: &str,
        receipt_id: &[u8; 16],
        canonical: &[u8],
        leaf: &Hash,
    ) -> Result<(), StoreError> {
        let r = &ev.record;
        self.event.execute(params![
            event_key(site_no, seq),
            &ev.event_id[..],
            &ev.consent_id[..],
            &receipt_id[..],
            recorded_at,
            r.config_version,
            r.action.as_str(),
            ev.granted,
            r.language.code(),
            r.gpc,
            r.sec_gpc,
            r.origin,
            leaf.as_slice(),
            canonical,
        ])?;
        Ok(())
    }

    /// Stores the hash of a complete subtree (level ≥ [`super::MIN_STORED_LEVEL`]) of a site's tree.
    pub fn insert_node(&mut self, site_no: i64, level: u32, index: u64, hash: &Hash) -> Result<(), StoreError> {
        self.node.execute(params![super::subtree_key(site_no, level, index), hash.as_slice()])?;
        Ok(())
    }
}

/// Appends a signed checkpoint.
pub fn insert_checkpoint(
    c: &Connection,
    site: &str,
    cp: &Checkpoint,
    key_id: &str,
    note: &str,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO checkpoints (site, tree_size, root_hash, signed_at, key_id, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![site, cp.size as i64, cp.root.as_slice(), cp.time, key_id, note],
    )?;
    Ok(())
}

/// The retention purge (site file `retention_days`): in the caller's transaction, removes the
/// canonical bytes — the only stored copy of the personal fields `ip`, `user_agent` and
/// `page` — of the site's events recorded before `before` (RFC 3339), at most `limit` of them
/// (so the writer is never held long), keeping `leaf_hash` and the non-personal columns, so the
/// Merkle tree and all signed checkpoints stay verifiable. Returns how many events were purged.
///
/// This is the single code path that mutates existing rows of the consent log — it breaks
/// append-only semantics by design, and only through the exception that migration 5's
/// `events_no_update` trigger grants while a `purge_in_progress` marker for the site exists.
/// The marker is removed before the transaction commits.
pub fn purge_expired(
    c: &Connection,
    site: &str,
    site_no: i64,
    before: &str,
    limit: usize,
) -> Result<usize, StoreError> {
    // The log is in time order and purged oldest first: the records to purge are the ids from
    // the first unpurged one up to the first recorded at or after `before`.
    let (from, to) = (super::first_unpurged_id(c, site_no)?, super::first_id_at(c, site_no, before)?);
    if from >= to {
        return Ok(0);
    }
    c.execute("INSERT INTO purge_in_progress (site, before) VALUES (?1, ?2)", params![site, before])?;
    let n = c.execute(
        "UPDATE events SET canonical = NULL
         WHERE id IN (SELECT id FROM events WHERE id >= ?1 AND id < ?2 AND canonical IS NOT NULL ORDER BY id LIMIT ?3)",
        params![from, to, limit as i64],
    )?;
    c.execute("DELETE FROM purge_in_progress WHERE site = ?1", [site])?;
    Ok(n)
}

/// Starts one of the log writer's transactions with `BEGIN IMMEDIATE`: it holds the write lock
/// from its start. The caller commits it (or drops it to roll back).
pub fn begin(c: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    Ok(c.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// Whether the database takes writes (`/healthz`): takes the write lock, writes a row to a
/// temporary table, and rolls back.
pub fn ping(c: &mut Connection) -> Result<(), StoreError> {
    let tx = begin(c)?;
    tx.execute("CREATE TEMP TABLE IF NOT EXISTS healthz (x)", [])?;
    tx.execute("INSERT INTO healthz VALUES (1)", [])?;
    tx.rollback()?;
    Ok(())
}
