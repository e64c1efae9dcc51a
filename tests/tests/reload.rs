//! `serve` follows `--sites DIR` without a restart (README, "Configuration"): a valid edit is
//! served as a new config version within seconds and can be logged at once, an invalid one
//! leaves the running version serving and is shown on the dashboard, an added file adds a site
//! and a removed one takes it away (its log stays); `SIGHUP` reloads at once.

use kelisim_tests::admin::{add_account, csrf_of, session};
use kelisim_tests::{demo_sites_copy, get, post, post_form, uuid, Kelisim};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// What `GET …/config` answers for `site`, polled until `done` says yes (at most 5 seconds).
fn config_until(k: &Kelisim, site: &str, what: &str, done: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = get(&k.url(&format!("/api/v1/sites/{site}/config")), &[]);
        if done(r.status, &r.body) {
            return (r.status, r.body);
        }
        assert!(
            Instant::now() < deadline,
            "{what} within 5 seconds: still {} {}",
            r.status,
            &r.body[..r.body.len().min(300)]
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn version(body: &str) -> String {
    serde_json::from_str::<Value>(body).unwrap()["version"].as_str().unwrap().to_owned()
}

fn consent(k: &Kelisim, site: &str, origin: &str, version: &str) -> u16 {
    let body = json!({"consent_id": uuid(), "event_id": uuid(), "config_version": version, "action": "reject_all", "granted": ["necessary"], "language": "ru", "gpc": false});
    post(
        &k.url(&format!("/api/v1/sites/{site}/consents")),
        &[("origin", origin), ("content-type", "application/json")],
        &body.to_string(),
    )
    .status
}

#[test]
fn an_edited_added_or_removed_site_file_is_served_without_a_restart_and_a_broken_one_is_refused() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0"]).unwrap();
    let webpulse = sites.path().join("webpulse.toml");
    let (_, first) = config_until(&k, "webpulse", "the config", |s, _| s == 200);
    let v1 = version(&first);

    // A valid edit: a new version, served and loggable at once.
    edit(&webpulse, "ru = \"Обязательные\"", "ru = \"Строго необходимые\"");
    let (_, body) = config_until(&k, "webpulse", "the edited title", |_, b| b.contains("Строго необходимые"));
    let v2 = version(&body);
    assert_ne!(v1, v2);
    assert_eq!(consent(&k, "webpulse", "https://webpulse.kz", &v2), 201, "the new version is in the log's configs");
    assert_eq!(consent(&k, "webpulse", "https://webpulse.kz", &v1), 201, "a visitor of the old texts still logs");

    // An invalid edit: refused, the running version stays, and the dashboard says why.
    edit(&webpulse, "kk = \"Міндетті\", ", "");
    add_account(&k, "olga", "admin");
    let cookie = session(&k, "olga").0;
    let deadline = Instant::now() + Duration::from_secs(5);
    let page = loop {
        let page = get(&k.url("/admin/"), &[("cookie", &cookie), ("accept-language", "ru")]);
        if page.body.contains("data-reload-problems") || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(page.body.contains("data-reload-problems=\"1\""), "the refusal is on the dashboard: {}", page.body);
    assert!(page.body.contains("Файл политики сайта не принят"), "{}", page.body);
    let line = page.body.split("data-refused").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(line.contains("webpulse.toml:") && line.contains("title"), "file, line and field: {line}");
    assert!(line.contains("категория `necessary`: `title.kk` — не заполнено"), "in the page's language: {line}");
    assert!(line.contains(&format!("продолжает работать на прежней версии <code>{}</code>", &v2[..12])), "{line}");
    let (_, body) = config_until(&k, "webpulse", "the last good version", |s, _| s == 200);
    assert_eq!(version(&body), v2, "the running version keeps serving");
    // Fixed again (the same texts as v2): the dashboard no longer shows a refusal.
    edit(&webpulse, "title = { ru", "title = { kk = \"Міндетті\", ru");
    let deadline = Instant::now() + Duration::from_secs(5);
    while get(&k.url("/admin/"), &[("cookie", &cookie)]).body.contains("data-reload-problems") {
        assert!(Instant::now() < deadline, "the refusal is gone once the file is fixed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(version(&get(&k.url("/api/v1/sites/webpulse/config"), &[]).body), v2);

    // An added file adds a site; removing it takes the site away and keeps its log.
    let text = std::fs::read_to_string(sites.path().join("aimap.toml")).unwrap();
    std::fs::write(sites.path().join("newsite.toml"), text.replacen("id = \"aimap\"", "id = \"newsite\"", 1)).unwrap();
    let (_, body) = config_until(&k, "newsite", "the added site", |s, _| s == 200);
    assert_eq!(consent(&k, "newsite", "https://aimap.kz", &version(&body)), 201);
    let loader = get(&k.url("/kelisim.js"), &[]);
    assert!(loader.status == 200 && loader.body.contains("\"newsite\""), "the loader knows the new site");
    std::fs::remove_file(sites.path().join("newsite.toml")).unwrap();
    config_until(&k, "newsite", "the removed site to stop answering", |s, _| s == 404);
    assert_eq!(k.count_events("newsite"), 1, "its log stays");
    assert_eq!(get(&k.url("/api/v1/sites/newsite/log/checkpoint"), &[]).status, 404);
}

#[test]
fn sighup_reloads_at_once_when_the_directory_is_not_watched() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--watch-interval", "0"]).unwrap();
    edit(&sites.path().join("webpulse.toml"), "ru = \"Обязательные\"", "ru = \"Необходимые\"");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !get(&k.url("/api/v1/sites/webpulse/config"), &[]).body.contains("Необходимые"),
        "not watched: nothing changes by itself"
    );
    let hup = std::process::Command::new("kill").args(["-HUP", &k.pid().to_string()]).status().unwrap();
    assert!(hup.success());
    config_until(&k, "webpulse", "the reload on SIGHUP", |_, b| b.contains("Необходимые"));
}

/// An API token of `role`, as its `Authorization` header.
fn token(k: &Kelisim, role: &str) -> String {
    format!("Bearer {}", kelisim_tests::admin::token(k, role))
}

fn put(k: &Kelisim, site: &str, auth: &[(&str, &str)], body: &str) -> kelisim_tests::Resp {
    kelisim_tests::put(&k.url(&format!("/admin/api/sites/{site}/policy")), auth, body)
}

/// The admin API's site policy files (docs/api.md): read, publish (checked as `site check`,
/// written atomically, served at once, audited), preview; only the admin role publishes.
#[test]
fn a_policy_is_read_published_and_previewed_over_the_admin_api() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0"]).unwrap();
    let (admin, auditor) = (token(&k, "admin"), token(&k, "auditor"));
    let file = sites.path().join("webpulse.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let got = get(&k.url("/admin/api/sites/webpulse/policy"), &[("authorization", &auditor)]);
    assert_eq!((got.status, got.body.as_str()), (200, text.as_str()), "any role reads the file as it is");
    let v1 = version(&get(&k.url("/api/v1/sites/webpulse/config"), &[]).body);

    // Invalid: 422 naming line, column and field; nothing changes.
    let broken = text.replacen("kk = \"Міндетті\", ", "", 1);
    let r = put(&k, "webpulse", &[("authorization", &admin)], &broken);
    assert_eq!((r.status, r.header("content-type")), (422, Some("application/problem+json")), "{}", r.body);
    let e = &r.json()["errors"][0];
    assert_eq!(e["line"], 68, "{e}");
    assert!(
        e["field"].as_str().unwrap().contains("title.kk") || e["message"].as_str().unwrap().contains("title.kk"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "the file is untouched");
    assert_eq!(
        put(&k, "webpulse", &[("authorization", &admin)], &text.replacen("id = \"webpulse\"", "id = \"other\"", 1))
            .status,
        400
    );
    assert_eq!(put(&k, "webpulse", &[("authorization", &auditor)], &text).status, 403, "an auditor does not publish");

    // A draft previewed is what the widget will get once it is published.
    let draft = text.replacen("ru = \"Обязательные\"", "ru = \"Строго необходимые\"", 1);
    let preview = post(&k.url("/admin/api/sites/webpulse/preview?lang=ru"), &[("authorization", &auditor)], &draft);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Строго необходимые"));

    // Published: written, served at once, visitors asked again, audited.
    let r = put(&k, "webpulse", &[("authorization", &admin)], &draft);
    assert_eq!(r.status, 200, "{}", r.body);
    let answer = r.json();
    let v2 = answer["version"].as_str().unwrap().to_owned();
    assert_eq!(
        (answer["previous_version"].as_str(), answer["visitors_asked_again"].as_bool()),
        (Some(v1.as_str()), Some(true)),
        "a category's text changed: what visitors agreed to changed, they are asked again (W1)"
    );
    assert_eq!(answer["changes"], "changed: necessary");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), draft);
    assert_eq!(
        version(&get(&k.url("/api/v1/sites/webpulse/config"), &[]).body),
        v2,
        "served without waiting for the watch"
    );
    let widget = get(&k.url("/api/v1/sites/webpulse/widget?lang=ru"), &[]);
    assert_eq!(widget.body, preview.body, "the preview was the real widget body");
    let audit: String =
        k.db().query_row("SELECT detail FROM audit_log WHERE action = 'policy.publish'", [], |r| r.get(0)).unwrap();
    assert_eq!(audit, format!("site webpulse: version {} → {}; changed: necessary", &v1[..12], &v2[..12]));
    assert!(
        std::fs::read_dir(sites.path()).unwrap().all(|e| e.unwrap().file_name().to_string_lossy().ends_with(".toml")),
        "no temporary file left"
    );

    // A new site: its file is created and it answers.
    let aimap = std::fs::read_to_string(sites.path().join("aimap.toml")).unwrap();
    let r = put(&k, "fresh", &[("authorization", &admin)], &aimap.replacen("id = \"aimap\"", "id = \"fresh\"", 1));
    assert_eq!((r.status, r.json()["visitors_asked_again"].clone()), (200, Value::Null), "{}", r.body);
    assert!(sites.path().join("fresh.toml").exists());
    assert_eq!(get(&k.url("/api/v1/sites/fresh/config"), &[]).status, 200);

    // A person's session publishes only with its CSRF token.
    add_account(&k, "olga", "admin");
    let cookie = session(&k, "olga").0;
    assert_eq!(put(&k, "webpulse", &[("cookie", &cookie)], &text).status, 403, "no CSRF token");
}

/// The dashboard's policy page: the file in a text area, "Check" names each problem's line and
/// says what would change for visitors, "Publish" (admin role) makes it live; an auditor checks
/// and cannot publish.
#[test]
fn a_site_is_changed_from_the_dashboard_policy_page() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &[]).unwrap();
    let session = |user: &str, role: &str| {
        add_account(&k, user, role);
        let cookie = format!("{}; kelisim_admin_lang=ru", session(&k, user).0);
        let page = get(&k.url("/admin/sites/webpulse/policy"), &[("cookie", &cookie)]);
        assert_eq!(page.status, 200);
        let csrf = csrf_of(&page.body);
        (cookie, csrf, page.body)
    };
    let (cookie, csrf, page) = session("olga", "admin");
    let text = std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap();
    assert!(page.contains("Файл политики") && page.contains("data-action=\"publish\""), "{page}");
    assert!(page.contains("Администратор сайта webpulse.kz"), "the file is in the text area");
    let send = |cookie: &str, csrf: &str, action: &str, text: &str| {
        // A browser sends a textarea's lines with CRLF.
        let text = text.replace('\n', "\r\n");
        post_form(
            &k.url("/admin/sites/webpulse/policy"),
            &[("cookie", cookie)],
            &[("csrf", csrf), ("do", action), ("text", &text)],
        )
    };
    let broken = text.replacen("kk = \"Міндетті\", ", "", 1);
    let r = send(&cookie, &csrf, "publish", &broken);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-policy=\"invalid\"") && r.body.contains("data-line=\"68\""), "{}", r.body);
    assert!(r.body.contains("title.kk") && r.body.contains("В файле есть ошибки"), "{}", r.body);
    assert_eq!(std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap(), text, "nothing written");
    let draft = text.replacen("ru = \"Обязательные\"", "ru = \"Необходимые\"", 1);
    let r = send(&cookie, &csrf, "check", &draft);
    assert!(r.body.contains("data-policy=\"valid\""), "{}", r.body);
    assert!(r.body.contains("изменённые категории: necessary"), "{}", r.body);
    assert!(
        !get(&k.url("/api/v1/sites/webpulse/config"), &[]).body.contains("Необходимые"),
        "a check publishes nothing"
    );
    // A category's text is part of what visitors agreed to: they would be asked again; a new
    // label of the policy text is not.
    assert!(r.body.contains("спросят о согласии заново"), "{}", r.body);
    let relabelled = text.replacen("policy_version = \"", "policy_version = \"2026-12: ", 1);
    let r = send(&cookie, &csrf, "check", &relabelled);
    assert!(
        r.body.contains("data-policy=\"valid\"") && r.body.contains("Прежний выбор посетителей остаётся в силе"),
        "{}",
        r.body
    );
    let r = send(&cookie, &csrf, "publish", &draft);
    assert!(r.body.contains("data-policy=\"published\""), "{}", r.body);
    assert!(get(&k.url("/api/v1/sites/webpulse/config"), &[]).body.contains("Необходимые"), "live at once");
    assert_eq!(
        std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap(),
        draft,
        "LF kept, the text as sent"
    );
    assert_eq!(send(&cookie, "", "check", &draft).status, 403, "CSRF-protected");

    let (ivan, ivan_csrf, page) = session("ivan", "auditor");
    assert!(!page.contains("data-action=\"publish\"") && page.contains("не публиковать"), "{page}");
    assert!(send(&ivan, &ivan_csrf, "check", &text).body.contains("data-policy=\"valid\""));
    assert_eq!(send(&ivan, &ivan_csrf, "publish", &text).status, 403);
}

