//! The live preview beside the policy editor (issue 18): the real widget renders the draft in
//! a sandboxed frame, follows the owner's typing, switches language, layer and width, shows a
//! broken draft's problems, and never logs a decision or sets a cookie.
//! `KELISIM_SCREENSHOTS=DIR` keeps screenshots of what it saw.

use fantoccini::Locator;
use kelisim_tests::admin::{add_account, PASSWORD};
use kelisim_tests::browser::Browser;
use kelisim_tests::{demo_sites_copy, Kelisim};
use std::time::{Duration, Instant};

async fn shoot(b: &Browser, name: &str) {
    if let Ok(dir) = std::env::var("KELISIM_SCREENSHOTS") {
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

pub async fn sign_in(b: &Browser, k: &Kelisim, user: &str) {
    b.goto(&k.url("/admin/login")).await;
    b.client.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
    b.client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    b.client.find(Locator::Css("[data-action=login]")).await.unwrap().click().await.unwrap();
    b.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("span.who")).await.expect("signed in");
}

/// The text of the widget's shadow root in the preview frame, once `css` shows there and its
/// text holds `want` (the frame reloads with each draft posted into it).
async fn frame_shows(b: &Browser, css: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        b.client.enter_parent_frame().await.unwrap();
        b.client.enter_frame(0).await.unwrap();
        let got = b
            .client
            .execute(
                "var h = document.getElementById('kelisim'), e = h && h.shadowRoot.querySelector(arguments[0]); return e ? e.textContent : document.body.textContent",
                vec![css.into()],
            )
            .await
            .unwrap_or_default();
        let text = got.as_str().unwrap_or("").to_owned();
        if text.contains(want) {
            b.client.enter_parent_frame().await.unwrap();
            return text;
        }
        assert!(Instant::now() < deadline, "the preview never showed `{want}` in {css}: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sets an editor field as typing would end up (and fires `input`, as typing does).
async fn set(b: &Browser, css: &str, js_value: &str) {
    b.js(&format!(
        "var e = document.querySelector('{css}'); e.value = {js_value}; e.dispatchEvent(new Event('input', {{bubbles: true}})); return true"
    ))
    .await;
}

#[tokio::test]
async fn the_preview_is_the_real_widget_on_the_draft_and_logs_nothing() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();
    add_account(&k, "olga", "admin");
    let b = Browser::start_with(&["--window-size=1400,1000"]).await;
    sign_in(&b, &k, "olga").await;
    b.goto(&k.url("/admin/lang?to=ru")).await;
    b.goto(&k.url("/admin/sites/webpulse/policy")).await;

    // The published version first: webpulse's default language is Russian.
    frame_shows(&b, "[data-kelisim=banner]", "Принять все").await;
    shoot(&b, "preview-ru").await;

    // Typing in the editor: the draft shows, without a click (preview.js presses Preview).
    set(&b, "form.policy textarea", "document.querySelector('form.policy textarea').value.replace('ru = \"Обязательные\"', 'ru = \"Строго необходимые\"')").await;
    set(&b, "select[name=layer]", "'preferences'").await;
    frame_shows(&b, "[data-kelisim=preferences]", "Строго необходимые").await;
    assert!(
        !kelisim_tests::get(&k.url("/api/v1/sites/webpulse/config"), &[]).body.contains("Строго необходимые"),
        "a preview publishes nothing"
    );
    shoot(&b, "preview-ru-preferences").await;

    // Another language, and the first layer again.
    set(&b, "select[name=lang]", "'kk'").await;
    set(&b, "select[name=layer]", "'banner'").await;
    frame_shows(&b, "[data-kelisim=banner]", "Барлығын қабылдау").await;

    // A decision in the frame stays there: nothing logged, no cookie on the dashboard.
    b.client.enter_frame(0).await.unwrap();
    b.click("[data-action=\"accept-all\"]").await;
    b.widget("[data-action=\"reopen\"]").await;
    b.client.enter_parent_frame().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(k.count_events("webpulse"), 0, "the preview logs no decision");
    assert_eq!(b.js("return document.cookie").await, "", "and sets no cookie");

    // A phone's width.
    b.client.find(Locator::Css("label[for=dev-phone]")).await.unwrap().click().await.unwrap();
    let width = b.js("return document.querySelector('iframe[name=k-preview]').clientWidth").await;
    assert_eq!(width.as_f64(), Some(375.0));
    set(&b, "select[name=lang]", "'ru'").await;
    frame_shows(&b, "[data-kelisim=banner]", "Принять все").await;
    shoot(&b, "preview-ru-phone").await;

    // A broken draft: its problems, in the dashboard's language.
    set(
        &b,
        "form.policy textarea",
        "document.querySelector('form.policy textarea').value.replace('kk = \"Міндетті\", ', '')",
    )
    .await;
    let said = frame_shows(&b, "nothing", "title.kk").await;
    assert!(said.contains("ошибки"), "{said}");
    b.close().await;
}
