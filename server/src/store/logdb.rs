//! What the log writer (`crate::log`) does to the database, as one interface over both:
//! [`LogDb`], implemented for SQLite here ([`SqliteLogDb`]: the one writer connection) and for
//! PostgreSQL in `pg/log.rs` (`PgLogDb`: one of several instances' writers). The writer thread
//! owns it; the batching, the answers to requests, the checks of a log at start and the
//! schedule of checkpoints and purges are the writer's and the same for both.

use super::keys::{gen_of, KeyFilters};
use super::logread::{LogRead, SqliteRead};
use super::read::StoredCheckpoint;
use super::write::{self, Logged, NewEvent};
use super::{record_config, register_site, StoreError};
use kelisim_shared::checkpoint::{Checkpoint, LogKey};
use kelisim_shared::config::Config;
use kelisim_shared::merkle::{Frontier, Hash};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One site's log as a writer keeps it between batches.
#[derive(Clone, Debug)]
pub struct SiteLog {
    /// The site's number in `log_sites`.
    pub site_no: i64,
    pub frontier: Frontier,
    /// Size of the last signed checkpoint this writer knows of.
    pub checkpointed: Option<u64>,
    /// `recorded_at` of the last record (empty while there is none). The next record is never
    /// earlier, even if the clock steps back: the log is in time order, which the export's
    /// verifier checks and time-range queries rely on (`store::first_id_at`).
    pub last_time: String,
}

/// A batch's answers: each event's receipt and whether it is new, in order, and how long the
/// commit took (the durable part).
pub type Appended = (Vec<(Logged, bool)>, Duration);

pub trait LogDb: Send {
    /// Runs `f` with reads on the writer's own connection, inside one read snapshot.
    fn read(&mut self, f: &mut dyn FnMut(&mut dyn LogRead) -> Result<(), StoreError>) -> Result<(), StoreError>;
    /// A site's number, registering the site if it has none.
    fn register_site(&mut self, site: &str) -> Result<i64, StoreError>;
    /// Records a config version as served (idempotent).
    fn record_config(&mut self, config: &Config, body: &str, now: &str) -> Result<(), StoreError>;
    /// Records `days` as a site's retention from `since` on, unless another writer has just
    /// recorded the same (instances starting at once).
    fn insert_retention(&mut self, site_no: i64, since: &str, days: u32) -> Result<(), StoreError>;
    /// Records that a site's log is verified up to `frontier`'s size.
    fn save_verified(&mut self, site_no: i64, frontier: &Frontier, now: &str) -> Result<(), StoreError>;
    /// Writes a batch in one transaction, each new record at the next `seq` of its site's log;
    /// idempotent on `(consent_id, event_id)`. On success `logs` hold the committed frontiers;
    /// on failure nothing of the batch is committed (the caller restores `logs`).
    fn append(
        &mut self,
        logs: &mut BTreeMap<String, SiteLog>,
        events: &[NewEvent],
        now: &str,
    ) -> Result<Appended, StoreError>;
    /// Signs and stores a checkpoint of each site in `due` whose log has none of its current
    /// size (or of every one in `due`, with `force`: `kelisim log checkpoint`), all at `time`.
    /// Returns what it stored.
    fn sign_checkpoints(
        &mut self,
        key: &LogKey,
        logs: &mut BTreeMap<String, SiteLog>,
        due: &[String],
        time: &str,
        force: bool,
    ) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// Whether other writers append to the same logs (PostgreSQL with several instances): then
    /// a log may have grown without this writer, and every site is due for a checkpoint.
    fn shared(&self) -> bool;
    /// The retention purge of one site: at most `limit` of its records before `before`, in one
    /// transaction (see `store::write::purge_expired`).
    fn purge_expired(&mut self, site: &str, site_no: i64, before: &str, limit: usize) -> Result<usize, StoreError>;
    /// Whether the database takes writes now.
    fn ping(&mut self) -> Result<(), StoreError>;
    /// Reads what the idempotency check needs of a site's log of `size` records (the keys of
    /// its older generations, `store::keys`), so that the first batch after a start does not
    /// (half a minute for 10 M records on two busy cores: longer than a request waits).
    fn prepare_keys(&mut self, site_no: i64, size: u64) -> Result<(), StoreError>;
}

