//! `cargo xtask bench server --database postgres`: durable consent POSTs per second with the
//! log on PostgreSQL — one instance, and two instances on the same database (one log) — beside
//! the SQLite server and the actix-web hello world, in one run on one machine (ratios, not
//! absolute figures: the load generators, the servers and PostgreSQL share the two cores).
//! PostgreSQL is a throwaway cluster of the run's own (tests/pgcluster), with its defaults
//! (`synchronous_commit` on, `fsync` on).
//!
//! The ids are what widgets send: UUID v7 (time-ordered) from today's widget, and random v4
//! from older cookies. Every figure is measured by the in-repo generator (`kelisim-load`) and,
//! when `wrk` is installed (Debian's `wrk`; installed from apt when this runs as root), by
//! `wrk` with a Lua script that puts fresh random v4 ids in every request.

use crate::bench_server::{self, load_with, median, note, start, start_kelisim, start_kelisim_with, Sample, SECONDS};
use crate::{root, step};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const CONCURRENCIES: [u32; 3] = [16, 64, 256];
const ROUNDS: usize = 3;
const OFFERED_LOADS: [u32; 3] = [500, 1_000, 2_000];

pub(crate) const HEADERS: [&str; 3] = [
    "origin: https://webpulse.kz",
    "user-agent: kelisim-bench/1 (X11; Linux x86_64)",
    "accept-encoding: gzip, deflate, br, zstd",
];

/// Both instances at once, `c / 2` connections each (one load generator per instance);
/// requests/s summed, latencies the worse of the two.
fn load_two(tool: &Path, urls: [&str; 2], body: &Path, c: u32, ids: &str) -> Result<Sample> {
    let run = |url: &str| {
        let (tool, url, body, ids) = (tool.to_owned(), url.to_owned(), body.to_owned(), ids.to_owned());
        std::thread::spawn(move || load_with(&tool, &url, &body, &HEADERS, (c / 2).max(1), None, &[&ids]))
    };
    let (a, b) = (run(urls[0]), run(urls[1]));
    let (a, b) = (a.join().expect("a load thread")?, b.join().expect("a load thread")?);
    Ok(Sample { rps: a.rps + b.rps, p50: a.p50.max(b.p50), p99: a.p99.max(b.p99), ok: a.ok + b.ok, ..a })
}

/// What the PostgreSQL benches start from: PostgreSQL and wrk installed, the release build, a
/// fresh `target/NAME` with the data directories `dirs`, and a throwaway cluster with an empty
/// database `bench`.
pub(crate) struct PgBench {
    pub(crate) wrk: Option<PathBuf>,
    pub(crate) release: PathBuf,
    pub(crate) tool: PathBuf,
    pub(crate) data: PathBuf,
    pub(crate) cluster: kelisim_pgcluster::Cluster,
    pub(crate) url: String,
}

pub(crate) fn prepare(name: &str, dirs: &[&str]) -> Result<PgBench> {
    let bin = crate::tools::ensure_postgres()?;
    // The cluster helper finds PostgreSQL's programs through it.
    std::env::set_var("KELISIM_PG_BIN", &bin);
    let wrk = ensure_wrk();
    let release = bench_server::build_release()?;
    let tool = release.join("kelisim-load");
    let data = root().join("target").join(name);
    let _ = std::fs::remove_dir_all(&data);
    for d in dirs {
        std::fs::create_dir_all(data.join(d))?;
    }
    step("starting a PostgreSQL cluster of its own (initdb in a temporary directory)");
    let cluster = kelisim_pgcluster::Cluster::start();
    let url = cluster.create_database("bench");
    Ok(PgBench { wrk, release, tool, data, cluster, url })
}

