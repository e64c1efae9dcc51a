use super::*;
use crate::log::proofs::history;
use crate::store::logdb::SqliteLogDb;
use crate::store::logread::SqliteRead;
use crate::store::tests::open_with_config;
use crate::store::write::NewEvent;
use crate::store::Connection;
use crate::store::{Receipt, Store};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::LogKey;
use kelisim_shared::config::Config;
use kelisim_shared::event::Action;
use kelisim_shared::lang::Lang;
use kelisim_shared::merkle::{leaf_hash, root_of, verify_consistency, verify_inclusion};

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

fn writer_on(conn: Connection, config: &Config, retention: u32) -> LogWriter {
    let cfg = WriterConfig { retention: vec![(config.site.clone(), retention)], ..Default::default() };
    let log = load_sqlite_site(&conn, &config.site).unwrap();
    let mut db: Box<dyn LogDb> = Box::new(SqliteLogDb { conn });
    audit::Retention::register(&mut *db, log.site_no, retention).unwrap();
    let logs = [(config.site.clone(), log)].into_iter().collect();
    LogWriter { db, key: key(), logs, cfg, metrics: Arc::new(Metrics::default()) }
}

/// [`load_site`] on a SQLite connection, registering the site first.
fn load_sqlite_site(c: &Connection, site: &str) -> Result<SiteLog, StoreError> {
    let site_no = crate::store::register_site(c, site)?;
    load_site(&mut SqliteRead(c), site, site_no)
}

/// Checks a site's log and, if it is intact, records how far it was verified (as the writer
/// does at start).
fn verify_and_record(c: &Connection, site: &str, full: bool) -> Result<audit::Audited, audit::AuditError> {
    let audited = verify_sqlite(c, site, full)?;
    if let Some(site_no) = crate::store::site_no(c, site)? {
        crate::store::audit::save_verified(c, site_no, &audited.frontier, &crate::clock::now_rfc3339())?;
    }
    Ok(audited)
}