/// The SQLite log: the one connection that writes (WAL, `synchronous=FULL`), and what it knows
/// of the keys in each log's older generations (`store::keys`).
pub struct SqliteLogDb {
    conn: rusqlite::Connection,
    keys: KeyFilters,
    /// Batches committed since the page cache was last sized (`super::size_writer_cache`);
    /// `None` once it is the large one, which it then stays.
    since_sized: Option<u32>,
}

/// Batches between two looks at the database's size while the writer's cache is the small one.
const RESIZE_EVERY: u32 = 1024;

impl SqliteLogDb {
    pub fn new(conn: rusqlite::Connection) -> SqliteLogDb {
        SqliteLogDb { conn, keys: KeyFilters::default(), since_sized: Some(0) }
    }

    /// Gives the writer the large page cache once the database has grown past 1 GiB. After a
    /// commit, so a failure here is only logged: the batch is on disk and gets its answers.
    fn resize_cache_now_and_then(&mut self) {
        let Some(n) = self.since_sized.as_mut() else { return };
        *n += 1;
        if *n < RESIZE_EVERY {
            return;
        }
        *n = 0;
        match super::size_writer_cache(&self.conn) {
            Ok(true) => {
                self.since_sized = None;
                tracing::info!("the log's database is past 1 GiB: the writer's page cache is now 64 MiB");
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not size the log writer's page cache"),
        }
    }
}

impl LogDb for SqliteLogDb {
    fn read(&mut self, f: &mut dyn FnMut(&mut dyn LogRead) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let tx = super::read::snapshot(&self.conn)?;
        f(&mut SqliteRead(&tx))
    }

    fn register_site(&mut self, site: &str) -> Result<i64, StoreError> {
        register_site(&self.conn, site)
    }

    fn record_config(&mut self, config: &Config, body: &str, now: &str) -> Result<(), StoreError> {
        record_config(&self.conn, config, body, now)
    }

    fn insert_retention(&mut self, site_no: i64, since: &str, days: u32) -> Result<(), StoreError> {
        super::audit::insert_retention(&self.conn, site_no, since, days)
    }

    fn save_verified(&mut self, site_no: i64, frontier: &Frontier, now: &str) -> Result<(), StoreError> {
        super::audit::save_verified(&self.conn, site_no, frontier, now)
    }

    fn append(
        &mut self,
        logs: &mut BTreeMap<String, SiteLog>,
        events: &[NewEvent],
        now: &str,
    ) -> Result<Appended, StoreError> {
        let appended = sqlite_batch(&mut self.conn, &mut self.keys, logs, events, now)?;
        self.resize_cache_now_and_then();
        Ok(appended)
    }

    fn sign_checkpoints(
        &mut self,
        key: &LogKey,
        logs: &mut BTreeMap<String, SiteLog>,
        due: &[String],
        time: &str,
        _force: bool,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        // The one writer knows each log's last checkpoint: `due` holds only what needs one.
        let tx = write::begin(&mut self.conn)?;
        let mut made = Vec::new();
        for site in due {
            let log = &logs[site];
            let cp = Checkpoint {
                origin: key.origin(site),
                size: log.frontier.size(),
                root: log.frontier.root(),
                time: time.to_owned(),
            };
            let note = key.sign(&cp);
            let key_id = key.key_id_hex();
            write::insert_checkpoint(&tx, site, &cp, &key_id, &note)?;
            made.push(StoredCheckpoint {
                site: site.clone(),
                tree_size: cp.size,
                root: cp.root,
                signed_at: time.to_owned(),
                key_id,
                note,
            });
        }
        tx.commit()?;
        for cp in &made {
            if let Some(l) = logs.get_mut(&cp.site) {
                l.checkpointed = Some(cp.tree_size);
            }
        }
        Ok(made)
    }

    fn shared(&self) -> bool {
        false
    }

    fn purge_expired(&mut self, site: &str, site_no: i64, before: &str, limit: usize) -> Result<usize, StoreError> {
        let tx = write::begin(&mut self.conn)?;
        let n = write::purge_expired(&tx, site, site_no, before, limit)?;
        tx.commit()?;
        Ok(n)
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        write::ping(&mut self.conn)
    }

