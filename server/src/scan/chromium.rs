//! Finding the machine's Chromium and starting it headless over the DevTools protocol
//! (chromiumoxide), with a fresh profile each time: one browser per pass, so no pass sees
//! another's cookies, storage or cache.

use super::ScanError;
use chromiumoxide::browser::{Browser, BrowserConfig};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable naming the Chromium binary (after `--chromium`, before the defaults).
pub const ENV: &str = "KELISIM_CHROMIUM";

/// Where Chromium is looked for when neither `--chromium` nor `KELISIM_CHROMIUM` says.
const DEFAULTS: &[&str] =
    &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

/// The Chromium to run: `--chromium`, else `KELISIM_CHROMIUM`, else the usual places.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf, ScanError> {
    let given =
        flag.map(|p| (p.to_owned(), "--chromium")).or_else(|| std::env::var_os(ENV).map(|p| (PathBuf::from(p), ENV)));
    if let Some((path, from)) = given {
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(ScanError::NoChromium(format!(
                "there is no Chromium at {} (from {from}): install it (`apt-get install chromium`) or give the path of its binary with --chromium or {ENV}",
                path.display()
            )))
        };
    }
    DEFAULTS.iter().map(PathBuf::from).find(|p| is_executable(p)).ok_or_else(|| {
        ScanError::NoChromium(format!(
            "Chromium is not installed (looked for /usr/bin/chromium and the usual places): install it (`apt-get install chromium`) or give the path of its binary with --chromium or {ENV}"
        ))
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A running headless Chromium on a temporary profile that is removed when it is closed.
pub struct Chromium {
    pub browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub async fn launch(binary: &Path, timeout: Duration) -> Result<Chromium, ScanError> {
        let profile = tempfile::Builder::new()
            .prefix("kelisim-scan-")
            .tempdir()
            .map_err(|e| ScanError::Browser(format!("cannot make a temporary browser profile: {e}")))?;
        // The flags of TOOLCHAIN.md: without the background-networking ones Chromium calls
        // home on its own, which a scan must never mistake for the site. Site isolation is off
        // so that every frame of a page runs in the page's own process, where the scanner's
        // hooks and network events reach it.
        // Headless is the builder's default (`--headless`). chromiumoxide writes each argument
        // as `--` and its name: the names are given without the dashes (with them, Chromium got
        // `----disable-gpu` and ignored every one of these).
        let config = BrowserConfig::builder()
            .chrome_executable(binary)
            .disable_default_args()
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(1280, 900)
            .viewport(None)
            .request_timeout(timeout + Duration::from_secs(5))
            .launch_timeout(Duration::from_secs(30))
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-dev-shm-usage",
                "disable-default-apps",
                "disable-breakpad",
                "disable-client-side-phishing-detection",
                "disable-domain-reliability",
                "metrics-recording-only",
                "no-default-browser-check",
                "password-store=basic",
                "use-mock-keychain",
                "disable-site-isolation-trials",
                "disable-features=IsolateOrigins,site-per-process,Translate,OptimizationHints,MediaRouter",
            ])
            // Tests keep the scanner off the internet with Chromium's own host resolver rules
            // (`MAP * ~NOTFOUND , EXCLUDE 127.0.0.1`): a tracker's host then fails to resolve,
            // though its request is still seen.
            .args(std::env::var("KELISIM_SCAN_HOST_RULES").ok().map(|r| format!("host-resolver-rules={r}")))
            .build()
            .map_err(ScanError::Browser)?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| ScanError::Browser(format!("Chromium ({}) did not start: {e}", binary.display())))?;
        // The protocol's messages are read by this task for as long as the browser lives; a
        // message it cannot read is skipped (Chromium may be newer than the protocol crate).
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Chromium { browser, handler, _profile: profile })
    }

    /// Chromium's product string, e.g. `Chrome/140.0.7339.80`.
    pub async fn version(&self) -> String {
        self.browser.version().await.map(|v| v.product).unwrap_or_default()
    }

    /// Closes the browser and waits for it, so its profile can be removed.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        if tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await.is_err() {
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
    }
}
