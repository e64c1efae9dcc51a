//! The widget build: wasm32 (profile `widget`) → wasm-bindgen (as a library: the
//! `wasm-bindgen-cli-support` of the widget's pinned version, `--target web`, no default module
//! path, `encodeInto` always) → wasm-opt ([`WASM_OPT_PASSES`]); the host script
//! (`widget/host.js`, copied beside the generated glue, which imports it and which it imports)
//! bundled with the glue and the loader minified by esbuild → content-hashed files in
//! `target/widget-dist/`, with the two loader templates.
//!
//! Output (embedded by the server):
//! - `loader.js`: the minified loader with its `__KELISIM_BOOT__` placeholder;
//! - `loader-block.js`: the same with the blocker (`widget/blocker.js`) bundled in, which the
//!   server sends instead when one of its sites declares catalogue services;
//! - `manifest.json`: `{"glue": "kelisim-<hash>.js", "wasm": "kelisim-<hash>.wasm"}`;
//! - `widget/kelisim-<hash>.{js,wasm}`.

use crate::{cargo, root, run, step, tools};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

/// The module's wasm-opt passes. After a first size pass, the control flow flattened and rebuilt
/// by binaryen's relooper, which finds simpler structures than LLVM's output (about 90 B less
/// brotli); GUFA (whole-module flow analysis) between two size passes (about 40 B), sound without
/// a closed-world assumption; functions ordered by use, so the compressor sees the most-called
/// ones early (about 25 B).
const WASM_OPT_PASSES: [&str; 7] = ["-Oz", "--flatten", "--rereloop", "-Oz", "--gufa", "-Oz", "--reorder-functions"];

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
    // Without reference types wasm-bindgen keeps JS values in a small array in its glue
    // instead of an externref table: fewer bytes (docs/BENCHMARKS.md). `location-detail=none`:
    // no source paths in the module (a panic aborts without a message anyway; about 80 B).
    run(
        cargo()
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["build", "-p", "kelisim-widget", "--target", "wasm32-unknown-unknown", "--profile", "widget"])
            .args([
                "-Zbuild-std=core,alloc",
                "--config",
                "target.wasm32-unknown-unknown.rustflags=['-Zunstable-options','-Cpanic=immediate-abort','-Ctarget-feature=-reference-types','-Zlocation-detail=none']",
            ]),
        "cargo build (widget)",
    )?;
    let target = root().join("target");
    let input = target.join("wasm32-unknown-unknown/widget/kelisim_widget.wasm");
    let work = target.join("widget-build");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    step("generating the JS bindings (wasm-bindgen, as a library)");
    let mut out = wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)?
        .omit_default_module_path(true)
        .encode_into(wasm_bindgen_cli_support::EncodeInto::Always)
        .typescript(false)
        .out_name("kelisim")
        .generate_output()
        .context("wasm-bindgen")?;
    let js = short_names(&mut out).context("shortening the names between the module and its glue")?;
    out.emit(&work).context("wasm-bindgen: writing its output")?;
    std::fs::write(work.join("kelisim.js"), js)?;
    step(&format!("optimizing the module (wasm-opt {})", WASM_OPT_PASSES.join(" ")));
    let opt = work.join("kelisim.opt.wasm");
    run(
        Command::new(&wasm_opt)
            .arg(work.join("kelisim_bg.wasm"))
            .args(WASM_OPT_PASSES)
            .args([
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-multivalue",
                "--strip-debug",
                "--strip-producers",
                "--strip-target-features",
                "-o",
            ])
            .arg(&opt),
        "wasm-opt",
    )?;
    step("bundling the host script with the glue, minifying it and the loader (esbuild)");
    // The glue imports `./host.js` (the module's imports) and host.js imports `./kelisim.js`
    // (the glue): beside each other, esbuild bundles the two into one file.
    for file in ["host.js", "embeds.js", "prefs.js"] {
        std::fs::copy(root().join("widget").join(file), work.join(file))
            .with_context(|| format!("copying widget/{file}"))?;
    }
    // The styles go in as text (`--loader:.css=text`): minified first, as CSS.
    for file in ["widget.css", "prefs.css"] {
        run(
            Command::new(&esbuild)
                .arg(root().join("widget").join(file))
                .args(["--minify", "--loader:.css=css", "--log-level=warning"])
                .arg(format!("--outfile={}", work.join(file).display())),
            "esbuild (css)",
        )?;
    }
    // The bundle exports only what the loader calls (host.js's exports for the module are
    // bound inside the bundle).
    std::fs::write(work.join("entry.js"), "export { boot } from './host.js';\n")?;
    // Code only some visits need is split into files of its own, which the bundle imports by a
    // relative, content-hashed name when needed: embeds.js (the placeholders, pages with a
    // waiting embed) and prefs.js (the preferences dialog's styles, its first opening).
    let out = work.join("out");
    let _ = std::fs::remove_dir_all(&out);
    run(
        Command::new(&esbuild)
            .arg(work.join("entry.js"))
            .args([
                "--bundle",
                "--splitting",
                "--minify",
                "--format=esm",
                "--target=es2020",
                "--loader:.css=text",
                "--log-level=warning",
            ])
            .args(["--entry-names=[name]", "--chunk-names=[name]-[hash]"])
            .arg(format!("--outdir={}", out.display())),
        "esbuild (host)",
    )?;
    let glue = out.join("entry.js");
    let mut chunks = Vec::new();
    for e in std::fs::read_dir(&out)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if name != "entry.js" {
            chunks.push(name);
        }
    }
    // Only the lazily loaded ones, each self-contained: a chunk shared with the bundle would
    // cost the first visit a second request.
    chunks.sort();
    let lazy = chunks.len() == 2 && chunks[0].starts_with("embeds-") && chunks[1].starts_with("prefs-");
    anyhow::ensure!(
        lazy && chunks.iter().all(|c| std::fs::read_to_string(out.join(c))
            .is_ok_and(|t| !t.contains("from\"./") && !t.contains("import(\"./"))),
        "esbuild split the host bundle unexpectedly: {chunks:?}"
    );
    // The loader twice from one source: with the blocker (widget/blocker.js, bundled in) and
    // without it (KELISIM_BLOCKER false: esbuild drops the call and the unused import).
    let mut loaders = Vec::new();
    for (name, blocker) in [("loader.js", false), ("loader-block.js", true)] {
        let min = work.join(name);
        run(
            Command::new(&esbuild)
                .arg(root().join("widget/loader.js"))
                .args(["--bundle", "--format=iife", "--minify", "--target=es2017", "--log-level=warning"])
                .arg(format!("--define:KELISIM_BLOCKER={blocker}"))
                .arg(format!("--outfile={}", min.display())),
            "esbuild (loader)",
        )?;
        let text = std::fs::read_to_string(&min)?;
        anyhow::ensure!(text.contains("__KELISIM_BOOT__"), "the minified {name} lost its __KELISIM_BOOT__ placeholder");
        anyhow::ensure!(
            text.contains("MutationObserver") == blocker,
            "the minified {name} {} the blocker",
            if blocker { "lacks" } else { "still has" }
        );
        loaders.push((name, text));
    }
    let dist = target.join("widget-dist");
    let _ = std::fs::remove_dir_all(dist.join("widget"));
    std::fs::create_dir_all(dist.join("widget"))?;
    let wasm_name = hashed("kelisim", "wasm", &opt)?;
    let glue_name = hashed("kelisim", "js", &glue)?;
    std::fs::copy(&opt, dist.join("widget").join(&wasm_name))?;
    std::fs::copy(&glue, dist.join("widget").join(&glue_name))?;
    for c in &chunks {
        std::fs::copy(out.join(c), dist.join("widget").join(c))?;
    }
    // The blocker of earlier builds was a file of its own.
    let _ = std::fs::remove_file(dist.join("blocker.js"));
    for (name, text) in &loaders {
        write_if_changed(&dist.join(name), text.as_bytes())?;
    }
    let manifest = format!("{{\"glue\":\"{glue_name}\",\"wasm\":\"{wasm_name}\"}}\n");
    write_if_changed(&dist.join("manifest.json"), manifest.as_bytes())?;
    for (name, path) in [
        ("loader.js", dist.join("loader.js")),
        ("loader-block.js", dist.join("loader-block.js")),
        (&*glue_name, dist.join("widget").join(&glue_name)),
        (&*wasm_name, dist.join("widget").join(&wasm_name)),
    ] {
        println!("    {name}: {} bytes", std::fs::metadata(path)?.len());
    }
    println!("    widget ready in {}", dist.display());
    Ok(())
}

