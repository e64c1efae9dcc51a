//! Dashboard sign-in under attack (README, "Dashboard, accounts, audit export"): wrong passwords
//! back off and are audited, parallel guesses count like sequential ones without locking the owner
//! out from elsewhere, a login posted from another site is refused, and a flood is refused before
//! argon2 while consent POSTs stay fast.

use kelisim_tests::admin::{add_account, login, PASSWORD};
use kelisim_tests::{get, post_form, Kelisim, Resp};
use serde_json::json;

#[test]
fn wrong_passwords_back_off_and_are_audited() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    for _ in 0..5 {
        assert_eq!(login(&k, "alice", "wrong password!").status, 401);
    }
    let blocked = login(&k, "alice", "wrong password!");
    assert_eq!(blocked.status, 429);
    assert!(blocked.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(login(&k, "alice", PASSWORD).status, 429, "even the right password waits out the backoff");
    // The first wait is 2 s; after it the right password works again.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(login(&k, "alice", PASSWORD).status, 303);
    let db = k.db();
    let failed: i64 = db
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed' AND actor = 'alice'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(failed, 5);
    // An unknown user is refused the same way (no hint about which names exist).
    assert_eq!(login(&k, "mallory", "whatever whatever").status, 401);
}

/// A form POST from a chosen local address (Linux routes all of 127/8 to lo), so that the
/// server sees another client address than the other tests' 127.0.0.1.
fn post_form_from(from: &str, url: &str, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> Resp {
    use std::io::{Read, Write};
    let hostport = url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let path = &url["http://".len() + hostport.len()..];
    let to: std::net::SocketAddr = hostport.parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    let mut stream = rt.block_on(async {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(format!("{from}:0").parse().unwrap()).unwrap();
        s.connect(to).await.unwrap().into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    let body = fields.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect::<Vec<_>>().join("&");
    let mut req = format!("POST {path} HTTP/1.1\r\nhost: {hostport}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    Resp { status, headers, body: body.to_owned() }
}

fn failed_logins(k: &Kelisim) -> i64 {
    k.db().query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'", [], |r| r.get(0)).unwrap()
}

#[test]
fn parallel_guesses_are_limited_like_sequential_ones_and_do_not_lock_the_owner_out() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    let n = 40;
    let barrier = std::sync::Barrier::new(n);
    let url = k.url("/admin/login");
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let r = post_form(&url, &[], &[("username", "alice"), ("password", "wrong password!")]);
                    (r.status, r.header("retry-after").map(str::to_owned))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| s.0 == 401).count();
    let limited = statuses.iter().filter(|s| s.0 == 429).count();
    assert!(checked <= 5, "only the 5 free guesses of one address are checked, not {checked}: {statuses:?}");
    assert!(limited >= n - 5, "the rest are refused before the password check: {statuses:?}");
    assert!(
        statuses.iter().all(|s| s.0 == 401 || s.1.as_deref().is_some_and(|r| r.parse::<u64>().unwrap() >= 1)),
        "every refusal says when: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| matches!(s.0, 401 | 429 | 503)), "{statuses:?}");
    assert_eq!(failed_logins(&k) as usize, checked, "what was checked is what the audit trail holds");
    // The attacker's address waits; the owner, elsewhere, is not locked out.
    assert_eq!(login(&k, "alice", PASSWORD).status, 429);
    let owner =
        post_form_from("127.0.0.2", &k.url("/admin/login"), &[], &[("username", "alice"), ("password", PASSWORD)]);
    assert_eq!(owner.status, 303, "{}", owner.body);
    assert!(owner.set_cookie("kelisim_admin").is_some());
}

#[test]
fn a_cross_site_login_is_refused() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    let foreign = post_form(
        &k.url("/admin/login"),
        &[("origin", "https://evil.example")],
        &[("username", "alice"), ("password", PASSWORD)],
    );
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert!(foreign.set_cookie("kelisim_admin").is_none());
    let fetch = post_form(
        &k.url("/admin/login"),
        &[("sec-fetch-site", "cross-site")],
        &[("username", "alice"), ("password", PASSWORD)],
    );
    assert_eq!(fetch.status, 403, "a browser that sends no Origin still says where the form was");
    let referer = post_form(
        &k.url("/admin/login"),
        &[("referer", "https://evil.example/login.html")],
        &[("username", "alice"), ("password", PASSWORD)],
    );
    assert_eq!(referer.status, 403);
    let own = k.base.clone();
    let same = post_form(
        &k.url("/admin/login"),
        &[("origin", &own), ("sec-fetch-site", "same-origin")],
        &[("username", "alice"), ("password", PASSWORD)],
    );
    assert_eq!(same.status, 303, "{}", same.body);
}

#[test]
fn a_login_flood_is_refused_quickly_and_the_consent_path_stays_fast() {
    let k = Kelisim::start_with(
        &kelisim_tests::root().join("www/sites"),
        &["--demo", "--rate-limit", "0", "--trust-proxy"],
    )
    .unwrap();
    let cfg = get(&k.url("/api/v1/sites/webpulse/config"), &[]).json();
    let n = 200;
    let barrier = std::sync::Barrier::new(n + 1);
    let url = k.url("/admin/login");
    let started = std::time::Instant::now();
    let (statuses, consent) = std::thread::scope(|s| {
        // Each from its own address, each for its own name: no per-address or per-account
        // limit applies, only the bound on concurrent password checks.
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (url, barrier) = (&url, &barrier);
                s.spawn(move || {
                    let from = format!("10.9.{}.{}", i / 200, i % 200 + 1);
                    barrier.wait();
                    let r = post_form(
                        url,
                        &[("x-forwarded-for", &from)],
                        &[("username", &format!("flood{i}")), ("password", "wrong password!")],
                    );
                    (r.status, r.header("retry-after").map(str::to_owned))
                })
            })
            .collect();
        barrier.wait();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let body = json!({"consent_id": kelisim_tests::uuid(), "event_id": kelisim_tests::uuid(), "config_version": cfg["version"], "action": "reject_all", "granted": ["necessary"], "language": "ru", "gpc": false});
        let t = std::time::Instant::now();
        let r = kelisim_tests::post(
            &k.url("/api/v1/sites/webpulse/consents"),
            &[("origin", "https://webpulse.kz"), ("content-type", "application/json")],
            &body.to_string(),
        );
        let consent = (r.status, t.elapsed());
        (handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>(), consent)
    });
    let elapsed = started.elapsed();
    let refused = statuses.iter().filter(|s| matches!(s.0, 429 | 503)).count();
    let checked = statuses.iter().filter(|s| s.0 == 401).count();
    eprintln!(
        "login flood: {checked} checked, {refused} refused in {elapsed:?}; a consent POST meanwhile took {:?}",
        consent.1
    );
    assert_eq!(refused + checked, n, "{statuses:?}");
    assert!(refused >= n * 3 / 4, "most of a flood is refused before argon2: {checked} checked, {refused} refused");
    assert!(statuses.iter().filter(|s| s.0 != 401).all(|s| s.1.is_some()), "refusals carry Retry-After");
    assert_eq!(consent.0, 201);
    assert!(consent.1 < std::time::Duration::from_secs(1), "a consent POST during the flood took {:?}", consent.1);
    assert!(elapsed < std::time::Duration::from_secs(10), "the flood took {elapsed:?}");
}
