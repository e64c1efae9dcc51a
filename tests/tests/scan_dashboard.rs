//! The scans the server runs itself, with the machine's Chromium: the Install page's "Check my
//! site", the Scan page's "Scan now" and a site's schedule — what each reports, what it keeps,
//! the audit trail, and the page while a scan runs. `kelisim scan` from the command line is in
//! `scan.rs`.

use kelisim_tests::pages::PageServer;
use kelisim_tests::shop::{shop, sites_for, third_party, LOADER, ONE_AT_A_TIME};
use kelisim_tests::{get, post_form, Kelisim};

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
    // The site declares Yandex.Metrica: the page says it is blocked with no markup, and its
    // hand-gating example is not Metrica's.
    assert!(
        install.body.contains("data-install=\"auto\"")
            && install.body.contains("Yandex.Metrica — <code>analytics</code>"),
        "{}",
        install.body
    );
    assert!(
        install.body.contains("блокируются автоматически")
            && !install.body.contains("data-src=&quot;https://mc.yandex.ru")
    );
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
