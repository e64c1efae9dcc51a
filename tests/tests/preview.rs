//! The live preview beside the policy editor (issue 18): the real widget renders the draft in
//! a sandboxed frame, follows the owner's typing, switches language, layer and width, shows a
//! broken draft's problems, and never logs a decision or sets a cookie.
//! `KELISIM_SCREENSHOTS=DIR` keeps screenshots of what it saw.

use fantoccini::Locator;
use kelisim_tests::admin::add_account;
use kelisim_tests::browser::Browser;
use kelisim_tests::dashboard::{frame_shows, set, shoot, sign_in};
use kelisim_tests::{demo_sites_copy, Kelisim};
use std::time::Duration;

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
