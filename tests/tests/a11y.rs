//! The dashboard for everyone (issue 19): every dashboard page, in Kazakh and in Russian, run
//! through axe-core (installed by `cargo xtask test`, path in AXE_JS) over the whole document
//! finds nothing; and on a phone (390 CSS px wide) no page scrolls sideways — a wide table
//! scrolls inside its own wrapper — and the navigation stays on the screen.
//! `KELISIM_SCREENSHOTS=DIR` keeps each page as the phone showed it.

use kelisim_tests::admin::{add_account, session};
use kelisim_tests::browser::Browser;
use kelisim_tests::dashboard::{shoot, sign_in};
use kelisim_tests::{demo_sites_copy, post_form, seed, Kelisim};

const SITE: &str = "webpulse";

/// A server with data on every page: decisions, two text versions, an export in the audit trail.
fn server() -> (tempfile::TempDir, Kelisim) {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();
    add_account(&k, "alice", "admin");
    add_account(&k, "boris", "auditor");
    seed(&k, 12);
    let (cookie, csrf) = session(&k, "alice");
    let h = [("cookie", cookie.as_str())];
    let file = std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap();
    let changed = file.replacen("policy_version = \"", "policy_version = \"2", 1);
    assert_ne!(changed, file);
    let r = post_form(
        &k.url(&format!("/admin/sites/{SITE}/policy")),
        &h,
        &[("csrf", &csrf), ("do", "publish"), ("text", &changed)],
    );
    assert!(r.status == 200 || r.status == 303, "{}", r.body);
    (sites, k)
}

/// Every dashboard page a signed-in admin opens (the login page is opened signed out).
fn pages(k: &Kelisim) -> Vec<String> {
    let versions: Vec<String> = {
        let db = k.db();
        let mut st = db.prepare("SELECT version FROM config_versions WHERE site = ?1 ORDER BY first_seen").unwrap();
        st.query_map([SITE], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert!(versions.len() >= 2, "{versions:?}");
    let (a, b) = (&versions[0], &versions[versions.len() - 1]);
    let s = format!("/admin/sites/{SITE}");
    vec![
        "/admin/".to_owned(),
        format!("{s}/"),
        format!("{s}/log"),
        format!("{s}/withdrawals"),
        format!("{s}/configs"),
        format!("{s}/configs/{b}"),
        format!("{s}/compare?a={a}&b={b}"),
        format!("{s}/policy"),
        format!("{s}/edit"),
        "/admin/sites/new".into(),
        format!("{s}/install"),
        format!("{s}/scan"),
        "/admin/audit".into(),
        "/admin/accounts".into(),
        format!("{s}/export"),
    ]
}

/// axe-core's violations on the whole document, one line each: rule, target, what failed.
async fn axe(b: &Browser) -> Vec<String> {
    b.inject_axe().await;
    // The preview frame is the widget's own document (tests/tests/visitor.rs checks it).
    let r = b
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1];
             axe.run(document, { iframes: false, resultTypes: ['violations'] }).then(function (r) {
               var out = [];
               r.violations.forEach(function (v) { v.nodes.forEach(function (n) {
                 out.push(v.id + ' at ' + n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' '));
               }); });
               done(out);
             }, function (e) { done(['axe failed: ' + e]); });",
            vec![],
        )
        .await
        .unwrap();
    r.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// A short name for a page's screenshot.
fn shot_name(path: &str) -> String {
    let p = path.trim_start_matches("/admin/").split('?').next().unwrap();
    if p == "sites/webpulse/" {
        return "overview".into();
    }
    let p = p.trim_start_matches("sites/webpulse/").trim_end_matches('/');
    let p = p.split('/').map(|s| if s.len() > 12 { &s[..12] } else { s }).collect::<Vec<_>>().join("-");
    if p.is_empty() {
        "sites".into()
    } else {
        p
    }
}

