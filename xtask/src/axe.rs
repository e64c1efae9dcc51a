//! axe-core, the accessibility engine the widget's browser tests inject into pages
//! (tests/tests/visitor.rs), from npm into `target/tools/axe/` at a pinned version.

use crate::{root, run, step};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

const AXE: &str = "axe-core@4.10.3";

/// `axe.min.js`, installed when missing or at another version.
pub fn ensure() -> Result<PathBuf> {
    let dir = root().join("target/tools/axe");
    let js = dir.join("node_modules/axe-core/axe.min.js");
    let version = std::fs::read_to_string(dir.join("node_modules/axe-core/package.json")).unwrap_or_default();
    let wanted = format!("\"version\": \"{}\"", AXE.rsplit('@').next().unwrap_or_default());
    if !js.exists() || !version.contains(&wanted) {
        step(&format!("installing {AXE} from npm into target/tools/axe/"));
        std::fs::create_dir_all(&dir)?;
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&dir)
                .arg(AXE),
            "npm install axe-core",
        )
        .context("npm (Node.js) is needed for axe-core")?;
    }
    if !js.exists() {
        bail!("npm installed {AXE} but {} is missing", js.display());
    }
    Ok(js)
}
