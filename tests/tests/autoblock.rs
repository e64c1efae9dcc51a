//! Auto-blocking (issue 22, docs/auto-blocking.md): a page with the vendors' install snippets
//! pasted unchanged — Yandex.Metrica's, the Meta Pixel's, a Google Tag Manager container that
//! injects a TikTok pixel, the Google tag, a YouTube player added by a script — on a site whose
//! file names those services by catalogue id. Real headless Chromium over the DevTools
//! protocol; every request to a vendor host is answered by an in-process stand-in (the
//! `Fetch` domain, before any network), and `--host-resolver-rules` resolves nothing else but
//! 127.0.0.1, so nothing reaches the real internet.

use base64::Engine;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EnableParams, EventRequestPaused, FulfillRequestParams, HeaderEntry, RequestPattern,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use futures_util::StreamExt;
use kelisim_tests::pages::PageServer;
use kelisim_tests::{example_site, Kelisim};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The stand-ins: each vendor script says it ran and sets the cookie the real one sets.
fn stand_in(url: &str) -> Option<(&'static str, String)> {
    let ran = |name: &str, cookie: &str| {
        format!("(window.__ran = window.__ran || []).push('{name}'); document.cookie = '{cookie}=1; path=/';")
    };
    let js = "application/javascript";
    if url.starts_with("https://mc.yandex.ru/metrika/tag.js") {
        Some((js, ran("metrica", "_ym_uid")))
    } else if url.starts_with("https://connect.facebook.net/") {
        // Like fbevents.js, it sends its event as an image once it runs.
        Some((
            js,
            format!(
                "{} new Image().src = 'https://www.facebook.com/tr?id=1234567890&ev=PageView';",
                ran("meta", "_fbp")
            ),
        ))
    } else if url.starts_with("https://www.facebook.com/tr") {
        Some(("image/gif", String::new()))
    } else if url.starts_with("https://analytics.tiktok.com/i18n/pixel/events.js") {
        Some((js, ran("tiktok", "_ttp")))
    } else if url.starts_with("https://www.googletagmanager.com/gtag/js") {
        Some((js, ran("gtag", "_ga")))
    } else if url.starts_with("https://www.googletagmanager.com/gtm.js") {
        // The container injects a tag, as GTM does: a TikTok pixel, by document.createElement.
        Some((
            js,
            "(window.__ran = window.__ran || []).push('gtm'); var s = document.createElement('script'); s.async = true; s.src = 'https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=C1'; document.head.appendChild(s);".into(),
        ))
    } else if url.starts_with("https://www.youtube.com/embed/") {
        Some(("text/html", "<!doctype html><p>video</p>".into()))
    } else {
        None
    }
}

const PAGE: &str = r#"<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Магазин</title>
<script src="KELISIM/kelisim.js" data-site="example"></script>
<!-- Yandex.Metrika counter -->
<script type="text/javascript">
   (function(m,e,t,r,i,k,a){m[i]=m[i]||function(){(m[i].a=m[i].a||[]).push(arguments)};
   m[i].l=1*new Date();
   for (var j = 0; j < document.scripts.length; j++) {if (document.scripts[j].src === r) { return; }}
   k=e.createElement(t),a=e.getElementsByTagName(t)[0],k.async=1,k.src=r,a.parentNode.insertBefore(k,a)})
   (window, document, "script", "https://mc.yandex.ru/metrika/tag.js?id=12345678", "ym");
   ym(12345678, "init", { clickmap:true, trackLinks:true, accurateTrackBounce:true });