pub fn run() -> Result<()> {
    let PgBench { wrk, release, tool, data, cluster, url } = prepare("bench-pg", &["sqlite", "pg-a", "pg-b"])?;

    let hello = start(Command::new(release.join("kelisim-hello")).current_dir(root()), "hello listening on ")?;
    let (sqlite, body) = start_kelisim(&release, &data.join("sqlite"))?;
    let (pg_a, _) = start_kelisim_with(&release, &data.join("pg-a"), &["--database", &url])?;
    let key = data.join("pg-a").join("log-signing.key");
    let key = key.to_str().context("a UTF-8 path")?;
    let (pg_b, _) = start_kelisim_with(&release, &data.join("pg-b"), &["--database", &url, "--log-key", key])?;
    let consents = |base: &str| format!("{base}/api/v1/sites/webpulse/consents");
    let (hello_url, sqlite_url, a_url, b_url) =
        (format!("{}/", hello.base), consents(&sqlite.base), consents(&pg_a.base), consents(&pg_b.base));

    for (ids, what) in [("--v7-ids", "UUID v7 ids (today's widget)"), ("--random-ids", "random v4 ids (older cookies)")]
    {
        step(&format!(
            "closed loop, {SECONDS} s per run, {ROUNDS} rounds, {what}: hello world, SQLite, PostgreSQL with one instance, PostgreSQL with two"
        ));
        println!("| connections | hello req/s | SQLite POST/s (ratio) | PostgreSQL ×1 POST/s (ratio) | PostgreSQL ×2 POST/s (ratio) | p99 ms: SQLite / PG ×1 / PG ×2 |");
        println!("|---:|---:|---:|---:|---:|---|");
        for c in CONCURRENCIES {
            let (mut h, mut s, mut p1, mut p2) = (vec![], vec![], vec![], vec![]);
            let mut notes = String::new();
            for _ in 0..ROUNDS {
                h.push(load_with(&tool, &hello_url, &body, &HEADERS, c, None, &[])?);
                let k = load_with(&tool, &sqlite_url, &body, &HEADERS, c, None, &[ids])?;
                notes.push_str(&note(&k));
                s.push(k);
                let k = load_with(&tool, &a_url, &body, &HEADERS, c, None, &[ids])?;
                notes.push_str(&note(&k));
                p1.push(k);
                let k = load_two(&tool, [&a_url, &b_url], &body, c, ids)?;
                notes.push_str(&note(&k));
                p2.push(k);
            }
            let m = |v: &[Sample], f: fn(&Sample) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
            let hr = m(&h, |x| x.rps).max(1.0);
            println!(
                "| {c} | {hr:.0} | {:.0} ({:.2}) | {:.0} ({:.2}) | {:.0} ({:.2}) | {:.1} / {:.1} / {:.1} |{notes}",
                m(&s, |x| x.rps),
                m(&s, |x| x.rps) / hr,
                m(&p1, |x| x.rps),
                m(&p1, |x| x.rps) / hr,
                m(&p2, |x| x.rps),
                m(&p2, |x| x.rps) / hr,
                m(&s, |x| x.p99),
                m(&p1, |x| x.p99),
                m(&p2, |x| x.p99),
            );
        }
    }

    step(&format!("open loop (fixed offered load), {SECONDS} s per run, 64 connections, v7 ids: p99 latency"));
    println!("| offered req/s | SQLite achieved / p50 / p99 ms | PostgreSQL ×1 achieved / p50 / p99 ms |");
    println!("|---:|---|---|");
    for rate in OFFERED_LOADS {
        let s = load_with(&tool, &sqlite_url, &body, &HEADERS, 64, Some(rate), &["--v7-ids"])?;
        let p = load_with(&tool, &a_url, &body, &HEADERS, 64, Some(rate), &["--v7-ids"])?;
        println!(
            "| {rate} | {:.0} / {:.2} / {:.2} | {:.0} / {:.2} / {:.2} |{}{}",
            s.rps,
            s.p50,
            s.p99,
            p.rps,
            p.p50,
            p.p99,
            note(&s),
            note(&p)
        );
    }

    match &wrk {
        Some(wrk) => {
            step(&format!("wrk, 2 threads, {SECONDS} s per run, fresh random v4 ids in every request (Lua)"));
            let script = data.join("post.lua");
            std::fs::write(&script, wrk_script(&body)?)?;
            println!("| connections | hello req/s | SQLite POST/s (ratio) | PostgreSQL ×1 POST/s (ratio) | p99 ms: SQLite / PG ×1 |");
            println!("|---:|---:|---:|---:|---|");
            for c in CONCURRENCIES {
                let h = run_wrk(wrk, &hello_url, c, None)?;
                let s = run_wrk(wrk, &sqlite_url, c, Some(&script))?;
                let p = run_wrk(wrk, &a_url, c, Some(&script))?;
                println!(
                    "| {c} | {:.0} | {:.0} ({:.2}) | {:.0} ({:.2}) | {} / {} |",
                    h.0,
                    s.0,
                    s.0 / h.0.max(1.0),
                    p.0,
                    p.0 / h.0.max(1.0),
                    s.1,
                    p.1
                );
            }
        }
        None => println!("\n(wrk is not installed and this is not root: no wrk figures)"),
    }
    let events = cluster.psql("bench", "SELECT count(*) FROM events");
    let size = cluster.psql("bench", "SELECT pg_database_size('bench')");
    println!(
        "\nPostgreSQL: {} events, database {} MiB; `kelisim log verify` on it:",
        events.trim(),
        size.trim().parse::<u64>().unwrap_or(0) >> 20
    );
    let verify = Command::new(release.join("kelisim"))
        .args(["log", "verify", "--data"])
        .arg(data.join("pg-a"))
        .args(["--database", &url, "--quick"])
        .output()?;
    print!("{}", String::from_utf8_lossy(&verify.stdout));
    if !verify.status.success() {
        bail!("log verify failed: {}", String::from_utf8_lossy(&verify.stderr));
    }
    drop((hello, sqlite, pg_a, pg_b));
    drop(cluster);
    let _ = bench_server::cleanup(&data);
    Ok(())
}

