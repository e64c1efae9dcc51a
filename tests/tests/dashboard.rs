//! The admin dashboard (README, "Dashboard, accounts, audit export"; docs/api.md, "Admin API"):
//! accounts, sessions, CSRF, backoff, roles, the log with filters and keyset paging,
//! withdrawals, the audit trail, and the charts — over HTTP and in a real headless Chromium.

use fantoccini::Locator;
use kelisim_tests::admin::{add_account, login, session, token, PASSWORD};
use kelisim_tests::browser::Browser;
use kelisim_tests::{cli_stdin, get, post_form, seed, Kelisim};
use serde_json::{json, Value};

const SITE: &str = "webpulse";
fn api_events(k: &Kelisim, bearer: &str, query: &str) -> Value {
    let r = get(
        &k.url(&format!("/admin/api/sites/{SITE}/events?{query}")),
        &[("authorization", &format!("Bearer {bearer}"))],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn admin_pages_need_a_session_and_the_api_a_token() {
    let k = Kelisim::start();
    let r = get(&k.url("/admin/"), &[]);
    assert_eq!((r.status, r.header("location")), (303, Some("/admin/login")));
    let api = get(&k.url(&format!("/admin/api/sites/{SITE}/events")), &[]);
    assert_eq!(api.status, 401);
    let bad = get(&k.url(&format!("/admin/api/sites/{SITE}/events")), &[("authorization", "Bearer nope")]);
    assert_eq!(bad.status, 401);
    let page = get(&k.url("/admin/login"), &[]);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "no script may run: {csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
}

#[test]
fn state_changes_need_the_csrf_token() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    let (cookie, csrf) = session(&k, "alice");
    let form = |csrf: &str, origin: Option<&str>| {
        let mut h = vec![("cookie", cookie.as_str())];
        if let Some(o) = origin {
            h.push(("origin", o));
        }
        post_form(
            &k.url("/admin/accounts"),
            &h,
            &[("csrf", csrf), ("username", "bob"), ("password", PASSWORD), ("role", "auditor")],
        )
    };
    assert_eq!(form("", None).status, 403, "no CSRF token");
    assert_eq!(form("0000", None).status, 403, "wrong CSRF token");
    assert_eq!(form(&csrf, Some("https://evil.example")).status, 403, "cross-origin");
    let host = k.base.clone();
    assert_eq!(form(&csrf, Some(&host)).status, 303);
    assert_eq!(login(&k, "bob", PASSWORD).status, 303, "the account was added");
    let logout = post_form(&k.url("/admin/logout"), &[("cookie", &cookie)], &[("csrf", "")]);
    assert_eq!(logout.status, 403, "logout is a state change too");
}

/// One error type on the admin side, two faces: a person gets a page in the dashboard's language
/// (or the login page), an API client an RFC 9457 problem; a refusal is the same status in both.
#[test]
fn a_refused_request_is_a_page_in_the_dashboards_language_for_people_and_a_problem_for_api_clients() {
    let k = Kelisim::start();
    add_account(&k, "ivan", "auditor");
    let (cookie, csrf) = session(&k, "ivan");
    for (lang, sentence) in [("kk", "Мұндай сайт жоқ."), ("ru", "Такого сайта нет."), ("en", "There is no such site.")]
    {
        let h = [("cookie", format!("{cookie}; kelisim_admin_lang={lang}"))];
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = get(&k.url("/admin/sites/nosuch/log"), &h);
        assert_eq!(page.status, 404, "{lang}");
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"), "{lang}");
        assert!(page.body.contains(sentence) && page.body.contains(&format!("lang=\"{lang}\"")), "{}", page.body);
        assert!(page.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    }
    let h = [("cookie", cookie.as_str())];
    let refused = post_form(
        &k.url("/admin/accounts"),
        &h,
        &[("csrf", &csrf), ("username", "eve"), ("password", PASSWORD), ("role", "admin")],
    );
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Роль аудитора позволяет просматривать"), "{}", refused.body);
    let t = token(&k, "auditor");
    let bearer = format!("Bearer {t}");
    let api = get(&k.url("/admin/api/sites/nosuch/events"), &[("authorization", &bearer)]);
    assert_eq!((api.status, api.header("content-type")), (404, Some("application/problem+json")));
    assert_eq!(api.json()["detail"], "no such site");
    let api = post_form(
        &k.url("/admin/accounts"),
        &[("authorization", &bearer)],
        &[("username", "eve"), ("password", PASSWORD), ("role", "admin")],
    );
    assert_eq!((api.status, api.header("content-type")), (403, Some("application/problem+json")));
    assert_eq!(api.json()["type"], "https://kelisim.kz/problems/forbidden");
    let gone = get(&k.url("/admin/audit"), &[("cookie", "kelisim_admin=expired")]);
    assert_eq!((gone.status, gone.header("location")), (303, Some("/admin/login")), "a person signs in again");
}

#[test]
fn an_auditor_can_read_and_not_change_anything() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    add_account(&k, "ivan", "auditor");
    seed(&k, 4);
    let (cookie, csrf) = session(&k, "ivan");
    let h = [("cookie", cookie.as_str())];
    for page in [
        "/admin/",
        "/admin/audit",
        "/admin/sites/webpulse/",
        "/admin/sites/webpulse/log",
        "/admin/sites/webpulse/withdrawals",
        "/admin/sites/webpulse/configs",
    ] {
        assert_eq!(get(&k.url(page), &h).status, 200, "{page}");
    }
    assert_eq!(get(&k.url("/admin/accounts"), &h).status, 403);
    let add = post_form(
        &k.url("/admin/accounts"),
        &h,
        &[("csrf", &csrf), ("username", "eve"), ("password", PASSWORD), ("role", "admin")],
    );
    assert_eq!(add.status, 403);
    let disable = post_form(&k.url("/admin/accounts/alice/disable"), &h, &[("csrf", &csrf)]);
    assert_eq!(disable.status, 403);
    // An auditor's API token reads, and cannot change anything either.
    let t = token(&k, "auditor");
    assert_eq!(api_events(&k, &t, "")["events"].as_array().unwrap().len(), 4);
    let r = post_form(
        &k.url("/admin/accounts"),
        &[("authorization", &format!("Bearer {t}"))],
        &[("username", "eve"), ("password", PASSWORD), ("role", "admin")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(login(&k, "eve", PASSWORD).status, 401, "nothing was added");
}

#[test]
fn filters_and_keyset_paging_return_the_right_rows() {
    // With the default window, and with a window of 7 records per page for the filters checked
    // row by row (`--log-scan-window`; 200,000 in production): the same records either way,
    // some pages then partly or wholly empty with the cursor past their window.
    for window in [None, Some("7")] {
        let mut args = vec!["--demo", "--rate-limit", "0"];
        if let Some(w) = window {
            args.extend(["--log-scan-window", w]);
        }
        let k = Kelisim::start_with(&kelisim_tests::root().join("www/sites"), &args).unwrap();
        filters_and_paging(&k, window.is_some());
    }
}

fn filters_and_paging(k: &Kelisim, small_window: bool) {
    let (cfg, sent) = seed(k, 130);
    let t = token(k, "auditor");
    // Paging: 50 + 50 + 30, newest first, no overlaps, nothing missed.
    let mut seen = Vec::new();
    let mut query = String::new();
    loop {
        let page = api_events(k, &t, &query);
        let rows = page["events"].as_array().unwrap();
        assert!(page["searched"].is_null(), "no filter, no window: {page}");
        seen.extend(rows.iter().map(|r| r["seq"].as_i64().unwrap()));
        match page["next"].as_i64() {
            Some(n) => query = format!("before={n}"),
            None => break,
        }
    }
    assert_eq!(seen, (1..=130).rev().collect::<Vec<i64>>());
    let windowed = std::cell::Cell::new(0);
    let count = |q: &str| -> usize {
        let mut seqs: Vec<i64> = Vec::new();
        let mut query = q.to_owned();
        loop {
            let page = api_events(k, &t, &query);
            seqs.extend(page["events"].as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()));
            if let Some(s) = page["searched"].as_i64() {
                windowed.set(windowed.get() + 1);
                assert_eq!(page["next"].as_i64(), Some(s), "the cursor continues below the window: {page}");
            }
            match page["next"].as_i64() {
                Some(c) => query = format!("{q}&before={c}"),
                None => {
                    let mut sorted = seqs.clone();
                    sorted.sort_by(|a, b| b.cmp(a));
                    sorted.dedup();
                    assert_eq!(sorted, seqs, "{q}: newest first, each once");
                    return seqs.len();
                }
            }
        }
    };
    let expect = |f: &dyn Fn(&(String, String, String)) -> bool| sent.iter().filter(|s| f(s)).count();
    assert_eq!(count("action=reject_all"), expect(&|s| s.1 == "reject_all"));
    assert_eq!(count("language=kk"), expect(&|s| s.2 == "kk"));
    assert_eq!(count("action=withdraw&language=en"), expect(&|s| s.1 == "withdraw" && s.2 == "en"));
    assert_eq!(count("category=analytics"), expect(&|s| s.1 == "accept_all" || s.1 == "custom"));
    assert_eq!(count("category=marketing"), expect(&|s| s.1 == "accept_all"));
    let v = cfg["version"].as_str().unwrap();
    assert_eq!(count(&format!("version={}", &v[..12])), 130);
    assert_eq!(count("version=000000000000"), 0);
    let today = time_today();
    assert_eq!(count(&format!("from={today}&to={today}")), 130);
    assert_eq!(count("to=2000-01-01"), 0);
    assert_eq!(count("from=2999-01-01"), 0);
    assert_eq!(windowed.get() > 0, small_window, "pages ended by their window: {}", windowed.get());
    // Look-up by consent id: exactly that visitor's history.
    let one = api_events(k, &t, &format!("consent_id={}", sent[17].0));
    let rows = one["events"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["consent_id"].as_str().unwrap(), rows[0]["action"].as_str().unwrap()),
        (sent[17].0.as_str(), sent[17].1.as_str())
    );
    if small_window {
        // The page says how far back it looked.
        add_account(k, "alice", "admin");
        let (cookie, _) = session(k, "alice");
        let c = format!("{cookie}; kelisim_admin_lang=ru");
        let page = get(&k.url(&format!("/admin/sites/{SITE}/log?action=withdraw")), &[("cookie", &c)]);
        assert!(
            page.body.contains("data-searched=\"124\"") && page.body.contains("Просмотрены записи вплоть до № 124;"),
            "{}",
            page.body
        );
    }
}

fn time_today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn withdrawals_show_their_age_in_working_days() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    let (_, sent) = seed(&k, 8);
    let (cookie, _) = session(&k, "alice");
    let page = get(&k.url("/admin/sites/webpulse/withdrawals"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    let withdrawn: Vec<&String> = sent.iter().filter(|s| s.1 == "withdraw").map(|s| &s.0).collect();
    assert_eq!(withdrawn.len(), 2);
    for id in withdrawn {
        assert!(page.body.contains(id.as_str()), "withdrawal {id} is listed");
    }
    assert_eq!(page.body.matches("data-age=\"0\"").count(), 2, "made today: 0 working days");
    assert!(!page.body.contains("class=\"overdue\""));
}

#[tokio::test]
async fn login_charts_language_and_logout_in_the_browser() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    seed(&k, 40);
    let b = Browser::start().await;
    b.goto(&k.url("/admin/")).await;
    assert!(b.client.current_url().await.unwrap().path().ends_with("/admin/login"));
    b.client.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("alice").await.unwrap();
    b.client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    b.client.find(Locator::Css("[data-action=login]")).await.unwrap().click().await.unwrap();
    // A form post navigates: wait for the next page (argon2 is slow in a debug build).
    let wait =
        |css: &'static str| b.client.wait().at_most(std::time::Duration::from_secs(15)).for_element(Locator::Css(css));
    wait("span.who[data-role=admin]").await.expect("signed in as admin");
    assert_eq!(
        b.js("return document.cookie.indexOf('kelisim_admin') < 0").await,
        json!(true),
        "the session cookie is HttpOnly"
    );
    b.client.find(Locator::Css("a[href='/admin/sites/webpulse/']")).await.unwrap().click().await.unwrap();
    wait("[data-stat=total]").await.expect("the site overview");
    assert_eq!(b.js("return document.querySelector('[data-stat=total]').textContent").await, json!("40"));
    let bars = b.js("return document.querySelectorAll('svg.chart rect.bar').length").await.as_i64().unwrap();
    let lines = b.js("return document.querySelectorAll('svg.chart polyline.line').length").await.as_i64().unwrap();
    assert!(bars >= 4 && lines >= 2, "bars {bars}, lines {lines}");
    // Screenshot of the decisions chart: the four action colours are really painted.
    let chart = b.client.find(Locator::Css("svg.chart.per-day")).await.unwrap();
    let png_bytes = chart.screenshot().await.unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let painted =
        |rgb: [u8; 3]| buf.chunks(px).filter(|p| p[..3].iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 8)).count();
    for (name, rgb) in [
        ("accept_all", [0x2e, 0x7d, 0x32]),
        ("reject_all", [0xc6, 0x28, 0x28]),
        ("custom", [0x15, 0x65, 0xc0]),
        ("withdraw", [0x6a, 0x1b, 0x9a]),
    ] {
        assert!(painted(rgb) > 20, "the chart shows no {name} bar");
    }
    // Kazakh dashboard.
    b.goto(&k.url("/admin/lang?to=kk")).await;
    assert_eq!(b.js("return document.documentElement.lang").await, json!("kk"));
    assert!(b.js("return document.body.textContent").await.as_str().unwrap().contains("Сайттар"));
    // Logout, and the session is gone.
    b.client.find(Locator::Css("[data-action=logout]")).await.unwrap().click().await.unwrap();
    wait("[data-action=login]").await.expect("back on the login page");
    b.goto(&k.url("/admin/audit")).await;
    assert!(b.client.current_url().await.unwrap().path().ends_with("/admin/login"));
    let actions: Vec<String> = {
        let db = k.db();
        let mut st = db.prepare("SELECT action FROM audit_log ORDER BY seq").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(actions, ["account.add", "login", "logout"]);
    b.close().await;
}

fn cli_ok(args: &[&str]) -> String {
    let out = cli_stdin(args, "");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn refused_token(k: &Kelisim, bearer: &str) -> Value {
    let r = get(&k.url(&format!("/admin/api/sites/{SITE}/events")), &[("authorization", &format!("Bearer {bearer}"))]);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    r.json()
}

#[test]
fn tokens_are_listed_expire_and_are_revoked_from_the_cli_and_the_accounts_page() {
    let k = Kelisim::start();
    add_account(&k, "alice", "admin");
    add_account(&k, "ivan", "auditor");
    let data = k.data.path().to_str().unwrap();
    let create = |name: &str, expires: Option<&str>| {
        let mut args = vec!["token", "create", "--role", "auditor", "--name", name, "--data", data];
        args.extend(expires.map(|e| ["--expires", e]).into_iter().flatten());
        let out = cli_stdin(&args, "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let id = stderr.split("Token #").nth(1).unwrap().split(' ').next().unwrap().to_owned();
        (String::from_utf8(out.stdout).unwrap().trim().to_owned(), id)
    };
    let (reporting, reporting_id) = create("reporting", None);
    let (monthly, monthly_id) = create("monthly", Some("30"));
    let (old, old_id) = create("old", Some("2"));
    let (ui, ui_id) = create("ui", None);
    let past = cli_stdin(&["token", "create", "--role", "auditor", "--expires", "2001-01-01", "--data", data], "");
    assert!(
        !past.status.success() && String::from_utf8_lossy(&past.stderr).contains("past"),
        "{}",
        String::from_utf8_lossy(&past.stderr)
    );
    for t in [&reporting, &monthly, &old, &ui] {
        api_events(&k, t, "");
    }
    // `old` expires: set its expiry in the past behind the server's back, as time would.
    {
        let db = rusqlite::Connection::open(k.data.path().join("kelisim.sqlite")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        db.execute("UPDATE api_tokens SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = ?1", [&old_id]).unwrap();
    }
    assert!(refused_token(&k, &old)["detail"].as_str().unwrap().contains("expired"));
    // Revoked from the command line.
    let out = cli_ok(&["token", "revoke", &reporting_id, "--data", data]);
    assert!(out.contains(&format!("revoked token #{reporting_id}")), "{out}");
    assert!(refused_token(&k, &reporting)["detail"].as_str().unwrap().contains("revoked"));
    let again = cli_stdin(&["token", "revoke", &reporting_id, "--data", data], "");
    assert!(!again.status.success(), "a token is revoked once");
    let list = cli_ok(&["token", "list", "--data", data]);
    let line = |id: &str| {
        list.lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("#{id} in\n{list}"))
            .to_owned()
    };
    assert!(line(&reporting_id).contains("revoked") && line(&reporting_id).contains("by cli"), "{list}");
    assert!(line(&old_id).ends_with("expired"), "{list}");
    assert!(line(&monthly_id).ends_with("active") && line(&monthly_id).contains("monthly"), "{list}");
    let today = time_today();
    assert_eq!(line(&ui_id).matches(&today).count(), 2, "created and last used today: {list}");
    // The Accounts page lists them with their last use, and an admin revokes one there.
    let (cookie, csrf) = session(&k, "alice");
    let page = get(&k.url("/admin/accounts"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    // Shown in Asia/Almaty, in the page's words; the instant itself (UTC) is the <time>'s datetime.
    assert!(page.body.contains(&format!("data-last-used=\"{ui_id}\"><time datetime=\"{today}")), "{}", page.body);
    assert!(
        page.body.contains(&format!("data-token=\"{ui_id}\""))
            && !page.body.contains(&format!("data-token=\"{reporting_id}\""))
    );
    assert_eq!(page.body.matches("data-token-status=\"revoked\"").count(), 1);
    let revoke = |cookie: &str, csrf: &str| {
        post_form(&k.url(&format!("/admin/tokens/{ui_id}/revoke")), &[("cookie", cookie)], &[("csrf", csrf)])
    };
    assert_eq!(revoke(&cookie, "").status, 403, "CSRF-protected");
    let (ivan, ivan_csrf) = session(&k, "ivan");
    assert_eq!(revoke(&ivan, &ivan_csrf).status, 403, "an auditor cannot revoke");
    api_events(&k, &ui, "");
    assert_eq!(revoke(&cookie, &csrf).status, 303);
    assert!(refused_token(&k, &ui)["detail"].as_str().unwrap().contains("revoked"));
    assert_eq!(revoke(&cookie, &csrf).status, 404);
    // Every change is in the audit trail.
    let db = k.db();
    let trail: Vec<(String, String, String)> = {
        let mut st =
            db.prepare("SELECT actor, action, detail FROM audit_log WHERE action LIKE 'token.%' ORDER BY seq").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let actions: Vec<(&str, &str)> = trail.iter().map(|(a, b, _)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("cli", "token.create"),
            ("cli", "token.create"),
            ("cli", "token.create"),
            ("cli", "token.create"),
            ("cli", "token.revoke"),
            ("alice", "token.revoke")
        ]
    );
    assert!(trail[1].2.starts_with(&format!("#{monthly_id} monthly (auditor, expires ")), "{trail:?}");
    assert_eq!(trail[5].2, format!("#{ui_id} ui"));
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

#[test]
fn hostile_strings_are_escaped_on_every_dashboard_page() {
    // Site texts: the site's name and a category title.
    let sites = kelisim_tests::demo_sites_copy();
    let path = sites.path().join("webpulse.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen("name = \"webpulse.kz\"", &format!("name = \"webpulse.kz {SCRIPT}\""), 1);
    let text = text.replacen("ru = \"Аналитика\"", &format!("ru = \"Аналитика {}\"", IMG.replace('"', "\\\"")), 1);
    std::fs::write(&path, text).unwrap();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();
    add_account(&k, "alice", "admin");
    let data = k.data.path().to_str().unwrap();
    // A token's name, and a name tried at the login (both reach the Accounts page and the audit trail).
    let out = cli_stdin(
        &["token", "create", "--role", "auditor", "--name", &format!("ci {SCRIPT}{IMG}"), "--data", data],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(login(&k, &format!("{SCRIPT}{IMG}"), "wrong password!").status, 401);
    // A decision from a hostile page and user agent.
    let cfg = get(&k.url("/api/v1/sites/webpulse/config"), &[]).json();
    let consent = kelisim_tests::uuid();
    let body = json!({"consent_id": consent, "event_id": kelisim_tests::uuid(), "config_version": cfg["version"], "action": "accept_all",
        "granted": cfg["categories"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>(), "language": "ru", "gpc": false,
        "page": format!("https://webpulse.kz/{SCRIPT}{IMG}")});
    let ua = format!("Mozilla/5.0 {SCRIPT}{IMG}");
    let r = kelisim_tests::post(
        &k.url("/api/v1/sites/webpulse/consents"),
        &[("origin", "https://webpulse.kz"), ("content-type", "application/json"), ("user-agent", &ua)],
        &body.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // A scan that found hostile names, hosts and URLs.
    let h = format!("{SCRIPT}{IMG}");
    let report = json!({
        "format": 1, "url": format!("https://webpulse.kz/{h}"), "site": "webpulse", "started_at": "2026-11-22T05:00:00.000Z",
        "finished_at": "2026-11-22T05:14:59.571Z", "seconds": 1.0, "chromium": format!("Chromium {h}"),
        "pages": [{"url": format!("https://webpulse.kz/{h}"), "status": 200, "problems": [h]}],
        "items": [],
        "hosts": [{"host": h, "passes": [], "requests": 1, "url": h, "page": h, "cause": {"by": "element", "element": h, "page": h, "line": 1}}],
        "findings": [
            {"kind": "before_choice", "subject": "cookie", "name": h, "domain": h, "page": h, "category": h,
             "causes": [{"by": "script", "url": h, "line": 3, "gated": h}, {"by": "inline_script", "page": h, "line": 4}, {"by": "response", "url": h}]},
            {"kind": "undeclared", "subject": "request", "name": h, "url": h, "resource": h, "count": 2, "category": "analytics"},
            {"kind": "incomplete", "subject": "page", "name": h, "problem": h}
        ],
        "summary": {"pages": 1, "violations": 1, "before_choice": 1, "after_reject": 0, "incomplete": 1, "undeclared": 1, "never_seen": 0, "cookies": 1, "storage_keys": 0, "third_party_hosts": 1},
        "attribution": "Open Cookie Database"
    });
    {
        let db = rusqlite::Connection::open(k.data.path().join("kelisim.sqlite")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        db.execute(
            "INSERT INTO scans (site, url, finished_at, violations, report) VALUES ('webpulse', ?1, '2026-11-22T05:14:59.571Z', 1, ?2)",
            [report["url"].as_str().unwrap(), &report.to_string()],
        )
        .unwrap();
        db.execute(
            "INSERT INTO scans (site, url, finished_at, violations, report) VALUES ('webpulse', ?1, '2026-11-22T05:14:59.571Z', 1, ?2)",
            [report["url"].as_str().unwrap(), &report.to_string()],
        )
        .unwrap();
    }
    let (cookie, _) = session(&k, "alice");
    let version = cfg["version"].as_str().unwrap();
    let pages = [
        "/admin/login".to_owned(),
        "/admin/".into(),
        "/admin/audit".into(),
        "/admin/accounts".into(),
        format!("/admin/sites/{SITE}/"),
        format!("/admin/sites/{SITE}/log"),
        format!("/admin/sites/{SITE}/log?consent_id={consent}"),
        format!(
            "/admin/sites/{SITE}/log?category={}&consent_id={}&from={}",
            "%3Cscript%3E", "%22%3E%3Cimg%20src%3Dx%3E", "%22%3E%3Cxss%3E"
        ),
        format!("/admin/sites/{SITE}/withdrawals"),
        format!("/admin/sites/{SITE}/configs"),
        format!("/admin/sites/{SITE}/configs/{version}"),
        format!("/admin/sites/{SITE}/scan"),
        format!("/admin/sites/{SITE}/export"),
        // The site's file in the editor's text area.
        format!("/admin/sites/{SITE}/policy"),
        // …and in the site editor's fields.
        format!("/admin/sites/{SITE}/edit"),
        // The visitor's receipt: the site's name and the category title in Russian.
        format!("/receipt/{SITE}/{consent}?lang=ru"),
    ];
    let mut escaped = String::new();
    for p in &pages {
        let signed_in = [("cookie", cookie.as_str())];
        let r = get(&k.url(p), if p.ends_with("/login") { &[] } else { &signed_in[..] });
        assert_eq!(r.status, 200, "{p}");
        // The one script a page may hold is the editors' own live preview, by its fixed path.
        let body = r.body.replace("<script src=\"/admin/static/preview.js\"></script>", "");
        for raw in [SCRIPT, "<img", "<xss", "<script"] {
            assert!(!body.contains(raw), "{p} shows {raw} unescaped:\n{}", r.body);
        }
        escaped.push_str(&r.body);
    }
    // …and they are there, escaped: every way in was really shown.
    let script = "&lt;script&gt;alert(1)&lt;/script&gt;";
    for (page, what) in [
        (3, "the token's name"),
        (2, "the name tried at the login"),
        (1, "the site's name"),
        (11, "the scan's cookie name"),
    ] {
        let r = get(&k.url(&pages[page]), &[("cookie", &cookie)]);
        assert!(r.body.contains(script), "{what} on {}", pages[page]);
    }
    let title = get(&k.url(&pages[4]), &[("cookie", &cookie)]);
    assert!(
        title.body.contains("Аналитика &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "the category title: {}",
        title.body
    );
    assert!(escaped.matches("&lt;img src=x onerror=alert(1)&gt;").count() >= 5);
}
