//! Appending to a site's log and signing its checkpoints on PostgreSQL, from any number of
//! instances at once (docs/postgres.md, "Sequencing").
//!
//! A batch is one transaction. It locks the head row of each site it touches (`log_heads`, in
//! site-number order, so two instances never wait on each other in a cycle), and the head says
//! where the log ends: when it is not where this instance's cached Merkle frontier ends, another
//! instance appended since, and the frontier is read again from the stored subtrees (O(log n)).
//! Under the lock the batch finds which of its events were logged before (idempotency across
//! instances: no other transaction can append to the site meanwhile), places the new ones at
//! consecutive `seq`s, and writes them, their completed subtrees, the dashboard's counts and
//! the new heads. Four round trips whatever the batch's size and its number of sites: BEGIN
//! with the locks, the ids already logged, one statement with every write (arrays through
//! `unnest`, data-modifying CTEs), COMMIT. `COMMIT` returns once the transaction is durable (`synchronous_commit` on, the
//! default; docs/postgres.md says what a synchronous standby adds); only then are the requests
//! answered. If anything fails, nothing of the batch is committed and the cached frontiers are
//! left as they were.

use super::read::PgRead;
use super::{head, load_frontier, register_site, PgSubtrees};
use crate::store::keys::{gen_of, KeyFilters};
use crate::store::logdb::SiteLog;
use crate::store::logdb::{Appended, LogDb};
use crate::store::logread::LogRead;
use crate::store::read::StoredCheckpoint;
use crate::store::write::{Counts, Logged, NewEvent};
use crate::store::{StoreError, MIN_STORED_LEVEL};
use kelisim_shared::checkpoint::{Checkpoint, LogKey};
use kelisim_shared::config::Config;
use kelisim_shared::merkle::{root_at, Frontier, Hash};
use postgres::Client;
use std::collections::{BTreeMap, HashMap};

/// One site's log as an instance caches it between batches: the writer's [`SiteLog`]. The
/// database's head is the truth; the cache only saves reading the frontier again when nobody
/// else appended.
pub type PgSiteLog = SiteLog;

impl SiteLog {
    /// Registers the site if it is new and reads its log's head, frontier and last checkpoint.
    pub fn open(c: &mut Client, site: &str) -> Result<SiteLog, StoreError> {
        let site_no = register_site(c, site)?;
        let (size, last_time) = head(c, site_no)?;
        let frontier = load_frontier(c, site, site_no, size)?;
        let checkpointed: Option<i64> =
            c.query_one("SELECT MAX(tree_size) FROM checkpoints WHERE site = $1", &[&site])?.get(0);
        Ok(SiteLog { site_no, frontier, checkpointed: checkpointed.map(|n| n as u64), last_time })
    }
}

/// The statements a batch runs, prepared once per connection: a statement sent as text is
/// parsed and planned by PostgreSQL on every call and costs the client a second round trip
/// (docs/BENCHMARKS.md, "Where the time goes").
pub struct Statements {
    known: postgres::Statement,
    write: postgres::Statement,
}

