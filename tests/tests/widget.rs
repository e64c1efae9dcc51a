//! The complete widget in a real headless Chromium (docs/architecture.md §1, issue "The widget,
//! complete"): gating, cookie deletion, withdrawal, Consent Mode, GPC, re-consent, keyboard, JS
//! API, failures, offline retry. A test page on its own origin embeds Kelisim from the real server;
//! the site is `shared/testdata/example.toml` (necessary, analytics with Yandex.Metrica
//! cookies `_ym_*`, marketing `_fbp`; analytics and marketing are `gpc_off`). The page and what
//! the tests read of it: `kelisim_tests::widget_page`; the first layer before the module runs:
//! `early_layer.rs`.

use fantoccini::key::Key;
use kelisim_tests::browser::Browser;
use kelisim_tests::widget_page::{cookies, eventually_js, kinds, ran, Site, DATALAYER};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn gated_scripts_do_not_run_before_consent_and_run_once_in_order_after_accept() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    assert_eq!(b.js("return window.pageWorks").await, json!(true));
    assert_eq!(b.js("return [ran.analytics || 0, ran.ext || 0, ran.marketing || 0]").await, json!([0, 0, 0]));
    assert_eq!(b.js("return [document.getElementById('frame').hasAttribute('src'), document.getElementById('pixel').hasAttribute('src')]").await, json!([false, false]));
    b.click("[data-action=\"accept-all\"]").await;
    eventually_js(&b, "return (ran.ext || 0) == 1", "the external gated script to run").await;
    assert_eq!(
        b.js("return order").await,
        json!(["analytics-inline", "analytics-src", "marketing-inline"]),
        "document order"
    );
    assert_eq!(b.js("return document.getElementById('frame').getAttribute('src')").await, json!("/frame.html"));
    assert_eq!(b.js("return document.getElementById('pixel').getAttribute('src')").await, json!("/pixel.svg"));
    // A second decision never runs a script twice.
    b.click("[data-action=\"reopen\"]").await;
    b.click("[data-kelisim=\"preferences\"] [data-action=\"accept-all\"]").await;
    s.wait_events(2).await;
    assert_eq!(b.js("return [ran.analytics, ran.ext, ran.marketing]").await, json!([1, 1, 1]));
    b.close().await;
}

#[tokio::test]
async fn gated_script_added_after_load_runs_only_when_granted() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    let add = |cat: &str, flag: &str| {
        format!("var e = document.createElement('script'); e.type = 'text/plain'; e.setAttribute('data-category', '{cat}'); e.text = 'ran.{flag} = (ran.{flag} || 0) + 1'; document.body.appendChild(e);")
    };
    // Added with an embed of the same category: once the embed's placeholder is there, the widget
    // has handled both (one batch of its MutationObserver), so the script has had its chance.
    let embed = "var f = document.createElement('iframe'); f.id = 'mark1'; f.setAttribute('data-category', 'analytics'); f.setAttribute('data-src', '/nothing'); document.body.appendChild(f);";
    b.js(&format!("{} {embed}", add("analytics", "late1"))).await;
    eventually_js(
        &b,
        "var p = document.getElementById('mark1').previousElementSibling; return !!p && p.getAttribute('data-kelisim') == 'placeholder'",
        "the late embed's placeholder",
    )
    .await;
    assert_eq!(ran(&b, "late1").await, 0, "nothing gated runs before a decision");
    b.js("kelisim.accept(['analytics'])").await;
    eventually_js(&b, "return ran.late1 == 1", "the late script to run once granted").await;
    // In one batch: once the granted one has run, the other was handled and stays off.
    b.js(&format!("{} {}", add("marketing", "late3"), add("analytics", "late2"))).await;
    eventually_js(&b, "return ran.late2 == 1", "a script added after the decision to run").await;
    assert_eq!(ran(&b, "late3").await, 0, "a category not granted stays off");
    b.close().await;
}

#[tokio::test]
async fn reject_deletes_an_analytics_cookie_set_earlier() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    // Set before the decision (e.g. by a tag that ignored consent), on two path variants.
    b.js("document.cookie = '_ym_uid=old; path=/'; document.cookie = '_ym_isad=1; path=/'; document.cookie = 'shop_cart=7; path=/';").await;
    assert!(cookies(&b).await.contains("_ym_uid=old"));
    b.click("[data-action=\"reject-all\"]").await;
    let c = cookies(&b).await;
    assert!(!c.contains("_ym_uid") && !c.contains("_ym_isad"), "analytics cookies are deleted: {c}");
    assert!(c.contains("shop_cart=7"), "undeclared cookies are left alone: {c}");
    assert!(c.contains("kelisim="), "the decision itself is kept: {c}");
    b.close().await;
}

