//! # xtask — build orchestration for Kelisim
//!
//! `cargo xtask build` builds the widget (wasm32, release, wasm-opt, esbuild, content-hashed
//! names) into `target/widget-dist/`, which the server embeds; `cargo xtask demo` builds
//! everything and serves the demo sites; `cargo xtask test` runs every test, the real-browser
//! ones included. Each installs what a fresh machine lacks (the wasm32 target, binaryen and
//! esbuild from npm into `target/tools/`, Chromium and chromedriver from apt when root; for `test`
//! also Firefox ESR, WebKitGTK's WebDriver and Xvfb from apt and geckodriver from crates.io,
//! PostgreSQL for the PostgreSQL store's tests, and nginx, openssl and curl for the deployment test) and says
//! what it is doing. `cargo xtask bench widget|server|export` measure the budgets in
//! docs/BENCHMARKS.md, `bench scan` the cookie scanner's pages per minute; `cargo xtask fuzz`
//! fuzzes with coverage instrumentation on stable Rust (fuzz/README.md).

#![forbid(unsafe_code)]

mod axe;
mod bench_dashboard;
mod bench_export;
mod bench_postgres;
mod bench_scan;
mod bench_server;
mod bench_stored;
mod bench_widget;
mod fuzz;
mod modgraph;
mod screenshots;
mod tools;
mod verifier;
mod widget;

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  build              build the widget (target/widget-dist/), the browser verifier (target/verifier-dist/,
                     target/kelisim-verifier.html) and the server; `build --widget`: the widget alone
  demo [--listen A]  build everything and serve the five demo sites (default 127.0.0.1:8790)
  test               run every test: unit, server over HTTP, real browsers (Chromium; Firefox ESR and
                     WebKitGTK for the widget's core paths)
  bench widget       Kelisim's widget vs vanilla-cookieconsent and orejime (docs/BENCHMARKS.md)
  bench server       durable consent POSTs/s vs an actix-web hello world (docs/BENCHMARKS.md)
  bench export       kelisim export / verify of 1,000,000 events: time and peak memory
  bench scan         kelisim scan: pages scanned per minute (docs/BENCHMARKS.md)
  bench dashboard [--events N] [--reuse]
                     each dashboard page's answer time over a log of 10,000,000 events (docs/BENCHMARKS.md)
  fuzz [--target NAME] [--seconds N]
                     fuzz with coverage on stable Rust (fuzz/README.md): each target, or NAME, for N
                     seconds (default 300), keeping the corpus in fuzz/corpus/<target>/
  screenshots        the dashboard pictures of docs/screenshots/ (overview, a text version, scans; ru and kk),
                     taken again from the demo server with generated decisions
  lint               the lints of `test` alone: format, clippy, rustdoc (-D warnings),
                     and no cycle among the server's modules
  fuzz --check       the fuzz step of `test` alone: every target 8 s from its seeds; fails on a
                     crash, timeout or out-of-memory, or if coverage does not grow";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        // `--widget`: the widget alone (target/widget-dist/), for work on its size.
        Some("build") if args.get(1).map(String::as_str) == Some("--widget") => widget::build(),
        Some("build") => build().map(|_| ()),
        Some("demo") => demo(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz::command(&args[1..]),
        Some("lint") => lints(),
        Some("screenshots") => screenshots::command(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown command `{other}`\n\n{USAGE}")),
    };
    if let Err(e) = result {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_owned()
}

std::thread_local! {
    /// Where this thread's steps and commands write instead of the terminal: the log of work
    /// done in the background (`in_background`: `test`'s preparation, its checks), shown when it
    /// is joined.
    static SINK: std::cell::RefCell<Option<std::fs::File>> = const { std::cell::RefCell::new(None) };
    /// The nice value this thread's commands run at, if not the terminal's: work beside the tests.
    static NICE: std::cell::Cell<Option<u8>> = const { std::cell::Cell::new(None) };
}

/// `cmd` run by `nice -n N` (the same program, arguments, environment and directory).
fn niced(cmd: &Command, n: u8) -> Command {
    let mut c = Command::new("nice");
    c.args(["-n", &n.to_string()]).arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        c.current_dir(dir);
    }
    c
}

/// A line of this thread's output: to its log if it has one, else to the terminal.
fn say(line: &str) {
    use std::io::Write;
    SINK.with_borrow_mut(|sink| match sink {
        Some(f) => {
            let _ = writeln!(f, "{line}");
        }
        None => println!("{line}"),
    })
}

/// Prints a step as it starts, so long steps are never silent.
pub fn step(msg: &str) {
    say(&format!("==> {msg}"));
}

/// Runs a command, failing with what it was for if it fails.
pub fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let start = Instant::now();
    let mut at_nice;
    let cmd = match NICE.get() {
        Some(n) => {
            at_nice = niced(cmd, n);
            &mut at_nice
        }
        None => cmd,
    };
    let sink = SINK.with_borrow(|sink| sink.as_ref().map(|f| (f.try_clone(), f.try_clone())));
    if let Some((out, err)) = sink {
        cmd.stdout(out?).stderr(err?);
    }
    let status = cmd.status().with_context(|| format!("{what}: could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    say(&format!("    {what}: done in {:.1}s", start.elapsed().as_secs_f64()));
    Ok(())
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// `cargo xtask build` (and `demo`, `screenshots`, the benches): the `kelisim` binary alone, its
/// dependencies' features unified over `TEST_SCOPE` as `test` has them, so that after either
/// the other compiles no dependency again.
fn build() -> Result<PathBuf> {
    widget::build()?;
    verifier::build()?;
    build_server()
}

/// The `cargo build` of `build` alone (`bench widget`, which builds the widget itself).
pub fn build_server() -> Result<PathBuf> {
    let scope: Vec<&str> = TEST_SCOPE.iter().copied().chain(["--bin", "kelisim"]).collect();
    cargo_build(&scope, "building the server (kelisim)")
}

/// What `cargo xtask test` builds and tests natively: every member but xtask, which the
/// `cargo xtask` alias has compiled already and which is tested on its own. Cargo unifies the
/// features of dependencies over the packages a command selects (not over the targets it
/// builds), so every build selects these packages: then the test step compiles only the test
/// targets, where with `-p kelisim-server` before `--workspace` it compiled chromiumoxide,
/// lopdf, actix and their proc macros a second time (docs/architecture.md, "Build time").
const TEST_SCOPE: [&str; 3] = ["--workspace", "--exclude", "xtask"];

/// `cargo build` of `scope` (after the widget and the verifier: the server embeds both); the
/// path of the `kelisim` binary.
fn cargo_build(scope: &[&str], what: &str) -> Result<PathBuf> {
    step(what);
    run(cargo().args(["build", "--locked"]).args(scope), &format!("cargo build {}", scope.join(" ")))?;
    Ok(root().join("target/debug/kelisim"))
}

/// The demo's dashboard account `demo` (admin role), made the first time with a random password
/// printed once; what `demo` prints about it.
fn demo_owner(bin: &Path, data: &Path) -> Result<String> {
    use std::io::{Read, Write};
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let password: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    let mut add = Command::new(bin)
        .args(["admin", "add", "demo", "--role", "admin", "--password-stdin", "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("could not run kelisim admin add")?;
    add.stdin.take().expect("piped").write_all(format!("{password}\n").as_bytes())?;
    let out = add.wait_with_output()?;
    if out.status.success() {
        Ok(format!("user `demo`, password `{password}` (shown this once; made for the demo only)"))
    } else if String::from_utf8_lossy(&out.stderr).contains("already exists") {
        Ok(format!("user `demo`, its password was shown when it was made (remove {} to start over)", data.display()))
    } else {
        bail!("could not add the demo account: {}", String::from_utf8_lossy(&out.stderr).trim())
    }
}

fn demo(args: &[String]) -> Result<()> {
    let listen = match args {
        [] => "127.0.0.1:8790".to_owned(),
        [flag, addr] if flag == "--listen" => addr.clone(),
        _ => bail!("usage: cargo xtask demo [--listen ADDR]"),
    };
    let bin = build()?;
    let data = root().join("target/demo-data");
    // The dashboard edits site files: it gets a copy of the demo sites, not the repo's own.
    let sites = root().join("target/demo-sites");
    if !sites.exists() {
        std::fs::create_dir_all(&sites)?;
        for e in std::fs::read_dir(root().join("www/sites"))? {
            let path = e?.path();
            if path.extension().is_some_and(|x| x == "toml") {
                std::fs::copy(&path, sites.join(path.file_name().expect("a file")))?;
            }
        }
    }
    let owner = demo_owner(&bin, &data)?;
    step(&format!("starting kelisim with the demo sites ({}; database in {})", sites.display(), data.display()));
    let mut child = Command::new(&bin)
        .current_dir(root())
        .args(["serve", "--demo", "--sites"])
        .arg(&sites)
        .arg("--data")
        .arg(&data)
        .args(["--listen", &listen])
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start kelisim")?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(url) = l.strip_prefix("kelisim listening on ") {
                    break url.to_owned();
                }
                println!("{l}");
            }
            _ => {
                let status = child.wait()?;
                bail!("kelisim stopped before listening ({status}); see its message above");
            }
        }
    };
    println!("\nKelisim demo is running. Open:");
    for site in demo_sites()? {
        println!("  {base}/demo/{site}/          (Русский)   {base}/demo/{site}/kk.html   (Қазақша)");
    }
    println!("  {base}/api/v1/sites/<site>/config   the config each site serves");
    println!("  {base}/admin/                      the dashboard: {owner}");
    println!("  {base}/healthz\n\nThe consent log is {}/kelisim.sqlite. Press Ctrl-C to stop.", data.display());
    for l in lines.map_while(Result::ok) {
        println!("{l}");
    }
    child.wait()?;
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("widget") => bench_widget::run(&args[1..]),
        Some("export") => bench_export::run(&args[1..]),
        Some("server") => bench_server::run(&args[1..]),
        Some("scan") => bench_scan::run(&args[1..]),
        Some("dashboard") => bench_dashboard::run(&args[1..]),
        Some(other) => bail!("unknown benchmark `{other}`; there are: widget, server, export, scan, dashboard"),
        None => bail!("usage: cargo xtask bench widget [--rounds N] | server | export [--events N] | scan [--pages N] [--rounds R] | dashboard [--events N] [--reuse]"),
    }
}

