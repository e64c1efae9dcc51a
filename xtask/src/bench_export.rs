//! `cargo xtask bench export [--events N]`: time and peak memory of `kelisim export` and
//! `kelisim verify` over a real log of N consent events (default 1,000,000), and over a tenth of
//! it, so that "memory does not grow with the number of events" is measured, not claimed
//! (docs/BENCHMARKS.md, "Export and verify"). The log is filled through the real HTTP API by
//! `kelisim-load`, 127.0.0.1 only.
//! Each bundle is also verified by the browser verifier (the self-contained
//! `target/kelisim-verifier.html` over `file://`, in headless Chromium driven by playwright-core):
//! its time, the worker's WebAssembly memory, the page's JS heap (DevTools
//! `Performance.getMetrics`) and the renderer process's resident memory, sampled as it runs.

use crate::bench_server::{rss_kib, start_kelisim};
use crate::{root, step};
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
    Ok(Measured {
        seconds: started.elapsed().as_secs_f64(),
        peak_kib: peak,
        output: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    })
}

pub fn run(args: &[String]) -> Result<()> {
    let events: u64 = match args {
        [] => 1_000_000,
        [flag, n] if flag == "--events" => {
            n.parse().ok().filter(|n| *n >= 1000).context("--events takes a number >= 1000")?
        }
        _ => bail!("usage: cargo xtask bench export [--events N]"),
    };
    let node_modules = ensure_playwright()?;
    let release = crate::bench_server::build_release()?;
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
                .args([
                    "--header",
                    "origin: https://webpulse.kz",
                    "--header",
                    "user-agent: kelisim-bench/1 (X11; Linux x86_64)",
                ])
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
        let ex = measure(
            Command::new(release.join("kelisim"))
                .args(["export", "--site", "webpulse", "--out"])
                .arg(&bundle)
                .arg("--data")
                .arg(&data),
        )?;
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
        step("the browser verifier (kelisim-verifier.html over file://, headless Chromium)");
        let br = browser_verify(&node_modules, &bundle, &ve.output)?;
        println!(
            "    {:.1} s in the worker ({:.1} s to the verdict), wasm memory {:.1} MiB, page JS heap peak {:.1} MiB, renderer peak RSS {:.1} MiB — {}",
            br.worker_seconds,
            br.seconds,
            br.wasm_mib,
            br.heap_mib,
            br.renderer_mib,
            br.cli
        );
        rows.push((logged, ex, ve, size, lv, br));
    }
    drop(server);
    let mut table = String::from(
        "| events | export s | export peak RSS MiB | bundle MiB | verify s | verify peak RSS MiB | log verify s | log verify peak RSS MiB | browser verify s | browser wasm memory MiB | browser renderer peak RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (n, ex, ve, size, lv, br) in &rows {
        table.push_str(&format!(
            "| {n} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            ex.seconds,
            ex.peak_kib as f64 / 1024.0,
            *size as f64 / 1048576.0,
            ve.seconds,
            ve.peak_kib as f64 / 1024.0,
            lv.seconds,
            lv.peak_kib as f64 / 1024.0,
            br.seconds,
            br.wasm_mib,
            br.renderer_mib
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
        "{START}\nMeasured by `cargo xtask bench export` (release build, this machine: 2 cores; the log filled through the HTTP API, then `kelisim export`, `kelisim verify` and `kelisim log verify` — the server's own check of every stored record, which `serve` runs at start over the records logged since the last check — run as separate processes; peak RSS is the process's VmHWM; the browser verifier is `target/kelisim-verifier.html` over `file://` in headless Chromium, the bundle given to its file input: seconds from choosing the file to the verdict, the worker's WebAssembly memory at the end — its peak, as it never shrinks — and the peak resident memory of the renderer process that runs the page and its worker, sampled every 100 ms; the page's JS heap stays under a few MiB).\n\n{table}{END}"
    );
    let new = match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) => format!("{}{block}{}", &doc[..a], &doc[b + END.len()..]),
        _ => format!("{doc}\n## Export and verify\n\n{block}\n"),
    };
    std::fs::write(path, new)?;
    Ok(())
}

/// What the browser verifier measured on one bundle.
struct Browser {
    seconds: f64,
    worker_seconds: f64,
    wasm_mib: f64,
    heap_mib: f64,
    renderer_mib: f64,
    cli: String,
}

