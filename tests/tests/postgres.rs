//! The PostgreSQL store end to end (issue 20, docs/postgres.md): real `kelisim serve`
//! processes on one PostgreSQL database — a throwaway cluster of the test's own, started with
//! the machine's PostgreSQL (`cargo xtask test` installs it) — writing one log per site.
//! Decisions go to both instances at once, some to both (a widget's retry that reached the
//! other server); one instance is killed with SIGKILL under load, and PostgreSQL itself is
//! stopped as in a crash. Afterwards `kelisim log verify` passes, every acknowledged decision is
//! in the log once, and seq has no gap.

use kelisim_pgcluster::Cluster;
use kelisim_tests::admin::{login, session, PASSWORD};
use kelisim_tests::consent::{config, event, send, ORIGIN, SITE};
use kelisim_tests::{cli, cli_stdin, get, post_form, root, seed, uuid, Kelisim};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A server on `url`, with the demo sites; with `key`, that signing key (`--log-key`).
fn serve(url: &str, key: Option<&std::path::Path>) -> Kelisim {
    let sites = root().join("www/sites");
    let mut args = vec!["--demo", "--rate-limit", "0", "--checkpoint-interval", "1", "--database", url];
    let key = key.map(|k| k.display().to_string());
    if let Some(k) = &key {
        args.extend(["--log-key", k]);
    }
    Kelisim::start_with(&sites, &args).unwrap_or_else(|e| panic!("kelisim did not start on PostgreSQL: {e}"))
}

/// `kelisim log verify` over the database, with the key in `data`; its output.
fn log_verify(data: &std::path::Path, url: &str) -> String {
    let d = data.display().to_string();
    let out = cli(&["log", "verify", "--data", &d, "--database", url]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "log verify failed: {text}");
    text
}

fn hex_of(receipt_id: &str) -> String {
    receipt_id.replace('-', "")
}