#[tokio::test]
async fn withdrawal_deletes_cookies_reloads_once_and_logs_withdraw() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.click("[data-action=\"accept-all\"]").await;
    eventually_js(&b, "return document.cookie.indexOf('_ym_uid=123') >= 0", "the analytics script to set its cookie")
        .await;
    assert_eq!(b.js("return +sessionStorage.loads").await, json!(1));
    b.click("[data-action=\"reopen\"]").await;
    b.click("[data-action=\"withdraw\"]").await;
    eventually_js(&b, "return +sessionStorage.loads == 2", "the page to reload once").await;
    b.widget("[data-action=\"reopen\"]").await;
    let events = s.wait_events(2).await;
    assert_eq!((events[1].0.as_str(), events[1].1.as_str()), ("withdraw", "necessary"));
    assert_eq!(events[0].3, events[1].3, "withdrawal keeps the visitor's consent id");
    assert!(!cookies(&b).await.contains("_ym_"), "analytics cookies are gone after withdrawal");
    assert_eq!(ran(&b, "analytics").await, 0, "nothing of the withdrawn category runs after the reload");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(b.js("return +sessionStorage.loads").await, json!(2), "exactly one reload");
    b.close().await;
}

#[tokio::test]
async fn consent_mode_default_comes_before_gtm_with_one_update_per_decision() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    assert_eq!(kinds(&b.js(DATALAYER).await), ["args:consent:default", "event:gtm.js"]);
    let default = b.js("var d = dataLayer[0][2]; return [d.ad_storage, d.ad_user_data, d.ad_personalization, d.analytics_storage, d.functionality_storage, d.personalization_storage, d.security_storage, d.wait_for_update]").await;
    assert_eq!(default, json!(["denied", "denied", "denied", "denied", "denied", "denied", "granted", 500]));
    b.click("[data-action=\"customize\"]").await;
    b.click("input[data-category=\"analytics\"]").await;
    b.click("[data-action=\"save\"]").await;
    assert_eq!(
        kinds(&b.js(DATALAYER).await),
        ["args:consent:default", "event:gtm.js", "args:consent:update:granted:denied"],
        "exactly one update, with all seven types"
    );
    assert_eq!(b.js("return Object.keys(dataLayer[2][2]).length").await, json!(7));
    // Return visit: the loader pushes default and update synchronously, before gtm.js.
    b.goto(&s.url("")).await;
    b.widget("[data-action=\"reopen\"]").await;
    assert_eq!(
        kinds(&b.js(DATALAYER).await),
        ["args:consent:default", "args:consent:update:granted:denied", "event:gtm.js"]
    );
    b.close().await;
}

#[tokio::test]
async fn gpc_keeps_gpc_off_categories_off_on_accept_all_and_is_recorded() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("?gpc")).await;
    b.click("[data-action=\"customize\"]").await;
    b.widget("[data-kelisim=\"gpc\"]").await;
    b.click("[data-kelisim=\"preferences\"] [data-action=\"accept-all\"]").await;
    let e = s.wait_events(1).await;
    assert_eq!((e[0].0.as_str(), e[0].1.as_str(), e[0].2), ("accept_all", "necessary", true));
    assert_eq!(ran(&b, "analytics").await, 0);
    // Turned on explicitly, the category is granted despite the signal.
    b.click("[data-action=\"reopen\"]").await;
    b.click("input[data-category=\"analytics\"]").await;
    b.click("[data-action=\"save\"]").await;
    let e = s.wait_events(2).await;
    assert_eq!((e[1].0.as_str(), e[1].1.as_str()), ("custom", "necessary analytics"));
    b.close().await;
}

