use super::*;
use crate::log::proofs::history;
use crate::store::logdb::SqliteLogDb;
use crate::store::write::NewEvent;
use crate::store::Connection;
use crate::store::{Receipt, Store};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::LogKey;
use kelisim_shared::config::Config;
use kelisim_shared::event::Action;
use kelisim_shared::lang::Lang;
use kelisim_shared::merkle::{leaf_hash, root_of, verify_consistency, verify_inclusion};
use kelisim_shared::policy::SitePolicy;

/// A UUID event id, distinct for each `n`.
fn eid(n: u32) -> String {
    format!("5d0c3c9a-21d4-4f0e-8a55-{n:012x}")
}

fn event(config: &Config, event_id: &str, consent_id: &str) -> ConsentRecord {
    ConsentRecord {
        site: config.site.clone(),
        seq: 0,
        event_id: event_id.into(),
        consent_id: consent_id.into(),
        recorded_at: String::new(),
        config_version: config.version.clone(),
        action: Action::RejectAll,
        granted: vec!["necessary".into()],
        language: Lang::Kk,
        gpc: false,
        sec_gpc: false,
        page: Some("https://example.kz/x".into()),
        origin: Some("https://example.kz".into()),
        ip: Some("203.0.113.0/24".into()),
        user_agent: Some("UA".into()),
    }
}

const CONSENT: &str = "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f";

fn key() -> LogKey {
    LogKey::from_seed("kelisim", [5; 32]).unwrap()
}

/// Every test of the log runs on both stores (`on_both_stores!`): a SQLite file in a temporary
/// directory, and a database on a throwaway PostgreSQL cluster of the test's own
/// (kelisim-pgcluster; `cargo xtask test` installs PostgreSQL).
struct Db {
    /// The reading side, as the server's handlers have it.
    store: Store,
    /// The example site's config, recorded as served.
    config: Config,
    place: Place,
}

enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(kelisim_pgcluster::Cluster, String),
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Db::new(super::Place::sqlite())) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Db::new(super::Place::postgres())) } )*
        }
    };
}

impl Place {
    fn sqlite() -> Place {
        Place::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres() -> Place {
        let cluster = kelisim_pgcluster::Cluster::start();
        let url = cluster.create_database("log");
        Place::Postgres(cluster, url)
    }

    /// The store and the log writer's database, opened as a (re)started server opens them.
    fn open(&self) -> (Store, Box<dyn LogDb>) {
        match self {
            Place::Sqlite(dir) => {
                let (store, conn) = Store::open(dir.path()).unwrap();
                (store, Box::new(SqliteLogDb::new(conn)))
            }
            Place::Postgres(_, url) => {
                let (store, client) = Store::open_postgres(url).unwrap();
                (store, Box::new(crate::store::pg::PgLogDb::new(client, url)))
            }
        }
    }
}

impl Db {
    fn new(place: Place) -> Db {
        let (store, mut log_db) = place.open();
        let config =
            SitePolicy::parse("example.toml", include_str!("../../../shared/testdata/example.toml")).unwrap().config();
        log_db.record_config(&config, "{}", "2026-01-01T00:00:00.000Z").unwrap();
        Db { store, config, place }
    }

    /// A log writer for the example site, as a (re)started server makes it.
    fn writer(&self, retention: u32) -> LogWriter {
        let (_, mut db) = self.place.open();
        let config = &self.config;
        let cfg = WriterConfig { retention: vec![(config.site.clone(), retention)], ..Default::default() };
        let log = load(&mut *db, &config.site).unwrap();
        audit::Retention::register(&mut *db, log.site_no, retention).unwrap();
        let logs = [(config.site.clone(), log)].into_iter().collect();
        LogWriter { db, key: key(), logs, cfg, metrics: Arc::new(Metrics::default()) }
    }

    /// What a start does before it takes events: registers the site and loads its frontier,
    /// checking the stored tree against the last checkpoint.
    fn load(&self) -> Result<SiteLog, StoreError> {
        let (_, mut db) = self.place.open();
        load(&mut *db, &self.config.site)
    }

    /// [`audit::verify_site`] over the example site, in a snapshot.
    fn verify(&self, full: bool) -> Result<audit::Audited, audit::AuditError> {
        self.store.snapshot(|r| Ok(audit::verify_site(r, &self.config.site, &key().verifier(), full))).unwrap()
    }

