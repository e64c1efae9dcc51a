//! The log writer: one thread owns the only write connection. Requests hand it events through
//! a bounded queue; it takes whatever is queued (up to a batch limit), writes it in one
//! `BEGIN IMMEDIATE … COMMIT` (WAL, `synchronous=FULL`: one fsync for the whole batch — group
//! commit), and only then answers each request. The server never acknowledges an event before
//! the transaction holding it is on disk.
//!
//! With `deferred_sync` (what `kelisim serve` uses) the batch is committed with
//! `synchronous=NORMAL` and the fsync of the WAL runs on the [`Syncer`] thread, which answers the
//! batch's requests only after it: the same guarantee as `synchronous=FULL` (SQLite's FULL is
//! exactly "fsync the WAL at commit"), but the writer inserts the next batch while the disk
//! syncs the previous one, and one fsync covers every batch committed before it. SQLite still
//! syncs the WAL before each checkpoint and its header when the WAL is reused, and WAL recovery
//! keeps only an unbroken prefix of valid frames, so a durable commit frame means every earlier
//! transaction is durable too. Checkpoint signing and the purge switch back to FULL for their
//! own transactions: a signed checkpoint is never visible before it is on disk.
//!
//! It also keeps each site's Merkle frontier in memory (O(log n) per append, written through to
//! `merkle_nodes` in the same transaction), signs checkpoints every interval when a log grew
//! and on demand, and runs the retention purge.

use super::{SiteLog, WriterConfig};
use crate::clock;
use crate::metrics::Metrics;
use crate::store::read::StoredCheckpoint;
use crate::store::{write, NewEvent, Receipt, StoreError};
use kelisim_shared::checkpoint::{Checkpoint, LogKey};
use kelisim_shared::merkle::{leaf_hash, Hash};
use rusqlite::{Connection, TransactionBehavior};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

pub type AppendReply = oneshot::Sender<Result<(Receipt, bool), StoreError>>;

pub enum Job {
    Append { ev: NewEvent, reply: AppendReply },
    /// Sign a checkpoint for every site now, even if its log did not grow (export, CLI).
    Checkpoint { reply: oneshot::Sender<Result<Vec<StoredCheckpoint>, StoreError>> },
    /// Check that the database takes a write (health check).
    Ping { reply: oneshot::Sender<Result<(), StoreError>> },
}

/// Events purged per transaction, so a large purge never holds the writer for long.
const PURGE_CHUNK: usize = 5_000;

pub struct LogWriter {
    pub conn: Connection,
    pub key: LogKey,
    pub logs: BTreeMap<String, SiteLog>,
    pub cfg: WriterConfig,
    pub metrics: Arc<Metrics>,
    pub syncer: Option<Syncer>,
}

type Answered = Vec<(AppendReply, Result<(Receipt, bool), StoreError>)>;

/// Makes committed batches durable (fsync of the WAL) on its own thread, then answers them.
pub struct Syncer {
    tx: std::sync::mpsc::Sender<Answered>,
}