/// The loader checks the `kelisim` cookie against its format once, and the module trusts that
/// check (widget/loader.js, `Decision::read_checked`): a cookie changed in the page (by a
/// script, an extension, or by hand) grants nothing and keeps no consent id, whichever part of
/// it is wrong.
#[tokio::test]
async fn a_tampered_decision_cookie_grants_nothing_and_is_not_the_visitors_consent_id() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.click("[data-action=\"accept-all\"]").await;
    let first = s.wait_events(1).await[0].3.clone();
    let good = cookies(&b).await;
    let good = good.split("; ").find_map(|c| c.strip_prefix("kelisim=")).expect("the decision cookie").to_owned();
    // The same value, as written, stands: nothing is asked again, everything granted runs.
    b.goto(&s.url("")).await;
    b.widget("[data-action=\"reopen\"]").await;
    assert_eq!(ran(&b, "analytics").await, 1);
    let fields: Vec<&str> = good.split('.').collect();
    assert_eq!(fields.len(), 7, "{good}");
    let with = |i: usize, v: &str| {
        let mut f = fields.clone();
        f[i] = v;
        f.join(".")
    };
    let tampered = [
        with(0, "2"),
        with(1, &fields[1].to_uppercase()),
        with(1, &fields[1][..35]),
        with(2, "17x"),
        with(3, &fields[3][1..]),
        with(4, "DEADBEEF"),
        with(5, "255"),
        with(6, "necessary+Analytics+marketing"),
        with(6, "necessary++marketing"),
        format!("{good}.extra"),
    ];
    for value in tampered {
        b.js(&format!("document.cookie = 'kelisim={value}; path=/'; return true")).await;
        b.goto(&s.url("")).await;
        b.widget("[data-kelisim=\"banner\"]").await;
        assert_eq!(
            b.js("return [ran.analytics || 0, ran.ext || 0, ran.marketing || 0]").await,
            json!([0, 0, 0]),
            "{value}"
        );
        assert_eq!(kinds(&b.js(DATALAYER).await), ["args:consent:default", "event:gtm.js"], "no update: {value}");
    }
    // Decided again: a new data subject, not the consent id of a cookie that was not checked.
    b.click("[data-action=\"reject-all\"]").await;
    let e = s.wait_events(2).await;
    assert_ne!(e[1].3, first, "the tampered cookie's consent id is not reused");
    b.close().await;
}

#[tokio::test]
async fn a_changed_category_brings_the_banner_back_but_other_changes_do_not() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.click("[data-action=\"accept-all\"]").await;
    s.wait_events(1).await;
    let Site { k, pages, sites } = s;
    // A new label of the policy text: a new config version, same consent scope (the categories
    // are as they were): the decision stands.
    let text = std::fs::read_to_string(sites.path().join("example.toml")).unwrap();
    std::fs::write(
        sites.path().join("example.toml"),
        text.replacen("policy_version = \"", "policy_version = \"v2 ", 1),
    )
    .unwrap();
    let k = k.restart(sites.path(), &[]);
    let s = Site { k, pages, sites };
    s.set_page("?v=2");
    b.goto(&s.url("")).await;
    b.widget("[data-action=\"reopen\"]").await;
    assert!(!b.widget_has("[data-kelisim=\"banner\"]").await);
    // A new category: the stored decision no longer covers what the site asks.
    let text = std::fs::read_to_string(s.sites.path().join("example.toml")).unwrap();
    let video = "\n[[category]]\nid = \"video\"\ntitle = { kk = \"Бейне\", ru = \"Видео\", en = \"Video\" }\ndescription = { kk = \"Бейне ойнатқыш.\", ru = \"Видеоплеер.\", en = \"Video player.\" }\ndata = { kk = [\"IP мекенжайы\"], ru = [\"IP-адрес\"], en = [\"IP address\"] }\npurposes = { kk = [\"бейне көрсету\"], ru = [\"показ видео\"], en = [\"showing videos\"] }\nretention = { kk = \"1 жыл\", ru = \"1 год\", en = \"1 year\" }\n";
    std::fs::write(s.sites.path().join("example.toml"), format!("{text}{video}")).unwrap();
    let Site { k, pages, sites } = s;
    let k = k.restart(sites.path(), &[]);
    let s = Site { k, pages, sites };
    s.set_page("?v=3");
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.click("[data-action=\"reject-all\"]").await;
    let e = s.wait_events(2).await;
    assert_eq!(e[0].3, e[1].3, "the consent id is kept across re-consent");
    b.close().await;
}

