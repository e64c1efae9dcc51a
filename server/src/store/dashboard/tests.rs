//! The same checks on both stores: a function over `&dyn DashboardReads`, run on the SQLite file
//! of a temporary data directory and on a PostgreSQL database of a throwaway cluster, each
//! holding the same small log written as its own log writer writes it (SQLite: the writer's
//! statements, `store::write::Appender` and `Counts`; PostgreSQL: `store::pg::append_batch`).

use super::*;
use crate::store::write::{Appender, Counts, NewEvent};
use crate::store::{register_site, Store, DB_FILE, MIN_STORED_LEVEL};
use kelisim_pgcluster::Cluster;
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::event::Action;
use kelisim_shared::lang::Lang;
use kelisim_shared::merkle::{leaf_hash, Frontier};
use std::collections::BTreeMap;

const DAY1: &str = "2026-12-01T10:00:00.000Z";
const DAY2: &str = "2026-12-02T09:30:00.000Z";

fn consent_of(n: u32) -> String {
    format!("0b6f7c1e-21d4-4f0e-8a55-{:012x}", n % 10)
}

/// Event `n` (1..=40) of site `shop`: a withdrawal every fourth, accept-all after it, the rest
/// reject-all; Russian when odd; config v1 up to 30, v2 after; one of ten consent ids.
fn record(n: u32) -> ConsentRecord {
    let action = match n % 4 {
        0 => Action::Withdraw,
        1 => Action::AcceptAll,
        _ => Action::RejectAll,
    };
    ConsentRecord {
        site: "shop".into(),
        seq: 0,
        event_id: format!("5d0c3c9a-21d4-4f0e-8a55-{n:012x}"),
        consent_id: consent_of(n),
        recorded_at: String::new(),
        config_version: if n <= 30 { "v1aaaa".into() } else { "v2bbbb".into() },
        action,
        granted: if action == Action::AcceptAll {
            vec!["necessary".into(), "analytics".into()]
        } else {
            vec!["necessary".into()]
        },
        language: if n % 2 == 1 { Lang::Ru } else { Lang::Kk },
        gpc: false,
        sec_gpc: false,
        page: Some("https://shop.kz/cart".into()),
        origin: Some("https://shop.kz".into()),
        ip: Some("203.0.113.0/24".into()),
        user_agent: Some("UA".into()),
    }
}

