//! The driver for one browser tab: installs the scanner's hooks, loads a page, waits until
//! it is quiet, clicks the banner's button when the pass asks for it, and reads back what the
//! page stored and requested (`observe::Visit`).
//!
//! Who set a cookie: `Set-Cookie` headers come from `Network.responseReceivedExtraInfo`
//! (mapped to the request's URL); `document.cookie`, `localStorage.setItem` and
//! `cookieStore.set` are wrapped by `hook.js`, which reports the calling script through a
//! `Runtime.addBinding` binding. Who made a request: `Network.requestWillBeSent`'s initiator.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use super::chromium::Chromium;
use super::observe::{Cause, JarCookie, Placement, Request, StoredKey, Visit, Write};
use super::ScanError;
use chromiumoxide::cdp::browser_protocol::network::{
    BlockPattern, EventLoadingFailed, EventLoadingFinished, EventRequestServedFromCache, EventRequestWillBeSent,
    EventResponseReceived, EventResponseReceivedExtraInfo, Initiator, InitiatorType, RequestId, SetBlockedUrLsParams,
};
use chromiumoxide::cdp::browser_protocol::page::{AddScriptToEvaluateOnNewDocumentParams, NavigateParams};
use chromiumoxide::cdp::js_protocol::runtime::{AddBindingParams, EvaluateParams, EventBindingCalled, StackTrace};
use chromiumoxide::Page;
use futures_util::StreamExt;
use kelisim_shared::policy::StorageKind;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The binding `hook.js` reports writes through (an unlikely name, so no page uses it).
const BINDING: &str = "__kelisimScanReport";
const HOOK: &str = include_str!("hook.js");
/// Reads where the page's HTML puts the loader; answers a `Placement` as JSON.
const PLACEMENT: &str = include_str!("placement.js");
/// The widget's consent POST (docs/api.md), on whatever host serves Kelisim (URLPattern syntax).
const CONSENT_POST: &str = "*://*:*/api/v1/sites/*/consents";

/// How long the banner may take to appear once the page is quiet.
const BANNER_WAIT: Duration = Duration::from_secs(10);
/// A page is quiet when nothing is in flight for this long…
const QUIET: Duration = Duration::from_millis(500);
/// …or when nothing at all happened on the network for this long (a long poll never ends).
const STILL: Duration = Duration::from_millis(1200);

enum Ev {
    Sent(Arc<EventRequestWillBeSent>),
    Extra(Arc<EventResponseReceivedExtraInfo>),
    Done(RequestId),
    Binding(Arc<EventBindingCalled>),
}

pub struct Tab {
    page: Page,
    rx: mpsc::UnboundedReceiver<Ev>,
    forwarders: Vec<tokio::task::JoinHandle<()>>,
}

/// What has happened on the network and in the hooks since the visit began.
///
/// Each event type comes through a stream of its own, so events of one request may arrive
/// out of order: a `Set-Cookie` or an end seen before its request waits here for it.
#[derive(Default)]
struct Seen {
    urls: HashMap<RequestId, String>,
    inflight: HashSet<RequestId>,
    /// Cookie names from `Set-Cookie` headers whose request is not known yet.
    early_cookies: HashMap<RequestId, Vec<(String, bool)>>,
    /// Requests that ended before their start was seen.
    early_done: HashSet<RequestId>,
    writes: Vec<Write>,
    requests: Vec<Request>,
    after_choice: bool,
}

fn forward<T, F>(
    stream: chromiumoxide::listeners::EventStream<T>,
    tx: mpsc::UnboundedSender<Ev>,
    wrap: F,
) -> tokio::task::JoinHandle<()>
where
    T: chromiumoxide::cdp::IntoEventKind + Unpin + Send + Sync + 'static,
    F: Fn(Arc<T>) -> Ev + Send + 'static,
{
    tokio::spawn(async move {
        let mut stream = stream;
        while let Some(ev) = stream.next().await {
            if tx.send(wrap(ev)).is_err() {
                break;
            }
        }
    })
}

fn cdp(e: impl std::fmt::Display) -> ScanError {
    ScanError::Browser(format!("the DevTools protocol failed: {e}"))
}

