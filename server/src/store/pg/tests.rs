//! The PostgreSQL log's core against a real PostgreSQL: a throwaway cluster per test
//! (kelisim-pgcluster; `cargo xtask test` installs PostgreSQL when it is missing).

use super::*;
use crate::store::write::NewEvent;
use kelisim_pgcluster::Cluster;
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::LogKey;
use kelisim_shared::event::Action;
use kelisim_shared::lang::Lang;
use kelisim_shared::merkle::leaf_hash;
use std::collections::BTreeMap;

fn uuid_of(kind: u32, n: u32) -> String {
    format!("{kind:08x}-21d4-4f0e-8a55-{n:012x}")
}

/// Event `n` of site `site`: its own event id, one of 50 consent ids.
fn event(site: &str, n: u32) -> NewEvent {
    NewEvent::new(ConsentRecord {
        site: site.into(),
        seq: 0,
        event_id: uuid_of(0x5d0c3c9a, n),
        consent_id: uuid_of(0x0b6f7c1e, n % 50),
        recorded_at: String::new(),
        config_version: "v1".into(),
        action: if n.is_multiple_of(3) { Action::AcceptAll } else { Action::RejectAll },
        granted: if n.is_multiple_of(3) {
            vec!["necessary".into(), "analytics".into()]
        } else {
            vec!["necessary".into()]
        },
        language: Lang::Kk,
        gpc: false,
        sec_gpc: false,
        page: Some("https://example.kz/x".into()),
        origin: Some("https://example.kz".into()),
        ip: Some("203.0.113.0/24".into()),
        user_agent: Some("UA".into()),
    })
    .unwrap()
}

fn key() -> LogKey {
    LogKey::from_seed("kelisim", [5; 32]).unwrap()
}

/// A new database on `cluster`, migrated; a connection to it.
fn database(cluster: &Cluster, name: &str) -> (String, Client) {
    let url = cluster.create_database(name);
    let mut c = connect(&url).unwrap();
    assert_eq!(migrate(&mut c).unwrap(), schema::MIGRATIONS.len());
    (url, c)
}

/// Everything the database holds of a site's log, checked record by record: `seq` is 1..=n with
/// no gap, each leaf hash is the hash of its canonical bytes, which name that seq, and the stored
/// subtrees give the root of the leaves. Returns the size and root.
fn check_log(c: &mut Client, site: &str) -> (u64, Hash) {
    let site_no: i64 = c.query_one("SELECT site_no FROM log_sites WHERE site = $1", &[&site]).unwrap().get(0);
    let rows =
        c.query("SELECT seq, leaf_hash, canonical FROM events WHERE site_no = $1 ORDER BY seq", &[&site_no]).unwrap();
    let mut leaves = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let seq: i64 = r.get(0);
        assert_eq!(seq, i as i64 + 1, "seq has a gap or a duplicate at {i}");
        let canonical: Vec<u8> = r.get(2);
        let leaf: Vec<u8> = r.get(1);
        assert_eq!(leaf, leaf_hash(&canonical).to_vec(), "leaf {seq}");
        assert!(String::from_utf8_lossy(&canonical).contains(&format!("\"seq\":{seq},")), "canonical bytes of {seq}");
        leaves.push(leaf.try_into().unwrap());
    }
    let (size, _) = head(c, site_no).unwrap();
    assert_eq!(size, leaves.len() as u64, "the head's size is the log's");
    let root = log::stored_root(c, site, site_no, size).unwrap();
    assert_eq!(root, root_of(&leaves), "the stored subtrees give the root of the leaves");
    let fresh = PgSiteLog::open(c, site).unwrap();
    assert_eq!((fresh.frontier.size(), fresh.frontier.root()), (size, root), "a frontier read again");
    (size, root)
}

#[test]
fn instances_starting_at_once_migrate_once() {
    let cluster = Cluster::start();
    let url = cluster.create_database("start");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || migrate(&mut connect(&url).unwrap()).unwrap())
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), schema::MIGRATIONS.len());
    }
    let n = schema::MIGRATIONS.len();
    assert_eq!(cluster.psql("start", "SELECT count(*), max(version) FROM kelisim_schema").trim(), format!("{n}|{n}"));
    // A database from a newer Kelisim is refused, not written to.
    cluster.psql("start", "INSERT INTO kelisim_schema (version) VALUES (99)");
    let err = migrate(&mut connect(&url).unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
}

