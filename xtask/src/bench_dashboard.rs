//! `cargo xtask bench dashboard [--events N] [--reuse]`: how long each dashboard page takes to
//! answer over a site log of N consent events (default 10,000,000), and over a tenth of it, so
//! that "the same at any size" is measured, not claimed (docs/BENCHMARKS.md, "Dashboard").
//! The log is filled through the real HTTP API by `kelisim-load` (1 in 100 events a withdrawal,
//! the rest Reject all), 127.0.0.1 only; the pages are read by a signed-in admin over plain
//! HTTP/1.1, each a few times after a warm-up, and the median and slowest are reported.
//! `--reuse` keeps the log of the previous run (target/bench-dashboard-data) if it is as long.

use crate::bench_server::start_kelisim;
use crate::{root, step};
use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const START: &str = "<!-- bench-dashboard:start -->";
const END: &str = "<!-- bench-dashboard:end -->";
const RUNS: usize = 9;
const BUDGET_MS: f64 = 200.0;

/// One HTTP/1.1 exchange on a fresh connection: status, headers and body as text.
fn http(base: &str, method: &str, path: &str, cookie: &str, body: &str) -> Result<(u16, String, String)> {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept-Language: ru\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nOrigin: {base}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).context("no HTTP status")?;
    Ok((status, head.to_owned(), body.to_owned()))
}

/// Fills the log to `target` events: 99 Reject all for each withdrawal.
fn fill(tool: &Path, base: &str, body: &Path, logged: &mut u64, target: u64) -> Result<()> {
    let withdraw = body.with_file_name("event-withdraw.json");
    std::fs::write(&withdraw, std::fs::read_to_string(body)?.replace("\"reject_all\"", "\"withdraw\""))?;
    while *logged < target {
        let left = target - *logged;
        for (file, n) in [(body, left - left / 100), (withdraw.as_path(), left / 100)] {
            if n == 0 {
                continue;
            }
            let out = Command::new(tool)
                .args(["run", "--url", &format!("{base}/api/v1/sites/webpulse/consents"), "--body"])
                .arg(file)
                .args(["--header", "origin: https://webpulse.kz", "--header", "user-agent: kelisim-bench/1"])
                .args(["--concurrency", "128", "--seconds", "120", "--max-requests", &n.to_string(), "--random-ids"])
                .output()?;
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).context("kelisim-load output")?;
            let created = j["statuses"]["201"].as_u64().unwrap_or(0);
            if created == 0 {
                bail!("the server logged nothing: {}", String::from_utf8_lossy(&out.stdout));
            }
            *logged += created;
        }
        println!("    {logged} events logged");
    }
    Ok(())
}

/// Median and slowest answer of `path`, in ms, after one warm-up.
fn time(base: &str, cookie: &str, path: &str) -> Result<(f64, f64)> {
    let (status, _, body) = http(base, "GET", path, cookie, "")?;
    if status != 200 {
        bail!("GET {path}: {status} {}", body.chars().take(300).collect::<String>());
    }
    // A page for the signed-in admin (the CSV has no page around it), not the login form.
    if !path.contains(".csv") && !body.contains("<span class=\"who\"") {
        bail!("GET {path} did not answer as the signed-in admin: {}", body.chars().take(300).collect::<String>());
    }
    let mut ms = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let (status, _, _) = http(base, "GET", path, cookie, "")?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            bail!("GET {path}: {status}");
        }
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms[RUNS / 2], ms[RUNS - 1]))
}

