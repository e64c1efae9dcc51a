//! Fuzzing on the stable toolchain (fuzz/README.md): the targets of `fuzz/` built with
//! libFuzzer's coverage instrumentation the way cargo-fuzz builds them (SanitizerCoverage through
//! `-C` flags, which stable accepts; no AddressSanitizer, whose `-Zsanitizer` needs nightly), then
//! run for a bounded time each from their seeds.
//!
//! - `cargo xtask test` (and `cargo xtask fuzz --check`, that step alone): 8 s per target on a
//!   fresh corpus seeded from `fuzz/seeds/<target>/`; fails on any crash, timeout or
//!   out-of-memory (the input is kept under `target/fuzz-artifacts/<target>/` and named), and
//!   when a target's coverage did not grow beyond its seeds' (then the build is not instrumented).
//! - `cargo xtask fuzz [--target NAME] [--seconds N]`: longer runs (300 s per target by default)
//!   that keep what they find in `fuzz/corpus/<target>/` (not committed) for the next run.

use crate::{cargo, root, step};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every target of `fuzz/Cargo.toml`, in the order they run.
pub const TARGETS: [&str; 5] = ["event", "site_policy", "cookie", "checkpoint", "bundle"];

/// Seconds per target in `cargo xtask test`.
const CHECK_SECONDS: u64 = 8;
/// Seconds per target of `cargo xtask fuzz` by default.
const DEFAULT_SECONDS: u64 = 300;
/// One input that takes longer than this is a finding (a hang), in seconds.
const TIMEOUT: u64 = 10;

pub const USAGE: &str = "usage: cargo xtask fuzz [--target NAME] [--seconds N] | cargo xtask fuzz --check";

/// `cargo xtask fuzz …`.
pub fn command(args: &[String]) -> Result<()> {
    let mut targets: Vec<&str> = TARGETS.to_vec();
    let mut seconds = DEFAULT_SECONDS;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--check" if args.len() == 1 => return check(),
            "--target" => {
                let t = it.next().context(USAGE)?;
                let Some(t) = TARGETS.iter().find(|x| *x == t) else {
                    bail!("no fuzz target `{t}`; there are: {}", TARGETS.join(", "));
                };
                targets = vec![t];
            }
            "--seconds" => {
                seconds = it.next().and_then(|s| s.parse().ok()).filter(|s| *s > 0).context(USAGE)?;
            }
            _ => bail!("{USAGE}"),
        }
    }
    let bin = build()?;
    let mut failed = Vec::new();
    for t in targets {
        let corpus = root().join("fuzz/corpus").join(t);
        std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
        step(&format!("fuzzing {t} for {seconds} s (corpus fuzz/corpus/{t}/, seeds fuzz/seeds/{t}/)"));
        let r = run_target(&bin, t, &corpus, seconds, true)?;
        println!("    {}", r.summary(t));
        if let Some(why) = r.failure() {
            failed.push(format!("{t}: {why}"));
        }
    }
    if !failed.is_empty() {
        bail!("fuzzing found:\n  {}", failed.join("\n  "));
    }
    Ok(())
}

/// The step of `cargo xtask test`: every target for a few seconds from its seeds alone.
pub fn check() -> Result<()> {
    check_with(&build()?)
}