/// The install page gives the script tag for this very server and site, gating examples with
/// the site's own categories, and the CSP line, in the dashboard's language.
#[test]
fn the_install_page_gives_this_servers_tag_and_the_sites_categories() {
    let k = Kelisim::start();
    add_account(&k, "ivan", "auditor");
    let cookie = format!("{}; kelisim_admin_lang=kk", session(&k, "ivan").0);
    let page = get(&k.url("/admin/sites/webpulse/install"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    let tag =
        format!("&lt;script src=&quot;{}/kelisim.js&quot; data-site=&quot;webpulse&quot;&gt;&lt;/script&gt;", k.base);
    assert!(page.body.contains(&tag), "{}", page.body);
    // No catalogue service: nothing is said to be blocked by itself.
    assert!(!page.body.contains("data-install=\"auto\""), "{}", page.body);
    assert!(
        page.body.contains("data-category=&quot;analytics&quot; data-src=&quot;https://mc.yandex.ru"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Скриптті қосыңыз") && page.body.contains("connect-src"), "{}", page.body);
}

/// A new site from the dashboard: its privacy policy pasted, the importer's draft shown with its
/// TODOs as a checklist, then a finished file checked and published from the same page.
#[test]
fn a_new_site_is_drafted_from_its_privacy_policy_and_published_from_the_dashboard() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &[]).unwrap();
    add_account(&k, "olga", "admin");
    let cookie = format!("{}; kelisim_admin_lang=ru", session(&k, "olga").0);
    let h = [("cookie", cookie.as_str())];
    let home = get(&k.url("/admin/"), &h);
    assert!(home.body.contains("href=\"/admin/sites/new\""), "admins see “New site”");
    let page = get(&k.url("/admin/sites/new"), &h);
    let csrf = csrf_of(&page.body);
    let policy =
        std::fs::read_to_string(kelisim_tests::root().join("tests/fixtures/policies/protorg.kz.ru.txt")).unwrap();

    let taken = post_form(&k.url("/admin/sites/new"), &h, &[("csrf", &csrf), ("id", "webpulse"), ("text", &policy)]);
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("Этот идентификатор уже занят"), "{}", taken.body);
    let draft = post_form(&k.url("/admin/sites/new"), &h, &[("csrf", &csrf), ("id", "shop"), ("text", &policy)]);
    assert_eq!(draft.status, 200, "{}", draft.body);
    assert!(draft.body.contains("data-todos=") && draft.body.contains("Осталось заполнить"), "{}", draft.body);
    assert!(draft.body.contains("id = &quot;shop&quot;"), "the draft is in the text area");
    assert!(draft.body.contains("action=\"/admin/sites/shop/policy\""));
    assert!(!sites.path().join("shop.toml").exists(), "a draft writes nothing");

    // Finished (here: a complete file for the new id), checked and published from the policy page.
    let done = std::fs::read_to_string(sites.path().join("protorg.toml")).unwrap().replacen(
        "id = \"protorg\"",
        "id = \"shop\"",
        1,
    );
    let send = |action: &str| {
        post_form(&k.url("/admin/sites/shop/policy"), &h, &[("csrf", &csrf), ("do", action), ("text", &done)])
    };
    let checked = send("check");
    assert!(checked.body.contains("data-policy=\"valid\"") && checked.body.contains("новый сайт"), "{}", checked.body);
    assert_eq!(get(&k.url("/api/v1/sites/shop/config"), &[]).status, 404, "a check publishes nothing");
    let published = send("publish");
    assert!(published.body.contains("data-policy=\"published\""), "{}", published.body);
    assert_eq!(get(&k.url("/api/v1/sites/shop/config"), &[]).status, 200);
    assert!(sites.path().join("shop.toml").exists());

    // An auditor starts nothing.
    add_account(&k, "ivan", "auditor");
    let ivan = session(&k, "ivan").0;
    assert_eq!(get(&k.url("/admin/sites/new"), &[("cookie", &ivan)]).status, 403);
}

/// Two text versions side by side: only what differs is listed, per category, field and language.
#[test]
fn two_versions_are_compared_side_by_side() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &[]).unwrap();
    let v1 = version(&get(&k.url("/api/v1/sites/webpulse/config"), &[]).body);
    edit(&sites.path().join("webpulse.toml"), "ru = \"Обязательные\"", "ru = \"Необходимые\"");
    let (_, body) = config_until(&k, "webpulse", "the new version", |_, b| b.contains("Необходимые"));
    let v2 = version(&body);
    add_account(&k, "ivan", "auditor");
    let cookie = format!("{}; kelisim_admin_lang=ru", session(&k, "ivan").0);
    let list = get(&k.url("/admin/sites/webpulse/configs"), &[("cookie", &cookie)]);
    assert!(list.body.contains("action=\"/admin/sites/webpulse/compare\""), "{}", list.body);
    let page = get(&k.url(&format!("/admin/sites/webpulse/compare?a={v1}&b={v2}")), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-differ=\"1\""), "one text differs: {}", page.body);
    assert!(
        page.body.contains("necessary · title")
            && page.body.contains(">Обязательные<")
            && page.body.contains(">Необходимые<")
    );
    assert_eq!(
        get(&k.url(&format!("/admin/sites/webpulse/compare?a={v1}&b=nope")), &[("cookie", &cookie)]).status,
        404
    );
}

