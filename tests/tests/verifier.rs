//! The auditor's verifier in the browser (docs/export.md, "In the browser"): the page at
//! `/verify/` of the real server, and the self-contained `target/kelisim-verifier.html` opened
//! over `file://`, in a real headless Chromium. A bundle is loaded through the file input
//! (WebDriver sends the path), the verification runs in the page's Web Worker, and its verdict
//! must be `kelisim verify`'s on the same bundle: intact with the same counts and key, or the
//! same file, record and reason.

use fantoccini::Locator;
use kelisim_tests::browser::Browser;
use kelisim_tests::bundle::{edited, join, lines};
use kelisim_tests::{cli, get, root, seed, Kelisim};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn export(k: &Kelisim, dir: &Path) -> PathBuf {
    let out = dir.join("bundle.zip");
    let r = cli(&[
        "export",
        "--site",
        "webpulse",
        "--out",
        out.to_str().unwrap(),
        "--data",
        k.data.path().to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    out
}

/// `kelisim verify`'s verdict line (stdout when intact, stderr without `kelisim: ` when not).
fn cli_verdict(bundle: &Path) -> (bool, String) {
    let r = cli(&["verify", bundle.to_str().unwrap()]);
    let text = if r.status.success() {
        String::from_utf8_lossy(&r.stdout).into_owned()
    } else {
        String::from_utf8_lossy(&r.stderr).into_owned()
    };
    (r.status.success(), text.trim().trim_start_matches("kelisim: ").to_owned())
}

/// A copy of the bundle named `label` with `edit` applied to one entry.
fn tampered(bundle: &Path, label: &str, name: &str, edit: impl Fn(Vec<u8>) -> Vec<u8>) -> PathBuf {
    edited(bundle, &format!("{label}.zip"), name, edit)
}

/// The bundles of the tests: the one exported, and four changed the ways an auditor must catch.
fn bundles(bundle: &Path) -> Vec<(&'static str, PathBuf)> {
    let other_key = kelisim_shared::checkpoint::LogKey::from_seed("kelisim", [9; 32]).unwrap().verifier().to_text();
    vec![
        ("intact", bundle.to_owned()),
        (
            "record-changed",
            tampered(bundle, "record-changed", "events.jsonl", |b| {
                let mut l = lines(&b);
                let i = l[4].iter().position(|c| *c == b'"').unwrap() + 3;
                l[4][i] ^= 0x01;
                join(&l)
            }),
        ),
        (
            "record-dropped",
            tampered(bundle, "record-dropped", "events.jsonl", |b| {
                let mut l = lines(&b);
                l.remove(6);
                join(&l)
            }),
        ),
        (
            "csv-changed",
            tampered(bundle, "csv-changed", "events.csv", |b| {
                let mut l = lines(&b);
                let at = l[5].windows(10).position(|w| w == b"accept_all" || w == b"reject_all").unwrap();
                let new: &[u8] = if &l[5][at..at + 10] == b"accept_all" { b"reject_all" } else { b"accept_all" };
                l[5][at..at + 10].copy_from_slice(new);
                join(&l)
            }),
        ),
        ("key-swapped", tampered(bundle, "key-swapped", "log-key.pub", |_| format!("{other_key}\n").into_bytes())),
    ]
}

/// Loads `bundle` into the page at `url` and waits for its verdict: (`data-verdict`, the line
/// the page says `kelisim verify` prints, the whole verdict's text).
async fn verdict(b: &Browser, url: &str, bundle: &Path) -> (String, String, String) {
    b.goto(url).await;
    wait(b, "the page to start", "return document.documentElement.getAttribute('data-ready')").await;
    let input = b.client.find(Locator::Css("#file")).await.unwrap();
    input.send_keys(bundle.to_str().unwrap()).await.unwrap();
    let v =
        wait(b, "a verdict", "var v = document.getElementById('verdict'); return v.getAttribute('data-verdict')").await;
    let cli = b
        .js("var c = document.getElementById('cli'); return c ? c.textContent : ''")
        .await
        .as_str()
        .unwrap_or("")
        .to_owned();
    let text = b.js("return document.getElementById('verdict').innerText").await.as_str().unwrap_or("").to_owned();
    (v, cli, text)
}

/// Polls a script until it returns a non-null value (up to 30 s).
async fn wait(b: &Browser, what: &str, script: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = b.js(script).await;
        if !v.is_null() {
            return v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(b: &Browser, name: &str) {
    let png = b.client.screenshot().await.unwrap();
    let dir = root().join("target/verifier-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// What each case must name, beyond the CLI's line being the page's.
fn check_case(case: &str, text: &str) {
    match case {
        "record-changed" => assert!(text.contains("events.jsonl") && text.contains("seq 5"), "{text}"),
        "record-dropped" => assert!(text.contains("seq 8") && text.contains("missing"), "{text}"),
        "csv-changed" => assert!(text.contains("events.csv line 6 (seq 5)"), "{text}"),
        "key-swapped" => assert!(text.contains("files.sig") && text.contains("signature"), "{text}"),
        _ => {}
    }
}

async fn every_case(b: &Browser, url: &str, cases: &[(&'static str, PathBuf)], shots: &str) {
    for (case, path) in cases {
        let (ok, want) = cli_verdict(path);
        assert_eq!(ok, *case == "intact", "{case}: {want}");
        let (v, got, text) = verdict(b, &format!("{url}?lang=ru"), path).await;
        assert_eq!(v, if ok { "intact" } else { "failed" }, "{case} at {url}: {text}");
        assert_eq!(got, want, "{case} at {url}: the page's verdict is the CLI's");
        check_case(case, &got);
        if ok {
            let key = b.js("return document.getElementById('key-id').textContent").await;
            assert!(want.ends_with(&format!("key {}", key.as_str().unwrap())), "{want} / {key}");
            assert!(text.contains("Архив цел"), "{text}");
        } else {
            assert!(text.contains("Архив НЕ цел"), "{text}");
        }
        if !shots.is_empty() && (*case == "intact" || *case == "csv-changed") {
            screenshot(b, &format!("{shots}-ru-{case}")).await;
            b.client.find(Locator::Css("#lang")).await.unwrap().select_by_value("kk").await.unwrap();
            let title = wait(b, "Kazakh", "return document.documentElement.lang == 'kk' ? document.querySelector('#verdict h2').textContent : null").await;
            assert!(title.contains(if ok { "Архив бүтін" } else { "Архив бүтін емес" }), "{title}");
            screenshot(b, &format!("{shots}-kk-{case}")).await;
        }
    }
}

#[tokio::test]
async fn the_browser_verifier_gives_the_verdict_of_kelisim_verify() {
    let k = Kelisim::start();
    seed(&k, 12);
    let dir = tempfile::tempdir().unwrap();
    let bundle = export(&k, dir.path());
    let cases = bundles(&bundle);
    // Served: its own CSP, nothing inline.
    let page = get(&k.url("/verify/"), &[]);
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap_or("").to_owned();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && csp.contains("worker-src 'self'")
            && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!page.body.contains("<script>") && !page.body.contains("style="), "no inline script or style");
    let b = Browser::start().await;
    every_case(&b, &k.url("/verify/"), &cases, "served").await;
    // The self-contained file, over file://: the same verdicts, with no server at all.
    let file = root().join("target/kelisim-verifier.html");
    assert!(file.exists(), "{} is built by `cargo xtask build`", file.display());
    every_case(&b, &format!("file://{}", file.display()), &cases, "file").await;
    b.close().await;
}

#[tokio::test]
async fn records_are_browsed_and_filtered_after_verification() {
    let k = Kelisim::start();
    let (_, sent) = seed(&k, 60);
    let dir = tempfile::tempdir().unwrap();
    let bundle = export(&k, dir.path());
    let b = Browser::start().await;
    let (v, _, _) = verdict(&b, &k.url("/verify/?lang=en"), &bundle).await;
    assert_eq!(v, "intact");
    let rows = "return document.getElementById('page-info').textContent.indexOf('Showing') == 0 && document.querySelectorAll('#rows-body tr').length ? \
                Array.from(document.querySelectorAll('#rows-body tr')).map(function (r) { return r.getAttribute('data-seq') + ':' + r.querySelector('[data-action]').getAttribute('data-action') + ':' + r.querySelector('.id').textContent }).join(' ') : null";
    let first = wait(&b, "the first page of records", rows).await;
    let first: Vec<&str> = first.split(' ').collect();
    assert_eq!(first.len(), 50, "a page of 50");
    assert!(first[0].starts_with("1:accept_all:") && first[49].starts_with("50:"), "{first:?}");
    let info = b.js("return document.getElementById('page-info').textContent").await;
    assert_eq!(info.as_str().unwrap(), "Showing 1–50 of 60");
    // The next page, by keyboard: focus the button and press Enter.
    b.js("document.getElementById('page-info').textContent = ''; document.getElementById('next').focus()").await;
    b.press('\u{e007}').await;
    let second = wait(&b, "the second page", rows).await;
    assert_eq!(second.split(' ').count(), 10);
    assert!(second.starts_with("51:"), "{second}");
    // Filter by action.
    b.client.find(Locator::Css("#f-action")).await.unwrap().select_by_value("withdraw").await.unwrap();
    b.js("document.getElementById('page-info').textContent = ''; document.querySelector('#filter button').click()")
        .await;
    let withdrawn = wait(&b, "the withdrawals", rows).await;
    let want: Vec<usize> = sent.iter().enumerate().filter(|(_, s)| s.1 == "withdraw").map(|(i, _)| i + 1).collect();
    let got: Vec<usize> = withdrawn.split(' ').map(|r| r.split(':').next().unwrap().parse().unwrap()).collect();
    assert_eq!(got, want);
    assert!(withdrawn.split(' ').all(|r| r.contains(":withdraw:")));
    // By a consent id (part of it), any action.
    b.client.find(Locator::Css("#f-action")).await.unwrap().select_by_value("").await.unwrap();
    let id = &sent[41].0;
    b.client.find(Locator::Css("#f-consent")).await.unwrap().send_keys(&id[..13]).await.unwrap();
    b.js("document.getElementById('page-info').textContent = ''; document.querySelector('#filter button').click()")
        .await;
    let one = wait(&b, "one consent's records", rows).await;
    assert_eq!(one, format!("42:{}:{id}", sent[41].1));
    // By date: none before today, all of them from today on.
    b.js("document.getElementById('f-consent').value = ''; document.getElementById('f-to').value = '2000-01-01'; document.getElementById('page-info').textContent = ''; document.querySelector('#filter button').click()").await;
    let none = wait(&b, "no records", "var t = document.getElementById('page-info').textContent; return t && !document.getElementById('records').hasAttribute('aria-busy') ? t : null").await;
    assert_eq!(none, "No record matches the filter.");
    b.close().await;
}

#[tokio::test]
async fn the_verifier_fits_a_phone_and_announces_its_verdict() {
    let k = Kelisim::start();
    seed(&k, 5);
    let dir = tempfile::tempdir().unwrap();
    let bundle = export(&k, dir.path());
    let b = Browser::start_narrow(320).await;
    let (v, _, _) = verdict(&b, &k.url("/verify/?lang=kk"), &bundle).await;
    assert_eq!(v, "intact");
    wait(&b, "the records", "return document.querySelectorAll('#rows-body tr').length == 5 ? 1 : null").await;
    let overflow = b.js("return document.documentElement.scrollWidth").await.as_u64().unwrap();
    assert!(overflow <= 320, "the page is {overflow} px wide at 320 px");
    // The verdict is a live region and gets focus; every control has a label.
    let live = b.js("return document.getElementById('verdict').getAttribute('aria-live')").await;
    assert_eq!(live.as_str(), Some("polite"));
    let focused = b.js("return document.activeElement.id").await;
    assert_eq!(focused.as_str(), Some("verdict"));
    let unlabelled = b
        .js("return Array.from(document.querySelectorAll('input, select')).filter(function (e) { return !(e.labels && e.labels.length && e.labels[0].textContent.trim()); }).map(function (e) { return e.id; }).join(',')")
        .await;
    assert_eq!(unlabelled.as_str(), Some(""));
    let lang =
        b.js("return document.documentElement.lang + ' ' + document.querySelector('#verdict h2').textContent").await;
    assert_eq!(lang.as_str(), Some("kk ✓ Архив бүтін"));
    screenshot(&b, "narrow-kk-intact").await;
    b.close().await;
}
