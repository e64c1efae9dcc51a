//! # kelisim-widget
//!
//! The consent banner that runs in visitors' browsers (wasm32), started by the loader
//! (`widget/loader.js`, served as `/kelisim.js`). It shows the first layer and the
//! preferences layer inside an open shadow root on `<div id="kelisim">`, stores the decision in
//! the `kelisim` cookie, pushes the Consent Mode v2 `update`, enables gated elements, deletes
//! the cookies of revoked categories, posts each decision to the server (retrying later when
//! offline), and offers `window.kelisim`.
//!
//! It must never block or break the page: every failure ends in a console warning with the
//! page working and nothing gated enabled. Every byte here is downloaded by every visitor, so
//! it reads JSON through the browser's own parser (see `cfg`) and builds markup as strings.

// On wasm32 the widget needs only `alloc`: no std, and a panic handler that aborts without
// formatting (std's panic machinery alone is several KB of every visitor's download).
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod api;
mod cfg;
mod decide;
mod gating;
mod net;
mod render;
mod ui;

use js_sys::{Function, Reflect};
use kelisim_shared::config::Config;
use kelisim_shared::cookie::Decision;
use kelisim_shared::lang::Lang;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, HtmlElement, ShadowRoot};

// dlmalloc costs ~7 KB of WASM; the widget allocates little and runs on one thread.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

pub(crate) struct Widget {
    site: String,
    api: String,
    data_lang: Option<String>,
    /// The loader's `gtag` (pushes real Arguments objects onto `dataLayer`).
    gtag: Option<Function>,
    floating: bool,
    config: Option<Rc<Config>>,
    /// The decision in force (from the cookie, or made on this page).
    decision: Option<Decision>,
    /// The consent id to keep for the next decision, even when the stored decision no longer
    /// stands (changed categories, expired): the visitor stays one data subject in the log.
    consent_id: Option<String>,
    lang: Option<Lang>,
    root: ShadowRoot,
    /// What had focus before the preferences opened (W12: Esc returns focus there).
    return_focus: Option<HtmlElement>,
    /// Categories whose gated elements were enabled on this page (W5: a revoked one reloads).
    ran: Vec<String>,
}

/// State of the single-threaded widget. wasm32 in a browser page has one thread (the widget
/// is never used from workers), which is what makes `Sync` sound here.
pub(crate) struct Local<T>(pub RefCell<T>);
unsafe impl<T> Sync for Local<T> {}

static WIDGET: Local<Option<Widget>> = Local(RefCell::new(None));

pub(crate) fn with<R>(f: impl FnOnce(&mut Widget) -> R) -> Option<R> {
    WIDGET.0.borrow_mut().as_mut().map(f)
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

pub(crate) fn doc() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a widget runs in a document")
}

pub(crate) fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&["Kelisim: ", msg].concat()));
}

pub(crate) fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Called by the loader once the module is instantiated, with
/// `{site, api, lang, cookie, standing, config, floating, gtag}`.
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
    let stored = get(&opts, "cookie").as_string().and_then(|c| Decision::decode(&c).ok());
    // The loader checked scope and age against the site's current config (W1).
    let standing = get(&opts, "standing").as_bool() == Some(true);
    let w = Widget {
        site: get(&opts, "site").as_string().unwrap_or_default(),
        api: get(&opts, "api").as_string().unwrap_or_default(),
        data_lang: get(&opts, "lang").as_string(),
        gtag: get(&opts, "gtag").dyn_into().ok(),
        floating: get(&opts, "floating").as_bool() != Some(false),
        config: None,
        consent_id: stored.as_ref().map(|d| d.consent_id.clone()),
        decision: stored.filter(|_| standing),
        lang: None,
        root: root.clone(),
        return_focus: None,
        ran: Vec::new(),
    };
    *WIDGET.0.borrow_mut() = Some(w);
    ui::listen(&root);
    api::install();
    gating::observe();
    net::resend_pending();
    let config = get(&opts, "config");
    let wants_prefs = web_sys::window().and_then(|w| w.location().hash().ok()).as_deref() == Some("#kelisim");
    match with(|w| w.decision.clone()).flatten() {
        Some(dec) => {
            // Return visit with a standing decision: the loader already pushed the Consent
            // Mode update; enable what was granted, show only the reopen button.
            decide::enable(&dec.granted);
            ui::show_reopen();
            if wants_prefs {
                ui::open_preferences();
            }
        }
        None => spawn_local(async move {
            if net::load_config(config).await {
                if wants_prefs { ui::show_preferences() } else { ui::show_banner() }
            }
        }),
    }
    api::ready();
}
