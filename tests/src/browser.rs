//! A real headless Chromium driven through chromedriver (WebDriver), with a fresh profile per
//! browser. Reaches into the widget's open shadow root through WebDriver's shadow-root support.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Browser tests take turns: the machine has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// A phone-sized viewport of `width` CSS pixels (Chromium clamps windows to 500 px, so
    /// this uses ChromeDriver's device emulation).
    pub async fn start_narrow(width: u32) -> Browser {
        Browser::launch(&[], Some(serde_json::json!({ "deviceMetrics": { "width": width, "height": 640, "pixelRatio": 1.0 } }))).await
    }

    /// Starts chromedriver and a headless Chromium with the flags of TOOLCHAIN.md.
    pub async fn start_with(extra_args: &[&str]) -> Browser {
        Browser::launch(extra_args, None).await
    }

    async fn launch(extra_args: &[&str], mobile: Option<serde_json::Value>) -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e} (run the tests with `cargo xtask test`)"));
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra_args.iter().map(|s| s.to_string()));
        let mut caps = serde_json::Map::new();
        let mut options = serde_json::json!({ "binary": chromium, "args": args });
        if let Some(m) = mobile {
            options["mobileEmulation"] = m;
        }
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not start a session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Browser { client, driver, _profile: profile, _turn: turn }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits (up to 10 s) for an element inside the widget's shadow root.
    pub async fn widget(&self, css: &str) -> Element {
        self.try_widget(css, Duration::from_secs(10)).await.unwrap_or_else(|| panic!("the widget never showed `{css}`"))
    }

    pub async fn try_widget(&self, css: &str, wait: Duration) -> Option<Element> {
        let deadline = Instant::now() + wait;
        loop {
            if let Ok(host) = self.client.find(Locator::Id("kelisim")).await {
                if let Ok(root) = host.shadow_root().await {
                    if let Ok(el) = root.find(Locator::Css(css)).await {
                        return Some(el);
                    }
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the widget currently shows `css` (no waiting).
    pub async fn widget_has(&self, css: &str) -> bool {
        self.try_widget(css, Duration::ZERO).await.is_some()
    }

    pub async fn click(&self, css: &str) {
        self.widget(css).await.click().await.unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// Presses a key (e.g. `Key::Tab.into()`, `' '`) on whatever has focus, as a keyboard would.
    pub async fn press(&self, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let keys = KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// `data-action` (or `data-category` for a toggle) of what has focus inside the widget, or
    /// "page" when focus is outside it.
    pub async fn focused(&self) -> String {
        self.js(
            "var h = document.getElementById('kelisim'); var a = h && h.shadowRoot.activeElement;
             if (document.activeElement !== h || !a) return 'page';
             return a.getAttribute('data-action') || (a.getAttribute('data-category') ? 'toggle:' + a.getAttribute('data-category') : a.tagName.toLowerCase());",
        )
        .await
        .as_str()
        .unwrap_or("page")
        .to_owned()
    }

    /// Whether focus is inside the preferences dialog.
    pub async fn focus_in_dialog(&self) -> bool {
        self.js(
            "var h = document.getElementById('kelisim'); var a = h && h.shadowRoot.activeElement;
             return !!(a && a.closest('[data-kelisim=\"preferences\"]'));",
        )
        .await
            == serde_json::Value::Bool(true)
    }

    /// The value of a cookie visible to the page, if set.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client.get_named_cookie(name).await.ok().map(|c| c.value().to_owned())
    }

    /// Ends the WebDriver session (closing Chromium); the driver is stopped on drop.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Polls `f` until it returns `Some`, for up to 10 s.
pub async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
