//! The public HTTP API over a real server and a real SQLite file (docs/api.md).

use kelisim_tests::{get, options, post, uuid, Kelisim, Resp};
use serde_json::{json, Value};

const SITE: &str = "webpulse";
const ORIGIN: &str = "https://webpulse.kz";

fn config(k: &Kelisim) -> Value {
    let r = get(&k.url(&format!("/api/v1/sites/{SITE}/config")), &[]);
    assert_eq!(r.status, 200);
    r.json()
}

fn category_ids(cfg: &Value) -> Vec<String> {
    cfg["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn required(cfg: &Value) -> String {
    cfg["categories"].as_array().unwrap().iter().find(|c| c["required"] == json!(true)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn event(cfg: &Value, action: &str, granted: &[String]) -> Value {
    json!({
        "consent_id": uuid(),
        "event_id": uuid(),
        "config_version": cfg["version"],
        "action": action,
        "granted": granted,
        "language": "ru",
        "gpc": false,
        "page": "https://webpulse.kz/services?utm_source=mail&email=someone@example.kz#top",
    })
}

fn send(k: &Kelisim, site: &str, origin: Option<&str>, body: &str) -> Resp {
    let mut h = vec![("content-type", "application/json"), ("user-agent", "KelisimTest/1.0 (X11; Linux)")];
    if let Some(o) = origin {
        h.push(("origin", o));
    }
    post(&k.url(&format!("/api/v1/sites/{site}/consents")), &h, body)
}

fn assert_problem(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "body: {}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    assert_eq!(p["status"], json!(status));
    assert!(p["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()));
    p
}

#[test]
fn widget_gets_the_facts_and_the_markup_of_the_first_language_the_site_offers() {
    let k = Kelisim::start();
    let cfg = get(&k.url("/api/v1/sites/webpulse/config"), &[]).json();
    let version = cfg["version"].as_str().unwrap();
    // The visitor's tags in order: data-lang, <html lang>, the browser's.
    for (tags, want) in [("de,kk-KZ,ru", "kk"), ("ru", "ru"), ("EN-us", "en"), ("", "ru"), ("xx,yy", "ru")] {
        let r = get(&k.url(&format!("/api/v1/sites/webpulse/widget?lang={tags}")), &[]);
        assert_eq!(r.status, 200, "{tags}");
        let w = r.json();
        assert_eq!(w["lang"], want, "{tags}");
        let title = cfg["categories"][1]["title"][want].as_str().unwrap();
        assert!(w["ui"]["preferences"].as_str().unwrap().contains(title), "{want}: {title}");
        assert!(w["ui"]["banner"].as_str().unwrap().contains("data-kelisim=\"banner\""));
        let facts = w["widget"].as_str().unwrap();
        assert!(facts.starts_with(&format!("1 {version} {} ", cfg["scope"].as_str().unwrap())), "{facts}");
        assert!(w.get("categories").is_none(), "the other languages' texts stay at /config");
        // The version, then a hash of the body: a new build's markup is never taken for fresh.
        let etag = r.header("etag").unwrap().to_string();
        assert!(etag.starts_with(&format!("\"{version}.")) && etag.len() == 64 + 11, "{etag}");
        assert_eq!(
            get(&k.url(&format!("/api/v1/sites/webpulse/widget?lang={tags}")), &[("if-none-match", &etag)]).status,
            304
        );
        assert_eq!(
            get(
                &k.url(&format!("/api/v1/sites/webpulse/widget?lang={tags}")),
                &[("if-none-match", &format!("\"{version}\""))]
            )
            .status,
            200
        );
    }
    assert_problem(&get(&k.url("/api/v1/sites/nosuchsite/widget?lang=kk"), &[]), 404);
}

#[test]
fn config_is_served_with_its_version_as_etag() {
    let k = Kelisim::start();
    let r = get(&k.url("/api/v1/sites/webpulse/config"), &[]);
    assert_eq!(r.status, 200);
    let cfg = r.json();
    let version = cfg["version"].as_str().unwrap();
    assert_eq!(version.len(), 64);
    assert_eq!(r.header("etag"), Some(format!("\"{version}\"").as_str()));
    for field in ["site", "policy_version", "policy_url", "languages", "consent_days", "operator", "categories"] {
        assert!(!cfg[field].is_null(), "config lacks `{field}`");
    }
    let again = get(&k.url("/api/v1/sites/webpulse/config"), &[("if-none-match", &format!("\"{version}\""))]);
    assert_eq!(again.status, 304);
    // Every version served is stored.
    let stored: i64 = k
        .db()
        .query_row("SELECT COUNT(*) FROM config_versions WHERE site = 'webpulse' AND version = ?1", [version], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, 1);
}

#[test]
fn config_cors_is_limited_to_the_site_origins() {
    let k = Kelisim::start();
    let ok = get(&k.url("/api/v1/sites/webpulse/config"), &[("origin", ORIGIN)]);
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN));
    let other = get(&k.url("/api/v1/sites/webpulse/config"), &[("origin", "https://evil.example")]);
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[test]
fn accepted_consent_is_committed_to_sqlite_with_minimized_server_fields() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let all = category_ids(&cfg);
    let ev = event(&cfg, "accept_all", &all);
    let r = send(&k, SITE, Some(ORIGIN), &ev.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    let receipt = r.json();
    assert_eq!(receipt["consent_id"], ev["consent_id"]);
    assert_eq!(receipt["seq"], json!(1));
    assert_eq!(receipt["leaf_hash"].as_str().unwrap().len(), 64);
    assert!(receipt["receipt_id"].as_str().is_some());
    assert!(receipt["recorded_at"].as_str().unwrap().ends_with('Z'));
    let db = k.db();
    #[allow(clippy::type_complexity)] // the stored columns of one record
    let row: (String, String, String, String, Option<String>, Option<String>, Option<String>, Option<String>, Vec<u8>) = db
        .query_row(
            "SELECT action, granted, config_version, language, ip, user_agent, origin, page, canonical FROM events_readable WHERE site = ?1 AND seq = 1",
            [SITE],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )
        .unwrap();
    assert_eq!(row.0, "accept_all");
    assert_eq!(row.1, all.join(" "));
    assert_eq!(row.2, cfg["version"].as_str().unwrap());
    assert_eq!(row.3, "ru");
    assert_eq!(row.4.as_deref(), Some("127.0.0.0/24"), "IPv4 is truncated to /24 by default");
    assert_eq!(row.5.as_deref(), Some("KelisimTest/1.0 (X11; Linux)"));
    assert_eq!(row.6.as_deref(), Some(ORIGIN));
    assert_eq!(row.7.as_deref(), Some("https://webpulse.kz/services"), "query and fragment are dropped");
    // The stored canonical bytes hash to the receipt's leaf hash (RFC 6962 leaf).
    let leaf = kelisim_shared::canonical::leaf_hash(&row.8);
    assert_eq!(receipt["leaf_hash"].as_str().unwrap(), leaf.iter().map(|b| format!("{b:02x}")).collect::<String>());
}

#[test]
fn duplicate_event_id_returns_the_first_receipt() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let ev = event(&cfg, "reject_all", &[required(&cfg)]).to_string();
    let first = send(&k, SITE, Some(ORIGIN), &ev);
    assert_eq!(first.status, 201);
    let second = send(&k, SITE, Some(ORIGIN), &ev);
    assert_eq!(second.status, 200);
    assert_eq!(first.json(), second.json());
    assert_eq!(k.count_events(SITE), 1);
}

/// The idempotency key is the pair (consent_id, event_id): whoever learns another visitor's
/// event_id cannot get that visitor's receipt (and with it their consent id) by replaying it
/// under their own consent id; they get a record of their own.
#[test]
fn an_event_id_under_another_consent_id_is_a_new_record_not_the_first_receipt() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let mut ev = event(&cfg, "reject_all", &[required(&cfg)]);
    let first = send(&k, SITE, Some(ORIGIN), &ev.to_string());
    assert_eq!(first.status, 201);
    ev["consent_id"] = serde_json::json!("0b7e4c1a-9f3d-4e2b-8c6a-5d4f3e2a1b0c");
    let other = send(&k, SITE, Some(ORIGIN), &ev.to_string());
    assert_eq!(other.status, 201);
    let (a, b) = (first.json(), other.json());
    assert_eq!(b["consent_id"], "0b7e4c1a-9f3d-4e2b-8c6a-5d4f3e2a1b0c");
    assert_ne!(a["receipt_id"], b["receipt_id"]);
    assert_eq!((a["seq"].as_u64(), b["seq"].as_u64()), (Some(1), Some(2)));
    assert_eq!(k.count_events(SITE), 2);
    // …and each consent id's own retry still finds its own first receipt.
    assert_eq!(send(&k, SITE, Some(ORIGIN), &ev.to_string()).json(), b);
}

#[test]
fn wrong_or_missing_origin_is_403() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let ev = event(&cfg, "reject_all", &[required(&cfg)]).to_string();
    let p = assert_problem(&send(&k, SITE, Some("https://evil.example"), &ev), 403);
    assert!(p["detail"].as_str().unwrap().contains("https://evil.example"));
    assert_problem(&send(&k, SITE, None, &ev), 403);
    // Another demo site's origin is not this site's.
    assert_problem(&send(&k, SITE, Some("https://aimap.kz"), &ev), 403);
    assert_eq!(k.count_events(SITE), 0);
}

#[test]
fn unknown_site_is_404() {
    let k = Kelisim::start();
    assert_problem(&send(&k, "nosuchsite", Some(ORIGIN), "{}"), 404);
    assert_problem(&get(&k.url("/api/v1/sites/nosuchsite/config"), &[]), 404);
}

#[test]
fn invalid_events_are_400_and_nothing_is_stored() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let req = required(&cfg);
    let unknown = event(&cfg, "custom", &[req.clone(), "video".into()]);
    let p = assert_problem(&send(&k, SITE, Some(ORIGIN), &unknown.to_string()), 400);
    assert!(p["detail"].as_str().unwrap().contains("unknown category `video`"), "{p}");
    let no_required = event(&cfg, "custom", &[]);
    let p = assert_problem(&send(&k, SITE, Some(ORIGIN), &no_required.to_string()), 400);
    assert!(p["detail"].as_str().unwrap().contains("required category"), "{p}");
    let mut lang = event(&cfg, "reject_all", std::slice::from_ref(&req));
    lang["language"] = json!("de");
    assert_problem(&send(&k, SITE, Some(ORIGIN), &lang.to_string()), 400);
    let mut bad_id = event(&cfg, "reject_all", std::slice::from_ref(&req));
    bad_id["consent_id"] = json!("not-a-uuid");
    assert_problem(&send(&k, SITE, Some(ORIGIN), &bad_id.to_string()), 400);
    let reject_with_extra = event(&cfg, "reject_all", &category_ids(&cfg));
    assert_problem(&send(&k, SITE, Some(ORIGIN), &reject_with_extra.to_string()), 400);
    assert_problem(&send(&k, SITE, Some(ORIGIN), "{not json"), 400);
    assert_problem(&send(&k, SITE, Some(ORIGIN), "[]"), 400);
    assert_eq!(k.count_events(SITE), 0, "nothing invalid is stored");
}