#[tokio::test]
async fn axe_core_finds_nothing_on_any_dashboard_page_in_kazakh_and_russian() {
    let (_sites, k) = server();
    let pages = pages(&k);
    let b = Browser::start_with(&["--window-size=1280,900"]).await;
    let mut found = Vec::new();
    for lang in ["kk", "ru"] {
        b.goto(&k.url(&format!("/admin/lang?to={lang}"))).await;
        b.goto(&k.url("/admin/login")).await;
        found.extend(axe(&b).await.into_iter().map(|v| format!("{lang} /admin/login: {v}")));
    }
    sign_in(&b, &k, "alice").await;
    for lang in ["kk", "ru"] {
        b.goto(&k.url(&format!("/admin/lang?to={lang}"))).await;
        for p in &pages {
            b.goto(&k.url(p)).await;
            let shown = b.js("return document.documentElement.lang").await;
            assert_eq!(shown.as_str(), Some(lang), "{p}");
            found.extend(axe(&b).await.into_iter().map(|v| format!("{lang} {p}: {v}")));
        }
    }
    b.close().await;
    assert!(found.is_empty(), "axe-core found {} violations:\n{}", found.len(), found.join("\n"));
}

#[tokio::test]
async fn on_a_390_px_phone_no_dashboard_page_scrolls_sideways_and_the_navigation_fits() {
    let (_sites, k) = server();
    let pages = pages(&k);
    let b = Browser::start_narrow(390).await;
    // What sticks out: the page's width, and each element (not inside a scrolling wrapper)
    // whose right edge is past the screen's.
    const MEASURE: &str = "var w = document.documentElement.scrollWidth, out = [];
        document.querySelectorAll('body *').forEach(function (e) {
          var r = e.getBoundingClientRect();
          if (r.right > 390.5 && r.width > 0) {
            for (var p = e.parentElement; p; p = p.parentElement) {
              var o = getComputedStyle(p).overflowX;
              if (o === 'auto' || o === 'scroll' || o === 'hidden') return;
            }
            out.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(r.right));
          }
        });
        return [w, out.slice(0, 6).join(', ')];";
    // Every link of the navigation is on the screen (scrolling the page down reaches it, not
    // sideways).
    const NAV: &str = "var out = [];
        document.querySelectorAll('header a, header button, nav a').forEach(function (e) {
          var r = e.getBoundingClientRect();
          if (r.width === 0 || r.left < -0.5 || r.right > 390.5) out.push(e.textContent.trim());
        });
        return out;";
    let mut wide = Vec::new();
    for lang in ["kk", "ru"] {
        b.goto(&k.url(&format!("/admin/lang?to={lang}"))).await;
        b.goto(&k.url("/admin/login")).await;
        let width = b.js("return window.innerWidth").await;
        assert_eq!(width.as_f64(), Some(390.0), "the phone's viewport");
        let m = b.js(MEASURE).await;
        if m[0].as_f64().unwrap() > 390.0 {
            wide.push(format!("{lang} /admin/login: {} px wide ({})", m[0], m[1]));
        }
        shoot(&b, &format!("phone-{lang}-login")).await;
    }
    sign_in(&b, &k, "alice").await;
    for lang in ["kk", "ru"] {
        b.goto(&k.url(&format!("/admin/lang?to={lang}"))).await;
        for p in &pages {
            b.goto(&k.url(p)).await;
            let m = b.js(MEASURE).await;
            if m[0].as_f64().unwrap() > 390.0 {
                wide.push(format!("{lang} {p}: {} px wide ({})", m[0], m[1]));
            }
            let off = b.js(NAV).await;
            if !off.as_array().unwrap().is_empty() {
                wide.push(format!("{lang} {p}: navigation off the screen: {off}"));
            }
            shoot(&b, &format!("phone-{lang}-{}", shot_name(p))).await;
        }
    }
    b.close().await;
    assert!(wide.is_empty(), "at 390 px:\n{}", wide.join("\n"));
}