pub fn run(args: &[String]) -> Result<()> {
    let mut events: u64 = 10_000_000;
    let mut reuse = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--events" => {
                events = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n >= 1000)
                    .context("--events takes a number >= 1000")?
            }
            "--reuse" => reuse = true,
            other => bail!("unknown option `{other}`: cargo xtask bench dashboard [--events N] [--reuse]"),
        }
    }
    let release = crate::bench_server::build_release()?;
    let data = root().join("target/bench-dashboard-data");
    let kept = data.join("events");
    let mut logged: u64 =
        if reuse { std::fs::read_to_string(&kept).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0) } else { 0 };
    if logged == 0 {
        let _ = std::fs::remove_dir_all(&data);
    }
    std::fs::create_dir_all(&data)?;
    // An admin account for the bench (the data directory is the bench's own).
    let mut add = Command::new(release.join("kelisim"))
        .args(["admin", "add", "bench", "--role", "admin", "--password-stdin", "--data"])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    add.stdin.take().context("stdin")?.write_all(b"bench dashboard password\n")?;
    add.wait()?; // already there on a reused log: fine
    let (server, body) = start_kelisim(&release, &data)?;
    let tool = release.join("kelisim-load");
    let (status, head, _) =
        http(&server.base, "POST", "/admin/login", "", "username=bench&password=bench+dashboard+password")?;
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .find(|c| c.starts_with("kelisim_admin="))
        .with_context(|| format!("no session after signing in ({status})"))?
        .to_owned();
    let mut table = String::from("| events | page | median ms | slowest ms |\n|---:|---|---:|---:|\n");
    let mut over = Vec::new();
    for target in [events / 10, events] {
        if logged < target {
            step(&format!("filling the log to {target} events through POST /api/v1/sites/webpulse/consents"));
            fill(&tool, &server.base, &body, &mut logged, target)?;
            std::fs::write(&kept, logged.to_string())?;
        }
        let (_, _, configs) = http(&server.base, "GET", "/admin/sites/webpulse/configs", &cookie, "")?;
        let version = configs
            .split("/admin/sites/webpulse/configs/")
            .nth(1)
            .and_then(|s| s.split(['"', '?']).next())
            .context("no text version on the versions page")?
            .to_owned();
        let s = "/admin/sites/webpulse";
        let pages = [
            ("sites list", "/admin/".to_owned()),
            ("overview, 30 days", format!("{s}/")),
            ("overview, 90 days", format!("{s}/?days=90")),
            ("overview as CSV, 90 days", format!("{s}/overview.csv?days=90")),
            ("log, newest page", format!("{s}/log")),
            ("log, withdrawals only", format!("{s}/log?action=withdraw")),
            // Nothing matches: the page looks through its whole window (200,000 records).
            ("log, a category none granted", format!("{s}/log?category=marketing")),
            ("log, one visitor's history", format!("{s}/log?consent_id=0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f")),
            ("withdrawals", format!("{s}/withdrawals")),
            ("text versions", format!("{s}/configs")),
            ("one text version", format!("{s}/configs/{version}")),
            ("scan", format!("{s}/scan")),
            ("install", format!("{s}/install")),
            ("export", format!("{s}/export")),
            ("audit trail", "/admin/audit".to_owned()),
        ];
        step(&format!("{logged} events: each page {RUNS} times after a warm-up"));
        for (name, path) in &pages {
            let (median, slowest) = time(&server.base, &cookie, path)?;
            println!("    {name:<28} median {median:>7.1} ms, slowest {slowest:>7.1} ms");
            table.push_str(&format!("| {logged} | {name} | {median:.1} | {slowest:.1} |\n"));
            if median > BUDGET_MS {
                over.push(format!("{name} at {logged} events: {median:.0} ms"));
            }
        }
    }
    drop(server);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let section = format!(
        "{START}\n{table}\nMeasured by `cargo xtask bench dashboard --events {events}` on {cpu} ({} cores); the release build, \
         one signed-in admin, a fresh connection per request, {RUNS} requests per page after a warm-up; budget {BUDGET_MS} ms.\n{END}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let doc = root().join("docs/BENCHMARKS.md");
    let text = std::fs::read_to_string(&doc)?;
    let updated = match (text.find(START), text.find(END)) {
        (Some(a), Some(b)) => format!("{}{section}{}", &text[..a], &text[b + END.len()..]),
        _ => format!("{}\n## Dashboard\n\n{section}\n", text.trim_end()),
    };
    std::fs::write(&doc, updated)?;
    println!("\ndocs/BENCHMARKS.md updated");
    if !over.is_empty() {
        bail!("over the {BUDGET_MS} ms budget: {}", over.join("; "));
    }
    Ok(())
}
