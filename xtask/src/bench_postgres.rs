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
//! `wrk` with a Lua script that puts fresh v7 or v4 ids in every request; wrk's hello world is
//! given the same script's POSTs (and plain GETs, for reference).

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
/// fresh `target/NAME` with the data directories `dirs`, and (when `postgres`) a throwaway
/// cluster with an empty database `bench` and its URL.
pub(crate) struct PgBench {
    pub(crate) wrk: Option<PathBuf>,
    pub(crate) release: PathBuf,
    pub(crate) tool: PathBuf,
    pub(crate) data: PathBuf,
    pub(crate) pg: Option<(kelisim_pgcluster::Cluster, String)>,
}

pub(crate) fn prepare(name: &str, dirs: &[&str], postgres: bool) -> Result<PgBench> {
    if postgres {
        let bin = crate::tools::ensure_postgres()?;
        // The cluster helper finds PostgreSQL's programs through it.
        std::env::set_var("KELISIM_PG_BIN", &bin);
    }
    let wrk = ensure_wrk();
    let release = bench_server::build_release()?;
    let tool = release.join("kelisim-load");
    let data = root().join("target").join(name);
    let _ = std::fs::remove_dir_all(&data);
    for d in dirs {
        std::fs::create_dir_all(data.join(d))?;
    }
    let pg = postgres.then(|| {
        step("starting a PostgreSQL cluster of its own (initdb in a temporary directory)");
        let cluster = kelisim_pgcluster::Cluster::start();
        let url = cluster.create_database("bench");
        (cluster, url)
    });
    Ok(PgBench { wrk, release, tool, data, pg })
}

