//! `cargo xtask bench widget [--rounds N] [--throttle R] [--no-write]`: Kelisim's widget against
//! vanilla-cookieconsent and orejime in headless Chromium (docs/BENCHMARKS.md, "Widget"; issue 3),
//! without and with CPU throttling (DevTools `Emulation.setCPUThrottlingRate`, 4× by default: a
//! slow phone).
//!
//! Installs the pinned npm packages into `target/bench/` when missing, builds the widget and the
//! server, then runs `bench/widget/run.mjs`, which serves the three pages, drives Chromium
//! through playwright-core, prints medians and Kelisim/peer ratios, and writes them into the
//! `## Widget` section of `docs/BENCHMARKS.md`.

use crate::{root, step, tools};
use anyhow::{bail, Context, Result};
use std::process::Command;

/// Exact versions: the peers are the versions the budgets in docs/BENCHMARKS.md are stated
/// against; playwright-core drives the system Chromium (it never downloads a browser here).
const PACKAGES: [(&str, &str); 3] =
    [("vanilla-cookieconsent", "3.1.0"), ("orejime", "3.2.1"), ("playwright-core", "1.65.1")];

const USAGE: &str = "usage: cargo xtask bench widget [--rounds N] [--throttle R] [--no-write]

  --rounds N   interleaved rounds (each: every tool once, fresh profile); default 9
  --throttle R each tool's run is followed by a first visit with the CPU slowed down R times
               (4, the default); 1 leaves those runs out
  --no-write   print the results only; do not update docs/BENCHMARKS.md
  --services   the bench site declares three catalogue services (Yandex.Metrica, Google
               Analytics, Meta Pixel), so its loader carries the blocker; prints only";

pub fn run(args: &[String]) -> Result<()> {
    // Accept being handed the arguments with or without the `widget` word.
    let args = match args.first().map(String::as_str) {
        Some("widget") => &args[1..],
        _ => args,
    };
    let mut rounds: u32 = 9;
    let mut throttle: u32 = 4;
    let mut write = true;
    let mut services = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => {
                let v = it.next().context("--rounds needs a number")?;
                rounds = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .with_context(|| format!("--rounds: `{v}` is not a positive number"))?;
            }
            "--throttle" => {
                let v = it.next().context("--throttle needs a number")?;
                throttle = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .with_context(|| format!("--throttle: `{v}` is not a positive number"))?;
            }
            "--no-write" => write = false,
            "--services" => services = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }

    let browser = tools::ensure_chromium()?;
    let modules = ensure_packages()?;
    crate::widget::build()?;
    let bin = crate::build_server()?;

    step(&format!(
        "benchmarking the widget against vanilla-cookieconsent and orejime ({rounds} rounds, headless Chromium)"
    ));
    let command = format!(
        "cargo xtask bench widget --rounds {rounds} --throttle {throttle}{}",
        if services { " --services" } else { "" }
    );
    let mut node = Command::new("node");
    node.current_dir(root())
        .arg("bench/widget/run.mjs")
        .arg("--kelisim")
        .arg(&bin)
        .arg("--modules")
        .arg(&modules)
        .arg("--chromium")
        .arg(&browser.chromium)
        .args(["--rounds", &rounds.to_string(), "--throttle", &throttle.to_string(), "--command", &command])
        .arg("--json")
        .arg(root().join("target/bench/widget-results.json"));
    if services {
        node.env("KELISIM_BENCH_SERVICES", "1");
    } else if write {
        node.arg("--write").arg(root().join("docs/BENCHMARKS.md"));
    }
    // `run` says whether node could not start (not on PATH) or the script failed.
    crate::run(&mut node, "bench/widget/run.mjs (Node.js)")?;
    println!("    raw results: target/bench/widget-results.json");
    Ok(())
}

/// The pinned npm packages in `target/bench/node_modules`, installed when missing or at another
/// version.
fn ensure_packages() -> Result<std::path::PathBuf> {
    let dir = root().join("target/bench");
    let modules = dir.join("node_modules");
    let installed = |name: &str, version: &str| -> bool {
        std::fs::read_to_string(modules.join(name).join("package.json"))
            .map(|s| s.split_whitespace().collect::<String>().contains(&format!("\"version\":\"{version}\"")))
            .unwrap_or(false)
    };
    let missing: Vec<String> =
        PACKAGES.iter().filter(|(n, v)| !installed(n, v)).map(|(n, v)| format!("{n}@{v}")).collect();
    if !missing.is_empty() {
        step(&format!("installing {} from npm into target/bench/", missing.join(", ")));
        std::fs::create_dir_all(&dir)?;
        crate::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error", "--prefix"])
                .arg(&dir)
                .args(&missing),
            "npm install",
        )
        .context("npm (Node.js) is needed for the widget benchmark")?;
        if let Some((n, v)) = PACKAGES.iter().find(|(n, v)| !installed(n, v)) {
            bail!("npm ran but {n}@{v} is not in {}", modules.display());
        }
    }
    Ok(modules)
}
