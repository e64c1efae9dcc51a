//! Tools a fresh machine lacks, installed on first use: nothing outside the repo's `target/`
//! except the rustup target and, as root, Debian's Chromium, Firefox ESR, WebKitGTK's WebDriver
//! and Xvfb.

use crate::{root, run, step};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

pub const BINARYEN: &str = "binaryen@132.0.0";
pub const ESBUILD: &str = "esbuild@0.28.2";

pub fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        Ok(_) => {
            step("installing the wasm32-unknown-unknown target (rustup)");
            run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]), "rustup target add")
        }
        Err(e) => bail!("rustup is needed to add the wasm32-unknown-unknown target: {e}"),
    }
}

/// The standard library's sources, to rebuild `core` and `alloc` for the widget.
pub fn ensure_rust_src() -> Result<()> {
    ensure_component("rust-src")
}

/// A rustup component of the toolchain in use (`rust-src`, `rustfmt`, `clippy`), added if missing.
pub fn ensure_component(name: &str) -> Result<()> {
    let out = Command::new("rustup").args(["component", "list", "--installed"]).output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim().starts_with(name)) => Ok(()),
        Ok(_) => {
            step(&format!("installing the {name} component (rustup)"));
            run(Command::new("rustup").args(["component", "add", name]), &format!("rustup component add {name}"))
        }
        Err(e) => bail!("rustup is needed to add the {name} component: {e}"),
    }
}

/// `wasm-opt` from npm's `binaryen` (newer than Debian's 108) and `esbuild` to minify the JavaScript, both in `target/tools/`.
pub fn npm_tool(name: &str) -> Result<PathBuf> {
    let dir = root().join("target/tools");
    let bin = dir.join("node_modules/.bin").join(name);
    if !bin.exists() {
        step(&format!("installing {BINARYEN} and {ESBUILD} from npm into target/tools/"));
        std::fs::create_dir_all(&dir)?;
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&dir)
                .args([BINARYEN, ESBUILD]),
            "npm install",
        )
        .context("npm (Node.js) is needed for wasm-opt and esbuild")?;
    }
    if !bin.exists() {
        bail!("npm installed the tools but {} is missing", bin.display());
    }
    Ok(bin)
}

/// `wasm-bindgen-test-runner` of the widget's pinned wasm-bindgen (the runner of its in-browser
/// tests; it must be the crate's exact version), built by `cargo install` into `target/tools/`
/// (about 1.5 minutes, once, unoptimized: `cargo_install`). Not `--locked`: the crates.io
/// mirror here lags behind the CLI's own lock file (TOOLCHAIN.md).
pub fn wasm_bindgen_test_runner() -> Result<PathBuf> {
    let dir = root().join("target/tools");
    let bin = dir.join("bin/wasm-bindgen-test-runner");
    let version = wasm_bindgen_version()?;
    let have = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !have.split_whitespace().any(|w| w == version) {
        step(&format!("installing wasm-bindgen-test-runner {version} (cargo install wasm-bindgen-cli into target/tools/, about 1.5 minutes once)"));
        run(
            cargo_install()
                .args([
                    "wasm-bindgen-cli",
                    "--force",
                    // Its default feature is rustls for ureq, which the runner uses only to speak
                    // to the WebDriver on 127.0.0.1 over plain HTTP: without it, ring and rustls
                    // are not compiled.
                    "--no-default-features",
                    "--bin",
                    "wasm-bindgen-test-runner",
                    "--version",
                    &version,
                    "--root",
                ])
                .arg(&dir),
            "cargo install wasm-bindgen-cli",
        )?;
    }
    if !bin.exists() {
        bail!("cargo install ran but {} is missing", bin.display());
    }
    Ok(bin)
}

/// `cargo install` of a test tool: at a low priority, since `test` runs it beside the build
/// (`prepare_in_background`), which should keep the cores it needs; unoptimized and without
/// debug info, which halves its compile time (the tools' own work in a test run is small: a
/// WebDriver session, one wasm-bindgen pass over a test module); both installs in one build
/// directory, so the dependencies they share (serde, clap, tokio, hyper, …) are compiled once.
fn cargo_install() -> Command {
    let mut c = crate::cargo();
    c.args(["install", "--debug"]).env("CARGO_PROFILE_DEV_DEBUG", "false").env("CARGO_TARGET_DIR", install_build());
    crate::niced(&c, 15)
}

/// The build directory of `cargo_install`, apart from the workspace's.
fn install_build() -> PathBuf {
    root().join("target/tools/install-build")
}

/// Frees the disk `cargo_install` used (1–2 GB), once both tools are there: a reinstall happens
/// only when a pinned version changes.
pub fn remove_install_build() {
    let _ = std::fs::remove_dir_all(install_build());
}

/// The wasm-bindgen version in Cargo.lock (the widget pins it with `=`).
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let at = lock.find("\nname = \"wasm-bindgen\"\n").context("no wasm-bindgen in Cargo.lock")?;
    let version =
        lock[at..].lines().nth(2).and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"'));
    version.map(str::to_owned).context("Cargo.lock: wasm-bindgen without a version line")
}

pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Debian's Chromium and chromedriver (test tools must never download a browser of their own).
pub fn ensure_chromium() -> Result<Browser> {
    let b = Browser { chromium: "/usr/bin/chromium".into(), chromedriver: "/usr/bin/chromedriver".into() };
    if b.chromium.exists() && b.chromedriver.exists() {
        return Ok(b);
    }
    let root_user = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if !root_user {
        bail!("the browser tests need Chromium: run `sudo apt-get install -y chromium chromium-driver`");
    }
    step("installing chromium and chromium-driver from apt (about a minute)");
    run(Command::new("apt-get").args(["update", "-qq"]), "apt-get update")?;
    run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get install chromium chromium-driver",
    )?;
    if !(b.chromium.exists() && b.chromedriver.exists()) {
        bail!("apt installed chromium but /usr/bin/chromium or /usr/bin/chromedriver is missing");
    }
    Ok(b)
}

