//! The widget build: wasm32 release → wasm-bindgen (as a library, same version as the crate)
//! → wasm-opt -Oz → content-hashed files in `target/widget-dist/`, with the loader template.
//!
//! Output (embedded by the server):
//! - `loader.js`: the minified loader with the `__KELISIM_BOOT__` placeholder;
//! - `manifest.json`: `{"glue": "kelisim-<hash>.js", "wasm": "kelisim-<hash>.wasm"}`;
//! - `widget/kelisim-<hash>.{js,wasm}`.

use crate::{cargo, root, run, step, tools};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

pub fn build() -> Result<()> {
    tools::ensure_wasm_target()?;
    let wasm_opt = tools::npm_tool("wasm-opt")?;
    let esbuild = tools::npm_tool("esbuild")?;
    step("building the widget for wasm32 (profile `widget`: opt-level z, LTO)");
    run(
        cargo().args(["build", "-p", "kelisim-widget", "--target", "wasm32-unknown-unknown", "--profile", "widget"]),
        "cargo build (widget)",
    )?;
    let target = root().join("target");
    let input = target.join("wasm32-unknown-unknown/widget/kelisim_widget.wasm");
    let work = target.join("widget-build");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    step("generating the JS bindings (wasm-bindgen)");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)?
        .typescript(false)
        .out_name("kelisim")
        .generate(&work)
        .context("wasm-bindgen")?;
    step("optimizing the module (wasm-opt -Oz)");
    let opt = work.join("kelisim.opt.wasm");
    run(
        Command::new(&wasm_opt)
            .arg(work.join("kelisim_bg.wasm"))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                "--strip-debug",
                "--strip-producers",
                "-o",
            ])
            .arg(&opt),
        "wasm-opt",
    )?;
    step("minifying the glue and the loader (esbuild)");
    let glue = work.join("kelisim.min.js");
    run(
        Command::new(&esbuild).arg(work.join("kelisim.js")).args(["--minify", "--format=esm", "--log-level=warning"]).arg(format!("--outfile={}", glue.display())),
        "esbuild (glue)",
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