/// The names the module and its glue know each other by, shortened in both: wasm-bindgen names
/// each import `__wbg_<name>_<16 hex digits>` (in module `./kelisim_bg.js`), and its exports
/// `__wbindgen_malloc` and the like beside the widget's `configLoaded`…; the imports it takes
/// straight from host.js come through one `import * as` per import. Each name appears in both
/// files, and the hashes do not compress:
/// about 0.6 KB brotli of every first visit (docs/BENCHMARKS.md). Every replacement is checked
/// to hit exactly what it should, so a change in wasm-bindgen's output fails the build here.
fn short_names(out: &mut wasm_bindgen_cli_support::Output) -> Result<String> {
    let mut js = out.js().to_owned();
    // Short names: a, b, …, z, A, …, Z, aa, ab, …
    let short = |mut i: usize| {
        const C: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut s = String::new();
        loop {
            s.insert(0, C[i % C.len()] as char);
            if i < C.len() {
                return s;
            }
            i = i / C.len() - 1;
        }
    };
    let replace_once = |js: &mut String, from: &str, to: &str| -> Result<()> {
        if js.matches(from).count() != 1 {
            let _ = std::fs::write(root().join("target/widget-build/kelisim.unshortened.js"), &*js);
            anyhow::bail!("`{from}` is not in the glue exactly once (see target/widget-build/kelisim.unshortened.js)");
        }
        *js = js.replacen(from, to, 1);
        Ok(())
    };
    let module = out.wasm_mut();
    // The imports the glue defines, in its object `import0`.
    replace_once(&mut js, "\"./kelisim_bg.js\": import0,", "k: import0,")?;
    // Those that come straight from host.js join them, by name.
    let mut direct = Vec::new();
    let mut n = 0;
    for imp in module.imports.iter_mut() {
        let name = short(n);
        n += 1;
        match imp.module.as_str() {
            "./kelisim_bg.js" => {
                replace_once(&mut js, &format!("{}: function(", imp.name), &format!("{name}: function("))?
            }
            "./host.js" => direct.push(format!("{name}: {}", imp.name)),
            other => anyhow::bail!("an import from `{other}`, which the glue does not provide"),
        }
        imp.module = "k".into();
        imp.name = name;
    }
    let mut stars = 0;
    while let Some(at) = js.find("import * as import") {
        let end = at + js[at..].find('\n').context("an import line without its end")? + 1;
        let number = &js[at + "import * as import".len()..end].split(' ').next().unwrap_or("").to_owned();
        js.replace_range(at..end, "");
        replace_once(&mut js, &format!("\"./host.js\": import{number},"), "")?;
        stars += 1;
    }
    anyhow::ensure!(stars == 0 || !direct.is_empty(), "host.js imported as a whole for nothing");
    if !direct.is_empty() {
        let names: Vec<&str> = direct.iter().map(|d| d.split(": ").nth(1).unwrap_or("")).collect();
        js.insert_str(0, &format!("import {{ {} }} from './host.js';\n", names.join(", ")));
        replace_once(&mut js, "const import0 = {", &format!("const import0 = {{\n{},", direct.join(",\n")))?;
    }
    // host.js always calls `initSync({ module })`: the warning for the old calling convention
    // is never printed, and is ~55 B of every first visit.
    replace_once(
        &mut js,
        "console.warn('using deprecated parameters for `initSync()`; pass a single object instead')",
        "0",
    )?;
    // The glue renews its TextDecoder every 2 GB decoded (a Safari limit); the widget decodes a
    // few kilobytes per page, so it decodes straight away (the minifier drops the rest).
    replace_once(
        &mut js,
        "function decodeText(bytes) {",
        "function decodeText(bytes) {\nreturn cachedTextDecoder.decode(bytes);",
    )?;
    replace_once(&mut js, "const MAX_SAFARI_DECODE_BYTES = 2146435072;", "")?;
    // Every string goes in through `encodeInto` (EncodeInto::Always): each call passes the
    // module's realloc (checked), so the branch for a call without it is dead (~40 B).
    let calls: Vec<&str> = js.split("passStringToWasm0(").skip(1).collect();
    anyhow::ensure!(
        calls.len() > 1
            && calls.iter().all(|c| c.starts_with("arg, malloc, realloc)")
                || c.split(')').next().is_some_and(|a| a.matches(',').count() == 2)),
        "a call of passStringToWasm0 without realloc"
    );
    replace_once(&mut js, "if (realloc === undefined) {", "if (false) {")?;
    replace_once(&mut js, "let numBytesDecoded = 0;", "")?;
    // Two globals wasm-bindgen's runtime exports for its unwinding catch wrappers, which a
    // module built to abort on panic never has: the glue never reads them (checked), so they go.
    let unused: Vec<_> = module
        .exports
        .iter()
        .filter(|e| matches!(e.name.as_str(), "__abort_handler" | "__instance_terminated"))
        .map(|e| (e.id(), e.name.clone()))
        .collect();
    for (id, name) in unused {
        anyhow::ensure!(!js.contains(&name), "the glue uses `{name}`, which the build removes");
        module.exports.delete(id);
    }
    // Every export, wasm-bindgen's own (`wasm.__wbindgen_malloc(…)`), the widget's
    // (`wasm.configLoaded(…)`) and the memory, is used by the glue alone: each gets a short name.
    for exp in module.exports.iter_mut() {
        let name = short(n);
        n += 1;
        let from = format!("wasm.{}", exp.name);
        anyhow::ensure!(js.contains(&from), "the glue never uses `{from}`");
        // Each `wasm.NAME` that is not the start of a longer name.
        let mut rest = js.as_str();
        let mut renamed = String::with_capacity(js.len());
        while let Some(at) = rest.find(&from) {
            let after = &rest[at + from.len()..];
            let whole = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$');
            renamed.push_str(&rest[..at]);
            renamed.push_str("wasm.");
            renamed.push_str(if whole { &name } else { &exp.name });
            rest = after;
        }
        renamed.push_str(rest);
        js = renamed;
        exp.name = name;
    }
    Ok(js)
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
