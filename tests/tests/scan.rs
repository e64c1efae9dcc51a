//! `kelisim scan` (issue 7) end to end: the real binary drives a real headless Chromium over
//! pages this test serves on 127.0.0.1, with a third party on 127.0.0.2, and the real Kelisim
//! server providing the banner. Checks the violations with their pages and causes, what
//! Reject all leaves, the Open Cookie Database classification, `--write-policy` through
//! `kelisim site check`, the errors, and the dashboard's scan page.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use kelisim_tests::pages::PageServer;
use kelisim_tests::{cli, cli_stdin, example_site, get, post_form, root, Kelisim};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;
use std::sync::Mutex;

/// Scans take turns: each runs Chromium, and the machine has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// `kelisim scan ARGS… --format json` with the test's Chromium.
fn scan(args: &[&str]) -> (Output, Value) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "--chromium", &chromium, "--timeout", "20"]);
    let out = cli(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("not a JSON report ({e}):\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    });
    (out, report)
}

fn findings<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == kind).collect()
}

/// A finding as (subject, name, page path, cause) for exact comparisons.
fn brief(f: &Value, origin: &str) -> (String, String, String, String) {
    let page = f["page"].as_str().unwrap_or("").trim_start_matches(origin).to_owned();
    let c = &f["causes"][0];
    let cause = match c["by"].as_str() {
        Some("script") => format!("script {}", c["url"].as_str().unwrap().trim_start_matches(origin)),
        Some("element") => format!(
            "<{}> in {}",
            c["element"].as_str().unwrap(),
            c["page"].as_str().unwrap().trim_start_matches(origin)
        ),
        Some("response") => format!("response {}", c["url"].as_str().unwrap().trim_start_matches(origin)),
        other => format!("{other:?}"),
    };
    (f["subject"].as_str().unwrap().to_owned(), f["name"].as_str().unwrap().to_owned(), page, cause)
}

fn item<'a>(r: &'a Value, name: &str) -> Option<&'a Value> {
    r["items"].as_array().unwrap().iter().find(|i| i["name"] == name)
}