    /// Checks the log and, if it is intact, records how far it was verified (as the writer
    /// does at start).
    fn verify_and_record(&self, full: bool) -> Result<audit::Audited, audit::AuditError> {
        let audited = self.verify(full)?;
        let (_, mut db) = self.place.open();
        let site_no = db.register_site(&self.config.site).unwrap();
        db.save_verified(site_no, &audited.frontier, &crate::clock::now_rfc3339()).unwrap();
        Ok(audited)
    }

    fn verify_err(&self, full: bool) -> String {
        self.verify(full).unwrap_err().to_string()
    }

    /// The example site's leaf hashes in seq order, each checked against its canonical bytes.
    fn leaves(&self) -> Vec<[u8; 32]> {
        self.store
            .snapshot(|r| {
                let site_no = r.site_no(&self.config.site)?.expect("the site is registered");
                let n = r.log_size(site_no)?;
                let leaves = if n == 0 { vec![] } else { r.leaves(site_no, 1, n)? };
                let records = r.records(site_no, 0, n, n as usize)?;
                assert_eq!((leaves.len(), records.len()), (n as usize, n as usize));
                Ok(leaves
                    .into_iter()
                    .zip(records)
                    .map(|(leaf, (seq, canonical))| {
                        let canonical = canonical.unwrap_or_else(|| panic!("seq {seq} was purged"));
                        assert_eq!(leaf_hash(&canonical).to_vec(), leaf, "leaf hash = SHA-256(0x00 ‖ canonical)");
                        leaf.try_into().unwrap()
                    })
                    .collect())
            })
            .unwrap()
    }

    /// Runs statements as someone with the database's owner rights: `sqlite` on the file,
    /// `postgres` on the database. The database's message when it refuses.
    fn exec(&self, sqlite: &str, postgres: &str) -> Result<(), String> {
        match &self.place {
            Place::Sqlite(dir) => Connection::open(dir.path().join(crate::store::DB_FILE))
                .and_then(|c| c.execute_batch(sqlite))
                .map_err(|e| e.to_string()),
            Place::Postgres(cluster, _) => cluster.try_psql("log", postgres).map(|_| ()),
        }
    }

    /// The one integer `sqlite` or `postgres` selects.
    fn count(&self, sqlite: &str, postgres: &str) -> i64 {
        match &self.place {
            Place::Sqlite(dir) => Connection::open(dir.path().join(crate::store::DB_FILE))
                .unwrap()
                .query_row(sqlite, [], |r| r.get(0))
                .unwrap(),
            Place::Postgres(cluster, _) => cluster.psql("log", postgres).trim().parse().unwrap(),
        }
    }

    /// The example site's `(seq, canonical bytes kept)` in seq order.
    fn kept(&self) -> Vec<(u64, bool)> {
        self.store
            .snapshot(|r| {
                let site_no = r.site_no(&self.config.site)?.unwrap();
                let n = r.log_size(site_no)?;
                Ok(r.records(site_no, 0, n, n as usize)?.into_iter().map(|(s, c)| (s, c.is_some())).collect())
            })
            .unwrap()
    }
}

/// Registers a site and loads its log ([`load_site`]) on the writer's database.
fn load(db: &mut dyn LogDb, site: &str) -> Result<SiteLog, StoreError> {
    let site_no = db.register_site(site)?;
    let mut log = None;
    db.read(&mut |r| {
        log = Some(load_site(r, site, site_no)?);
        Ok(())
    })?;
    Ok(log.unwrap())
}

fn append_batch(w: &mut LogWriter, evs: Vec<ConsentRecord>) -> Vec<(Receipt, bool)> {
    append_batch_at(w, evs, None)
}

/// Appends with the records' time set `days_ago` days back (the purge follows the database's
/// own clock, so its tests need records made in the past).
fn append_batch_days_ago(w: &mut LogWriter, evs: Vec<ConsentRecord>, days_ago: i64) -> Vec<(Receipt, bool)> {
    let at = crate::clock::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(days_ago));
    append_batch_at(w, evs, Some(&at))
}

fn append_batch_at(w: &mut LogWriter, evs: Vec<ConsentRecord>, at: Option<&str>) -> Vec<(Receipt, bool)> {
    let mut rxs = Vec::new();
    let batch = evs
        .into_iter()
        .map(|ev| {
            let (tx, rx) = oneshot::channel();
            rxs.push(rx);
            (NewEvent::new(ev).unwrap(), tx.into())
        })
        .collect();
    w.commit_batch_at(batch, at);
    rxs.into_iter()
        .map(|rx| {
            let a = rx.blocking_recv().unwrap().unwrap();
            (a.logged.receipt(a.event.record.consent_id), a.created)
        })
        .collect()
}

