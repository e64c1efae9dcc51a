//! `cargo xtask bench server --stored N`: does a big log slow the write path? Durable consent
//! POSTs per second on SQLite and on PostgreSQL (one instance), first on a nearly empty log, then
//! after each log was filled to N events through the HTTP API — the same runs, the same machine,
//! the hello world measured in both phases so a busier machine shows up as a lower hello figure
//! rather than as a slower log.
//!
//! The fill uses random v4 ids (the worst case for the `(consent_id, event_id)` index: every
//! insert lands on a random page of it); the measurements use v7 and v4 ids with the in-repo
//! generator, and v4 ids with `wrk` when it is installed.

use crate::bench_postgres::{prepare, run_wrk, wrk_script, PgBench, HEADERS};
use crate::bench_server::{self, load_with, median, note, start, start_kelisim, start_kelisim_with, Sample};
use crate::{root, step};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

const CONCURRENCIES: [u32; 2] = [64, 256];
const ROUNDS: usize = 3;

/// One phase's figures: (what, connections) → POST/s (median of the rounds), p99 ms.
type Figures = Vec<(String, u32, f64, f64)>;

/// `store`: measure and fill only this one (`sqlite` or `postgres`), both otherwise.
pub fn run(events: u64, store: Option<&str>) -> Result<()> {
    let (with_sqlite, with_pg) = (store != Some("postgres"), store != Some("sqlite"));
    // Only what is measured is started: `--store sqlite` needs no PostgreSQL at all.
    let PgBench { wrk, release, tool, data, pg } = prepare("bench-stored", &["sqlite", "pg"], with_pg)?;
    let hello = start(Command::new(release.join("kelisim-hello")).current_dir(root()), "hello listening on ")?;
    let sqlite = with_sqlite.then(|| start_kelisim(&release, &data.join("sqlite"))).transpose()?;
    let pg_server = match &pg {
        Some((_, url)) => Some(start_kelisim_with(&release, &data.join("pg"), &["--database", url])?),
        None => None,
    };
    // The event template each server made from its own config (the same site files, so the same
    // body).
    let body = sqlite.iter().chain(&pg_server).map(|(_, b)| b.clone()).next().context("no store to measure")?;
    let consents = |base: &str| format!("{base}/api/v1/sites/webpulse/consents");
    let urls: Vec<(&str, String)> = [("SQLite", &sqlite), ("PostgreSQL", &pg_server)]
        .into_iter()
        .filter_map(|(name, server)| server.as_ref().map(|(s, _)| (name, consents(&s.base))))
        .collect();
    let hello_url = format!("{}/", hello.base);
    let script = data.join("post.lua");
    std::fs::write(&script, wrk_script(&body, false)?)?;
    let wrk = wrk.as_deref();

    let empty = measure(&tool, &body, &hello_url, &urls, wrk, &script, "a nearly empty log")?;
    step(&format!(
        "filling {} to {events} events (random v4 ids, 256 connections each, at once)",
        if urls.len() > 1 { "both logs" } else { "the log" }
    ));
    let started = std::time::Instant::now();
    let fills: Vec<_> = urls
        .iter()
        .map(|(name, url)| {
            let (tool, body, url, name) = (tool.clone(), body.clone(), url.clone(), *name);
            let base = url.trim_end_matches("/api/v1/sites/webpulse/consents").to_owned();
            std::thread::spawn(move || fill(&tool, &body, &url, &base, name, events))
        })
        .collect();
    for f in fills {
        f.join().expect("a fill thread")?;
    }
    println!("    filled in {:.0} s", started.elapsed().as_secs_f64());
    let full = measure(&tool, &body, &hello_url, &urls, wrk, &script, &format!("{events} events stored"))?;

    step("results");
    if let Some((server, _)) = &sqlite {
        let size = std::fs::metadata(data.join("sqlite/kelisim.sqlite")).map(|m| m.len()).unwrap_or(0);
        println!("At the end: SQLite {} events ({} MiB).", records(&server.base)?, size >> 20);
    }
    if let (Some((server, _)), Some((cluster, _))) = (&pg_server, &pg) {
        let size: u64 = cluster.psql("bench", "SELECT pg_database_size('bench')").trim().parse().unwrap_or(0);
        println!("At the end: PostgreSQL {} events ({} MiB).", records(&server.base)?, size >> 20);
    }
    println!();
    // Two ratios: as measured, and with each figure divided by its phase's hello world first
    // (which moves when the machine's load does, e.g. ±30 % between phases on these cores).
    println!("| store, ids, tool | connections | nearly empty log: POST/s (÷ hello) | ≥ {events} stored: POST/s (÷ hello) | stored ÷ empty | the same, each ÷ its hello | p99 ms empty / stored |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    // Each tool's figures against its own hello world.
    let hello_of = |f: &Figures, what: &str, c: u32| {
        let hello = if what.ends_with("wrk") { "hello, wrk" } else { "hello" };
        f.iter().find(|r| r.0 == hello && r.1 == c).map(|r| r.2).unwrap_or(1.0)
    };
    for (e, s) in empty.iter().zip(&full).filter(|(e, _)| !e.0.starts_with("hello")) {
        let (he, hs) = (hello_of(&empty, &e.0, e.1), hello_of(&full, &e.0, e.1));
        println!(
            "| {} | {} | {:.0} ({:.2}) | {:.0} ({:.2}) | {:.2} | {:.2} | {:.1} / {:.1} |",
            e.0,
            e.1,
            e.2,
            e.2 / he,
            s.2,
            s.2 / hs,
            s.2 / e.2,
            (s.2 / hs) / (e.2 / he),
            e.3,
            s.3
        );
    }
    // The servers before the cluster they write to.
    drop((hello, sqlite, pg_server));
    drop(pg);
    let _ = bench_server::cleanup(&data);
    Ok(())
}

/// The closed-loop runs of one phase: hello world, then each store with v7 and v4 ids by the
/// in-repo generator and v4 ids by wrk.
fn measure(
    tool: &Path,
    body: &Path,
    hello_url: &str,
    urls: &[(&str, String)],
    wrk: Option<&Path>,
    script: &Path,
    phase: &str,
) -> Result<Figures> {
    step(&format!("{phase}: closed loop, {} s per run, {ROUNDS} rounds", bench_server::SECONDS));
    let mut out = Figures::new();
    for c in CONCURRENCIES {
        let mut hello = vec![];
        let mut runs: Vec<(String, Vec<Sample>)> = vec![];
        for round in 0..ROUNDS {
            hello.push(load_with(tool, hello_url, body, &HEADERS, c, None, &[])?);
            for (name, url) in urls {
                for (ids, label) in [("--v7-ids", "v7 ids"), ("--random-ids", "v4 ids")] {
                    let s = load_with(tool, url, body, &HEADERS, c, None, &[ids])?;
                    let what = format!("{name}, {label}, kelisim-load");
                    print!("{}", note(&s));
                    match runs.iter_mut().find(|r| r.0 == what) {
                        Some(r) => r.1.push(s),
                        None => runs.push((what, vec![s])),
                    }
                }
            }
            let _ = round;
        }
        let m = |v: &[Sample], f: fn(&Sample) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
        out.push(("hello".into(), c, m(&hello, |s| s.rps), m(&hello, |s| s.p99)));
        println!("    {c} connections: hello {:.0} req/s", m(&hello, |s| s.rps));
        for (what, v) in runs {
            println!("    {c} connections: {what} {:.0} POST/s, p99 {:.1} ms", m(&v, |s| s.rps), m(&v, |s| s.p99));
            out.push((what, c, m(&v, |s| s.rps), m(&v, |s| s.p99)));
        }
        if let Some(wrk) = wrk {
            // The hello world gets the same script's POSTs: what wrk's Lua costs per request is
            // then paid on both sides of the ratio.
            let hello: Vec<f64> =
                (0..ROUNDS).map(|_| run_wrk(wrk, hello_url, c, Some(script)).map(|h| h.0)).collect::<Result<_>>()?;
            println!("    {c} connections: hello by wrk (the same POSTs) {:.0} req/s", median(&hello));
            out.push(("hello, wrk".into(), c, median(&hello), f64::NAN));
            for (name, url) in urls {
                let mut r = vec![];
                let mut p99 = String::new();
                for _ in 0..ROUNDS {
                    let (rps, p) = run_wrk(wrk, url, c, Some(script))?;
                    r.push(rps);
                    p99 = p;
                }
                let what = format!("{name}, v4 ids, wrk");
                println!("    {c} connections: {what} {:.0} POST/s, p99 {p99} (last round)", median(&r));
                out.push((what, c, median(&r), wrk_ms(&p99)));
            }
        }
    }
    Ok(out)
}

/// wrk's latency ("12.34ms", "1.20s", "900.00us") in milliseconds.
fn wrk_ms(s: &str) -> f64 {
    let (n, scale) = if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, f64::NAN)
    };
    n.parse::<f64>().map(|v| v * scale).unwrap_or(f64::NAN)
}

