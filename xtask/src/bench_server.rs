//! `cargo xtask bench server`: durable consent POSTs against an actix-web hello-world, in one
//! run, on one machine, with one load generator (`kelisim-load`, see bench/server/), 127.0.0.1 only.
//! It reports ratios, not absolute figures (docs/BENCHMARKS.md, "Server"): the load generator
//! and the servers share the machine's cores.

use crate::{cargo, root, step};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub(crate) const SECONDS: &str = "5";
const CONCURRENCIES: [u32; 3] = [16, 64, 256];
/// Closed-loop runs per concurrency, hello world and consent alternating.
const ROUNDS: usize = 3;
const OFFERED_LOADS: [u32; 3] = [500, 2_000, 5_000];

pub fn run(args: &[String]) -> Result<()> {
    match args {
        [] => server(),
        [flag, db] if flag == "--database" && db == "postgres" => crate::bench_postgres::run(),
        [flag, n, rest @ ..] if flag == "--stored" => {
            let store = match rest {
                [] => None,
                [flag, s] if flag == "--store" && (s == "sqlite" || s == "postgres") => Some(s.as_str()),
                _ => bail!("after `--stored N` only `--store sqlite` or `--store postgres` (got `{}`)", rest.join(" ")),
            };
            match n.replace('_', "").parse::<u64>() {
                Ok(n) if n > 0 => crate::bench_stored::run(n, store),
                _ => bail!("--stored takes a number of events (got `{n}`)"),
            }
        }
        _ => bail!(
            "`cargo xtask bench server` takes no arguments, `--database postgres` or `--stored N [--store sqlite|postgres]` (got `{}`)",
            args.join(" ")
        ),
    }
}

/// A child process killed when dropped, so an error never leaves a server running.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(cmd: &mut Command, marker: &str) -> Result<Server> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().context("starting a server")?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(url) = l.strip_prefix(marker) {
                    break url.trim().to_owned();
                }
            }
            _ => bail!("the server stopped before listening"),
        }
    };
    // Keep reading stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Server { child, base })
}

pub(crate) struct Sample {
    pub(crate) rps: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) ok: u64,
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) other: String,
}

fn load(tool: &Path, url: &str, body: &Path, headers: &[&str], concurrency: u32, rate: Option<u32>) -> Result<Sample> {
    load_with(tool, url, body, headers, concurrency, rate, &[])
}

