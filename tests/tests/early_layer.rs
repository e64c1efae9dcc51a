//! The widget's first layer before its module runs (docs/architecture.md §1, "Host script"): on
//! a first visit the host shows the server's first layer as soon as the config arrives, while
//! the module is still downloading; clicks and `window.kelisim` calls made meanwhile wait for it
//! and are carried out in order, the module takes the layer over without moving the visitor's
//! focus, and a module that cannot load takes the layer away. The module's download is held
//! back (or failed) in the page's own fetch, in a real headless Chromium.

use kelisim_tests::browser::Browser;
use kelisim_tests::widget_page::{cookies, eventually_js, kinds, ran, Site, DATALAYER, PAGE};
use serde_json::{json, Value};

/// The test page, with the module's download held back `ms` milliseconds (and failing after
/// it with `fail`), in the page's own fetch as a slow or broken network would.
fn slow_module_page(s: &Site, path: &str, ms: u32, fail: bool) -> String {
    let slow = format!(
        "window.fetch = function (url) {{
    if (/\\.wasm$/.test(String(url))) return new Promise(function (ok) {{ setTimeout(ok, {ms}); }}).then(function () {{
      window.moduleArrived = true;
      return {fail} ? Promise.reject(new TypeError('Failed to fetch')) : fetch0.call(window, url); }});"
    );
    let html = PAGE.replace("KELISIM", &s.k.base).replace("BUST", "").replace("DATA_API", "").replacen(
        "window.fetch = function (url) {",
        &slow,
        1,
    );
    assert!(html.contains("moduleArrived"));
    s.pages.set(path, html);
    s.url(path.trim_start_matches('/'))
}

#[tokio::test]
async fn the_first_layer_shows_before_the_module_and_a_click_on_it_waits_for_the_module() {
    // No reload on revoke (the site's switch): the page stays to be looked at.
    let s = Site::start_with(|t| t.replace("retention_days = 1825", "retention_days = 1825\nreload_on_revoke = false"));
    let b = Browser::start().await;
    b.goto(&slow_module_page(&s, "/slow.html", 2500, false)).await;
    // The server's first layer, shown as soon as its markup arrived, the module still on its way.
    let banner = b.widget("[data-kelisim=\"banner\"]").await;
    assert_eq!(banner.attr("role").await.unwrap().as_deref(), Some("region"));
    assert_eq!(b.js("return !!window.moduleArrived").await, json!(false), "the banner came before the module");
    assert!(!b.widget_has("[data-action]").await, "its buttons are not the module's yet");
    assert_eq!(b.js("return kelisim.get()").await, Value::Null);
    b.click("[data-kelisim=\"banner\"] [data-early=\"accept-all\"]").await;
    b.js("kelisim.rejectAll()").await;
    // Nothing is decided, stored or run without the module.
    assert_eq!(b.js("return !!window.moduleArrived").await, json!(false));
    assert!(!cookies(&b).await.contains("kelisim="));
    assert_eq!(b.js("return [ran.analytics || 0, ran.marketing || 0, dataLayer.length]").await, json!([0, 0, 2]));
    // Once it runs, the click and the call are carried out in their order.
    let e = s.wait_events(2).await;
    assert_eq!((e[0].0.as_str(), e[0].1.as_str()), ("accept_all", "necessary analytics marketing"));
    // Reject all after Accept all turns categories off: a withdrawal.
    assert_eq!((e[1].0.as_str(), e[1].1.as_str()), ("withdraw", "necessary"));
    assert!(cookies(&b).await.contains("kelisim="));
    assert_eq!(ran(&b, "analytics").await, 1, "the accepted scripts ran once the module was there");
    let dl = kinds(&b.js(DATALAYER).await);
    assert_eq!(
        (dl.len(), &dl[..2]),
        (4, &["args:consent:default".to_owned(), "event:gtm.js".to_owned()][..]),
        "{dl:?}"
    );
    assert!(dl[2..].iter().all(|k| k.starts_with("args:consent:update:")), "one update per decision: {dl:?}");
    b.close().await;
}

#[tokio::test]
async fn the_module_taking_over_the_early_first_layer_keeps_the_visitors_focus() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&slow_module_page(&s, "/slow.html", 1500, false)).await;
    b.widget("[data-kelisim=\"banner\"] [data-early=\"reject-all\"]").await;
    b.js("document.getElementById('kelisim').shadowRoot.querySelector('[data-early=\"reject-all\"]').focus()").await;
    // Taken over by the module: the same buttons, now with their actions, focus where it was.
    b.widget("[data-kelisim=\"banner\"] [data-action=\"reject-all\"]").await;
    assert_eq!(b.focused().await, "reject-all");
    b.press(fantoccini::key::Key::Enter.into()).await;
    let e = s.wait_events(1).await;
    assert_eq!(e[0].0, "reject_all");
    b.close().await;
}

#[tokio::test]
async fn a_module_that_cannot_load_takes_the_early_first_layer_away_and_warns() {
    let s = Site::start();
    let b = Browser::start().await;
    b.goto(&slow_module_page(&s, "/broken.html", 1000, true)).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    eventually_js(&b, "return warnings.some(function (w) { return w.indexOf('Kelisim') == 0; })", "a console warning")
        .await;
    assert_eq!(b.js("return [!!document.getElementById('kelisim'), window.pageWorks, ran.analytics || 0, ran.marketing || 0, warnings.length]").await, json!([false, true, 0, 0, 1]));
    assert!(!cookies(&b).await.contains("kelisim="));
    b.close().await;
}