impl Statements {
    pub fn prepare(c: &mut Client) -> Result<Statements, StoreError> {
        // A plan for the values of each call: after five calls PostgreSQL may switch a
        // prepared statement to one generic plan, and for the join of the batch's ids
        // (`unnest` of an array it cannot see) that plan scans the whole log (measured: 750–1,475
        // POST/s instead of 6,000–28,000 within seconds of load). Planning is cheap next to the
        // round trip it saves.
        c.batch_execute("SET plan_cache_mode = force_custom_plan")?;
        Ok(Statements {
            known: c.prepare(
                "SELECT e.site_no, e.consent_id, e.event_id, e.receipt_id, e.seq, e.recorded_at, e.leaf_hash
                 FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS k (site_no, gen, consent_id, event_id)
                 JOIN events e ON e.site_no = k.site_no AND (e.seq >> 20) = k.gen AND e.consent_id = k.consent_id
                     AND e.event_id = k.event_id",
            )?,
            // Everything a batch writes, for all its sites, in one statement: the records, the
            // subtrees they complete, the dashboard's counts and the heads.
            write: c.prepare(
                "WITH e AS (
                     INSERT INTO events (site_no, seq, event_id, consent_id, receipt_id, recorded_at, config_version,
                         action, granted, language, gpc, sec_gpc, origin, leaf_hash, canonical)
                     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::boolean[], $13::text[],
                         $14::bytea[], $15::bytea[])
                 ), n AS (
                     INSERT INTO merkle_subtrees (site_no, level, idx, hash)
                     SELECT * FROM unnest($16::bigint[], $17::integer[], $18::bigint[], $19::bytea[])
                 ), c AS (
                     INSERT INTO log_counts (site_no, hour, dim, key, n)
                     SELECT * FROM unnest($20::bigint[], $21::text[], $22::text[], $23::text[], $24::bigint[])
                     ON CONFLICT (site_no, dim, hour, key) DO UPDATE SET n = log_counts.n + excluded.n
                 )
                 UPDATE log_heads h SET size = v.size, last_time = v.last_time
                 FROM unnest($25::bigint[], $26::bigint[], $27::text[]) AS v (site_no, size, last_time)
                 WHERE h.site_no = v.site_no",
            )?,
        })
    }
}

/// What an instance knows of the keys in each log's generations (`store::keys`), and up to
/// which size of the log it knows them: other instances append too, so under a site's head
/// lock a batch first reads the keys of the records they added since ([`PgKeys::sync`]).
#[derive(Default)]
pub struct PgKeys {
    filters: KeyFilters,
    synced: HashMap<i64, u64>,
}

impl PgKeys {
    /// Brings a site's filters up to `size` records (the locked head's): every key on a first
    /// call, then those of the records appended since the last one.
    fn sync(&mut self, c: &mut Client, site_no: i64, size: u64) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let from = match self.synced.get(&site_no) {
            Some(&n) if n <= size => n,
            // First use, or a log shorter than this instance saw (a database restored or
            // failed over to an older state): read everything again.
            _ => {
                self.filters.start(site_no);
                0
            }
        };
        if from < size {
            let started = std::time::Instant::now();
            let mut rows = c.query_raw(
                "SELECT seq, consent_id, event_id FROM events WHERE site_no = $1 AND seq > $2 AND seq <= $3",
                [&site_no as &(dyn postgres::types::ToSql + Sync), &(from as i64), &(size as i64)],
            )?;
            while let Some(r) = rows.next()? {
                self.filters.add_record(site_no, r.get::<_, i64>(0) as u64, r.get(1), r.get(2))?;
            }
            if from == 0 {
                let seconds = started.elapsed().as_secs_f64();
                tracing::info!(site_no, records = size, seconds, "idempotency filters read from the log");
            }
        }
        self.synced.insert(site_no, size);
        Ok(())
    }
}

/// [`append_batch_with`], preparing the statements for this one batch (tests, tools).
pub fn append_batch(
    c: &mut Client,
    logs: &mut BTreeMap<String, PgSiteLog>,
    events: &[NewEvent],
    now: &str,
) -> Result<(Vec<(Logged, bool)>, std::time::Duration), StoreError> {
    let st = Statements::prepare(c)?;
    append_batch_with(c, &st, &mut PgKeys::default(), logs, events, now)
}

