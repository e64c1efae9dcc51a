//! # kelisim-tests
//!
//! Harness for the end-to-end tests in `tests/tests/`: starts the real `kelisim` binary on
//! 127.0.0.1 with its own SQLite file, talks HTTP to it, and drives a real headless Chromium
//! through chromedriver. Nothing here mocks the browser, the database or HTTP.
//!
//! `cargo xtask test` builds the binary and the widget first and sets `KELISIM_BIN`,
//! `CHROMIUM` and `CHROMEDRIVER`.

#![forbid(unsafe_code)]

pub mod admin;
pub mod browser;
pub mod bundle;
pub mod consent;
pub mod dashboard;
pub mod pages;
pub mod shop;
pub mod store;
pub mod widget_page;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The `kelisim` binary under test.
pub fn bin() -> PathBuf {
    let p = std::env::var_os("KELISIM_BIN").map(PathBuf::from).unwrap_or_else(|| root().join("target/debug/kelisim"));
    assert!(p.exists(), "{} does not exist: run the tests with `cargo xtask test`", p.display());
    p
}

/// Runs `kelisim ARGS…` to completion.
pub fn cli(args: &[&str]) -> Output {
    Command::new(bin()).args(args).current_dir(root()).output().expect("kelisim runs")
}

/// Runs `kelisim ARGS…` with `input` on standard input.
pub fn cli_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kelisim runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A copy of the demo site files in a temporary directory, for tests that change them.
pub fn demo_sites_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("www/sites")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("toml") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// A sites directory holding `shared/testdata/example.toml` (three categories, Yandex.Metrica
/// cookies declared) with `origins` set to `origin`, and `edit` applied to its text.
pub fn example_site(origin: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("shared/testdata/example.toml")).unwrap();
    let text = text.replace(
        r#"origins = ["https://example.kz", "https://www.example.kz"]"#,
        &format!(r#"origins = ["{origin}"]"#),
    );
    assert!(text.contains(origin), "the example site file's origins line changed");
    std::fs::write(dir.path().join("example.toml"), edit(text)).unwrap();
    dir
}

/// A running `kelisim serve`, killed on drop.
pub struct Kelisim {
    child: Child,
    pub base: String,
    pub data: tempfile::TempDir,
    /// Where it keeps its log: the SQLite file in `data`, or a PostgreSQL database.
    pub store: store::Store,
    stderr: mpsc::Receiver<String>,
}

/// A server that exited before it listened: what it printed on standard error (read as a `str`).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl std::ops::Deref for Refused {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Kelisim {
    /// The demo sites, demo mode on, a fresh data directory, a free port.
    /// The per-address rate limit is off: every test client is 127.0.0.1, and tests that seed
    /// the log post faster than any visitor would (the rate limit has its own test).
    pub fn start() -> Kelisim {
        Kelisim::start_with(&root().join("www/sites"), &["--demo", "--rate-limit", "0"])
            .unwrap_or_else(|e| panic!("kelisim did not start: {e}"))
    }

    /// Starts the server; `Err` carries what it printed if it exits before listening.
    pub fn start_with(sites: &Path, extra: &[&str]) -> Result<Kelisim, Refused> {
        let data = tempfile::tempdir().unwrap();
        Kelisim::start_in(sites, data, extra)
    }

    pub fn start_in(sites: &Path, data: tempfile::TempDir, extra: &[&str]) -> Result<Kelisim, Refused> {
        Kelisim::start_on(&store::Store::Sqlite, sites, data, extra)
    }

    /// Starts the server with its log in `store` (`--database URL` for PostgreSQL; the data
    /// directory keeps the signing key either way).
    pub fn start_on(
        store: &store::Store,
        sites: &Path,
        data: tempfile::TempDir,
        extra: &[&str],
    ) -> Result<Kelisim, Refused> {
        let listen = if extra.contains(&"--listen") { &[][..] } else { &["--listen", "127.0.0.1:0"][..] };
        let mut child = Command::new(bin())
            .arg("serve")
            .args(listen)
            .arg("--sites")
            .arg(sites)
            .arg("--data")
            .arg(data.path())
            .args(extra)
            .args(store.args())
            .env("KELISIM_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kelisim starts");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("kelisim listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let (etx, erx) = mpsc::channel();
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            let _ = etx.send(s);
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(base) => Ok(Kelisim { child, base, data, store: store.clone(), stderr: erx }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(Refused(erx.recv_timeout(Duration::from_secs(5)).unwrap_or_default()))
            }
        }
    }

    /// The server's process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's `host:port`.
    pub fn host(&self) -> String {
        self.base.strip_prefix("http://").unwrap().to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's SQLite file, opened read-only beside the running server.
    pub fn db(&self) -> rusqlite::Connection {
        assert!(!self.store.is_postgres(), "db() is the SQLite file; use query() on PostgreSQL");
        rusqlite::Connection::open_with_flags(
            self.data.path().join("kelisim.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    }

    /// The rows `sql` selects from the server's store ([`store::Store::query`]).
    pub fn query(&self, sql: &str) -> Vec<String> {
        self.store.query(self.data.path(), sql)
    }

    /// The one value `sql` selects.
    pub fn query_one(&self, sql: &str) -> String {
        let rows = self.query(sql);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
        rows.into_iter().next().unwrap()
    }

    /// Runs statements on the server's store with the owner's rights ([`store::Store::execute`]).
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        self.store.execute(self.data.path(), sql)
    }

    /// `--data DIR` and, on PostgreSQL, `--database URL`: what a command needs to reach this
    /// server's data.
    pub fn data_args(&self) -> Vec<String> {
        let mut v = vec!["--data".to_owned(), self.data.path().display().to_string()];
        v.extend(self.store.args());
        v
    }

    /// `kelisim ARGS… --data DIR [--database URL]`.
    pub fn cli(&self, args: &[&str]) -> Output {
        let data = self.data_args();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(data.iter().map(String::as_str));
        cli(&all)
    }

    pub fn count_events(&self, site: &str) -> i64 {
        let sql = self.store.pick(
            "SELECT COUNT(*) FROM events_readable WHERE site = '{site}'",
            "SELECT COUNT(*) FROM events JOIN log_sites USING (site_no) WHERE site = '{site}'",
        );
        self.query_one(&sql.replace("{site}", site)).parse().unwrap()
    }

    /// Stops the server and starts it again on the same address with the same data directory
    /// (e.g. with changed site files).
    pub fn restart(mut self, sites: &Path, extra: &[&str]) -> Kelisim {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let addr = self.base.trim_start_matches("http://").to_owned();
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        let mut args = vec!["--listen", addr.as_str()];
        args.extend_from_slice(extra);
        Kelisim::start_on(&self.store, sites, data, &args).unwrap_or_else(|e| panic!("kelisim did not restart: {e}"))
    }

    /// `kill -9`: the server gets no chance to finish anything. Returns its data directory so
    /// that a new server can be started on it.
    pub fn kill9(mut self) -> tempfile::TempDir {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
        std::mem::replace(&mut self.data, tempfile::tempdir().unwrap())
    }

    /// Stops the server and returns what it wrote to stderr.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.recv_timeout(Duration::from_secs(5)).unwrap_or_default()
    }
}

impl Drop for Kelisim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP response as the tests need it.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    // Redirects are not followed: tests look at them (and at the cookies they set).
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

fn collect(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
    let mut r = r.expect("the request reaches the server");
    let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Resp { status, headers, body }
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.call())
}