#[tokio::test]
async fn keyboard_alone_can_accept_reject_customize_toggle_and_save() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    // The banner is first in the page: the first Tab lands on its first button.
    assert_eq!(b.focused().await, "page");
    b.press(Key::Tab.into()).await;
    assert_eq!(b.focused().await, "accept-all", "the first Tab from the top of the page");
    b.press(Key::Tab.into()).await;
    assert_eq!(b.focused().await, "reject-all");
    b.press(Key::Tab.into()).await;
    assert_eq!(b.focused().await, "customize");
    b.press(Key::Enter.into()).await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    assert!(b.focus_in_dialog().await, "focus moves into the dialog");
    // Focus is trapped: however far one tabs, it stays inside the dialog.
    for _ in 0..40 {
        b.press(Key::Tab.into()).await;
        assert!(b.focus_in_dialog().await, "focus left the modal dialog");
    }
    // Esc closes and returns focus to Customize.
    b.press(Key::Escape.into()).await;
    assert!(!b.widget_has("[data-kelisim=\"preferences\"]").await);
    assert_eq!(b.focused().await, "customize");
    b.press(' ').await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    let mut n = 0;
    while b.focused().await != "toggle:marketing" {
        b.press(Key::Tab.into()).await;
        n += 1;
        assert!(n < 40, "Tab never reached the marketing toggle");
    }
    b.press(' ').await;
    while b.focused().await != "save" {
        b.press(Key::Tab.into()).await;
        n += 1;
        assert!(n < 120, "Tab never reached Save");
    }
    b.press(Key::Enter.into()).await;
    let e = s.wait_events(1).await;
    assert_eq!((e[0].0.as_str(), e[0].1.as_str()), ("custom", "necessary marketing"));
    assert_eq!(b.focused().await, "reopen", "focus lands on the reopen button");
    // Reopen with Enter: with marketing granted, Withdraw stands where Reject all was; Enter.
    b.press(Key::Enter.into()).await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    assert!(!b.widget_has("[data-kelisim=\"preferences\"] [data-action=\"reject-all\"]").await);
    let mut n = 0;
    while b.focused().await != "withdraw" {
        b.press(Key::Tab.into()).await;
        n += 1;
        assert!(n < 120, "Tab never reached Withdraw");
    }
    b.press(Key::Enter.into()).await;
    let e = s.wait_events(2).await;
    assert_eq!((e[1].0.as_str(), e[1].1.as_str()), ("withdraw", "necessary"));
    b.close().await;
}

#[tokio::test]
async fn js_api_methods_and_events_behave() {
    // No reload on revoke (the site's switch), so one page sees every event.
    let s = Site::start_with(|t| t.replace("retention_days = 1825", "retention_days = 1825\nreload_on_revoke = false"));
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    assert_eq!(b.js("return kelisim.get()").await, Value::Null);
    b.js("window.seen = []; kelisim.on('consent', function (d) { seen.push('consent:' + d.granted.join('+')); }); kelisim.on('change', function (d) { seen.push('change'); });").await;
    b.js("kelisim.accept(['analytics'])").await;
    let got = b.js("var g = kelisim.get(); return [g.granted, typeof g.consentId, g.configVersion.length, g.decidedAt instanceof Date]").await;
    assert_eq!(got, json!([["necessary", "analytics"], "string", 64, true]));
    b.js("kelisim.accept(['analytics'])").await;
    b.js("kelisim.rejectAll()").await;
    b.js("kelisim.acceptAll()").await;
    assert_eq!(
        b.js("return seen").await,
        json!([
            "consent:necessary+analytics",
            "change",
            "consent:necessary+analytics",
            "consent:necessary",
            "change",
            "consent:necessary+analytics+marketing",
            "change"
        ])
    );
    b.js("kelisim.withdraw()").await;
    let e = s.wait_events(5).await;
    let actions: Vec<&str> = e.iter().map(|x| x.0.as_str()).collect();
    // Reject all after analytics was granted, and Withdraw: both turn something off, both withdrawals.
    assert_eq!(actions, ["custom", "custom", "withdraw", "accept_all", "withdraw"]);
    assert_eq!(b.js("return ran.analytics").await, json!(1), "no reload happened: the site turned it off");
    b.js("kelisim.show()").await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.js("kelisim.hide()").await;
    assert!(!b.widget_has("[data-kelisim=\"banner\"]").await);
    b.js("document.getElementById('cookie-button').click()").await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    b.press(Key::Escape.into()).await;
    b.js("document.getElementById('cookie-link').click()").await;
    b.widget("[data-kelisim=\"preferences\"]").await;
    b.close().await;
}