</script>
<!-- /Yandex.Metrika counter -->
<!-- Meta Pixel Code -->
<script>
!function(f,b,e,v,n,t,s)
{if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '1234567890');
fbq('track', 'PageView');
</script>
<!-- End Meta Pixel Code -->
<!-- Google Tag Manager -->
<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-ABCDEF');</script>
<!-- End Google Tag Manager -->
<script src="/app.js"></script>
</head><body><h1>Магазин</h1>
<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABCDEF1234"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-ABCDEF1234');
</script>
<div id="video"></div>
<script>var v = document.createElement('iframe'); v.width = 560; v.height = 315; v.src = 'https://www.youtube.com/embed/dQw4w9WgXcQ'; document.getElementById('video').appendChild(v);</script>
<script src="/app2.js"></script>
</body></html>"#;

/// The example site with its services named by catalogue id: Yandex.Metrica and the Google
/// tag in analytics, the Meta Pixel, TikTok and YouTube in marketing; Google Tag Manager is
/// not declared, so it runs and what it injects is held by its own service's rule.
fn sites(origin: &str) -> tempfile::TempDir {
    example_site(origin, |t| {
        let t = without_service_table(&t);
        let t =
            t.replacen("gpc_off = true\n", "gpc_off = true\nservice = [\"yandex-metrica\", \"google-analytics\"]\n", 1);
        let second = t.match_indices("gpc_off = true\n").nth(1).unwrap().0 + "gpc_off = true\n".len();
        format!("{}service = [\"meta-pixel\", \"tiktok-pixel\", \"youtube\"]\n{}", &t[..second], &t[second..])
    })
}

/// [`PAGE`] with the page's own two scripts, served beside a Kelisim whose example site is
/// [`sites`] changed by `edit`: the servers (kept alive by the caller) and the page's address.
fn serve_page(edit: impl Fn(String) -> String) -> (PageServer, tempfile::TempDir, Kelisim, String) {
    let pages = PageServer::start(vec![
        ("/app.js", "(window.__order = window.__order || []).push('app');".into()),
        ("/app2.js", "(window.__order = window.__order || []).push('app2');".into()),
    ]);
    let dir = sites(&pages.origin);
    let file = dir.path().join("example.toml");
    std::fs::write(&file, edit(std::fs::read_to_string(&file).unwrap())).unwrap();
    let k = Kelisim::start_with(dir.path(), &["--rate-limit", "0"]).unwrap_or_else(|e| panic!("{e}"));
    pages.set("/", PAGE.replace("KELISIM", &k.base));
    let url = format!("{}/", pages.origin);
    (pages, dir, k, url)
}

struct Visit {
    browser: Browser,
    page: chromiumoxide::Page,
    /// Every vendor URL asked for, in order.
    asked: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _profile: tempfile::TempDir,
}