fn one_batch_commits_many_events_in_order_and_dedupes_inside_it(db: Db) {
    let config = &db.config;
    let mut w = db.writer(365);
    let r = append_batch(
        &mut w,
        vec![event(config, &eid(1), CONSENT), event(config, &eid(2), CONSENT), event(config, &eid(1), CONSENT)],
    );
    assert_eq!((r[0].0.seq, r[0].1), (1, true));
    assert_eq!((r[1].0.seq, r[1].1), (2, true));
    assert_eq!(r[2], (r[0].0.clone(), false), "a repeated event_id in the same batch gets the first receipt");
    // …and in a later batch too.
    let again = append_batch(&mut w, vec![event(config, &eid(2), CONSENT)]);
    assert_eq!(again[0], (r[1].0.clone(), false));
    assert_eq!(w.metrics.events_recorded.load(Relaxed), 2);
    let leaves = db.leaves();
    assert_eq!(leaves.len(), 2);
    assert_eq!(w.logs[&config.site].frontier.root(), root_of(&leaves));
    // The dashboard's counts grew with the two new events only, in the same transactions.
    let mut more: Vec<ConsentRecord> = (3..40).map(|i| event(config, &eid(i), CONSENT)).collect();
    for (i, e) in more.iter_mut().enumerate() {
        (e.action, e.language) = if i % 3 == 0 { (Action::AcceptAll, Lang::Ru) } else { (Action::Custom, Lang::En) };
        e.granted = if i % 3 == 0 { vec!["necessary".into(), "analytics".into()] } else { vec!["necessary".into()] };
    }
    append_batch(&mut w, more);
    let sum = "SELECT SUM(n) FROM log_counts WHERE dim = 'all'";
    assert_eq!(db.count(sum, sum), 39);
    match &db.place {
        Place::Sqlite(_) => db
            .store
            .read_sql(|c| {
                crate::store::tests::assert_counts_match_the_log(c);
                Ok::<_, crate::store::StoreError>(())
            })
            .unwrap(),
        // The same comparison on PostgreSQL: every count row against the log recounted.
        Place::Postgres(cluster, _) => {
            let kept = cluster.psql("log", "SELECT site_no, hour, dim, key, n FROM log_counts ORDER BY 1, 2, 3, 4");
            let recounted = cluster.psql(
                "log",
                "SELECT site_no, substr(recorded_at, 1, 13), 'all', '', COUNT(*) FROM events GROUP BY 1, 2
                 UNION ALL SELECT site_no, substr(recorded_at, 1, 13), 'action', action, COUNT(*) FROM events GROUP BY 1, 2, 4
                 UNION ALL SELECT site_no, substr(recorded_at, 1, 13), 'language', language, COUNT(*) FROM events GROUP BY 1, 2, 4
                 UNION ALL SELECT site_no, substr(recorded_at, 1, 13), 'version', config_version, COUNT(*) FROM events GROUP BY 1, 2, 4
                 UNION ALL SELECT site_no, substr(recorded_at, 1, 13), 'category', g, COUNT(*)
                     FROM events, regexp_split_to_table(granted, ' ') AS g GROUP BY 1, 2, 4
                 ORDER BY 1, 2, 3, 4",
            );
            assert!(kept.lines().count() > 5, "{kept}");
            assert_eq!(kept, recounted);
        }
    }
}

fn a_failing_event_does_not_fail_the_rest_of_its_batch(db: Db) {
    let config = &db.config;
    let mut w = db.writer(365);
    let mut bad = event(config, &eid(9), CONSENT);
    bad.site = "no-such-site".into(); // the writer has no log for it
    let (tx_bad, rx_bad) = oneshot::channel();
    let (tx_ok, rx_ok) = oneshot::channel();
    w.commit_batch(vec![
        (NewEvent::new(event(config, &eid(1), CONSENT)).unwrap(), tx_ok.into()),
        (NewEvent::new(bad).unwrap(), tx_bad.into()),
    ]);
    assert!(rx_bad.blocking_recv().unwrap().is_err());
    assert_eq!(rx_ok.blocking_recv().unwrap().unwrap().logged.seq, 1);
    let r = append_batch(&mut w, vec![event(config, &eid(2), CONSENT)]);
    assert_eq!(r[0].0.seq, 2, "the frontier was restored after the failed batch");
    assert_eq!(w.logs[&config.site].frontier.root(), root_of(&db.leaves()));
}