impl Syncer {
    pub fn start(wal: std::path::PathBuf) -> Result<Syncer, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel::<Answered>();
        std::thread::Builder::new()
            .name("kelisim-log-sync".into())
            .spawn(move || {
                while let Ok(mut answers) = rx.recv() {
                    // Everything committed so far is covered by one fsync.
                    while let Ok(more) = rx.try_recv() {
                        answers.extend(more);
                    }
                    // Reopened each time: SQLite may replace the WAL file, never our handle's.
                    let synced = std::fs::File::open(&wal).and_then(|f| f.sync_data());
                    if let Err(e) = &synced {
                        tracing::error!(error = %e, "fsync of the WAL failed: answering the batch with an error");
                    }
                    for (reply, result) in answers {
                        let _ = reply.send(match &synced {
                            Ok(()) => result,
                            Err(e) => Err(StoreError::Sync(std::io::Error::new(e.kind(), e.to_string()))),
                        });
                    }
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start the log sync thread: {e}")))?;
        Ok(Syncer { tx })
    }
}

impl LogWriter {
    pub fn run(mut self, rx: Receiver<Job>) {
        let mut next_checkpoint = Instant::now() + self.cfg.checkpoint_interval;
        let mut next_purge = Instant::now() + self.cfg.purge_interval;
        loop {
            let now = Instant::now();
            let wait = next_checkpoint.min(next_purge).saturating_duration_since(now);
            let first = match rx.recv_timeout(wait) {
                Ok(job) => Some(job),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if let Some(first) = first {
                self.handle(first, &rx);
            }
            let now = Instant::now();
            if now >= next_checkpoint {
                if let Err(e) = self.checkpoint(false) {
                    tracing::error!(error = %e, "signing periodic checkpoints failed");
                }
                next_checkpoint = now + self.cfg.checkpoint_interval;
            }
            if now >= next_purge {
                self.purge_logged();
                next_purge = now + self.cfg.purge_interval;
            }
        }
        // The server is stopping: leave a checkpoint of everything committed.
        if let Err(e) = self.checkpoint(false) {
            tracing::error!(error = %e, "signing the final checkpoints failed");
        }
    }

    /// Handles one job; an append takes every append queued behind it into the same batch.
    fn handle(&mut self, first: Job, rx: &Receiver<Job>) {
        let mut batch = Vec::new();
        let mut others = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Append { ev, reply } => {
                    self.metrics.queue_depth.fetch_sub(1, Relaxed);
                    batch.push((ev, reply));
                }
                other => others.push(other),
            }
            if batch.len() < self.cfg.max_batch {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            self.commit_batch(batch);
        }
        for job in others {
            match job {
                Job::Checkpoint { reply } => {
                    let _ = reply.send(self.checkpoint(true));
                }
                Job::Ping { reply } => {
                    let _ = reply.send(self.ping());
                }
                Job::Append { .. } => unreachable!("appends are batched above"),
            }
        }
    }

    pub(super) fn commit_batch(&mut self, batch: Vec<(NewEvent, AppendReply)>) {
        let snapshot: Vec<(String, SiteLog)> = {
            let touched: std::collections::BTreeSet<&str> = batch.iter().map(|(e, _)| e.record.site.as_str()).collect();
            touched.into_iter().filter_map(|s| self.logs.get(s).map(|l| (s.to_owned(), l.clone()))).collect()
        };
        let started = Instant::now();
        let events: Vec<&NewEvent> = batch.iter().map(|(e, _)| e).collect();
        match try_batch(&mut self.conn, &mut self.logs, &events) {
            Ok(results) => {
                self.metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
                self.metrics.batch_size.observe(batch.len() as f64);
                let created = results.iter().filter(|(_, c)| *c).count() as u64;
                self.metrics.events_recorded.fetch_add(created, Relaxed);
                self.metrics.events_duplicate.fetch_add(results.len() as u64 - created, Relaxed);
                for (site, _) in &snapshot {
                    self.metrics.set_log_records(site, self.logs[site].frontier.size());
                }
                let answers: Answered = batch.into_iter().zip(results).map(|((_, reply), r)| (reply, Ok(r))).collect();
                match &self.syncer {
                    Some(s) => {
                        if let Err(std::sync::mpsc::SendError(answers)) = s.tx.send(answers) {
                            for (reply, _) in answers {
                                let _ = reply.send(Err(StoreError::WriterGone));
                            }
                        }
                    }
                    // synchronous=FULL: COMMIT itself fsynced.
                    None => {
                        for (reply, r) in answers {
                            let _ = reply.send(r);
                        }
                    }
                }
            }
            Err(e) => {
                // Nothing of the batch is committed: restore the frontiers as they were.
                for (site, log) in snapshot {
                    self.logs.insert(site, log);
                }
                if batch.len() == 1 {
                    tracing::error!(error = %e, "committing a consent event failed");
                    let (_, reply) = batch.into_iter().next().expect("one");
                    let _ = reply.send(Err(e));
                } else {
                    // One bad event must not fail the others: retry each on its own.
                    tracing::warn!(error = %e, size = batch.len(), "a batch failed; committing its events one by one");
                    for one in batch {
                        self.commit_batch(vec![one]);
                    }
                }
            }
        }
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("CREATE TEMP TABLE IF NOT EXISTS healthz (x)", [])?;
        tx.execute("INSERT INTO healthz VALUES (1)", [])?;
        tx.rollback()?;
        Ok(())
    }

    /// Signs a checkpoint for each site whose log grew since its last one (or for every site
    /// when `force`), all in one transaction.
    pub fn checkpoint(&mut self, force: bool) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let due: Vec<&String> = self
            .logs
            .iter()
            .filter(|(_, l)| force || l.checkpointed.map_or(l.frontier.size() > 0, |c| c != l.frontier.size()))
            .map(|(s, _)| s)
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let time = clock::now_rfc3339();
        self.full_sync(true)?;
        let made = self.sign_checkpoints(&due.into_iter().cloned().collect::<Vec<_>>(), &time);
        self.full_sync(false)?;
        let made = made?;
        for cp in &made {
            if let Some(l) = self.logs.get_mut(&cp.site) {
                l.checkpointed = Some(cp.tree_size);
            }
            tracing::debug!(site = %cp.site, size = cp.tree_size, "signed a checkpoint");
        }
        self.metrics.checkpoints_signed.fetch_add(made.len() as u64, Relaxed);
        Ok(made)
    }

    /// `synchronous=FULL` for a transaction that must be on disk before anyone can read it.
    fn full_sync(&self, on: bool) -> Result<(), StoreError> {
        if self.syncer.is_some() {
            self.conn.pragma_update(None, "synchronous", if on { "FULL" } else { "NORMAL" })?;
        }
        Ok(())
    }

    fn sign_checkpoints(&mut self, due: &[String], time: &str) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut made = Vec::new();
        for site in due {
            let log = &self.logs[site];
            let cp = Checkpoint { origin: self.key.origin(site), size: log.frontier.size(), root: log.frontier.root(), time: time.to_owned() };
            let note = self.key.sign(&cp);
            let key_id = self.key.key_id_hex();
            write::insert_checkpoint(&tx, site, &cp, &key_id, &note)?;
            made.push(StoredCheckpoint { site: site.clone(), tree_size: cp.size, root: cp.root, signed_at: time.to_owned(), key_id, note });
        }
        tx.commit()?;
        Ok(made)
    }

