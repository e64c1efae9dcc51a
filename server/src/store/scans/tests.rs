//! The same checks on both stores: a function over `&dyn ScanStore`, run on the SQLite file of
//! a temporary data directory and on a PostgreSQL database of a throwaway cluster.

use super::*;
use crate::store::{Store, DB_FILE};
use kelisim_pgcluster::Cluster;

fn scan<'a>(site: &'a str, finished_at: &'a str, report: &'a str, by: Option<&'a str>) -> NewScan<'a> {
    NewScan { site, url: "https://shop.kz/", finished_at, violations: 3, report, by }
}

fn schedule(site: &str, every: Every, url: &str) -> Schedule {
    Schedule {
        site: site.into(),
        every,
        url: url.into(),
        pages: 5,
        set_by: "zeynep".into(),
        set_at: "2026-12-01T00:00:00.000Z".into(),
        last_attempt_at: None,
    }
}

fn scans_and_schedules(s: &dyn ScanStore) {
    assert_eq!(s.nth_latest("shop", 0).unwrap(), None);
    assert!(s.history("shop", 10).unwrap().is_empty());
    let a = s.insert(scan("shop", "2026-12-01T10:00:00.000Z", r#"{"n":1}"#, None)).unwrap();
    let b = s.insert(scan("news", "2026-12-01T11:00:00.000Z", r#"{"n":2}"#, Some("schedule"))).unwrap();
    let c = s.insert(scan("shop", "2026-12-02T10:00:00.000Z", r#"{"n":3}"#, Some("zeynep"))).unwrap();
    assert!(a < b && b < c, "ids grow");
    assert_eq!(s.nth_latest("shop", 0).unwrap().as_deref(), Some(r#"{"n":3}"#));
    assert_eq!(s.nth_latest("shop", 1).unwrap().as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(s.nth_latest("shop", 2).unwrap(), None);
    let h = s.history("shop", 10).unwrap();
    let shown: Vec<(&str, &str, i64, Option<&str>)> =
        h.iter().map(|p| (p.finished_at.as_str(), p.url.as_str(), p.violations, p.by.as_deref())).collect();
    assert_eq!(
        shown,
        [
            ("2026-12-02T10:00:00.000Z", "https://shop.kz/", 3, Some("zeynep")),
            ("2026-12-01T10:00:00.000Z", "https://shop.kz/", 3, None)
        ]
    );
    assert_eq!(s.history("shop", 1).unwrap().len(), 1, "limited");

    // Schedules: set, changed (keeping when it last ran), listed by site, removed.
    assert_eq!(s.schedule("shop").unwrap(), None);
    s.set_schedule("shop", Some(&schedule("shop", Every::Week, "https://shop.kz/"))).unwrap();
    s.set_schedule("Beta", Some(&schedule("Beta", Every::Day, "https://beta.kz/"))).unwrap();
    s.attempted("shop", "2026-12-03T00:00:00.000Z").unwrap();
    s.set_schedule("shop", Some(&schedule("shop", Every::Day, "https://shop.kz/new"))).unwrap();
    let got = s.schedule("shop").unwrap().unwrap();
    assert_eq!(
        got,
        Schedule {
            last_attempt_at: Some("2026-12-03T00:00:00.000Z".into()),
            ..schedule("shop", Every::Day, "https://shop.kz/new")
        }
    );
    let all: Vec<String> = s.schedules().unwrap().into_iter().map(|s| s.site).collect();
    assert_eq!(all, ["Beta", "shop"], "bytewise order");
    s.set_schedule("shop", None).unwrap();
    assert_eq!(s.schedule("shop").unwrap(), None);
    assert_eq!(s.schedules().unwrap().len(), 1);
    s.attempted("gone", "2026-12-03T00:00:00.000Z").unwrap();
}

#[test]
fn scans_and_schedules_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    scans_and_schedules(&*open_scans(&Location::Sqlite(dir.path().join(DB_FILE))).unwrap());
    let cluster = Cluster::start();
    scans_and_schedules(&*open_scans(&Location::Postgres(cluster.create_database("scans"))).unwrap());
}
