//! The layers: first layer (W1), preferences dialog (W2, W3, W12), reopen button (W10), and
//! the keyboard and click handling that drives them.

use crate::decide::{decide, Choice};
use crate::{doc, net, render, with, Widget};
use kelisim_shared::config::{Category, Config};
use kelisim_shared::event::Action;
use kelisim_shared::lang::{self, Lang};
use kelisim_shared::strings;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlElement, HtmlInputElement, ShadowRoot};
use alloc::string::String;
use alloc::vec::Vec;

/// W9: the browser sends a Global Privacy Control signal.
pub fn gpc() -> bool {
    web_sys::window().map(|w| crate::get(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true)).unwrap_or(false)
}

pub fn current_lang(w: &mut Widget, cfg: &Config) -> Lang {
    if let Some(l) = w.lang.filter(|l| cfg.languages.contains(l)) {
        return l;
    }
    let html_lang = doc().document_element().and_then(|e| e.get_attribute("lang"));
    let browser: Vec<String> = web_sys::window()
        .map(|win| win.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    let l = lang::choose(&cfg.languages, w.data_lang.as_deref(), html_lang.as_deref(), browser.iter().map(String::as_str));
    w.lang = Some(l);
    l
}

fn set_ui(w: &Widget, html: &str) {
    if let Some(slot) = w.root.get_element_by_id("k-ui") {
        slot.set_inner_html(html);
    }
}

pub fn show_banner() {
    with(|w| {
        let Some(cfg) = w.config.clone() else { return };
        let lang = current_lang(w, &cfg);
        set_ui(w, &render::banner(&cfg, strings::ui(lang), lang));
    });
}

/// After a decision: only the reopen button (unless the site turned it off).
pub fn show_reopen() {
    with(|w| {
        if !w.floating || w.decision.is_none() {
            set_ui(w, "");
            return;
        }
        let lang = w
            .lang
            .or_else(|| w.data_lang.as_deref().and_then(Lang::from_tag))
            .or_else(|| doc().document_element().and_then(|e| e.get_attribute("lang")).and_then(|l| Lang::from_tag(&l)));
        set_ui(w, &render::reopen(strings::ui(lang.unwrap_or(Lang::Ru))));
    });
}

pub fn hide() {
    show_reopen();
}

pub fn show_preferences() {
    let opened = with(|w| {
        let Some(cfg) = w.config.clone() else { return false };
        let lang = current_lang(w, &cfg);
        let granted: Vec<String> = w.decision.as_ref().map(|d| d.granted.clone()).unwrap_or_default();
        let decided = w.decision.is_some();
        let is_on = |c: &Category| decided && granted.contains(&c.id);
        let receipt = w
            .decision
            .as_ref()
            .map(|d| [w.api.as_str(), "/receipt/", w.site.as_str(), "/", d.consent_id.as_str(), "?lang=", lang.code()].concat());
        if w.return_focus.is_none() {
            w.return_focus = active_element(w);
        }
        set_ui(w, &render::preferences(&cfg, strings::ui(lang), lang, &is_on, gpc(), receipt.as_deref()));
        true
    });
    if opened == Some(true) {
        focus_first("[data-kelisim=\"preferences\"] input:not([disabled]), [data-kelisim=\"preferences\"] button");
    }
}

fn active_element(w: &Widget) -> Option<HtmlElement> {
    w.root.active_element().or_else(|| doc().active_element()).and_then(|e| e.dyn_into::<HtmlElement>().ok())
}

fn focus_first(selector: &str) {
    with(|w| {
        if let Some(el) = w.root.query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
}

/// Closes the preferences: back to the first layer if no decision yet, else the reopen
/// button; focus returns where it was (W12).
pub fn close_preferences() {
    let decided = with(|w| w.decision.is_some()).unwrap_or(false);
    if decided {
        show_reopen();
    } else {
        show_banner();
    }
    match with(|w| w.return_focus.take()).flatten() {
        Some(el) if el.is_connected() => {
            let _ = el.focus();
        }
        _ if decided => focus_first("[data-action=\"reopen\"]"),
        _ => focus_first("[data-action=\"customize\"]"),
    }
}

/// Opens the preferences, fetching the config first when a return visit skipped it.
pub fn open_preferences() {
    if with(|w| w.config.is_some()).unwrap_or(false) {
        show_preferences();
        return;
    }
    with(|w| w.return_focus = active_element(w));
    spawn_local(async {
        if net::load_config(JsValue::NULL).await {
            show_preferences();
        }
    });
}

/// After a decision made in the layers: the reopen button, with focus on it if focus was ours.
pub fn after_decision() {
    let had_focus = with(|w| w.root.active_element().is_some()).unwrap_or(false);
    show_reopen();
    with(|w| w.return_focus = None);
    if had_focus {
        focus_first("[data-action=\"reopen\"]");
    }
}

pub fn listen(root: &ShadowRoot) {
    let click = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
        let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        let Ok(Some(btn)) = target.closest("[data-action]") else { return };
        match btn.get_attribute("data-action").unwrap_or_default().as_str() {
            "accept-all" => decide(Choice::All(Action::AcceptAll)),
            "reject-all" => decide(Choice::All(Action::RejectAll)),
            "withdraw" => decide(Choice::All(Action::Withdraw)),
            "save" => decide(Choice::Custom(checked_categories())),
            "customize" | "reopen" => open_preferences(),
            "close" => close_preferences(),
            "lang" => {
                let l = btn.get_attribute("data-lang").and_then(|l| Lang::from_tag(&l));
                let checked = checked_categories();
                with(|w| w.lang = l);
                show_preferences();
                set_checked(&checked);
                focus_first("[data-action=\"lang\"][aria-pressed=\"true\"]");
            }
            _ => return,
        }
        if let Some(ui) = ui_after(&btn) {
            ui();
        }
    });
    let _ = root.add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    click.forget();
    let key = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(keydown);
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

fn ui_after(btn: &Element) -> Option<fn()> {
    matches!(btn.get_attribute("data-action").as_deref(), Some("accept-all" | "reject-all" | "withdraw" | "save"))
        .then_some(after_decision as fn())
}

fn keydown(e: web_sys::KeyboardEvent) {
    let Some(dialog) = with(|w| w.root.query_selector("[data-kelisim=\"preferences\"]").ok().flatten()).flatten() else { return };
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
            let (first, last) = (list.item(0), list.item(n - 1));
            let active = with(|w| w.root.active_element()).flatten().map(JsValue::from);
            let at = |node: &Option<web_sys::Node>| node.as_ref().map(JsValue::from) == active;
            let to = if e.shift_key() && (at(&first) || active.is_none()) {
                last
            } else if !e.shift_key() && (at(&last) || active.is_none()) {
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
}

fn toggles() -> Vec<HtmlInputElement> {
    with(|w| {
        let mut out = Vec::new();
        if let Ok(list) = w.root.query_selector_all("input[data-category]") {
            for i in 0..list.length() {
                if let Some(input) = list.item(i).and_then(|n| n.dyn_into::<HtmlInputElement>().ok()) {
                    out.push(input);
                }
            }
        }
        out
    })
    .unwrap_or_default()
}

pub fn checked_categories() -> Vec<String> {
    toggles().iter().filter(|i| i.checked()).map(|i| i.get_attribute("data-category").unwrap_or_default()).collect()
}

/// Keeps the toggles the visitor already set across a re-render (language switch).
fn set_checked(ids: &[String]) {
    for input in toggles() {
        if !input.disabled() {
            input.set_checked(ids.contains(&input.get_attribute("data-category").unwrap_or_default()));
        }
    }
}