impl Tab {
    pub async fn open(chromium: &Chromium) -> Result<Tab, ScanError> {
        let page = chromium.browser.new_page("about:blank").await.map_err(cdp)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let forwarders = vec![
            forward(page.event_listener::<EventRequestWillBeSent>().await.map_err(cdp)?, tx.clone(), Ev::Sent),
            forward(page.event_listener::<EventResponseReceivedExtraInfo>().await.map_err(cdp)?, tx.clone(), Ev::Extra),
            forward(page.event_listener::<EventLoadingFinished>().await.map_err(cdp)?, tx.clone(), |e| {
                Ev::Done(e.request_id.clone())
            }),
            forward(page.event_listener::<EventLoadingFailed>().await.map_err(cdp)?, tx.clone(), |e| {
                Ev::Done(e.request_id.clone())
            }),
            // A response from the cache, or a request the page never hears the end of (a
            // keepalive beacon), may have no loadingFinished: its response is end enough, the
            // quiet period covers the body.
            forward(page.event_listener::<EventRequestServedFromCache>().await.map_err(cdp)?, tx.clone(), |e| {
                Ev::Done(e.request_id.clone())
            }),
            forward(page.event_listener::<EventResponseReceived>().await.map_err(cdp)?, tx.clone(), |e| {
                Ev::Done(e.request_id.clone())
            }),
            forward(page.event_listener::<EventBindingCalled>().await.map_err(cdp)?, tx, Ev::Binding),
        ];
        // The scanner's clicks are not a person's consent: they must never reach a consent log
        // (Art. 8 p.1 — the log proves what visitors decided). The widget keeps the blocked
        // event in its queue, which the scan counts as Kelisim's own.
        let block = SetBlockedUrLsParams::builder().url_pattern(BlockPattern::new(CONSENT_POST, true)).build();
        page.execute(block).await.map_err(cdp)?;
        page.execute(AddBindingParams::new(BINDING)).await.map_err(cdp)?;
        let hook = HOOK.replace("__KELISIM_BINDING__", BINDING);
        page.execute(AddScriptToEvaluateOnNewDocumentParams::new(hook)).await.map_err(cdp)?;
        Ok(Tab { page, rx, forwarders })
    }

    pub async fn close(self) {
        for f in &self.forwarders {
            f.abort();
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.page.close()).await;
    }

    /// Runs `expression` in the page's main frame and returns its value.
    async fn eval(&self, expression: &str) -> Option<serde_json::Value> {
        let params = EvaluateParams::builder().expression(expression).return_by_value(true).build().ok()?;
        let r = tokio::time::timeout(Duration::from_secs(5), self.page.execute(params)).await.ok()?.ok()?;
        if r.result.exception_details.is_some() {
            return None;
        }
        r.result.result.value.clone()
    }

    /// Where the page's HTML puts the Kelisim loader (`observe::Placement`). The HTML is
    /// fetched again from inside the page (from the browser's cache where it may) and parsed
    /// with `DOMParser`, which runs nothing: the DOM of the loaded page would also hold what
    /// scripts inserted since, and Yandex.Metrica's snippet inserts its tag before the first
    /// script. Called after a visit's observations are read, so the fetch is not counted.
    pub async fn placement(&self) -> Placement {
        let page = self.eval("location.href").await.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let failed = |why: String| Placement { page: page.clone(), error: Some(why), ..Placement::default() };
        let Ok(params) =
            EvaluateParams::builder().expression(PLACEMENT).return_by_value(true).await_promise(true).build()
        else {
            return failed("the scanner could not ask the page".into());
        };
        let answer = match tokio::time::timeout(Duration::from_secs(10), self.page.execute(params)).await {
            Ok(Ok(r)) if r.result.exception_details.is_none() => r.result.result.value.clone(),
            Ok(Ok(_)) | Ok(Err(_)) => None,
            Err(_) => return failed("the page's HTML did not arrive within 10 s".into()),
        };
        match answer.map(serde_json::from_value::<Placement>) {
            Some(Ok(p)) => Placement { page, ..p },
            _ => failed("the page's HTML could not be read again".into()),
        }
    }

    fn drain(&mut self, seen: &mut Seen) -> bool {
        let mut any = false;
        while let Ok(ev) = self.rx.try_recv() {
            any = true;
            seen.take(ev);
        }
        any
    }

