//! W4: elements marked `data-category` stay inert until their category is granted.
//!
//! `<script type="text/plain" data-category="ID">` (inline, `src` or `data-src`) is replaced
//! by a live copy; `<iframe|img data-category data-src>` gets its `src`. Scripts run strictly
//! in document order: after an external script, the next one waits for its `load` (or
//! `error`), as the page's own scripts would. Each element is enabled once
//! (`data-kelisim-on` marks it), so a second decision never re-runs a script.

use crate::Local;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlScriptElement};

/// Scripts waiting for an earlier external script to finish loading.
static QUEUE: Local<VecDeque<Element>> = Local(RefCell::new(VecDeque::new()));
static WAITING: Local<bool> = Local(RefCell::new(false));

/// Enables every not-yet-enabled gated element whose category is in `granted`. Returns the
/// categories that had something enabled.
pub fn enable(doc: &Document, granted: &[String]) -> Vec<String> {
    let mut ran: Vec<String> = Vec::new();
    let Ok(list) = doc.query_selector_all("[data-category]:not([data-kelisim-on])") else { return ran };
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        // Our own toggles live in the shadow root and are never matched here.
        let cat = el.get_attribute("data-category").unwrap_or_default();
        if !granted.iter().any(|g| *g == cat) {
            continue;
        }
        let _ = el.set_attribute("data-kelisim-on", "");
        let is_script = el.tag_name().eq_ignore_ascii_case("script");
        if is_script {
            if el.get_attribute("type").as_deref() != Some("text/plain") {
                continue;
            }
            QUEUE.0.borrow_mut().push_back(el);
        } else if let Some(src) = el.get_attribute("data-src") {
            let _ = el.set_attribute("src", &src);
        } else {
            continue;
        }
        if !ran.contains(&cat) {
            ran.push(cat);
        }
    }
    run_queue();
    ran
}

/// Runs queued scripts until one must load from the network; its load event resumes the queue.
fn run_queue() {
    if *WAITING.0.borrow() {
        return;
    }
    loop {
        let Some(el) = QUEUE.0.borrow_mut().pop_front() else { break };
        if run_script(&el) {
            *WAITING.0.borrow_mut() = true;
            return;
        }
    }
}

/// Replaces a gated script by a live one. Returns true when it loads from a URL (async).
fn run_script(el: &Element) -> bool {
    let doc = crate::doc();
    let Ok(live) = doc.create_element("script") else { return false };
    let attrs = el.attributes();
    for i in 0..attrs.length() {
        if let Some(a) = attrs.item(i) {
            let name = a.name();
            if name != "type" && name != "data-src" {
                let _ = live.set_attribute(&name, &a.value());
            }
        }
    }
    if let Some(t) = el.get_attribute("data-type") {
        let _ = live.set_attribute("type", &t);
    }
    let live: HtmlScriptElement = live.unchecked_into();
    let src = el.get_attribute("data-src").or_else(|| el.get_attribute("src"));
    if let Some(src) = &src {
        let resume = Closure::once_into_js(|| {
            *WAITING.0.borrow_mut() = false;
            run_queue();
        });
        live.set_onload(Some(resume.unchecked_ref()));
        live.set_onerror(Some(resume.unchecked_ref()));
        live.set_src(src);
    } else {
        let _ = live.set_text(&el.text_content().unwrap_or_default());
    }
    if let Some(parent) = el.parent_node() {
        let _ = parent.replace_child(&live, el);
    }
    src.is_some()
}

/// W4: gated elements added after load (by the page or a tag manager) are enabled as soon as
/// they appear, when their category is granted.
pub fn observe() {
    let cb = Closure::<dyn FnMut(js_sys::Array)>::new(|records: js_sys::Array| {
        let Some(granted) = crate::with(|w| w.decision.as_ref().map(|d| d.granted.clone())).flatten() else { return };
        let relevant = records.iter().any(|r| {
            js_sys::Array::from(&crate::get(&r, "addedNodes")).iter().any(|n| {
                n.dyn_into::<Element>()
                    .map(|e| e.matches("[data-category]").unwrap_or(false) || e.query_selector("[data-category]").ok().flatten().is_some())
                    .unwrap_or(false)
            })
        });
        if relevant {
            crate::decide::enable(&granted);
        }
    });
    if let Ok(obs) = web_sys::MutationObserver::new(cb.as_ref().unchecked_ref()) {
        let init = web_sys::MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        if let Some(root) = crate::doc().document_element() {
            let _ = obs.observe_with_options(&root, &init);
        }
    }
    cb.forget();
}
