//! The visitor's side in a real headless Chromium: the banner first in the focus order and
//! announced, a change of mind logged as a withdrawal and listed on the Withdrawals page, a
//! notice (not a question) on a site with nothing optional, embeds behind placeholders, a strict
//! Content-Security-Policy, single-page apps, a confirmation in the accessibility tree, focus
//! never under the banner, a third of a phone screen at most, and axe-core finding nothing in
//! `#kelisim` (kk, ru, en; desktop and phone; banner, dialog, notice).

use fantoccini::key::Key;
use kelisim_tests::browser::{eventually, Browser};
use kelisim_tests::pages::PageServer;
use kelisim_tests::{cli_stdin, example_site, get, post_form, Kelisim};
use serde_json::{json, Value};
use std::time::Duration;

/// A shop page: its own links before and after the gated parts, a footer link at the very
/// bottom (where the banner sits), an embed of each kind.
const PAGE: &str = r##"<!doctype html>
<html lang="LANG"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Дүкен</title>
<script NONCE>window.violations = []; document.addEventListener('securitypolicyviolation', function (e) { violations.push(e.violatedDirective + ' ' + e.blockedURI); });
window.ran = {};</script>
<style NONCE>body{margin:0} .tall{height:300px} .taller{height:900px}</style>
<script src="KELISIM/kelisim.js" data-site="example"NONCE></script>
</head><body>
<nav><a href="/a">Каталог</a> <a href="/b">Жеткізу</a> <a href="/c">Байланыс</a></nav>
<h1>Дүкен</h1>
<div class="tall">Мазмұн</div>
<iframe data-category="marketing" data-src="https://www.youtube.com/embed/abc" width="320" height="180" title="Жарнама бейнесі" id="video"></iframe>
<iframe data-category="analytics" data-src="/frame.html" width="300" height="150" id="map"></iframe>
<script type="text/plain" data-category="analytics"NONCE>ran.analytics = (ran.analytics || 0) + 1;</script>
<div class="taller">Көп мазмұн</div>
<footer><a href="/privacy" id="privacy">Құпиялылық саясаты</a> <a href="/terms" id="terms">Шарттар</a></footer>
</body></html>"##;

struct Site {
    k: Kelisim,
    pages: PageServer,
    _sites: tempfile::TempDir,
}

impl Site {
    fn start(edit: impl Fn(String) -> String) -> Site {
        let pages = PageServer::start(vec![("/frame.html", "<p>frame</p>".into())]);
        let sites = example_site(&pages.origin, edit);
        let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
        let s = Site { k, pages, _sites: sites };
        s.page("/", "kk", None);
        s
    }

    /// Serves PAGE at `path` in `lang`; with a nonce, under a strict CSP that needs it.
    fn page(&self, path: &str, lang: &str, nonce: Option<&str>) -> String {
        let attr = nonce.map(|n| format!(" nonce=\"{n}\"")).unwrap_or_default();
        self.pages.set(path, PAGE.replace("KELISIM", &self.k.base).replace("LANG", lang).replace("NONCE", &attr));
        if let Some(n) = nonce {
            self.pages.add_header(
                path,
                &format!("Content-Security-Policy: default-src 'self'; script-src 'nonce-{n}' 'wasm-unsafe-eval'; style-src 'nonce-{n}'; connect-src {}; frame-src 'self' https://www.youtube.com; img-src 'self'", self.k.base),
            );
        }
        format!("{}{path}", self.pages.origin)
    }

    fn events(&self) -> Vec<(String, String)> {
        let db = self.k.db();
        let mut st =
            db.prepare("SELECT action, granted FROM events_readable WHERE site = 'example' ORDER BY seq").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    }

    async fn wait_events(&self, n: usize) -> Vec<(String, String)> {
        eventually(&format!("{n} logged events"), || Some(self.events()).filter(|e| e.len() >= n)).await
    }
}

/// Only the required category: the example site cut before its second category.
fn notice_only(t: String) -> String {
    let cut = t.find("\n[[category]]\nid = \"analytics\"").expect("the example site's analytics category");
    t[..cut].to_owned()
}