fn checkpoints_verify_and_cover_every_record_after_a_restart(db: Db) {
    let config = &db.config;
    let mut w = db.writer(365);
    // 11 and then 37 records: subtrees below level 4 are recomputed from leaves, the ones of
    // level 4 and 5 (16 and 32 leaves) come from merkle_subtrees.
    for i in 0..11 {
        append_batch(&mut w, vec![event(config, &eid(i), CONSENT)]);
    }
    let first = w.checkpoint(false).unwrap();
    for i in 11..37 {
        append_batch(&mut w, vec![event(config, &eid(i), CONSENT)]);
    }
    let cps = w.checkpoint(false).unwrap();
    assert_eq!((first.len(), cps.len()), (1, 1));
    assert!(w.checkpoint(false).unwrap().is_empty(), "no new checkpoint while the log did not grow");
    let cp = key().verifier().verify(&cps[0].note).unwrap();
    let leaves = db.leaves();
    assert_eq!((cp.size, cp.root), (37, root_of(&leaves)));
    drop(w);
    // A restart rebuilds the frontier from the stored subtrees, not from a rehash of the log.
    let (store2, _) = db.place.open();
    let w2 = db.writer(365);
    assert_eq!(w2.logs[&config.site].frontier.root(), cp.root);
    let h = proofs::consent_history(&store2, &config.site, CONSENT).unwrap();
    assert_eq!(h.events.len(), 37);
    for e in &h.events {
        let p = e.proof.as_ref().unwrap();
        assert!(e.verified);
        verify_inclusion(e.event.seq - 1, 37, &e.event.leaf_hash, p, &cp.root).unwrap();
    }
    let (a, b, p) = proofs::consistency(&store2, &config.site, 11, 37).unwrap();
    assert_eq!((a.tree_size, b.tree_size), (11, 37));
    assert_eq!(a.root, root_of(&leaves[..11]));
    verify_consistency(11, 37, &a.root, &b.root, &p).unwrap();
    // Only subtrees of 16 leaves and more are stored: (4, 0) at 16 events, (4, 1) and (5, 0) at 32.
    let site_no = w2.logs[&config.site].site_no;
    let stored = |level: u32, index: u64| {
        let key = crate::store::subtree_key(site_no, level, index);
        db.count(
            &format!("SELECT COUNT(*) FROM merkle_subtrees WHERE id = {key}"),
            &format!(
                "SELECT COUNT(*) FROM merkle_subtrees WHERE site_no = {site_no} AND level = {level} AND idx = {index}"
            ),
        )
    };
    assert_eq!([stored(4, 0), stored(4, 1), stored(5, 0)], [1, 1, 1]);
    assert_eq!(db.count("SELECT COUNT(*) FROM merkle_subtrees", "SELECT COUNT(*) FROM merkle_subtrees"), 3);
}

fn a_log_altered_behind_the_server_is_detected_at_start(db: Db) {
    let config = &db.config;
    let mut w = db.writer(365);
    for i in 0..5 {
        append_batch(&mut w, vec![event(config, &eid(i), CONSENT)]);
    }
    w.checkpoint(false).unwrap();
    drop(w);
    // Someone with the database drops the trigger and rewrites the last leaf. (The start
    // check reads O(log n) stored hashes, so it sees changes on the tree's right edge; a
    // rewrite deeper down, with its stored subtrees forged too, is caught by recomputing the
    // tree from the canonical bytes, as the crash test and the offline verifier do.)
    db.exec(
        "DROP TRIGGER events_no_update; UPDATE events SET leaf_hash = zeroblob(32) WHERE seq = 5;",
        "ALTER TABLE events DISABLE TRIGGER events_append_only;
         UPDATE events SET leaf_hash = decode(repeat('00', 32), 'hex') WHERE seq = 5;",
    )
    .unwrap();
    let e = db.load().unwrap_err();
    assert!(e.to_string().contains("no longer has the root signed"), "{e}");
}

