//! The deployment files of docs/deploy.md, exercised: the systemd unit's ExecStart starts the
//! real server (paths swapped for temporary ones), and the real nginx (`cargo xtask test`
//! installs it from apt) with deploy/nginx.conf — TLS with a certificate made here, HTTP/2, the
//! redirect from plain HTTP — carries the widget's requests and consents to it. An address a
//! client writes into X-Forwarded-For is not taken for its own: Kelisim reads the last entry,
//! the one nginx adds. On PostgreSQL: the documented grants, and the two-instance layout with a
//! synchronous standby through a failover.

use kelisim_tests::consent::{config, event, ORIGIN, SITE};
use kelisim_tests::{bin, root, uuid, Kelisim};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The unit's ExecStart line, as words.
fn exec_start() -> Vec<String> {
    let unit = std::fs::read_to_string(root().join("deploy/kelisim.service")).unwrap();
    let line = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("an ExecStart line");
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn the_systemd_unit_starts_the_server_with_its_options() {
    let unit = std::fs::read_to_string(root().join("deploy/kelisim.service")).unwrap();
    for hardening in [
        "User=kelisim",
        "StateDirectoryMode=0700",
        "UMask=0077",
        "ProtectSystem=strict",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit.contains(hardening), "the unit has {hardening}");
    }
    let data = tempfile::tempdir().unwrap();
    let sites = root().join("www/sites");
    let args: Vec<String> = exec_start()
        .into_iter()
        .skip(1)
        .map(|a| match a.as_str() {
            "/etc/kelisim/sites" => sites.display().to_string(),
            "/var/lib/kelisim" => data.path().display().to_string(),
            "127.0.0.1:8790" => "127.0.0.1:0".into(),
            _ => a,
        })
        .collect();
    assert_eq!(args[0], "serve");
    let mut child = Command::new(bin()).args(&args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let line = BufReader::new(child.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("kelisim listening on http://127.0.0.1:"), "{line}");
}

/// nginx running with `conf`, stopped when dropped.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    /// SIGTERM: the master stops its workers (SIGKILL would leave them running).
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// curl through nginx to `path` (HTTPS on `tls`, the test certificate trusted as the CA);
/// (status, headers and body).
fn curl(tls: u16, path: &str, extra: &[&str], ca: &std::path::Path) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-i", "--http2", "--cacert"])
        .arg(ca)
        .args(["--resolve", &format!("consent.example.kz:{tls}:127.0.0.1")])
        .args(extra)
        .arg(format!("https://consent.example.kz:{tls}{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[test]
fn nginx_in_front_with_tls_carries_the_widget_and_the_consents() {
    let nginx = std::path::Path::new("/usr/sbin/nginx");
    assert!(nginx.exists(), "nginx is missing: `cargo xtask test` installs it (apt-get install -y nginx)");
    let k = Kelisim::start_with(&root().join("www/sites"), &["--demo", "--rate-limit", "0", "--trust-proxy"]).unwrap();
    let upstream = k.host();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=consent.example.kz"])
        .args(["-addext", "subjectAltName=DNS:consent.example.kz", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (tls, plain) = (free_port(), free_port());
    let site = std::fs::read_to_string(root().join("deploy/nginx.conf"))
        .unwrap()
        .replace("127.0.0.1:8790", &upstream)
        .replace("listen 443 ", &format!("listen 127.0.0.1:{tls} "))
        .replace("listen 80;", &format!("listen 127.0.0.1:{plain};"))
        .replace("/etc/letsencrypt/live/consent.example.kz/fullchain.pem", &cert.display().to_string())
        .replace("/etc/letsencrypt/live/consent.example.kz/privkey.pem", &key.display().to_string());
    let d = dir.path().display();
    let conf = format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 256; }}\nhttp {{\n\
         access_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n{site}\n}}\n"
    );
    let conf_file = dir.path().join("nginx.conf");
    std::fs::write(&conf_file, conf).unwrap();
    let test = Command::new(nginx).arg("-t").arg("-c").arg(&conf_file).arg("-p").arg(dir.path()).output().unwrap();
    assert!(test.status.success(), "nginx -t: {}", String::from_utf8_lossy(&test.stderr));
    let _nginx = Nginx(
        Command::new(nginx)
            .args(["-g", "daemon off;", "-c"])
            .arg(&conf_file)
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait for it to listen.
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", tls)).is_ok()
    });
    assert!(up, "nginx did not listen: {}", std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default());

    // Plain HTTP is sent to HTTPS.
    let redirect = Command::new("curl")
        .args(["-s", "-i", "-H", "Host: consent.example.kz", &format!("http://127.0.0.1:{plain}/kelisim.js")])
        .output()
        .unwrap();
    let redirect = String::from_utf8_lossy(&redirect.stdout);
    assert!(redirect.starts_with("HTTP/1.1 301"), "{redirect}");
    assert!(redirect.to_ascii_lowercase().contains("location: https://consent.example.kz/kelisim.js"), "{redirect}");
    // The loader and the site's config over HTTP/2 and TLS.
    let ca = cert.clone();
    let (status, loader) = curl(tls, "/kelisim.js", &[], &ca);
    assert_eq!(status, 200, "{loader}");
    assert!(loader.starts_with("HTTP/2 200"), "HTTP/2 to the browser: {}", &loader[..40.min(loader.len())]);
    let cfg = config(&k);
    // A consent through the proxy, with an address the client made up in X-Forwarded-For.
    let ev = event(&cfg, &uuid(), "accept_all", "kk").to_string();
    let (status, answer) = curl(
        tls,
        &format!("/api/v1/sites/{SITE}/consents"),
        &[
            "-H",
            "content-type: application/json",
            "-H",
            &format!("origin: {ORIGIN}"),
            "-H",
            "x-forwarded-for: 203.0.113.7",
            "--data-binary",
            &ev,
        ],
        &ca,
    );
    assert_eq!(status, 201, "{answer}");
    let ip: String = k
        .db()
        .query_row(
            "SELECT json_extract(CAST(canonical AS TEXT), '$.ip') FROM events ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ip, "127.0.0.0/24", "the address nginx saw (minimized), not the one the client wrote");
}

/// The SQL block of docs/deploy.md's "Grants" item, with a password put in.
fn documented_grants() -> String {
    let doc = std::fs::read_to_string(root().join("docs/deploy.md")).unwrap();
    let from = doc.find("**Grants**").expect("docs/deploy.md has a Grants item");
    let block = doc[from..].split("```sql\n").nth(1).expect("a SQL block after it").split("```").next().unwrap();
    assert!(block.contains("CREATE ROLE kelisim_app"), "{block}");
    block.replace("'…'", "'a test password'")
}

/// docs/deploy.md's grants, exercised: after one start as the owner, Kelisim serves as
/// `kelisim_app` — decisions, checkpoints, accounts and sessions, `log verify` — and that role
/// cannot change or remove a record even with the triggers out of the way, nor (on an empty
/// database) run a migration; it is told who can.
#[test]
fn the_documented_grants_let_kelisim_serve_as_a_role_that_cannot_change_the_log() {
    use kelisim_tests::store::Store;
    let store = Store::postgres();
    let Store::Postgres(pg) = &store else { unreachable!() };
    let sites = root().join("www/sites");
    // The first start, as the owner, migrates.
    let owner = Kelisim::start_on(&store, &sites, tempfile::tempdir().unwrap(), &["--rate-limit", "0"])
        .unwrap_or_else(|e| panic!("{e}"));
    let data = owner.kill9();
    pg.cluster.psql("kelisim", &documented_grants());
    let app_url = pg.url.replace("postgres://postgres@", "postgres://kelisim_app:a%20test%20password@");
    assert_ne!(app_url, pg.url);
    let args = ["--rate-limit", "0", "--checkpoint-interval", "1", "--database", &app_url];
    let k =
        Kelisim::start_in(&sites, data, &args).unwrap_or_else(|e| panic!("kelisim did not start as kelisim_app: {e}"));
    let cfg = config(&k);
    let health = kelisim_tests::get(&k.url("/healthz"), &[]);
    assert_eq!(health.status, 200, "the health check's write, as kelisim_app: {}", health.body);
    for i in 0..20 {
        let r = kelisim_tests::consent::send(&k.base, &event(&cfg, &uuid(), ["accept_all", "withdraw"][i % 2], "ru"))
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while kelisim_tests::get(&k.url(&format!("/api/v1/sites/{SITE}/log/checkpoint")), &[]).json()["tree_size"] != 20 {
        assert!(std::time::Instant::now() < until, "no checkpoint of 20 records signed as kelisim_app");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Accounts, a session and its end, as the restricted role.
    let data_dir = k.data.path().display().to_string();
    let app = ["--data", data_dir.as_str(), "--database", app_url.as_str()];
    let mut add = vec!["admin", "add", "dpo", "--role", "admin", "--password-stdin"];
    add.extend(app);
    let out = kelisim_tests::cli_stdin(&add, &format!("{}\n", kelisim_tests::admin::PASSWORD));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (cookie, csrf) = kelisim_tests::admin::session(&k, "dpo");
    let out = kelisim_tests::post_form(
        &k.url("/admin/logout"),
        &[("cookie", &cookie), ("origin", &k.base)],
        &[("csrf", &csrf)],
    );
    assert_eq!(out.status, 303, "{}", out.body);
    assert_ne!(kelisim_tests::get(&k.url("/admin/"), &[("cookie", &cookie)]).status, 200, "the session ended");
    let mut verify = vec!["log", "verify"];
    verify.extend(app);
    let out = kelisim_tests::cli(&verify);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact, 20 records"));
    // What the role may not do, whatever the triggers say.
    for sql in [
        "UPDATE events SET action = 'accept_all'",
        "DELETE FROM events",
        "DELETE FROM checkpoints",
        "UPDATE merkle_subtrees SET idx = idx",
    ] {
        let e = pg
            .cluster
            .try_psql("kelisim", &format!("SET ROLE kelisim_app; ALTER TABLE events DISABLE TRIGGER ALL; {sql}"));
        assert!(
            e.as_ref().is_err_and(|e| e.contains("must be owner") || e.contains("permission denied")),
            "{sql}: {e:?}"
        );
        let e = pg.cluster.try_psql("kelisim", &format!("SET ROLE kelisim_app; {sql}"));
        assert!(e.as_ref().is_err_and(|e| e.contains("permission denied")), "{sql}: {e:?}");
    }
    // The one column it may update, for the purge, is still guarded by the trigger.
    let e = pg.cluster.try_psql("kelisim", "SET ROLE kelisim_app; UPDATE events SET canonical = NULL");
    assert!(e.as_ref().is_err_and(|e| e.contains("append-only")), "{e:?}");
    assert_eq!(pg.cluster.psql("kelisim", "SELECT count(*) FROM events").trim(), "20");
    drop(k);
    // A database without the schema: the restricted role cannot create it, and says so.
    pg.cluster.create_database("fresh");
    pg.cluster.psql("postgres", "GRANT CONNECT ON DATABASE fresh TO kelisim_app");
    let fresh = format!("{}/fresh", app_url.rsplit_once('/').unwrap().0);
    let refused = Kelisim::start_with(&sites, &["--database", &fresh]).err().expect("serve migrated as kelisim_app");
    assert!(
        refused.contains("permission denied") && refused.contains("as that role") && refused.contains("Grants"),
        "{refused}"
    );
}

/// The value docs/deploy.md gives the primary's `synchronous_standby_names`.
fn documented_synchronous_standby_names() -> String {
    let doc = std::fs::read_to_string(root().join("docs/deploy.md")).unwrap();
    let from = doc.find("`synchronous_standby_names = '").expect("docs/deploy.md sets synchronous_standby_names");
    let value = &doc[from + "`synchronous_standby_names = '".len()..];
    value[..value.find("'`").expect("a quoted value")].to_owned()
}

/// Posts decisions to `base` until `stop`; the acknowledged ones (`201`), and how many answers
/// were `503` (the database away).
fn post_until(
    base: String,
    cfg: serde_json::Value,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(Vec<serde_json::Value>, usize)> {
    std::thread::spawn(move || {
        let (mut acked, mut unavailable) = (Vec::new(), 0);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            match kelisim_tests::consent::send(&base, &event(&cfg, &uuid(), "accept_all", "kk")) {
                Some(r) if r.status == 201 => acked.push(r.json()),
                Some(r) => {
                    assert_eq!(r.status, 503, "{}", r.body);
                    assert_eq!(r.header("content-type"), Some("application/problem+json"));
                    unavailable += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                None => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        (acked, unavailable)
    })
}

/// A stand-in for the address the instances' database URL names — a DNS name or a virtual IP
/// that moves to the new primary at failover: a TCP forwarder on a port of its own to
/// 127.0.0.1:`target`, read at each new connection. A connection whose server side ends is
/// closed on the client side too.
fn moving_address(target: std::sync::Arc<std::sync::atomic::AtomicU16>) -> u16 {
    use std::net::{Shutdown, TcpListener, TcpStream};
    fn pipe(mut from: TcpStream, mut to: TcpStream) {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Both);
            let _ = from.shutdown(Shutdown::Both);
        });
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let to = target.load(std::sync::atomic::Ordering::SeqCst);
            if let Ok(server) = TcpStream::connect(("127.0.0.1", to)) {
                // Without it, Nagle's algorithm and delayed ACKs hold each small message ~40 ms.
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        }
    });
    port
}

/// A primary with the documented synchronous standby (the documented replication role,
/// `pg_basebackup`, `synchronous_standby_names`), once the standby is synchronous.
fn primary_with_synchronous_standby() -> (kelisim_pgcluster::Cluster, kelisim_pgcluster::Cluster) {
    let primary = kelisim_pgcluster::Cluster::start();
    primary.create_database("kelisim");
    // The replication role and its pg_hba.conf line as the section gives them: the standby
    // connects with that role's password (every other connection here is trusted).
    let doc = std::fs::read_to_string(root().join("docs/deploy.md")).unwrap();
    let create = doc.split("-c \"").find(|s| s.starts_with("CREATE ROLE replicator")).expect("the documented role");
    primary.psql("postgres", &create[..create.find('"').unwrap()].replace("'…'", "'a test password'"));
    let hba = doc.split("`host replication").nth(1).expect("the documented pg_hba.conf line");
    let hba = format!("host replication{}", &hba[..hba.find('`').unwrap()]);
    assert!(hba.contains("<db-standby's address>/32") && hba.ends_with("scram-sha-256"), "{hba}");
    primary.hba_first(&hba.replace("<db-standby's address>", "127.0.0.1"));
    let standby = kelisim_pgcluster::Cluster::standby_of(&primary, "db_standby", "replicator", "a test password");
    let names = documented_synchronous_standby_names();
    assert!(names.contains("db_standby"), "{names}");
    primary.psql("postgres", &format!("ALTER SYSTEM SET synchronous_standby_names = '{names}'"));
    primary.psql("postgres", "SELECT pg_reload_conf()");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let state = "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'db_standby'";
    while primary.psql("postgres", state).trim() != "sync" {
        assert!(std::time::Instant::now() < until, "the standby did not become synchronous");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (primary, standby)
}

/// How the instances find the primary after a failover (docs/deploy.md, "Failover").
#[derive(Clone, Copy)]
enum FindPrimary {
    /// The URL names one address, which is moved to the promoted standby (a DNS name, a
    /// virtual IP).
    MovedAddress,
    /// The URL lists both hosts, the standby first; the client takes the one that accepts
    /// writes.
    BothHosts,
}

/// docs/deploy.md's "Two instances, a primary and a synchronous standby", on one machine: two
/// `kelisim serve` with one log key on a primary whose `synchronous_standby_names` is the
/// documented one; a standby made by `pg_basebackup` as the documented replication role.
/// Decisions go to both instances, then the primary dies as in a crash (`pg_ctl stop -m
/// immediate`) and stays down: the instances answer `503`. The standby is promoted (and, with
/// [`FindPrimary::MovedAddress`], the address moved to it); the same instances, not restarted,
/// log again. Every decision acknowledged before the crash is on the new primary, in one log
/// with no gap that `kelisim log verify` finds intact.
fn failover(find: FindPrimary) {
    use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
    use std::sync::Arc;
    let (mut primary, standby) = primary_with_synchronous_standby();
    let target = Arc::new(AtomicU16::new(primary.port()));
    let url = match find {
        FindPrimary::MovedAddress => {
            format!("postgres://postgres@127.0.0.1:{}/kelisim", moving_address(target.clone()))
        }
        // The standby first: the client must pass it over while it is one.
        FindPrimary::BothHosts => {
            format!("postgres://postgres@127.0.0.1:{},127.0.0.1:{}/kelisim", standby.port(), primary.port())
        }
    };
    // The two instances: the same site files, the same log key (a copy of the file, 0600).
    let sites = root().join("www/sites");
    let keys = tempfile::tempdir().unwrap();
    let serve = |key: Option<&std::path::Path>| {
        let mut args = vec!["--demo", "--rate-limit", "0", "--checkpoint-interval", "1", "--database", &url];
        let key = key.map(|k| k.display().to_string());
        if let Some(k) = &key {
            args.extend(["--log-key", k]);
        }
        Kelisim::start_with(&sites, &args).unwrap_or_else(|e| panic!("kelisim did not start: {e}"))
    };
    let app1 = serve(None);
    let key = keys.path().join("log-signing.key");
    std::fs::copy(app1.data.path().join("log-signing.key"), &key).unwrap();
    let app2 = serve(Some(&key));
    let cfg = config(&app1);
    let stop = Arc::new(AtomicBool::new(false));
    let loads = [&app1, &app2].map(|k| post_until(k.base.clone(), cfg.clone(), stop.clone()));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // The primary is lost: no checkpoint, every process gone, and it stays down.
    primary.stop_immediate();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    let results = loads.map(|l| l.join().unwrap());
    let acked: Vec<&serde_json::Value> = results.iter().flat_map(|(a, _)| a).collect();
    assert!(
        results.iter().all(|(a, _)| a.len() > 10),
        "both instances logged before the crash: {:?}",
        results.iter().map(|(a, u)| (a.len(), u)).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|(_, u)| *u > 0), "both instances answered 503 while the database was away");
    // Failover: the standby becomes the primary (and the address moves to it).
    standby.promote();
    target.store(standby.port(), Ordering::SeqCst);
    let log = kelisim_tests::store::webpulse_log(&standby, "kelisim");
    let n = log.len() as u64;
    assert_eq!(log.keys().copied().collect::<Vec<_>>(), (1..=n).collect::<Vec<u64>>(), "seq has no gap");
    for r in &acked {
        let seq = r["seq"].as_u64().unwrap();
        assert_eq!(
            log.get(&seq),
            Some(&r["receipt_id"].as_str().unwrap().replace('-', "")),
            "the decision acknowledged as seq {seq} is on the promoted standby"
        );
    }
    // The same instances log again, after the last record the old primary acknowledged (an
    // instance may need a moment and a `503` or two to open its new connections).
    for (next, k) in (n + 1..).zip([&app1, &app2]) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let r = loop {
            let r = kelisim_tests::consent::send(&k.base, &event(&cfg, &uuid(), "reject_all", "ru")).unwrap();
            if r.status != 503 || std::time::Instant::now() > until {
                break r;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        assert_eq!(r.status, 201, "after the failover: {}", r.body);
        assert_eq!(r.json()["seq"].as_u64().unwrap(), next);
    }
    drop((app1, app2));
    let out = kelisim_tests::cli(&["log", "verify", "--data", &keys.path().display().to_string(), "--database", &url]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("site webpulse: intact"), "{text}");
}

#[test]
fn a_promoted_synchronous_standby_has_every_acknowledged_decision() {
    failover(FindPrimary::MovedAddress);
}

/// The same through a URL that lists both hosts (`target_session_attrs=read-write`, which
/// Kelisim adds for such a URL): no address to move.
#[test]
fn a_url_with_both_hosts_finds_the_promoted_standby_by_itself() {
    failover(FindPrimary::BothHosts);
}

/// The other way a synchronous standby stops logging: it is down, and the primary waits for it
/// (PostgreSQL's promise: nothing is confirmed that the standby does not have). A visitor's
/// decision is then answered `503` after Kelisim's 10 s (not left waiting), and so is
/// `/healthz`; the write is not cancelled, and once the standby is back the widget's retry of
/// the same event gets that record's receipt — logged once, acknowledged only once durable.
#[test]
fn a_synchronous_standby_that_is_down_holds_no_visitor_for_long() {
    let (_primary, mut standby) = primary_with_synchronous_standby();
    let url = _primary.url("kelisim");
    let k = Kelisim::start_with(&root().join("www/sites"), &["--demo", "--rate-limit", "0", "--database", &url])
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = config(&k);
    let first = kelisim_tests::consent::send(&k.base, &event(&cfg, &uuid(), "accept_all", "ru")).unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    standby.stop_immediate();
    // With nothing else waiting, the health check's own commit waits for the standby.
    let started = std::time::Instant::now();
    let h = kelisim_tests::get(&k.url("/healthz"), &[]);
    assert_eq!(h.status, 503, "{}", h.body);
    assert!(h.body.contains("not confirmed a write within 10 s"), "{}", h.body);
    assert!(started.elapsed() >= std::time::Duration::from_secs(9), "{:?}", started.elapsed());
    let ev = event(&cfg, &uuid(), "reject_all", "kk");
    let started = std::time::Instant::now();
    let post = {
        let (base, ev) = (k.base.clone(), ev.clone());
        std::thread::spawn(move || (kelisim_tests::consent::send(&base, &ev).unwrap(), started.elapsed()))
    };
    // A health check made while that write waits: it waits behind it, as long.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let h = kelisim_tests::get(&k.url("/healthz"), &[]);
    assert_eq!(h.status, 503, "{}", h.body);
    let (r, waited) = post.join().unwrap();
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(r.body.contains("not confirmed"), "{}", r.body);
    assert!(waited >= std::time::Duration::from_secs(9) && waited < std::time::Duration::from_secs(20), "{waited:?}");
    let metrics = kelisim_tests::get(&k.url("/metrics"), &[]).body;
    assert!(metrics.contains("kelisim_rejects_total{reason=\"unconfirmed\"} 1"), "{metrics}");
    // The standby comes back: the waiting commit completes, and the retry gets its receipt.
    standby.restart();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let retry = loop {
        let r = kelisim_tests::consent::send(&k.base, &ev).unwrap();
        if r.status != 503 || std::time::Instant::now() > until {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(retry.status, 200, "the event was recorded while its request waited: {}", retry.body);
    assert_eq!(retry.json()["seq"], 2);
    assert_eq!(kelisim_tests::get(&k.url("/healthz"), &[]).status, 200);
    let next = kelisim_tests::consent::send(&k.base, &event(&cfg, &uuid(), "custom", "en")).unwrap();
    assert_eq!((next.status, next.json()["seq"].as_u64()), (201, Some(3)), "{}", next.body);
}