/// Writes a batch in one transaction; returns each event's receipt and whether it is new, in
/// the order of `events`. `logs` must hold every site the events name (opened with
/// [`PgSiteLog::open`]); on success their frontiers are the committed ones, on failure they are
/// unchanged.
pub fn append_batch_with(
    c: &mut Client,
    st: &Statements,
    keys: &mut PgKeys,
    logs: &mut BTreeMap<String, PgSiteLog>,
    events: &[NewEvent],
    now: &str,
) -> Result<(Vec<(Logged, bool)>, std::time::Duration), StoreError> {
    let mut random = vec![0u8; 16 * events.len()];
    getrandom::fill(&mut random).map_err(|e| StoreError::Corrupt(format!("no random source for receipt ids: {e}")))?;
    // The events of each site, in the order of `events`; sites in site-number order.
    let mut by_site: BTreeMap<i64, (&str, Vec<usize>)> = BTreeMap::new();
    for (i, ev) in events.iter().enumerate() {
        let site = ev.record.site.as_str();
        let log = logs.get(site).ok_or_else(|| StoreError::Corrupt(format!("no log for site {site}")))?;
        by_site.entry(log.site_no).or_insert((site, Vec::new())).1.push(i);
    }
    if by_site.is_empty() {
        return Ok((Vec::new(), std::time::Duration::ZERO));
    }
    // The transaction is driven by hand so that BEGIN shares a round trip with the heads'
    // locks; on any failure it is rolled back before the error goes up.
    let result = batch_in_transaction(c, st, keys, logs, &by_site, events, &random, now);
    match result {
        Ok((out, updated)) => {
            let committing = std::time::Instant::now();
            let committed = c.batch_execute("COMMIT");
            if let Err(e) = committed {
                // Whether it committed is unknown: the filters are read again next time.
                for (_, log) in &updated {
                    keys.synced.remove(&log.site_no);
                }
                return Err(e.into());
            }
            let took = committing.elapsed();
            for (site, log) in updated {
                keys.synced.insert(log.site_no, log.frontier.size());
                logs.insert(site, log);
            }
            Ok((out, took))
        }
        Err(e) => {
            // A connection that is gone has no transaction left to roll back.
            let _ = c.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

/// A batch's answers, and the sites' logs as they will be once it commits.
type Placed = (Vec<(Logged, bool)>, Vec<(String, PgSiteLog)>);

/// The body of a batch's transaction, three round trips whatever the number of sites: BEGIN
/// with the locks of the sites' heads (the sequencer, held until COMMIT, taken in site-number
/// order), the batch's ids the log already holds, and one statement with every write.
#[allow(clippy::too_many_arguments)]
fn batch_in_transaction(
    c: &mut Client,
    st: &Statements,
    keys: &mut PgKeys,
    logs: &BTreeMap<String, PgSiteLog>,
    by_site: &BTreeMap<i64, (&str, Vec<usize>)>,
    events: &[NewEvent],
    random: &[u8],
    now: &str,
) -> Result<Placed, StoreError> {
    let list = by_site.keys().map(|n| n.to_string()).collect::<Vec<_>>().join(",");
    let mut heads: HashMap<i64, (i64, String)> = HashMap::new();
    for m in c.simple_query(&format!(
        "BEGIN; SELECT site_no, size, last_time FROM log_heads WHERE site_no IN ({list}) ORDER BY site_no FOR UPDATE"
    ))? {
        if let postgres::SimpleQueryMessage::Row(r) = m {
            let field = |i: usize| r.get(i).ok_or_else(|| StoreError::Corrupt("a log head has an empty field".into()));
            let number = |i: usize| {
                field(i)?.parse::<i64>().map_err(|_| StoreError::Corrupt("a log head is not a number".into()))
            };
            heads.insert(number(0)?, (number(1)?, field(2)?.to_owned()));
        }
    }
    // What of this batch the log already holds (a widget's retry, or the same event sent to two
    // instances): read under the locks, so no other transaction can add to it meanwhile. Each
    // key in the generation of the log's last record, and in the older ones whose filter may
    // hold it (`store::keys`), the filters first brought up to the locked size.
    let (mut k_site, mut k_gen, mut k_consent, mut k_event) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut hashes = vec![0u64; events.len()];
    for (&site_no, (_, idx)) in by_site {
        let size = heads.get(&site_no).map_or(0, |h| h.0 as u64);
        keys.sync(c, site_no, size)?;
        let last = gen_of(size);
        for &i in idx {
            let ev = &events[i];
            let h = keys.filters.hash(&ev.consent_id, &ev.event_id);
            hashes[i] = h;
            for g in keys.filters.older_holding(site_no, last, h).into_iter().chain([last]) {
                k_site.push(site_no);
                k_gen.push(g as i64);
                k_consent.push(&ev.consent_id[..]);
                k_event.push(&ev.event_id[..]);
            }
        }
    }
    let mut known: HashMap<(i64, [u8; 16], [u8; 16]), Logged> = HashMap::new();
    for r in c.query(&st.known, &[&k_site, &k_gen, &k_consent, &k_event])? {
        let corrupt = |what: &str| StoreError::Corrupt(format!("a stored {what} has the wrong length"));
        let key = (
            r.get::<_, i64>(0),
            r.get::<_, &[u8]>(1).try_into().map_err(|_| corrupt("consent id"))?,
            r.get::<_, &[u8]>(2).try_into().map_err(|_| corrupt("event id"))?,
        );
        let logged = Logged {
            receipt_id: r.get::<_, &[u8]>(3).try_into().map_err(|_| corrupt("receipt id"))?,
            seq: r.get::<_, i64>(4) as u64,
            recorded_at: r.get(5),
            leaf: r.get::<_, &[u8]>(6).try_into().map_err(|_| corrupt("leaf hash"))?,
        };
        known.insert(key, logged);
    }
    let mut out: Vec<Option<(Logged, bool)>> = vec![None; events.len()];
    let mut updated: Vec<(String, PgSiteLog)> = Vec::new();
    let mut counts = Counts::default();
    let mut rows = EventRows::default();
    let mut nodes = NodeRows::default();
    let mut moved = HeadRows::default();
    let mut canonical = Vec::with_capacity(1024);
    for (&site_no, (site, idx)) in by_site {
        let (size, head_time) =
            heads.remove(&site_no).ok_or_else(|| StoreError::Corrupt(format!("site {site} has no log head")))?;
        let mut log = logs[*site].clone();
        if log.frontier.size() != size as u64 {
            // Another instance appended since this one last did.
            log.frontier = load_frontier(c, site, site_no, size as u64)?;
        }
        if head_time > log.last_time {
            log.last_time = head_time;
        }
        if now > log.last_time.as_str() {
            log.last_time = now.to_owned();
        }
        let before = log.frontier.size();
        for &i in idx {
            let ev = &events[i];
            if let Some(logged) = known.get(&(site_no, ev.consent_id, ev.event_id)) {
                out[i] = Some((logged.clone(), false));
                continue;
            }
            let receipt_id =
                *uuid::Builder::from_random_bytes(random[16 * i..16 * i + 16].try_into().expect("16 bytes"))
                    .into_uuid()
                    .as_bytes();
            let seq = log.frontier.size() + 1;
            let leaf = ev.canonical.place(&log.last_time, seq, &mut canonical);
            rows.push(site_no, ev, seq, &log.last_time, &receipt_id, &canonical, &leaf);
            log.frontier.append(leaf, |level, index, hash| {
                if level >= MIN_STORED_LEVEL {
                    nodes.push(site_no, level, index, hash);
                }
            });
            counts.add(site_no, &log.last_time, ev);
            keys.filters.add(site_no, gen_of(seq), hashes[i]);
            let logged = Logged { receipt_id, seq, recorded_at: log.last_time.clone(), leaf };
            known.insert((site_no, ev.consent_id, ev.event_id), logged.clone());
            out[i] = Some((logged, true));
        }
        if log.frontier.size() > before {
            moved.push(site_no, log.frontier.size(), &log.last_time);
        }
        updated.push((site.to_string(), log));
    }
    if !rows.seq.is_empty() {
        write(c, &st.write, &rows, &nodes, counts, &moved)?;
    }
    Ok((out.into_iter().map(|o| o.expect("every event is answered")).collect(), updated))
}

/// A batch's new records, column by column (one `INSERT … SELECT FROM unnest`).
#[derive(Default)]
struct EventRows<'e> {
    site_no: Vec<i64>,
    seq: Vec<i64>,
    event_id: Vec<&'e [u8]>,
    consent_id: Vec<&'e [u8]>,
    receipt_id: Vec<Vec<u8>>,
    recorded_at: Vec<String>,
    config_version: Vec<&'e str>,
    action: Vec<&'static str>,
    granted: Vec<&'e str>,
    language: Vec<&'static str>,
    gpc: Vec<bool>,
    sec_gpc: Vec<bool>,
    origin: Vec<Option<&'e str>>,
    leaf_hash: Vec<Vec<u8>>,
    canonical: Vec<Vec<u8>>,
}

impl<'e> EventRows<'e> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        site_no: i64,
        ev: &'e NewEvent,
        seq: u64,
        at: &str,
        receipt_id: &[u8; 16],
        canonical: &[u8],
        leaf: &Hash,
    ) {
        let r = &ev.record;
        self.site_no.push(site_no);
        self.seq.push(seq as i64);
        self.event_id.push(&ev.event_id);
        self.consent_id.push(&ev.consent_id);
        self.receipt_id.push(receipt_id.to_vec());
        self.recorded_at.push(at.to_owned());
        self.config_version.push(&r.config_version);
        self.action.push(r.action.as_str());
        self.granted.push(&ev.granted);
        self.language.push(r.language.code());
        self.gpc.push(r.gpc);
        self.sec_gpc.push(r.sec_gpc);
        self.origin.push(r.origin.as_deref());
        self.leaf_hash.push(leaf.to_vec());
        self.canonical.push(canonical.to_vec());
    }
}