/// The runs of `check`, on the targets `build` made into `bin`.
pub fn check_with(bin: &Path) -> Result<()> {
    let started = Instant::now();
    step(&format!("fuzzing each target for {CHECK_SECONDS} s from its seeds (fresh corpus under target/fuzz-corpus/)"));
    let mut failed = Vec::new();
    for t in TARGETS {
        let corpus = root().join("target/fuzz-corpus").join(t);
        if corpus.exists() {
            std::fs::remove_dir_all(&corpus).with_context(|| format!("emptying {}", corpus.display()))?;
        }
        std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
        let r = run_target(bin, t, &corpus, CHECK_SECONDS, false)?;
        println!("    {}", r.summary(t));
        if let Some(why) = r.failure() {
            failed.push(format!("{t}: {why}"));
        } else if r.end.cov <= r.start.cov {
            failed.push(format!(
                "{t}: coverage did not grow from the seeds ({} → {}): the build is not instrumented, or the \
                 target cannot get past its first checks",
                r.start.cov, r.end.cov
            ));
        }
    }
    if !failed.is_empty() {
        bail!("the fuzz step failed:\n  {}", failed.join("\n  "));
    }
    println!("    fuzz step: done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The flags cargo-fuzz 0.13.1 (github.com/rust-fuzz/cargo-fuzz, `src/project.rs`, commit
/// 40bda1d6) gives rustc by default on Linux (`--release`, debug assertions on), with overflow
/// checks said outright. All are `-C` flags or `--cfg`, stable; only its default
/// `-Zsanitizer=address` is left out.
const RUSTFLAGS: [&str; 12] = [
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cllvm-args=-sanitizer-coverage-stack-depth",
    "-Cllvm-args=-simplifycfg-branch-fold-threshold=0",
    "--cfg",
    "fuzzing",
    "-Cdebug-assertions",
    "-Coverflow-checks",
    // cargo-fuzz's own choice for release builds: the sancov passes keep ThinLTO across
    // codegen units from inlining anything, one unit is about 3× faster.
    "-Ccodegen-units=1",
];

/// Builds every target with coverage instrumentation into `target/fuzz-sancov/`; returns the
/// directory of the binaries.
pub fn build() -> Result<PathBuf> {
    let host = host_triple()?;
    let dir = root().join("target/fuzz-sancov");
    step("building the fuzz targets with coverage instrumentation (stable rustc, cargo-fuzz's flags)");
    crate::run(
        cargo()
            .args(["build", "--locked", "--release", "--manifest-path", "fuzz/Cargo.toml", "--bins", "--target"])
            .arg(&host)
            .arg("--target-dir")
            .arg(&dir)
            // `--target` keeps the flags off build scripts and proc macros, which are not linked
            // with libFuzzer. The encoded form wins over any RUSTFLAGS of the caller's environment.
            .env_remove("RUSTFLAGS")
            .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\x1f")),
        "cargo build (fuzz, instrumented)",
    )?;
    Ok(dir.join(host).join("release"))
}

fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc).arg("-vV").output().with_context(|| format!("could not run {rustc} -vV"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("`rustc -vV` names no host")
}

/// libFuzzer's figures at one status line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub runs: u64,
    pub cov: u64,
    pub features: u64,
    pub corpus: u64,
}

impl Stats {
    /// Parses a status line: `#35000\tDONE   cov: 1034 ft: 3050 corp: 57/3Kb lim: 4096 exec/s: …`.
    pub fn parse(line: &str) -> Option<(&str, Stats)> {
        let rest = line.strip_prefix('#')?;
        let (runs, rest) = rest.split_once(char::is_whitespace)?;
        let mut words = rest.split_whitespace();
        let event = words.next()?;
        let mut s = Stats { runs: runs.parse().ok()?, ..Stats::default() };
        let mut seen_cov = false;
        while let Some(w) = words.next() {
            let value = || -> Option<u64> { words.clone().next()?.split('/').next()?.parse().ok() };
            match w {
                "cov:" => {
                    s.cov = value()?;
                    seen_cov = true;
                }
                "ft:" => s.features = value()?,
                "corp:" => s.corpus = value()?,
                _ => {}
            }
        }
        seen_cov.then_some((event, s))
    }
}

/// What one run of a target did.
pub struct Outcome {
    /// After the seeds were run (`INITED`).
    pub start: Stats,
    /// At the end (`DONE`, else the last status line).
    pub end: Stats,
    pub seconds: f64,
    pub status: std::process::ExitStatus,
    /// The crash, timeout or out-of-memory input libFuzzer wrote, if any.
    pub artifact: Option<String>,
    /// What libFuzzer said about the failure (`==…== ERROR`, `SUMMARY`, a panic's message).
    pub report: Vec<String>,
}

impl Outcome {
    pub fn summary(&self, target: &str) -> String {
        format!(
            "fuzz {target}: cov {} → {}, {} runs, corpus {} → {} ({:.1}s)",
            self.start.cov,
            self.end.cov,
            thousands(self.end.runs),
            self.start.corpus,
            self.end.corpus,
            self.seconds
        )
    }

    /// Why the run failed, if it did.
    pub fn failure(&self) -> Option<String> {
        if self.status.success() && self.artifact.is_none() {
            return None;
        }
        let what = self.report.iter().find_map(|l| l.strip_prefix("SUMMARY: libFuzzer: ")).unwrap_or("a failure");
        Some(match &self.artifact {
            Some(a) => format!("{what}; the input is {a}"),
            None => format!("{what} (libFuzzer exited with {}); no input was written", self.status),
        })
    }
}

fn thousands(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Runs `target` for `seconds` on `corpus` (where it writes what it finds) and its seeds.
/// `progress` echoes libFuzzer's status about every 30 s (for long runs).
fn run_target(bin: &Path, target: &str, corpus: &Path, seconds: u64, progress: bool) -> Result<Outcome> {
    let artifacts = root().join("target/fuzz-artifacts").join(target);
    std::fs::create_dir_all(&artifacts).with_context(|| format!("creating {}", artifacts.display()))?;
    let exe = bin.join(target);
    let start = Instant::now();
    let mut child = Command::new(&exe)
        .current_dir(root())
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={TIMEOUT}"))
        .arg("-rss_limit_mb=2048")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(corpus)
        .arg(root().join("fuzz/seeds").join(target))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {}", exe.display()))?;
    let stderr = child.stderr.take().expect("piped");
    let (mut first, mut last, mut done) = (None, None, None);
    let mut artifact = None;
    // The lines from where an error report begins (a panic's message, libFuzzer's `==…== ERROR`);
    // the last few lines before, when there is none.
    let mut report: Vec<String> = Vec::new();
    let mut tail: std::collections::VecDeque<String> = Default::default();
    let mut reporting = false;
    let mut echoed = Instant::now();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some((event, s)) = Stats::parse(&line) {
            match event {
                "INITED" => first = Some(s),
                "DONE" => done = Some(s),
                _ => {}
            }
            last = Some(s);
            if progress && echoed.elapsed() > Duration::from_secs(30) {
                echoed = Instant::now();
                println!("    {target}: {:.0}s, {line}", start.elapsed().as_secs_f64());
            }
        } else if let Some(path) = line.split_once("Test unit written to ").map(|(_, p)| p.trim()) {
            artifact = Some(path.to_owned());
        }
        if (line.starts_with("==") && line.contains("ERROR")) || line.contains("panicked at") {
            reporting = true;
        }
        if reporting {
            if report.len() < 60 {
                report.push(line);
            }
        } else {
            tail.push_back(line);
            if tail.len() > 8 {
                tail.pop_front();
            }
        }
    }
    let status = child.wait()?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() || artifact.is_some() {
        println!("    {target}: libFuzzer reported:");
        if report.is_empty() {
            report.extend(tail);
        }
        for l in &report {
            println!("      {l}");
        }
        if let Some(a) = &artifact {
            println!("    replay it: {} {a}", exe.display());
        }
    }
    let start = first.unwrap_or_default();
    Ok(Outcome { start, end: done.or(last).unwrap_or(start), seconds, status, artifact, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libfuzzer_status_lines() {
        let (e, s) = Stats::parse("#2\tINITED cov: 812 ft: 900 corp: 1/1b exec/s: 0 rss: 30Mb").unwrap();
        assert_eq!((e, s), ("INITED", Stats { runs: 2, cov: 812, features: 900, corpus: 1 }));
        let l = "#35012\tDONE   cov: 1034 ft: 3050 corp: 57/3120b lim: 4096 exec/s: 4376 rss: 61Mb";
        assert_eq!(Stats::parse(l).unwrap(), ("DONE", Stats { runs: 35012, cov: 1034, features: 3050, corpus: 57 }));
        let l = "#4096\tpulse  cov: 10 ft: 11 corp: 3/9b lim: 4 exec/s: 2048 rss: 40Mb";
        assert_eq!(Stats::parse(l).unwrap().0, "pulse");
        assert_eq!(Stats::parse("INFO: Seed: 1"), None);
        assert_eq!(Stats::parse("#0\tREAD units: 7"), None);
    }
}
