//! The consent log over a real server: append-only at the database, proofs and signed
//! checkpoints that verify with the public key, idempotency under concurrency, rate limits,
//! receipts in three languages, metrics and the online backup. Each test runs on both stores
//! (`on_both_stores!`): the SQLite file, and a PostgreSQL database of its own.

use kelisim_shared::checkpoint::VerifierKey;
use kelisim_shared::merkle::{leaf_hash, root_of, verify_consistency, verify_inclusion};
use kelisim_tests::consent::{config, event, send, stored, unhex, ORIGIN, SITE};
use kelisim_tests::store::Store;
use kelisim_tests::{cli, get, on_both_stores, root, uuid, Kelisim};
use serde_json::Value;
use std::time::{Duration, Instant};

fn start(store: &Store, extra: &[&str]) -> Kelisim {
    Kelisim::start_on(store, &root().join("www/sites"), tempfile::tempdir().unwrap(), extra)
        .unwrap_or_else(|e| panic!("kelisim did not start: {e}"))
}

fn post_ok(k: &Kelisim, ev: &Value) -> Value {
    let r = send(&k.base, ev).expect("the server answers");
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

/// Waits (bounded) until the periodic checkpoint covers `size` records.
fn checkpoint_covering(k: &Kelisim, size: u64) -> Value {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let r = get(&k.url(&format!("/api/v1/sites/{SITE}/log/checkpoint")), &[]);
        if r.status == 200 && r.json()["tree_size"].as_u64().unwrap() >= size {
            return r.json();
        }
        assert!(Instant::now() < until, "no checkpoint of {size} records within 10 s: {}", r.body);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn verifier(k: &Kelisim) -> VerifierKey {
    let key = get(&k.url("/api/v1/log/key"), &[]).json();
    assert_eq!(key["algorithm"], "Ed25519");
    VerifierKey::parse(key["verifier_key"].as_str().unwrap()).unwrap()
}

fn database_refuses_update_and_delete_of_events(store: Store) {
    let k = start(&store, &["--checkpoint-interval", "1"]);
    let cfg = config(&k);
    // 16 records: the first Merkle subtree the log stores (level 4) is complete.
    for _ in 0..16 {
        post_ok(&k, &event(&cfg, &uuid(), "reject_all", "kk"));
    }
    checkpoint_covering(&k, 16);
    for sql in [
        "UPDATE events SET action = 'accept_all'",
        "UPDATE events SET canonical = NULL",
        "DELETE FROM events",
        "DELETE FROM merkle_subtrees",
        store.pick("UPDATE merkle_subtrees SET hash = zeroblob(32)", "UPDATE merkle_subtrees SET hash = '\\x00'"),
        "UPDATE checkpoints SET note = ''",
        "DELETE FROM checkpoints",
    ] {
        let e = k.execute(sql).expect_err(sql);
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    if store.is_postgres() {
        // PostgreSQL's own guards: the sequencer's head only moves forward, and a record's
        // place cannot be taken by an insert with a used seq.
        let e = k.execute("UPDATE log_heads SET size = size - 1").expect_err("the head moved back");
        assert!(e.contains("only moves forward"), "{e}");
        let e =
            k.execute("INSERT INTO events SELECT * FROM events WHERE seq = 1").expect_err("a second record at seq 1");
        assert!(e.contains("duplicate key"), "{e}");
    }
    assert_eq!(k.count_events(SITE), 16);
}

fn history_proofs_verify_against_the_signed_checkpoint_and_fail_when_a_byte_changes(store: Store) {
    let k = start(&store, &["--checkpoint-interval", "1"]);
    let cfg = config(&k);
    let me = uuid();
    let mut mine = Vec::new();
    for i in 0..7 {
        // Other visitors' decisions in between, so the proofs span a real tree.
        post_ok(&k, &event(&cfg, &uuid(), "reject_all", "ru"));
        if i % 3 == 0 {
            mine.push(post_ok(&k, &event(&cfg, &me, if i == 0 { "accept_all" } else { "withdraw" }, "kk")));
        }
    }
    let cp = checkpoint_covering(&k, 10);
    let vk = verifier(&k);
    let signed = vk.verify(cp["note"].as_str().unwrap()).expect("the checkpoint verifies with the public key");
    assert_eq!(signed.size, cp["tree_size"].as_u64().unwrap());
    assert_eq!(hex(&signed.root), cp["root_hash"].as_str().unwrap());
    assert!(signed.origin.starts_with("kelisim/webpulse/"));
    // Another key (another server's) does not verify it.
    let other = kelisim_shared::checkpoint::LogKey::from_seed("kelisim", [1; 32]).unwrap().verifier();
    assert!(other.verify(cp["note"].as_str().unwrap()).is_err());

    let h = get(&k.url(&format!("/api/v1/sites/{SITE}/consents/{me}")), &[("origin", ORIGIN)]);
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.header("access-control-allow-origin"), Some(ORIGIN));
    let h = h.json();
    let events = h["events"].as_array().unwrap();
    assert_eq!(events.len(), mine.len());
    assert_eq!(events[0]["action"], "accept_all");
    assert_eq!(events[2]["action"], "withdraw");
    for (e, receipt) in events.iter().zip(&mine) {
        assert_eq!(e["seq"], receipt["seq"]);
        assert_eq!(e["leaf_hash"], receipt["leaf_hash"]);
        assert!(e.get("ip").is_none() && e.get("user_agent").is_none(), "no personal fields in receipts");
        let leaf = unhex(e["leaf_hash"].as_str().unwrap());
        let proof: Vec<_> =
            e["inclusion_proof"].as_array().unwrap().iter().map(|p| unhex(p.as_str().unwrap())).collect();
        let index = e["leaf_index"].as_u64().unwrap();
        verify_inclusion(index, signed.size, &leaf, &proof, &signed.root).expect("inclusion proof verifies");
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][3] ^= 0x40;
            assert!(
                verify_inclusion(index, signed.size, &leaf, &bad, &signed.root).is_err(),
                "changed byte in proof[{i}]"
            );
        }
        let mut bad_leaf = leaf;
        bad_leaf[0] ^= 1;
        assert!(verify_inclusion(index, signed.size, &bad_leaf, &proof, &signed.root).is_err());
    }
    // The leaf hashes are those of the stored canonical bytes.
    for (seq, _, canonical, leaf) in stored(&k) {
        assert_eq!(leaf_hash(&canonical).to_vec(), leaf, "seq {seq}");
    }
    // A later checkpoint is consistent with the earlier one.
    let first = signed.size;
    post_ok(&k, &event(&cfg, &uuid(), "reject_all", "ru"));
    let later = checkpoint_covering(&k, first + 1);
    let to = later["tree_size"].as_u64().unwrap();
    let c = get(&k.url(&format!("/api/v1/sites/{SITE}/log/consistency?from={first}&to={to}")), &[]).json();
    let proof: Vec<_> = c["proof"].as_array().unwrap().iter().map(|p| unhex(p.as_str().unwrap())).collect();
    let root2 = vk.verify(later["note"].as_str().unwrap()).unwrap().root;
    verify_consistency(first, to, &signed.root, &root2, &proof).expect("consistency proof verifies");
    assert_eq!(get(&k.url(&format!("/api/v1/sites/{SITE}/log/consistency?from=3&to={to}")), &[]).status, 404);
    assert_eq!(get(&k.url(&format!("/api/v1/sites/{SITE}/consents/{}", uuid())), &[]).status, 404);
    assert_eq!(get(&k.url(&format!("/api/v1/sites/{SITE}/consents/not-a-uuid")), &[]).status, 400);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn duplicate_event_id_under_concurrency_yields_one_record(store: Store) {
    let k = start(&store, &["--rate-limit", "0"]);
    let cfg = config(&k);
    let ev = event(&cfg, &uuid(), "accept_all", "en");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (b, ev, base) = (barrier.clone(), ev.clone(), k.base.clone());
                s.spawn(move || {
                    b.wait();
                    let r = send(&base, &ev).expect("answered");
                    (r.status, r.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1, "exactly one 201: {results:?}");
    assert!(results.iter().all(|(s, _)| *s == 201 || *s == 200));
    assert!(results.iter().all(|(_, r)| *r == results[0].1), "every answer is the same receipt");
    assert_eq!(k.count_events(SITE), 1);
}

fn rate_limit_returns_429_with_retry_after(store: Store) {
    let k = start(&store, &["--rate-limit", "1", "--rate-burst", "3"]);
    let cfg = config(&k);
    let statuses: Vec<_> = (0..6).map(|_| send(&k.base, &event(&cfg, &uuid(), "reject_all", "kk")).unwrap()).collect();
    assert!(statuses[..3].iter().all(|r| r.status == 201));
    let limited = statuses.iter().find(|r| r.status == 429).expect("a 429 after the burst");
    assert_eq!(limited.header("content-type"), Some("application/problem+json"));
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(limited.json()["status"], 429);
    let metrics = get(&k.url("/metrics"), &[]).body;
    assert!(metrics.contains("kelisim_rejects_total{reason=\"rate_limited\"} "), "{metrics}");
    assert!(!metrics.contains("kelisim_rejects_total{reason=\"rate_limited\"} 0\n"));
}

/// POSTs an event from the site's origin as a reverse proxy would pass it on.
fn send_forwarded(k: &Kelisim, ev: &Value, forwarded_for: &str) -> kelisim_tests::Resp {
    kelisim_tests::try_post(
        &k.url(&format!("/api/v1/sites/{SITE}/consents")),
        &[("content-type", "application/json"), ("origin", ORIGIN), ("x-forwarded-for", forwarded_for)],
        &ev.to_string(),
    )
    .expect("the server answers")
}

/// The address the log stored for record `seq` (inside its canonical bytes).
fn stored_ip(k: &Kelisim, seq: i64) -> Option<String> {
    let sql = k.store.pick(
        "SELECT ip FROM events_readable WHERE site = 'webpulse' AND seq = {seq}",
        "SELECT convert_from(canonical, 'UTF8')::json->>'ip' FROM events JOIN log_sites USING (site_no)
         WHERE site = 'webpulse' AND seq = {seq}",
    );
    Some(k.query_one(&sql.replace("{seq}", &seq.to_string()))).filter(|ip| !ip.is_empty())
}

fn behind_a_trusted_proxy_the_address_is_the_one_the_proxy_appended(store: Store) {
    let k = start(&store, &["--trust-proxy", "--rate-limit", "1", "--rate-burst", "3"]);
    let cfg = config(&k);
    // What the client put in front of the proxy's entry changes nothing: not the stored
    // address, not the rate limit it is counted against.
    let answers: Vec<_> = (0..6)
        .map(|i| send_forwarded(&k, &event(&cfg, &uuid(), "reject_all", "kk"), &format!("198.51.{i}.7, 203.0.113.9")))
        .collect();
    assert!(answers[..3].iter().all(|r| r.status == 201), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(answers.iter().any(|r| r.status == 429), "a forged first entry must not dodge the limit");
    assert_eq!(stored_ip(&k, 1).as_deref(), Some("203.0.113.0/24"));
    // Another visitor behind the same proxy has a limit of their own.
    let other = send_forwarded(&k, &event(&cfg, &uuid(), "accept_all", "ru"), "192.0.2.55");
    assert_eq!(other.status, 201, "{}", other.body);
    assert_eq!(stored_ip(&k, 4).as_deref(), Some("192.0.2.0/24"));
}

fn without_trust_proxy_a_forwarded_address_is_ignored_and_the_operator_warned(store: Store) {
    let k = start(&store, &[]);
    let cfg = config(&k);
    for _ in 0..2 {
        assert_eq!(send_forwarded(&k, &event(&cfg, &uuid(), "reject_all", "kk"), "203.0.113.9").status, 201);
    }
    assert_eq!(stored_ip(&k, 1).as_deref(), Some("127.0.0.0/24"));
    let log = k.stop();
    assert_eq!(log.matches("without --trust-proxy").count(), 1, "one warning, not one per request: {log}");
    assert!(!log.contains("203.0.113"), "the address itself is not logged");
    // Nor what the log stored, though the server logs at debug level (PostgreSQL's client
    // would print every statement's parameters).
    let as_numbers = b"127.0.0.0/24".iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
    assert!(!log.contains("127.0.0.0/24") && !log.contains(&as_numbers), "the stored address is not logged: {log}");
}

fn receipt_page_shows_the_history_in_each_language(store: Store) {
    let k = start(&store, &[]);
    let cfg = config(&k);
    let me = uuid();
    post_ok(&k, &event(&cfg, &me, "accept_all", "kk"));
    post_ok(&k, &event(&cfg, &me, "withdraw", "ru"));
    let analytics = cfg["categories"].as_array().unwrap().iter().find(|c| c["id"] == "analytics").unwrap();
    let url = k.url(&format!("/receipt/{SITE}/{me}"));
    for (lang, title, withdrew, accepted) in [
        ("kk", "Келісім түбіртегі", "Келісімін кері қайтарып алды", "Барлығын қабылдады"),
        ("ru", "Квитанция о согласии", "Отзыв согласия", "Согласие на все категории"),
        ("en", "Consent receipt", "Withdrew consent", "Accepted all"),
    ] {
        for r in
            [get(&format!("{url}?lang={lang}"), &[]), get(&url, &[("accept-language", &format!("{lang};q=0.9, de"))])]
        {
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-language"), Some(lang));
            let csp = r.header("content-security-policy").unwrap();
            assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe"), "{csp}");
            assert!(!r.body.contains("<script"), "no script on the receipt page");
            assert!(r.body.contains(&format!("<html lang=\"{lang}\"")));
            assert!(r.body.contains(title), "{lang}: title");
            assert!(r.body.contains(withdrew) && r.body.contains(accepted), "{lang}: both decisions are listed");
            // The accept_all row names the category in the page's language, from the config version.
            assert!(r.body.contains(analytics["title"][lang].as_str().unwrap()), "{lang}: category title");
            // Newest first: the withdrawal comes before the acceptance in the history list.
            let history = &r.body[r.body.find("<ol class=\"history\"").unwrap()..];
            assert!(history.find(withdrew).unwrap() < history.find(accepted).unwrap());
            assert!(r.body.contains(cfg["policy_url"].as_str().unwrap()), "how to withdraw links the policy");
            assert!(r.body.contains(cfg["operator"]["email"].as_str().unwrap()), "operator contact");
        }
    }
    let missing = get(&k.url(&format!("/receipt/{SITE}/{}", uuid())), &[("accept-language", "kk")]);
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Бұл идентификатор бойынша бірде-бір жазба табылмады"));
    assert_eq!(get(&k.url("/receipt.css"), &[]).status, 200);
}

fn metrics_report_events_batches_and_commit_latency(store: Store) {
    let k = start(&store, &[]);
    let cfg = config(&k);
    for _ in 0..3 {
        post_ok(&k, &event(&cfg, &uuid(), "reject_all", "kk"));
    }
    let mut bad = event(&cfg, &uuid(), "reject_all", "kk");
    bad["granted"] = serde_json::json!(["nosuch"]);
    assert_eq!(send(&k.base, &bad).unwrap().status, 400);
    let r = get(&k.url("/metrics"), &[]);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let m = r.body;
    assert!(m.contains("kelisim_events_recorded_total 3\n"), "{m}");
    assert!(m.contains("kelisim_rejects_total{reason=\"invalid\"} 1\n"), "{m}");
    assert!(m.contains("kelisim_batch_size_count 3\n"), "{m}");
    assert!(m.contains("kelisim_commit_seconds_bucket{le=\"+Inf\"} 3\n"), "{m}");
    assert!(m.contains("kelisim_queue_depth 0\n"), "{m}");
    assert!(m.contains("kelisim_log_records{site=\"webpulse\"} 3\n"), "{m}");
}

fn backup_produces_a_readable_database_while_serving(store: Store) {
    let k = start(&store, &[]);
    let cfg = config(&k);
    for _ in 0..4 {
        post_ok(&k, &event(&cfg, &uuid(), "reject_all", "kk"));
    }
    if store.is_postgres() {
        // PostgreSQL is backed up with its own tools; the command says so rather than copying
        // an empty SQLite file.
        let out = k.data.path().join("backup.sqlite");
        let r = k.cli(&["backup", "--out", out.to_str().unwrap()]);
        assert!(!r.status.success());
        assert!(String::from_utf8_lossy(&r.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(!out.exists());
        return;
    }
    let out = k.data.path().join("backup.sqlite");
    let data = k.data.path().to_str().unwrap().to_owned();
    let r = cli(&["backup", "--data", &data, "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let db = rusqlite::Connection::open_with_flags(&out, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let n: i64 = db.query_row("SELECT COUNT(*) FROM events_readable WHERE site = ?1", [SITE], |r| r.get(0)).unwrap();
    assert_eq!(n, 4);
    // The copy's leaves give the same root as the live log's.
    let mut st = db.prepare("SELECT leaf_hash FROM events_readable WHERE site = ?1 ORDER BY seq").unwrap();
    let leaves: Vec<_> =
        st.query_map([SITE], |r| r.get::<_, Vec<u8>>(0)).unwrap().map(|l| l.unwrap().try_into().unwrap()).collect();
    let live: Vec<_> = stored(&k).into_iter().map(|(_, _, _, l)| l.try_into().unwrap()).collect();
    assert_eq!(root_of(&leaves), root_of(&live));
    let again = cli(&["backup", "--data", &data, "--out", out.to_str().unwrap()]);
    assert!(!again.status.success(), "never overwrites");
    // The signing key is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(k.data.path().join("log-signing.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

fn cli_signs_a_checkpoint_on_demand_that_verifies_with_the_printed_key(store: Store) {
    let k = start(&store, &[]);
    let cfg = config(&k);
    for _ in 0..3 {
        post_ok(&k, &event(&cfg, &uuid(), "reject_all", "kk"));
    }
    let data = k.data.path().to_str().unwrap().to_owned();
    let out = k.cli(&["log", "checkpoint"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let notes = String::from_utf8(out.stdout).unwrap();
    let key = cli(&["log", "key", "--data", &data]);
    let vk = VerifierKey::parse(String::from_utf8_lossy(&key.stdout).trim()).unwrap();
    assert_eq!(vk.to_text(), verifier(&k).to_text(), "the CLI and the server use the same key");
    // One note per site: four body lines, a blank line, the signature line.
    let lines: Vec<&str> = notes.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("kelisim/webpulse/"))
        .unwrap_or_else(|| panic!("a checkpoint of webpulse: {notes}{}", String::from_utf8_lossy(&out.stderr)));
    let note = format!("{}\n\n{}\n", lines[at..at + 4].join("\n"), lines[at + 5]);
    let cp = vk.verify(&note).expect("the printed checkpoint verifies");
    let leaves: Vec<_> = stored(&k).into_iter().map(|(_, _, _, l)| l.try_into().unwrap()).collect();
    assert_eq!((cp.size, cp.root), (3, root_of(&leaves)));
    // The server's API shows the on-demand checkpoint as the latest of the site.
    let latest = get(&k.url(&format!("/api/v1/sites/{SITE}/log/checkpoint")), &[]).json();
    assert_eq!(latest["tree_size"], 3);
    assert_eq!(vk.verify(latest["note"].as_str().unwrap()).unwrap().root, root_of(&leaves));
}

/// An admin's dashboard session on `k`: (cookie, CSRF token).
fn admin_session(k: &Kelisim) -> (String, String) {
    kelisim_tests::admin::add_account(k, "dpo", "admin");
    kelisim_tests::admin::session(k, "dpo")
}

/// Someone with the database file changes the log behind the running server (triggers
/// dropped). Each change must be reported where the record is shown, by `kelisim log verify`
/// naming the record, and by `serve`, which refuses to start (and so never signs over it).
fn a_log_changed_behind_the_server_is_reported_and_serve_refuses_to_start(store: Store) {
    let sites = root().join("www/sites");
    for (what, sqlite, postgres, seq) in [
        ("a changed decision",
         "DROP TRIGGER events_no_update; UPDATE events SET action = 'accept_all', granted = 'necessary analytics marketing' WHERE id & 1099511627775 = 7;",
         "ALTER TABLE events DISABLE TRIGGER events_append_only; UPDATE events SET action = 'accept_all', granted = 'necessary analytics marketing' WHERE seq = 7;",
         7),
        ("a deleted middle record",
         "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id & 1099511627775 = 11;",
         "ALTER TABLE events DISABLE TRIGGER events_no_delete; DELETE FROM events WHERE seq = 11;",
         11),
        ("a young record blanked",
         "DROP TRIGGER events_no_update; UPDATE events SET canonical = NULL WHERE id & 1099511627775 <= 3;",
         "ALTER TABLE events DISABLE TRIGGER events_append_only; UPDATE events SET canonical = NULL WHERE seq <= 3;",
         1),
    ] {
        // A store of its own for each change (the PostgreSQL one is a fresh cluster).
        let store = if store.is_postgres() { Store::postgres() } else { Store::Sqlite };
        let k = start(&store, &["--checkpoint-interval", "1"]);
        let cfg = config(&k);
        let me = uuid();
        for i in 1..=20 {
            let who = if i == 7 { me.clone() } else { uuid() };
            post_ok(&k, &event(&cfg, &who, "reject_all", "ru"));
        }
        checkpoint_covering(&k, 20);
        k.execute(store.pick(sqlite, postgres)).unwrap();
        if seq == 7 {
            // The history API and the receipt show what the log signed, and that the stored
            // record disagrees; neither calls it verified.
            let h = get(&k.url(&format!("/api/v1/sites/{SITE}/consents/{me}")), &[]).json();
            let e = &h["events"][0];
            assert_eq!(e["action"], "reject_all", "{what}: {h}");
            assert_eq!(e["verified"], false, "{what}: {h}");
            assert!(e["problem"].as_str().unwrap().contains("action, granted"), "{what}: {h}");
            let page = get(&k.url(&format!("/receipt/{SITE}/{me}?lang=ru")), &[]).body;
            assert!(page.contains("не совпадают с подписанным состоянием журнала"), "{what}: the receipt warns");
            assert!(!page.contains("проверено по контрольной точке"), "{what}: and does not claim it was checked");
            // The dashboard: its log shows the signed action and flags the row, and "Verify now"
            // reports the damage.
            let (cookie, csrf) = admin_session(&k);
            let rows = get(&k.url(&format!("/admin/api/sites/{SITE}/events?consent_id={me}")), &[("cookie", &cookie)]).json();
            let row = &rows["events"][0];
            assert_eq!(row["action"], "reject_all", "{rows}");
            assert!(row["problem"].as_str().unwrap().contains("action, granted"), "{rows}");
            let log = get(&k.url(&format!("/admin/sites/{SITE}/log?lang=en")), &[("cookie", &cookie)]).body;
            assert_eq!(log.matches("data-problem=").count(), 1, "exactly the changed row is flagged");
            let verify = kelisim_tests::post_form(&k.url(&format!("/admin/sites/{SITE}/verify")), &[("cookie", &cookie), ("origin", &k.base)], &[("csrf", &csrf)]);
            assert!(verify.body.contains("data-integrity=\"broken\"") && verify.body.contains("record 7:"), "{what}: {}", verify.body);
        }
        let out = k.cli(&["log", "verify"]);
        let data = k.kill9();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: log verify must fail");
        assert!(err.contains(&format!("site {SITE}, record {seq}:")), "{what}: names the record: {err}");
        let refused = Kelisim::start_on(&store, &sites, data, &["--checkpoint-interval", "1"]).err().unwrap_or_else(|| panic!("{what}: serve started over a damaged log"));
        assert!(refused.contains("fails verification") && refused.contains(&format!("record {seq}:")), "{what}: {refused}");
    }
}

/// `kelisim log verify` passes an intact log, beside the running server, and records how far it
/// checked: the next start checks only what came after.
fn log_verify_passes_an_intact_log_and_the_next_start_checks_only_what_is_new(store: Store) {
    let sites = root().join("www/sites");
    let k = start(&store, &["--checkpoint-interval", "1"]);
    let cfg = config(&k);
    for _ in 0..20 {
        post_ok(&k, &event(&cfg, &uuid(), "accept_all", "kk"));
    }
    checkpoint_covering(&k, 20);
    let out = k.cli(&["log", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("site {SITE}: intact, 20 records (0 purged)")), "{stdout}");
    let k = k.restart(&sites, &["--checkpoint-interval", "1"]);
    post_ok(&k, &event(&cfg, &uuid(), "reject_all", "ru"));
    let stderr = k.stop();
    assert!(
        !stderr.contains("verified the records logged since the last check"),
        "nothing new to check at the restart: {stderr}"
    );
    let none = cli(&["log", "verify", "--data", tempfile::tempdir().unwrap().path().to_str().unwrap()]);
    assert!(!none.status.success() && String::from_utf8_lossy(&none.stderr).contains("holds no Kelisim database"));
}

on_both_stores!(
    database_refuses_update_and_delete_of_events,
    history_proofs_verify_against_the_signed_checkpoint_and_fail_when_a_byte_changes,
    duplicate_event_id_under_concurrency_yields_one_record,
    rate_limit_returns_429_with_retry_after,
    behind_a_trusted_proxy_the_address_is_the_one_the_proxy_appended,
    without_trust_proxy_a_forwarded_address_is_ignored_and_the_operator_warned,
    receipt_page_shows_the_history_in_each_language,
    metrics_report_events_batches_and_commit_latency,
    backup_produces_a_readable_database_while_serving,
    cli_signs_a_checkpoint_on_demand_that_verifies_with_the_printed_key,
    a_log_changed_behind_the_server_is_reported_and_serve_refuses_to_start,
    log_verify_passes_an_intact_log_and_the_next_start_checks_only_what_is_new,
);
