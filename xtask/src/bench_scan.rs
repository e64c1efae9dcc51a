//! `cargo xtask bench scan [--pages N] [--rounds R]`: how many pages `kelisim scan` gets
//! through per minute on this machine. A generated shop of N pages (each embedding Kelisim,
//! with a gated analytics script setting Yandex.Metrica cookies and a gated marketing pixel,
//! every page linking to the others) is served on 127.0.0.1; the real `kelisim serve` gives the
//! banner; `kelisim scan` runs R times (three passes over every page each time) and the median
//! is written to docs/BENCHMARKS.md.

use crate::bench_server::start;
use crate::{root, step};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const START: &str = "<!-- bench-scan:start -->";
const END: &str = "<!-- bench-scan:end -->";

pub fn run(args: &[String]) -> Result<()> {
    let mut pages = 20usize;
    let mut rounds = 3usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let n: usize = it
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n >= 1)
            .with_context(|| format!("{a} takes a number >= 1"))?;
        match a.as_str() {
            "--pages" => pages = n,
            "--rounds" => rounds = n,
            _ => bail!("usage: cargo xtask bench scan [--pages N] [--rounds R]"),
        }
    }
    let bin = crate::build()?;
    let browser = crate::tools::ensure_chromium()?;
    let dir = tempfile_dir("bench-scan")?;
    // The shop's address goes into the site file before the server starts; the shop needs the
    // server's address in its pages: bind first, serve once both are known.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let site = format!("http://{}", listener.local_addr()?);
    let sites = dir.join("sites");
    std::fs::create_dir_all(&sites)?;
    let example = std::fs::read_to_string(root().join("shared/testdata/example.toml"))?;
    let policy = sites.join("example.toml");
    std::fs::write(
        &policy,
        example.replace(
            r#"origins = ["https://example.kz", "https://www.example.kz"]"#,
            &format!(r#"origins = ["{site}"]"#),
        ),
    )?;
    let kelisim = start(
        Command::new(&bin)
            .current_dir(root())
            .args(["serve", "--listen", "127.0.0.1:0", "--sites"])
            .arg(&sites)
            .arg("--data")
            .arg(dir.join("data"))
            .env("KELISIM_LOG", "warn"),
        "kelisim listening on ",
    )?;
    serve_shop(listener, pages, kelisim.base.clone());
    let mut times = Vec::new();
    let mut last = serde_json::Value::Null;
    for round in 1..=rounds {
        step(&format!("kelisim scan of {pages} pages, round {round} of {rounds}"));
        let began = Instant::now();
        let out = Command::new(&bin)
            .args(["scan", &format!("{site}/p0.html"), "--policy"])
            .arg(&policy)
            .args(["--pages", &pages.to_string(), "--format", "json", "--chromium"])
            .arg(&browser.chromium)
            .output()?;
        let secs = began.elapsed().as_secs_f64();
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).with_context(|| String::from_utf8_lossy(&out.stderr).into_owned())?;
        let scanned = report["pages"].as_array().map_or(0, Vec::len);
        if scanned != pages || report["summary"]["violations"] != 0 || report["summary"]["incomplete"] != 0 {
            bail!("the scan did not cover the shop cleanly ({scanned} pages): {}", report["summary"]);
        }
        println!("    {secs:.1} s: {:.1} pages per minute", pages as f64 * 60.0 / secs);
        times.push(secs);
        last = report;
    }
    drop(kelisim);
    let _ = std::fs::remove_dir_all(&dir);
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[times.len() / 2];
    let line = format!(
        "{pages} pages × 3 passes in {median:.1} s (median of {rounds}; min {:.1}, max {:.1}): **{:.1} pages per minute**, {:.2} s per page visit — {}, debug build of `kelisim`.",
        times[0],
        times[times.len() - 1],
        pages as f64 * 60.0 / median,
        median / (3 * pages) as f64,
        last["chromium"].as_str().unwrap_or("Chromium")
    );
    println!("\n{line}");
    write_doc(&root().join("docs/BENCHMARKS.md"), &line, pages, rounds)
}

fn tempfile_dir(name: &str) -> Result<std::path::PathBuf> {
    let dir = root().join("target").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Serves the shop: `/p0.html` … `/p{n-1}.html`, and the pixel.
fn serve_shop(listener: TcpListener, n: usize, kelisim: String) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let kelisim = kelisim.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut reader = BufReader::new(stream.try_clone().expect("socket"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, ctype, body) = page(&path, n, &kelisim);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
}

fn page(path: &str, n: usize, kelisim: &str) -> (&'static str, &'static str, String) {
    if path == "/pixel.svg" {
        return ("200 OK", "image/svg+xml", r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#.into());
    }
    let Some(i) = path
        .strip_prefix("/p")
        .and_then(|p| p.strip_suffix(".html"))
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|i| *i < n)
    else {
        return ("404 Not Found", "text/plain", "not found".into());
    };
    let links: String = (0..n).map(|j| format!(r#"<li><a href="/p{j}.html">Товар {j}</a></li>"#)).collect();
    let body = format!(
        r#"<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Товар {i}</title>
<script src="{kelisim}/kelisim.js" data-site="example"></script></head><body>
<h1>Товар {i}</h1><p>Описание товара, цена и доставка по Казахстану.</p><ul>{links}</ul>
<script type="text/plain" data-category="analytics">document.cookie = "_ym_uid=1; path=/; max-age=31536000"; document.cookie = "_ym_d=1; path=/; max-age=31536000"; document.cookie = "_ym_isad=2; path=/; max-age=172800";</script>
<img data-category="marketing" data-src="/pixel.svg" alt="" width="1" height="1">
</body></html>"#
    );
    ("200 OK", "text/html; charset=utf-8", body)
}

fn write_doc(path: &Path, line: &str, pages: usize, rounds: usize) -> Result<()> {
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    let day = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let block = format!(
        "{START}\nCommand: `cargo xtask bench scan --pages {pages} --rounds {rounds}` — {day}, this machine (2 cores). A generated shop of {pages} pages on 127.0.0.1, each with the Kelisim loader, a gated analytics script and a gated marketing pixel, all linking to each other; the real `kelisim serve` gives the banner; `kelisim scan` finds the pages from the first one and runs its three passes (the Accept all and Reject all passes side by side, each in its own Chromium).\n\n{line}\n{END}"
    );
    let new = match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) => format!("{}{block}{}", &doc[..a], &doc[b + END.len()..]),
        _ => format!("{}\n\n## Cookie scanner\n\n{block}\n", doc.trim_end()),
    };
    std::fs::write(path, new)?;
    Ok(())
}
