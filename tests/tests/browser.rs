//! Real-browser end-to-end tests: the demo pages in headless Chromium against the real server
//! and its SQLite file (docs/architecture.md §1, issue "The spine").

use kelisim_shared::strings::{KK, RU};
use kelisim_tests::browser::{eventually, Browser};
use kelisim_tests::{get, Kelisim};
use serde_json::Value;

const SITE: &str = "webpulse";

fn config(k: &Kelisim) -> Value {
    get(&k.url(&format!("/api/v1/sites/{SITE}/config")), &[]).json()
}

fn ids(cfg: &Value, only_required: bool) -> Vec<String> {
    cfg["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !only_required || c["required"] == Value::Bool(true))
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The one logged event of the site, once the widget's POST has been committed.
async fn logged_event(k: &Kelisim) -> (String, String, String, String) {
    eventually("the decision to reach the SQLite log", || {
        k.db()
            .query_row(
                "SELECT action, granted, config_version, language FROM events_readable WHERE site = ?1 ORDER BY seq DESC LIMIT 1",
                [SITE],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .ok()
    })
    .await
}

#[tokio::test]
async fn banner_in_page_language_then_accept_all_is_logged_and_remembered() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let b = Browser::start().await;
    b.goto(&k.url(&format!("/demo/{SITE}/"))).await;
    let banner = b.widget("[data-kelisim=\"banner\"]").await;
    assert_eq!(banner.attr("role").await.unwrap().as_deref(), Some("region"));
    let title = b.widget("[data-kelisim=\"banner\"] h2").await.text().await.unwrap();
    assert_eq!(title, RU.banner_title, "the Russian page shows Russian texts");
    // Nothing gated ran before the decision.
    assert_eq!(b.js("return window.kelisimDemo && window.kelisimDemo.analytics || 0").await, Value::from(0));
    assert_eq!(b.cookie("kelisim").await, None);
    // Consent Mode default was pushed as a real gtag call (an Arguments object).
    let default = b
        .js("var e = window.dataLayer[0]; return [Object.prototype.toString.call(e), e[0], e[1], e[2].analytics_storage, e[2].security_storage]")
        .await;
    assert_eq!(default, serde_json::json!(["[object Arguments]", "consent", "default", "denied", "granted"]));

    b.click("[data-action=\"accept-all\"]").await;
    let cookie = b.cookie("kelisim").await.expect("the decision is stored in the kelisim cookie");
    let decision = kelisim_shared::cookie::Decision::decode(&cookie).expect("the cookie is in the shared format");
    assert_eq!(decision.granted, ids(&cfg, false));
    assert_eq!(decision.config_version, cfg["version"].as_str().unwrap());
    let (action, granted, version, language) = logged_event(&k).await;
    assert_eq!(action, "accept_all");
    assert_eq!(granted, ids(&cfg, false).join(" "));
    assert_eq!(version, cfg["version"].as_str().unwrap());
    assert_eq!(language, "ru");
    let consent_id: String = k.db().query_row("SELECT consent_id FROM events_readable", [], |r| r.get(0)).unwrap();
    assert_eq!(consent_id, decision.consent_id, "the log holds the browser's consent id");
    assert!(!b.widget_has("[data-kelisim=\"banner\"]").await, "the banner is gone after the decision");

    // Reload: the decision stands, no banner, the reopen button instead.
    b.goto(&k.url(&format!("/demo/{SITE}/"))).await;
    b.widget("[data-action=\"reopen\"]").await;
    assert!(!b.widget_has("[data-kelisim=\"banner\"]").await, "no banner on a return visit");
    assert_eq!(k.count_events(SITE), 1, "a return visit logs nothing");
    b.close().await;
}

#[tokio::test]
async fn reject_all_grants_only_the_required_category() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let b = Browser::start().await;
    b.goto(&k.url(&format!("/demo/{SITE}/"))).await;
    b.click("[data-action=\"reject-all\"]").await;
    let (action, granted, _, _) = logged_event(&k).await;
    assert_eq!(action, "reject_all");
    assert_eq!(granted, ids(&cfg, true).join(" "));
    let cookie = b.cookie("kelisim").await.unwrap();
    assert_eq!(kelisim_shared::cookie::Decision::decode(&cookie).unwrap().granted, ids(&cfg, true));
    b.close().await;
}

#[tokio::test]
async fn kazakh_page_shows_kazakh_texts() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let b = Browser::start().await;
    b.goto(&k.url(&format!("/demo/{SITE}/kk.html"))).await;
    let title = b.widget("[data-kelisim=\"banner\"] h2").await.text().await.unwrap();
    assert_eq!(title, KK.banner_title);
    let accept = b.widget("[data-action=\"accept-all\"]").await.text().await.unwrap();
    assert_eq!(accept, KK.accept_all);
    b.click("[data-action=\"customize\"]").await;
    let dialog = b.widget("[data-kelisim=\"preferences\"]").await;
    assert_eq!(dialog.attr("aria-modal").await.unwrap().as_deref(), Some("true"));
    let first_title = cfg["categories"][0]["title"]["kk"].as_str().unwrap();
    let shown = b.widget(".k-cat-title").await.text().await.unwrap();
    assert_eq!(shown, first_title, "category texts come from the site file, in Kazakh");
    b.close().await;
}