fn retention_purge_removes_personal_fields_and_keeps_the_tree(db: Db) {
    let config = &db.config;
    let mut w = db.writer(30);
    for i in 0..3 {
        append_batch_days_ago(&mut w, vec![event(config, &eid(i), CONSENT)], 31);
    }
    let root = w.logs[&config.site].frontier.root();
    assert_eq!(w.purge().unwrap(), 3);
    append_batch_days_ago(&mut w, vec![event(config, &eid(3), CONSENT)], 29);
    assert_eq!(w.purge().unwrap(), 0, "a record 29 days old is not older than 30 days yet");
    let left = db.count(
        "SELECT COUNT(*) FROM events_readable WHERE seq <= 3 AND (ip IS NOT NULL OR user_agent IS NOT NULL OR page IS NOT NULL OR canonical IS NOT NULL)",
        "SELECT COUNT(*) FROM events WHERE seq <= 3 AND canonical IS NOT NULL",
    );
    assert_eq!(left, 0);
    assert_eq!(db.kept(), [(1, false), (2, false), (3, false), (4, true)]);
    let h = db.store.read(|r| history(r, &config.site, CONSENT)).unwrap();
    assert_eq!(h.len(), 4, "the decisions themselves stay");
    assert!(h[..3].iter().all(|e| e.purged && e.problem.is_none()) && !h[3].purged);
    let reloaded = db.load().unwrap();
    let kept_root =
        db.store.read(|r| root_at(&mut TreeOf { r, site: &config.site, site_no: reloaded.site_no }, 3)).unwrap();
    assert_eq!(kept_root, root, "leaf hashes are kept: the tree is unchanged");
    let full = db.verify(true).unwrap();
    assert_eq!((full.records, full.purged), (4, 3), "an honest purge verifies");
    // Outside the purge, even setting fields to NULL is refused.
    let e = db.exec("UPDATE events SET canonical = NULL", "UPDATE events SET canonical = NULL").unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    // With a marker but changing a kept field: refused.
    let marker = format!("INSERT INTO purge_in_progress VALUES ('{}', '9999')", config.site);
    db.exec(&marker, &marker).unwrap();
    let change = "UPDATE events SET action = 'accept_all', canonical = NULL";
    let e = db.exec(change, change).unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    let e = db.exec("DELETE FROM events", "DELETE FROM events").unwrap_err();
    assert!(e.contains("append-only"), "{e}");
}

fn the_log_never_goes_back_in_time_and_time_ranges_are_seq_ranges(db: Db) {
    let config = &db.config;
    let mut w = db.writer(30);
    let early =
        append_batch_days_ago(&mut w, vec![event(config, &eid(0), CONSENT), event(config, &eid(1), CONSENT)], 31);
    // The clock was ahead when the last record was made and has since stepped back.
    let ahead = "2999-01-01T00:00:00.000Z";
    w.logs.get_mut(&config.site).unwrap().last_time = ahead.into();
    let late = append_batch(&mut w, vec![event(config, &eid(2), CONSENT)]);
    assert_eq!(late[0].0.recorded_at, ahead, "a record is never earlier than the one before it");
    assert_eq!(db.load().unwrap().last_time, ahead, "and a restart keeps to it");

    let site_no = w.logs[&config.site].site_no;
    let at = |site_no: i64, t: &str| db.store.read(|r| r.first_seq_at(site_no, t)).unwrap();
    let today = &early[0].0.recorded_at[..10];
    assert_eq!(at(site_no, ""), 1);
    assert_eq!(at(site_no, today), 1);
    assert_eq!(at(site_no, &early[1].0.recorded_at), 1, "both early records share their batch's time");
    assert_eq!(at(site_no, &format!("{today}\u{7f}")), 3, "the end of today");
    assert_eq!(at(site_no, "2999"), 3);
    assert_eq!(at(site_no, "3000"), 4, "one past the last record");
    assert_eq!(at(site_no + 1, "2000"), 1, "an empty log");

    // The purge takes the records before its cutoff, oldest first, and leaves the rest.
    let purged = || db.store.read(|r| r.purged_count(site_no)).unwrap();
    assert_eq!(purged(), 0);
    assert_eq!(w.purge().unwrap(), 2);
    assert_eq!(purged(), 2);
    assert_eq!(db.kept(), [(1, false), (2, false), (3, true)]);
    assert_eq!(w.purge().unwrap(), 0, "nothing left to purge");
}

/// A log of 40 records (two stored level-4 subtrees and more), checkpointed, written by a
/// server that then stopped.
fn stopped_log_of_40(db: &Db) {
    let mut w = db.writer(365);
    for i in 0..40 {
        append_batch(&mut w, vec![event(&db.config, &eid(i), CONSENT)]);
    }
    w.checkpoint(false).unwrap();
}

fn an_intact_log_verifies_and_a_start_checks_only_what_is_new(db: Db) {
    stopped_log_of_40(&db);
    let a = db.verify_and_record(false).unwrap();
    assert_eq!((a.records, a.checked, a.purged, a.checkpoints), (40, 40, 0, 1));
    let again = db.verify(false).unwrap();
    assert_eq!((again.records, again.checked), (40, 0), "nothing new since the recorded verification");
    assert_eq!(db.verify(true).unwrap().checked, 40);
}