/// Two instances append to one site's log at the same time, in batches of varying size, each
/// with its own cached frontier; half the events are sent to both (a retry that reached the
/// other server). One log: every event once, seq without gaps, the same receipt wherever it was
/// asked, one root per checkpoint size, and the tree the stored subtrees give.
#[test]
fn two_instances_write_one_log() {
    let cluster = Cluster::start();
    let (url, mut c) = database(&cluster, "two");
    let shared: Vec<u32> = (0..600).collect();
    let instance = |own: std::ops::Range<u32>, order_seed: u32| {
        let url = url.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            let mut c = connect(&url).unwrap();
            let mut logs = BTreeMap::from([("shop".to_string(), PgSiteLog::open(&mut c, "shop").unwrap())]);
            let mut ns: Vec<u32> = shared.into_iter().chain(own).collect();
            // A different order per instance (a fixed shuffle, so a failure can be replayed).
            ns.sort_by_key(|n| n.wrapping_mul(2_654_435_761).rotate_left(order_seed));
            let mut receipts = BTreeMap::new();
            let mut checkpoints = Vec::new();
            let mut k = 0;
            for (b, size) in [1usize, 7, 40, 3, 64, 15, 100, 2].iter().cycle().enumerate() {
                if k >= ns.len() {
                    break;
                }
                let chunk = &ns[k..(k + size).min(ns.len())];
                k += chunk.len();
                let events: Vec<NewEvent> = chunk.iter().map(|&n| event("shop", n)).collect();
                let now = crate::clock::now_rfc3339();
                for (&n, (logged, _)) in chunk.iter().zip(append_batch(&mut c, &mut logs, &events, &now).unwrap().0) {
                    receipts.insert(n, logged);
                }
                if b.is_multiple_of(5) {
                    let log = logs.get_mut("shop").unwrap();
                    if let Some(cp) = sign_checkpoint(&mut c, &key(), "shop", log, &now, false).unwrap() {
                        checkpoints.push(cp);
                    }
                }
            }
            (receipts, checkpoints)
        })
    };
    let a = instance(1000..1300, 0);
    let b = instance(2000..2300, 13);
    let (ra, ca) = a.join().unwrap();
    let (rb, cb) = b.join().unwrap();
    let (size, root) = check_log(&mut c, "shop");
    assert_eq!(size, 600 + 300 + 300, "every event once");
    for n in 0..600 {
        assert_eq!(ra[&n], rb[&n], "event {n} has one receipt, whichever instance was asked");
    }
    let mut seqs: Vec<u64> = ra.values().chain(rb.values()).map(|l| l.seq).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs, (1..=size).collect::<Vec<_>>(), "the receipts name every seq once");
    // Checkpoints: as many as the instances signed (which one signs first is up to timing),
    // one root per size, each the tree's root at that size.
    assert!(!ca.is_empty() || !cb.is_empty(), "no checkpoint was signed");
    let site_no: i64 = c.query_one("SELECT site_no FROM log_sites WHERE site = 'shop'", &[]).unwrap().get(0);
    let stored = c.query("SELECT tree_size, root_hash, note FROM checkpoints WHERE site = 'shop'", &[]).unwrap();
    let mut sizes = std::collections::BTreeSet::new();
    for r in &stored {
        let s: i64 = r.get(0);
        assert!(sizes.insert(s), "two checkpoints of size {s}");
        let root_hash: Vec<u8> = r.get(1);
        assert_eq!(root_hash, log::stored_root(&mut c, "shop", site_no, s as u64).unwrap().to_vec(), "checkpoint {s}");
        let note: String = r.get(2);
        let cp = key().verifier().verify(&note).expect("a note the log key signed");
        assert_eq!((cp.size, cp.root.to_vec()), (s as u64, root_hash));
    }
    assert_eq!(stored.len(), ca.len() + cb.len(), "every checkpoint an instance signed is stored");
    // Both instances asked to sign the final size: one signs, the other finds it signed.
    let mut c2 = connect(&url).unwrap();
    let (mut log1, mut log2) = (PgSiteLog::open(&mut c, "shop").unwrap(), PgSiteLog::open(&mut c2, "shop").unwrap());
    let now = crate::clock::now_rfc3339();
    let first = sign_checkpoint(&mut c, &key(), "shop", &mut log1, &now, false).unwrap();
    let second = sign_checkpoint(&mut c2, &key(), "shop", &mut log2, &now, false).unwrap();
    let last = c
        .query_one("SELECT tree_size, root_hash FROM checkpoints WHERE site = 'shop' ORDER BY id DESC LIMIT 1", &[])
        .unwrap();
    assert_eq!((last.get::<_, i64>(0) as u64, last.get::<_, Vec<u8>>(1)), (size, root.to_vec()));
    assert!(second.is_none(), "a second checkpoint of one size");
    if let Some(cp) = first {
        assert_eq!((cp.tree_size, cp.root), (size, root));
    }
}

#[test]
fn the_log_is_append_only_in_the_database() {
    let cluster = Cluster::start();
    let (_, mut c) = database(&cluster, "ao");
    let mut logs = BTreeMap::from([("shop".to_string(), PgSiteLog::open(&mut c, "shop").unwrap())]);
    let events: Vec<NewEvent> = (0..20).map(|n| event("shop", n)).collect();
    append_batch(&mut c, &mut logs, &events, &crate::clock::now_rfc3339()).unwrap();
    for sql in [
        "UPDATE events SET granted = 'necessary analytics' WHERE seq = 3",
        "DELETE FROM events WHERE seq = 20",
        "UPDATE merkle_subtrees SET hash = hash",
        "DELETE FROM log_sites",
        "UPDATE log_heads SET size = 5",
    ] {
        let err = c.batch_execute(sql).unwrap_err();
        let text = err.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
        assert!(text.contains("append-only") || text.contains("only moves forward"), "{sql}: {err}");
    }
    assert_eq!(check_log(&mut c, "shop").0, 20);
}