#[tokio::test]
async fn unreachable_config_or_widget_leaves_gated_scripts_off_and_warns() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("?noconfig")).await;
    eventually_js(
        &b,
        "return warnings.some(function (w) { return w.indexOf('Kelisim') == 0 && w.indexOf('config') > 0; })",
        "a console warning",
    )
    .await;
    assert_eq!(
        b.js("return [window.pageWorks, ran.analytics || 0, ran.marketing || 0, warnings.length]").await,
        json!([true, 0, 0, 1])
    );
    assert!(!b.widget_has("[data-kelisim=\"banner\"]").await);
    b.goto(&s.url("dead-api.html")).await;
    eventually_js(&b, "return warnings.some(function (w) { return w.indexOf('Kelisim') == 0; })", "a console warning")
        .await;
    assert_eq!(b.js("return [window.pageWorks, ran.analytics || 0, warnings.length]").await, json!([true, 0, 1]));
    b.close().await;
}

#[tokio::test]
async fn a_decision_made_offline_is_sent_later_once() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("?offline")).await;
    b.click("[data-action=\"accept-all\"]").await;
    eventually_js(&b, "return warnings.length > 0", "the offline warning").await;
    assert_eq!(ran(&b, "analytics").await, 1, "the decision applies at once, offline too");
    assert!(s.events().is_empty());
    b.goto(&s.url("")).await;
    let e = s.wait_events(1).await;
    assert_eq!(e[0].0, "accept_all");
    b.goto(&s.url("")).await;
    b.widget("[data-action=\"reopen\"]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.events().len(), 1, "sent once");
    assert_eq!(b.js("return localStorage.getItem('kelisim:pending:example')").await, Value::Null);
    b.close().await;
}

#[tokio::test]
async fn after_a_failed_request_the_next_decision_sends_both_in_their_order() {
    // No reload on revoke (the site's switch): the page stays, as in a single-page app.
    let s = Site::start_with(|t| t.replace("retention_days = 1825", "retention_days = 1825\nreload_on_revoke = false"));
    let b = Browser::start().await;
    b.goto(&s.url("?flaky")).await;
    b.click("[data-action=\"accept-all\"]").await;
    eventually_js(&b, "return warnings.length > 0", "the warning for the failed request").await;
    assert!(s.events().is_empty());
    // A change of mind on the same page: the waiting decision goes first, then this one.
    b.js("kelisim.rejectAll()").await;
    let e = s.wait_events(2).await;
    assert_eq!((e[0].0.as_str(), e[1].0.as_str(), e[1].1.as_str()), ("accept_all", "withdraw", "necessary"));
    eventually_js(&b, "return localStorage.getItem('kelisim:pending:example') === null", "nothing left waiting").await;
    b.close().await;
}

