//! The test page of the widget's end-to-end tests (`tests/tests/widget.rs`,
//! `tests/tests/early_layer.rs`) and what they read of it: a shop page in Russian with gated
//! scripts, an iframe and a pixel of each optional category, a page script that records what
//! ran and every console warning, and simulated network failures chosen by the query string;
//! the real server with `shared/testdata/example.toml`.

use crate::browser::{eventually, Browser};
use crate::pages::PageServer;
use crate::{example_site, Kelisim};
use serde_json::{json, Value};
use std::time::Duration;

pub const PAGE: &str = r##"<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Магазин</title>
<script>
  window.warnings = [];
  var warn0 = console.warn;
  console.warn = function () { warnings.push([].join.call(arguments, ' ')); warn0.apply(console, arguments); };
  window.ran = {}; window.order = [];
  sessionStorage.loads = (+sessionStorage.loads || 0) + 1;
  var q = location.search, fetch0 = window.fetch;
  if (q.indexOf('gpc') >= 0)
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: function () { return true; } });
  // Simulated network failures, in the page's own fetch (the real browser, the real server).
  window.fetch = function (url) {
    if (q.indexOf('offline') >= 0 && String(url).indexOf('/consents') >= 0) return Promise.reject(new TypeError('Failed to fetch'));
    // `flaky`: the first consent request fails, the next ones go through.
    if (q.indexOf('flaky') >= 0 && String(url).indexOf('/consents') >= 0 && !window.failedOnce) { window.failedOnce = true; return Promise.reject(new TypeError('Failed to fetch')); }
    if (q.indexOf('noconfig') >= 0 && /\/(config|widget\?)/.test(String(url))) return Promise.reject(new TypeError('Failed to fetch'));
    return fetch0.apply(this, arguments);
  };
</script>
<script src="KELISIM/kelisim.jsBUST" data-site="example"DATA_API></script>
<script>window.dataLayer.push({ event: 'gtm.js' });</script>
</head><body>
<h1>Магазин</h1><p>Каталог товаров.</p>
<a href="#kelisim" id="cookie-link">Настройки cookie</a>
<button type="button" data-kelisim-open id="cookie-button">Cookie</button>
<script type="text/plain" data-category="analytics">ran.analytics = (ran.analytics || 0) + 1; order.push('analytics-inline');
  document.cookie = "_ym_uid=123; path=/"; document.cookie = "_ym_d=456; path=/";</script>
<script type="text/plain" data-category="analytics" data-src="/ext.js"></script>
<script type="text/plain" data-category="marketing">ran.marketing = (ran.marketing || 0) + 1; order.push('marketing-inline');</script>
<iframe data-category="marketing" data-src="/frame.html" title="ad" id="frame"></iframe>
<img data-category="marketing" data-src="/pixel.svg" alt="" id="pixel">
<script>window.pageWorks = true;</script>
</body></html>"##;

pub struct Site {
    pub k: Kelisim,
    pub pages: PageServer,
    pub sites: tempfile::TempDir,
}

impl Site {
    pub fn start() -> Site {
        Site::start_with(|t| t)
    }

    /// With an edit of the site file's text.
    pub fn start_with(edit: impl Fn(String) -> String) -> Site {
        let pages = PageServer::start(vec![
            ("/ext.js", "ran.ext = (ran.ext || 0) + 1; order.push('analytics-src');".into()),
            ("/frame.html", "<p>ad</p>".into()),
            ("/pixel.svg", r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#.into()),
        ]);
        let sites = example_site(&pages.origin, edit);
        let k = Kelisim::start_with(sites.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
        let s = Site { k, pages, sites };
        s.set_page("");
        s
    }

    /// (Re)writes the test page; `bust` changes the loader URL as a fresh loader would be
    /// after its short cache time (the loader carries each site's consent scope).
    pub fn set_page(&self, bust: &str) {
        let html = PAGE.replace("KELISIM", &self.k.base).replace("BUST", bust).replace("DATA_API", "");
        self.pages.set("/", html.clone());
        let dead = PAGE
            .replace("KELISIM", &self.k.base)
            .replace("BUST", bust)
            .replace("DATA_API", r#" data-api="http://127.0.0.1:9""#);
        self.pages.set("/dead-api.html", dead);
    }

    pub fn url(&self, query: &str) -> String {
        format!("{}/{query}", self.pages.origin)
    }

    pub fn events(&self) -> Vec<(String, String, bool, String)> {
        let db = self.k.db();
        let mut st = db
            .prepare("SELECT action, granted, gpc, consent_id FROM events_readable WHERE site = 'example' ORDER BY seq")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
    }

    pub async fn wait_events(&self, n: usize) -> Vec<(String, String, bool, String)> {
        eventually(&format!("{n} logged events"), || Some(self.events()).filter(|e| e.len() >= n)).await
    }
}

pub async fn ran(b: &Browser, cat: &str) -> i64 {
    b.js(&format!("return window.ran && window.ran['{cat}'] || 0")).await.as_i64().unwrap_or(0)
}

pub async fn cookies(b: &Browser) -> String {
    b.js("return document.cookie").await.as_str().unwrap_or("").to_owned()
}

pub async fn eventually_js(b: &Browser, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while b.js(script).await != json!(true) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn kinds(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_owned()).collect()
}

pub const DATALAYER: &str = "return dataLayer.map(function (e) {
  var args = Object.prototype.toString.call(e) == '[object Arguments]';
  return args ? 'args:' + e[0] + ':' + e[1] + (e[1] == 'update' ? ':' + e[2].analytics_storage + ':' + e[2].ad_storage : '') : 'event:' + e.event; })";