    fn prepare_keys(&mut self, site_no: i64, _size: u64) -> Result<(), StoreError> {
        load_keys(&self.conn, &mut self.keys, site_no)
    }
}

/// Reads a site's keys into `keys` unless they are there (`store::keys`).
fn load_keys(c: &rusqlite::Connection, keys: &mut KeyFilters, site_no: i64) -> Result<(), StoreError> {
    if keys.is_loaded(site_no) {
        return Ok(());
    }
    let started = Instant::now();
    keys.load(c, site_no)?;
    tracing::info!(site_no, seconds = started.elapsed().as_secs_f64(), "idempotency filters read from the index");
    Ok(())
}

/// Writes a batch in one transaction, placing each new record at the next `seq` of its site's
/// log; on success returns each event's receipt and whether it is new. Idempotency holds
/// inside the batch too: a second event with the same `consent_id` and `event_id` finds the
/// first one's row (uncommitted, but this transaction's) and gets its receipt.
///
/// The events come prepared ([`NewEvent`]): this one thread serves every request, so all it
/// does per event is fill in `recorded_at` and `seq`, finish the leaf hash, insert the row and
/// extend the Merkle frontier.
fn sqlite_batch(
    conn: &mut rusqlite::Connection,
    keys: &mut KeyFilters,
    logs: &mut BTreeMap<String, SiteLog>,
    events: &[NewEvent],
    now: &str,
) -> Result<Appended, StoreError> {
    // Receipt ids for the whole batch from one read of the OS random source.
    let mut random = vec![0u8; 16 * events.len()];
    getrandom::fill(&mut random).map_err(|e| StoreError::Corrupt(format!("no random source for receipt ids: {e}")))?;
    let tx = write::begin(conn)?;
    let mut out: Vec<(Logged, bool)> = Vec::with_capacity(events.len());
    let mut nodes: Vec<(u32, u64, Hash)> = Vec::new();
    let mut canonical = Vec::with_capacity(1024);
    let mut appender = write::Appender::new(&tx)?;
    let mut counts = write::Counts::default();
    for (ev, random) in events.iter().zip(random.chunks_exact(16)) {
        let site = &ev.record.site;
        let log = logs.get_mut(site).ok_or_else(|| StoreError::Corrupt(format!("no log for site {site}")))?;
        let receipt_id = *uuid::Builder::from_random_bytes(random.try_into().expect("16 bytes")).into_uuid().as_bytes();
        let seq = log.frontier.size() + 1;
        // Never before the previous record (see `SiteLog::last_time`).
        if now > log.last_time.as_str() {
            log.last_time = now.to_owned();
        }
        let leaf = ev.canonical.place(&log.last_time, seq, &mut canonical);
        debug_assert_eq!(
            canonical,
            kelisim_shared::canonical::ConsentRecord { seq, recorded_at: log.last_time.clone(), ..ev.record.clone() }
                .canonical_bytes()
        );
        // Idempotency on (consent_id, event_id), by generation (`store::keys`). The older
        // generations first: only those whose filter may hold the key are looked up.
        load_keys(&tx, keys, log.site_no)?;
        let gen = gen_of(seq);
        let key = keys.hash(&ev.consent_id, &ev.event_id);
        let mut older = None;
        for g in keys.older_holding(log.site_no, gen, key) {
            older = write::logged_in_gen(&tx, log.site_no, g, &ev.consent_id, &ev.event_id)?;
            if older.is_some() {
                break;
            }
        }
        if let Some(existing) = older {
            out.push((existing, false));
            continue;
        }
        // Then the newest by inserting: its unique index is the check, so a new event costs one
        // descent into it, and only a repeated one is looked up.
        match appender.insert_event(log.site_no, ev, seq, &log.last_time, &receipt_id, &canonical, &leaf) {
            Ok(()) => keys.add(log.site_no, gen, key),
            Err(e) if e.is_unique_violation() => {
                let existing = write::logged_in_gen(&tx, log.site_no, gen, &ev.consent_id, &ev.event_id)?
                    .ok_or_else(|| StoreError::Corrupt(format!("site {site}: seq {seq} is taken by another event")))?;
                out.push((existing, false));
                continue;
            }
            Err(e) => return Err(e),
        }
        nodes.clear();
        log.frontier.append(leaf, |level, index, hash| {
            if level >= super::MIN_STORED_LEVEL {
                nodes.push((level, index, *hash));
            }
        });
        for (level, index, hash) in &nodes {
            appender.insert_node(log.site_no, *level, *index, hash)?;
        }
        counts.add(log.site_no, &log.last_time, ev);
        out.push((Logged { receipt_id, seq, recorded_at: log.last_time.clone(), leaf }, true));
    }
    drop(appender);
    counts.write(&tx)?;
    let committing = Instant::now();
    // Writes the batch's pages to the WAL and fsyncs it (synchronous=FULL).
    tx.commit()?;
    Ok((out, committing.elapsed()))
}