pub fn run() -> Result<()> {
    let PgBench { wrk, release, tool, data, pg } = prepare("bench-pg", &["sqlite", "pg-a", "pg-b"], true)?;
    let (cluster, url) = pg.context("prepare starts the cluster when asked")?;

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
            step(&format!("wrk, 2 threads, {SECONDS} s per run, fresh ids in every request (Lua)"));
            // The ratios divide by the hello world given the same script's POSTs (the same
            // client-side cost per request, as the in-repo generator's runs do); plain GETs to
            // it, as wrk is usually run, for reference.
            println!("| ids | connections | hello req/s: GET / the same POSTs | SQLite POST/s (÷ hello POSTs; ÷ GETs) | PostgreSQL ×1 POST/s (÷ hello POSTs; ÷ GETs) | p99 ms: SQLite / PG ×1 |");
            println!("|---|---:|---:|---:|---:|---|");
            for (v7, ids) in [(true, "v7"), (false, "v4")] {
                let script = data.join(format!("post-{ids}.lua"));
                std::fs::write(&script, wrk_script(&body, v7)?)?;
                for c in CONCURRENCIES {
                    let g = run_wrk(wrk, &hello_url, c, None)?;
                    let h = run_wrk(wrk, &hello_url, c, Some(&script))?;
                    let s = run_wrk(wrk, &sqlite_url, c, Some(&script))?;
                    let p = run_wrk(wrk, &a_url, c, Some(&script))?;
                    let ratios = |x: f64| format!("{:.2}; {:.2}", x / h.0.max(1.0), x / g.0.max(1.0));
                    println!(
                        "| {ids} | {c} | {:.0} / {:.0} | {:.0} ({}) | {:.0} ({}) | {} / {} |",
                        g.0,
                        h.0,
                        s.0,
                        ratios(s.0),
                        p.0,
                        ratios(p.0),
                        s.1,
                        p.1
                    );
                }
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

/// A wrk script that POSTs the event template with fresh ids in every request — random v4 ids
/// (older cookies) or, with `v7`, UUID v7 ids (today's widget: Unix milliseconds first, then
/// random bits; wrk's Lua has only a clock in seconds, so the milliseconds are a per-thread
/// counter within the past second) — with the headers a browser's widget sends. Cheap per
/// request (the template split once, a few 16-bit random numbers and one `string.format` per
/// id): wrk's Lua runs on the same two cores as the servers, and the hello world is given the
/// same POSTs (`run_wrk`'s callers), so that what the script costs is paid by both sides of a
/// ratio.
pub(crate) fn wrk_script(template: &Path, v7: bool) -> Result<String> {
    let body = std::fs::read_to_string(template)?;
    match (body.find("{consent_id}"), body.find("{event_id}")) {
        (Some(c), Some(e)) if c < e => {}
        _ => bail!("{}: the template needs {{consent_id}}, then {{event_id}}", template.display()),
    }
    let quoted = serde_json::to_string(&body)?;
    Ok(format!(
        r#"-- Generated by cargo xtask bench server (--database postgres, --stored N).
local template = {quoted}
local function split(s, key)
  local i, j = s:find(key, 1, true)
  return s:sub(1, i - 1), s:sub(j + 1)
end
local head, rest = split(template, "{{consent_id}}")
local mid, tail = split(rest, "{{event_id}}")
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
local r, fmt, floor = math.random, string.format, math.floor
-- A random UUID v4: 122 random bits, version 4, variant 10.
local function v4()
  return fmt("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x", r(0, 65535), r(0, 65535), r(0, 65535),
    r(0, 4095), 32768 + r(0, 16383), r(0, 65535), r(0, 65535), r(0, 65535))
end
-- A UUID v7: 48 bits of Unix milliseconds, version 7, 74 random bits, variant 10.
local k = 0
local function v7()
  k = k + 1
  local ms = (os.time() - 1) * 1000 + k % 1000
  local low = ms % 4294967296
  return fmt("%04x%04x-%04x-7%03x-%04x-%04x%04x%04x", floor(ms / 4294967296), floor(low / 65536),
    low % 65536, r(0, 4095), 32768 + r(0, 16383), r(0, 65535), r(0, 65535), r(0, 65535))
end
local make_id = {make_id}
function request()
  return wrk.format(nil, nil, nil, head .. make_id() .. mid .. make_id() .. tail)
end
"#,
        make_id = if v7 { "v7" } else { "v4" }
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
    // A script whose requests the server refuses (an id it does not accept, a changed template)
    // would otherwise show up only as a low rate.
    if non2xx > requests / 100.0 {
        bail!("wrk: {non2xx} of {requests} answers to {url} were not 2xx:\n{text}");
    }
    let seconds: f64 = SECONDS.parse().unwrap_or(5.0);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "?".into());
    Ok(((requests - non2xx) / seconds, p99))
}

#[cfg(test)]
mod tests {
    use super::wrk_script;

    /// A template file of its own for each call (the tests run in parallel).
    fn template(text: &str) -> std::path::PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("kelisim-wrk-template-{}-{n}.json", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn the_wrk_script_splits_the_template_at_both_ids_and_makes_the_ids_asked_for() {
        let t = template(r#"{"consent_id": "{consent_id}", "event_id": "{event_id}", "action": "reject_all"}"#);
        let v4 = wrk_script(&t, false).unwrap();
        let v7 = wrk_script(&t, true).unwrap();
        let _ = std::fs::remove_file(&t);
        for s in [&v4, &v7] {
            assert!(
                s.contains(r#"split(template, "{consent_id}")"#) && s.contains(r#"split(rest, "{event_id}")"#),
                "{s}"
            );
            assert!(s.contains(r#"local template = "{\"consent_id\": \"{consent_id}\""#), "{s}");
        }
        assert!(v4.contains("local make_id = v4\n") && v7.contains("local make_id = v7\n"));
    }

    #[test]
    fn a_template_without_both_ids_in_order_is_refused() {
        for text in [r#"{"event_id": "{event_id}"}"#, r#"{"event_id": "{event_id}", "consent_id": "{consent_id}"}"#] {
            let t = template(text);
            let e = wrk_script(&t, false).unwrap_err().to_string();
            let _ = std::fs::remove_file(&t);
            assert!(e.contains("needs {consent_id}, then {event_id}"), "{e}");
        }
    }
}