/// POSTs random-id decisions to `url` until the log holds `target` records (the first phase's
/// runs already logged some).
fn fill(tool: &Path, body: &Path, url: &str, base: &str, name: &str, target: u64) -> Result<()> {
    let mut logged = records(base)?;
    while logged < target {
        let out = Command::new(tool)
            .args(["run", "--url", url, "--body"])
            .arg(body)
            .args(["--header", HEADERS[0], "--header", HEADERS[1], "--random-ids"])
            .args(["--concurrency", "256", "--seconds", "120", "--max-requests", &(target - logged).to_string()])
            .output()?;
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).context("kelisim-load output")?;
        let created = j["statuses"]["201"].as_u64().unwrap_or(0);
        if created == 0 {
            bail!("{name} logged nothing: {}", String::from_utf8_lossy(&out.stdout));
        }
        logged += created;
        println!("    {name}: {logged} events logged");
    }
    Ok(())
}

/// The number of records the server reports for the demo site (`kelisim_log_records` on
/// /metrics), fetched with curl.
fn records(base: &str) -> Result<u64> {
    let out = Command::new("curl").args(["-s", &format!("{base}/metrics")]).output().context("curl")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("kelisim_log_records{site=\"webpulse\"} "))
        .and_then(|n| n.trim().parse().ok())
        .context("no kelisim_log_records for webpulse on /metrics")
}
