//! `kelisim migrate --from-data DIR --to postgres://…` (issue 20, docs/postgres.md): a SQLite
//! server's data copied into a throwaway PostgreSQL and proven, then served from PostgreSQL
//! with the same receipts, proofs and log; a source whose checkpoint no longer matches its
//! tree is refused with nothing copied, and so is a target that already holds a log.

use kelisim_pgcluster::Cluster;
use kelisim_tests::admin::{add_account, session};
use kelisim_tests::consent::{config, event, send, ORIGIN, SITE};
use kelisim_tests::{cli, get, root, seed, uuid, Kelisim};

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn a_sqlite_log_moves_to_postgresql_with_the_same_roots() {
    // A SQLite server with a log, a signed checkpoint and an account.
    let k = Kelisim::start();
    let (_, sent) = seed(&k, 50);
    add_account(&k, "aigerim", "admin");
    let data = k.kill9();
    let d = data.path().display().to_string();
    let signed = cli(&["log", "checkpoint", "--data", &d]);
    assert!(signed.status.success(), "{}", text(&signed));

    let cluster = Cluster::start();
    let url = cluster.create_database("moved");
    // A source that no longer matches its checkpoint is refused, and nothing is copied.
    {
        let tampered = tempfile::tempdir().unwrap();
        // The database with its write-ahead log (the server was killed: not all is in the file).
        for f in ["kelisim.sqlite", "kelisim.sqlite-wal", "log-signing.key"] {
            if data.path().join(f).exists() {
                std::fs::copy(data.path().join(f), tampered.path().join(f)).unwrap();
            }
        }
        let db = rusqlite::Connection::open(tampered.path().join("kelisim.sqlite")).unwrap();
        db.execute_batch(
            "DROP TRIGGER checkpoints_no_update;
             UPDATE checkpoints SET root_hash = zeroblob(32) WHERE id = (SELECT MAX(id) FROM checkpoints WHERE site = 'webpulse');",
        )
        .unwrap();
        drop(db);
        let t = tampered.path().display().to_string();
        let refused = cli(&["migrate", "--from-data", &t, "--to", &url]);
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        assert!(text(&refused).contains("does not match the copied tree"), "{}", text(&refused));
        assert_eq!(cluster.psql("moved", "SELECT count(*) FROM events").trim(), "0", "nothing was copied");
    }

    let moved = cli(&["migrate", "--from-data", &d, "--to", &url]);
    let said = text(&moved);
    assert!(moved.status.success(), "{said}");
    assert!(said.contains("site webpulse: 50 records") && said.contains("same root"), "{said}");
    // Into a database that holds a log: refused.
    let again = cli(&["migrate", "--from-data", &d, "--to", &url]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already holds"), "{}", text(&again));

    // Served from PostgreSQL with the same key: the old receipts, proven; the log goes on at 51.
    let sites = root().join("www/sites");
    let pg = Kelisim::start_in(&sites, data, &["--demo", "--rate-limit", "0", "--database", &url])
        .unwrap_or_else(|e| panic!("serve on the migrated database: {e}"));
    let (consent, _, _) = &sent[7];
    let h = get(&pg.url(&format!("/api/v1/sites/{SITE}/consents/{consent}")), &[("origin", ORIGIN)]).json();
    assert_eq!(h["events"][0]["seq"], 8, "{h}");
    assert_eq!(h["events"][0]["verified"], true, "{h}");
    let cfg = config(&pg);
    let r = send(&pg.url(""), &event(&cfg, &uuid(), "accept_all", "kk")).unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["seq"], 51);
    // The account came along: it logs in to the PostgreSQL server's dashboard.
    let (cookie, _) = session(&pg, "aigerim");
    assert!(cookie.starts_with("kelisim_admin="));
    let pd = pg.data.path().display().to_string();
    let verified = cli(&["log", "verify", "--data", &pd, "--database", &url]);
    assert!(verified.status.success() && text(&verified).contains("site webpulse: intact"), "{}", text(&verified));
}