fn a_changed_action_or_granted_column_is_found_although_the_leaf_is_intact(db: Db) {
    stopped_log_of_40(&db);
    db.exec(
        "DROP TRIGGER events_no_update; UPDATE events SET action = 'accept_all', granted = 'necessary analytics' WHERE id & 1099511627775 = 7;",
        "ALTER TABLE events DISABLE TRIGGER events_append_only;
         UPDATE events SET action = 'accept_all', granted = 'necessary analytics' WHERE seq = 7;",
    )
    .unwrap();
    let e = db.verify_err(false);
    assert!(e.contains("record 7") && e.contains("action, granted"), "{e}");
    // The receipt's history shows what the log signed, and says the record disagrees.
    let h = db.store.read(|r| history(r, &db.config.site, CONSENT)).unwrap();
    let seventh = h.iter().find(|e| e.seq == 7).unwrap();
    assert_eq!((seventh.action.as_str(), seventh.granted.as_slice()), ("reject_all", &["necessary".to_owned()][..]));
    assert!(seventh.problem.as_deref().unwrap().contains("action, granted"));
    assert!(h.iter().filter(|e| e.seq != 7).all(|e| e.problem.is_none()));
}

fn a_deleted_middle_record_is_found(db: Db) {
    stopped_log_of_40(&db);
    db.exec(
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id & 1099511627775 = 20;",
        "ALTER TABLE events DISABLE TRIGGER events_no_delete; DELETE FROM events WHERE seq = 20;",
    )
    .unwrap();
    let e = db.verify_err(false);
    assert!(e.contains("record 20") && e.contains("missing"), "{e}");
}