    /// Waits until the page is quiet (see `QUIET`, `STILL`) and its document complete, or
    /// until `deadline`. Returns false if the deadline came first.
    async fn settle(&mut self, seen: &mut Seen, deadline: Instant) -> bool {
        let mut last = Instant::now();
        loop {
            if self.drain(seen) {
                last = Instant::now();
            }
            let idle = last.elapsed();
            if (seen.inflight.is_empty() && idle >= QUIET) || idle >= STILL {
                let complete = self
                    .eval("document.readyState")
                    .await
                    .and_then(|v| v.as_str().map(|s| s == "complete"))
                    .unwrap_or(true);
                if complete {
                    return true;
                }
                last = Instant::now();
            }
            if Instant::now() >= deadline {
                return false;
            }
            let wait = deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(50));
            tokio::select! {
                ev = self.rx.recv() => if let Some(ev) = ev { seen.take(ev); last = Instant::now(); },
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Loads `url`; on the visit that makes the pass's choice, clicks `click` (a `data-action`
    /// of the banner, W12). `links`: also collect the page's links.
    pub async fn visit(&mut self, url: &str, click: Option<&str>, links: bool, timeout: Duration) -> Visit {
        let deadline = Instant::now() + timeout;
        let mut seen = Seen::default();
        self.drain(&mut seen);
        seen = Seen::default();
        let mut visit = Visit { page: url.to_owned(), ..Visit::default() };
        match tokio::time::timeout(timeout, self.page.execute(NavigateParams::new(url))).await {
            Err(_) => {
                visit.error = Some(format!("did not load within {} s", timeout.as_secs()));
                return visit;
            }
            Ok(Err(e)) => {
                visit.error = Some(format!("did not load: {e}"));
                return visit;
            }
            Ok(Ok(r)) => {
                if let Some(err) = r.result.error_text.as_deref().filter(|e| !e.is_empty()) {
                    visit.error = Some(format!("does not answer ({err})"));
                    return visit;
                }
            }
        }
        let mut quiet = self.settle(&mut seen, deadline).await;
        visit.landed = self.eval("location.href").await.and_then(|v| v.as_str().map(str::to_owned));
        visit.status = self
            .eval("(performance.getEntriesByType('navigation')[0] || {}).responseStatus || 0")
            .await
            .and_then(|v| v.as_u64())
            .filter(|s| *s > 0)
            .map(|s| s as u16);
        let html = self
            .eval("document.contentType")
            .await
            .and_then(|v| v.as_str().map(|s| s.contains("html")))
            .unwrap_or(true);
        if !html {
            visit.error = Some("is not an HTML page".into());
            return visit;
        }
        if let Some(action) = click {
            let clicked = self.click(action, &mut seen, deadline).await;
            visit.clicked = Some(clicked);
            if clicked {
                quiet = self.settle(&mut seen, deadline).await;
            }
        }
        visit.busy = !quiet;
        self.drain(&mut seen);
        visit.storage = self.storage().await;
        if links {
            visit.links = self
                .eval("Array.from(document.querySelectorAll('a[href]'), a => a.href)")
                .await
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
        }
        visit.cookies = self.cookies().await;
        self.drain(&mut seen);
        for (name, after_choice) in seen.early_cookies.drain().flat_map(|(_, v)| v) {
            seen.writes.push(Write { kind: StorageKind::Cookie, name, cause: Cause::Unknown, after_choice });
        }
        visit.writes = seen.writes;
        visit.requests = seen.requests;
        visit
    }

    /// Waits for the banner (in `#kelisim`'s open shadow root) and clicks its button.
    async fn click(&mut self, action: &str, seen: &mut Seen, deadline: Instant) -> bool {
        let deadline = deadline.min(Instant::now() + BANNER_WAIT);
        let js = format!(
            "(function () {{ var h = document.getElementById('kelisim'), r = h && h.shadowRoot;
               var b = r && r.querySelector('[data-kelisim=\"banner\"] [data-action=\"{action}\"]');
               if (!b) return false; b.click(); return true; }})()"
        );
        loop {
            self.drain(seen);
            if Instant::now() >= deadline {
                return false;
            }
            // Everything before this instant happened before the choice.
            self.drain(seen);
            if self.eval(&js).await == Some(serde_json::Value::Bool(true)) {
                seen.after_choice = true;
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn storage(&self) -> Vec<StoredKey> {
        let js = "(function () { var o = { origin: location.origin, local: [], session: [] };
            try { o.local = Object.keys(localStorage); } catch (e) {}
            try { o.session = Object.keys(sessionStorage); } catch (e) {}
            return o; })()";
        let Some(v) = self.eval(js).await else { return Vec::new() };
        let origin = v["origin"].as_str().unwrap_or("").to_owned();
        let mut out = Vec::new();
        for (field, kind) in [("local", StorageKind::LocalStorage), ("session", StorageKind::SessionStorage)] {
            for k in v[field].as_array().into_iter().flatten().filter_map(|k| k.as_str()) {
                out.push(StoredKey { kind, origin: origin.clone(), name: k.to_owned() });
            }
        }
        out
    }

    /// Every cookie in the browser, of every domain (`Storage.getCookies`); values dropped.
    async fn cookies(&self) -> Vec<JarCookie> {
        use chromiumoxide::cdp::browser_protocol::storage::GetCookiesParams;
        let Ok(Ok(r)) =
            tokio::time::timeout(Duration::from_secs(5), self.page.execute(GetCookiesParams::default())).await
        else {
            return Vec::new();
        };
        r.result
            .cookies
            .iter()
            .map(|c| JarCookie {
                name: c.name.clone(),
                domain: c.domain.clone(),
                path: c.path.clone(),
                expires: (!c.session && c.expires > 0.0).then_some(c.expires),
                http_only: c.http_only,
                secure: c.secure,
                same_site: c.same_site.as_ref().map(|s| s.as_ref().to_owned()),
            })
            .collect()
    }
}

