//! The browser verifier's build (`www/verifier`, docs/export.md, "In the browser"): wasm32
//! release → wasm-bindgen (as a library, the same pinned `wasm-bindgen-cli-support` as the
//! widget's; `--target no-modules`, so one glue serves the page's `<script>` and the worker's
//! `importScripts`) → wasm-opt -O2 →
//!
//! - `target/verifier-dist/`: `index.html`, `verifier.css`, `boot.js`, `worker.js`,
//!   `kelisim-verifier.js`, `kelisim-verifier.wasm` — what `kelisim serve` embeds at `/verify/`;
//! - `target/kelisim-verifier.html`: the same page as one self-contained file (styles, glue and
//!   boot inline, the module as base64, the worker made from a blob), for `file://`: an auditor
//!   need not trust the operator's server. Its SHA-256 is printed, to be published and compared.

use crate::{cargo, root, run, step, tools};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

pub fn build() -> Result<()> {
    tools::ensure_wasm_target()?;
    let wasm_opt = tools::npm_tool("wasm-opt")?;
    step("building the browser verifier for wasm32 (release)");
    run(
        cargo().args([
            "build",
            "--locked",
            "-p",
            "kelisim-verifier",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
        ]),
        "cargo build (verifier)",
    )?;
    let target = root().join("target");
    let input = target.join("wasm32-unknown-unknown/release/kelisim_verifier.wasm");
    let work = target.join("verifier-build");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    step("generating the verifier's JS bindings (wasm-bindgen, as a library)");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .no_modules(true)?
        .omit_default_module_path(true)
        .typescript(false)
        .out_name("kelisim-verifier")
        .generate(&work)
        .context("wasm-bindgen (verifier)")?;
    step("optimizing the verifier's module (wasm-opt -O2)");
    let opt = work.join("kelisim-verifier.opt.wasm");
    run(
        Command::new(&wasm_opt)
            .arg(work.join("kelisim-verifier_bg.wasm"))
            .args([
                "-O2",
                "--enable-bulk-memory",
                "--enable-bulk-memory-opt",
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
        "wasm-opt (verifier)",
    )?;
    let glue = std::fs::read_to_string(work.join("kelisim-verifier.js"))?;
    let wasm = std::fs::read(&opt)?;
    let src = root().join("www/verifier/static");
    let read = |name: &str| {
        std::fs::read_to_string(src.join(name)).with_context(|| format!("reading www/verifier/static/{name}"))
    };
    let (index, css, boot, worker_boot) =
        (read("index.html")?, read("verifier.css")?, read("boot.js")?, read("worker-boot.js")?);

    let dist = target.join("verifier-dist");
    std::fs::create_dir_all(&dist)?;
    let worker = format!("importScripts('kelisim-verifier.js');\n{worker_boot}");
    for (name, bytes) in [
        ("index.html", index.as_bytes()),
        ("verifier.css", css.as_bytes()),
        ("boot.js", boot.as_bytes()),
        ("worker.js", worker.as_bytes()),
        ("kelisim-verifier.js", glue.as_bytes()),
        ("kelisim-verifier.wasm", &wasm),
    ] {
        write_if_changed(&dist.join(name), bytes)?;
    }

    step("writing the self-contained verifier (target/kelisim-verifier.html)");
    for (what, text) in
        [("the glue", &glue), ("boot.js", &boot), ("worker-boot.js", &worker_boot), ("verifier.css", &css)]
    {
        anyhow::ensure!(
            !text.contains("</script") && !text.contains("</style"),
            "{what} holds a closing tag and cannot be inlined"
        );
    }
    let b64 = base64(&wasm);
    let mut html = index.clone();
    let mut replace_once = |from: &str, to: &str| -> Result<()> {
        anyhow::ensure!(
            html.matches(from).count() == 1,
            "`{from}` is not in www/verifier/static/index.html exactly once"
        );
        html = html.replacen(from, to, 1);
        Ok(())
    };
    // No network at all: the page can load nothing and send nothing; the worker is a blob.
    let csp = "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; worker-src blob:; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";
    replace_once("<meta name=\"referrer\" content=\"no-referrer\">", &format!("<meta name=\"referrer\" content=\"no-referrer\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"))?;
    replace_once("<link rel=\"stylesheet\" href=\"verifier.css\">", &format!("<style>\n{css}</style>"))?;
    replace_once(
        "<script src=\"kelisim-verifier.js\"></script>",
        &format!(
            "<script type=\"application/octet-stream\" id=\"kelisim-wasm\">\n{b64}\n</script>\n<script type=\"text/plain\" id=\"kelisim-worker-boot\">\n{worker_boot}</script>\n<script id=\"kelisim-glue\">\n{glue}</script>"
        ),
    )?;
    replace_once("<script src=\"boot.js\"></script>", &format!("<script>\n{boot}</script>"))?;
    let out = target.join("kelisim-verifier.html");
    write_if_changed(&out, html.as_bytes())?;
    println!("    kelisim-verifier.wasm: {} bytes; kelisim-verifier.js: {} bytes", wasm.len(), glue.len());
    println!("    verifier ready in {} (served at /verify/)", dist.display());
    println!("    {}: {} bytes, SHA-256 {}", out.display(), html.len(), hex::encode(Sha256::digest(html.as_bytes())));
    Ok(())
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4 + b.len() / 57);
    for (i, c) in b.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for j in 0..4 {
            if j <= c.len() {
                out.push(A[(n >> (18 - 6 * j) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Keeps the mtime when nothing changed, so the server is not rebuilt for nothing.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
