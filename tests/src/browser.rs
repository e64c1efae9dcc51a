//! A real browser driven through WebDriver, with a fresh profile per browser: headless Chromium
//! through chromedriver (the default), and for the widget's core paths Firefox ESR headless
//! through geckodriver and WebKitGTK (MiniBrowser) through WebKitWebDriver on an Xvfb display of
//! its own. Reaches into the widget's open shadow root through WebDriver's shadow-root support,
//! or, where a driver lacks it, through a script that returns the element.

use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A browser engine the tests can run the widget in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Debian's Chromium, headless, through chromedriver (`CHROMIUM`, `CHROMEDRIVER`).
    Chromium,
    /// Debian's Firefox ESR, headless, through geckodriver (`FIREFOX`, `GECKODRIVER`).
    Firefox,
    /// WebKitGTK's MiniBrowser through WebKitWebDriver (`WEBKIT_WEBDRIVER`), on an Xvfb display
    /// (`XVFB`) started for the browser: WebKitGTK has no headless mode.
    WebKit,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::WebKit];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "Chromium",
            Engine::Firefox => "Firefox ESR",
            Engine::WebKit => "WebKitGTK",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn tool(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// An `Xvfb` display of its own (a free number chosen by Xvfb itself, `-displayfd`), stopped on
/// drop.
struct Display {
    child: Child,
    number: String,
}

impl Display {
    fn start() -> Display {
        let xvfb = tool("XVFB", "/usr/bin/Xvfb");
        let mut child = Command::new(&xvfb)
            .args(["-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {xvfb}: {e} (run the tests with `cargo xtask test`)"));
        let mut number = String::new();
        let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut number);
        let number = number.trim().to_owned();
        if read.is_err() || number.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Xvfb did not report a display number: {read:?}");
        }
        Display { child, number }
    }
}

impl Drop for Display {
    /// SIGTERM, so that Xvfb removes its socket and lock file; SIGKILL if it lingers.
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Browser tests take turns: the machine has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub struct Browser {
    pub client: Client,
    engine: Engine,
    /// Set once the driver turned down WebDriver's shadow-root commands: scripts reach in instead.
    shadow_by_script: AtomicBool,
    driver: Child,
    /// `DELETE` this (the driver's URL of the session) to end the session — done on drop if
    /// [`Browser::close`] was not reached (a test that failed), so that no browser outlives it.
    session_url: Option<String>,
    // Dropped after the driver is stopped (fields drop in order; `Drop` kills the driver first).
    _display: Option<Display>,
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
        Browser::launch(
            &[],
            Some(serde_json::json!({ "deviceMetrics": { "width": width, "height": 640, "pixelRatio": 1.0 } })),
        )
        .await
    }

    /// Starts chromedriver and a headless Chromium with the flags of TOOLCHAIN.md.
    pub async fn start_with(extra_args: &[&str]) -> Browser {
        Browser::launch(extra_args, None).await
    }

