//! # kelisim-widget
//!
//! The consent banner that runs in visitors' browsers (wasm32), started by the loader
//! (`widget/loader.js`, served as `/kelisim.js`). It shows the first layer and the
//! preferences layer inside an open shadow root on `<div id="kelisim">`, stores the decision in
//! the `kelisim` cookie, pushes the Consent Mode v2 `update`, enables gated elements, and posts
//! the decision to the server.
//!
//! It must never block or break the page: every failure ends in a console warning with the
//! page working and nothing gated enabled. Every byte here is downloaded by every visitor, so
//! it parses JSON with the browser's own parser (through `serde-wasm-bindgen`) and builds its
//! markup as strings.

mod gating;
mod render;

use js_sys::{Array, Function, Object, Promise, Reflect};
use kelisim_shared::config::Config;
use kelisim_shared::consent_mode::ConsentModeType;
use kelisim_shared::cookie::{Decision, COOKIE_NAME};
use kelisim_shared::event::{Action, ConsentRequest};
use kelisim_shared::lang::{self, Lang};
use kelisim_shared::strings;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, Element, HtmlElement, ShadowRoot};

struct Widget {
    site: String,
    api: String,
    data_lang: Option<String>,
    gtag: Function,
    floating: bool,
    config: Option<Rc<Config>>,
    decision: Option<Decision>,
    lang: Option<Lang>,
    root: ShadowRoot,
    /// What had focus before the preferences opened (W12: Esc returns focus there).
    return_focus: Option<HtmlElement>,
}

thread_local! {
    static WIDGET: RefCell<Option<Widget>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Widget) -> R) -> Option<R> {
    WIDGET.with(|w| w.borrow_mut().as_mut().map(f))
}

fn doc() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a widget runs in a document")
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&["Kelisim: ", msg].concat()));
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Called by the loader once the module is instantiated.
#[wasm_bindgen]
pub fn start(opts: JsValue) {
    let d = doc();
    let Ok(host) = d.create_element("div") else { return };
    host.set_id("kelisim");
    let init = web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open);
    let Ok(root) = host.attach_shadow(&init) else { return };
    root.set_inner_html(&["<style>", render::STYLE, "</style><div id=\"k-ui\"></div>"].concat());
    let body: Option<Element> = d.body().map(Into::into).or_else(|| d.document_element());
    if let Some(b) = body {
        let _ = b.append_child(&host);
    }
    let decision = get(&opts, "cookie").as_string().and_then(|c| Decision::decode(&c).ok());
    let w = Widget {
        site: get(&opts, "site").as_string().unwrap_or_default(),
        api: get(&opts, "api").as_string().unwrap_or_default(),
        data_lang: get(&opts, "lang").as_string(),
        gtag: get(&opts, "gtag").dyn_into().unwrap_or_else(|_| Function::new_no_args("")),
        floating: get(&opts, "floating").as_bool().unwrap_or(true),
        config: None,
        decision,
        lang: None,
        root: root.clone(),
        return_focus: None,
    };
    WIDGET.with(|cell| *cell.borrow_mut() = Some(w));
    listen(&root);
    let config = get(&opts, "config");
    match with(|w| w.decision.clone()).flatten() {
        Some(dec) => {
            // Return visit with a standing decision: the loader already pushed the Consent
            // Mode update; enable what was granted, show only the reopen button.
            gating::enable(&d, &dec.granted);
            show_reopen();
        }
        None => spawn_local(async move {
            if load_config(config).await {
                show_banner();
            }
        }),
    }
}

/// Waits for the config the loader started fetching (or fetches it now).
async fn load_config(promise: JsValue) -> bool {
    if with(|w| w.config.is_some()).unwrap_or(false) {
        return true;
    }
    let promise: Promise = match promise.dyn_into() {
        Ok(p) => p,
        Err(_) => {
            let Some((api, site)) = with(|w| (w.api.clone(), w.site.clone())) else { return false };
            let url = [api.as_str(), "/api/v1/sites/", site.as_str(), "/config"].concat();
            let Some(win) = web_sys::window() else { return false };
            let init = web_sys::RequestInit::new();
            init.set_credentials(web_sys::RequestCredentials::Omit);
            let p = win.fetch_with_str_and_init(&url, &init);
            match JsFuture::from(p).await.ok().and_then(|r| r.dyn_into::<web_sys::Response>().ok()) {
                Some(r) if r.ok() => match r.json() {
                    Ok(p) => p,
                    Err(_) => return false,
                },
                _ => {
                    warn("the site config could not be loaded; nothing that needs consent will run");
                    return false;
                }
            }
        }
    };
    let value = match JsFuture::from(promise).await {
        Ok(v) => v,
        Err(e) => {
            warn(&["the site config could not be loaded (", &js_sys::JSON::stringify(&e).map(String::from).unwrap_or_default(), "); nothing that needs consent will run"].concat());
            return false;
        }
    };
    match serde_wasm_bindgen::from_value::<Config>(value) {
        Ok(c) => {
            with(|w| w.config = Some(Rc::new(c)));
            true
        }
        Err(e) => {
            warn(&["the site config is not valid: ", &e.to_string()].concat());
            false
        }
    }
}