impl Visit {
    async fn open(url: &str) -> Visit {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(chromium)
            .disable_default_args()
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(1280, 900)
            .viewport(None)
            // Names without the dashes: chromiumoxide adds them.
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-dev-shm-usage",
                "disable-default-apps",
                "host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ])
            .build()
            .unwrap();
        let (browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
        let mut tasks = vec![tokio::spawn(async move { while handler.next().await.is_some() {} })];
        let page = browser.new_page("about:blank").await.unwrap();
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let mut paused = page.event_listener::<EventRequestPaused>().await.unwrap();
        page.execute(
            EnableParams::builder().patterns(vec![RequestPattern::builder().url_pattern("*").build()]).build(),
        )
        .await
        .unwrap();
        let (p, log) = (page.clone(), asked.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = paused.next().await {
                let url = ev.request.url.clone();
                match stand_in(&url) {
                    Some((kind, body)) => {
                        log.lock().unwrap().push(url);
                        let fulfil = FulfillRequestParams::builder()
                            .request_id(ev.request_id.clone())
                            .response_code(200)
                            .response_headers(vec![HeaderEntry::new("content-type", kind)])
                            .body(base64::engine::general_purpose::STANDARD.encode(body))
                            .build()
                            .unwrap();
                        let _ = p.execute(fulfil).await;
                    }
                    None => {
                        // The page, the loader and the widget (127.0.0.1); anything else has
                        // no address (host-resolver-rules) and fails.
                        let _ = p.execute(ContinueRequestParams::new(ev.request_id.clone())).await;
                    }
                }
            }
        }));
        page.goto(url).await.unwrap();
        Visit { browser, page, asked, tasks, _profile: profile }
    }

    async fn js(&self, expr: &str) -> serde_json::Value {
        let p = EvaluateParams::builder().expression(expr).return_by_value(true).await_promise(true).build().unwrap();
        self.page.execute(p).await.unwrap().result.result.value.clone().unwrap_or(serde_json::Value::Null)
    }

    /// Waits until `expr` is true (at most 15 s).
    async fn until(&self, expr: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self.js(expr).await != serde_json::json!(true) {
            assert!(std::time::Instant::now() < deadline, "never true: {expr}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn asked(&self, prefix: &str) -> usize {
        self.asked.lock().unwrap().iter().filter(|u| u.starts_with(prefix)).count()
    }

    async fn ran(&self) -> Vec<String> {
        let v = self.js("JSON.stringify(window.__ran || [])").await;
        let mut ran: Vec<String> = serde_json::from_str(v.as_str().unwrap()).unwrap();
        ran.sort();
        ran
    }

    async fn click(&self, action: &str) {
        let banner = "document.getElementById('kelisim') && document.getElementById('kelisim').shadowRoot.querySelector('[data-kelisim=\"banner\"] [data-action=\"ACTION\"]')";
        self.until(&format!("!!({})", banner.replace("ACTION", action))).await;
        self.js(&format!("{}.click(), true", banner.replace("ACTION", action))).await;
    }

    async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        for t in self.tasks {
            t.abort();
        }
    }
}

/// Whether the `src` setters and `setAttribute` are the browser's own (the blocker set no hooks).
const NATIVE: &str = "['HTMLScriptElement', 'HTMLIFrameElement', 'HTMLImageElement'].every(function (n) { return Object.getOwnPropertyDescriptor(window[n].prototype, 'src').set.toString().indexOf('[native code]') >= 0; }) && Element.prototype.setAttribute.toString().indexOf('[native code]') >= 0";

const COOKIES: &str =
    "['_ym_uid', '_fbp', '_ttp', '_ga'].filter(function (c) { return document.cookie.indexOf(c + '=') >= 0; })";