/// [`audit::verify_site`] on a SQLite connection, in a snapshot.
fn verify_sqlite(c: &Connection, site: &str, full: bool) -> Result<audit::Audited, audit::AuditError> {
    let tx = crate::store::read::snapshot(c)?;
    audit::verify_site(&mut SqliteRead(&tx), site, &key().verifier(), full)
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

fn stored_leaves(store: &Store, site: &str) -> Vec<[u8; 32]> {
    store
        .read_sql(|c| {
            let mut st = c.prepare("SELECT canonical, leaf_hash FROM events_readable WHERE site = ?1 ORDER BY seq")?;
            let rows = st.query_map([site], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (canonical, leaf) = row?;
                assert_eq!(leaf_hash(&canonical).to_vec(), leaf, "leaf hash = SHA-256(0x00 ‖ canonical)");
                out.push(leaf.try_into().unwrap());
            }
            Ok(out)
        })
        .unwrap()
}

#[test]
fn one_batch_commits_many_events_in_order_and_dedupes_inside_it() {
    let (_d, store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 365);
    let r = append_batch(
        &mut w,
        vec![event(&config, &eid(1), CONSENT), event(&config, &eid(2), CONSENT), event(&config, &eid(1), CONSENT)],
    );
    assert_eq!((r[0].0.seq, r[0].1), (1, true));
    assert_eq!((r[1].0.seq, r[1].1), (2, true));
    assert_eq!(r[2], (r[0].0.clone(), false), "a repeated event_id in the same batch gets the first receipt");
    // …and in a later batch too.
    let again = append_batch(&mut w, vec![event(&config, &eid(2), CONSENT)]);
    assert_eq!(again[0], (r[1].0.clone(), false));
    assert_eq!(w.metrics.events_recorded.load(Relaxed), 2);
    let leaves = stored_leaves(&store, &config.site);
    assert_eq!(leaves.len(), 2);
    assert_eq!(w.logs[&config.site].frontier.root(), root_of(&leaves));
    // The dashboard's counts grew with the two new events only, in the same transactions.
    let mut more: Vec<ConsentRecord> = (3..40).map(|i| event(&config, &eid(i), CONSENT)).collect();
    for (i, e) in more.iter_mut().enumerate() {
        (e.action, e.language) = if i % 3 == 0 { (Action::AcceptAll, Lang::Ru) } else { (Action::Custom, Lang::En) };
        e.granted = if i % 3 == 0 { vec!["necessary".into(), "analytics".into()] } else { vec!["necessary".into()] };
    }
    append_batch(&mut w, more);
    store
        .read_sql(|c| {
            crate::store::tests::assert_counts_match_the_log(c);
            let n: i64 = c.query_row("SELECT SUM(n) FROM log_counts WHERE dim = 'all'", [], |r| r.get(0))?;
            assert_eq!(n, 39);
            Ok::<_, crate::store::StoreError>(())
        })
        .unwrap();
}

#[test]
fn a_failing_event_does_not_fail_the_rest_of_its_batch() {
    let (_d, store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 365);
    let mut bad = event(&config, &eid(9), CONSENT);
    bad.site = "no-such-site".into(); // the writer has no log for it
    let (tx_bad, rx_bad) = oneshot::channel();
    let (tx_ok, rx_ok) = oneshot::channel();
    w.commit_batch(vec![
        (NewEvent::new(event(&config, &eid(1), CONSENT)).unwrap(), tx_ok.into()),
        (NewEvent::new(bad).unwrap(), tx_bad.into()),
    ]);
    assert!(rx_bad.blocking_recv().unwrap().is_err());
    assert_eq!(rx_ok.blocking_recv().unwrap().unwrap().logged.seq, 1);
    let r = append_batch(&mut w, vec![event(&config, &eid(2), CONSENT)]);
    assert_eq!(r[0].0.seq, 2, "the frontier was restored after the failed batch");
    assert_eq!(w.logs[&config.site].frontier.root(), root_of(&stored_leaves(&store, &config.site)));
}

#[test]
fn checkpoints_verify_and_cover_every_record_after_a_restart() {
    let (d, store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 365);
    // 11 and then 37 records: subtrees below level 4 are recomputed from leaves, the ones of
    // level 4 and 5 (16 and 32 leaves) come from merkle_subtrees.
    for i in 0..11 {
        append_batch(&mut w, vec![event(&config, &eid(i), CONSENT)]);
    }
    let first = w.checkpoint(false).unwrap();
    for i in 11..37 {
        append_batch(&mut w, vec![event(&config, &eid(i), CONSENT)]);
    }
    let cps = w.checkpoint(false).unwrap();
    assert_eq!((first.len(), cps.len()), (1, 1));
    assert!(w.checkpoint(false).unwrap().is_empty(), "no new checkpoint while the log did not grow");
    let cp = key().verifier().verify(&cps[0].note).unwrap();
    let leaves = stored_leaves(&store, &config.site);
    assert_eq!((cp.size, cp.root), (37, root_of(&leaves)));
    drop(w);
    // A restart rebuilds the frontier from the stored subtrees, not from a rehash of the log.
    let (store2, conn2) = Store::open(d.path()).unwrap();
    let w2 = writer_on(conn2, &config, 365);
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
    let nodes: Vec<i64> = store2
        .read_sql(|c| {
            let mut st = c.prepare("SELECT id FROM merkle_subtrees ORDER BY id")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .unwrap();
    let site_no = w2.logs[&config.site].site_no;
    let key = |level, index| crate::store::subtree_key(site_no, level, index);
    // In the order they were made: (4, 0) at 16 events, (4, 1) then (5, 0) at 32.
    assert_eq!(nodes, [key(4, 0), key(4, 1), key(5, 0)], "only subtrees of 16 leaves and more are stored");
}

#[test]
fn a_log_altered_behind_the_server_is_detected_at_start() {
    let (d, _store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 365);
    for i in 0..5 {
        append_batch(&mut w, vec![event(&config, &eid(i), CONSENT)]);
    }
    w.checkpoint(false).unwrap();
    drop(w);
    // Someone with the database file drops the trigger and rewrites the last leaf. (The start
    // check reads O(log n) stored hashes, so it sees changes on the tree's right edge; a
    // rewrite deeper down, with its stored subtrees forged too, is caught by recomputing the
    // tree from the canonical bytes, as the crash test and the offline verifier do.)
    let c = Connection::open(d.path().join(crate::store::DB_FILE)).unwrap();
    c.execute_batch("DROP TRIGGER events_no_update; UPDATE events SET leaf_hash = zeroblob(32) WHERE seq = 5;")
        .unwrap();
    let e = load_sqlite_site(&c, &config.site).unwrap_err();
    assert!(e.to_string().contains("no longer has the root signed"), "{e}");
}

#[test]
fn retention_purge_removes_personal_fields_and_keeps_the_tree() {
    let (d, store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 30);
    for i in 0..3 {
        append_batch_days_ago(&mut w, vec![event(&config, &eid(i), CONSENT)], 31);
    }
    let root = w.logs[&config.site].frontier.root();
    assert_eq!(w.purge().unwrap(), 3);
    append_batch_days_ago(&mut w, vec![event(&config, &eid(3), CONSENT)], 29);
    assert_eq!(w.purge().unwrap(), 0, "a record 29 days old is not older than 30 days yet");
    let c = Connection::open(d.path().join(crate::store::DB_FILE)).unwrap();
    let left: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM events_readable WHERE seq <= 3 AND (ip IS NOT NULL OR user_agent IS NOT NULL OR page IS NOT NULL OR canonical IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    let h = store.read(|r| history(r, &config.site, CONSENT)).unwrap();
    assert_eq!(h.len(), 4, "the decisions themselves stay");
    assert!(h[..3].iter().all(|e| e.purged && e.problem.is_none()) && !h[3].purged);
    let reloaded = load_sqlite_site(&c, &config.site).unwrap();
    assert_eq!(
        root_at(&mut TreeOf { r: &mut SqliteRead(&c), site: &config.site, site_no: reloaded.site_no }, 3).unwrap(),
        root,
        "leaf hashes are kept: the tree is unchanged"
    );
    let full = verify_sqlite(&c, &config.site, true).unwrap();
    assert_eq!((full.records, full.purged), (4, 3), "an honest purge verifies");
    // Outside the purge, even setting fields to NULL is refused.
    let e = c.execute("UPDATE events SET canonical = NULL", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    // With a marker but changing a kept field: refused.
    c.execute("INSERT INTO purge_in_progress VALUES (?1, '9999')", [&config.site]).unwrap();
    let e = c.execute("UPDATE events SET action = 'accept_all', canonical = NULL", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = c.execute("DELETE FROM events", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
}

#[test]
fn the_log_never_goes_back_in_time_and_time_ranges_are_id_ranges() {
    let (d, _store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 30);
    let early =
        append_batch_days_ago(&mut w, vec![event(&config, &eid(0), CONSENT), event(&config, &eid(1), CONSENT)], 31);
    // The clock was ahead when the last record was made and has since stepped back.
    let ahead = "2999-01-01T00:00:00.000Z";
    w.logs.get_mut(&config.site).unwrap().last_time = ahead.into();
    let late = append_batch(&mut w, vec![event(&config, &eid(2), CONSENT)]);
    assert_eq!(late[0].0.recorded_at, ahead, "a record is never earlier than the one before it");
    let c = Connection::open(d.path().join(crate::store::DB_FILE)).unwrap();
    assert_eq!(load_sqlite_site(&c, &config.site).unwrap().last_time, ahead, "and a restart keeps to it");

    let site_no = w.logs[&config.site].site_no;
    let id = |seq| crate::store::event_key(site_no, seq);
    let at = |t: &str| crate::store::first_id_at(&c, site_no, t).unwrap();
    let today = &early[0].0.recorded_at[..10];
    assert_eq!(at(""), id(1));
    assert_eq!(at(today), id(1));
    assert_eq!(at(&early[1].0.recorded_at), id(1), "both early records share their batch's time");
    assert_eq!(at(&format!("{today}\u{7f}")), id(3), "the end of today");
    assert_eq!(at("2999"), id(3));
    assert_eq!(at("3000"), id(4), "one past the last record");
    assert_eq!(
        crate::store::first_id_at(&c, site_no + 1, "2000").unwrap(),
        crate::store::event_key(site_no + 1, 1),
        "an empty log"
    );

    // The purge takes the records before its cutoff, oldest first, and leaves the rest.
    assert_eq!(crate::store::first_unpurged_id(&c, site_no).unwrap(), id(1));
    assert_eq!(w.purge().unwrap(), 2);
    assert_eq!(crate::store::first_unpurged_id(&c, site_no).unwrap(), id(3));
    let kept: Vec<i64> = c
        .prepare("SELECT seq FROM events_readable WHERE canonical IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kept, [3]);
    assert_eq!(w.purge().unwrap(), 0, "nothing left to purge");
}

/// A log of 40 records (two stored level-4 subtrees and more), checkpointed, written by a
/// server that then stopped; and a connection to its file as someone with the file has it.
fn stopped_log_of_40() -> (tempfile::TempDir, Config, Connection) {
    let (d, _store, conn, config) = open_with_config();
    let mut w = writer_on(conn, &config, 365);
    for i in 0..40 {
        append_batch(&mut w, vec![event(&config, &eid(i), CONSENT)]);
    }
    w.checkpoint(false).unwrap();
    drop(w);
    let c = Connection::open(d.path().join(crate::store::DB_FILE)).unwrap();
    (d, config, c)
}

fn verify_err(c: &Connection, config: &Config, full: bool) -> String {
    verify_sqlite(c, &config.site, full).unwrap_err().to_string()
}

#[test]
fn an_intact_log_verifies_and_a_start_checks_only_what_is_new() {
    let (_d, config, c) = stopped_log_of_40();
    let a = verify_and_record(&c, &config.site, false).unwrap();
    assert_eq!((a.records, a.checked, a.purged, a.checkpoints), (40, 40, 0, 1));
    let again = verify_sqlite(&c, &config.site, false).unwrap();
    assert_eq!((again.records, again.checked), (40, 0), "nothing new since the recorded verification");
    assert_eq!(verify_sqlite(&c, &config.site, true).unwrap().checked, 40);
}

#[test]
fn a_changed_action_or_granted_column_is_found_although_the_leaf_is_intact() {
    let (_d, config, c) = stopped_log_of_40();
    c.execute_batch("DROP TRIGGER events_no_update; UPDATE events SET action = 'accept_all', granted = 'necessary analytics' WHERE id & 1099511627775 = 7;")
        .unwrap();
    let e = verify_err(&c, &config, false);
    assert!(e.contains("record 7") && e.contains("action, granted"), "{e}");
    // The receipt's history shows what the log signed, and says the record disagrees.
    let h = history(&mut SqliteRead(&c), &config.site, CONSENT).unwrap();
    let seventh = h.iter().find(|e| e.seq == 7).unwrap();
    assert_eq!((seventh.action.as_str(), seventh.granted.as_slice()), ("reject_all", &["necessary".to_owned()][..]));
    assert!(seventh.problem.as_deref().unwrap().contains("action, granted"));
    assert!(h.iter().filter(|e| e.seq != 7).all(|e| e.problem.is_none()));
}

#[test]
fn a_deleted_middle_record_is_found() {
    let (_d, config, c) = stopped_log_of_40();
    c.execute_batch("DROP TRIGGER events_no_delete; DELETE FROM events WHERE id & 1099511627775 = 20;").unwrap();
    let e = verify_err(&c, &config, false);
    assert!(e.contains("record 20") && e.contains("missing"), "{e}");
}

#[test]
fn rewritten_bytes_and_leaf_are_found_against_the_stored_subtrees_and_the_checkpoint() {
    let (_d, config, c) = stopped_log_of_40();
    // Someone rewrites record 3 whole: new bytes and the leaf that matches them.
    let (id, bytes): (i64, Vec<u8>) = c
        .query_row("SELECT id, canonical FROM events WHERE id & 1099511627775 = 3", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let forged = String::from_utf8(bytes).unwrap().replace("reject_all", "accept_all").into_bytes();
    c.execute("DROP TRIGGER events_no_update", []).unwrap();
    c.execute(
        "UPDATE events SET action = 'accept_all', canonical = ?2, leaf_hash = ?3 WHERE id = ?1",
        rusqlite::params![id, forged, leaf_hash(&forged).to_vec()],
    )
    .unwrap();
    let e = verify_err(&c, &config, false);
    assert!(e.contains("record 16") && e.contains("subtree"), "{e}");
}

#[test]
fn a_young_record_cannot_be_blanked_through_the_purge_marker() {
    let (_d, config, c) = stopped_log_of_40();
    // Item 4 of the issue: a marker row alone used to let anyone blank a minute-old record.
    c.execute("INSERT INTO purge_in_progress (site, before) VALUES (?1, '9999')", [&config.site]).unwrap();
    let e = c.execute("UPDATE events SET canonical = NULL WHERE id & 1099511627775 = 5", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    // Nor by shortening the retention after the fact: a retention applies from now on.
    let e = c
        .execute("INSERT INTO log_retention (site_no, since, days) VALUES (1, '2000-01-01T00:00:00.000Z', 1)", [])
        .unwrap_err();
    assert!(e.to_string().contains("from now on"), "{e}");
    c.execute("DELETE FROM purge_in_progress", []).unwrap();
    // With the triggers dropped it can be done, and the check finds it.
    c.execute_batch("DROP TRIGGER events_no_update; UPDATE events SET canonical = NULL WHERE id & 1099511627775 = 5;")
        .unwrap();
    let e = verify_err(&c, &config, true);
    assert!(e.contains("record 5") && e.contains("retention (365 days) has not ended"), "{e}");
}

#[test]
fn a_forged_checkpoint_or_one_signing_more_than_the_log_is_found() {
    let (_d, config, c) = stopped_log_of_40();
    c.execute_batch("DROP TRIGGER events_no_delete; DELETE FROM events WHERE id & 1099511627775 = 40;").unwrap();
    let e = verify_err(&c, &config, true);
    assert!(e.contains("signs 40 records, but the log holds 39"), "{e}");
}