fn gpc() -> bool {
    web_sys::window()
        .map(|w| get(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true))
        .unwrap_or(false)
}

fn current_lang(w: &mut Widget, cfg: &Config) -> Lang {
    if let Some(l) = w.lang.filter(|l| cfg.languages.contains(l)) {
        return l;
    }
    let d = doc();
    let html_lang = d.document_element().map(|e| e.get_attribute("lang").unwrap_or_default());
    let browser: Vec<String> = web_sys::window()
        .map(|win| win.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    let l = lang::choose(&cfg.languages, w.data_lang.as_deref(), html_lang.as_deref(), browser.iter().map(String::as_str));
    w.lang = Some(l);
    l
}

fn ui_slot(root: &ShadowRoot) -> Option<Element> {
    root.get_element_by_id("k-ui")
}

fn show_banner() {
    with(|w| {
        let Some(cfg) = w.config.clone() else { return };
        let lang = current_lang(w, &cfg);
        if let Some(slot) = ui_slot(&w.root) {
            slot.set_inner_html(&render::banner(&cfg, strings::ui(lang), lang));
        }
    });
}

fn show_reopen() {
    with(|w| {
        if !w.floating {
            if let Some(slot) = ui_slot(&w.root) {
                slot.set_inner_html("");
            }
            return;
        }
        let lang = w.lang.or_else(|| w.data_lang.as_deref().and_then(Lang::from_tag)).or_else(|| {
            doc().document_element().and_then(|e| e.get_attribute("lang")).and_then(|l| Lang::from_tag(&l))
        });
        if let Some(slot) = ui_slot(&w.root) {
            slot.set_inner_html(&render::reopen(strings::ui(lang.unwrap_or(Lang::Ru))));
        }
    });
}

fn show_preferences() {
    let opened = with(|w| {
        let Some(cfg) = w.config.clone() else { return false };
        let lang = current_lang(w, &cfg);
        let gpc = gpc();
        let granted: Vec<String> = w.decision.as_ref().map(|d| d.granted.clone()).unwrap_or_default();
        let decided = w.decision.is_some();
        let is_on = |c: &kelisim_shared::config::Category| {
            if decided { granted.contains(&c.id) } else { false }
        };
        if w.return_focus.is_none() {
            w.return_focus = active_element(w);
        }
        if let Some(slot) = ui_slot(&w.root) {
            slot.set_inner_html(&render::preferences(&cfg, strings::ui(lang), lang, &is_on, gpc, decided));
        }
        true
    });
    if opened == Some(true) {
        focus_first("[data-kelisim=\"preferences\"] input:not([disabled]), [data-kelisim=\"preferences\"] button");
    }
}

fn active_element(w: &Widget) -> Option<HtmlElement> {
    w.root
        .active_element()
        .or_else(|| doc().active_element())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
}

fn focus_first(selector: &str) {
    with(|w| {
        if let Ok(Some(el)) = w.root.query_selector(selector) {
            if let Ok(el) = el.dyn_into::<HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
}

/// Closes the preferences: back to the first layer if no decision yet, else the reopen button;
/// focus returns where it was.
fn close_preferences() {
    let decided = with(|w| w.decision.is_some()).unwrap_or(false);
    if decided {
        show_reopen();
    } else {
        show_banner();
    }
    let back = with(|w| w.return_focus.take()).flatten();
    match back {
        Some(el) if el.is_connected() => {
            let _ = el.focus();
        }
        _ if decided => focus_first("[data-action=\"reopen\"]"),
        _ => focus_first("[data-action=\"customize\"]"),
    }
}

fn open_preferences() {
    let ready = with(|w| w.config.is_some()).unwrap_or(false);
    if ready {
        show_preferences();
        return;
    }
    with(|w| w.return_focus = active_element(w));
    spawn_local(async {
        if load_config(JsValue::NULL).await {
            show_preferences();
        }
    });
}

fn listen(root: &ShadowRoot) {
    let click = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
        let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        let Ok(Some(btn)) = target.closest("[data-action]") else { return };
        let action = btn.get_attribute("data-action").unwrap_or_default();
        match action.as_str() {
            "accept-all" => decide_all(Action::AcceptAll),
            "reject-all" => decide_all(Action::RejectAll),
            "withdraw" => decide_all(Action::Withdraw),
            "save" => save_choices(),
            "customize" | "reopen" => open_preferences(),
            "close" => close_preferences(),
            "lang" => {
                let l = btn.get_attribute("data-lang").and_then(|l| Lang::from_tag(&l));
                with(|w| w.lang = l);
                keep_toggles(show_preferences);
                focus_first("[data-action=\"lang\"][aria-pressed=\"true\"]");
            }
            _ => {}
        }
    });
    let _ = root.add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    click.forget();
    let key = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(|e: web_sys::KeyboardEvent| {
        let in_dialog = with(|w| w.root.query_selector("[data-kelisim=\"preferences\"]").ok().flatten()).flatten();
        let Some(dialog) = in_dialog else { return };
        match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                close_preferences();
            }
            // Focus stays inside the modal dialog (W12).
            "Tab" => {
                let Ok(list) = dialog.query_selector_all("button, input:not([disabled]), a[href], summary") else { return };
                let n = list.length();
                if n == 0 {
                    return;
                }
                let first = list.item(0);
                let last = list.item(n - 1);
                let active = with(|w| w.root.active_element()).flatten().map(JsValue::from);
                let at = |node: &Option<web_sys::Node>| node.as_ref().map(JsValue::from) == active;
                let to = if e.shift_key() && at(&first) {
                    last
                } else if !e.shift_key() && at(&last) {
                    first
                } else {
                    None
                };
                if let Some(el) = to.and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                    e.prevent_default();
                    let _ = el.focus();
                }
            }
            _ => {}
        }
    });
    let _ = root.add_event_listener_with_callback("keydown", key.as_ref().unchecked_ref());
    key.forget();
    // W10: any element with data-kelisim-open, or a link to #kelisim, reopens the preferences.
    let open = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
        let Some(t) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        if let Ok(Some(_)) = t.closest("[data-kelisim-open], a[href=\"#kelisim\"]") {
            e.prevent_default();
            open_preferences();
        }
    });
    let _ = doc().add_event_listener_with_callback("click", open.as_ref().unchecked_ref());
    open.forget();
}