#[test]
fn pasted_vendor_snippets_wait_for_consent_and_then_run_once_in_order() {
    let (_pages, _sites, _k, url) = serve_page(|t| t);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Before any choice.
        let v = Visit::open(&url).await;
        v.until("document.readyState == 'complete' && !!document.getElementById('kelisim')").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // The page's own scripts ran, in order, untouched.
        assert_eq!(v.js("JSON.stringify(window.__order)").await, serde_json::json!("[\"app\",\"app2\"]"));
        // Only the undeclared tag manager ran; no tracker ran or set a cookie.
        assert_eq!(v.ran().await, ["gtm"]);
        assert_eq!(v.js(&format!("JSON.stringify({COOKIES})")).await, serde_json::json!("[]"));
        // Nothing was asked of the trackers a script adds: Metrica, Meta, the TikTok tag GTM
        // injects, the YouTube player. (The Google tag written in the HTML may have been
        // fetched by the browser's preload scanner before any script ran — the limit of
        // docs/auto-blocking.md — but it did not run.)
        for host in [
            "https://mc.yandex.ru/",
            "https://connect.facebook.net/",
            "https://www.facebook.com/",
            "https://analytics.tiktok.com/",
            "https://www.youtube.com/",
        ] {
            assert_eq!(v.asked(host), 0, "{host} before a choice: {:?}", v.asked.lock().unwrap());
        }
        // The player waits behind the widget's placeholder.
        v.until("!!document.querySelector('#video iframe[data-category=\"marketing\"]')").await;

        v.click("accept-all").await;
        v.until("(window.__ran || []).length >= 5").await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(v.ran().await, ["gtag", "gtm", "meta", "metrica", "tiktok"], "each once");
        for host in [
            "https://mc.yandex.ru/",
            "https://connect.facebook.net/",
            "https://analytics.tiktok.com/",
            "https://www.youtube.com/embed/",
        ] {
            assert_eq!(v.asked(host), 1, "{host} once after Accept all: {:?}", v.asked.lock().unwrap());
        }
        assert_eq!(
            v.js(&format!("JSON.stringify({COOKIES}.sort())")).await,
            serde_json::json!("[\"_fbp\",\"_ga\",\"_ttp\",\"_ym_uid\"]")
        );
        assert_eq!(v.js("JSON.stringify(window.__order)").await, serde_json::json!("[\"app\",\"app2\"]"), "ran once");
        // What a granted tracker sends itself goes through: the Meta Pixel's event image.
        v.until("true").await;
        assert_eq!(v.asked("https://www.facebook.com/tr?"), 1, "{:?}", v.asked.lock().unwrap());
        // The next page view, with the decision standing: each runs at once, once.
        v.asked.lock().unwrap().clear();
        v.page.reload().await.unwrap();
        v.until("document.readyState == 'complete' && (window.__ran || []).length >= 5").await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(v.ran().await, ["gtag", "gtm", "meta", "metrica", "tiktok"], "each once on a return visit");
        assert_eq!(v.asked("https://www.facebook.com/tr?"), 1);
        // Everything the blocker would hold is granted: it sets no hooks, so the page's own
        // elements cost what they cost without Kelisim.
        assert_eq!(v.js(NATIVE).await, serde_json::json!(true), "no hooks with everything granted");
        // W5: withdrawing on this page reloads it, which stops the trackers that run here (the
        // widget did not bring them back: they loaded as the page did).
        v.js("window.__before = 1, window.kelisim.rejectAll(), true").await;
        v.until("document.readyState == 'complete' && !window.__before && !!window.__order").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(v.ran().await, ["gtm"], "after the withdrawal's reload");
        assert_eq!(v.js(&format!("JSON.stringify({COOKIES})")).await, serde_json::json!("[]"));
        assert_eq!(v.js(NATIVE).await, serde_json::json!(false), "the hooks are set again");
        v.close().await;

        // Reject all, in a fresh browser: none of them ever runs.
        let v = Visit::open(&url).await;
        v.click("reject-all").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(v.ran().await, ["gtm"]);
        assert_eq!(v.js(&format!("JSON.stringify({COOKIES})")).await, serde_json::json!("[]"));
        for host in [
            "https://mc.yandex.ru/",
            "https://connect.facebook.net/",
            "https://www.facebook.com/",
            "https://analytics.tiktok.com/",
            "https://www.youtube.com/",
        ] {
            assert_eq!(v.asked(host), 0, "{host} after Reject all");
        }
        v.close().await;
    });
}

/// A site that does not reload on a revocation (`reload_on_revoke = false`): on a return visit
/// with everything granted the blocker waits without hooks; a withdrawal on the page sets them,
/// so what a script adds afterwards is held.
#[test]
fn a_withdrawal_on_a_page_without_hooks_sets_them_for_what_comes_after() {
    let (_pages, _sites, _k, url) = serve_page(|t| format!("reload_on_revoke = false\n{t}"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let v = Visit::open(&url).await;
        v.click("accept-all").await;
        v.until("(window.__ran || []).length >= 5").await;
        v.page.reload().await.unwrap();
        v.until("document.readyState == 'complete' && (window.__ran || []).length >= 5 && !!window.kelisim").await;
        assert_eq!(v.js(NATIVE).await, serde_json::json!(true), "no hooks with everything granted");
        v.js("window.__before = 1, window.kelisim.rejectAll(), true").await;
        v.until("!!window.kelisim.get() && window.kelisim.get().granted.join() == 'necessary'").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(v.js("window.__before").await, serde_json::json!(1), "not reloaded");
        assert_eq!(v.js(NATIVE).await, serde_json::json!(false), "the hooks are set");
        // A tracker a script adds now is held, as on a page that loaded without a decision.
        v.js("var s = document.createElement('script'); s.id = 'late'; s.src = 'https://mc.yandex.ru/metrika/tag.js?id=late'; document.head.appendChild(s), true").await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(v.asked("https://mc.yandex.ru/metrika/tag.js?id=late"), 0, "{:?}", v.asked.lock().unwrap());
        assert_eq!(
            v.js("document.getElementById('late').type + ' ' + document.getElementById('late').getAttribute('data-category')").await,
            serde_json::json!("text/plain analytics")
        );
        v.close().await;
    });
}