pub fn post(url: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.send(body))
}

pub fn put(url: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut req = agent().put(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.send(body))
}

/// A form POST (`application/x-www-form-urlencoded`).
pub fn post_form(url: &str, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> Resp {
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.send_form(fields.iter().copied()))
}

impl Resp {
    /// The value of a cookie this response sets.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).find_map(|(_, v)| {
            v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
    }
    pub fn set_cookie_line(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with(&format!("{name}=")))
    }
}

/// Like [`post`], but `None` when the request does not get an answer (server gone).
pub fn try_post(url: &str, headers: &[(&str, &str)], body: &str) -> Option<Resp> {
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.send(body).ok()?;
    let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().ok()?;
    Some(Resp { status, headers, body })
}

pub fn options(url: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = agent().options(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.call())
}

/// A fresh random lowercase UUID v4 (for event and consent ids in requests).
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    let mut f = std::fs::File::open("/dev/urandom").unwrap();
    f.read_exact(&mut b).unwrap();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Seeds the `webpulse` demo site's log through the real public API: `n` decisions cycling
/// through the four actions and three languages. Returns the config and, per decision,
/// (consent id, action, language).
pub fn seed(k: &Kelisim, n: usize) -> (serde_json::Value, Vec<(String, String, String)>) {
    let cfg = get(&k.url("/api/v1/sites/webpulse/config"), &[]).json();
    let ids: Vec<String> =
        cfg["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    let required =
        cfg["categories"].as_array().unwrap().iter().find(|c| c["required"] == serde_json::json!(true)).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut sent = Vec::new();
    for i in 0..n {
        let (action, granted): (&str, Vec<String>) = match i % 4 {
            0 => ("accept_all", ids.clone()),
            1 => ("reject_all", vec![required.clone()]),
            2 => ("custom", vec![required.clone(), "analytics".into()]),
            _ => ("withdraw", vec![required.clone()]),
        };
        let lang = ["ru", "kk", "en"][i % 3];
        let consent = uuid();
        let body = serde_json::json!({"consent_id": consent, "event_id": uuid(), "config_version": cfg["version"], "action": action, "granted": granted, "language": lang, "gpc": false});
        let r = post(
            &k.url("/api/v1/sites/webpulse/consents"),
            &[("origin", "https://webpulse.kz"), ("content-type", "application/json")],
            &body.to_string(),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        sent.push((consent, action.to_owned(), lang.to_owned()));
    }
    (cfg, sent)
}
