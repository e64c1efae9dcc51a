//! `cargo xtask screenshots`: the dashboard pictures of the documentation (docs/screenshots/),
//! taken again from the real server. It builds, starts `kelisim serve --demo` on a fresh copy
//! of the demo sites and a fresh database, sends consent decisions through the public API,
//! publishes a second text version from the dashboard, keeps two `kelisim scan`s of the demo
//! page, and has headless Chromium (through chromedriver, spoken to over plain HTTP) photograph
//! the overview, the newest text version and the scan page in Russian and in Kazakh.

use crate::{root, step};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SITE: &str = "webpulse";
/// The window the pictures are taken in: wide enough for the dashboard's layout, small enough
/// to keep the six PNGs a few hundred KB in all.
const WIDTH: u32 = 900;
const HEIGHT: u32 = 760;
/// The change published as the second text version (the analytics category's title).
const OLD_TITLE: &str = "title = { kk = \"Талдау\", ru = \"Аналитика\", en = \"Analytics\" }";
const NEW_TITLE: &str =
    "title = { kk = \"Келу статистикасы\", ru = \"Статистика посещений\", en = \"Visit statistics\" }";

/// A child process stopped when dropped (the server, chromedriver).
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn command(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask screenshots");
    }
    let bin = crate::build()?;
    let out = root().join("docs/screenshots");
    std::fs::create_dir_all(&out)?;
    let work = root().join("target/screenshots");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    let (sites, data) = (work.join("sites"), work.join("data"));
    std::fs::create_dir_all(&sites)?;
    for e in std::fs::read_dir(root().join("www/sites"))? {
        let path = e?.path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, sites.join(path.file_name().expect("a file")))?;
        }
    }
    let password = "screenshots only, never kept";
    let mut add = Command::new(&bin)
        .args(["admin", "add", "owner", "--role", "admin", "--password-stdin", "--data"])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("could not run kelisim admin add")?;
    add.stdin.take().expect("piped").write_all(format!("{password}\n").as_bytes())?;
    if !add.wait()?.success() {
        bail!("kelisim admin add failed");
    }

    step("starting kelisim with the demo sites");
    let mut child = Command::new(&bin)
        .current_dir(root())
        .args(["serve", "--demo", "--rate-limit", "0", "--listen", "127.0.0.1:0", "--sites"])
        .arg(&sites)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start kelisim")?;
    let stdout = child.stdout.take().expect("piped");
    let server = Stopped(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(url) = l.strip_prefix("kelisim listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => bail!("kelisim stopped before listening"),
        }
    };
    // Keep reading what it prints, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    let host = base.trim_start_matches("http://").trim_end_matches('/').to_owned();

    step("sending consent decisions through the public API");
    decisions(&host, 240)?;

    step("publishing a second text version from the dashboard");
    let login = http(
        &host,
        "POST",
        "/admin/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        form(&[("username", "owner"), ("password", password)]).as_bytes(),
    )?;
    let session = cookie_of(&login.head, "kelisim_admin").context("the login set no session cookie")?;
    let cookie = format!("kelisim_admin={session}");
    let page = http(&host, "GET", "/admin/", &[("cookie", &cookie)], b"")?;
    let csrf = String::from_utf8_lossy(&page.body)
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("no CSRF token on the sites page")?
        .to_owned();
    let file = std::fs::read_to_string(sites.join(format!("{SITE}.toml")))?;
    if !file.contains(OLD_TITLE) {
        bail!("www/sites/{SITE}.toml no longer has the line this command changes: {OLD_TITLE}");
    }
    let changed = file.replacen(OLD_TITLE, NEW_TITLE, 1);
    let first = served_version(&host)?;
    let r = http(
        &host,
        "POST",
        &format!("/admin/sites/{SITE}/policy"),
        &[("cookie", &cookie), ("content-type", "application/x-www-form-urlencoded")],
        form(&[("csrf", &csrf), ("do", "publish"), ("text", &changed)]).as_bytes(),
    )?;
    if !(r.status == 200 || r.status == 303) {
        bail!("publishing answered {}", r.status);
    }
    let version = served_version(&host)?;
    if version == first {
        bail!("the published change is not served");
    }
    decisions(&host, 60)?;

    step("scanning the demo page twice (the scan page's history)");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    for _ in 0..2 {
        let status = Command::new(&bin)
            .args(["scan", &format!("{base}/demo/{SITE}/"), "--site", SITE, "--pages", "2", "--chromium", &chromium])
            .arg("--sites")
            .arg(&sites)
            .arg("--data")
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("could not run kelisim scan")?;
        // 1 (violations) and 3 (incomplete) are reports too; 2 is a scan that did not run.
        if status.code() == Some(2) || status.code().is_none() {
            bail!("kelisim scan could not run ({status})");
        }
    }

    step(&format!("taking the pictures into {}", out.display()));
    let driver = WebDriver::start(&chromium)?;
    driver.go(&format!("{base}/admin/login"))?;
    driver.post(
        "/cookie",
        &serde_json::json!({ "cookie": { "name": "kelisim_admin", "value": session, "path": "/admin" } }),
    )?;
    let s = format!("{base}/admin/sites/{SITE}");
    let mut total = 0;
    for lang in ["ru", "kk"] {
        driver.go(&format!("{base}/admin/lang?to={lang}"))?;
        for (name, url, settle) in [
            ("overview", format!("{s}/"), 0),
            ("version", format!("{s}/configs/{version}"), 5),
            ("scan", format!("{s}/scan"), 0),
        ] {
            driver.go(&url)?;
            // The version's frames boot the real widget, whose banner sits at the bottom of
            // each frame: the picture is taken with the frames' bottom edge in view.
            std::thread::sleep(Duration::from_secs(settle));
            if name == "version" {
                driver.run(
                    "var f = document.querySelector('iframe'); if (f) f.scrollIntoView({block: 'end'}); return true",
                )?;
                std::thread::sleep(Duration::from_millis(500));
            }
            let png = driver.screenshot()?;
            let path = out.join(format!("{name}-{lang}.png"));
            std::fs::write(&path, &png)?;
            println!("    {} ({} KB)", path.strip_prefix(root()).unwrap_or(&path).display(), png.len() / 1024);
            total += png.len();
        }
    }
    println!("    {} KB in all", total / 1024);
    drop(driver);
    drop(server);
    Ok(())
}

