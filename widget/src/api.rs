//! W11: `window.kelisim` — `show()`, `hide()`, `get()`, `acceptAll()`, `rejectAll()`,
//! `accept(ids)`, `withdraw()`, `on(event, fn)` (plus `showPreferences()`); events
//! `kelisim:consent`, `kelisim:change` and `kelisim:ready` on `window`.

use crate::decide::{decide, decision_object, Choice};
use crate::{net, ui, with};
use js_sys::{Array, Function, Object, Reflect};
use kelisim_shared::event::Action;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use alloc::string::String;
use alloc::vec::Vec;

fn method(o: &Object, name: &str, f: Closure<dyn FnMut(JsValue, JsValue) -> JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(name), f.as_ref().unchecked_ref());
    f.forget();
}

fn fun(f: impl FnMut(JsValue, JsValue) -> JsValue + 'static) -> Closure<dyn FnMut(JsValue, JsValue) -> JsValue> {
    Closure::new(f)
}

pub fn install() {
    let api = Object::new();
    method(&api, "show", fun(|_, _| {
        spawn_local(async {
            if net::load_config(JsValue::NULL).await {
                ui::show_banner();
            }
        });
        JsValue::UNDEFINED
    }));
    method(&api, "showPreferences", fun(|_, _| {
        ui::open_preferences();
        JsValue::UNDEFINED
    }));
    method(&api, "hide", fun(|_, _| {
        ui::hide();
        JsValue::UNDEFINED
    }));
    method(&api, "get", fun(|_, _| {
        with(|w| w.decision.as_ref().map(|d| JsValue::from(decision_object(d)))).flatten().unwrap_or(JsValue::NULL)
    }));
    method(&api, "acceptAll", fun(|_, _| {
        decide(Choice::All(Action::AcceptAll));
        ui::after_decision();
        JsValue::UNDEFINED
    }));
    method(&api, "rejectAll", fun(|_, _| {
        decide(Choice::All(Action::RejectAll));
        ui::after_decision();
        JsValue::UNDEFINED
    }));
    method(&api, "withdraw", fun(|_, _| {
        decide(Choice::All(Action::Withdraw));
        ui::after_decision();
        JsValue::UNDEFINED
    }));
    method(&api, "accept", fun(|ids, _| {
        let ids: Vec<String> = if Array::is_array(&ids) {
            Array::from(&ids).iter().filter_map(|v| v.as_string()).collect()
        } else {
            ids.as_string().into_iter().collect()
        };
        decide(Choice::Custom(ids));
        ui::after_decision();
        JsValue::UNDEFINED
    }));
    method(&api, "on", fun(|event, f| {
        let (Some(event), Ok(f)) = (event.as_string(), f.dyn_into::<Function>()) else { return JsValue::UNDEFINED };
        let cb = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let _ = f.call1(&JsValue::NULL, &e.detail());
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback(&["kelisim:", &event].concat(), cb.as_ref().unchecked_ref());
        }
        cb.forget();
        JsValue::UNDEFINED
    }));
    if let Some(w) = web_sys::window() {
        let _ = Reflect::set(&w, &"kelisim".into(), &api);
    }
}

/// Tells the page the API is there (it loads asynchronously after the loader).
pub fn ready() {
    if let Some(w) = web_sys::window() {
        if let Ok(ev) = web_sys::CustomEvent::new("kelisim:ready") {
            let _ = w.dispatch_event(&ev);
        }
    }
}
