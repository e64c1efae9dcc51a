//! The log writer: one thread owns the only write connection. Requests hand it events through
//! a bounded queue; it takes whatever is queued (up to a batch limit), writes it in one
//! `BEGIN IMMEDIATE … COMMIT` (WAL, `synchronous=FULL`: SQLite fsyncs the WAL inside `COMMIT`,
//! one fsync for the whole batch — group commit), and only then answers each request. The
//! server never acknowledges an event before the transaction holding it is on disk.
//!
//! While `COMMIT` waits for the disk, new events wait in the queue; the next batch is all of
//! them. So there is one commit per fsync, as large as the arrivals during the previous one:
//! few, full WAL pages per event (the writer's main cost). An earlier version committed on
//! this thread with `synchronous=NORMAL` and fsynced the WAL on a second one; it bought nothing
//! once batches waited for the fsync anyway, and cost a thread hand-over per batch
//! (docs/BENCHMARKS.md, "Server").
//!
//! It also keeps each site's Merkle frontier in memory (O(log n) per append, its subtrees from
//! level [`crate::store::MIN_STORED_LEVEL`] up written through to `merkle_subtrees` in the same
//! transaction), signs checkpoints every interval when a log grew and on demand, and runs the
//! retention purge.

use super::{SiteLog, WriterConfig};
use crate::clock;
use crate::metrics::Metrics;
use crate::store::logdb::LogDb;
use crate::store::read::StoredCheckpoint;
use crate::store::write::{Logged, NewEvent};
use crate::store::StoreError;
use kelisim_shared::checkpoint::LogKey;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

/// What an append is answered with.
pub type AppendResult = Result<Appended, StoreError>;

/// An event's answer from the log: its receipt (raw), whether it is new (`false`: its consent
/// id's `event_id` was logged before, and `logged` is that record's), and the event itself,
/// handed back so that it is freed by the request's thread that made it, not by the writer.
pub struct Appended {
    pub logged: Logged,
    pub created: bool,
    pub event: NewEvent,
}

/// A thread's mailbox for answers: the server's request threads each run one task that
/// forwards what arrives here to the waiting requests (`http::api`). A batch's answers then wake
/// each request thread once, not once per request: every cross-thread wake-up is a syscall.
pub type Mailbox = tokio::sync::mpsc::UnboundedSender<(oneshot::Sender<AppendResult>, AppendResult)>;

/// Where an append's answer goes.
pub struct AppendReply {
    tx: oneshot::Sender<AppendResult>,
    mailbox: Option<Mailbox>,
}

impl AppendReply {
    pub fn new(tx: oneshot::Sender<AppendResult>, mailbox: Option<Mailbox>) -> AppendReply {
        AppendReply { tx, mailbox }
    }

    pub fn send(self, result: AppendResult) {
        match self.mailbox {
            Some(m) => {
                if let Err(tokio::sync::mpsc::error::SendError((tx, result))) = m.send((self.tx, result)) {
                    let _ = tx.send(result);
                }
            }
            None => {
                let _ = self.tx.send(result);
            }
        }
    }
}

impl From<oneshot::Sender<AppendResult>> for AppendReply {
    fn from(tx: oneshot::Sender<AppendResult>) -> AppendReply {
        AppendReply { tx, mailbox: None }
    }
}

// `Append` is nearly every job: boxing its event would allocate once more per consent.
#[allow(clippy::large_enum_variant)]
pub enum Job {
    Append {
        event: NewEvent,
        reply: AppendReply,
    },
    /// Sign a checkpoint for every site now, even if its log did not grow (export, CLI).
    Checkpoint {
        reply: oneshot::Sender<Result<Vec<StoredCheckpoint>, StoreError>>,
    },
    /// Record a site's config version and open its log if needed (a reload of `--sites`).
    Configure {
        site: super::SiteConfig,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Check that the database takes a write (health check).
    Ping {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// Events purged per transaction, so a large purge never holds the writer for long.
const PURGE_CHUNK: usize = 5_000;

pub struct LogWriter {
    pub db: Box<dyn LogDb>,
    pub key: LogKey,
    pub logs: BTreeMap<String, SiteLog>,
    pub cfg: WriterConfig,
    pub metrics: Arc<Metrics>,
}

impl LogWriter {
    pub fn run(mut self, rx: Receiver<Job>) {
        let mut next_checkpoint = Instant::now() + self.cfg.checkpoint_interval;
        let mut next_purge = Instant::now() + self.cfg.purge_interval;
        loop {
            let wait = next_checkpoint.min(next_purge).saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(first) => self.handle(first, &rx),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
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
        let mut batch = Vec::with_capacity(self.cfg.max_batch.min(256));
        let mut others = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Append { event, reply } => batch.push((event, reply)),
                other => others.push(other),
            }
            if batch.len() < self.cfg.max_batch {
                next = rx.try_recv().ok();
            }
        }
        self.metrics.queue_depth.fetch_sub(batch.len() as i64, Relaxed);
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
                Job::Configure { site, reply } => {
                    let _ = reply.send(self.configure(site));
                }
                Job::Append { .. } => unreachable!("appends are batched above"),
            }
        }
    }