/// A tracker that ran before the loader (above it in `<head>`, the documented limit) is not
/// the blocker's to stop: a first visit's Reject all does not reload the page for it (W5 is
/// for what was granted), nor does granting one category only.
#[test]
fn a_decision_reloads_only_for_categories_that_were_granted() {
    let early =
        "<script src=\"https://mc.yandex.ru/metrika/tag.js?id=early\"></script>\n<script src=\"KELISIM/kelisim.js\"";
    let (pages, _sites, k, url) = serve_page(|t| t);
    pages.set("/", PAGE.replace("<script src=\"KELISIM/kelisim.js\"", early).replace("KELISIM", &k.base));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for decide in ["window.kelisim.rejectAll()", "window.kelisim.accept(['analytics'])"] {
            let v = Visit::open(&url).await;
            v.until(
                "document.readyState == 'complete' && !!window.kelisim && (window.__ran || []).indexOf('metrica') >= 0",
            )
            .await;
            v.js(&format!("window.__before = 1, {decide}, true")).await;
            v.until("!!window.kelisim.get()").await;
            tokio::time::sleep(Duration::from_millis(1000)).await;
            assert_eq!(v.js("window.__before").await, serde_json::json!(1), "{decide}: not reloaded");
            v.close().await;
        }
    });
}

#[test]
fn a_site_without_catalogue_services_gets_no_blocker() {
    let k = Kelisim::start();
    let loader = kelisim_tests::get(&k.url("/kelisim.js"), &[]).body;
    assert!(!loader.contains("__KELISIM_") && !loader.contains("data-kelisim-on"), "no blocker: {loader}");
    assert!(!loader.contains("MutationObserver"), "no blocker: {loader}");
}