/// The two batches of the log: events 1–20 on the first day, 21–40 on the second.
fn batches() -> [(Vec<NewEvent>, &'static str); 2] {
    let evs = |r: std::ops::RangeInclusive<u32>| r.map(|n| NewEvent::new(record(n)).unwrap()).collect();
    [(evs(1..=20), DAY1), (evs(21..=40), DAY2)]
}

const VERSIONS: &str = "INSERT INTO config_versions (site, version, body, first_seen) VALUES
    ('shop', 'v1aaaa', '{\"v\":1}', '2026-11-30T00:00:00.000Z'), ('shop', 'v2bbbb', '{\"v\":2}', '2026-12-02T00:00:00.000Z'),
    ('news', 'v9', '{}', '2026-11-01T00:00:00.000Z')";

/// The log in a new SQLite data directory, written with the log writer's statements.
fn sqlite() -> (tempfile::TempDir, Arc<dyn DashboardReads>) {
    sqlite_from(Frontier::default())
}

/// The same, its first record after `frontier` (a log that holds that many already).
fn sqlite_from(mut frontier: Frontier) -> (tempfile::TempDir, Arc<dyn DashboardReads>) {
    let dir = tempfile::tempdir().unwrap();
    let (_store, mut c) = Store::open(dir.path()).unwrap();
    c.execute_batch(VERSIONS).unwrap();
    let site_no = register_site(&c, "shop").unwrap();
    for (evs, at) in batches() {
        let tx = c.transaction().unwrap();
        {
            let mut app = Appender::new(&tx).unwrap();
            let mut counts = Counts::default();
            let mut canonical = Vec::new();
            for (i, ev) in evs.iter().enumerate() {
                let seq = frontier.size() + 1;
                let leaf = ev.canonical.place(at, seq, &mut canonical);
                app.insert_event(site_no, ev, seq, at, &[i as u8; 16], &canonical, &leaf).unwrap();
                let mut nodes = Vec::new();
                frontier.append(leaf, |level, index, hash| {
                    if level >= MIN_STORED_LEVEL {
                        nodes.push((level, index, *hash));
                    }
                });
                for (level, index, hash) in nodes {
                    app.insert_node(site_no, level, index, &hash).unwrap();
                }
                counts.add(site_no, at, ev);
            }
            counts.write(&tx).unwrap();
        }
        tx.commit().unwrap();
    }
    let d = open_dashboard(&Location::Sqlite(dir.path().join(DB_FILE))).unwrap();
    (dir, d)
}

/// The log in a new PostgreSQL database, written as an instance's log writer writes it.
fn postgres(cluster: &Cluster) -> Arc<dyn DashboardReads> {
    postgres_from(cluster, "dash", Frontier::default())
}

/// The same, its first record after `frontier` (a log that holds that many already: its head
/// moved there).
fn postgres_from(cluster: &Cluster, name: &str, frontier: Frontier) -> Arc<dyn DashboardReads> {
    let url = cluster.create_database(name);
    let d = open_dashboard(&Location::Postgres(url.clone())).unwrap();
    let mut c = crate::store::pg::connect(&url).unwrap();
    c.batch_execute(VERSIONS).unwrap();
    let mut log = crate::store::pg::PgSiteLog::open(&mut c, "shop").unwrap();
    c.execute("UPDATE log_heads SET size = $1 WHERE site_no = $2", &[&(frontier.size() as i64), &log.site_no]).unwrap();
    log.frontier = frontier;
    let mut logs = BTreeMap::from([("shop".to_string(), log)]);
    for (evs, at) in batches() {
        crate::store::pg::append_batch(&mut c, &mut logs, &evs, at).unwrap();
    }
    d
}

fn seqs(rows: &[StoredRow]) -> Vec<u64> {
    rows.iter().map(|r| r.seq).collect()
}

/// Every page of `f`, following the cursor: the seqs shown and the `searched` of each page.
fn all_pages(d: &dyn DashboardReads, f: &Filter, limit: i64, scan: i64) -> (Vec<u64>, Vec<Option<i64>>) {
    let (mut shown, mut searched) = (Vec::new(), Vec::new());
    let mut f = f.clone();
    for _ in 0..100 {
        let page = d.events("shop", &f, limit, scan).unwrap();
        assert!(page.rows.len() as i64 <= limit);
        shown.extend(seqs(&page.rows));
        searched.push(page.searched);
        match page.next {
            Some(n) => f.before = Some(n),
            None => return (shown, searched),
        }
    }
    panic!("the pages never end");
}

fn expected(keep: impl Fn(u32) -> bool) -> Vec<u64> {
    (1..=40u32).rev().filter(|&n| keep(n)).map(u64::from).collect()
}

fn dashboard_reads(d: &dyn DashboardReads) {
    assert_eq!(d.record_count("shop").unwrap(), 40);
    assert_eq!(d.record_count("nobody").unwrap(), 0);
    assert!(d.events("nobody", &Filter::default(), 10, 1000).unwrap().rows.is_empty());

    // Keyset pages, newest first: 15, 15, 10, then no cursor.
    let page = d.events("shop", &Filter::default(), 15, 1000).unwrap();
    assert_eq!(seqs(&page.rows), (26..=40).rev().collect::<Vec<_>>());
    assert_eq!((page.next, page.searched), (Some(26), None));
    let (shown, _) = all_pages(d, &Filter::default(), 15, 1000);
    assert_eq!(shown, expected(|_| true));
    // The rows as stored: the leaf is the hash of the canonical bytes, which name the seq.
    for r in &page.rows {
        let record = record(r.seq as u32);
        assert_eq!(r.leaf, leaf_hash(r.canonical.as_ref().unwrap()).to_vec(), "leaf of {}", r.seq);
        assert_eq!((r.action.as_str(), r.language.as_str()), (record.action.as_str(), record.language.code()));
        assert_eq!(r.recorded_at, DAY2);
        assert_eq!(uuid_bytes(&record.consent_id).unwrap().to_vec(), r.consent_id);
        assert_eq!(r.origin.as_deref(), Some("https://shop.kz"));
    }

    // Filters.
    let f = |set: &dyn Fn(&mut Filter)| {
        let mut f = Filter::default();
        set(&mut f);
        f
    };
    let cases: Vec<(Filter, Vec<u64>)> = vec![
        (f(&|f| f.action = "withdraw".into()), expected(|n| n % 4 == 0)),
        (f(&|f| f.category = "analytics".into()), expected(|n| n % 4 == 1)),
        (f(&|f| f.category = "ANALYTICS".into()), expected(|n| n % 4 == 1)),
        (f(&|f| f.category = "analytic".into()), vec![]),
        (f(&|f| f.category = "%".into()), vec![]),
        (f(&|f| f.version = "v2".into()), expected(|n| n > 30)),
        (f(&|f| f.version = "V1A".into()), expected(|n| n <= 30)),
        (f(&|f| f.language = "ru".into()), expected(|n| n % 2 == 1)),
        (f(&|f| f.consent_id = consent_of(3)), expected(|n| n % 10 == 3)),
        (f(&|f| f.consent_id = "not a uuid".into()), vec![]),
        (f(&|f| f.from = "2026-12-02".into()), expected(|n| n > 20)),
        (f(&|f| f.to = "2026-12-01".into()), expected(|n| n <= 20)),
        (f(&|f| f.from = "2026-12-01T10:00:00.000Z".into()), expected(|_| true)),
        (f(&|f| f.from = "2026-12-03".into()), vec![]),
        (f(&|f| f.to = "2026-11-30".into()), vec![]),
        (
            f(&|f| {
                f.from = "2026-12-02".into();
                f.action = "accept_all".into();
                f.language = "ru".into()
            }),
            expected(|n| n > 20 && n % 4 == 1),
        ),
    ];
    for (filter, want) in cases {
        let (shown, _) = all_pages(d, &filter, 4, 1000);
        assert_eq!(shown, want, "{filter:?}");
    }

    // A filter checked row by row looks through `scan` records per page and says how far.
    let withdraw = f(&|f| f.action = "withdraw".into());
    let page = d.events("shop", &withdraw, 50, 10).unwrap();
    assert_eq!(seqs(&page.rows), [40, 36, 32]);
    assert_eq!((page.next, page.searched), (Some(31), Some(31)));
    let (shown, searched) = all_pages(d, &withdraw, 50, 10);
    assert_eq!(shown, expected(|n| n % 4 == 0));
    assert_eq!(searched, [Some(31), Some(21), Some(11), None]);

    // Counts per UTC hour, as the writer keeps them.
    let mut want: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for n in 1..=40u32 {
        let r = record(n);
        let hour = if n <= 20 { &DAY1[..13] } else { &DAY2[..13] };
        let mut add =
            |dim: &str, key: &str| *want.entry((hour.to_owned(), dim.to_owned(), key.to_owned())).or_default() += 1;
        add("all", "");
        add("action", r.action.as_str());
        add("language", r.language.code());
        add("version", &r.config_version);
        for g in &r.granted {
            add("category", g);
        }
    }
    let mut got: Vec<_> = d.counts("shop", "2026-12-01T00", "2026-12-03T00").unwrap();
    got.sort();
    let want: Vec<_> = want.into_iter().map(|((h, d, k), n)| (h, d, k, n)).collect();
    assert_eq!(got, want);
    let day1 = d.counts("shop", "2026-12-01T00", "2026-12-02T00").unwrap();
    assert!(day1.iter().all(|c| c.0 == DAY1[..13]) && !day1.is_empty(), "hours from..to");
    assert!(d.counts("nobody", "2026-12-01T00", "2026-12-03T00").unwrap().is_empty());

    // Withdrawals, newest first.
    let w = d.withdrawals("shop", 3).unwrap();
    assert_eq!(seqs(&w), [40, 36, 32]);
    assert!(w.iter().all(|r| r.action == "withdraw"));
    assert_eq!(d.withdrawals("shop", 100).unwrap().len(), 10);
    assert!(d.withdrawals("nobody", 10).unwrap().is_empty());

    // Config versions with the events that name them.
    assert_eq!(
        d.versions("shop").unwrap(),
        [
            ("v2bbbb".to_owned(), "2026-12-02T00:00:00.000Z".to_owned(), 10),
            ("v1aaaa".to_owned(), "2026-11-30T00:00:00.000Z".to_owned(), 30)
        ]
    );
    assert_eq!(d.versions("news").unwrap(), [("v9".to_owned(), "2026-11-01T00:00:00.000Z".to_owned(), 0)]);
    let mut dates = d.version_dates("shop").unwrap();
    dates.sort();
    assert_eq!(dates.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["v1aaaa", "v2bbbb"]);
    assert_eq!(d.version_body("shop", "v2bbbb").unwrap().as_deref(), Some("{\"v\":2}"));
    assert_eq!(d.version_body("shop", "v9").unwrap(), None);
}

/// A consent id's records in two generations of the index by consent id (SQLite migration 12,
/// PostgreSQL migration 3: each 2^20 records of a log are one): the filter finds those in both,
/// on every page, on both stores.
#[test]
fn a_consent_id_is_found_in_every_generation_of_the_index() {
    let before = (1u64 << crate::store::keys::GEN_BITS) - 20;
    let frontier = || Frontier::from_parts(before, vec![[7; 32]; Frontier::parts(before).len()]).unwrap();
    let filter = Filter { consent_id: consent_of(3), ..Filter::default() };
    let want: Vec<u64> = expected(|n| n % 10 == 3).into_iter().map(|n| before + n).collect();
    assert_eq!(want.iter().filter(|&&s| s >> crate::store::keys::GEN_BITS == 0).count(), 2, "{want:?}");
    let (_dir, sqlite) = sqlite_from(frontier());
    let cluster = Cluster::start();
    let postgres = postgres_from(&cluster, "generations", frontier());
    for d in [sqlite, postgres] {
        assert_eq!(all_pages(&*d, &filter, 2, 1000).0, want);
        assert_eq!(all_pages(&*d, &filter, 50, 1000).0, want);
    }
}

#[test]
fn dashboard_reads_on_both_stores() {
    let (_dir, d) = sqlite();
    dashboard_reads(&*d);
    let cluster = Cluster::start();
    dashboard_reads(&*postgres(&cluster));
}
