//! A decision, from click or API to effect: the cookie (W6), the Consent Mode `update` (W8),
//! gated elements (W4), deleting revoked categories' cookies and reloading once (W5), the
//! `kelisim:consent` / `kelisim:change` events (W11), and the POST to the log (W7).

use crate::{doc, gating, net, now_secs, ui, with};
use js_sys::{Array, Function, Object, Reflect};
use kelisim_shared::config::Config;
use kelisim_shared::consent_mode::ConsentModeType;
use kelisim_shared::cookie::{Decision, COOKIE_NAME};
use kelisim_shared::event::{Action, ConsentRequest};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use alloc::borrow::ToOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

pub enum Choice {
    /// Accept all, Reject all or Withdraw.
    All(Action),
    /// The categories chosen in the preferences (or through `kelisim.accept(ids)`).
    Custom(Vec<String>),
}

/// Makes a decision; loads the config first if this page has not (API call on a return visit).
pub fn decide(choice: Choice) {
    match with(|w| w.config.clone()).flatten() {
        Some(cfg) => apply(&cfg, choice),
        None => spawn_local(async move {
            if net::load_config(JsValue::NULL).await {
                if let Some(cfg) = with(|w| w.config.clone()).flatten() {
                    apply(&cfg, choice);
                    ui::after_decision();
                }
            }
        }),
    }
}

fn granted_for(cfg: &Config, choice: &Choice, gpc: bool) -> (Action, Vec<String>) {
    let pick = |keep: &dyn Fn(&kelisim_shared::config::Category) -> bool| {
        cfg.categories.iter().filter(|c| c.required || keep(c)).map(|c| c.id.clone()).collect()
    };
    match choice {
        // W9: with GPC, `gpc_off` categories stay off on Accept all.
        Choice::All(Action::AcceptAll) => (Action::AcceptAll, pick(&|c| !(gpc && c.gpc_off))),
        Choice::All(a) => (*a, pick(&|_| false)),
        Choice::Custom(ids) => (Action::Custom, pick(&|c| ids.contains(&c.id))),
    }
}

fn apply(cfg: &Rc<Config>, choice: Choice) {
    let gpc = ui::gpc();
    let (action, granted) = granted_for(cfg, &choice, gpc);
    let Some((lang, prev, consent_id, gtag)) = with(|w| {
        let lang = ui::current_lang(w, cfg);
        let id = w.consent_id.clone().unwrap_or_else(uuid_v4);
        w.consent_id = Some(id.clone());
        (lang, w.decision.clone(), id, w.gtag.clone())
    }) else {
        return;
    };
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
    with(|w| w.decision = Some(decision.clone()));
    enable(&granted);
    // W5: what is not granted now loses its cookies, whatever the previous state was.
    let denied: Vec<String> = cfg
        .categories
        .iter()
        .filter(|c| !granted.contains(&c.id))
        .flat_map(|c| c.cookies.iter().chain(c.services.iter().flat_map(|s| s.cookies.iter())))
        .cloned()
        .collect();
    delete_cookies(&denied);
    announce(&decision, prev.as_ref());
    let page = web_sys::window().and_then(|w| w.location().href().ok());
    net::send(&ConsentRequest {
        consent_id,
        event_id: uuid_v4(),
        config_version: cfg.version.clone(),
        action,
        granted: granted.clone(),
        language: lang,
        gpc,
        page,
    });
    // W5: a script of a now-denied category already ran on this page: only a reload stops it.
    let ran_denied = with(|w| w.ran.iter().any(|c| !granted.contains(c))).unwrap_or(false);
    if ran_denied && cfg.reload_on_revoke {
        if let Some(win) = web_sys::window() {
            let _ = win.location().reload();
        }
    }
}

/// Enables the gated elements of the granted categories and remembers which ran.
pub fn enable(granted: &[String]) {
    let ran = gating::enable(&doc(), granted);
    with(|w| {
        for c in ran {
            if !w.ran.contains(&c) {
                w.ran.push(c);
            }
        }
    });
}