/// `kelisim scan` of one page against the site file `policy`, as JSON, its Chromium resolving
/// nothing but 127.0.0.1: the exit status and the report.
fn scan(url: &str, policy: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let out = std::process::Command::new(kelisim_tests::bin())
        .args(["scan", url, "--policy", policy.to_str().unwrap(), "--pages", "1", "--format", "json"])
        .args(["--chromium", &chromium, "--timeout", "20"])
        .current_dir(kelisim_tests::root())
        .env("KELISIM_SCAN_HOST_RULES", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
        .output()
        .unwrap();
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

/// The example site's text without its Yandex.Metrica `[[category.service]]` table.
fn without_service_table(t: &str) -> String {
    let start = t.find("[[category.service]]").unwrap();
    let end = start + t[start..].find("\n\n").unwrap();
    format!("{}{}", &t[..start], &t[end + 2..])
}

/// `kelisim scan` of a page whose trackers are added by the vendors' snippets, with the services
/// declared by id: nothing is set or called before a choice, and after Reject all.
#[test]
fn the_scanner_finds_no_violation_on_an_auto_blocked_page() {
    let pages = PageServer::start(vec![("/app.js", "(window.__order = window.__order || []).push('app');".into())]);
    let sites = sites(&pages.origin);
    let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0"]).unwrap_or_else(|e| panic!("{e}"));
    // The snippets a script adds (Metrica, the Meta Pixel, a YouTube player): no Google tag
    // line in the HTML (the preload scanner may fetch it, docs/auto-blocking.md) and no
    // undeclared tag manager.
    let cut = |page: &str, from: &str, to: &str| {
        let a = page.find(from).unwrap();
        let b = a + page[a..].find(to).unwrap() + to.len();
        format!("{}{}", &page[..a], &page[b..])
    };
    let page = cut(PAGE, "<!-- Google Tag Manager -->", "<!-- End Google Tag Manager -->");
    let page = cut(&page, "<!-- Google tag (gtag.js) -->", "</script>\n<script>");
    let page = cut(&page, "  window.dataLayer = window.dataLayer || [];", "</script>");
    assert!(!page.contains("googletagmanager"), "{page}");
    pages.set("/", page.replace("KELISIM", &k.base));
    let (status, r) = scan(&format!("{}/", pages.origin), &sites.path().join("example.toml"));
    assert_eq!(r["summary"]["violations"], 0, "{:#}", r["findings"]);
    assert_eq!(status, Some(0), "{:#}", r["findings"]);
    // The same page served by a Kelisim whose site file names no service: the trackers run
    // before any choice, and the scan says so.
    let bare = example_site(&pages.origin, |t| without_service_table(&t));
    let k2 = Kelisim::start_with(bare.path(), &["--rate-limit", "0"]).unwrap_or_else(|e| panic!("{e}"));
    pages.set("/", page.replace("KELISIM", &k2.base));
    let (status, r) = scan(&format!("{}/", pages.origin), &bare.path().join("example.toml"));
    assert_eq!(status, Some(1), "{:#}", r["findings"]);
    let hosts: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "before_choice" && f["subject"] == "request")
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(hosts.contains(&"mc.yandex.ru") && hosts.contains(&"connect.facebook.net"), "{hosts:?}");
}

#[test]
fn auto_block_catalogue_holds_every_catalogue_service_in_the_category_that_fits() {
    let pages = PageServer::start(vec![]);
    // The example site naming no service, with `auto_block = "catalogue"`.
    let sites = example_site(&pages.origin, |t| {
        without_service_table(&t).replacen("consent_days = ", "auto_block = \"catalogue\"\nconsent_days = ", 1)
    });
    let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0"]).unwrap_or_else(|e| panic!("{e}"));
    let loader = kelisim_tests::get(&k.url("/kelisim.js"), &[]).body;
    let rules = loader.split("\"example\":").nth(1).unwrap_or_else(|| panic!("no rules for the site: {loader}"));
    assert!(loader.contains("MutationObserver"), "a blocker: {}", &loader[..400]);
    // [scope, days, floating_button, css or 0, [[[category, patterns], …], reload_on_revoke]]
    let rules = &rules[..=rules.find("\"]],").unwrap_or_else(|| panic!("{}", &rules[..rules.len().min(600)]))];
    // Yandex.Metrica and the Google tag in analytics, the Meta Pixel and YouTube in marketing;
    // the tag manager and Cloudflare (necessary by default) are not held.
    let of =
        |cat: &str| rules.split(&format!("[\"{cat}\",\"")).nth(1).map(|r| &r[..r.find('"').unwrap()]).unwrap_or("");
    assert!(of("analytics").contains("mc\\\\.yandex\\\\.ru") && of("analytics").contains("gtag"), "{rules}");
    assert!(of("marketing").contains("facebook") && of("marketing").contains("youtube"), "{rules}");
    assert!(!rules.contains("cloudflare") && !rules.contains("gtm\\\\.js"), "{rules}");
    // Without it, the same site gets no blocker.
    let plain = example_site(&pages.origin, |t| without_service_table(&t));
    let k2 = Kelisim::start_with(plain.path(), &["--rate-limit", "0"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(!kelisim_tests::get(&k2.url("/kelisim.js"), &[]).body.contains("MutationObserver"));
}