impl Seen {
    fn take(&mut self, ev: Ev) {
        match ev {
            Ev::Sent(e) => {
                let url = &e.request.url;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return;
                }
                self.urls.insert(e.request_id.clone(), url.clone());
                if !self.early_done.remove(&e.request_id) {
                    self.inflight.insert(e.request_id.clone());
                }
                for (name, after_choice) in self.early_cookies.remove(&e.request_id).unwrap_or_default() {
                    self.writes.push(Write {
                        kind: StorageKind::Cookie,
                        name,
                        cause: Cause::Response { url: url.clone() },
                        after_choice,
                    });
                }
                let resource =
                    e.r#type.as_ref().map(|t| t.as_ref().to_ascii_lowercase()).unwrap_or_else(|| "other".into());
                let cause = initiator_cause(&e.initiator, &resource, &e.document_url);
                self.requests.push(Request { url: url.clone(), resource, cause, after_choice: self.after_choice });
            }
            Ev::Extra(e) => {
                let Some(headers) = e.headers.inner().as_object() else { return };
                // Names only: the values (after `=`) are never kept.
                let names: Vec<String> = headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
                    .flat_map(|(_, v)| {
                        v.as_str()
                            .unwrap_or("")
                            .lines()
                            .filter_map(|l| l.split_once('=').map(|(n, _)| n.trim().to_owned()))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                match self.urls.get(&e.request_id).cloned() {
                    Some(url) => {
                        for name in names {
                            self.writes.push(Write {
                                kind: StorageKind::Cookie,
                                name,
                                cause: Cause::Response { url: url.clone() },
                                after_choice: self.after_choice,
                            });
                        }
                    }
                    None if !names.is_empty() => {
                        let after = self.after_choice;
                        self.early_cookies
                            .entry(e.request_id.clone())
                            .or_default()
                            .extend(names.into_iter().map(|n| (n, after)));
                    }
                    None => {}
                }
            }
            Ev::Done(id) => {
                if !self.inflight.remove(&id) && !self.urls.contains_key(&id) {
                    self.early_done.insert(id);
                }
            }
            Ev::Binding(e) => {
                if e.name != BINDING {
                    return;
                }
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&e.payload) else { return };
                let kind = match v["kind"].as_str() {
                    Some("cookie") => StorageKind::Cookie,
                    Some("local_storage") => StorageKind::LocalStorage,
                    Some("session_storage") => StorageKind::SessionStorage,
                    _ => return,
                };
                let name = v["name"].as_str().unwrap_or("").to_owned();
                let page = strip_fragment(v["page"].as_str().unwrap_or(""));
                let line = v["line"].as_u64().map(|l| l as u32);
                let gated = v["category"].as_str().map(str::to_owned);
                let cause = match v["url"].as_str() {
                    Some(u) if strip_fragment(u) == page => Cause::InlineScript { page, line, gated },
                    Some(u) => Cause::Script { url: u.to_owned(), line, gated },
                    None => Cause::Unknown,
                };
                self.writes.push(Write { kind, name, cause, after_choice: self.after_choice });
            }
        }
    }
}

fn strip_fragment(u: &str) -> String {
    u.split('#').next().unwrap_or(u).to_owned()
}

/// The element a parser-made request comes from, by its resource type.
fn element(resource: &str) -> &str {
    match resource {
        "image" => "img",
        "document" => "iframe",
        "script" => "script",
        "stylesheet" => "link",
        "media" => "video",
        other => other,
    }
}

/// The first frame with a URL in a stack, following async parents.
fn top_frame(stack: &StackTrace) -> Option<(String, u32)> {
    let mut s = Some(stack);
    while let Some(st) = s {
        if let Some(f) = st.call_frames.iter().find(|f| !f.url.is_empty()) {
            return Some((f.url.clone(), f.line_number as u32 + 1));
        }
        s = st.parent.as_deref();
    }
    None
}

fn initiator_cause(init: &Initiator, resource: &str, document: &str) -> Cause {
    let doc = strip_fragment(document);
    let line = init.line_number.map(|l| l as u32 + 1);
    match init.r#type {
        InitiatorType::Parser => {
            let page = init.url.as_deref().map(strip_fragment).unwrap_or(doc);
            Cause::Element { element: element(resource).to_owned(), page, line }
        }
        InitiatorType::Script => {
            match init.stack.as_ref().and_then(top_frame).or_else(|| init.url.clone().map(|u| (u, line.unwrap_or(0)))) {
                Some((url, line)) if strip_fragment(&url) == doc => {
                    Cause::InlineScript { page: doc, line: Some(line).filter(|l| *l > 0), gated: None }
                }
                Some((url, line)) => Cause::Script { url, line: Some(line).filter(|l| *l > 0), gated: None },
                None => Cause::Unknown,
            }
        }
        _ => Cause::Unknown,
    }
}
