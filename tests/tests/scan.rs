//! `kelisim scan` (issue 7) end to end: the real binary drives a real headless Chromium over
//! pages this test serves on 127.0.0.1, with a third party on 127.0.0.2, and the real Kelisim
//! server providing the banner. Checks the violations with their pages and causes, what
//! Reject all leaves, the Open Cookie Database classification, `--write-policy` through
//! `kelisim site check`, the errors, and the dashboard's scan page. The scans the server runs
//! itself ("Check my site", "Scan now", schedules) are in `scan_dashboard.rs`.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use kelisim_tests::pages::PageServer;
use kelisim_tests::shop::{shop, sites_for, third_party, ONE_AT_A_TIME};
use kelisim_tests::{cli, cli_stdin, example_site, get, post_form, root, Kelisim};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;

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