/// geckodriver, built from crates.io (Mozilla publishes it there): 0.37 speaks to Firefox 128
/// and later, so Debian's Firefox ESR (153) included, and builds with Rust 1.95.
pub const GECKODRIVER: &str = "0.37.1";

/// What the tests need to run the widget in Firefox ESR and WebKitGTK besides Chromium.
pub struct Engines {
    pub firefox: PathBuf,
    pub geckodriver: PathBuf,
    pub webkit_driver: PathBuf,
    pub xvfb: PathBuf,
}

/// PostgreSQL's programs (`initdb`, `pg_ctl`, `postgres`, `psql`) for the PostgreSQL store's
/// tests, which start a throwaway cluster of their own (tests/pgcluster): Debian's `postgresql`
/// package from apt when no `/usr/lib/postgresql/<version>/bin/initdb` exists. Returns that
/// `bin` directory (the tests get it as `KELISIM_PG_BIN`).
pub fn ensure_postgres() -> Result<PathBuf> {
    let find = kelisim_pgcluster::installed_bin_dir;
    if let Some(bin) = find() {
        return Ok(bin);
    }
    let root_user = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if !root_user {
        bail!("the PostgreSQL store's tests need PostgreSQL: run `sudo apt-get install -y postgresql`");
    }
    step("installing postgresql from apt (about a minute)");
    run(Command::new("apt-get").args(["update", "-qq"]), "apt-get update")?;
    run(
        Command::new("apt-get").args(["install", "-y", "-qq", "postgresql"]).env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get install postgresql",
    )?;
    find().ok_or_else(|| anyhow::anyhow!("apt installed postgresql but no /usr/lib/postgresql/*/bin/initdb exists"))
}

/// What the deployment test (tests/tests/deploy.rs) runs: nginx in front of the server, with a
/// certificate openssl makes and curl as the HTTP/2 client — from apt when missing.
pub fn ensure_deploy_tools() -> Result<()> {
    let needed = [("/usr/sbin/nginx", "nginx"), ("/usr/bin/openssl", "openssl"), ("/usr/bin/curl", "curl")];
    let missing: Vec<&str> =
        needed.iter().filter(|(path, _)| !std::path::Path::new(path).exists()).map(|(_, p)| *p).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root_user = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if !root_user {
        bail!("the deployment test needs {}: run `sudo apt-get install -y {}`", missing.join(", "), missing.join(" "));
    }
    step(&format!("installing {} from apt", missing.join(", ")));
    run(Command::new("apt-get").args(["update", "-qq"]), "apt-get update")?;
    run(
        Command::new("apt-get").args(["install", "-y", "-qq"]).args(&missing).env("DEBIAN_FRONTEND", "noninteractive"),
        &format!("apt-get install {}", missing.join(" ")),
    )?;
    // Debian's package starts nginx on port 80 where it can: the test runs its own.
    let _ = Command::new("pkill").args(["-x", "nginx"]).status();
    Ok(())
}

/// Firefox ESR, WebKitGTK's WebDriver (`webkit2gtk-driver` ships /usr/bin/WebKitWebDriver) and
/// Xvfb (WebKitGTK has no headless mode: it needs a display) from apt, and geckodriver of the
/// pinned version into `target/tools/bin/` — each only if missing.
pub fn ensure_engines() -> Result<Engines> {
    let e = Engines {
        firefox: "/usr/bin/firefox-esr".into(),
        geckodriver: root().join("target/tools/bin/geckodriver"),
        webkit_driver: "/usr/bin/WebKitWebDriver".into(),
        xvfb: "/usr/bin/Xvfb".into(),
    };
    let packages: Vec<&str> = [(&e.firefox, "firefox-esr"), (&e.webkit_driver, "webkit2gtk-driver"), (&e.xvfb, "xvfb")]
        .into_iter()
        .filter(|(path, _)| !path.exists())
        .map(|(_, package)| package)
        .collect();
    if !packages.is_empty() {
        let root_user = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
        if !root_user {
            bail!(
                "the browser tests need Firefox ESR, WebKitGTK's WebDriver and Xvfb: run `sudo apt-get install -y {}`",
                packages.join(" ")
            );
        }
        step(&format!("installing {} from apt (a minute or two)", packages.join(", ")));
        run(Command::new("apt-get").args(["update", "-qq"]), "apt-get update")?;
        run(
            Command::new("apt-get")
                .args(["install", "-y", "-qq"])
                .args(&packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            &format!("apt-get install {}", packages.join(" ")),
        )?;
        for path in [&e.firefox, &e.webkit_driver, &e.xvfb] {
            if !path.exists() {
                bail!("apt installed {} but {} is missing", packages.join(" "), path.display());
            }
        }
    }
    let have = Command::new(&e.geckodriver)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(GECKODRIVER) {
        let dir = root().join("target/tools");
        step(&format!("installing geckodriver {GECKODRIVER} (cargo install into target/tools/, about 2 minutes once)"));
        // Not `--locked`: the crates.io mirror here lags behind its lock file (TOOLCHAIN.md).
        run(
            cargo_install().args(["geckodriver", "--force", "--version", GECKODRIVER, "--root"]).arg(&dir),
            "cargo install geckodriver",
        )?;
        if !e.geckodriver.exists() {
            bail!("cargo install ran but {} is missing", e.geckodriver.display());
        }
    }
    Ok(e)
}