/// As an owner would, in Chromium: sign in, change a category's title on the policy page, check,
/// publish, and see the new title in the real widget on the site's page.
#[tokio::test]
async fn an_owner_changes_a_title_in_the_browser_and_the_sites_widget_shows_it() {
    use fantoccini::Locator;
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();
    add_account(&k, "olga", "admin");
    let b = kelisim_tests::browser::Browser::start().await;
    let wait = |css: &'static str| b.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(css));
    b.goto(&k.url("/admin/login")).await;
    b.client.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("olga").await.unwrap();
    b.client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(kelisim_tests::admin::PASSWORD)
        .await
        .unwrap();
    b.client.find(Locator::Css("[data-action=login]")).await.unwrap().click().await.unwrap();
    wait("span.who[data-role=admin]").await.expect("signed in");
    b.goto(&k.url("/admin/sites/webpulse/policy")).await;
    wait("form.policy textarea").await.expect("the policy page");
    // Edit the text area as a person would end up with it (typing 15 KB key by key is slow).
    b.js("var t = document.querySelector('form.policy textarea'); t.value = t.value.replace('ru = \"Обязательные\"', 'ru = \"Строго необходимые\"'); return true").await;
    b.client.find(Locator::Css("[data-action=check]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=valid]").await.expect("the check passes");
    b.client.find(Locator::Css("[data-action=publish]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=published]").await.expect("published");
    assert!(std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap().contains("Строго необходимые"));
    // The site's page: the real widget, its preferences showing the published title.
    b.goto(&k.url("/demo/webpulse/")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.click("[data-action=\"customize\"]").await;
    let dialog = b.widget("[data-kelisim=\"preferences\"]").await;
    let text = dialog.text().await.unwrap();
    assert!(text.contains("Строго необходимые"), "{text}");
    // The visitor decides; the owner changes the title again: the same page asks again.
    b.click("[data-action=\"accept-all\"]").await;
    b.widget("[data-action=\"reopen\"]").await;
    b.goto(&k.url("/admin/sites/webpulse/policy")).await;
    wait("form.policy textarea").await.expect("the policy page");
    b.js("var t = document.querySelector('form.policy textarea'); t.value = t.value.replace('ru = \"Строго необходимые\"', 'ru = \"Необходимые\"'); return true").await;
    b.client.find(Locator::Css("[data-action=publish]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=published]").await.expect("published again");
    // The visitor's browser once its copy of the loader (cached 5 minutes) has expired: a fresh
    // cache, the same `kelisim` cookie.
    let decision = b.cookie("kelisim").await.expect("the decision");
    b.close().await;
    let b = kelisim_tests::browser::Browser::start().await;
    b.goto(&k.url("/demo/assets/base.css")).await;
    b.js(&format!("document.cookie = 'kelisim={decision}; path=/'; return true")).await;
    b.goto(&k.url("/demo/webpulse/")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.close().await;
}