    fn purge_logged(&mut self) {
        match self.purge(time::OffsetDateTime::now_utc()) {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "retention purge removed the personal fields of expired events"),
            Err(e) => tracing::error!(error = %e, "the retention purge failed"),
        }
    }

    /// The retention purge of every site, as of `now` (see [`write::purge_expired`]).
    pub fn purge(&mut self, now: time::OffsetDateTime) -> Result<usize, StoreError> {
        self.full_sync(true)?;
        let r = self.purge_all(now);
        self.full_sync(false)?;
        r
    }

    fn purge_all(&mut self, now: time::OffsetDateTime) -> Result<usize, StoreError> {
        let mut total = 0;
        for (site, days) in self.cfg.retention.clone() {
            let before = clock::rfc3339(now - time::Duration::days(i64::from(days)));
            loop {
                let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let n = write::purge_expired(&tx, &site, &before, PURGE_CHUNK)?;
                tx.commit()?;
                total += n;
                if n < PURGE_CHUNK {
                    break;
                }
            }
        }
        self.metrics.events_purged.fetch_add(total as u64, Relaxed);
        Ok(total)
    }
}

/// Writes a batch in one transaction; on success returns each event's receipt and whether it
/// is new. Idempotency holds inside the batch too: a second event with the same `event_id`
/// gets the first one's receipt.
fn try_batch(
    conn: &mut Connection,
    logs: &mut BTreeMap<String, SiteLog>,
    events: &[&NewEvent],
) -> Result<Vec<(Receipt, bool)>, StoreError> {
    let now = clock::now_rfc3339();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    let mut out: Vec<(Receipt, bool)> = Vec::with_capacity(events.len());
    let mut nodes: Vec<(u32, u64, Hash)> = Vec::new();
    for ev in events {
        let r = &ev.record;
        if let Some(&i) = seen.get(&(r.site.as_str(), r.event_id.as_str())) {
            out.push((out[i].0.clone(), false));
            continue;
        }
        let log = logs.get_mut(&r.site).ok_or_else(|| StoreError::Corrupt(format!("no log for site {}", r.site)))?;
        let mut record = r.clone();
        record.seq = log.frontier.size() + 1;
        record.recorded_at = now.clone();
        let canonical = record.canonical_bytes();
        let leaf = leaf_hash(&canonical);
        // Insert first: the unique index on (site, event_id) is the idempotency check, so a new
        // event costs one index descent, and only a repeated one is looked up.
        match write::insert_event(&tx, &ev.receipt_id, &record, &canonical, &leaf) {
            Ok(()) => {}
            Err(StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                let existing = write::receipt_by_event_id(&tx, &r.site, &r.event_id)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("site {}: seq {} is taken by another event", r.site, record.seq))
                })?;
                out.push((existing, false));
                continue;
            }
            Err(e) => return Err(e),
        }
        nodes.clear();
        log.frontier.append(leaf, |level, index, hash| nodes.push((level, index, *hash)));
        for (level, index, hash) in &nodes {
            write::insert_node(&tx, &record.site, *level, *index, hash)?;
        }
        seen.insert((r.site.as_str(), r.event_id.as_str()), out.len());
        out.push((
            Receipt {
                receipt_id: ev.receipt_id.clone(),
                consent_id: record.consent_id,
                seq: record.seq,
                recorded_at: record.recorded_at,
                leaf_hash: hex::encode(leaf),
            },
            true,
        ));
    }
    tx.commit()?;
    Ok(out)
}