/// WCAG relative-luminance contrast of the rendered colours, computed in the page.
const CONTRAST: &str = "
  function rgb(c) { return c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number); }
  function lum(c) { return rgb(c).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce(function (a, v, i) { return a + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
  function ratio(fg, bg) { var a = lum(fg), b = lum(bg); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }
  var root = document.getElementById('kelisim').shadowRoot;
  var banner = root.querySelector('[data-kelisim=\"banner\"]'), out = [];
  var bg = getComputedStyle(banner).backgroundColor;
  out.push(ratio(getComputedStyle(root.querySelector('.k-text')).color, bg));
  out.push(ratio(getComputedStyle(root.querySelector('.k-title')).color, bg));
  root.querySelectorAll('.k-btn').forEach(function (b) { var s = getComputedStyle(b); out.push(ratio(s.color, s.backgroundColor)); });
  return out;";

/// The page's layout shifts so far (`buffered`), or none after 300 ms: their sum, and each
/// moved node with its rectangle before and after.
const LAYOUT_SHIFT: &str = "
  function rect(r) { return [r.x, r.y, r.width, r.height].map(Math.round).join(','); }
  function what(s) { var n = s.node; return (n ? n.nodeName + (n.id ? '#' + n.id : '') + (n.className ? '.' + n.className : '') : '?') + ' ' + rect(s.previousRect) + ' -> ' + rect(s.currentRect); }
  return new Promise(function (done) {
    new PerformanceObserver(function (l) {
      var es = l.getEntries();
      done({ sum: es.reduce(function (a, e) { return a + e.value; }, 0),
        moved: es.map(function (e) { return e.value + ' at ' + Math.round(e.startTime) + ' ms: ' + e.sources.map(what).join('; '); }).join(' | ') });
    }).observe({ type: 'layout-shift', buffered: true });
    setTimeout(function () { done({ sum: 0, moved: '' }); }, 300);
  });";

#[tokio::test]
async fn banner_is_readable_at_320px_with_sufficient_contrast_and_no_layout_shift() {
    let s = Site::start();
    let b = Browser::start_narrow(320).await;
    b.goto(&s.url("")).await;
    let banner = b.widget("[data-kelisim=\"banner\"]").await;
    assert_eq!(b.js("return window.innerWidth").await, json!(320), "the viewport really is 320 px wide");
    let (x, _, w, _) = banner.rectangle().await.unwrap();
    assert!(x >= 0.0 && x + w <= 320.0, "the banner fits in 320 px: x={x} w={w}");
    assert_eq!(
        b.js("return document.documentElement.scrollWidth <= window.innerWidth").await,
        json!(true),
        "no horizontal scrolling"
    );
    for action in ["accept-all", "reject-all", "customize"] {
        let (bx, _, bw, bh) = b.widget(&format!("[data-action=\"{action}\"]")).await.rectangle().await.unwrap();
        assert!(bx >= 0.0 && bx + bw <= 320.0 && bh >= 44.0, "{action} is whole and at least 44 px tall");
    }
    for r in b.js(CONTRAST).await.as_array().unwrap() {
        assert!(r.as_f64().unwrap() >= 4.5, "contrast {r} is below 4.5:1");
    }
    // The banner is a fixed overlay: it never moves the page's content.
    assert_eq!(b.js("return getComputedStyle(document.getElementById('kelisim').shadowRoot.querySelector('.k-banner')).position").await, json!("fixed"));
    // The sum of the shifts, and what moved (for the message when something did).
    let shift = b.js(LAYOUT_SHIFT).await;
    assert_eq!(shift["sum"], json!(0), "cumulative layout shift; what moved: {}", shift["moved"]);
    b.close().await;
}

#[tokio::test]
async fn the_visitor_can_open_their_own_receipt() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    b.click("[data-action=\"accept-all\"]").await;
    let e = s.wait_events(1).await;
    b.click("[data-action=\"reopen\"]").await;
    let href = b.widget("[data-kelisim=\"receipt\"]").await.attr("href").await.unwrap().unwrap();
    assert_eq!(
        href,
        format!("{}/receipt/example/{}?lang=ru", s.k.base, e[0].3),
        "the receipt of this visitor, in the page's language"
    );
    b.goto(&href).await;
    let text = b.js("return document.body.textContent").await.as_str().unwrap().to_owned();
    assert!(text.contains(&e[0].3), "the receipt page shows the consent id");
    assert_eq!(b.js("return document.documentElement.lang").await, json!("ru"));
    b.close().await;
}

#[tokio::test]
async fn switching_language_in_the_preferences_loads_its_texts_and_keeps_the_toggles() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&s.url("")).await;
    // The first visit loads only the page's language (ru); Kazakh comes when asked for.
    b.click("[data-kelisim=\"banner\"] [data-action=\"customize\"]").await;
    b.widget("[data-kelisim=\"preferences\"][lang=\"ru\"]").await;
    b.click("input[data-category=\"marketing\"]").await;
    b.click("[data-action=\"lang\"][data-lang=\"kk\"]").await;
    let prefs = b.widget("[data-kelisim=\"preferences\"][lang=\"kk\"]").await;
    let text = prefs.text().await.unwrap();
    assert!(text.contains(kelisim_shared::strings::KK.preferences_title), "{text}");
    let on = "var r = document.getElementById('kelisim').shadowRoot;
              return [r.querySelector('input[data-category=\"marketing\"]').checked, r.querySelector('input[data-category=\"analytics\"]').checked,
                      r.activeElement && r.activeElement.getAttribute('data-lang')]";
    assert_eq!(
        b.js(on).await,
        json!([true, false, "kk"]),
        "the visitor's toggle is kept and focus stays on the language button"
    );
    b.click("[data-action=\"save\"]").await;
    let e = s.wait_events(1).await;
    assert_eq!((e[0].0.as_str(), e[0].1.as_str()), ("custom", "necessary marketing"));
    let lang: String =
        s.k.db().query_row("SELECT language FROM events_readable WHERE site = 'example'", [], |r| r.get(0)).unwrap();
    assert_eq!(lang, "kk", "the decision is logged in the language the visitor read");
    b.close().await;
}