/// The subtrees a batch completed (level ≥ [`MIN_STORED_LEVEL`]).
#[derive(Default)]
struct NodeRows {
    site_no: Vec<i64>,
    level: Vec<i32>,
    idx: Vec<i64>,
    hash: Vec<Vec<u8>>,
}

impl NodeRows {
    fn push(&mut self, site_no: i64, level: u32, index: u64, hash: &Hash) {
        self.site_no.push(site_no);
        self.level.push(level as i32);
        self.idx.push(index as i64);
        self.hash.push(hash.to_vec());
    }
}

/// The heads a batch moves on: each site's new size and time of its last record.
#[derive(Default)]
struct HeadRows {
    site_no: Vec<i64>,
    size: Vec<i64>,
    last_time: Vec<String>,
}

impl HeadRows {
    fn push(&mut self, site_no: i64, size: u64, last_time: &str) {
        self.site_no.push(site_no);
        self.size.push(size as i64);
        self.last_time.push(last_time.to_owned());
    }
}

/// Every write of a batch, in one statement ([`Statements`]'s `write`).
fn write(
    c: &mut Client,
    st: &postgres::Statement,
    rows: &EventRows,
    nodes: &NodeRows,
    counts: Counts,
    heads: &HeadRows,
) -> Result<(), StoreError> {
    let (mut site_no, mut hour, mut dim, mut key, mut n) = (vec![], vec![], vec![], vec![], vec![]);
    for ((s, h, d, k), count) in counts.rows() {
        site_no.push(s);
        hour.push(String::from_utf8_lossy(&h).into_owned());
        dim.push(d);
        key.push(k);
        n.push(count);
    }
    c.execute(
        st,
        &[
            &rows.site_no,
            &rows.seq,
            &rows.event_id,
            &rows.consent_id,
            &rows.receipt_id,
            &rows.recorded_at,
            &rows.config_version,
            &rows.action,
            &rows.granted,
            &rows.language,
            &rows.gpc,
            &rows.sec_gpc,
            &rows.origin,
            &rows.leaf_hash,
            &rows.canonical,
            &nodes.site_no,
            &nodes.level,
            &nodes.idx,
            &nodes.hash,
            &site_no,
            &hour,
            &dim,
            &key,
            &n,
            &heads.site_no,
            &heads.size,
            &heads.last_time,
        ],
    )?;
    Ok(())
}