    /// [`Job::Configure`]: the version recorded, the site's log opened if it is new to this
    /// writer, its retention recorded when it changed.
    fn configure(&mut self, s: super::SiteConfig) -> Result<(), StoreError> {
        let site = s.config.site.clone();
        self.db.record_config(&s.config, &s.config_json, &clock::now_rfc3339())?;
        match self.logs.get(&site) {
            Some(log) => super::audit::Retention::register(&mut *self.db, log.site_no, s.retention_days)?,
            None => {
                let verifier = self.key.verifier();
                let log = super::open_site_log(&mut *self.db, &site, &verifier, Some(s.retention_days), &self.metrics)?;
                self.cfg.retention.push((site.clone(), s.retention_days));
                self.logs.insert(site, log);
            }
        }
        Ok(())
    }

    pub(super) fn commit_batch(&mut self, batch: Vec<(NewEvent, AppendReply)>) {
        self.commit_batch_at(batch, None)
    }

    /// [`LogWriter::commit_batch`] with the records' time given (`None`: now). Only tests give
    /// one: the retention purge is bounded by the database's own clock (migration 8), so a test
    /// of it needs records made in the past.
    pub(super) fn commit_batch_at(&mut self, batch: Vec<(NewEvent, AppendReply)>, at: Option<&str>) {
        let snapshot: Vec<(String, SiteLog)> = {
            let touched: std::collections::BTreeSet<&str> = batch.iter().map(|(e, _)| e.record.site.as_str()).collect();
            touched.into_iter().filter_map(|s| self.logs.get(s).map(|l| (s.to_owned(), l.clone()))).collect()
        };
        let began = Instant::now();
        let (events, replies): (Vec<NewEvent>, Vec<AppendReply>) = batch.into_iter().unzip();
        let now = at.map_or_else(clock::now_rfc3339, str::to_owned);
        match self.db.append(&mut self.logs, &events, &now) {
            Ok((results, commit)) => {
                self.metrics.sync_seconds.observe(commit.as_secs_f64());
                self.metrics.batch_size.observe(events.len() as f64);
                let created = results.iter().filter(|(_, c)| *c).count() as u64;
                self.metrics.events_recorded.fetch_add(created, Relaxed);
                self.metrics.events_duplicate.fetch_add(results.len() as u64 - created, Relaxed);
                for (site, _) in &snapshot {
                    self.metrics.set_log_records(site, self.logs[site].frontier.size());
                }
                // The commit was durable when it returned (SQLite: synchronous=FULL fsynced the
                // WAL; PostgreSQL: synchronous_commit).
                self.metrics.commit_seconds.observe(began.elapsed().as_secs_f64());
                for ((reply, (logged, created)), event) in replies.into_iter().zip(results).zip(events) {
                    reply.send(Ok(Appended { logged, created, event }));
                }
            }
            Err(e) => {
                // Nothing of the batch is committed: restore the frontiers as they were.
                for (site, log) in snapshot {
                    self.logs.insert(site, log);
                }
                if replies.len() == 1 {
                    tracing::error!(error = %e, "committing a consent event failed");
                    let reply = replies.into_iter().next().expect("one");
                    reply.send(Err(e));
                } else {
                    // One bad event must not fail the others: retry each on its own.
                    tracing::warn!(error = %e, size = replies.len(), "a batch failed; committing its events one by one");
                    for one in events.into_iter().zip(replies) {
                        self.commit_batch_at(vec![one], at);
                    }
                }
            }
        }
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        self.db.ping()
    }

    /// Signs a checkpoint for each site whose log grew since its last one (or for every site
    /// when `force`), all in one transaction. With a log other writers share (PostgreSQL),
    /// every site is asked: its log may have grown through another instance, and the database
    /// says whether a checkpoint of its current size exists.
    pub fn checkpoint(&mut self, force: bool) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let shared = self.db.shared();
        let due: Vec<String> = self
            .logs
            .iter()
            .filter(|(_, l)| {
                force || shared || l.checkpointed.map_or(l.frontier.size() > 0, |c| c != l.frontier.size())
            })
            .map(|(s, _)| s.clone())
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let time = clock::now_rfc3339();
        let made = self.db.sign_checkpoints(&self.key, &mut self.logs, &due, &time, force)?;
        for cp in &made {
            tracing::debug!(site = %cp.site, size = cp.tree_size, "signed a checkpoint");
        }
        self.metrics.checkpoints_signed.fetch_add(made.len() as u64, Relaxed);
        Ok(made)
    }

    fn purge_logged(&mut self) {
        match self.purge() {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "retention purge removed the personal fields of expired events"),
            Err(e) => tracing::error!(error = %e, "the retention purge failed"),
        }
    }

    /// The retention purge of every site, now (see [`crate::store::write::purge_expired`]): each record
    /// once the retention in force when it was made has passed (`log_retention`, the history
    /// the database itself enforces, migration 8).
    pub fn purge(&mut self) -> Result<usize, StoreError> {
        let mut total = 0;
        let sites: Vec<(String, i64)> = self.logs.iter().map(|(s, l)| (s.clone(), l.site_no)).collect();
        for (site, site_no) in sites {
            let mut retention = super::audit::Retention::default();
            self.db.read(&mut |r| {
                retention = super::audit::Retention::load(r, site_no)?;
                Ok(())
            })?;
            let Some(before) = retention.purge_cutoff(time::OffsetDateTime::now_utc()) else { continue };
            loop {
                let n = self.db.purge_expired(&site, site_no, &before, PURGE_CHUNK)?;
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