fn rewritten_bytes_and_leaf_are_found_against_the_stored_subtrees_and_the_checkpoint(db: Db) {
    stopped_log_of_40(&db);
    // Someone rewrites record 3 whole: new bytes and the leaf that matches them.
    let site_no = db.store.read(|r| r.site_no(&db.config.site)).unwrap().unwrap();
    let forged = {
        let canonical = db.store.read(|r| r.records(site_no, 2, 3, 1)).unwrap().remove(0).1.unwrap();
        String::from_utf8(canonical).unwrap().replace("reject_all", "accept_all").into_bytes()
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (bytes, leaf) = (hex(&forged), hex(&leaf_hash(&forged)));
    db.exec(
        &format!(
            "DROP TRIGGER events_no_update;
             UPDATE events SET action = 'accept_all', canonical = x'{bytes}', leaf_hash = x'{leaf}' WHERE id & 1099511627775 = 3;"
        ),
        &format!(
            "ALTER TABLE events DISABLE TRIGGER events_append_only;
             UPDATE events SET action = 'accept_all', canonical = decode('{bytes}', 'hex'), leaf_hash = decode('{leaf}', 'hex') WHERE seq = 3;"
        ),
    )
    .unwrap();
    assert_eq!(
        db.store.read(|r| r.leaves(site_no, 3, 3)).unwrap()[0],
        leaf_hash(&forged).to_vec(),
        "the forgery is in place"
    );
    let e = db.verify_err(false);
    assert!(e.contains("record 16") && e.contains("subtree"), "{e}");
}

fn a_young_record_cannot_be_blanked_through_the_purge_marker(db: Db) {
    stopped_log_of_40(&db);
    let site = &db.config.site;
    // Item 4 of the issue: a marker row alone used to let anyone blank a minute-old record.
    let marker = format!("INSERT INTO purge_in_progress (site, before) VALUES ('{site}', '9999')");
    db.exec(&marker, &marker).unwrap();
    let e = db
        .exec(
            "UPDATE events SET canonical = NULL WHERE id & 1099511627775 = 5",
            "UPDATE events SET canonical = NULL WHERE seq = 5",
        )
        .unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    // Nor by shortening the retention after the fact: a retention applies from now on.
    let shorter = "INSERT INTO log_retention (site_no, since, days) VALUES (1, '2000-01-01T00:00:00.000Z', 1)";
    let e = db.exec(shorter, shorter).unwrap_err();
    assert!(e.contains("from now on"), "{e}");
    db.exec("DELETE FROM purge_in_progress", "DELETE FROM purge_in_progress").unwrap();
    // With the triggers dropped it can be done, and the check finds it.
    db.exec(
        "DROP TRIGGER events_no_update; UPDATE events SET canonical = NULL WHERE id & 1099511627775 = 5;",
        "ALTER TABLE events DISABLE TRIGGER events_append_only; UPDATE events SET canonical = NULL WHERE seq = 5;",
    )
    .unwrap();
    let e = db.verify_err(true);
    assert!(e.contains("record 5") && e.contains("retention (365 days) has not ended"), "{e}");
}

fn a_retention_change_is_recorded_after_one_made_by_a_clock_ahead_of_this_one(db: Db) {
    drop(db.writer(365));
    // Another instance, whose clock is an hour ahead of this one's (or this machine's clock
    // stepped back since), recorded a retention of 30 days.
    let ahead = crate::clock::rfc3339(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let sql = format!("INSERT INTO log_retention (site_no, since, days) VALUES (1, '{ahead}', 30)");
    db.exec(&sql, &sql).unwrap();
    // This one starts with 90 days: the database takes a retention only after the last, so
    // taking this clock's now as its start used to refuse the start.
    drop(db.writer(90));
    let history = db.store.snapshot(|r| r.retention(1)).unwrap();
    let days: Vec<u32> = history.iter().map(|(_, d)| *d).collect();
    assert_eq!(days, [365, 30, 90], "{history:?}");
    assert_eq!(history[2].0, crate::clock::after(&ahead, Some(&ahead)), "a millisecond after the last");
    // And the same retention again records nothing.
    drop(db.writer(90));
    assert_eq!(db.store.snapshot(|r| r.retention(1)).unwrap().len(), 3);
}

fn a_forged_checkpoint_or_one_signing_more_than_the_log_is_found(db: Db) {
    stopped_log_of_40(&db);
    db.exec(
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id & 1099511627775 = 40;",
        "ALTER TABLE events DISABLE TRIGGER events_no_delete; DELETE FROM events WHERE seq = 40;",
    )
    .unwrap();
    let e = db.verify_err(true);
    assert!(e.contains("signs 40 records, but the log holds 39"), "{e}");
}

/// The example site's log as a writer caches it, as if it held `size` records already (a
/// frontier of made-up hashes; nothing reads those records). PostgreSQL's writer takes the size
/// from the site's head: that is moved there too.
fn log_of(db: &Db, log_db: &mut dyn LogDb, size: u64) -> BTreeMap<String, SiteLog> {
    let parts = kelisim_shared::merkle::Frontier::parts(size);
    let frontier = kelisim_shared::merkle::Frontier::from_parts(size, vec![[7; 32]; parts.len()]).unwrap();
    let site_no = log_db.register_site(&db.config.site).unwrap();
    db.exec("", &format!("UPDATE log_heads SET size = {size} WHERE site_no = {site_no}")).unwrap();
    let log = SiteLog { site_no, frontier, checkpointed: None, last_time: String::new() };
    [(db.config.site.clone(), log)].into()
}

/// Idempotency across the generations of the index by consent id (SQLite migration 12,
/// PostgreSQL migration 3, `store::keys`): each 2^20 records are one, and a repeat of a record in an older one must be found there — right after
/// the boundary, later in the same batch, and by a restarted writer whose filters are read back
/// from the index. A consent id's history spans them. The log starts just below the boundary: a frontier of 2^20 − 2 records, as if they
/// were there (nothing here reads them).
#[allow(clippy::type_complexity)]
fn a_repeat_is_found_in_an_older_generation_of_the_index(db: Db) {
    let config = &db.config;
    let below = (1u64 << crate::store::keys::GEN_BITS) - 2;
    let append = |db_: &mut Box<dyn LogDb>, logs: &mut BTreeMap<String, SiteLog>, evs: &[ConsentRecord]| {
        let evs: Vec<NewEvent> = evs.iter().map(|e| NewEvent::new(e.clone()).unwrap()).collect();
        db_.append(logs, &evs, "2026-12-07T10:00:00.000Z").unwrap().0
    };
    let other = "0b6f7c1e-8c1a-4d2b-9f3e-000000000002";
    let (a, b, c) = (event(config, &eid(1), CONSENT), event(config, &eid(2), CONSENT), event(config, &eid(3), other));
    let (_, mut log_db) = db.place.open();
    let mut logs = log_of(&db, &mut *log_db, below);
    // `a` is the last record of generation 0, `b` the first of generation 1; then `a` again,
    // right after the boundary, in the same batch.
    let first = append(&mut log_db, &mut logs, &[a.clone(), b.clone(), a.clone()]);
    let seqs: Vec<(u64, bool)> = first.iter().map(|(l, new)| (l.seq, *new)).collect();
    assert_eq!(seqs, [(below + 1, true), (below + 2, true), (below + 1, false)]);
    assert_eq!(first[2].0, first[0].0, "the first receipt, from generation 0");
    // A later batch: both again, and the same event id under another consent id (a new record).
    let second = append(&mut log_db, &mut logs, &[b.clone(), a.clone(), event(config, &eid(1), other)]);
    assert_eq!((second[0].0.clone(), second[0].1), (first[1].0.clone(), false));
    assert_eq!((second[1].0.clone(), second[1].1), (first[0].0.clone(), false));
    assert_eq!((second[2].0.seq, second[2].1), (below + 3, true));
    // A restarted writer (its filters read back from the database) finds them as well.
    let (_, mut restarted) = db.place.open();
    let third = append(&mut restarted, &mut logs, &[a.clone(), c.clone(), b.clone()]);
    assert_eq!((third[0].0.clone(), third[0].1), (first[0].0.clone(), false));
    assert_eq!((third[1].0.seq, third[1].1), (below + 4, true));
    assert_eq!((third[2].0.clone(), third[2].1), (first[1].0.clone(), false));
    // The consent id's history spans both generations, oldest first.
    let h = db.store.read(|r| history(r, &config.site, CONSENT)).unwrap();
    assert_eq!(h.iter().map(|r| r.seq).collect::<Vec<_>>(), [below + 1, below + 2]);
    let h = db.store.read(|r| history(r, &config.site, other)).unwrap();
    assert_eq!(h.iter().map(|r| r.seq).collect::<Vec<_>>(), [below + 3, below + 4]);
}

/// PostgreSQL with several instances: each learns, under the head lock, the keys the others
/// wrote since it last appended, so a repeat in an older generation written by another instance
/// is found too (`store::pg::log::PgKeys::sync`). The instances pass on the cached logs, as if
/// each had read the others' frontier.
#[test]
fn postgres_instances_learn_each_others_keys_in_older_generations() {
    let db = Db::new(Place::postgres());
    let config = &db.config;
    let below = (1u64 << crate::store::keys::GEN_BITS) - 3;
    let ((_, mut one), (_, mut two)) = (db.place.open(), db.place.open());
    let mut logs = log_of(&db, &mut *one, below);
    let mut append = |db_: &mut Box<dyn LogDb>, ev: ConsentRecord| {
        let ev = [NewEvent::new(ev).unwrap()];
        db_.append(&mut logs, &ev, "2026-12-07T10:00:00.000Z").unwrap().0.remove(0)
    };
    let z = append(&mut two, event(config, &eid(9), CONSENT));
    assert_eq!((z.0.seq, z.1), (below + 1, true));
    let a = append(&mut one, event(config, &eid(1), CONSENT));
    assert_eq!((a.0.seq, a.1), (below + 2, true), "the last record of generation 0");
    let b = append(&mut one, event(config, &eid(2), CONSENT));
    assert_eq!((b.0.seq, b.1), (below + 3, true), "the first of generation 1");
    // The second instance last saw the log at below + 1.
    assert_eq!(append(&mut two, event(config, &eid(1), CONSENT)), (a.0, false));
    assert_eq!(append(&mut two, event(config, &eid(2), CONSENT)), (b.0, false));
    let all = "SELECT COUNT(*) FROM events";
    assert_eq!(db.count(all, all), 3);
}

on_both_stores!(
    one_batch_commits_many_events_in_order_and_dedupes_inside_it,
    a_failing_event_does_not_fail_the_rest_of_its_batch,
    checkpoints_verify_and_cover_every_record_after_a_restart,
    a_log_altered_behind_the_server_is_detected_at_start,
    retention_purge_removes_personal_fields_and_keeps_the_tree,
    the_log_never_goes_back_in_time_and_time_ranges_are_seq_ranges,
    an_intact_log_verifies_and_a_start_checks_only_what_is_new,
    a_changed_action_or_granted_column_is_found_although_the_leaf_is_intact,
    a_deleted_middle_record_is_found,
    rewritten_bytes_and_leaf_are_found_against_the_stored_subtrees_and_the_checkpoint,
    a_young_record_cannot_be_blanked_through_the_purge_marker,
    a_forged_checkpoint_or_one_signing_more_than_the_log_is_found,
    a_retention_change_is_recorded_after_one_made_by_a_clock_ahead_of_this_one,
    a_repeat_is_found_in_an_older_generation_of_the_index,
);