/// Re-renders the preferences (language switch) keeping the toggles the visitor already set.
fn keep_toggles(render: fn()) {
    let checked = checked_categories();
    render();
    with(|w| {
        if let Ok(list) = w.root.query_selector_all("input[data-category]") {
            for i in 0..list.length() {
                if let Some(input) = list.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                    if !input.disabled() {
                        input.set_checked(checked.contains(&input.get_attribute("data-category").unwrap_or_default()));
                    }
                }
            }
        }
    });
}

fn checked_categories() -> Vec<String> {
    with(|w| {
        let mut out = Vec::new();
        if let Ok(list) = w.root.query_selector_all("input[data-category]") {
            for i in 0..list.length() {
                if let Some(input) = list.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                    if input.checked() {
                        out.push(input.get_attribute("data-category").unwrap_or_default());
                    }
                }
            }
        }
        out
    })
    .unwrap_or_default()
}

fn decide_all(action: Action) {
    let Some(Some(cfg)) = with(|w| w.config.clone()) else { return };
    let gpc = gpc();
    let granted: Vec<String> = cfg
        .categories
        .iter()
        .filter(|c| match action {
            Action::AcceptAll => !(gpc && c.gpc_off),
            _ => c.required,
        })
        .map(|c| c.id.clone())
        .collect();
    decide(action, granted, gpc);
}

fn save_choices() {
    let Some(Some(cfg)) = with(|w| w.config.clone()) else { return };
    let checked = checked_categories();
    let granted = cfg.categories.iter().filter(|c| c.required || checked.contains(&c.id)).map(|c| c.id.clone()).collect();
    decide(Action::Custom, granted, gpc());
}

fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(HEX[(byte >> 4) as usize] as char);
        s.push(HEX[(byte & 15) as usize] as char);
    }
    s
}

fn consent_mode_update(gtag: &Function, bits: u8) {
    let o = Object::new();
    for t in ConsentModeType::ALL {
        let v = if bits & t.bit() != 0 { "granted" } else { "denied" };
        let _ = Reflect::set(&o, &JsValue::from_str(t.name()), &JsValue::from_str(v));
    }
    let _ = gtag.call3(&JsValue::NULL, &"consent".into(), &"update".into(), &o);
}