/// What was acknowledged (the batch's COMMIT returned) is there after PostgreSQL stops as in a
/// crash (immediate shutdown: no checkpoint, recovery from the write-ahead log at start).
#[test]
fn a_committed_batch_survives_an_immediate_shutdown() {
    let mut cluster = Cluster::start();
    let (_, mut c) = database(&cluster, "crash");
    let mut logs = BTreeMap::from([("shop".to_string(), PgSiteLog::open(&mut c, "shop").unwrap())]);
    for b in 0..10u32 {
        let events: Vec<NewEvent> = (b * 37..(b + 1) * 37).map(|n| event("shop", n)).collect();
        append_batch(&mut c, &mut logs, &events, &crate::clock::now_rfc3339()).unwrap();
    }
    let before = check_log(&mut c, "shop");
    drop(c);
    cluster.stop_immediate();
    cluster.restart();
    let mut c = connect(&cluster.url("crash")).unwrap();
    assert_eq!(check_log(&mut c, "shop"), before);
    assert_eq!(before.0, 370);
    // The instance's cached frontier still fits: appending goes on at 371.
    let more: Vec<NewEvent> = (1000..1005).map(|n| event("shop", n)).collect();
    let (out, _) = append_batch(&mut c, &mut logs, &more, &crate::clock::now_rfc3339()).unwrap();
    assert_eq!(out.iter().map(|(l, _)| l.seq).collect::<Vec<_>>(), vec![371, 372, 373, 374, 375]);
}

/// The retention purge is the one change the database lets through: the canonical bytes of
/// records past their retention (by the database's clock), under a purge marker — nothing
/// younger, nothing else, never without the marker.
#[test]
fn only_the_retention_purge_changes_a_record() {
    let cluster = Cluster::start();
    let (_, mut c) = database(&cluster, "purge");
    let mut logs = BTreeMap::from([("shop".to_string(), PgSiteLog::open(&mut c, "shop").unwrap())]);
    let site_no = logs["shop"].site_no;
    log::register_retention(&mut c, site_no, 30, &crate::clock::now_rfc3339()).unwrap();
    // Ten records made 40 days ago, ten now (the writer's clock may be set by a test).
    let old = crate::clock::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(40));
    let events: Vec<NewEvent> = (0..10).map(|n| event("shop", n)).collect();
    append_batch(&mut c, &mut logs, &events, &old).unwrap();
    let events: Vec<NewEvent> = (10..20).map(|n| event("shop", n)).collect();
    append_batch(&mut c, &mut logs, &events, &crate::clock::now_rfc3339()).unwrap();
    // Without a marker, even an expired record's bytes stay.
    let err = c.batch_execute("UPDATE events SET canonical = NULL WHERE seq = 1").unwrap_err();
    assert!(err.to_string().contains("append-only") || format!("{err:?}").contains("append-only"), "{err:?}");
    // A marker that covers the young records too: the database still refuses them.
    let future = crate::clock::rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(1));
    let err = log::purge_expired(&mut c, "shop", site_no, &future, 100).unwrap_err();
    assert!(format!("{err:?}").contains("append-only"), "{err:?}");
    // Changing anything else under a marker is refused.
    let mut tx = c.transaction().unwrap();
    tx.execute("INSERT INTO purge_in_progress (site, before) VALUES ('shop', $1)", &[&future]).unwrap();
    assert!(tx.batch_execute("UPDATE events SET canonical = NULL, granted = '' WHERE seq = 1").is_err());
    drop(tx);
    // The purge itself: the ten expired records, in chunks.
    let cutoff = crate::clock::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(30));
    assert_eq!(log::purge_expired(&mut c, "shop", site_no, &cutoff, 6).unwrap(), 6);
    assert_eq!(log::purge_expired(&mut c, "shop", site_no, &cutoff, 6).unwrap(), 4);
    assert_eq!(log::purge_expired(&mut c, "shop", site_no, &cutoff, 6).unwrap(), 0);
    let left = cluster.psql("purge", "SELECT count(*) FILTER (WHERE canonical IS NULL), count(*) FROM events");
    assert_eq!(left.trim(), "10|20");
    // The tree is untouched: leaf hashes stay.
    let root = log::stored_root(&mut c, "shop", site_no, 20).unwrap();
    assert_eq!(root, logs["shop"].frontier.root());
    // A retention applies from now on only.
    let err = c
        .execute("INSERT INTO log_retention (site_no, since, days) VALUES ($1, $2, 1)", &[&site_no, &old])
        .unwrap_err();
    assert!(format!("{err:?}").contains("from now on"), "{err:?}");
}