#[test]
fn unknown_config_version_is_409() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let mut ev = event(&cfg, "reject_all", &[required(&cfg)]);
    ev["config_version"] = json!("0".repeat(64));
    assert_problem(&send(&k, SITE, Some(ORIGIN), &ev.to_string()), 409);
    // A version of another site is unknown for this one too.
    let other = get(&k.url("/api/v1/sites/aimap/config"), &[]).json();
    ev["config_version"] = other["version"].clone();
    assert_problem(&send(&k, SITE, Some(ORIGIN), &ev.to_string()), 409);
}

#[test]
fn oversized_body_is_413() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let mut ev = event(&cfg, "reject_all", &[required(&cfg)]);
    ev["page"] = json!(format!("https://webpulse.kz/{}", "a".repeat(20_000)));
    assert_problem(&send(&k, SITE, Some(ORIGIN), &ev.to_string()), 413);
    assert_eq!(k.count_events(SITE), 0);
}

#[test]
fn preflight_is_answered_for_site_origins_only() {
    let k = Kelisim::start();
    let url = k.url("/api/v1/sites/webpulse/consents");
    let ok = options(
        &url,
        &[
            ("origin", ORIGIN),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
    );
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(ok.header("access-control-allow-headers").unwrap().contains("content-type"));
    let bad = options(&url, &[("origin", "https://evil.example"), ("access-control-request-method", "POST")]);
    assert_eq!(bad.status, 403);
    assert_eq!(bad.header("access-control-allow-origin"), None);
}

#[test]
fn healthz_reports_a_writable_database() {
    let k = Kelisim::start();
    let r = get(&k.url("/healthz"), &[]);
    assert_eq!((r.status, r.body.trim()), (200, "ok"));
}

#[test]
fn widget_assets_are_served_hashed_and_compressed() {
    let k = Kelisim::start();
    let loader = get(&k.url("/kelisim.js"), &[("accept-encoding", "identity")]);
    assert_eq!(loader.status, 200, "{}", loader.body);
    assert!(loader.header("content-type").unwrap().starts_with("text/javascript"));
    assert!(loader.body.contains("\"webpulse\""), "the loader knows the sites' scopes");
    assert!(!loader.body.contains("__KELISIM_BOOT__"));
    let wasm = loader.body.split("\"wasm\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    assert!(wasm.starts_with("/widget/kelisim-") && wasm.ends_with(".wasm"), "{wasm}");
    let w = get(&k.url(&wasm), &[("accept-encoding", "br")]);
    assert_eq!(w.status, 200);
    assert_eq!(w.header("content-type"), Some("application/wasm"));
    assert_eq!(w.header("content-encoding"), Some("br"));
    assert!(w.header("cache-control").unwrap().contains("immutable"));
    let gz = get(&k.url(&wasm), &[("accept-encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let plain = get(&k.url(&wasm), &[("accept-encoding", "br;q=0, identity")]);
    assert_eq!(plain.header("content-encoding"), None);
    // Served at brotli's best quality: smaller than the gzip encoding of the same file.
    let len = |r: &kelisim_tests::Resp| r.header("content-length").and_then(|l| l.parse::<usize>().ok()).unwrap();
    assert!(len(&w) < len(&gz), "brotli {} vs gzip {}", len(&w), len(&gz));
}

#[test]
fn personal_data_is_not_written_to_the_server_log() {
    // Not in demo mode: demo mode logs the server's own (loopback) origin on purpose.
    let k = Kelisim::start_with(&kelisim_tests::root().join("www/sites"), &[]).unwrap();
    let cfg = config(&k);
    let ev = event(&cfg, "reject_all", &[required(&cfg)]);
    assert_eq!(send(&k, SITE, Some(ORIGIN), &ev.to_string()).status, 201);
    let log = k.stop();
    assert!(!log.contains(ev["consent_id"].as_str().unwrap()), "consent id in the log:\n{log}");
    // The only address allowed in the log is the server's own listening address.
    let client_ip_lines: Vec<&str> =
        log.lines().filter(|l| l.contains("127.0.0.") && !l.contains("listening on: 127.0.0.1")).collect();
    assert!(client_ip_lines.is_empty(), "IP address in the log:\n{log}");
    assert!(!log.contains("KelisimTest"), "user agent in the log:\n{log}");
}

#[test]
fn a_receipt_is_sent_uncompressed_to_a_browser_and_the_widget_json_compressed() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let browser =
        [("content-type", "application/json"), ("origin", ORIGIN), ("accept-encoding", "gzip, deflate, br, zstd")];
    let url = k.url(&format!("/api/v1/sites/{SITE}/consents"));
    let r = post(&url, &browser, &event(&cfg, "reject_all", &[required(&cfg)]).to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("content-encoding"), None, "a ~200-byte receipt is not worth an encoder");
    assert_eq!(r.json()["seq"], json!(1));
    assert_eq!(r.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let w = get(&k.url(&format!("/api/v1/sites/{SITE}/widget?lang=ru")), &[("accept-encoding", "gzip")]);
    assert_eq!(w.status, 200);
    assert_eq!(w.header("content-encoding"), Some("gzip"));
    assert_eq!(w.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));
    // Paths the server does not have still get a problem, not an empty 404.
    assert_problem(&get(&k.url("/no/such/page"), &[("accept-encoding", "identity")]), 404);
    let wrong_method = get(&url, &[]);
    assert_problem(&wrong_method, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST, OPTIONS"));
}

#[test]
fn page_keeps_only_scheme_host_port_and_path() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let req = required(&cfg);
    let stored_page = |seq: i64| -> (Option<String>, Vec<u8>) {
        k.db()
            .query_row(
                "SELECT page, canonical FROM events_readable WHERE site = ?1 AND seq = ?2",
                rusqlite::params![SITE, seq],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let cases: [(&str, Option<&str>); 6] = [
        ("https://user:secret@WebPulse.kz:443/services/it?token=1#x", Some("https://webpulse.kz/services/it")),
        ("https://webpulse.kz/a\r\nSet-Cookie: b", Some("https://webpulse.kz/aSet-Cookie:%20b")),
        ("http://webpulse.kz:8080", Some("http://webpulse.kz:8080/")),
        ("javascript:alert(document.cookie)//https://webpulse.kz/", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("not a url", None),
    ];
    for (i, (page, want)) in cases.iter().enumerate() {
        let mut ev = event(&cfg, "reject_all", std::slice::from_ref(&req));
        ev["page"] = json!(page);
        let r = send(&k, SITE, Some(ORIGIN), &ev.to_string());
        assert_eq!(r.status, 201, "{page}: {}", r.body);
        let (stored, canonical) = stored_page(i as i64 + 1);
        assert_eq!(stored.as_deref(), *want, "{page}");
        let bytes = String::from_utf8(canonical).unwrap();
        for gone in ["secret", "token", "javascript", "\\r", "\\n"] {
            assert!(!bytes.contains(gone), "`{gone}` in the signed bytes: {bytes}");
        }
    }
}

#[test]
fn ids_must_be_uuids_of_version_4_or_7() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let req = required(&cfg);
    for (field, id) in [
        ("consent_id", "00000000-0000-0000-0000-000000000000"),
        ("event_id", "00000000-0000-0000-0000-000000000000"),
        ("consent_id", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        ("event_id", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        ("event_id", "0b6f7c1e-8c1a-4d2b-cf3e-2a1b3c4d5e6f"),
    ] {
        let mut ev = event(&cfg, "reject_all", std::slice::from_ref(&req));
        ev[field] = json!(id);
        let p = assert_problem(&send(&k, SITE, Some(ORIGIN), &ev.to_string()), 400);
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`: must be a lowercase hyphenated UUID of version 4 or 7")),
            "{p}"
        );
    }
    assert_eq!(k.count_events(SITE), 0);
    let mut v7 = event(&cfg, "reject_all", std::slice::from_ref(&req));
    v7["event_id"] = json!("01932c07-a3b1-7cc2-8a5e-3f1d2c4b5a69");
    assert_eq!(send(&k, SITE, Some(ORIGIN), &v7.to_string()).status, 201);
}

#[test]
fn origin_is_compared_and_stored_lowercased() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let ev = event(&cfg, "reject_all", &[required(&cfg)]);
    let r = send(&k, SITE, Some("HTTPS://WebPulse.KZ"), &ev.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    let (origin, canonical): (String, Vec<u8>) = k
        .db()
        .query_row("SELECT origin, canonical FROM events_readable WHERE site = ?1 AND seq = 1", [SITE], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(origin, ORIGIN);
    assert!(String::from_utf8(canonical).unwrap().contains(&format!("\"origin\":\"{ORIGIN}\"")));
}

#[test]
fn an_oversized_site_policy_text_stops_the_server_with_file_line_and_field() {
    let huge = "x".repeat(10 * 1024 * 1024);
    let sites = kelisim_tests::example_site("https://example.kz", |t| {
        t.replace(r#"policy_version = "2025-01-15""#, &format!(r#"policy_version = "{huge}""#))
    });
    let err = Kelisim::start_with(sites.path(), &[]).err().expect("the server refuses a 10 MB policy_version");
    let line =
        err.lines().find(|l| l.contains("policy_version")).unwrap_or_else(|| panic!("{}", &err[..err.len().min(2000)]));
    assert!(
        line.contains("example.toml:6:")
            && line.ends_with("`policy_version` is 10485760 characters long; at most 100 are allowed"),
        "{line}"
    );
    assert!(err.len() < 10_000, "the text itself is not printed back");
    let file = sites.path().join("example.toml");
    let out = kelisim_tests::cli(&["site", "check", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("example.toml:6:") && text.contains("`policy_version` is 10485760 characters long"),
        "{}",
        &text[..text.len().min(2000)]
    );
}

#[test]
fn every_error_of_the_public_routes_is_a_problem() {
    let k = Kelisim::start();
    let url = |p: &str| k.url(p);
    // Query strings that do not parse.
    assert_problem(&get(&url("/api/v1/sites/webpulse/log/consistency?from=x&to=2"), &[]), 400);
    assert_problem(&get(&url("/api/v1/sites/webpulse/widget?lang=kk&lang=ru"), &[]), 400);
    assert_problem(&get(&url(&format!("/receipt/webpulse/{}?lang=kk&lang=ru", uuid())), &[]), 400);
    assert_problem(&get(&url("/admin/api/sites/webpulse/events?before=abc"), &[]), 400);
    // Forms: the wrong content type, fields missing, a path that does not parse.
    assert_problem(&post(&url("/admin/login"), &[("content-type", "text/plain")], "x"), 415);
    assert_problem(
        &post(&url("/admin/login"), &[("content-type", "application/x-www-form-urlencoded")], "user=%ZZ"),
        400,
    );
    assert_problem(
        &post(&url("/admin/tokens/abc/revoke"), &[("content-type", "application/x-www-form-urlencoded")], "csrf=x"),
        404,
    );
    // Unknown paths, and methods a resource does not answer.
    assert_problem(&get(&url("/api/v1/nothing"), &[]), 404);
    for path in
        ["/healthz", "/kelisim.js", "/api/v1/sites/webpulse/config", "/api/v1/log/key", "/metrics", "/receipt.css"]
    {
        let r = post(&url(path), &[("content-type", "application/json")], "{}");
        assert_problem(&r, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{path}");
    }
    let r = post(
        &url("/api/v1/sites/webpulse/consents"),
        &[("content-type", "application/json"), ("origin", ORIGIN)],
        "{}",
    );
    assert_problem(&r, 400);
}

/// One request over a connection of its own (`Connection: close`), read to the end: the
/// status, the headers (lowercased names, sorted, `date` left out) and every byte after them,
/// undecoded — so that a body sent with a `HEAD` answer would show.
fn raw_request(
    k: &Kelisim,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let host = k.host();
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let extra: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end =
        out.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("{method} {path}: no end of headers"));
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap();
    let mut fields: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .filter(|(n, _)| n != "date")
        .collect();
    fields.sort();
    (status, fields, out[end + 4..].to_vec())
}

#[test]
fn head_answers_like_get_without_a_body_for_every_asset() {
    let k = Kelisim::start();
    let loader = get(&k.url("/kelisim.js"), &[("accept-encoding", "identity")]);
    assert_eq!(loader.status, 200, "{}", loader.body);
    // Every widget file the loader names (the glue, the module, and whatever else it loads).
    let mut paths: Vec<String> = vec!["/kelisim.js".into()];
    paths.extend(
        loader.body.split("\"/widget/").skip(1).filter_map(|s| s.split('"').next()).map(|n| format!("/widget/{n}")),
    );
    assert!(
        paths.iter().any(|p| p.ends_with(".wasm"))
            && paths.iter().any(|p| p.starts_with("/widget/") && p.ends_with(".js")),
        "{paths:?}"
    );
    // Every file of the browser verifier, its page at `/verify/`.
    paths.push("/verify/".into());
    let verifier = kelisim_tests::root().join("target/verifier-dist");
    for e in
        std::fs::read_dir(&verifier).unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build`)", verifier.display()))
    {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        paths.push(format!("/verify/{name}"));
    }
    // The demo pages and their assets (`serve --demo`).
    for p in [
        "/demo/",
        "/demo/webpulse/",
        "/demo/webpulse/kk.html",
        "/demo/webpulse/site.css",
        "/demo/assets/base.css",
        "/demo/assets/pixel.svg",
    ] {
        paths.push(p.into());
    }
    for path in &paths {
        for enc in ["br", "gzip", "identity"] {
            let asked = [("accept-encoding", enc)];
            let (g_status, g_headers, g_body) = raw_request(&k, "GET", path, &asked);
            let (h_status, h_headers, h_body) = raw_request(&k, "HEAD", path, &asked);
            assert_eq!(g_status, 200, "GET {path} ({enc})");
            assert_eq!(h_status, g_status, "HEAD {path} ({enc})");
            assert_eq!(h_headers, g_headers, "HEAD {path} ({enc}): the headers GET gets");
            assert!(h_body.is_empty(), "HEAD {path} ({enc}) sent {} bytes of body", h_body.len());
            let header = |name: &str| h_headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert!(header("content-type").is_some(), "HEAD {path} ({enc}): no content type");
            assert!(header("cache-control").is_some(), "HEAD {path} ({enc}): no caching headers");
            // Where GET says how long its body is, HEAD says the same length.
            if let Some(len) = header("content-length") {
                assert_eq!(
                    len.parse::<usize>().unwrap(),
                    g_body.len(),
                    "HEAD {path} ({enc}): the length of GET's body"
                );
            }
            if enc != "identity" && (path.starts_with("/widget/") || path == "/kelisim.js") {
                assert_eq!(header("content-encoding"), Some(enc), "HEAD {path}: the encoding asked for");
                assert!(header("content-length").is_some(), "HEAD {path} ({enc}): the precomputed encoding's length");
            }
        }
    }
    // A revalidation of the loader: 304 for both.
    let etag = loader.header("etag").unwrap().to_owned();
    let (g, _, _) = raw_request(&k, "GET", "/kelisim.js", &[("if-none-match", &etag)]);
    let (h, _, body) = raw_request(&k, "HEAD", "/kelisim.js", &[("if-none-match", &etag)]);
    assert_eq!((g, h), (304, 304));
    assert!(body.is_empty());
    // Unknown assets: 404 for both, HEAD without the problem's body.
    for path in
        ["/widget/kelisim-0000000000000000.wasm", "/widget/nothing.js", "/verify/nothing.js", "/demo/nothing/site.css"]
    {
        let (g_status, g_headers, _) = raw_request(&k, "GET", path, &[("accept-encoding", "identity")]);
        let (h_status, h_headers, h_body) = raw_request(&k, "HEAD", path, &[("accept-encoding", "identity")]);
        assert_eq!((g_status, h_status), (404, 404), "{path}");
        assert_eq!(h_headers, g_headers, "HEAD {path}: the headers of GET's 404");
        assert!(h_body.is_empty(), "HEAD {path} sent a body");
    }
}
