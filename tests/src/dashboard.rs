//! A dashboard in the browser, for the tests that use it as a person would: signing in, the
//! live preview's frame, editor fields set as typing ends up, screenshots on request.

use crate::admin::PASSWORD;
use crate::browser::Browser;
use crate::Kelisim;
use fantoccini::Locator;
use std::time::{Duration, Instant};

/// `KELISIM_SCREENSHOTS=DIR`: keeps a screenshot of the page as `DIR/name.png`.
pub async fn shoot(b: &Browser, name: &str) {
    if let Ok(dir) = std::env::var("KELISIM_SCREENSHOTS") {
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Signs `user` in (with the tests' password) through the login form.
pub async fn sign_in(b: &Browser, k: &Kelisim, user: &str) {
    b.goto(&k.url("/admin/login")).await;
    b.client.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
    b.client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    b.client.find(Locator::Css("[data-action=login]")).await.unwrap().click().await.unwrap();
    b.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("span.who")).await.expect("signed in");
}

/// The text of the widget's shadow root in the preview frame, once `css` shows there and its
/// text holds `want` (the frame reloads with each draft posted into it).
pub async fn frame_shows(b: &Browser, css: &str, want: &str) -> String {
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
pub async fn set(b: &Browser, css: &str, js_value: &str) {
    b.js(&format!(
        "var e = document.querySelector('{css}'); e.value = {js_value}; e.dispatchEvent(new Event('input', {{bubbles: true}})); return true"
    ))
    .await;
}