/// Signs a checkpoint of the site's log as committed now, unless one of that size exists
/// (`force`: sign even then, as the SQLite writer does for an export). Any instance may call it
/// at any time: it holds the site's head lock while it reads the size and root and stores the
/// checkpoint, so two instances never sign two roots for one size, and no append lands between
/// the size it reads and the root it signs. Returns the checkpoint it stored, if any.
pub fn sign_checkpoint(
    c: &mut Client,
    key: &LogKey,
    site: &str,
    log: &mut PgSiteLog,
    time: &str,
    force: bool,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let mut tx = c.transaction()?;
    let size: i64 = tx.query_one("SELECT size FROM log_heads WHERE site_no = $1 FOR UPDATE", &[&log.site_no])?.get(0);
    let last: Option<i64> = tx.query_one("SELECT MAX(tree_size) FROM checkpoints WHERE site = $1", &[&site])?.get(0);
    if !force && (size == 0 || last == Some(size)) {
        return Ok(None);
    }
    let mut fresh = log.clone();
    if fresh.frontier.size() != size as u64 {
        fresh.frontier = load_frontier(&mut tx, site, log.site_no, size as u64)?;
    }
    let cp =
        Checkpoint { origin: key.origin(site), size: size as u64, root: fresh.frontier.root(), time: time.to_owned() };
    let note = key.sign(&cp);
    let key_id = key.key_id_hex();
    tx.execute(
        "INSERT INTO checkpoints (site, tree_size, root_hash, signed_at, key_id, note) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&site, &size, &&cp.root[..], &cp.time, &key_id, &note],
    )?;
    tx.commit()?;
    *log = fresh;
    log.checkpointed = Some(size as u64);
    Ok(Some(StoredCheckpoint {
        site: site.to_owned(),
        tree_size: size as u64,
        root: cp.root,
        signed_at: cp.time,
        key_id,
        note,
    }))
}