pub(crate) fn load_with(
    tool: &Path,
    url: &str,
    body: &Path,
    headers: &[&str],
    concurrency: u32,
    rate: Option<u32>,
    extra: &[&str],
) -> Result<Sample> {
    let mut cmd = Command::new(tool);
    cmd.args(["run", "--url", url, "--body"]).arg(body).args(extra);
    for h in headers {
        cmd.args(["--header", h]);
    }
    cmd.args(["--concurrency", &concurrency.to_string(), "--seconds", SECONDS]);
    if let Some(r) = rate {
        cmd.args(["--rate", &r.to_string()]);
    }
    let out = cmd.output().context("running kelisim-load")?;
    if !out.status.success() {
        bail!("kelisim-load failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).context("kelisim-load output")?;
    let f = |k: &str| j[k].as_f64().unwrap_or(0.0);
    let statuses = j["statuses"].as_object().cloned().unwrap_or_default();
    let other = statuses
        .iter()
        .filter(|(s, _)| !s.starts_with('2'))
        .map(|(s, n)| format!("{s}×{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Sample {
        rps: f("rps"),
        p50: f("p50_ms"),
        p99: f("p99_ms"),
        ok: j["ok"].as_u64().unwrap_or(0),
        requests: j["requests"].as_u64().unwrap_or(0),
        errors: j["errors"].as_u64().unwrap_or(0),
        other,
    })
}

/// The release `kelisim` on a free port with the demo sites, no rate limit and no cap on the
/// connections of one address (the load comes from one address, with up to 256 connections),
/// and a consent event template for `webpulse` made by `kelisim-load`.
pub(crate) fn start_kelisim(release: &Path, data: &Path) -> Result<(Server, PathBuf)> {
    start_kelisim_with(release, data, &[])
}

/// [`start_kelisim`] with more `serve` options (`--database`, `--log-key`).
pub(crate) fn start_kelisim_with(release: &Path, data: &Path, extra: &[&str]) -> Result<(Server, PathBuf)> {
    let kelisim = start(
        Command::new(release.join("kelisim"))
            .current_dir(root())
            .args([
                "serve",
                "--sites",
                "www/sites",
                "--listen",
                "127.0.0.1:0",
                "--rate-limit",
                "0",
                "--connections-per-address",
                "0",
                "--data",
            ])
            .arg(data)
            .args(extra)
            .env("KELISIM_LOG", "warn"),
        "kelisim listening on ",
    )?;
    let body = data.join("event-template.json");
    let status = Command::new(release.join("kelisim-load"))
        .args(["template", "--config", &format!("{}/api/v1/sites/webpulse/config", kelisim.base), "--out"])
        .arg(&body)
        .status()?;
    if !status.success() {
        bail!("could not make the event template");
    }
    Ok((kelisim, body))
}

pub(crate) fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Builds `kelisim`, the hello-world baseline and the load generator in release mode (the
/// widget and verifier first: the server embeds them); returns where they are.
pub(crate) fn build_release() -> Result<PathBuf> {
    crate::widget::build()?;
    // The self-contained verifier (/verify/, and the export bench's browser check).
    crate::verifier::build()?;
    step("building kelisim, the hello-world baseline and the load generator (release)");
    crate::run(
        cargo().args(["build", "--release", "-p", "kelisim-server", "-p", "kelisim-bench"]),
        "cargo build --release",
    )?;
    Ok(root().join("target/release"))
}

fn server() -> Result<()> {
    let release = build_release()?;
    let tool = release.join("kelisim-load");
    let data = root().join("target/bench-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;

    let hello = start(Command::new(release.join("kelisim-hello")).current_dir(root()), "hello listening on ")?;
    let (kelisim, body) = start_kelisim(&release, &data)?;
    let consents = format!("{}/api/v1/sites/webpulse/consents", kelisim.base);
    // What a browser's widget sends, Accept-Encoding included (a server that compresses its
    // answers pays for it here, as it would for visitors).
    let origin = [
        "origin: https://webpulse.kz",
        "user-agent: kelisim-bench/1 (X11; Linux x86_64)",
        "accept-encoding: gzip, deflate, br, zstd",
    ];

    step(&format!(
        "closed loop, {SECONDS} s per run, {ROUNDS} rounds alternating the two servers: consent POST (fsynced, group commit) vs actix-web hello world"
    ));
    println!("(medians of the rounds; the machine's speed drifts by ±20 % between runs, so each round's ratio pairs runs made seconds apart)");
    println!("| connections | hello req/s | hello p50 / p99 ms | consent POST/s | consent p50 / p99 ms | ratio (median) | ratios of the rounds |");
    println!("|---:|---:|---:|---:|---:|---:|---|");
    let mut recorded = 0u64;
    let mut ratios = Vec::new();
    for c in CONCURRENCIES {
        let mut hs = Vec::new();
        let mut ks = Vec::new();
        for _ in 0..ROUNDS {
            let h = load(&tool, &format!("{}/", hello.base), &body, &origin, c, None)?;
            let k = load(&tool, &consents, &body, &origin, c, None)?;
            recorded += k.ok;
            hs.push(h);
            ks.push(k);
        }
        let round_ratios: Vec<f64> = hs.iter().zip(&ks).map(|(h, k)| k.rps / h.rps.max(1.0)).collect();
        let ratio = median(&round_ratios);
        ratios.push(ratio);
        let m = |v: &[Sample], f: fn(&Sample) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
        println!(
            "| {c} | {:.0} | {:.2} / {:.2} | {:.0} | {:.2} / {:.2} | {:.2} | {} |{}",
            m(&hs, |s| s.rps),
            m(&hs, |s| s.p50),
            m(&hs, |s| s.p99),
            m(&ks, |s| s.rps),
            m(&ks, |s| s.p50),
            m(&ks, |s| s.p99),
            ratio,
            round_ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" "),
            ks.iter().map(note).collect::<String>()
        );
    }
    // The runs above number each run's ids in sequence, so they land next to each other in
    // the consent id index; real visitors' widgets make random v4 ids, a page each.
    step(&format!("closed loop, {SECONDS} s, 64 connections, random v4 ids (as real visitors send them)"));
    println!("| connections | hello req/s | consent POST/s | consent p50 / p99 ms | ratio |");
    println!("|---:|---:|---:|---:|---:|");
    let h = load(&tool, &format!("{}/", hello.base), &body, &origin, 64, None)?;
    let k = load_with(&tool, &consents, &body, &origin, 64, None, &["--random-ids"])?;
    recorded += k.ok;
    println!(
        "| 64 | {:.0} | {:.0} | {:.2} / {:.2} | {:.2} |{}",
        h.rps,
        k.rps,
        k.p50,
        k.p99,
        k.rps / h.rps.max(1.0),
        note(&k)
    );
    step(&format!("open loop (fixed offered load), {SECONDS} s per run, 64 connections: consent POST latency"));
    println!("| offered req/s | achieved POST/s | p50 ms | p99 ms |");
    println!("|---:|---:|---:|---:|");
    for rate in OFFERED_LOADS {
        let k = load(&tool, &consents, &body, &origin, 64, Some(rate))?;
        recorded += k.ok;
        println!("| {rate} | {:.0} | {:.2} | {:.2} |{}", k.rps, k.p50, k.p99, note(&k));
    }
    let (rss, hwm) = rss_kib(kelisim.child.id());
    let (hello_rss, _) = rss_kib(hello.child.id());
    step("database size (online backup: one consolidated file, no WAL)");
    let backup = data.join("backup.sqlite");
    let out = Command::new(release.join("kelisim"))
        .args(["backup", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&backup)
        .output()?;
    if !out.status.success() {
        bail!("kelisim backup failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let bytes = std::fs::metadata(&backup)?.len();
    println!(
        "\nkelisim RSS after the runs: {:.1} MiB (peak {:.1} MiB); hello world: {:.1} MiB",
        mib(rss),
        mib(hwm),
        mib(hello_rss)
    );
    println!(
        "database: {bytes} bytes for {recorded} events = {:.0} bytes/event ≈ {:.2} GiB per million events (extrapolated)",
        bytes as f64 / recorded.max(1) as f64,
        bytes as f64 / recorded.max(1) as f64 * 1e6 / (1u64 << 30) as f64
    );
    let best = ratios.iter().cloned().fold(0.0, f64::max);
    println!(
        "median ratios consent/hello at {}: {} — best {best:.2} (budget: ≥ 0.50, docs/BENCHMARKS.md)",
        CONCURRENCIES.map(|c| c.to_string()).join(" / "),
        ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" / ")
    );
    let _ = cleanup(&data);
    Ok(())
}

pub(crate) fn note(s: &Sample) -> String {
    let mut n = String::new();
    if s.errors > 0 || !s.other.is_empty() {
        n = format!(
            " {} of {} failed: {} {}",
            s.errors + (s.requests - s.ok),
            s.requests,
            s.other,
            if s.errors > 0 { "(connection errors)" } else { "" }
        );
    }
    n
}

pub(crate) fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub(crate) fn cleanup(data: &std::path::Path) -> std::io::Result<()> {
    std::fs::remove_file(data.join("backup.sqlite"))
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[0.5, 0.4, 0.6]), 0.5);
        assert_eq!(median(&[0.6, 0.4]), 0.5);
        assert_eq!(median(&[]), 0.0);
    }
}
