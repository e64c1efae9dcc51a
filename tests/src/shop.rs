//! A small shop that embeds Kelisim, for the scanner's tests (`tests/tests/scan.rs`, the CLI;
//! `tests/tests/scan_dashboard.rs`, the scans the server runs itself): its pages, its site file
//! and a third party on another address.

use crate::pages::PageServer;
use crate::{example_site, Kelisim};
use std::sync::Mutex;

/// Scans take turns: each runs Chromium, and the machine has two cores.
pub static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The loader tag of the `example` site; `KELISIM` stands for the server's origin.
pub const LOADER: &str = r#"<script src="KELISIM/kelisim.js" data-site="example"></script>"#;

/// A two-page shop on 127.0.0.1 embedding Kelisim, with `first` and `about` in the bodies.
pub fn shop(k: &Kelisim, pages: &PageServer, head: &str, first: &str, about: &str) {
    let loader = LOADER.replace("KELISIM", &k.base);
    pages.set(
        "/",
        format!(r#"<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Магазин</title>{loader}{head}</head><body><h1>Магазин</h1><a href="/about.html">О нас</a>{first}</body></html>"#),
    );
    pages.set(
        "/about.html",
        format!(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>О нас</title>{loader}</head><body>\n<h1>О нас</h1>\n<a href=\"/\">Главная</a>\n{about}\n</body></html>"
        ),
    );
}

/// The example site (shared/testdata/example.toml) on `origin`, declaring `_ym_uid` and
/// `_ym_d` only: `_ym_isad` stays undeclared.
pub fn sites_for(origin: &str) -> tempfile::TempDir {
    example_site(origin, |t| {
        let t = t.replace(r#"cookies = ["_ym_*"]"#, r#"cookies = ["_ym_uid", "_ym_d"]"#);
        let t = t.replace(r#"cookies = ["_ym_uid", "_ym_d", "_ym_isad"]"#, r#"cookies = ["_ym_uid", "_ym_d"]"#);
        assert!(!t.contains("_ym_isad") && !t.contains("_ym_*"), "the example site's cookie lines changed");
        t
    })
}

/// A third party on 127.0.0.2: a pixel and a frame.
pub fn third_party() -> PageServer {
    PageServer::start_on(
        "127.0.0.2",
        vec![
            ("/pixel.svg", r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#.into()),
            ("/frame.html", "<p>реклама</p>".into()),
        ],
    )
}