/// The root of a site's stored tree at `size`, read from the database (proofs, checks).
pub fn stored_root(c: &mut Client, site: &str, site_no: i64, size: u64) -> Result<Hash, StoreError> {
    root_at(&mut PgSubtrees { conn: c, site, site_no }, size)
}

/// Records a site's retention from now on (the site file's `retention_days`), unless it is
/// already the one in force. Under the site's head lock: instances starting at once each find
/// the retention to record, and only the first records it.
pub fn register_retention(c: &mut Client, site_no: i64, days: u32, now: &str) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT 1 FROM log_heads WHERE site_no = $1 FOR UPDATE", &[&site_no])?;
    let last: Option<(String, i32)> = tx
        .query_opt("SELECT since, days FROM log_retention WHERE site_no = $1 ORDER BY since DESC LIMIT 1", &[&site_no])?
        .map(|r| (r.get(0), r.get(1)));
    if last.as_ref().map(|(_, d)| *d) != Some(days as i32) {
        // Read under the lock: another instance may have recorded one since `now` was taken.
        let since = crate::clock::after(now, last.as_ref().map(|(s, _)| s.as_str()));
        tx.execute(
            "INSERT INTO log_retention (site_no, since, days) VALUES ($1, $2, $3)",
            &[&site_no, &since, &(days as i32)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The retention purge of one site, as in the SQLite store (`store::write::purge_expired`): in
/// one transaction, the canonical bytes of at most `limit` of its events recorded before
/// `before` are removed, oldest first, under a `purge_in_progress` marker — the one change the
/// database's trigger lets through, and only for records past their retention by the
/// database's own clock. Returns how many were purged.
pub fn purge_expired(
    c: &mut Client,
    site: &str,
    site_no: i64,
    before: &str,
    limit: usize,
) -> Result<usize, StoreError> {
    let mut tx = c.transaction()?;
    tx.execute("INSERT INTO purge_in_progress (site, before) VALUES ($1, $2)", &[&site, &before])?;
    let n = tx.execute(
        "UPDATE events SET canonical = NULL
         WHERE site_no = $1 AND seq IN (SELECT seq FROM events WHERE site_no = $1 AND recorded_at < $2
                                        AND canonical IS NOT NULL ORDER BY seq LIMIT $3)",
        &[&site_no, &before, &(limit as i64)],
    )?;
    tx.execute("DELETE FROM purge_in_progress WHERE site = $1", &[&site])?;
    tx.commit()?;
    Ok(n as usize)
}

/// The PostgreSQL log for one instance's writer: its own connection (docs/postgres.md), opened
/// again when the server closed it (a restart or failover of PostgreSQL): the batch that found
/// it closed failed (its requests were answered 503 and will be retried), the next one goes on.
pub struct PgLogDb {
    client: Client,
    url: String,
    /// The batch's statements, prepared on `client` (again after a reconnect).
    statements: Option<Statements>,
    keys: PgKeys,
}

impl PgLogDb {
    pub fn new(client: Client, url: &str) -> PgLogDb {
        PgLogDb { client, url: url.to_owned(), statements: None, keys: PgKeys::default() }
    }

    /// The connection, opened again if it was closed.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.is_closed() {
            tracing::warn!("the connection to PostgreSQL was closed; opening a new one");
            self.client = super::connect(&self.url)?;
            self.statements = None;
        }
        Ok(&mut self.client)
    }
}

impl LogDb for PgLogDb {
    fn read(&mut self, f: &mut dyn FnMut(&mut dyn LogRead) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut tx = self
            .client()?
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        f(&mut PgRead(&mut tx))
    }

    fn register_site(&mut self, site: &str) -> Result<i64, StoreError> {
        register_site(self.client()?, site)
    }

    fn record_config(&mut self, config: &Config, body: &str, now: &str) -> Result<(), StoreError> {
        self.client()?.execute(
            "INSERT INTO config_versions (site, version, body, first_seen) VALUES ($1, $2, $3, $4)
             ON CONFLICT (site, version) DO NOTHING",
            &[&config.site, &config.version, &body, &now],
        )?;
        Ok(())
    }

    fn insert_retention(&mut self, site_no: i64, since: &str, days: u32) -> Result<(), StoreError> {
        // Another instance may have recorded the same retention since this one looked.
        register_retention(self.client()?, site_no, days, since)
    }

    fn save_verified(&mut self, site_no: i64, frontier: &Frontier, now: &str) -> Result<(), StoreError> {
        super::read::save_verified(self.client()?, site_no, frontier, now)
    }

    fn append(
        &mut self,
        logs: &mut BTreeMap<String, SiteLog>,
        events: &[NewEvent],
        now: &str,
    ) -> Result<Appended, StoreError> {
        self.client()?;
        if self.statements.is_none() {
            self.statements = Some(Statements::prepare(&mut self.client)?);
        }
        let st = self.statements.as_ref().expect("prepared above");
        append_batch_with(&mut self.client, st, &mut self.keys, logs, events, now)
    }

    fn sign_checkpoints(
        &mut self,
        key: &LogKey,
        logs: &mut BTreeMap<String, SiteLog>,
        due: &[String],
        time: &str,
        force: bool,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let mut made = Vec::new();
        for site in due {
            let Some(log) = logs.get_mut(site) else { continue };
            if let Some(cp) = sign_checkpoint(self.client()?, key, site, log, time, force)? {
                made.push(cp);
            }
        }
        Ok(made)
    }

    fn shared(&self) -> bool {
        true
    }

    fn purge_expired(&mut self, site: &str, site_no: i64, before: &str, limit: usize) -> Result<usize, StoreError> {
        purge_expired(self.client()?, site, site_no, before, limit)
    }

    fn prepare_keys(&mut self, site_no: i64, size: u64) -> Result<(), StoreError> {
        self.client()?;
        self.keys.sync(&mut self.client, site_no, size)
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        // A standby answers reads but refuses writes: it is not a place to log consent.
        let standby: bool = self.client()?.query_one("SELECT pg_is_in_recovery()", &[])?.get(0);
        if standby {
            return Err(StoreError::Corrupt("the PostgreSQL server is a standby: it does not take writes".into()));
        }
        // A commit that writes, as a batch's does: it waits for the disk and for a synchronous
        // standby, so a primary whose standby is down is seen here too, not only by the next
        // decision. (A transaction that only takes an id commits without waiting.)
        self.client()?.execute("UPDATE health SET at = now() WHERE id = 1", &[])?;
        Ok(())
    }
}