fn passes(r: &Value, name: &str) -> Vec<String> {
    item(r, name)
        .map(|i| i["passes"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

const LOADER: &str = r#"<script src="KELISIM/kelisim.js" data-site="example"></script>"#;

/// A two-page shop on 127.0.0.1 embedding Kelisim, with `first` and `about` in the bodies.
fn shop(k: &Kelisim, pages: &PageServer, head: &str, first: &str, about: &str) {
    let loader = LOADER.replace("KELISIM", &k.base);
    pages.set(
        "/",
        format!(r#"<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Магазин</title>{loader}{head}</head><body><h1>Магазин</h1><a href="/about.html">О нас</a>{first}</body></html>"#),
    );
    pages.set(
        "/about.html",
        format!(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>О нас</title>{loader}</head><body>\n<h1>О нас</h1>\n<a href=\"/\">Главная</a>\n{about}\n</body></html>"
        ),
    );
}

/// The example site (shared/testdata/example.toml) on `origin`, declaring `_ym_uid` and
/// `_ym_d` only: `_ym_isad` stays undeclared.
fn sites_for(origin: &str) -> tempfile::TempDir {
    example_site(origin, |t| {
        let t = t.replace(r#"cookies = ["_ym_*"]"#, r#"cookies = ["_ym_uid", "_ym_d"]"#);
        let t = t.replace(r#"cookies = ["_ym_uid", "_ym_d", "_ym_isad"]"#, r#"cookies = ["_ym_uid", "_ym_d"]"#);
        assert!(!t.contains("_ym_isad") && !t.contains("_ym_*"), "the example site's cookie lines changed");
        t
    })
}

fn third_party() -> PageServer {
    PageServer::start_on(
        "127.0.0.2",
        vec![
            ("/pixel.svg", r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#.into()),
            ("/frame.html", "<p>реклама</p>".into()),
        ],
    )
}

#[test]
fn a_leaky_copy_yields_exactly_its_violations_with_pages_and_causes() {
    let pages = PageServer::start(vec![(
        "/leak.js",
        "document.cookie = \"_ga=GA1.1.1; path=/; max-age=63072000\";\ndocument.cookie = \"_ym_uid=1; path=/; max-age=31536000\";\n".into(),
    )]);
    let other = third_party();
    let sites = sites_for(&pages.origin);
    let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
    // Ungated: a script setting `_ga` and `_ym_uid`, a pixel and an iframe of another host.
    // Gated as analytics, a script that sets the marketing cookie `_fbp`.
    shop(
        &k,
        &pages,
        r#"<script src="/leak.js"></script>"#,
        r#"<script type="text/plain" data-category="analytics">document.cookie = "_fbp=fb.1.1; path=/; max-age=7776000";</script>"#,
        &format!("<img src=\"{0}/pixel.svg\" alt=\"\" width=\"1\" height=\"1\">\n<iframe src=\"{0}/frame.html\" title=\"ad\"></iframe>", other.origin),
    );
    // And the page's own response sets a Google Ads cookie.
    pages.add_header("/", "Set-Cookie: _gcl_au=1.1.1; Path=/; Max-Age=7776000");
    let policy = sites.path().join("example.toml");
    let (out, r) = scan(&[&format!("{}/", pages.origin), "--policy", policy.to_str().unwrap(), "--pages", "5"]);
    assert_eq!(out.status.code(), Some(1), "violations exit with 1:\n{}", String::from_utf8_lossy(&out.stderr));
    // The loader is first in <head>; leak.js comes after it.
    let loader = &r["loader"];
    assert_eq!(
        (&loader["found"], &loader["in_head"], &loader["deferred"]),
        (&Value::Bool(true), &Value::Bool(true), &Value::Bool(false))
    );
    assert!(loader.get("before").is_none() && loader["site"] == "example", "{loader:#}");
    let o = &pages.origin;
    let host = other.origin.trim_start_matches("http://");
    let before: BTreeSet<_> = findings(&r, "before_choice").into_iter().map(|f| brief(f, o)).collect();
    let expected: BTreeSet<_> = [
        ("cookie", "_ga", "/", "script /leak.js"),
        ("cookie", "_ym_uid", "/", "script /leak.js"),
        ("cookie", "_gcl_au", "/", "response /"),
        ("request", host, "/about.html", "<img> in /about.html"),
        ("request", host, "/about.html", "<iframe> in /about.html"),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
    .collect();
    assert_eq!(before, expected, "{:#}", r["findings"]);
    // Causes carry their lines: leak.js line 1 sets `_ga`, line 2 `_ym_uid`; the pixel is on
    // line 4 of about.html, the iframe on line 5.
    let line = |name: &str, resource: Option<&str>| -> u64 {
        findings(&r, "before_choice")
            .into_iter()
            .find(|f| f["name"] == name && resource.is_none_or(|x| f["resource"] == x))
            .unwrap()["causes"][0]["line"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (line("_ga", None), line("_ym_uid", None), line(host, Some("image")), line(host, Some("document"))),
        (1, 2, 4, 5)
    );
    let ga = findings(&r, "before_choice").into_iter().find(|f| f["name"] == "_ga").unwrap();
    assert_eq!(ga["classification"]["known"]["platform"], "Google Analytics");
    let ym = findings(&r, "before_choice").into_iter().find(|f| f["name"] == "_ym_uid").unwrap();
    assert_eq!((&ym["category"], &ym["classification"]["source"]), (&Value::from("analytics"), &Value::from("policy")));
    // After Reject all the widget deleted the declared `_ym_uid` (W5); the undeclared `_ga`
    // stays, and the ungated pixel and iframe are still called.
    let after: BTreeSet<_> =
        findings(&r, "after_reject").into_iter().map(|f| brief(f, o)).map(|b| (b.0, b.1)).collect();
    let expected: BTreeSet<_> = [("cookie", "_ga"), ("cookie", "_gcl_au"), ("request", host), ("request", host)]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    assert_eq!(after, expected, "{:#}", r["findings"]);
    assert_eq!(findings(&r, "after_reject").len(), 4);
    // Granting analytics alone would set the marketing cookie `_fbp`.
    let wrong = findings(&r, "wrong_category");
    assert_eq!(wrong.len(), 1, "{:#}", r["findings"]);
    assert_eq!(
        (&wrong[0]["name"], &wrong[0]["category"], &wrong[0]["causes"][0]["gated"]),
        (&Value::from("_fbp"), &Value::from("marketing"), &Value::from("analytics"))
    );
    assert_eq!(r["summary"]["violations"], 10);
    assert!(findings(&r, "incomplete").is_empty(), "{:#}", r["findings"]);
    assert_eq!(passes(&r, "_ym_uid"), ["before", "accept"]);
}

#[test]
fn a_gated_copy_leaves_nothing_after_reject_and_write_policy_round_trips() {
    let pages = PageServer::start(vec![]);
    let other = third_party();
    let sites = sites_for(&pages.origin);
    let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
    shop(
        &k,
        &pages,
        "",
        r#"<script type="text/plain" data-category="analytics">
document.cookie = "_ym_uid=1; path=/; max-age=31536000"; document.cookie = "_ym_d=2; path=/; max-age=31536000";
document.cookie = "_ym_isad=2; path=/; max-age=172800"; localStorage.setItem("_ym_retryReqs", "[]");</script>"#,
        &format!(
            "<img data-category=\"marketing\" data-src=\"{0}/pixel.svg\" alt=\"\">\n<iframe data-category=\"marketing\" data-src=\"{0}/frame.html\" title=\"ad\"></iframe>",
            other.origin
        ),
    );
    let policy = sites.path().join("example.toml");
    let written = sites.path().join("reviewed.toml");
    let (out, r) = scan(&[
        &format!("{}/", pages.origin),
        "--policy",
        policy.to_str().unwrap(),
        "--write-policy",
        written.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "no violation: exit 0\n{stderr}\n{:#}", r["findings"]);
    assert_eq!(r["summary"]["violations"], 0, "{:#}", r["findings"]);
    assert!(findings(&r, "incomplete").is_empty(), "{:#}", r["findings"]);
    // Before any choice nothing; after Accept all the gated script's cookies and the gated
    // marketing pixel and iframe; after Reject all only Kelisim's own decision cookie.
    for name in ["_ym_uid", "_ym_d", "_ym_isad", "_ym_retryReqs"] {
        assert_eq!(passes(&r, name), ["accept"], "{name}: {:#}", r["items"]);
    }
    let after_reject = |required: bool| -> Vec<&str> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["passes"].as_array().unwrap().iter().any(|p| p == "reject")
                    && i["classification"]["required"] == required
            })
            .map(|i| i["name"].as_str().unwrap())
            .collect()
    };
    assert!(after_reject(false).is_empty(), "nothing non-required remains after Reject all: {:#}", r["items"]);
    assert!(after_reject(true).contains(&"kelisim"), "the decision itself is kept: {:#}", r["items"]);
    let hosts = r["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:#?}");
    assert_eq!(hosts[0]["passes"], serde_json::json!(["accept"]), "the third party is only called after Accept all");
    // `_ym_isad` is declared nowhere: the Open Cookie Database knows it as Yandex.Metrica's.
    let isad = findings(&r, "undeclared")
        .into_iter()
        .find(|f| f["name"] == "_ym_isad")
        .expect("_ym_isad is reported as undeclared");
    let known = &isad["classification"]["known"];
    assert_eq!(
        (known["platform"].as_str(), known["category"].as_str()),
        (Some("Yandex.Metrica"), Some("Analytics")),
        "{isad:#}"
    );
    assert_eq!(isad["category"], "analytics", "suggested category");
    assert_eq!(isad["causes"][0]["by"], "inline_script");
    assert_eq!(isad["causes"][0]["gated"], "analytics", "the script Kelisim enabled for analytics set it");
    let never: BTreeSet<&str> = findings(&r, "never_seen").iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(never, BTreeSet::from(["session", "_fbp"]));

    // --write-policy: the undeclared items are added for review, and the file passes
    // `kelisim site check`, which lists each one.
    assert!(stderr.contains("new items for review"), "{stderr}");
    let text = std::fs::read_to_string(&written).unwrap();
    let original = std::fs::read_to_string(&policy).unwrap();
    assert!(text.starts_with(&original), "the policy itself is kept as it was");
    assert!(text.contains("[[review]]\nname = \"_ym_isad\"\nkind = \"cookie\"\nsuggested_category = \"analytics\"\nplatform = \"Yandex.Metrica\""), "{text}");
    assert!(text.contains("[[review]]\nname = \"_ym_retryReqs\"\nkind = \"local_storage\""), "{text}");
    assert!(
        text.contains("# Open Cookie Database: Yandex.Metrica (Analytics)"),
        "the evidence is in a comment: {text}"
    );
    let check = cli(&["site", "check", written.to_str().unwrap()]);
    let check_err = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{}{check_err}", String::from_utf8_lossy(&check.stdout));
    assert!(check_err.contains("cookie `_ym_isad` awaits review (suggested category `analytics`)"), "{check_err}");
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("2 items await review"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Not silently into a category: the analytics list is unchanged.
    assert_eq!(text.matches(r#"cookies = ["_ym_uid", "_ym_d"]"#).count(), 2);
}

fn session(k: &Kelisim) -> String {
    let data = k.data.path().to_str().unwrap();
    let out = cli_stdin(
        &["admin", "add", "aigerim", "--role", "auditor", "--password-stdin", "--data", data],
        "correct horse battery\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = post_form(&k.url("/admin/login"), &[], &[("username", "aigerim"), ("password", "correct horse battery")]);
    assert_eq!(r.status, 303, "{}", r.body);
    format!("kelisim_admin={}", r.set_cookie("kelisim_admin").unwrap())
}

#[test]
fn the_clean_demo_site_has_no_violation_and_the_dashboard_shows_the_scan() {
    let k = Kelisim::start();
    let cookie = session(&k);
    let page = get(&k.url("/admin/sites/webpulse/scan"), &[("cookie", &cookie), ("accept-language", "kk")]);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("data-scan=\"none\"") && page.body.contains("Бұл сайт әлі сканерленбеген."),
        "{}",
        page.body
    );

    let data = k.data.path().to_str().unwrap().to_owned();
    let sites = root().join("www/sites");
    let (out, r) =
        scan(&[&k.url("/demo/webpulse/"), "--site", "webpulse", "--sites", sites.to_str().unwrap(), "--data", &data]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{:#}", r["findings"]);
    assert_eq!(r["summary"]["violations"], 0);
    assert!(findings(&r, "incomplete").is_empty(), "the banner was clicked in both passes: {:#}", r["findings"]);
    // Both demo pages (Russian and the linked Kazakh one) were scanned.
    let scanned: Vec<&str> = r["pages"].as_array().unwrap().iter().map(|p| p["url"].as_str().unwrap()).collect();
    assert_eq!(scanned, [k.url("/demo/webpulse/"), k.url("/demo/webpulse/kk.html")]);
    assert_eq!(passes(&r, "kelisim"), ["accept", "reject"]);
    assert!(stderr.contains("scan: [before any choice] 1/"), "progress on stderr: {stderr}");
    // The scanner's clicks are not consents: none reached the consent log.
    assert_eq!(k.count_events("webpulse"), 0);
    // The demo's gated analytics script sets `_ym_uid`, which webpulse's policy does not
    // list (its privacy policy names no counter): the scan says so, as a finding to review.
    assert_eq!(passes(&r, "_ym_uid"), ["accept"]);
    assert!(findings(&r, "undeclared").iter().any(|f| f["name"] == "_ym_uid"));

    // The dashboard shows the latest scan, in the visitor's language of choice.
    let home = get(&k.url("/admin/"), &[("cookie", &cookie), ("accept-language", "ru")]);
    assert!(home.body.contains(r#"<a href="/admin/sites/webpulse/scan" data-scan-violations="0">"#), "{}", home.body);
    assert!(home.body.contains("Последнее сканирование"));
    let page = get(&k.url("/admin/sites/webpulse/scan"), &[("cookie", &cookie), ("accept-language", "ru")]);
    assert_eq!(page.status, 200);
    // No violation, but not the green "clean" box either: `_ym_uid` is analytics by the Open
    // Cookie Database, set only after Accept all, named by no banner and not deleted on
    // withdrawal — a warning that says so.
    assert!(r["summary"]["warnings"].as_u64().unwrap() >= 1);
    assert!(
        page.body.contains(r#"data-scan-violations="0" data-scan-warning="undeclared""#)
            && page.body.contains("Нарушений нет, но некоторые cookie")
            && !page.body.contains("Нарушений не найдено."),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-finding="undeclared" data-name="_ym_uid""#), "{}", page.body);
    assert!(page.body.contains("Найдено, но не указано в политике сайта"), "{}", page.body);
    assert!(page.body.contains("Open Cookie Database"), "attribution");
    assert!(page.body.contains(&k.url("/demo/webpulse/kk.html")));
}

#[test]
fn the_dashboard_shows_the_violations_of_the_last_scan() {
    let pages = PageServer::start(vec![]);
    let sites = sites_for(&pages.origin);
    let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
    // An ungated inline script sets the marketing cookie `_fbp` and Yandex.Metrica's `_ym_d`
    // (declared under the analytics category's service).
    shop(
        &k,
        &pages,
        r#"<script>document.cookie = "_fbp=fb.1.1; path=/; max-age=7776000"; document.cookie = "_ym_d=1733000000; path=/";</script>"#,
        "",
        "",
    );
    let cookie = session(&k);
    let data = k.data.path().to_str().unwrap().to_owned();
    let (out, r) = scan(&[
        &format!("{}/", pages.origin),
        "--site",
        "example",
        "--sites",
        sites.path().to_str().unwrap(),
        "--data",
        &data,
        "--pages",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(findings(&r, "before_choice").len(), 2, "{:#}", r["findings"]);
    let page = get(&k.url("/admin/sites/example/scan"), &[("cookie", &cookie), ("accept-language", "en")]);
    assert!(page.body.contains(r#"data-scan-violations="2""#), "{}", page.body);
    // A declared item is named by its service and what it does, not only by its pattern.
    assert!(
        page.body.contains(r#"<span data-service="yandex-metrica"><b>Yandex.Metrica</b> — Yandex LLC (RU). A visitor counting service.</span>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-finding="before_choice" data-name="_fbp""#), "{}", page.body);
    assert!(page.body.contains("Violations: before the visitor chooses"));
    assert!(page.body.contains("inline script in the page"), "the cause is shown: {}", page.body);
    assert!(page.body.contains("declared in Marketing (<code>marketing</code>)"), "{}", page.body);
    let kk = get(&k.url("/admin/sites/example/scan"), &[("cookie", &cookie), ("accept-language", "kk")]);
    assert!(kk.body.contains("Бұзушылықтар: келуші таңдау жасағанға дейін"), "{}", kk.body);
}

#[test]
fn a_missing_chromium_is_one_clear_sentence() {
    for (args, env) in [(vec!["--chromium", "/nonexistent/chromium"], None), (vec![], Some("/nonexistent/chromium"))] {
        let mut all = vec!["scan", "http://127.0.0.1:9/"];
        all.extend(args);
        let mut cmd = std::process::Command::new(kelisim_tests::bin());
        cmd.args(&all).current_dir(root());
        if let Some(p) = env {
            cmd.env("KELISIM_CHROMIUM", p);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
        assert!(stderr.starts_with("kelisim: there is no Chromium at /nonexistent/chromium"), "{stderr}");
        assert!(stderr.contains("--chromium or KELISIM_CHROMIUM"), "{stderr}");
    }
}

#[test]
fn a_url_that_does_not_answer_is_one_clear_sentence() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{closed}/");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let out = cli(&["scan", &url, "--chromium", &chromium, "--timeout", "10"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("kelisim: {url} does not answer (net::ERR_CONNECTION_REFUSED)")), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("kelisim:")).count(), 1, "{stderr}");
    let bad = cli(&["scan", "ftp://example.kz/"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a page address"));
}

#[test]
fn scan_help_names_the_exit_statuses_and_the_cookie_database() {
    let out = cli(&["scan", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for s in [
        "--write-policy",
        "--pages",
        "--timeout",
        "--chromium",
        "Exit status:\n  0  no violation",
        "Open Cookie Database",
        "Apache License 2.0",
    ] {
        assert!(help.contains(s), "{s}: {help}");
    }
}

/// The Install page until no check of `example` runs; while one does, the page refreshes
/// itself every 3 seconds.
fn checked(k: &Kelisim, cookie: &str) -> String {
    let page = idle(k, cookie, "install", "data-check=\"running\"");
    assert!(!page.contains("Проверяем "), "{page}");
    page
}

/// The audit trail's entries whose action starts with `prefix`, as "actor action", in order.
fn audited(k: &Kelisim, prefix: &str) -> Vec<String> {
    let db = k.db();
    let mut st =
        db.prepare("SELECT actor || ' ' || action FROM audit_log WHERE action LIKE ?1 || '%' ORDER BY seq").unwrap();
    st.query_map([prefix], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// A site page of `example` (`install`, `scan`) once no scan of the site runs (`running`
/// marks one on the page), checking that it refreshes itself while one does.
fn idle(k: &Kelisim, cookie: &str, page: &str, running: &str) -> String {
    let url = k.url(&format!("/admin/sites/example/{page}"));
    let until = std::time::Instant::now() + std::time::Duration::from_secs(150);
    loop {
        let r = get(&url, &[("cookie", cookie), ("accept-language", "ru")]);
        assert_eq!(r.status, 200, "{}", r.body);
        if !r.body.contains(running) {
            assert!(!r.body.contains("http-equiv=\"refresh\""), "no refresh once the scan is over");
            return r.body;
        }
        let refresh = format!("<meta http-equiv=\"refresh\" content=\"3; url=/admin/sites/example/{page}?running=");
        assert!(r.body.contains(&refresh), "a running scan refreshes the page:\n{}", r.body);
        assert!(std::time::Instant::now() < until, "the scan did not finish within 150 s");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[test]
fn check_my_site_says_where_the_loader_is_and_what_ran_before_a_choice() {
    use kelisim_tests::admin::{add_account, session as login_as};
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let pages =
        PageServer::start(vec![("/leak.js", "document.cookie = \"_ga=GA1.1.1; path=/; max-age=63072000\";\n".into())]);
    let sites = sites_for(&pages.origin);
    let k = Kelisim::start_with(sites.path(), &["--chromium", &chromium]).unwrap_or_else(|e| panic!("{e}"));
    let loader = LOADER.replace("KELISIM", &k.base);
    let page = |head: &str| {
        format!("<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Магазин</title>{head}</head><body><h1>Магазин</h1></body></html>")
    };
    // A tracker pasted above the Kelisim line, ungated.
    pages.set("/", page(&format!("<script src=\"/leak.js\"></script>\n{loader}")));
    add_account(&k, "owner", "admin");
    add_account(&k, "dpo", "auditor");
    let (cookie, csrf) = login_as(&k, "owner");
    let install = get(&k.url("/admin/sites/example/install"), &[("cookie", &cookie), ("accept-language", "ru")]);
    assert!(install.body.contains("data-action=\"check-site\""), "{}", install.body);
    assert!(install.body.contains(&format!("value=\"{}/\"", pages.origin)), "the form offers the site's address");
    let check = k.url("/admin/sites/example/install/check");

    // Only the site's own addresses (and this server's) are scanned.
    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", &csrf), ("url", "http://127.0.0.2:9/")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("data-check=\"refused\"") && r.body.contains("Проверить можно только страницы"),
        "{}",
        r.body
    );
    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", &csrf), ("url", "not an address")]);
    assert_eq!(r.status, 422, "{}", r.body);
    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", "wrong"), ("url", &format!("{}/", pages.origin))]);
    assert_eq!(r.status, 403, "{}", r.body);
    // An auditor sees the result but cannot start a check.
    let (dpo, dpo_csrf) = login_as(&k, "dpo");
    let r = post_form(&check, &[("cookie", &dpo)], &[("csrf", &dpo_csrf), ("url", &format!("{}/", pages.origin))]);
    assert_eq!(r.status, 403, "{}", r.body);

    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", &csrf), ("url", &format!("{}/", pages.origin))]);
    assert_eq!(r.status, 303, "{}", r.body);
    let body = checked(&k, &cookie);
    assert!(body.contains("data-check=\"result\""), "{body}");
    assert!(body.contains("data-loader=\"before\""), "the tracker above the loader is named:\n{body}");
    assert!(body.contains(&format!("<code>{}/leak.js</code>", pages.origin)), "{body}");
    assert!(!body.contains("data-loader=\"first\""), "{body}");
    assert!(body.contains("data-trackers=\"1\"") && body.contains("data-name=\"_ga\""), "{body}");
    assert!(body.contains("Запустились до выбора"), "{body}");
    // The check is a scan of the site: its full report is on the Scan page, and the audit
    // trail says who started it.
    let scan_page = get(&k.url("/admin/sites/example/scan"), &[("cookie", &cookie), ("accept-language", "ru")]);
    assert!(scan_page.body.contains("data-name=\"_ga\""), "{}", scan_page.body);
    assert_eq!(audited(&k, "scan."), ["owner scan.check"]);
    let dpo_page = get(&k.url("/admin/sites/example/install"), &[("cookie", &dpo), ("accept-language", "ru")]);
    assert!(!dpo_page.body.contains("data-action=\"check-site\"") && dpo_page.body.contains("data-trackers=\"1\""));

    // Fixed as the page tells: the loader first, the tracker gated.
    pages.set(
        "/",
        page(&format!(
            "{loader}\n<script type=\"text/plain\" data-category=\"analytics\" data-src=\"/leak.js\"></script>"
        )),
    );
    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", &csrf), ("url", &format!("{}/", pages.origin))]);
    assert_eq!(r.status, 303, "{}", r.body);
    let body = checked(&k, &cookie);
    assert!(body.contains("data-loader=\"first\"") && !body.contains("data-loader=\"before\""), "{body}");
    assert!(body.contains("data-trackers=\"0\""), "{body}");

    // A loader with `defer`, below the body's first script, naming another site.
    pages.set(
        "/",
        format!(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Магазин</title></head><body><script>var early =\n 1;</script><script defer src=\"{}/kelisim.js\" data-site=\"other\"></script><h1>Магазин</h1></body></html>",
            k.base
        ),
    );
    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", &csrf), ("url", &format!("{}/", pages.origin))]);
    assert_eq!(r.status, 303, "{}", r.body);
    let body = checked(&k, &cookie);
    for mark in ["not-head", "deferred", "before", "other-site"] {
        assert!(body.contains(&format!("data-loader=\"{mark}\"")), "{mark}:\n{body}");
    }
    assert!(body.contains("<code>inline: var early = 1;</code>"), "{body}");
}

#[test]
fn check_my_site_without_chromium_says_so() {
    use kelisim_tests::admin::{add_account, session as login_as};
    let pages = PageServer::start(vec![]);
    let sites = sites_for(&pages.origin);
    let k =
        Kelisim::start_with(sites.path(), &["--chromium", "/nonexistent/chromium"]).unwrap_or_else(|e| panic!("{e}"));
    add_account(&k, "owner", "admin");
    let (cookie, csrf) = login_as(&k, "owner");
    let check = k.url("/admin/sites/example/install/check");
    let r = post_form(&check, &[("cookie", &cookie)], &[("csrf", &csrf), ("url", &format!("{}/", pages.origin))]);
    assert_eq!(r.status, 303, "{}", r.body);
    let body = checked(&k, &cookie);
    assert!(body.contains("data-check=\"failed\""), "{body}");
    assert!(body.contains("На сервере не установлен Chromium"), "{body}");
    assert!(!body.contains("data-check=\"result\""), "{body}");
}

#[test]
fn scans_run_from_the_dashboard_now_and_on_a_schedule_and_say_what_changed() {
    use kelisim_tests::admin::{add_account, session as login_as};
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let pages =
        PageServer::start(vec![("/leak.js", "document.cookie = \"_ga=GA1.1.1; path=/; max-age=63072000\";\n".into())]);
    let other = third_party();
    let sites = sites_for(&pages.origin);
    let k = Kelisim::start_with(sites.path(), &["--chromium", &chromium, "--scan-tick", "1"])
        .unwrap_or_else(|e| panic!("{e}"));
    shop(&k, &pages, "", "", "");
    add_account(&k, "owner", "admin");
    let (cookie, csrf) = login_as(&k, "owner");
    let page = get(&k.url("/admin/sites/example/scan"), &[("cookie", &cookie), ("accept-language", "ru")]);
    assert!(
        page.body.contains("data-scan=\"none\"") && page.body.contains("data-action=\"scan-now\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-schedule=\"off\""), "{}", page.body);
    let now = k.url("/admin/sites/example/scan/now");
    let start = format!("{}/", pages.origin);
    let form = |url: &str, n: &str, every: &str| -> Vec<(String, String)> {
        [("csrf", csrf.as_str()), ("url", url), ("pages", n), ("every", every)]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let post = |to: &str, f: Vec<(String, String)>| {
        let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        post_form(to, &[("cookie", &cookie), ("accept-language", "ru")], &f)
    };
    // Refused: a page count out of range, another origin.
    let r = post(&now, form(&start, "0", "off"));
    assert!(r.status == 422 && r.body.contains("Число страниц — от 1 до 50."), "{}", r.body);
    let r = post(&now, form(&format!("{}/", other.origin), "2", "off"));
    assert!(r.status == 422 && r.body.contains("Проверить можно только страницы"), "{}", r.body);

    // Scan now: the report, started by the owner, with nothing before a choice.
    let r = post(&now, form(&start, "2", "off"));
    assert_eq!(r.status, 303, "{}", r.body);
    let body = idle(&k, &cookie, "scan", "data-scan=\"running\"");
    assert!(body.contains("<span data-scan-by>owner</span>") && body.contains("data-scan-violations=\"0\""), "{body}");
    assert!(!body.contains("data-since"), "nothing to compare the first scan with");

    // The site changes: a tracker and a third party's pixel before any choice.
    shop(
        &k,
        &pages,
        r#"<script src="/leak.js"></script>"#,
        &format!("<img src=\"{}/pixel.svg\" alt=\"\">", other.origin),
        "",
    );
    // A daily schedule that has never run starts a scan within the scheduler's tick.
    let r = post(&k.url("/admin/sites/example/scan/schedule"), form(&start, "2", "daily"));
    assert!(
        r.status == 200 && r.body.contains("data-scan-message=\"saved\"") && r.body.contains("data-schedule=\"daily\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("Сервер сканирует этот сайт ежедневно (расписание задал(а) owner"), "{}", r.body);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(150);
    let body = loop {
        let body = idle(&k, &cookie, "scan", "data-scan=\"running\"");
        if body.contains("<span data-scan-by>по расписанию</span>") {
            break body;
        }
        assert!(std::time::Instant::now() < until, "the schedule never ran:\n{body}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    // What changed since the owner's scan: the new cookie with the script that set it, the new host.
    assert!(body.contains("data-since") && body.contains("data-new=\"_ga\""), "{body}");
    assert!(body.contains(&format!("<code>{}/leak.js</code>", pages.origin)), "{body}");
    let host = other.origin.trim_start_matches("http://");
    assert!(body.contains(&format!("data-new-host=\"{host}\"")), "{body}");
    assert!(!body.contains("data-scan-violations=\"0\""), "{body}");
    // It ran once: the next is due in a day.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let scans: i64 = k.db().query_row("SELECT count(*) FROM scans WHERE site = 'example'", [], |r| r.get(0)).unwrap();
    assert_eq!(scans, 2);
    let by: Vec<Option<String>> = k
        .db()
        .prepare("SELECT started_by FROM scans ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(by, [Some("owner".to_owned()), Some("schedule".to_owned())]);
    assert_eq!(audited(&k, "scan."), ["owner scan.start", "owner scan.schedule"]);
    // The sites list shows the scheduled scan's result: its violations, linked to the page.
    let found = body.split("data-scan-violations=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    assert_ne!(found, "0");
    let c = format!("{cookie}; kelisim_admin_lang=ru");
    let home = get(&k.url("/admin/"), &[("cookie", &c)]);
    assert!(
        home.body.contains(&format!(r#"<a href="/admin/sites/example/scan" data-scan-violations="{found}">"#)),
        "{}",
        home.body
    );
    // Off again.
    let r = post(&k.url("/admin/sites/example/scan/schedule"), form(&start, "2", "off"));
    assert!(r.status == 200 && r.body.contains("data-schedule=\"off\""), "{}", r.body);
}

#[test]
fn an_undeclared_yandex_counter_before_any_choice_is_a_violation_named_by_its_service() {
    let pages = PageServer::start(vec![]);
    // The example site without Yandex.Metrica's `_ym_uid` (its `_ym_d` stays declared).
    let sites = example_site(&pages.origin, |t| {
        let t = t.replace(r#"cookies = ["_ym_*"]"#, r#"cookies = ["_ym_d"]"#);
        let t = t.replace(r#"cookies = ["_ym_uid", "_ym_d", "_ym_isad"]"#, r#"cookies = ["_ym_d"]"#);
        assert!(!t.contains("_ym_uid") && !t.contains("_ym_*"), "the example site's cookie lines changed");
        t
    });
    let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
    // The counter's cookie set by a script pasted into the page, with no data-category.
    shop(
        &k,
        &pages,
        r#"<script>document.cookie = "_ym_uid=1733000000123456789; path=/; max-age=31536000";</script>"#,
        "",
        "",
    );
    let (out, r) = scan(&[
        &format!("{}/", pages.origin),
        "--policy",
        sites.path().join("example.toml").to_str().unwrap(),
        "--pages",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1), "a violation: {}", String::from_utf8_lossy(&out.stderr));
    let f = findings(&r, "before_choice");
    let ym = f.iter().find(|f| f["name"] == "_ym_uid").unwrap_or_else(|| panic!("{:#}", r["findings"]));
    // Named by the services catalogue (with the id that declares it), and the Open Cookie
    // Database agrees.
    assert_eq!(ym["classification"]["source"], "catalogue");
    assert_eq!(ym["classification"]["service"], "Yandex.Metrica");
    assert_eq!(ym["classification"]["catalogue"], "yandex-metrica");
    assert_eq!(ym["classification"]["known"]["platform"], "Yandex.Metrica");
    assert_eq!(ym["classification"]["category"], "analytics", "the category to declare it in");
}
