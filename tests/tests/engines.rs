//! The widget's core paths in three engines — Chromium, Firefox ESR and WebKitGTK (the engine
//! of Safari, which many visitors in Kazakhstan use on iPhones): the first visit shows the
//! banner, Accept all is logged and stored and runs a gated script, a return visit shows no
//! banner and runs it at once, Reject all grants only the required category, the keyboard
//! alone reaches the banner and decides, and no control of the page is focused under it. The same code runs in each engine; every failure
//! names the engine (in the test's path and in its message).
//!
//! A test page on its own origin embeds Kelisim from the real server; the site is
//! `shared/testdata/example.toml` (necessary, analytics, marketing).

use fantoccini::key::Key;
use kelisim_shared::cookie::Decision;
use kelisim_tests::browser::{eventually, Browser, Engine};
use kelisim_tests::pages::PageServer;
use kelisim_tests::{example_site, Kelisim};
use serde_json::json;

const PAGE: &str = r##"<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Магазин</title>
<script src="KELISIM/kelisim.js" data-site="example"></script>
</head><body>
<nav><a href="#catalog">Каталог</a> <a href="#delivery">Доставка</a></nav>
<h1 id="catalog">Магазин</h1><p id="delivery">Каталог товаров.</p>
<script type="text/plain" data-category="analytics">window.ran = (window.ran || 0) + 1;</script>
</body></html>"##;

/// A long page whose last controls sit at the very bottom, where the banner is.
const LONG: &str = r##"<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Магазин</title>
<script src="KELISIM/kelisim.js" data-site="example"></script>
</head><body>
<nav><button id="catalog">Каталог</button> <button id="delivery">Доставка</button></nav>
<div style="height:1500px">Каталог товаров.</div>
<footer><button id="privacy">Политика конфиденциальности</button> <button id="terms">Условия</button></footer>
</body></html>"##;

const BANNER: &str = "[data-kelisim=\"banner\"]";
const ACCEPT: &str = "[data-kelisim=\"banner\"] [data-action=\"accept-all\"]";
const REJECT: &str = "[data-kelisim=\"banner\"] [data-action=\"reject-all\"]";

struct Site {
    k: Kelisim,
    pages: PageServer,
    _sites: tempfile::TempDir,
}

impl Site {
    fn start() -> Site {
        let pages = PageServer::start(vec![]);
        let sites = example_site(&pages.origin, |t| t);
        let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("kelisim did not start: {e}"));
        pages.set("/", PAGE.replace("KELISIM", &k.base));
        pages.set("/long", LONG.replace("KELISIM", &k.base));
        Site { k, pages, _sites: sites }
    }

    fn url(&self) -> String {
        format!("{}/", self.pages.origin)
    }

    /// (action, granted) of each logged event of the site, in order.
    fn events(&self) -> Vec<(String, String)> {
        let db = self.k.db();
        let mut st =
            db.prepare("SELECT action, granted FROM events_readable WHERE site = 'example' ORDER BY seq").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    }

    /// The one event a decision logs, once the server has committed it (it answered 201).
    async fn logged(&self, engine: Engine) -> (String, String) {
        let mut events = eventually(&format!("{engine}: the decision to reach the SQLite log"), || {
            Some(self.events()).filter(|e| !e.is_empty())
        })
        .await;
        assert_eq!(events.len(), 1, "{engine}: one decision, one logged event: {events:?}");
        events.remove(0)
    }
}

/// How many times the gated analytics script ran on the current page.
async fn ran(b: &Browser) -> i64 {
    b.js("return window.ran || 0").await.as_i64().unwrap_or(0)
}