/// `wrk` on PATH, or from apt when this runs as root; `None` otherwise.
pub(crate) fn ensure_wrk() -> Option<PathBuf> {
    let found = || ["/usr/bin/wrk", "/usr/local/bin/wrk"].into_iter().map(PathBuf::from).find(|p| p.exists());
    if let Some(p) = found() {
        return Some(p);
    }
    let root_user = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if root_user {
        step("installing wrk from apt");
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
    }
    found()
}

/// A wrk script that POSTs the event template with fresh random v4 ids in every request, with
/// the headers a browser's widget sends.
pub(crate) fn wrk_script(template: &Path) -> Result<String> {
    let body = std::fs::read_to_string(template)?;
    let quoted = serde_json::to_string(&body)?;
    Ok(format!(
        r#"-- Generated by cargo xtask bench server --database postgres.
local template = {quoted}
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["origin"] = "https://webpulse.kz"
wrk.headers["user-agent"] = "kelisim-bench/1 (X11; Linux x86_64)"
wrk.headers["accept-encoding"] = "gzip, deflate, br, zstd"
local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
local function v4()
  local b = {{}}
  for i = 1, 16 do b[i] = math.random(0, 255) end
  b[7] = 64 + b[7] % 16
  b[9] = 128 + b[9] % 64
  local h = string.format(string.rep("%02x", 16), unpack(b))
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20) .. "-" .. h:sub(21, 32)
end
function request()
  local body = template:gsub("{{event_id}}", v4()):gsub("{{consent_id}}", v4())
  return wrk.format(nil, nil, nil, body)
end
"#
    ))
}

/// One wrk run: (requests/s of 2xx answers, p99 as wrk prints it).
pub(crate) fn run_wrk(wrk: &Path, url: &str, c: u32, script: Option<&Path>) -> Result<(f64, String)> {
    let mut cmd = Command::new(wrk);
    cmd.args(["-t", "2", "-c", &c.to_string(), "-d", &format!("{SECONDS}s"), "--latency"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    // "  123456 requests in 5.00s, 12.34MB read"
    let requests: f64 = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    let non2xx: f64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0);
    let seconds: f64 = SECONDS.parse().unwrap_or(5.0);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "?".into());
    Ok(((requests - non2xx) / seconds, p99))
}
