//! `cargo xtask bench export [--events N]`: time and peak memory of `kelisim export` and
//! `kelisim verify` over a real log of N consent events (default 1,000,000), and over a tenth of
//! it, so that "memory does not grow with the number of events" is measured, not claimed
//! (SPEC §11). The log is filled through the real HTTP API by `kelisim-load`, 127.0.0.1 only.

use crate::bench_server::{rss_kib, start_kelisim};
use crate::{cargo, root, step};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const START: &str = "<!-- bench-export:start -->";
const END: &str = "<!-- bench-export:end -->";

struct Measured {
    seconds: f64,
    peak_kib: u64,
    output: String,
}

/// Runs a command to completion, sampling its peak resident memory (VmHWM) as it runs.
fn measure(cmd: &mut Command) -> Result<Measured> {
    let started = Instant::now();
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn()?;
    let pid = child.id();
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib(pid).1);
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{:?} failed: {}", cmd.get_program(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(Measured { seconds: started.elapsed().as_secs_f64(), peak_kib: peak, output: String::from_utf8_lossy(&out.stdout).trim().to_owned() })
}

pub fn run(args: &[String]) -> Result<()> {
    let events: u64 = match args {
        [] => 1_000_000,
        [flag, n] if flag == "--events" => n.parse().ok().filter(|n| *n >= 1000).context("--events takes a number >= 1000")?,
        _ => bail!("usage: cargo xtask bench export [--events N]"),
    };
    step("building kelisim and the load generator (release)");
    crate::run(cargo().args(["build", "--release", "-p", "kelisim-server", "-p", "kelisim-bench"]), "cargo build --release")?;
    let release = root().join("target/release");
    let data = root().join("target/bench-export-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let (server, body) = start_kelisim(&release, &data)?;
    let tool = release.join("kelisim-load");
    let mut logged = 0u64;
    let mut rows = Vec::new();
    for target in [events / 10, events] {
        step(&format!("filling the log to {target} events through POST /api/v1/sites/webpulse/consents"));
        while logged < target {
            let out = Command::new(&tool)
                .args(["run", "--url", &format!("{}/api/v1/sites/webpulse/consents", server.base), "--body"])
                .arg(&body)
                .args(["--header", "origin: https://webpulse.kz", "--header", "user-agent: kelisim-bench/1 (X11; Linux x86_64)"])
                .args(["--concurrency", "128", "--seconds", "120", "--max-requests", &(target - logged).to_string()])
                .output()?;
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).context("kelisim-load output")?;
            let created = j["statuses"]["201"].as_u64().unwrap_or(0);
            if created == 0 {
                bail!("the server logged nothing: {}", String::from_utf8_lossy(&out.stdout));
            }
            logged += created;
            println!("    {logged} events logged");
        }
        let bundle = data.join(format!("export-{target}.zip"));
        step(&format!("kelisim export of {logged} events"));
        let ex = measure(Command::new(release.join("kelisim")).args(["export", "--site", "webpulse", "--out"]).arg(&bundle).arg("--data").arg(&data))?;
        println!("    {:.1} s, peak RSS {:.1} MiB — {}", ex.seconds, ex.peak_kib as f64 / 1024.0, ex.output);
        step("kelisim verify");
        let ve = measure(Command::new(release.join("kelisim")).arg("verify").arg(&bundle))?;
        println!("    {:.1} s, peak RSS {:.1} MiB — {}", ve.seconds, ve.peak_kib as f64 / 1024.0, ve.output);
        let size = std::fs::metadata(&bundle)?.len();
        // The server's own check of its log (every record re-hashed and compared with its
        // columns, the tree and every checkpoint): what `serve` runs at start over the records
        // logged since the last check, here over all of them.
        step("kelisim log verify (every record)");
        let lv = measure(Command::new(release.join("kelisim")).args(["log", "verify", "--data"]).arg(&data))?;
        println!("    {:.1} s, peak RSS {:.1} MiB — {}", lv.seconds, lv.peak_kib as f64 / 1024.0, lv.output);
        rows.push((logged, ex, ve, size, lv));
    }
    drop(server);
    let mut table = String::from(
        "| events | export s | export peak RSS MiB | bundle MiB | verify s | verify peak RSS MiB | log verify s | log verify peak RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (n, ex, ve, size, lv) in &rows {
        table.push_str(&format!(
            "| {n} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            ex.seconds,
            ex.peak_kib as f64 / 1024.0,
            *size as f64 / 1048576.0,
            ve.seconds,
            ve.peak_kib as f64 / 1024.0,
            lv.seconds,
            lv.peak_kib as f64 / 1024.0
        ));
    }
    println!("\n{table}");
    write_doc(&root().join("docs/BENCHMARKS.md"), &table)?;
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

fn write_doc(path: &Path, table: &str) -> Result<()> {
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!(
        "{START}\nMeasured by `cargo xtask bench export` (release build, this machine: 2 cores; the log filled through the HTTP API, then `kelisim export`, `kelisim verify` and `kelisim log verify` — the server's own check of every stored record, which `serve` runs at start over the records logged since the last check — run as separate processes; peak RSS is the process's VmHWM).\n\n{table}{END}"
    );
    let new = match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) => format!("{}{block}{}", &doc[..a], &doc[b + END.len()..]),
        _ => format!("{doc}\n## Export and verify\n\n{block}\n"),
    };
    std::fs::write(path, new)?;
    Ok(())
}