async fn until(b: &Browser, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while b.js(script).await != json!(true) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ROOT: &str = "var r = document.getElementById('kelisim').shadowRoot;";

/// Waits for the preferences dialog's own styles (loaded the first time it opens).
async fn dialog_styled(b: &Browser) {
    until(
        b,
        &format!("{ROOT} var p = r.querySelector('.k-prefs'); return !!p && getComputedStyle(p).opacity == '1'"),
        "the dialog's styles",
    )
    .await;
}

#[tokio::test]
async fn the_banner_is_first_in_the_page_and_the_first_tab_lands_on_its_first_button() {
    let s = Site::start(|t| t);
    let b = Browser::start().await;
    b.goto(&s.pages.origin).await;
    b.widget("[data-kelisim=\"banner\"] [data-action=\"accept-all\"]").await;
    assert_eq!(
        b.js("return document.body.firstElementChild.id").await,
        json!("kelisim"),
        "inserted at the start of <body>"
    );
    assert_eq!(b.focused().await, "page", "nothing is focused for the visitor");
    b.press(Key::Tab.into()).await;
    assert_eq!(b.focused().await, "accept-all");
    // Announced: the status region says the banner's title (read by screen readers politely).
    until(&b, &format!("{ROOT} var s = r.querySelector('[role=status]'); return !!s && s.textContent == r.querySelector('#k-bt').textContent"), "the announcement").await;
    // A return visit steals no focus.
    b.press(Key::Enter.into()).await;
    s.wait_events(1).await;
    b.goto(&s.pages.origin).await;
    b.widget("[data-action=\"reopen\"]").await;
    assert_eq!(b.focused().await, "page", "no focus stealing on a return visit");
    b.close().await;
}

#[tokio::test]
async fn a_change_of_mind_is_a_withdrawal_and_the_withdrawals_page_lists_it() {
    let s = Site::start(|t| t.replace("retention_days = 1825", "retention_days = 1825\nreload_on_revoke = false"));
    let b = Browser::start().await;
    b.goto(&s.pages.origin).await;
    b.click("[data-action=\"accept-all\"]").await;
    s.wait_events(1).await;
    // Reopened: Save, Accept all, and Withdraw in Reject all's place, which looks different.
    b.click("[data-action=\"reopen\"]").await;
    b.widget("[data-kelisim=\"preferences\"] [data-action=\"withdraw\"]").await;
    assert!(!b.widget_has("[data-kelisim=\"preferences\"] [data-action=\"reject-all\"]").await);
    let looks = b
        .js(&format!(
            "{ROOT} var st = function (a) {{ var c = getComputedStyle(r.querySelector('[data-kelisim=preferences] [data-action=' + a + ']')); return c.color + '|' + c.backgroundColor + '|' + c.borderColor; }};
             return [st('save'), st('accept-all'), st('withdraw')];"
        ))
        .await;
    let looks: Vec<&str> = looks.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(looks[0] != looks[1] && looks[1] != looks[2] && looks[0] != looks[2], "three distinct looks: {looks:?}");
    // Unticking analytics and saving keeps marketing: a withdrawal, with what remains.
    b.click("input[data-category=\"analytics\"]").await;
    b.click("[data-action=\"save\"]").await;
    let e = s.wait_events(2).await;
    assert_eq!((e[1].0.as_str(), e[1].1.as_str()), ("withdraw", "necessary marketing"));
    // Adding a category back is no withdrawal; Reject all after it is one.
    b.js("kelisim.accept(['analytics', 'marketing'])").await;
    b.js("kelisim.rejectAll()").await;
    let e = s.wait_events(4).await;
    assert_eq!((e[2].0.as_str(), e[3].0.as_str(), e[3].1.as_str()), ("custom", "withdraw", "necessary"));
    // Nothing optional granted now: the reopened dialog offers Reject all, not Withdraw.
    b.click("[data-action=\"reopen\"]").await;
    b.widget("[data-kelisim=\"preferences\"] [data-action=\"reject-all\"]").await;
    assert!(!b.widget_has("[data-action=\"withdraw\"]").await);
    b.close().await;
    // The Withdrawals page (Art. 8 p.7's working days) lists both.
    let data = s.k.data.path().to_str().unwrap();
    let out = cli_stdin(
        &["admin", "add", "dpo", "--role", "admin", "--password-stdin", "--data", data],
        "correct horse battery staple\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r =
        post_form(&s.k.url("/admin/login"), &[], &[("username", "dpo"), ("password", "correct horse battery staple")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = format!("kelisim_admin={}", r.set_cookie("kelisim_admin").unwrap());
    let page = get(&s.k.url("/admin/sites/example/withdrawals"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<tr").count() - 1, 2, "two withdrawals listed:\n{}", page.body);
}

#[tokio::test]
async fn a_site_with_nothing_optional_shows_a_notice_and_logs_nothing() {
    let s = Site::start(notice_only);
    let b = Browser::start().await;
    b.goto(&s.page("/ru", "ru", None)).await;
    let notice = b.widget("[data-kelisim=\"notice\"]").await;
    let text = notice.text().await.unwrap();
    for a in ["accept-all", "reject-all", "customize"] {
        assert!(!b.widget_has(&format!("[data-action=\"{a}\"]")).await, "no {a} on a notice");
    }
    for word in ["аналитик", "реклам", "маркетинг"] {
        assert!(!text.to_lowercase().contains(word), "the notice mentions what the site does not have: {text}");
    }
    b.click("[data-kelisim=\"notice\"] [data-action=\"ok\"]").await;
    b.widget("[data-action=\"reopen\"]").await;
    assert!(b.cookie("kelisim").await.is_some(), "closing it is remembered");
    b.goto(&s.page("/ru", "ru", None)).await;
    b.widget("[data-action=\"reopen\"]").await;
    assert!(!b.widget_has("[data-kelisim=\"notice\"]").await, "not shown again");
    // The reopened dialog informs, with nothing to toggle and one button.
    b.click("[data-action=\"reopen\"]").await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    assert_eq!(
        b.js(&format!("{ROOT} return r.querySelectorAll('[data-kelisim=preferences] .k-actions button').length")).await,
        json!(1)
    );
    assert_eq!(
        b.js(&format!("{ROOT} return r.querySelectorAll('input[data-category]:not([disabled])').length")).await,
        json!(0)
    );
    assert!(!b.widget_has("[data-kelisim=\"receipt\"]").await, "nothing logged, so no receipt to link to");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.events().len(), 0, "nothing asked, nothing logged");
    b.close().await;
}

#[tokio::test]
async fn a_placeholder_loads_its_embed_after_allow_and_not_before() {
    let s = Site::start(|t| t);
    let b = Browser::start().await;
    b.goto(&s.page("/ru", "ru", None)).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    until(&b, "return document.querySelectorAll('[data-kelisim=placeholder]').length == 2", "two placeholders").await;
    let ph = b
        .js("var p = document.getElementById('video').previousElementSibling, r = p.getBoundingClientRect();
             return [p.getAttribute('data-kelisim'), p.textContent, Math.round(r.width), Math.round(r.height) >= 180, document.getElementById('video').hasAttribute('src'), document.getElementById('video').hidden]")
        .await;
    assert_eq!(ph[0], json!("placeholder"));
    let text = ph[1].as_str().unwrap();
    assert!(text.contains("Видео YouTube") && text.contains("«Реклама»"), "says what it is and the category: {text}");
    // 320 px and the iframe's default 2 px borders.
    assert_eq!(
        (&ph[2], &ph[3], &ph[4], &ph[5]),
        (&json!(324), &json!(true), &json!(false), &json!(true)),
        "its own box and size; not loaded"
    );
    // The other embed has no known service and no title: named generically.
    assert!(b
        .js("return document.getElementById('map').previousElementSibling.textContent")
        .await
        .as_str()
        .unwrap()
        .contains("Этот материал"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.js("return document.getElementById('video').hasAttribute('src')").await,
        json!(false),
        "still not loaded"
    );
    b.js("document.querySelector('#video').previousElementSibling.querySelector('[data-action=allow]').click()").await;
    until(
        &b,
        "return document.getElementById('video').getAttribute('src') == 'https://www.youtube.com/embed/abc'",
        "the embed to load",
    )
    .await;
    assert_eq!(b.js("return [document.getElementById('video').hidden, !!document.querySelector('#video').previousElementSibling && document.querySelector('#video').previousElementSibling.getAttribute('data-kelisim')]").await, json!([false, null]));
    let e = s.wait_events(1).await;
    assert_eq!(
        (e[0].0.as_str(), e[0].1.as_str()),
        ("custom", "necessary marketing"),
        "allow grants that category, logged"
    );
    assert_eq!(
        b.js("return document.getElementById('map').hasAttribute('src')").await,
        json!(false),
        "the other category still waits"
    );
    // Its link opens the preferences.
    b.js("document.querySelector('#map').previousElementSibling.querySelector('a').click()").await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    b.close().await;
}

#[tokio::test]
async fn under_a_strict_csp_the_banner_shows_styled_with_no_violation() {
    let s = Site::start(|t| t);
    let b = Browser::start().await;
    let url = s.page("/csp", "ru", Some("r4nd0m"));
    b.goto(&url).await;
    b.widget("[data-kelisim=\"banner\"] [data-action=\"accept-all\"]").await;
    // Styled: the shadow root's stylesheet was allowed (a fixed banner, not inline text).
    assert_eq!(
        b.js(&format!("{ROOT} return getComputedStyle(r.querySelector('.k-banner')).position")).await,
        json!("fixed")
    );
    // The dialog's styles, loaded when it first opens, are added to the same nonce'd sheet.
    b.click("[data-kelisim=\"banner\"] [data-action=\"customize\"]").await;
    until(&b, &format!("{ROOT} var p = r.querySelector('.k-prefs'); return !!p && getComputedStyle(p).opacity == '1' && getComputedStyle(r.querySelector('.k-cat')).borderTopStyle == 'solid'"), "the dialog styled").await;
    b.click("[data-kelisim=\"preferences\"] [data-action=\"close\"]").await;
    b.widget("[data-kelisim=\"banner\"] [data-action=\"accept-all\"]").await.click().await.unwrap();
    s.wait_events(1).await;
    until(&b, "return ran.analytics == 1", "the nonce'd gated script to run").await;
    assert_eq!(b.js("return violations").await, json!([]), "no CSP violation");
    b.close().await;
}

#[tokio::test]
async fn a_single_page_app_that_replaces_body_keeps_the_widget_and_the_gating() {
    let s = Site::start(|t| t.replace("retention_days = 1825", "retention_days = 1825\nreload_on_revoke = false"));
    let b = Browser::start().await;
    b.goto(&s.pages.origin).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    // A route change that replaces <body>, with a gated script and an embed in the new route.
    b.js("var nb = document.createElement('body'); nb.innerHTML = '<h1>Жаңа бет</h1><iframe data-category=\"marketing\" data-src=\"/frame.html\" id=\"late\"></iframe>';
          var sc = document.createElement('script'); sc.type = 'text/plain'; sc.dataset.category = 'analytics'; sc.textContent = 'ran.late = 1'; nb.appendChild(sc);
          document.documentElement.replaceChild(nb, document.body);").await;
    until(
        &b,
        "return document.body.firstElementChild && document.body.firstElementChild.id == 'kelisim'",
        "the widget back at the start of the new body",
    )
    .await;
    until(&b, "return !!document.querySelector('#late').previousElementSibling && document.querySelector('#late').previousElementSibling.getAttribute('data-kelisim') == 'placeholder'", "a placeholder for the new route's embed").await;
    assert_eq!(b.js("return ran.late || 0").await, json!(0));
    b.click("[data-action=\"accept-all\"]").await;
    until(
        &b,
        "return ran.late == 1 && document.getElementById('late').getAttribute('src') == '/frame.html'",
        "the new route's gated parts",
    )
    .await;
    b.js("kelisim.show()").await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.close().await;
}

#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.0, "params": self.1 }).to_string()))
    }
}

#[tokio::test]
async fn the_confirmation_is_in_the_accessibility_tree_and_goes_by_itself() {
    let s = Site::start(|t| t);
    let b = Browser::start().await;
    b.goto(&s.page("/ru", "ru", None)).await;
    b.click("[data-action=\"reject-all\"]").await;
    s.wait_events(1).await;
    let saved = kelisim_shared::strings::RU.saved;
    let mut found = false;
    for _ in 0..40 {
        let tree = b.client.issue_cmd(Cdp("Accessibility.getFullAXTree", json!({}))).await.unwrap();
        let nodes = tree["nodes"].as_array().cloned().unwrap_or_default();
        let status = nodes.iter().any(|n| n["role"]["value"] == "status" && n["ignored"] != json!(true));
        let said = nodes
            .iter()
            .any(|n| n["ignored"] != json!(true) && n["name"]["value"].as_str().is_some_and(|v| v.contains(saved)));
        if status && said {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "a status region saying «{saved}» in Chromium's accessibility tree");
    assert_eq!(
        b.focused().await,
        "reopen",
        "focus where the visitor was (the decision's button became the reopen button), not on the message"
    );
    until(&b, &format!("{ROOT} return r.querySelector('[role=status]').textContent == ''"), "the confirmation to go")
        .await;
    b.close().await;
}

#[tokio::test]
async fn with_the_banner_up_no_focused_element_of_the_page_is_covered() {
    let s = Site::start(|t| t);
    for phone in [false, true] {
        let b = if phone {
            Browser::start_narrow(390).await
        } else {
            Browser::start_with(&["--window-size=1366,768"]).await
        };
        b.goto(&s.pages.origin).await;
        b.widget("[data-kelisim=\"banner\"]").await;
        // Every focusable element of the page, in Tab order, past the banner's own.
        let mut seen = 0;
        for _ in 0..20 {
            b.press(Key::Tab.into()).await;
            // The widget moves a covered element up right after the browser's own scrolling to
            // it (a task later, or after a smooth scroll): it must be clear within a few seconds.
            let look = format!(
                "{ROOT} var a = document.activeElement; if (a.id == 'kelisim') return 'ours';
                 var br = r.querySelector('.k-banner').getBoundingClientRect(), e = a.getBoundingClientRect();
                 return (e.bottom <= br.top || e.top >= br.bottom || e.right <= br.left || e.left >= br.right) ? 'clear' : a.id + ' ' + a.textContent + ' ' + e.top + '-' + e.bottom + ' under ' + br.top;"
            );
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            let mut r = b.js(&look).await;
            while !matches!(r.as_str(), Some("ours" | "clear")) && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
                r = b.js(&look).await;
            }
            match r.as_str().unwrap() {
                "ours" => {}
                "clear" => seen += 1,
                other => panic!("focused element covered by the banner (phone: {phone}): {other}"),
            }
            if b.js("return document.activeElement.id == 'terms'").await == json!(true) {
                break;
            }
        }
        assert!(seen >= 5, "Tab went through the page's links ({seen})");
        assert_eq!(
            b.js("return document.activeElement.id").await,
            json!("terms"),
            "reached the last link of the footer"
        );
        b.close().await;
    }
}

#[tokio::test]
async fn on_a_phone_the_first_layer_takes_at_most_a_third_of_the_screen() {
    let s = Site::start(|t| t);
    // 390 CSS px wide; the banner's height does not depend on the viewport's (fixed, no vh),
    // so a third of an 844 px phone screen is the bound.
    let b = Browser::start_narrow(390).await;
    for lang in ["kk", "ru", "en"] {
        b.goto(&s.page(&format!("/{lang}"), lang, None)).await;
        b.widget(&format!("[data-kelisim=\"banner\"][lang=\"{lang}\"] [data-action=\"accept-all\"]")).await;
        let h = b
            .js(&format!("{ROOT} return r.querySelector('.k-banner').getBoundingClientRect().height"))
            .await
            .as_f64()
            .unwrap();
        assert!(h <= 844.0 / 3.0, "{lang}: the first layer is {h} px tall, more than a third of 844");
    }
    b.close().await;
}

/// axe-core (installed by `cargo xtask test`, path in AXE_JS) run on `#kelisim` only.
async fn axe(b: &Browser) -> Vec<String> {
    b.inject_axe().await;
    let r = b
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1];
             axe.run({ include: [['#kelisim']] }, { resultTypes: ['violations'] }).then(function (r) {
               done(r.violations.map(function (v) { return v.id + ': ' + v.help + ' — ' + v.nodes.map(function (n) { return n.target.join(' ') + ' ' + n.failureSummary; }).join(' | '); }));
             }, function (e) { done(['axe failed: ' + e]); });",
            vec![],
        )
        .await
        .unwrap();
    r.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn axe_finds_nothing_in_the_banner_the_dialog_and_the_notice() {
    let s = Site::start(|t| t);
    let notice = {
        let pages = PageServer::start(vec![]);
        let sites = example_site(&pages.origin, notice_only);
        let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
        (pages, sites, k)
    };
    let mut found = Vec::new();
    for phone in [false, true] {
        let b = if phone {
            Browser::start_narrow(390).await
        } else {
            Browser::start_with(&["--window-size=1366,768"]).await
        };
        for lang in ["kk", "ru", "en"] {
            let at = format!("{} {lang}", if phone { "390×844" } else { "1366×768" });
            b.goto(&s.page(&format!("/{lang}"), lang, None)).await;
            b.widget("[data-kelisim=\"banner\"] [data-action=\"customize\"]").await;
            found.extend(axe(&b).await.into_iter().map(|v| format!("{at} banner: {v}")));
            b.click("[data-action=\"customize\"]").await;
            b.widget("[data-kelisim=\"preferences\"] [data-action=\"save\"]").await;
            dialog_styled(&b).await;
            found.extend(axe(&b).await.into_iter().map(|v| format!("{at} dialog: {v}")));
            // The reopened dialog, with Withdraw.
            b.click("[data-kelisim=\"preferences\"] [data-action=\"accept-all\"]").await;
            b.click("[data-action=\"reopen\"]").await;
            b.widget("[data-kelisim=\"preferences\"] [data-action=\"withdraw\"]").await;
            dialog_styled(&b).await;
            found.extend(axe(&b).await.into_iter().map(|v| format!("{at} reopened dialog: {v}")));
            b.client.delete_all_cookies().await.unwrap();
            let (pages, _, k) = &notice;
            pages.set(&format!("/{lang}"), PAGE.replace("KELISIM", &k.base).replace("LANG", lang).replace("NONCE", ""));
            b.goto(&format!("{}/{lang}", pages.origin)).await;
            b.widget("[data-kelisim=\"notice\"] [data-action=\"ok\"]").await;
            found.extend(axe(&b).await.into_iter().map(|v| format!("{at} notice: {v}")));
            b.client.delete_all_cookies().await.unwrap();
        }
        b.close().await;
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

#[tokio::test]
async fn the_receipt_says_plainly_what_was_agreed_fits_a_phone_and_leads_back_to_the_site() {
    let s = Site::start(|t| t.replace("retention_days = 1825", "retention_days = 1825\nreload_on_revoke = false"));
    let b = Browser::start_narrow(390).await;
    b.goto(&s.pages.origin).await;
    b.click("[data-action=\"accept-all\"]").await;
    s.wait_events(1).await;
    // A change of mind that keeps marketing: a withdrawal of analytics.
    b.click("[data-action=\"reopen\"]").await;
    b.click("input[data-category=\"analytics\"]").await;
    b.click("[data-action=\"save\"]").await;
    s.wait_events(2).await;
    let (id, at): (String, String) =
        s.k.db()
            .query_row(
                "SELECT consent_id, recorded_at FROM events_readable WHERE site = 'example' ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
    // The local time (UTC+5) the page must show: the day of the month (the next one after 19:00
    // UTC) and hours:minutes.
    let (day, h, m): (u32, u32, u32) =
        (at[8..10].parse().unwrap(), at[11..13].parse().unwrap(), at[14..16].parse().unwrap());
    let local = format!("{:02}:{m:02}", (h + 5) % 24);
    let local_day = if h + 5 >= 24 { None } else { Some(day) };
    let cfg: Value = serde_json::from_str(&get(&s.k.url("/api/v1/sites/example/config"), &[]).body).unwrap();
    let title = |id: &str, lang: &str| {
        cfg["categories"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["title"][lang]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let origin = s.pages.origin.trim_end_matches('/').to_owned();
    for (lang, lead, allowed, withdrawn, zone) in [
        (
            "kk",
            "Сіз кейбір санаттарға берген келісіміңізді кері қайтарып алдыңыз.",
            "Рұқсат етілген",
            "Кері қайтарылған",
            "Астана уақыты, UTC+5",
        ),
        ("ru", "Вы отозвали согласие на часть категорий.", "Разрешено", "Отозвано", "время Астаны, UTC+5"),
        ("en", "You withdrew your consent for some categories.", "Allowed", "Withdrawn", "Astana time, UTC+5"),
    ] {
        b.goto(&format!("{}/receipt/example/{id}?lang={lang}", s.k.base)).await;
        let page = b.client.execute(
            "var sum = document.querySelector('main section'), d = document.querySelector('details.proof'), pairs = {};
             sum.querySelectorAll('dt').forEach(function (dt) { pairs[dt.textContent] = dt.nextElementSibling.textContent; });
             return { first: sum.className, lead: sum.querySelector('.lead').textContent, pairs: pairs,
                      folded: !!d && !d.open, idInProof: !!d && d.innerHTML.indexOf(arguments[0]) >= 0,
                      idOutside: document.querySelector('main').innerHTML.replace(d ? d.outerHTML : '', '').indexOf(arguments[0]) >= 0,
                      wide: document.documentElement.scrollWidth - window.innerWidth,
                      links: Array.from(sum.querySelectorAll('.links a')).map(function (a) { return a.getAttribute('href'); }) };",
            vec![json!(id)],
        ).await.unwrap();
        // The plain summary comes first: the sentence, what is allowed and what was taken back.
        assert_eq!(page["first"], json!("summary"), "{lang}");
        assert_eq!(page["lead"], json!(lead), "{lang}");
        let pairs = &page["pairs"];
        let allowed_now = pairs[allowed].as_str().unwrap_or_default();
        assert!(
            allowed_now.contains(&title("marketing", lang)) && !allowed_now.contains(&title("analytics", lang)),
            "{lang}: {pairs}"
        );
        assert_eq!(pairs[withdrawn], json!(title("analytics", lang)), "{lang}: {pairs}");
        // In local time, with the zone named.
        let when = pairs
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_str().unwrap())
            .find(|v| v.contains(zone))
            .unwrap_or_else(|| panic!("{lang}: no time with the zone: {pairs}"));
        assert!(when.contains(&local), "{lang}: {when} is not the local time {local}");
        // Past 19:00 UTC the local date is the next day (which may start a month): checked when
        // it is not, as the day of the month before the month's name.
        if let Some(d) = local_day {
            assert!(
                when.contains(&format!(" {d} ")) || when.starts_with(&format!("{d} ")),
                "{lang}: {when} is not on day {d}"
            );
        } else {
            assert!(
                !when.contains(&format!(" {day} ")) && !when.starts_with(&format!("{day} ")),
                "{lang}: {when} is still on the UTC day {day}"
            );
        }
        // The proof is folded below; the consent id is in it, not in the summary.
        assert_eq!(
            (page["folded"].clone(), page["idInProof"].clone(), page["idOutside"].clone()),
            (json!(true), json!(true), json!(false)),
            "{lang}"
        );
        // No sideways scrolling on a 390 px phone; the way back to the site.
        assert!(page["wide"].as_i64().unwrap() <= 0, "{lang}: {} px wider than the phone", page["wide"]);
        assert_eq!(page["links"], json!([format!("{origin}/#kelisim"), format!("{origin}/")]), "{lang}");
        std::fs::write(format!("/tmp/shot-receipt-{lang}.png"), b.client.screenshot().await.unwrap()).unwrap();
    }
    // "Change my choice" opens the preferences on the site.
    b.client.find(fantoccini::Locator::Css(".links .button")).await.unwrap().click().await.unwrap();
    b.widget("[data-kelisim=\"preferences\"]").await;
    dialog_styled(&b).await;
    b.close().await;
}

#[tokio::test]
#[ignore = "screenshots for looking at, not a test"]
async fn screenshots() {
    let s = Site::start(|t| t);
    let b = Browser::start_narrow(390).await;
    for lang in ["kk", "ru"] {
        b.goto(&s.page(&format!("/{lang}"), lang, None)).await;
        b.widget("[data-kelisim=\"banner\"] [data-action=\"accept-all\"]").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        std::fs::write(format!("/tmp/shot-phone-{lang}.png"), b.client.screenshot().await.unwrap()).unwrap();
        b.click("[data-action=\"accept-all\"]").await;
        b.click("[data-action=\"reopen\"]").await;
        b.widget("[data-kelisim=\"preferences\"] [data-action=\"withdraw\"]").await;
        dialog_styled(&b).await;
        b.js("var r = document.getElementById('kelisim').shadowRoot.querySelector('.k-body'); r.scrollTop = 1e5;")
            .await;
        std::fs::write(format!("/tmp/shot-phone-{lang}-prefs.png"), b.client.screenshot().await.unwrap()).unwrap();
        b.client.delete_all_cookies().await.unwrap();
    }
    b.close().await;
}