fn write_cookie(d: &Decision, consent_days: u32) {
    let secure = web_sys::window().and_then(|w| w.location().protocol().ok()).as_deref() == Some("https:");
    let max_age = (u64::from(consent_days) * 86_400).to_string();
    let cookie = [COOKIE_NAME, "=", &d.encode(), "; Path=/; Max-Age=", &max_age, "; SameSite=Lax", if secure { "; Secure" } else { "" }].concat();
    if let Ok(h) = doc().dyn_into::<web_sys::HtmlDocument>() {
        let _ = h.set_cookie(&cookie);
    }
}

/// A decision: stored in the cookie, applied (Consent Mode, gating), announced, and logged.
fn decide(action: Action, granted: Vec<String>, gpc: bool) {
    let Some(Some((cfg, lang, prev, gtag))) = with(|w| {
        let cfg = w.config.clone()?;
        let lang = current_lang(w, &cfg);
        Some((cfg, lang, w.decision.clone(), w.gtag.clone()))
    }) else {
        return;
    };
    let consent_id = prev.as_ref().map(|d| d.consent_id.clone()).unwrap_or_else(uuid_v4);
    let bits = cfg.consent_mode_bits(granted.iter().map(String::as_str));
    let decision = Decision {
        consent_id: consent_id.clone(),
        decided_at: now_secs(),
        config_version: cfg.version.clone(),
        scope: cfg.scope.clone(),
        consent_mode: bits,
        granted: granted.clone(),
    };
    write_cookie(&decision, cfg.consent_days);
    consent_mode_update(&gtag, bits);
    gating::enable(&doc(), &granted);
    with(|w| w.decision = Some(decision.clone()));
    let had_focus_inside = with(|w| w.root.active_element().is_some()).unwrap_or(false);
    show_reopen();
    let _ = with(|w| w.return_focus.take());
    if had_focus_inside {
        focus_first("[data-action=\"reopen\"]");
    }
    announce(&decision, prev.as_ref());
    let page = web_sys::window().and_then(|w| w.location().href().ok());
    let req = ConsentRequest {
        consent_id,
        event_id: uuid_v4(),
        config_version: cfg.version.clone(),
        action,
        granted,
        language: lang,
        gpc,
        page,
    };
    spawn_local(post(req));
}

/// W11: `kelisim:consent` on every decision, `kelisim:change` when the granted set changed.
fn announce(d: &Decision, prev: Option<&Decision>) {
    let detail = Object::new();
    let _ = Reflect::set(&detail, &"consentId".into(), &JsValue::from_str(&d.consent_id));
    let granted: Array = d.granted.iter().map(|g| JsValue::from_str(g)).collect();
    let _ = Reflect::set(&detail, &"granted".into(), &granted);
    let _ = Reflect::set(&detail, &"configVersion".into(), &JsValue::from_str(&d.config_version));
    let _ = Reflect::set(&detail, &"decidedAt".into(), &JsValue::from_f64(d.decided_at as f64 * 1000.0));
    let Some(win) = web_sys::window() else { return };
    let fire = |name: &str| {
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&detail);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = win.dispatch_event(&ev);
        }
    };
    fire("kelisim:consent");
    if prev.map(|p| &p.granted) != Some(&d.granted) {
        fire("kelisim:change");
    }
}

/// W7: sends the decision to the consent log. The decision is already applied locally.
async fn post(req: ConsentRequest) {
    let Some((api, site)) = with(|w| (w.api.clone(), w.site.clone())) else { return };
    let Ok(value) = serde_wasm_bindgen::to_value(&req) else { return };
    let Ok(body) = js_sys::JSON::stringify(&value) else { return };
    let url = [api.as_str(), "/api/v1/sites/", site.as_str(), "/consents"].concat();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body);
    // keepalive: the POST survives a navigation that follows the click.
    let _ = Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let headers = web_sys::Headers::new().ok();
    if let Some(h) = &headers {
        let _ = h.set("content-type", "application/json");
        init.set_headers(h);
    }
    let Some(win) = web_sys::window() else { return };
    match JsFuture::from(win.fetch_with_str_and_init(&url, &init)).await {
        Ok(r) => {
            let ok = r.dyn_into::<web_sys::Response>().map(|r| r.ok()).unwrap_or(false);
            if !ok {
                warn("the consent log refused the decision; it is applied on this page");
            }
        }
        Err(_) => warn("the consent log could not be reached; the decision is applied on this page"),
    }
}
