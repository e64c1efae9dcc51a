//! Talking to the Kelisim server: the site config, and the consent POST with its offline queue.
//!
//! W7: a decision is applied locally at once; its event waits in `localStorage` until the
//! server acknowledged it, and is re-sent on the next page load or when the browser comes back
//! online. The server is idempotent on `event_id`, so a re-send never makes a second record.

use crate::{cfg, get, warn, with};
use js_sys::{Array, Object, Promise, Reflect};
use kelisim_shared::event::ConsentRequest;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

fn api_url(tail: &str) -> Option<String> {
    with(|w| [w.api.as_str(), "/api/v1/sites/", w.site.as_str(), tail].concat())
}

/// Waits for the config the loader started fetching (or fetches it now) and keeps it.
pub async fn load_config(promise: JsValue) -> bool {
    if with(|w| w.config.is_some()).unwrap_or(false) {
        return true;
    }
    let promise: Promise = match promise.dyn_into() {
        Ok(p) => p,
        Err(_) => {
            let (Some(url), Some(win)) = (api_url("/config"), web_sys::window()) else { return false };
            let init = web_sys::RequestInit::new();
            init.set_credentials(web_sys::RequestCredentials::Omit);
            match JsFuture::from(win.fetch_with_str_and_init(&url, &init)).await.ok().and_then(|r| r.dyn_into::<web_sys::Response>().ok()) {
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
            let why = js_sys::Error::from(e).message().as_string().unwrap_or_default();
            warn(&["the site config could not be loaded (", &why, "); nothing that needs consent will run"].concat());
            return false;
        }
    };
    match cfg::read(&value) {
        Ok(c) => {
            with(|w| w.config = Some(Rc::new(c)));
            true
        }
        Err(why) => {
            warn(&["the site config is not valid: ", why].concat());
            false
        }
    }
}

/// The POST body (the shared `ConsentRequest`, field names as its serde form), built as a JS
/// object so that the browser's `JSON.stringify` does the escaping.
fn event_json(r: &ConsentRequest) -> String {
    let o = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    };
    set("consent_id", &JsValue::from_str(&r.consent_id));
    set("event_id", &JsValue::from_str(&r.event_id));
    set("config_version", &JsValue::from_str(&r.config_version));
    set("action", &JsValue::from_str(r.action.as_str()));
    set("granted", &r.granted.iter().map(|g| JsValue::from_str(g)).collect::<Array>());
    set("language", &JsValue::from_str(r.language.code()));
    set("gpc", &JsValue::from_bool(r.gpc));
    if let Some(p) = &r.page {
        set("page", &JsValue::from_str(p));
    }
    js_sys::JSON::stringify(&o).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn queue_key() -> String {
    with(|w| ["kelisim:pending:", w.site.as_str()].concat()).unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn pending() -> Vec<String> {
    let raw = storage().and_then(|s| s.get_item(&queue_key()).ok().flatten());
    raw.and_then(|r| js_sys::JSON::parse(&r).ok())
        .filter(Array::is_array)
        .map(|a| Array::from(&a).iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default()
}

fn save_pending(items: &[String]) {
    let Some(s) = storage() else { return };
    if items.is_empty() {
        let _ = s.remove_item(&queue_key());
    } else if let Ok(json) = js_sys::JSON::stringify(&items.iter().map(|i| JsValue::from_str(i)).collect::<Array>()) {
        let _ = s.set_item(&queue_key(), &String::from(json));
    }
}

/// Queues the event, then starts the POST at once (before any reload the decision causes).
pub fn send(req: &ConsentRequest) {
    let body = event_json(req);
    let mut q = pending();
    q.push(body.clone());
    save_pending(&q);
    post(body);
}

fn post(body: String) {
    let (Some(url), Some(win)) = (api_url("/consents"), web_sys::window()) else { return };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    init.set_credentials(web_sys::RequestCredentials::Omit);
    // keepalive: the POST survives a navigation or the W5 reload that follows the click.
    let _ = Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    if let Ok(h) = web_sys::Headers::new() {
        let _ = h.set("content-type", "application/json");
        init.set_headers(&h);
    }
    let request = win.fetch_with_str_and_init(&url, &init);
    spawn_local(async move {
        let status = JsFuture::from(request).await.ok().map(|r| get(&r, "status").as_f64().unwrap_or(0.0) as u16);
        match status {
            // Logged (201) or logged before (200); or refused for good: never re-send.
            Some(s) if (200..300).contains(&s) || (400..500).contains(&s) && s != 408 && s != 429 => {
                save_pending(&pending().into_iter().filter(|b| *b != body).collect::<Vec<_>>());
                if s >= 400 {
                    warn("the consent log refused the decision; it is applied on this page");
                }
            }
            _ => warn("the consent log could not be reached; the decision is applied here and will be sent later"),
        }
    });
}

/// Re-sends what an earlier page could not deliver, now and whenever the browser is back online.
pub fn resend_pending() {
    for body in pending() {
        post(body);
    }
    let online = Closure::<dyn FnMut()>::new(|| {
        for body in pending() {
            post(body);
        }
    });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    }
    online.forget();
}