const PLAYWRIGHT: &str = "playwright-core@1.65.1";

/// playwright-core in `target/bench/node_modules` (the widget benchmark pins the same version).
fn ensure_playwright() -> Result<std::path::PathBuf> {
    let dir = root().join("target/bench");
    let modules = dir.join("node_modules");
    if !modules.join("playwright-core/package.json").exists() {
        step(&format!("installing {PLAYWRIGHT} from npm into target/bench/"));
        std::fs::create_dir_all(&dir)?;
        crate::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error", "--prefix"])
                .arg(&dir)
                .arg(PLAYWRIGHT),
            "npm install",
        )?;
    }
    Ok(modules)
}

/// Loads `bundle` into the self-contained verifier in a fresh headless Chromium and samples
/// its memory until the verdict, which must be the CLI's (`cli`).
fn browser_verify(modules: &Path, bundle: &Path, cli: &str) -> Result<Browser> {
    let browser = crate::tools::ensure_chromium()?;
    let script = root().join("target/bench/verifier-bench.mjs");
    std::fs::write(&script, VERIFIER_BENCH)?;
    let page = format!("file://{}?lang=en", root().join("target/kelisim-verifier.html").display());
    let out = Command::new("node")
        .arg(&script)
        .arg(modules)
        .arg(&browser.chromium)
        .arg(&page)
        .arg(bundle)
        .output()
        .context("node (Node.js) runs the browser benchmark")?;
    if !out.status.success() {
        bail!(
            "the browser verifier's benchmark failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).context("verifier-bench.mjs output")?;
    let got = j["cli"].as_str().unwrap_or("").to_owned();
    if j["verdict"] != "intact" || got != cli {
        bail!("the browser verifier's verdict is not the CLI's:\n  browser: {got}\n  cli:     {cli}");
    }
    let mib = |k: &str| j[k].as_f64().unwrap_or(0.0) / 1048576.0;
    Ok(Browser {
        seconds: j["seconds"].as_f64().unwrap_or(0.0),
        worker_seconds: j["worker_seconds"].as_f64().unwrap_or(0.0),
        wasm_mib: mib("wasm_memory"),
        heap_mib: mib("heap_peak"),
        renderer_mib: mib("renderer_peak"),
        cli: got,
    })
}

/// `node verifier-bench.mjs MODULES CHROMIUM PAGE_URL BUNDLE`: one JSON object on stdout.
const VERIFIER_BENCH: &str = r#"
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const [modules, executablePath, url, bundle] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(path.join(modules, 'playwright-core/index.mjs')).href);
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
// The renderer processes among this script's descendants, and their resident memory.
function renderersRss() {
  const parent = new Map();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try { parent.set(+pid, +fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]); } catch {}
  }
  const mine = (pid) => { for (let p = pid; p > 1; p = parent.get(p)) if (p === process.pid) return true; return false; };
  let kib = 0;
  for (const pid of parent.keys()) {
    if (!mine(pid)) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += +m[1];
    } catch {}
  }
  return kib * 1024;
}
const page = await browser.newPage();
await page.goto(url);
await page.waitForSelector('html[data-ready]');
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
let heapPeak = 0, rssPeak = 0, sampling = true;
const sample = async () => {
  while (sampling) {
    rssPeak = Math.max(rssPeak, renderersRss());
    try {
      const m = await cdp.send('Performance.getMetrics');
      heapPeak = Math.max(heapPeak, m.metrics.find((x) => x.name === 'JSHeapUsedSize').value);
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
};
const sampler = sample();
const started = Date.now();
await page.setInputFiles('#file', bundle);
await page.waitForSelector('#verdict[data-verdict]', { timeout: 15 * 60 * 1000 });
const seconds = (Date.now() - started) / 1000;
sampling = false;
await sampler;
const v = await page.evaluate(() => {
  const e = document.getElementById('verdict');
  return { verdict: e.getAttribute('data-verdict'), cli: (document.getElementById('cli') || e).textContent,
    worker_seconds: +e.getAttribute('data-seconds'), wasm_memory: +e.getAttribute('data-wasm-memory') };
});
await browser.close();
console.log(JSON.stringify({ ...v, seconds, heap_peak: heapPeak, renderer_peak: rssPeak }));
"#;