fn demo_sites() -> Result<Vec<String>> {
    let mut sites: Vec<String> = std::fs::read_dir(root().join("www/sites"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.path().file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| root().join("www/demo").join(s).is_dir())
        .collect();
    sites.sort();
    Ok(sites)
}

/// What the tests need besides the build: browsers and their drivers, PostgreSQL, nginx,
/// axe-core and the wasm-bindgen test runner.
struct TestTools {
    browser: tools::Browser,
    axe: PathBuf,
    engines: tools::Engines,
    postgres: PathBuf,
    runner: PathBuf,
}

fn test_tools() -> Result<TestTools> {
    let browser = tools::ensure_chromium()?;
    let axe = axe::ensure()?;
    let engines = tools::ensure_engines()?;
    let postgres = tools::ensure_postgres()?;
    tools::ensure_deploy_tools()?;
    let runner = tools::wasm_bindgen_test_runner()?;
    tools::remove_install_build();
    Ok(TestTools { browser, axe, engines, postgres, runner })
}

/// Work on a thread of its own while this one goes on: its steps and what its commands print go
/// to `log` (`SINK`), its commands run at nice `nice` (`NICE`) if given. Joined by `joined`.
struct Background<T> {
    handle: std::thread::JoinHandle<Result<T>>,
    log: PathBuf,
    what: &'static str,
}

fn in_background<T: Send + 'static>(
    what: &'static str,
    log: PathBuf,
    nice: Option<u8>,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<Background<T>> {
    let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let handle = std::thread::Builder::new().name(what.into()).spawn(move || {
        SINK.with_borrow_mut(|sink| *sink = Some(file));
        NICE.set(nice);
        let started = Instant::now();
        let result = work();
        say(&format!("    {what}: done in {:.1}s", started.elapsed().as_secs_f64()));
        result
    })?;
    Ok(Background { handle, log, what })
}

/// Waits for `bg`, then shows its steps and their times (what its commands printed stays in the
/// log) or, if it failed, the whole log.
fn joined<T>(bg: Background<T>) -> Result<T> {
    let Background { handle, log, what } = bg;
    let result = handle.join().map_err(|_| anyhow::anyhow!("the thread of {what} panicked"))?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    match &result {
        Ok(_) => {
            for l in text.lines().filter(|l| l.starts_with("==> ") || l.starts_with("    ") && l.contains(": done in "))
            {
                println!("{l}");
            }
            println!("    (what they printed: {})", log.display());
        }
        Err(_) => print!("{text}"),
    }
    result.with_context(|| what.to_owned())
}

/// `test_tools` beside the build: on a fresh machine its apt installs wait on the network and
/// dpkg, and its two `cargo install`s take the cores the build leaves idle (minutes of CI).
fn prepare_in_background() -> Result<Background<TestTools>> {
    let dir = root().join("target/tools");
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("prepare.log");
    step(&format!(
        "preparing the test tools (browsers, PostgreSQL, nginx, test runners) beside the build; log: {}",
        log.display()
    ));
    in_background("test tools", log, None, test_tools)
}

/// The build no test needs, beside the tests at the lowest priority (nice 19): the fuzz targets
/// (their own target directory and flags). The tests run one browser at a time and left 5–35 %
/// of the two cores idle in a run here; it uses that instead of running after them. The fuzz
/// targets' binaries are what it gives back.
fn fuzz_build_in_background() -> Result<Background<PathBuf>> {
    let log = root().join("target/fuzz-build.log");
    step(&format!("building the fuzz targets beside the tests, at nice 19; log: {}", log.display()));
    in_background("fuzz build", log, Some(19), fuzz::build)
}

fn test(args: &[String]) -> Result<()> {
    let preparing = prepare_in_background()?;
    widget::build()?;
    verifier::build()?;
    let bin = cargo_build(&TEST_SCOPE, "building the server and the rest of the workspace the tests use")?;
    let tools = joined(preparing)?;
    let fuzzing = fuzz_build_in_background()?;
    let tested = run_tests(&bin, &tools, args);
    // The lints after the tests, in `target/debug/` (which `cargo test` holds while it runs):
    // there they reuse the proc macros and build scripts the build compiled. Run, and the fuzz
    // build joined, even when a test failed: then every result is shown, and nothing is left
    // running.
    let linted = lint_builds();
    let fuzz = joined(fuzzing);
    tested?;
    linted?;
    fuzz::check_with(&fuzz?)?;
    module_cycles()
}

/// Every test: the workspace's (`TEST_SCOPE`), xtask's, and the widget's in-browser ones.
fn run_tests(bin: &Path, tools: &TestTools, args: &[String]) -> Result<()> {
    let scratch = Scratch::new()?;
    let TestTools { browser, axe, engines, postgres, runner } = tools;
    step("running every test (unit, HTTP integration, headless Chromium, Firefox ESR and WebKitGTK end-to-end)");
    let mut cmd = cargo();
    // --no-fail-fast: one failing suite must not hide the others' results.
    cmd.args(["test", "--locked", "--no-fail-fast"])
        .args(TEST_SCOPE)
        .args(args)
        .env("TMPDIR", &scratch.dir)
        .env("KELISIM_BIN", bin)
        .env("CHROMEDRIVER", &browser.chromedriver)
        .env("CHROMIUM", &browser.chromium)
        .env("AXE_JS", axe)
        .env("GECKODRIVER", &engines.geckodriver)
        .env("FIREFOX", &engines.firefox)
        .env("WEBKIT_WEBDRIVER", &engines.webkit_driver)
        .env("XVFB", &engines.xvfb)
        .env("KELISIM_PG_BIN", postgres);
    run(&mut cmd, "cargo test")?;
    // With the features of its own selection, which the `cargo xtask` alias compiled.
    step("running xtask's own tests");
    run(cargo().args(["test", "--locked", "-p", "xtask"]), "cargo test -p xtask")?;
    // What goes through web-sys (random ids, the cookie, GPC, a decision's Consent Mode bits)
    // in headless Chromium: wasm-bindgen-test, its runner of the pinned version (no `-q`: the
    // runner rejects `--quiet`).
    step("running the widget's tests in headless Chromium (wasm-bindgen-test)");
    run(
        cargo()
            .args(["test", "--locked", "-p", "kelisim-widget", "--lib", "--target", "wasm32-unknown-unknown"])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", runner)
            .env("CHROMEDRIVER", &browser.chromedriver)
            .env("TMPDIR", &scratch.dir),
        "cargo test -p kelisim-widget --target wasm32-unknown-unknown",
    )
}

/// Where the tests put their temporary files (SQLite logs, PostgreSQL clusters, browser
/// profiles, export bundles): their `TMPDIR`. A directory of its own in `/dev/shm` when that is
/// a tmpfs with room (`SCRATCH_MIN_FREE`), removed after the tests; else the system's.
///
/// On the disk every SQLite commit and every `initdb` pays the file system's journal in system
/// time: the server's unit tests took 34 s there and 18 s on tmpfs (30 s and 9 s of it system
/// time), `initdb` 2.1 s and 0.85 s. What the tests check is the same on both: a kill -9 or a
/// PostgreSQL immediate shutdown loses the process, not the kernel's page cache, so an
/// acknowledged event has to be found again either way; no test can (or does) cut the power.
struct Scratch {
    dir: PathBuf,
    own: bool,
}

/// Free space `/dev/shm` must have for the tests' files to go there (the largest test data is
/// far below it; a container's default 64 MB /dev/shm is not used).
const SCRATCH_MIN_FREE: u64 = 4 << 30;

impl Scratch {
    fn new() -> Result<Scratch> {
        let shm = Path::new("/dev/shm");
        let tmpfs = std::fs::read_to_string("/proc/mounts")
            .map(|m| m.lines().any(|l| l.split_whitespace().take(3).skip(1).eq(["/dev/shm", "tmpfs"])))
            .unwrap_or(false);
        let free = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(shm)
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().nth(1)?.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if !tmpfs || free < SCRATCH_MIN_FREE {
            println!(
                "  temporary files of the tests: {} (/dev/shm is not a tmpfs with 4 GiB free)",
                std::env::temp_dir().display()
            );
            return Ok(Scratch { dir: std::env::temp_dir(), own: false });
        }
        let dir = shm.join(format!("kelisim-tests-{}", std::process::id()));
        // 0755 (the umask's): PostgreSQL's clusters run as `postgres` when the tests run as root.
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        println!("  temporary files of the tests: {} (tmpfs)", dir.display());
        Ok(Scratch { dir, own: true })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.own {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `cargo xtask lint`: the lints, then the module graph.
fn lints() -> Result<()> {
    lint_builds()?;
    module_cycles()
}

/// One format (rustfmt.toml), no clippy warning and no rustdoc warning (a broken doc link), for
/// every crate of the workspace, the widget's included (natively: its wasm32-only parts are
/// small and compiled by the build).
///
/// In `target/debug/`, with the package selections of the builds (`TEST_SCOPE`, then xtask as
/// the `cargo xtask` alias selects it): clippy and rustdoc compile the dependencies in check
/// mode, but the proc macros and build scripts are the very ones the builds made (the same
/// features and profile), about 500 of the 790 CPU-seconds the lints took in a directory of
/// their own (`cargo doc --timings`).
fn lint_builds() -> Result<()> {
    step("checking format, lints and docs (cargo fmt --check, clippy and rustdoc with -D warnings)");
    tools::ensure_component("rustfmt")?;
    tools::ensure_component("clippy")?;
    run(cargo().args(["fmt", "--all", "--", "--check"]), "cargo fmt --check (run `cargo fmt --all` to fix)")?;
    let xtask: &[&str] = &["-p", "xtask"];
    for scope in [&TEST_SCOPE[..], xtask] {
        run(
            cargo().args(["clippy", "--locked", "--all-targets"]).args(scope).args(["--", "-D", "warnings"]),
            &format!("cargo clippy {}", scope.join(" ")),
        )?;
    }
    for scope in [&TEST_SCOPE[..], xtask] {
        run(
            cargo().args(["doc", "--locked", "--no-deps"]).args(scope).env("RUSTDOCFLAGS", "-D warnings"),
            &format!("cargo doc {}", scope.join(" ")),
        )?;
    }
    Ok(())
}

/// No cycle among the server's top-level modules (`xtask/src/modgraph.rs`).
fn module_cycles() -> Result<()> {
    step("checking that the server's modules form no cycle");
    let g = modgraph::graph(&root().join("server/src")).context("reading server/src")?;
    let cycles = modgraph::cycles(&g);
    if !cycles.is_empty() {
        let shown: Vec<String> = cycles.iter().map(|c| c.join("\n    ")).collect();
        bail!(
            "the server's modules form a cycle (each arrow is a `crate::` path and where it is):\n    {}",
            shown.join("\n\n    ")
        );
    }
    println!("  {} modules, no cycle", g.len());
    Ok(())
}