/// The categories the `kelisim` cookie grants (waits for the cookie).
async fn cookie_grants(b: &Browser) -> Vec<String> {
    let e = b.engine();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let value = loop {
        if let Some(v) = b.cookie("kelisim").await {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "{e}: the kelisim cookie was never set");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    Decision::decode(&value)
        .unwrap_or_else(|err| panic!("{e}: the kelisim cookie is not in the shared format ({err:?}): {value}"))
        .granted
}

/// Polls a script until it returns `true` (up to 10 s).
async fn until(b: &Browser, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while b.js(script).await != json!(true) {
        assert!(std::time::Instant::now() < deadline, "{}: timed out waiting for {what}", b.engine());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// First visit: the banner, nothing gated has run and nothing is stored. Accept all: logged
/// (the server answered 201 once it was committed), the cookie grants every category, the
/// gated script ran once, the banner is gone. Return visit (reload): no banner, the gated
/// script runs at once, nothing more is logged.
async fn accept_all_then_return_visit(engine: Engine) {
    let s = Site::start();
    let b = Browser::start_engine(engine).await;
    b.goto(&s.url()).await;
    b.widget(BANNER).await;
    b.widget(ACCEPT).await;
    assert_eq!(ran(&b).await, 0, "{engine}: a gated script ran before any decision");
    assert_eq!(b.cookie("kelisim").await, None, "{engine}: a decision was stored before any");

    b.click(ACCEPT).await;
    assert_eq!(
        s.logged(engine).await,
        ("accept_all".to_owned(), "necessary analytics marketing".to_owned()),
        "{engine}"
    );
    assert_eq!(cookie_grants(&b).await, ["necessary", "analytics", "marketing"], "{engine}");
    until(&b, "return window.ran === 1", "the gated script to run after Accept all").await;
    until(
        &b,
        &format!("var h = document.getElementById('kelisim'); return !h.shadowRoot.querySelector('{BANNER}')"),
        "the banner to go",
    )
    .await;

    b.client.refresh().await.unwrap_or_else(|e| panic!("{engine}: reload: {e}"));
    until(&b, "return window.ran === 1", "the gated script to run at once on a return visit").await;
    b.widget("[data-action=\"reopen\"]").await;
    assert!(!b.widget_has(BANNER).await, "{engine}: a banner on a return visit");
    assert_eq!(ran(&b).await, 1, "{engine}: the gated script ran more than once");
    assert_eq!(s.events().len(), 1, "{engine}: a return visit logged something");
    b.close().await;
}

/// Reject all in a fresh profile: logged with the required category only, which is all the
/// cookie grants; the gated script never runs.
async fn reject_all(engine: Engine) {
    let s = Site::start();
    let b = Browser::start_engine(engine).await;
    b.goto(&s.url()).await;
    b.click(REJECT).await;
    assert_eq!(s.logged(engine).await, ("reject_all".to_owned(), "necessary".to_owned()), "{engine}");
    assert_eq!(cookie_grants(&b).await, ["necessary"], "{engine}");
    until(
        &b,
        &format!("var h = document.getElementById('kelisim'); return !h.shadowRoot.querySelector('{BANNER}')"),
        "the banner to go",
    )
    .await;
    assert_eq!(ran(&b).await, 0, "{engine}: the gated script ran after Reject all");
    b.close().await;
}

/// Whether focus is inside the banner.
async fn focus_in_banner(b: &Browser) -> bool {
    b.js(&format!(
        "var h = document.getElementById('kelisim'); var a = h && h.shadowRoot && h.shadowRoot.activeElement;
         return document.activeElement === h && !!a && !!a.closest('{BANNER}');"
    ))
    .await
        == json!(true)
}

/// Keyboard alone: Tab from the top of the page until focus is in the banner (at most 20
/// presses: the page has two links; where the widget sits in the page is the widget's
/// business), on to Accept all, and `key` (Enter or Space) decides.
async fn keyboard_accept(engine: Engine, key: char, key_name: &str) {
    let s = Site::start();
    let b = Browser::start_engine(engine).await;
    b.goto(&s.url()).await;
    b.widget(ACCEPT).await;
    let mut presses = 0;
    while !focus_in_banner(&b).await {
        assert!(presses < 20, "{engine}: 20 Tabs never reached the banner (focus: {})", b.focused().await);
        b.press(Key::Tab.into()).await;
        presses += 1;
    }
    while b.focused().await != "accept-all" {
        assert!(presses < 20, "{engine}: 20 Tabs never reached Accept all (focus: {})", b.focused().await);
        b.press(Key::Tab.into()).await;
        presses += 1;
        assert!(focus_in_banner(&b).await, "{engine}: Tab left the banner before Accept all");
    }
    b.press(key).await;
    assert_eq!(
        s.logged(engine).await,
        ("accept_all".to_owned(), "necessary analytics marketing".to_owned()),
        "{engine}: {key_name}"
    );
    assert_eq!(cookie_grants(&b).await, ["necessary", "analytics", "marketing"], "{engine}: {key_name}");
    until(&b, "return window.ran === 1", "the gated script to run after Accept all by keyboard").await;
    b.close().await;
}

/// With the first layer up, Tab through a long page to its last control: no focused element
/// of the page is under the banner (WCAG 2.2 "Focus Not Obscured").
async fn focus_never_covered(engine: Engine) {
    let s = Site::start();
    let b = Browser::start_engine(engine).await;
    b.goto(&format!("{}/long", s.pages.origin)).await;
    b.widget(ACCEPT).await;
    let mut seen = Vec::new();
    for _ in 0..20 {
        b.press(Key::Tab.into()).await;
        // The widget moves a covered element up after the browser's own scrolling to it (a task
        // later, or after a smooth scroll): it must be clear within a few seconds, on a loaded machine too.
        let look = format!(
            "var a = document.activeElement, h = document.getElementById('kelisim'); if (a === h) return 'ours';
             var br = h.shadowRoot.querySelector('{BANNER}').getBoundingClientRect(), e = a.getBoundingClientRect();
             return (e.bottom <= br.top || e.top >= br.bottom || e.right <= br.left || e.left >= br.right) ? 'clear ' + a.id : 'covered ' + a.id + ' ' + e.top + '-' + e.bottom + ' under ' + br.top;"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut r = b.js(&look).await.as_str().unwrap_or_default().to_owned();
        while r.starts_with("covered") && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            r = b.js(&look).await.as_str().unwrap_or_default().to_owned();
        }
        let at = b.js("return [window.scrollY, document.documentElement.scrollHeight, window.innerHeight, getComputedStyle(document.documentElement).paddingBottom]").await;
        assert!(!r.starts_with("covered"), "{engine}: a focused element is under the banner: {r} (scrollY, scrollHeight, innerHeight, root padding: {at})");
        if let Some(id) = r.strip_prefix("clear ") {
            seen.push(id.to_owned());
            if id == "terms" {
                break;
            }
        }
    }
    assert_eq!(seen, ["catalog", "delivery", "privacy", "terms"], "{engine}: Tab went through the page's controls");
    b.close().await;
}

macro_rules! engine {
    ($module:ident, $engine:expr) => {
        mod $module {
            use super::*;

            #[tokio::test]
            async fn first_visit_banner_accept_all_logged_and_stored_then_return_visit() {
                accept_all_then_return_visit($engine).await;
            }

            #[tokio::test]
            async fn reject_all_grants_only_the_required_category() {
                reject_all($engine).await;
            }

            #[tokio::test]
            async fn tab_reaches_the_banner_and_enter_on_accept_all_decides() {
                keyboard_accept($engine, Key::Enter.into(), "Enter").await;
            }

            #[tokio::test]
            async fn with_the_banner_up_no_focused_element_of_the_page_is_covered() {
                focus_never_covered($engine).await;
            }

            #[tokio::test]
            async fn tab_reaches_the_banner_and_space_on_accept_all_decides() {
                keyboard_accept($engine, ' ', "Space").await;
            }
        }
    };
}

engine!(chromium, Engine::Chromium);
engine!(firefox, Engine::Firefox);
engine!(webkit, Engine::WebKit);
