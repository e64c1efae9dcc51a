//! The verifiable consent log (domain; knows nothing of HTTP): the writer thread that commits
//! events in groups, each site's Merkle frontier, signed checkpoints, proofs for receipts, and
//! the signing key. RFC 6962 hashing and proofs live in `kelisim_shared::merkle`, the
//! checkpoint format in `kelisim_shared::checkpoint`.

pub mod audit;
pub mod key;
pub mod proofs;
mod writer;

use crate::metrics::Metrics;
use crate::store::logdb::LogDb;
use crate::store::logread::{self, LogRead, TreeOf};
use crate::store::read::StoredCheckpoint;
use crate::store::{write, StoreError};
use kelisim_shared::checkpoint::{LogKey, VerifierKey};
use kelisim_shared::merkle::root_at;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
pub use writer::{AppendResult, Appended, Mailbox};
use writer::{Job, LogWriter};

#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// Events that may wait for the writer; beyond it, requests are refused (503), never queued
    /// without bound.
    pub queue: usize,
    /// Most events per transaction.
    pub max_batch: usize,
    /// A checkpoint is signed this often for each site whose log grew.
    pub checkpoint_interval: Duration,
    pub purge_interval: Duration,
    /// `retention_days` per site (site file).
    pub retention: Vec<(String, u32)>,
}

impl Default for WriterConfig {
    fn default() -> WriterConfig {
        WriterConfig {
            queue: 8192,
            max_batch: 1024,
            checkpoint_interval: Duration::from_secs(60),
            purge_interval: Duration::from_secs(3600),
            retention: Vec::new(),
        }
    }
}

pub use crate::store::logdb::SiteLog;

/// Loads a site's log and checks it against its last signed checkpoint: the stored tree must
/// still have that checkpoint's root at that size, or the log was altered behind the server.
fn load_site(r: &mut dyn LogRead, site: &str, site_no: i64) -> Result<SiteLog, StoreError> {
    let frontier = logread::load_frontier(r, site, site_no)?;
    let last = r.latest_checkpoint(site)?;
    if let Some(cp) = &last {
        if cp.tree_size > frontier.size() {
            return Err(StoreError::Corrupt(format!(
                "site {site}: the log has {} events but checkpoint of {} signed it with {} events",
                frontier.size(),
                cp.signed_at,
                cp.tree_size
            )));
        }
        if root_at(&mut TreeOf { r: &mut *r, site, site_no }, cp.tree_size)? != cp.root {
            return Err(StoreError::Corrupt(format!(
                "site {site}: the stored log no longer has the root signed in the checkpoint of {} (size {})",
                cp.signed_at, cp.tree_size
            )));
        }
    }
    let last_time = r.last_recorded_at(site_no)?.unwrap_or_default();
    Ok(SiteLog { site_no, frontier, checkpointed: last.map(|c| c.tree_size), last_time })
}

/// Why an event could not be handed to the writer.
#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The queue is full: the caller should retry shortly.
    Full,
    /// The writer thread has stopped.
    Gone,
}

/// What the writer records of a site's config version ([`Writer::configure`]).
pub struct SiteConfig {
    pub config: kelisim_shared::config::Config,
    /// The config's canonical JSON, stored as the version's body.
    pub config_json: String,
    pub retention_days: u32,
}

/// Opens a site's log for the writer: registers the site, checks what was logged since its last
/// verification ([`audit::verify_site`]; nothing is signed over a log that fails), records its
/// retention, loads its frontier and reads what the idempotency check needs.
pub(crate) fn open_site_log(
    db: &mut dyn LogDb,
    site: &str,
    verifier: &VerifierKey,
    retention: Option<u32>,
    metrics: &Metrics,
) -> Result<SiteLog, StoreError> {
    let site_no = db.register_site(site)?;
    let mut opened = None;
    db.read(&mut |r| {
        let audited = audit::verify_site(r, site, verifier, false).map_err(|e| {
            StoreError::Corrupt(format!(
                "the consent log fails verification: {e}. Nothing was signed over it; `kelisim log verify` checks the whole log"
            ))
        })?;
        opened = Some((audited, load_site(r, site, site_no)?));
        Ok(())
    })?;
    let (audited, log) = opened.ok_or_else(|| StoreError::Corrupt(format!("site {site}: its log was not read")))?;
    db.save_verified(site_no, &audited.frontier, &crate::clock::now_rfc3339())?;
    if audited.checked > 0 {
        tracing::info!(site = %site, records = audited.checked, "verified the records logged since the last check");
    }
    if let Some(days) = retention {
        audit::Retention::register(db, log.site_no, days)?;
    }
    db.prepare_keys(log.site_no, log.frontier.size())?;
    metrics.set_log_records(site, log.frontier.size());
    Ok(log)
}

