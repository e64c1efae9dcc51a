//! The widget build: wasm32 (profile `widget`) → wasm-opt -Oz, and the host script
//! (`widget/host.js`) and loader minified by esbuild → content-hashed files in
//! `target/widget-dist/`, with the loader template. No wasm-bindgen: the module's whole
//! boundary with the page is three imports (widget/src/host.rs).
//!
//! Output (embedded by the server):
//! - `loader.js`: the minified loader with the `__KELISIM_BOOT__` placeholder;
//! - `manifest.json`: `{"glue": "kelisim-<hash>.js", "wasm": "kelisim-<hash>.wasm"}`;
//! - `widget/kelisim-<hash>.{js,wasm}`.

use crate::{cargo, root, run, step, tools};
use anyhow::Result;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

pub fn build() -> Result<()> {
    tools::ensure_wasm_target()?;
    let wasm_opt = tools::npm_tool("wasm-opt")?;
    let esbuild = tools::npm_tool("esbuild")?;
    tools::ensure_rust_src()?;
    step("building the widget for wasm32 (profile `widget`: opt-level z, LTO, core rebuilt to abort on panic)");
    // `core` and `alloc` are rebuilt with the immediate-abort panic strategy: without it every
    // bounds check and `unwrap` keeps core's panic formatting (about 5 KB brotli of the module,
    // docs/BENCHMARKS.md). `-Z` flags need RUSTC_BOOTSTRAP on the stable toolchain; only this
    // build uses them, and the result is checked by the same browser tests as any other.
    run(
        cargo()
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["build", "-p", "kelisim-widget", "--target", "wasm32-unknown-unknown", "--profile", "widget"])
            .args(["-Zbuild-std=core,alloc", "--config", "target.wasm32-unknown-unknown.rustflags=['-Zunstable-options','-Cpanic=immediate-abort']"]),
        "cargo build (widget)",
    )?;
    let target = root().join("target");
    let input = target.join("wasm32-unknown-unknown/widget/kelisim_widget.wasm");
    let work = target.join("widget-build");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    step("optimizing the module (wasm-opt -Oz)");
    let opt = work.join("kelisim.opt.wasm");
    run(
        Command::new(&wasm_opt)
            .arg(&input)
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-multivalue",
                "--strip-debug",
                "--strip-producers",
                "-o",
            ])
            .arg(&opt),
        "wasm-opt",
    )?;
    step("minifying the host script and the loader (esbuild)");
    let glue = work.join("kelisim.min.js");
    run(
        Command::new(&esbuild)
            .arg(root().join("widget/host.js"))
            .args(["--bundle", "--minify", "--format=esm", "--target=es2020", "--loader:.css=text", "--log-level=warning"])
            .arg(format!("--outfile={}", glue.display())),
        "esbuild (host)",
    )?;
    let loader = work.join("loader.min.js");
    run(
        Command::new(&esbuild)
            .arg(root().join("widget/loader.js"))
            .args(["--minify", "--target=es2017", "--log-level=warning"])
            .arg(format!("--outfile={}", loader.display())),
        "esbuild (loader)",
    )?;
    let dist = target.join("widget-dist");
    let _ = std::fs::remove_dir_all(dist.join("widget"));
    std::fs::create_dir_all(dist.join("widget"))?;
    let wasm_name = hashed("kelisim", "wasm", &opt)?;
    let glue_name = hashed("kelisim", "js", &glue)?;
    std::fs::copy(&opt, dist.join("widget").join(&wasm_name))?;
    std::fs::copy(&glue, dist.join("widget").join(&glue_name))?;
    let loader_text = std::fs::read_to_string(&loader)?;
    anyhow::ensure!(loader_text.contains("__KELISIM_BOOT__"), "the minified loader lost its __KELISIM_BOOT__ placeholder");
    write_if_changed(&dist.join("loader.js"), loader_text.as_bytes())?;
    let manifest = format!("{{\"glue\":\"{glue_name}\",\"wasm\":\"{wasm_name}\"}}\n");
    write_if_changed(&dist.join("manifest.json"), manifest.as_bytes())?;
    for (name, path) in [("loader.js", dist.join("loader.js")), (&*glue_name, dist.join("widget").join(&glue_name)), (&*wasm_name, dist.join("widget").join(&wasm_name))] {
        println!("    {name}: {} bytes", std::fs::metadata(path)?.len());
    }
    println!("    widget ready in {}", dist.display());
    Ok(())
}

fn hashed(stem: &str, ext: &str, path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(format!("{stem}-{}.{ext}", &hex::encode(Sha256::digest(&bytes))[..16]))
}

/// Keeps the mtime when nothing changed, so the server is not rebuilt for nothing.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