    /// A browser of `engine` with a fresh profile and a 1280×900 window ([`Engine::Chromium`]
    /// is what [`Browser::start`] starts).
    pub async fn start_engine(engine: Engine) -> Browser {
        match engine {
            Engine::Chromium => Browser::start().await,
            Engine::Firefox | Engine::WebKit => Browser::launch_other(engine).await,
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Firefox ESR through geckodriver, or WebKitGTK through WebKitWebDriver on a display of
    /// its own. The driver's log goes to a file in the profile's directory, quoted if no
    /// session starts.
    // The lock is held on purpose while the browser starts: each test has its own thread and
    // runtime, so the wait blocks only that test.
    #[allow(clippy::await_holding_lock)]
    async fn launch_other(engine: Engine) -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let work = tempfile::tempdir().unwrap();
        let log_path = work.path().join("driver.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let (mut cmd, display, caps) = match engine {
            Engine::Firefox => {
                let geckodriver =
                    tool("GECKODRIVER", &crate::root().join("target/tools/bin/geckodriver").to_string_lossy());
                let firefox = tool("FIREFOX", "/usr/bin/firefox-esr");
                let profile = work.path().join("profile");
                std::fs::create_dir(&profile).unwrap();
                let mut cmd = Command::new(geckodriver);
                // Its Marionette port is one the system allocates, and no BiDi port is opened
                // unless asked for: test runs side by side on one machine never meet.
                cmd.args(["--port", &port.to_string()]);
                let options = serde_json::json!({
                    "binary": firefox,
                    "args": ["-headless", "-profile", profile],
                    // geckodriver already turns off updates, telemetry and most background
                    // traffic; these are the rest that would knock on a closed network.
                    "prefs": {
                        "network.captive-portal-service.enabled": false,
                        "network.connectivity-service.enabled": false,
                        "browser.safebrowsing.update.enabled": false,
                        "extensions.update.enabled": false,
                        "browser.region.network.url": "",
                        "browser.topsites.contile.enabled": false,
                    },
                });
                let mut caps = serde_json::Map::new();
                caps.insert("browserName".into(), "firefox".into());
                caps.insert("moz:firefoxOptions".into(), options);
                (cmd, None, caps)
            }
            Engine::WebKit => {
                let display = Display::start();
                let mut cmd = Command::new(tool("WEBKIT_WEBDRIVER", "/usr/bin/WebKitWebDriver"));
                cmd.arg(format!("--port={port}"))
                    .env("DISPLAY", format!(":{}", display.number))
                    // No accessibility bus or session bus to find on a test machine.
                    .env("NO_AT_BRIDGE", "1")
                    .env("GTK_A11Y", "none");
                // MiniBrowser (WebKitWebDriver's default browser) in automation mode: a
                // fresh, ephemeral profile per session.
                (cmd, Some(display), serde_json::Map::new())
            }
            Engine::Chromium => unreachable!("Chromium is started by Browser::launch"),
        };
        let driver = cmd.stdout(log.try_clone().unwrap()).stderr(log).spawn().unwrap_or_else(|e| {
            panic!("{engine}: cannot start its WebDriver: {e} (run the tests with `cargo xtask test`)")
        });
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(40);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
                    panic!("{engine}: the driver did not start a session: {e}\n{}", tail.join("\n"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        {
            client.set_window_size(1280, 900).await.unwrap_or_else(|e| panic!("{engine}: cannot size the window: {e}"));
        }
        let session_url = session_url(&client, &url).await;
        Browser {
            client,
            engine,
            shadow_by_script: AtomicBool::new(false),
            driver,
            session_url,
            _display: display,
            _profile: work,
            _turn: turn,
        }
    }

    #[allow(clippy::await_holding_lock)] // as in `launch_other`
    async fn launch(extra_args: &[&str], mobile: Option<serde_json::Value>) -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
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
        // A free port can be taken by another test's server between the moment it is found and
        // the moment chromedriver binds it; then what answers is not chromedriver (a response
        // that is not W3C WebDriver) and chromedriver has no port: start it again on another.
        let mut attempts = 0;
        let (client, driver, url) = 'start: loop {
            attempts += 1;
            let port = free_port();
            let mut driver = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e} (run the tests with `cargo xtask test`)"));
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                    Ok(c) => break 'start (c, driver, url),
                    Err(fantoccini::error::NewSessionError::NotW3C(v)) if attempts < 3 => {
                        eprintln!("port {port} answered as something other than chromedriver ({v}); another port");
                        let _ = driver.kill();
                        let _ = driver.wait();
                        continue 'start;
                    }
                    Err(e) if Instant::now() > deadline => panic!("chromedriver did not start a session: {e}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        };
        let session_url = session_url(&client, &url).await;
        Browser {
            client,
            engine: Engine::Chromium,
            shadow_by_script: AtomicBool::new(false),
            driver,
            session_url,
            _display: None,
            _profile: profile,
            _turn: turn,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Runs JavaScript in the page and returns its result.
    /// Puts axe-core (installed by `cargo xtask test`, or the file `AXE_JS` names) into the
    /// page, for an `axe.run` after it.
    pub async fn inject_axe(&self) {
        let path = std::env::var("AXE_JS").unwrap_or_else(|_| {
            crate::root().join("target/tools/axe/node_modules/axe-core/axe.min.js").display().to_string()
        });
        let src = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("axe-core at {path}: {e} (run the tests with `cargo xtask test`)"));
        self.js(&format!("{src}\n;return true;")).await;
    }

    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{}: script failed: {e}\n{script}", self.engine))
    }

    /// Waits (up to 10 s) for an element inside the widget's shadow root.
    pub async fn widget(&self, css: &str) -> Element {
        self.try_widget(css, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{}: the widget never showed `{css}`", self.engine))
    }

    pub async fn try_widget(&self, css: &str, wait: Duration) -> Option<Element> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(el) = self.find_in_widget(css).await {
                return Some(el);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One look for `css` in the widget's shadow root: through WebDriver's shadow-root commands,
    /// or through a script where the driver does not know them.
    async fn find_in_widget(&self, css: &str) -> Option<Element> {
        if !self.shadow_by_script.load(Ordering::Relaxed) {
            let host = self.client.find(Locator::Id("kelisim")).await.ok()?;
            match host.shadow_root().await {
                Ok(root) => return root.find(Locator::Css(css)).await.ok(),
                Err(e) if e.is_unknown_command() || e.is_unknown_method() || e.is_unsupported_operation() => {
                    self.shadow_by_script.store(true, Ordering::Relaxed);
                }
                Err(_) => return None,
            }
        }
        // WebDriver serializes an element a script returns as a reference to it.
        let found = self
            .client
            .execute(
                "var h = document.getElementById('kelisim'); return h && h.shadowRoot && h.shadowRoot.querySelector(arguments[0]);",
                vec![css.into()],
            )
            .await
            .ok()?;
        let id = found.as_object()?.get("element-6066-11e4-a52e-4f735466cecf")?.as_str()?;
        Some(Element::from_element_id(self.client.clone(), ElementRef::from(id.to_owned())))
    }

    /// Whether the widget currently shows `css` (no waiting).
    pub async fn widget_has(&self, css: &str) -> bool {
        self.try_widget(css, Duration::ZERO).await.is_some()
    }

    /// Clicks `css` in the widget once it is laid out as the visitor sees it: the preferences
    /// dialog gets its own styles the first time it opens (until then it is transparent and
    /// its elements move when they arrive).
    pub async fn click(&self, css: &str) {
        let el = self.widget(css).await;
        let settled = "var r = document.getElementById('kelisim').shadowRoot, p = r && r.querySelector('.k-prefs'); return !p || getComputedStyle(p).opacity == '1'";
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.js(settled).await != serde_json::json!(true) {
            assert!(Instant::now() < deadline, "{}: the preferences dialog never got its styles", self.engine);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        el.click().await.unwrap_or_else(|e| panic!("{}: cannot click `{css}`: {e}", self.engine));
    }

    /// Presses a key (e.g. `Key::Tab.into()`, `' '`) on whatever has focus, as a keyboard would.
    pub async fn press(&self, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let keys =
            KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        self.client
            .perform_actions(keys)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot press {key:?}: {e}", self.engine));
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
        self.js("var h = document.getElementById('kelisim'); var a = h && h.shadowRoot.activeElement;
             return !!(a && a.closest('[data-kelisim=\"preferences\"]'));")
            .await
            == serde_json::Value::Bool(true)
    }

    /// The value of a cookie visible to the page, if set.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client.get_named_cookie(name).await.ok().map(|c| c.value().to_owned())
    }

    /// Ends the WebDriver session (closing the browser); the driver is stopped on drop.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.session_url = None;
    }
}

async fn session_url(client: &Client, driver: &str) -> Option<String> {
    client.session_id().await.ok().flatten().map(|id| format!("{driver}/session/{id}"))
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that panicked never reached `close`: end the session through the driver
        // (which closes the browser) before stopping the driver, else the browser outlives it.
        if let Some(url) = self.session_url.take() {
            let agent: ureq::Agent =
                ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
            let _ = agent.delete(&url).call();
        }
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