/// `n` decisions on the demo site through `POST /api/v1/sites/{site}/consents`, cycling through
/// the actions and the three languages, as the widget sends them.
fn decisions(host: &str, n: usize) -> Result<()> {
    let cfg = http(host, "GET", &format!("/api/v1/sites/{SITE}/config"), &[], b"")?;
    let cfg: serde_json::Value = serde_json::from_slice(&cfg.body).context("the site's config")?;
    let categories = cfg["categories"].as_array().context("categories")?;
    let all: Vec<&str> = categories.iter().filter_map(|c| c["id"].as_str()).collect();
    let required: Vec<&str> = categories
        .iter()
        .filter(|c| c["required"] == serde_json::json!(true))
        .filter_map(|c| c["id"].as_str())
        .collect();
    let mut some = required.clone();
    some.extend(all.iter().filter(|c| **c == "analytics"));
    for i in 0..n {
        let (action, granted) = match i % 7 {
            0..=2 => ("accept_all", &all),
            3..=4 => ("reject_all", &required),
            5 => ("custom", &some),
            _ => ("withdraw", &required),
        };
        let language = ["ru", "kk", "ru", "en", "kk"][i % 5];
        let body = serde_json::json!({
            "consent_id": uuid()?, "event_id": uuid()?, "config_version": cfg["version"], "action": action,
            "granted": granted, "language": language, "gpc": false,
        });
        let r = http(
            host,
            "POST",
            &format!("/api/v1/sites/{SITE}/consents"),
            &[("origin", "https://webpulse.kz"), ("content-type", "application/json")],
            body.to_string().as_bytes(),
        )?;
        if r.status != 201 {
            bail!("a decision was answered {}: {}", r.status, String::from_utf8_lossy(&r.body));
        }
    }
    Ok(())
}

/// The version the site serves now (the newest, once published).
fn served_version(host: &str) -> Result<String> {
    let cfg = http(host, "GET", &format!("/api/v1/sites/{SITE}/config"), &[], b"")?;
    let cfg: serde_json::Value = serde_json::from_slice(&cfg.body).context("the site's config")?;
    Ok(cfg["version"].as_str().context("the config names no version")?.to_owned())
}

/// A random UUID v4.
fn uuid() -> Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