pub fn uuid_v4() -> String {
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

fn consent_mode_update(gtag: &Option<Function>, bits: u8) {
    let Some(gtag) = gtag else { return };
    let o = Object::new();
    for t in ConsentModeType::ALL {
        let v = if bits & t.bit() != 0 { "granted" } else { "denied" };
        let _ = Reflect::set(&o, &JsValue::from_str(t.name()), &JsValue::from_str(v));
    }
    let _ = gtag.call3(&JsValue::NULL, &"consent".into(), &"update".into(), &o);
}

fn set_cookie(s: &str) {
    if let Ok(h) = doc().dyn_into::<web_sys::HtmlDocument>() {
        let _ = h.set_cookie(s);
    }
}

fn write_cookie(d: &Decision, consent_days: u32) {
    let secure = web_sys::window().and_then(|w| w.location().protocol().ok()).as_deref() == Some("https:");
    let mut max_age = String::new();
    kelisim_shared::cookie::push_decimal(&mut max_age, u64::from(consent_days) * 86_400);
    set_cookie(&[COOKIE_NAME, "=", &d.encode(), "; Path=/; Max-Age=", &max_age, "; SameSite=Lax", if secure { "; Secure" } else { "" }].concat());
}

/// `*` matches any run of characters (`_ga*`, `_ym_*`).
pub fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else { return false };
            if rest.is_empty() {
                return true;
            }
            (0..=tail.len()).filter(|i| tail.is_char_boundary(*i)).any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// Deletes every visible cookie matching a pattern, on every domain and path variant this
/// page could have set it with (a cookie is only removed by the same Domain and Path).
pub fn delete_cookies(patterns: &[String]) {
    if patterns.is_empty() {
        return;
    }
    let Ok(h) = doc().dyn_into::<web_sys::HtmlDocument>() else { return };
    let all = h.cookie().unwrap_or_default();
    let loc = web_sys::window().map(|w| w.location());
    let host = loc.as_ref().and_then(|l| l.hostname().ok()).unwrap_or_default();
    let path = loc.as_ref().and_then(|l| l.pathname().ok()).unwrap_or_default();
    let mut domains = vec![String::new()];
    let labels: Vec<&str> = host.split('.').collect();
    for i in 0..labels.len().saturating_sub(1) {
        let d = labels[i..].join(".");
        domains.push(["; Domain=", &d].concat());
        domains.push(["; Domain=.", &d].concat());
    }
    let mut paths = vec!["/".to_owned()];
    let mut acc = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        acc.push('/');
        acc.push_str(seg);
        paths.push(acc.clone());
        paths.push([acc.as_str(), "/"].concat());
    }
    for name in all.split(';').filter_map(|kv| kv.split('=').next()).map(str::trim) {
        if name == COOKIE_NAME || !patterns.iter().any(|p| glob(p, name)) {
            continue;
        }
        for d in &domains {
            for p in &paths {
                set_cookie(&[name, "=; Max-Age=0; Path=", p, d].concat());
            }
        }
    }
}

/// The decision as the JS API and events show it: `{consentId, granted, configVersion, decidedAt}`.
pub fn decision_object(d: &Decision) -> Object {
    let o = Object::new();
    let _ = Reflect::set(&o, &"consentId".into(), &JsValue::from_str(&d.consent_id));
    let granted: Array = d.granted.iter().map(|g| JsValue::from_str(g)).collect();
    let _ = Reflect::set(&o, &"granted".into(), &granted);
    let _ = Reflect::set(&o, &"configVersion".into(), &JsValue::from_str(&d.config_version));
    let _ = Reflect::set(&o, &"decidedAt".into(), &js_sys::Date::new(&JsValue::from_f64(d.decided_at as f64 * 1000.0)));
    o
}

/// W11: `kelisim:consent` on every decision, `kelisim:change` when the granted set changed.
fn announce(d: &Decision, prev: Option<&Decision>) {
    let detail = decision_object(d);
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

#[cfg(test)]
mod tests {
    use super::glob;
    extern crate std;
    #[test]
    fn cookie_patterns() {
        assert!(glob("_ga", "_ga"));
        assert!(!glob("_ga", "_gat"));
        assert!(glob("_ga*", "_ga_XYZ123"));
        assert!(glob("_ga*", "_ga"));
        assert!(glob("_ym_*", "_ym_uid"));
        assert!(!glob("_ym_*", "_ym"));
        assert!(glob("*_session", "shop_session"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcdf"));
    }
}