#[test]
fn two_instances_on_one_database_write_one_verifiable_log() {
    let cluster = Cluster::start();
    let url = cluster.create_database("kelisim");
    let a = serve(&url, None);
    let key = a.data.path().join("log-signing.key");
    let b = serve(&url, Some(&key));
    let cfg = config(&a);
    let bases = [a.url(""), b.url("")];
    // Four clients at once, each alternating between the instances; every fifth decision is
    // sent to the other instance too, as a retry that went elsewhere.
    let receipts: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (bases, cfg, receipts) = (bases.clone(), cfg.clone(), receipts.clone());
            std::thread::spawn(move || {
                for i in 0..60 {
                    let ev = event(&cfg, &uuid(), ["accept_all", "reject_all", "custom"][i % 3], "kk");
                    let first = send(&bases[(t + i) % 2], &ev).expect("an answer");
                    assert_eq!(first.status, 201, "{}", first.body);
                    let receipt = first.json();
                    if i % 5 == 0 {
                        let again = send(&bases[(t + i + 1) % 2], &ev).expect("an answer");
                        assert!(again.status == 200 || again.status == 201, "{}", again.body);
                        let again = again.json();
                        assert_eq!(again["receipt_id"], receipt["receipt_id"], "a retry on the other instance");
                        assert_eq!(again["seq"], receipt["seq"]);
                    }
                    receipts.lock().unwrap().push((ev["event_id"].as_str().unwrap().to_owned(), receipt));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let receipts = receipts.lock().unwrap().clone();
    assert_eq!(receipts.len(), 240);
    // One log: seq 1..=240, each acknowledged receipt at its seq.
    let log = kelisim_tests::store::webpulse_log(&cluster, "kelisim");
    assert_eq!(log.keys().copied().collect::<Vec<_>>(), (1..=240).collect::<Vec<u64>>(), "seq has no gap");
    for (_, r) in &receipts {
        let seq = r["seq"].as_u64().unwrap();
        assert_eq!(log[&seq], hex_of(r["receipt_id"].as_str().unwrap()), "receipt at seq {seq}");
    }
    // A checkpoint covers everything (interval 1 s); either instance answers with the same one,
    // and a decision logged through one instance is proven by the other.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let cp_a = get(&a.url(&format!("/api/v1/sites/{SITE}/log/checkpoint")), &[]).json();
    let cp_b = get(&b.url(&format!("/api/v1/sites/{SITE}/log/checkpoint")), &[]).json();
    assert_eq!(cp_a, cp_b, "one log, one latest checkpoint");
    assert_eq!(cp_a["tree_size"], 240);
    let consent = receipts[0].1["consent_id"].as_str().unwrap().to_owned();
    for k in [&a, &b] {
        let h = get(&k.url(&format!("/api/v1/sites/{SITE}/consents/{consent}")), &[("origin", ORIGIN)]).json();
        let e = &h["events"][0];
        assert_eq!(e["seq"], receipts[0].1["seq"]);
        assert_eq!(e["verified"], true, "{h}");
    }
    // Both instances signed, with the one key: the log verifies, checkpoints included.
    let out = log_verify(a.data.path(), &url);
    assert!(out.contains("site webpulse: intact") && out.contains("240 records"), "{out}");
    let signed =
        cluster.psql("kelisim", "SELECT count(*), count(DISTINCT tree_size) FROM checkpoints WHERE site = 'webpulse'");
    let (n, sizes) = signed.trim().split_once('|').unwrap();
    assert_eq!(n, sizes, "one checkpoint per size, whichever instance signed it");
    // The audit export from PostgreSQL, checked offline as an auditor would.
    let bundle = a.data.path().join("webpulse.zip");
    let (d, out) = (a.data.path().display().to_string(), bundle.display().to_string());
    let made = cli(&["export", "--site", SITE, "--out", &out, "--data", &d, "--database", &url]);
    assert!(made.status.success(), "export: {}", String::from_utf8_lossy(&made.stderr));
    let checked = cli(&["verify", &out]);
    let said = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert!(
        checked.status.success() && said.contains("240"),
        "verify: {said}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    drop(b);
    drop(a);
}

/// Posts decisions to `base` until `stop`; returns the acknowledged ones (event id, receipt).
fn load(base: String, cfg: Value, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Value>> {
    std::thread::spawn(move || {
        let mut acked = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let ev = event(&cfg, &uuid(), "accept_all", "ru");
            match send(&base, &ev) {
                Some(r) if r.status == 201 => acked.push(r.json()),
                Some(r) => assert!(r.status == 503 || r.status == 500, "{}: {}", r.status, r.body),
                None => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        acked
    })
}

/// SIGKILL of one instance under load, then PostgreSQL stopped as in a crash and started
/// again: no acknowledged decision is lost, the surviving instance goes on (its writer opens a
/// new connection), and the log verifies.
#[test]
fn no_acknowledged_decision_is_lost_when_an_instance_or_postgresql_dies() {
    let mut cluster = Cluster::start();
    let url = cluster.create_database("crash");
    let a = serve(&url, None);
    let data_a = a.data.path().to_owned();
    let key = data_a.join("log-signing.key");
    let b = serve(&url, Some(&key));
    let cfg = config(&a);
    let stop = Arc::new(AtomicBool::new(false));
    let to_a = load(a.url(""), cfg.clone(), stop.clone());
    let to_b = load(b.url(""), cfg.clone(), stop.clone());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kept_data = a.kill9();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    // PostgreSQL stops as in a crash (no checkpoint), and comes back.
    cluster.stop_immediate();
    std::thread::sleep(std::time::Duration::from_millis(500));
    cluster.restart();
    let url = cluster.url("crash");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let (acked_a, acked_b) = (to_a.join().unwrap(), to_b.join().unwrap());
    assert!(acked_a.len() > 10 && acked_b.len() > 10, "{} and {} acknowledged", acked_a.len(), acked_b.len());
    // The surviving instance reconnected: it logs again (the port may have changed, so b's own
    // connection was re-opened to… the same URL only if the port stayed; the cluster keeps it
    // when it is free).
    assert_eq!(url, cluster.url("crash"));
    let after = send(&b.url(""), &event(&cfg, &uuid(), "reject_all", "kk")).unwrap();
    assert_eq!(after.status, 201, "after PostgreSQL came back: {}", after.body);
    let log = kelisim_tests::store::webpulse_log(&cluster, "crash");
    let n = log.len() as u64;
    assert_eq!(log.keys().copied().collect::<Vec<_>>(), (1..=n).collect::<Vec<u64>>(), "seq has no gap");
    let by_receipt: std::collections::BTreeSet<&String> = log.values().collect();
    for r in acked_a.iter().chain(&acked_b) {
        let receipt = hex_of(r["receipt_id"].as_str().unwrap());
        assert!(by_receipt.contains(&receipt), "acknowledged decision {} is in the log", r["seq"]);
        assert_eq!(log[&r["seq"].as_u64().unwrap()], receipt);
    }
    drop(b);
    let out = log_verify(kept_data.path(), &url);
    assert!(out.contains("site webpulse: intact"), "{out}");
    // The killed instance starts again on the same database and goes on with the same log.
    let sites = root().join("www/sites");
    let again = Kelisim::start_in(&sites, kept_data, &["--demo", "--rate-limit", "0", "--database", &url])
        .unwrap_or_else(|e| panic!("the killed instance did not start again: {e}"));
    let r = send(&again.url(""), &event(&cfg, &uuid(), "custom", "en")).unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["seq"].as_u64().unwrap(), n + 1);
}

/// `kelisim ARGS…` with `input` on standard input: its output, after checking that it succeeded.
fn run(args: &[&str], input: &str) -> String {
    let out = cli_stdin(args, input);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kelisim {}: {text}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The dashboard's export (`POST /admin/sites/webpulse/export`), written to `out`.
fn download_export(k: &Kelisim, cookie: &str, csrf: &str, out: &std::path::Path) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent
        .post(k.url(&format!("/admin/sites/{SITE}/export")))
        .header("cookie", cookie)
        .send_form([("csrf", csrf), ("from", ""), ("to", "")])
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("content-type").unwrap(), "application/zip");
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut r.body_mut().with_config().limit(1 << 30).reader(), &mut body).unwrap();
    std::fs::write(out, body).unwrap();
}

/// `GET /admin/api/sites/webpulse/events` with `token`: the status and the events.
fn api_events(k: &Kelisim, token: &str) -> (u16, Vec<Value>) {
    let r = get(&k.url(&format!("/admin/api/sites/{SITE}/events")), &[("authorization", &format!("Bearer {token}"))]);
    let events = if r.status == 200 { r.json()["events"].as_array().unwrap().clone() } else { Vec::new() };
    (r.status, events)
}

/// A server on PostgreSQL keeps its accounts and tokens there (issue 20): `admin add` and `token
/// create|list|revoke` given `--database` write and read them there, not a SQLite file that no
/// instance reads. The account signs in to either instance; the dashboard shows the log, checks
/// it and exports it from PostgreSQL; the token reads the admin API until it is revoked.
#[test]
fn accounts_and_tokens_made_with_database_serve_every_instance() {
    let cluster = Cluster::start();
    let url = cluster.create_database("dash");
    // The first account before any instance ran, with a data directory beside it that must stay
    // empty: the account goes to PostgreSQL only.
    let elsewhere = tempfile::tempdir().unwrap();
    let d = elsewhere.path().display().to_string();
    let said = run(
        &["admin", "add", "aigerim", "--role", "admin", "--password-stdin", "--data", &d, "--database", &url],
        &format!("{PASSWORD}\n"),
    );
    assert!(said.contains("added aigerim (admin)"), "{said}");
    assert!(!elsewhere.path().join("kelisim.sqlite").exists(), "nothing written to the data directory");
    assert_eq!(cluster.psql("dash", "SELECT role FROM admins WHERE username = 'aigerim'").trim(), "admin");
    // The same name again is refused, as on SQLite (exit 2).
    let again = cli_stdin(
        &["admin", "add", "aigerim", "--role", "auditor", "--password-stdin", "--database", &url],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let a = serve(&url, None);
    let key = a.data.path().join("log-signing.key");
    let b = serve(&url, Some(&key));
    seed(&a, 12);
    assert_eq!(login(&a, "nobody", PASSWORD).status, 401, "only the account that was added");
    let (cookie, csrf) = session(&a, "aigerim");
    let page = |k: &Kelisim, cookie: &str, path: &str| {
        let r = get(&k.url(&format!("/admin/sites/{SITE}/{path}")), &[("cookie", cookie)]);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.body
    };
    let overview = page(&a, &cookie, "");
    assert!(overview.contains(r#"<b data-stat="total">12</b>"#), "{overview}");
    let log = page(&a, &cookie, "log");
    assert_eq!(log.matches("<span data-action=").count(), 12, "{log}");
    // "Verify now" checks the log in PostgreSQL.
    let checked = post_form(&a.url(&format!("/admin/sites/{SITE}/verify")), &[("cookie", &cookie)], &[("csrf", &csrf)]);
    assert!(checked.body.contains("data-integrity=\"ok\""), "{}", checked.body);
    // The dashboard's export, checked offline.
    let bundle = a.data.path().join("dash.zip");
    download_export(&a, &cookie, &csrf, &bundle);
    let verified = run(&["verify", &bundle.display().to_string()], "");
    assert!(verified.contains("12 records"), "{verified}");

    // The second instance: the same account signs in, and sees the same log.
    let (cookie_b, _) = session(&b, "aigerim");
    assert!(page(&b, &cookie_b, "").contains(r#"<b data-stat="total">12</b>"#));
    assert_eq!(page(&b, &cookie_b, "log").matches("<span data-action=").count(), 12);
    // A session is a row in PostgreSQL: the one made on a is valid on b.
    assert_eq!(get(&b.url("/admin/"), &[("cookie", &cookie)]).status, 200);

    // An API token made with --database reads the admin API on both instances, until revoked.
    let token =
        run(&["token", "create", "--role", "auditor", "--name", "ci", "--database", &url], "").trim().to_owned();
    for k in [&a, &b] {
        let (status, events) = api_events(k, &token);
        assert_eq!((status, events.len()), (200, 12));
    }
    let listed = run(&["token", "list", "--database", &url], "");
    let row = listed.lines().find(|l| l.contains(" ci ")).unwrap_or_else(|| panic!("{listed}"));
    let id = row.split_whitespace().next().unwrap().to_owned();
    assert!(row.contains("auditor") && row.ends_with("active"), "{row}");
    assert!(run(&["token", "revoke", &id, "--database", &url], "").contains(&format!("revoked token #{id}")));
    for k in [&a, &b] {
        assert_eq!(api_events(k, &token).0, 401, "a revoked token is refused");
    }
    let twice = cli(&["token", "revoke", &id, "--database", &url]);
    assert_eq!(twice.status.code(), Some(2), "no active token #{id} any more");
    // The audit trail in PostgreSQL has what the command line did.
    let audit = cluster.psql("dash", "SELECT actor || ':' || action FROM audit_log ORDER BY seq");
    for entry in
        ["cli:account.add", "cli:token.create", "cli:token.revoke", "aigerim:login", "aigerim:verify", "aigerim:export"]
    {
        assert!(audit.lines().any(|l| l == entry), "{entry} in {audit}");
    }
    // `scan --database` keeps its report in PostgreSQL, where both instances' dashboards read it
    // (the machine's Chromium, as tests/tests/scan.rs); it needs the site (exit 2 without).
    let scan = cli(&["scan", "http://127.0.0.1:9/", "--database", &url]);
    assert_eq!(scan.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&scan.stderr).contains("--database keeps the scan"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let sites = root().join("www/sites").display().to_string();
    let demo = a.url("/demo/webpulse/");
    let scan = cli(&[
        "scan",
        &demo,
        "--site",
        SITE,
        "--sites",
        &sites,
        "--pages",
        "1",
        "--timeout",
        "20",
        "--chromium",
        &chromium,
        "--data",
        &d,
        "--database",
        &url,
    ]);
    let said = String::from_utf8_lossy(&scan.stderr);
    assert_eq!(scan.status.code(), Some(0), "{said}");
    assert!(said.contains("the scan is kept for site `webpulse` in postgres://"), "{said}");
    assert!(!elsewhere.path().join("kelisim.sqlite").exists(), "--database wins over --data");
    assert_eq!(cluster.psql("dash", "SELECT count(*) FROM scans WHERE site = 'webpulse'").trim(), "1");
    for (k, cookie) in [(&a, &cookie), (&b, &cookie_b)] {
        let home = get(&k.url("/admin/"), &[("cookie", cookie)]);
        assert!(home.body.contains(r#"href="/admin/sites/webpulse/scan" data-scan-violations="0""#), "{}", home.body);
    }
    drop(b);
    drop(a);
}

/// `openssl` with `args`, in `dir`; fails the test if it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA (`ca.pem`) and a server certificate it signed for 127.0.0.1 (`server.pem`, `server.key`);
/// and another CA (`other.pem`) that signed nothing here.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for ca in ["ca", "other"] {
        let (key, pem) = (format!("{ca}.key"), format!("{ca}.pem"));
        let subject = format!("/CN=Kelisim test {ca}");
        openssl(
            d,
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", &subject, "-keyout", &key,
                "-out", &pem,
            ],
        );
    }
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(d.join("san.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
    dir
}

/// TLS to PostgreSQL (docs/postgres.md): with `sslmode=verify-full` and the CA in `sslrootcert`
/// every connection of the server and of the CLI is encrypted; a server certificate from another
/// CA, or a mode that could fall back to clear text, stops the server before it connects.
#[test]
fn tls_to_postgresql_is_verified_and_every_connection_uses_it() {
    let certs = certificates();
    let cluster = Cluster::start();
    cluster.enable_tls(&certs.path().join("server.pem"), &certs.path().join("server.key"));
    let plain = cluster.create_database("kelisim");
    let ca = certs.path().join("ca.pem").display().to_string();
    let url = format!("{plain}?sslmode=verify-full&sslrootcert={ca}");
    let k = serve(&url, None);
    let cfg = config(&k);
    for _ in 0..5 {
        assert_eq!(send(&k.base, &event(&cfg, &uuid(), "accept_all", "kk")).unwrap().status, 201);
    }
    log_verify(k.data.path(), &url);
    let sessions = |ssl: bool| {
        cluster.psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.datname = 'kelisim' AND a.pid <> pg_backend_pid() AND s.ssl = {ssl}"
            ),
        )
    };
    assert_eq!(sessions(false).trim(), "0", "no connection of the server in clear");
    assert_ne!(sessions(true).trim(), "0", "the server's connections use TLS");
    drop(k);
    let other = certs.path().join("other.pem").display().to_string();
    let refused = Kelisim::start_with(
        &root().join("www/sites"),
        &["--database", &format!("{plain}?sslmode=verify-full&sslrootcert={other}")],
    )
    .err()
    .expect("a server certificate from another CA was accepted");
    assert!(refused.contains("certificate"), "{refused}");
    let refused = Kelisim::start_with(&root().join("www/sites"), &["--database", &format!("{plain}?sslmode=prefer")])
        .err()
        .expect("sslmode=prefer was accepted");
    assert!(refused.contains("sslmode=prefer") && refused.contains("verify-full"), "{refused}");
}

/// Four `kelisim serve` processes started at once on an empty database: the schema is made
/// once (each migration recorded once, under the advisory lock), and every one of them serves.
#[test]
fn four_servers_starting_at_once_on_an_empty_database_migrate_it_once() {
    let cluster = Cluster::start();
    let url = cluster.create_database("kelisim");
    // One log key for all four, as docs/postgres.md asks.
    let keys = tempfile::tempdir().unwrap();
    assert!(cli(&["log", "key", "--data", keys.path().to_str().unwrap()]).status.success());
    let key = keys.path().join("log-signing.key");
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let servers: Vec<Kelisim> = (0..4)
        .map(|_| {
            let (url, barrier, key) = (url.clone(), barrier.clone(), key.clone());
            std::thread::spawn(move || {
                barrier.wait();
                serve(&url, Some(&key))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("a server started"))
        .collect();
    let versions =
        cluster.psql("kelisim", "SELECT version, count(*) FROM kelisim_schema GROUP BY version ORDER BY version");
    assert!(!versions.trim().is_empty() && versions.lines().all(|l| l.ends_with("|1")), "{versions}");
    for k in &servers {
        let cfg = config(k);
        assert_eq!(send(&k.base, &event(&cfg, &uuid(), "reject_all", "ru")).unwrap().status, 201);
    }
}