/// One HTTP/1.1 request to `host` (`127.0.0.1:PORT`) on its own connection (closed after
/// it): the answer is read to its end.
fn http(host: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Answer> {
    let mut s = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    // Read to the end of the body its content-length gives (chromedriver keeps the connection
    // open), or to the connection's end.
    let mut all = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let split = loop {
        if let Some(p) = all.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            bail!("an answer without a head from {host}");
        }
        all.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&all[..split]).into_owned();
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok()).flatten()
    });
    loop {
        if length.is_some_and(|n| all.len() >= split + 4 + n) {
            break;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("an answer without a status")?;
    let mut body = all[split + 4..].to_vec();
    body.truncate(length.unwrap_or(body.len()));
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    Ok(Answer { status, head, body })
}

/// A chunked body's bytes.
fn dechunk(mut b: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = b.windows(2).position(|w| w == b"\r\n").context("a chunk without its size")?;
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..line]).split(';').next().unwrap_or("").trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        let start = line + 2;
        out.extend_from_slice(b.get(start..start + size).context("a chunk cut short")?);
        b = b.get(start + size + 2..).unwrap_or_default();
    }
}

fn cookie_of(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .filter_map(|l| l.split_once(':').map(|(_, v)| v.trim()))
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_owned()))
}

/// Headless Chromium through chromedriver's W3C WebDriver endpoints.
struct WebDriver {
    host: String,
    session: String,
    _driver: Stopped,
    _profile: std::path::PathBuf,
}

impl WebDriver {
    fn start(chromium: &str) -> Result<WebDriver> {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Stopped(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("could not start {chromedriver}"))?,
        );
        let host = format!("127.0.0.1:{port}");
        let profile = root().join("target/screenshots/profile");
        let caps = serde_json::json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--force-device-scale-factor=1", "--disable-lcd-text", "--font-render-hinting=full",
                     "--lang=ru",
                     format!("--window-size={WIDTH},{HEIGHT}"), format!("--user-data-dir={}", profile.display())],
        } } } });
        let deadline = Instant::now() + Duration::from_secs(30);
        let session = loop {
            match http(&host, "POST", "/session", &[("content-type", "application/json")], caps.to_string().as_bytes())
            {
                Ok(a) if a.status == 200 => {
                    let v: serde_json::Value = serde_json::from_slice(&a.body)?;
                    break v["value"]["sessionId"].as_str().context("no session id")?.to_owned();
                }
                Ok(a) => bail!("chromedriver refused a session: {}", String::from_utf8_lossy(&a.body)),
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
                Err(e) => return Err(e.context("chromedriver did not answer")),
            }
        };
        Ok(WebDriver { host, session, _driver: driver, _profile: profile })
    }

    fn post(&self, what: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        let path = format!("/session/{}{what}", self.session);
        let a = http(&self.host, "POST", &path, &[("content-type", "application/json")], body.to_string().as_bytes())?;
        let v: serde_json::Value = serde_json::from_slice(&a.body)?;
        if a.status != 200 {
            bail!("WebDriver {what}: {}", v["value"]["message"]);
        }
        Ok(v["value"].clone())
    }

    fn go(&self, url: &str) -> Result<()> {
        self.post("/url", &serde_json::json!({ "url": url })).map(|_| ())
    }

    /// Runs `script` in the page.
    fn run(&self, script: &str) -> Result<serde_json::Value> {
        self.post("/execute/sync", &serde_json::json!({ "script": script, "args": [] }))
    }

    /// The viewport as a PNG, encoded for size rather than speed (DevTools'
    /// `Page.captureScreenshot` through chromedriver; WebDriver's own screenshot is encoded fast
    /// and comes out half as large again).
    fn screenshot(&self) -> Result<Vec<u8>> {
        let v = self.post(
            "/goog/cdp/execute",
            &serde_json::json!({ "cmd": "Page.captureScreenshot", "params": { "format": "png", "optimizeForSpeed": false } }),
        )?;
        base64(v["data"].as_str().context("no screenshot")?)
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = http(&self.host, "DELETE", &format!("/session/{}", self.session), &[], b"");
    }
}

/// Standard base64 (what WebDriver sends a screenshot in).
fn base64(s: &str) -> Result<Vec<u8>> {
    let value = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("not base64: {:?}", c as char),
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let got = chunk.len() * 6 / 8;
        out.extend_from_slice(&n.to_be_bytes()[1..1 + got]);
    }
    Ok(out)
}