/// The handle requests use to reach the log writer.
pub struct Writer {
    tx: SyncSender<Job>,
    metrics: Arc<Metrics>,
    verifier: VerifierKey,
    /// A second handle on the log key, for what is signed outside the writer thread (an
    /// export's list of files).
    signer: Arc<LogKey>,
}

impl Writer {
    /// Checks every site's log record by record from where it was last verified
    /// ([`audit::verify_site`]; nothing is signed over a log that fails) and records the
    /// retention of the sites `cfg` gives one, loads each log, signs a checkpoint for logs that
    /// grew since their last one (after a crash, the first thing done is to sign what
    /// survived), runs a retention purge, and starts the writer thread.
    pub fn start(
        mut db: Box<dyn LogDb>,
        key: LogKey,
        sites: &[String],
        cfg: WriterConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Writer, StoreError> {
        let mut logs = BTreeMap::new();
        let verifier = key.verifier();
        for site in sites {
            let retention = cfg.retention.iter().find(|(s, _)| s == site).map(|(_, d)| *d);
            let log = open_site_log(&mut *db, site, &verifier, retention, &metrics)?;
            logs.insert(site.clone(), log);
        }
        let signer = Arc::new(
            LogKey::from_private_text(&key.to_private_text())
                .map_err(|e| StoreError::Corrupt(format!("the log key does not read back: {e}")))?,
        );
        let (tx, rx) = sync_channel(cfg.queue);
        let mut w = LogWriter { db, key, logs, cfg, metrics: metrics.clone() };
        w.checkpoint(false)?;
        w.purge()?;
        std::thread::Builder::new()
            .name("kelisim-log-writer".into())
            .spawn(move || w.run(rx))
            .map_err(|e| StoreError::Corrupt(format!("cannot start the log writer thread: {e}")))?;
        Ok(Writer { tx, metrics, verifier, signer })
    }

    /// Queues an event; the receiver answers once its batch is committed (or failed).
    /// With a `mailbox`, the answer goes through it (see [`Mailbox`]).
    pub fn append(
        &self,
        event: write::NewEvent,
        mailbox: Option<Mailbox>,
    ) -> Result<oneshot::Receiver<AppendResult>, SubmitError> {
        let (tx, rx) = oneshot::channel();
        let reply = writer::AppendReply::new(tx, mailbox);
        self.metrics.queue_depth.fetch_add(1, Relaxed);
        match self.tx.try_send(Job::Append { event, reply }) {
            Ok(()) => Ok(rx),
            Err(e) => {
                self.metrics.queue_depth.fetch_sub(1, Relaxed);
                Err(match e {
                    TrySendError::Full(_) => SubmitError::Full,
                    TrySendError::Disconnected(_) => SubmitError::Gone,
                })
            }
        }
    }

    /// A site's config version, new or changed while the server runs (`Ingest::reload`): the
    /// writer records the version, opens the site's log if it has none open (checked as at
    /// start) and records its retention. Waits for the writer.
    pub fn configure(&self, site: SiteConfig) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::Configure { site, reply }).map_err(|_| StoreError::WriterGone)?;
        rx.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Signs a checkpoint of every site's log now (for an export); waits for the writer.
    pub fn checkpoint_now(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::Checkpoint { reply }).map_err(|_| StoreError::WriterGone)?;
        rx.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Whether the writer runs and the database takes a write; `Full` when it is too busy to say.
    pub fn ping(&self) -> Result<oneshot::Receiver<Result<(), StoreError>>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx.try_send(Job::Ping { reply }).map_err(|e| match e {
            TrySendError::Full(_) => SubmitError::Full,
            TrySendError::Disconnected(_) => SubmitError::Gone,
        })?;
        Ok(rx)
    }

    /// The log's key, to sign with outside the writer (an export's list of files).
    pub fn signer(&self) -> &LogKey {
        &self.signer
    }

    /// The public key that checks this server's checkpoints.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }
}

/// Signs a checkpoint of every site's log now, from outside a running server (`kelisim log
/// checkpoint`, and what an export run from the command line calls before it reads the log).
/// Safe beside a running server: it appends nothing, and SQLite serializes the two writers.
pub fn checkpoint_all(
    store: &crate::store::Store,
    db: Box<dyn LogDb>,
    key: LogKey,
) -> Result<Vec<StoredCheckpoint>, StoreError> {
    let mut sites: Vec<String> = store.config_versions()?.into_iter().map(|(s, _, _)| s).collect();
    sites.sort();
    sites.dedup();
    let writer = Writer::start(db, key, &sites, WriterConfig::default(), Arc::new(Metrics::default()))?;
    writer.checkpoint_now()
}

#[cfg(test)]
mod tests;
