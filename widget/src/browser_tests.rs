//! The module in a real browser (wasm-bindgen-test in headless Chromium, run by `cargo xtask
//! test`): what the native tests cannot reach because it goes through web-sys — ids from the
//! browser's `crypto.getRandomValues`, the `kelisim` cookie written and read back through
//! `document.cookie`, the GPC signal from `navigator`, and a whole decision from `start` to its
//! Consent Mode bits, cookie and event. host.js's side of the boundary is `src/test_host.js`,
//! which records what the module asked of it.

extern crate std;

use crate::decide::{cookie, new_id, own_cookie, uuid_v7};
use crate::{api, config_loaded, host, start};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kelisim_shared::cookie::Decision;
use kelisim_shared::facts::Facts;
use kelisim_shared::is_uuid;
use std::format;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/src/test_host.js")]
extern "C" {
    /// What the module asked of the host since the last call, one call per line.
    fn calls() -> String;
    /// `navigator.globalPrivacyControl`: 1 true, 0 false, -1 absent.
    #[wasm_bindgen(js_name = setGpc)]
    fn set_gpc(v: i32);
}

/// The example site of `shared/testdata` as the server sends its facts.
fn facts() -> (Facts, String) {
    let policy =
        kelisim_shared::policy::SitePolicy::parse("example.toml", include_str!("../../shared/testdata/example.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
    let text = Facts::of(&policy.config()).encode();
    (Facts::decode(&text).expect("the facts decode"), text)
}

fn forget_cookie() {
    host::set_cookie("kelisim=; Path=/; Max-Age=0");
    assert_eq!(own_cookie(&host::cookies()), None);
}

/// The one recorded call of `name`, its arguments.
fn the_call<'a>(calls: &'a str, name: &str) -> &'a str {
    let found: Vec<&str> = calls.lines().filter_map(|l| l.strip_prefix(name)?.strip_prefix(' ')).collect();
    assert_eq!(found.len(), 1, "`{name}` once in:\n{calls}");
    found[0]
}

/// A first visit, the config loaded, then `cmd` (a click or a `window.kelisim` method): the
/// calls the module made for the decision.
fn first_visit_then(cmd: &str) -> String {
    forget_cookie();
    calls();
    start(false, "", true, false);
    let booted = calls();
    assert!(booted.starts_with("root") && booted.contains("\nconfig"), "{booted}");
    config_loaded(&["ru", &facts().1].concat());
    let shown = calls();
    assert!(shown.ends_with("ui b ru"), "the first layer, in the page's language: {shown}");
    assert_eq!(api(cmd), "");
    calls()
}

#[wasm_bindgen_test]
fn ids_are_uuid_v7_with_the_time_first_and_random_bits_from_the_browser() {
    // The layout, on fixed inputs.
    assert_eq!(uuid_v7(0x0193_2c07_a3b1, [0xff; 16]), "01932c07-a3b1-7fff-bfff-ffffffffffff");
    assert_eq!(uuid_v7(0, [0; 16]), "00000000-0000-7000-8000-000000000000");
    assert!(uuid_v7(1_700_000_000_001, [0; 16]) > uuid_v7(1_700_000_000_000, [0xff; 16]), "time-ordered");
    // Real ids: the clock's milliseconds first, then 74 bits from crypto.getRandomValues.
    let now = host::now_ms();
    assert!(now > 1_700_000_000_000, "Date.now() through js-sys: {now}");
    let ids: Vec<String> = (0..64).map(|_| new_id(now)).collect();
    let time = format!("{:012x}", now);
    for id in &ids {
        assert!(is_uuid(id), "{id}");
        assert_eq!(id.replace('-', "")[..12], time, "{id}");
        assert_eq!(&id[14..15], "7", "version 7: {id}");
        assert!("89ab".contains(&id[19..20]), "variant 10: {id}");
    }
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "64 ids of one millisecond are all different");
    // Every random hex digit position takes more than one value over 64 ids (all-zero or
    // constant bytes would mean no randomness reached the id).
    for pos in (15..36).filter(|p| ![18, 19, 23].contains(p)) {
        let first = &ids[0][pos..pos + 1];
        assert!(ids.iter().any(|id| &id[pos..pos + 1] != first), "digit {pos} never changes");
    }
}

#[wasm_bindgen_test]
fn the_decision_cookie_is_written_and_read_back_through_document_cookie() {
    forget_cookie();
    let d = Decision {
        consent_id: new_id(host::now_ms()),
        decided_at: host::now_ms() / 1000,
        config_version: "ab".repeat(32),
        scope: "0123abcd".into(),
        consent_mode: 0b100_1001,
        granted: ["necessary".to_string(), "analytics".to_string()].into(),
    };
    host::set_cookie("other=1; Path=/");
    host::set_cookie(&cookie(&d, 365, false));
    let all = host::cookies();
    assert!(all.contains("other=1"), "{all}");
    let stored = own_cookie(&all).unwrap_or_else(|| panic!("no kelisim cookie in {all}"));
    assert_eq!(Decision::decode(stored).ok(), Some(d), "read back as it was written");
    forget_cookie();
    host::set_cookie("other=; Path=/; Max-Age=0");
    assert_eq!(host::cookies(), "");
}

#[wasm_bindgen_test]
fn accept_all_stores_and_sends_the_consent_mode_bits_of_every_category() {
    set_gpc(-1);
    let calls = first_visit_then("accept-all");
    let (facts, _) = facts();
    let all: Vec<String> = facts.categories.iter().map(|c| c.id.clone()).collect();
    let bits = facts.consent_mode_bits(&all);
    // necessary: security_storage (64); analytics: analytics_storage (8); marketing: ad_* (1, 2, 4).
    assert_eq!(bits, 64 | 8 | 1 | 2 | 4);
    assert_eq!(the_call(&calls, "consentMode"), bits.to_string());
    let d = Decision::decode(own_cookie(&host::cookies()).expect("the decision is stored"))
        .expect("in the cookie's format");
    assert_eq!((d.consent_mode, &d.granted, &d.config_version), (bits, &all, &facts.version));
    assert!(is_uuid(&d.consent_id));
    assert_eq!(the_call(&calls, "enable"), "necessary analytics marketing");
    // The event for the log, one field per line (consent id, event id, version, action,
    // granted, language, gpc, page); its first line is the call's argument.
    let post = the_call(&calls, "post");
    assert_eq!(post, d.consent_id);
    let event: Vec<&str> = calls[calls.find("post ").unwrap() + 5..].lines().collect();
    assert_ne!(event[1], event[0], "the event has its own id");
    assert!(is_uuid(event[1]));
    assert_eq!(&event[2..7], [facts.version.as_str(), "accept_all", "necessary analytics marketing", "ru", "0"]);
    // window.kelisim.get() answers with the same decision.
    assert!(api("get").starts_with(&format!("{}\nnecessary analytics marketing\n", d.consent_id)));
    forget_cookie();
}

#[wasm_bindgen_test]
fn gpc_from_navigator_keeps_gpc_off_categories_off_on_accept_all_and_is_recorded() {
    set_gpc(-1);
    assert!(!host::gpc(), "a browser without the signal");
    set_gpc(0);
    assert!(!host::gpc(), "the signal off");
    set_gpc(1);
    assert!(host::gpc(), "navigator.globalPrivacyControl === true");
    let calls = first_visit_then("acceptAll");
    assert_eq!(the_call(&calls, "consentMode"), "64", "only security_storage: analytics and marketing are gpc_off");
    let d = Decision::decode(own_cookie(&host::cookies()).unwrap()).unwrap();
    assert_eq!(d.granted, ["necessary"]);
    let event: Vec<&str> = calls[calls.find("post ").unwrap() + 5..].lines().collect();
    assert_eq!(&event[3..7], ["accept_all", "necessary", "ru", "1"], "the event records the signal");
    // Chosen one by one, a gpc_off category is granted despite the signal.
    calls_after(|| assert_eq!(api("accept analytics"), ""));
    let d = Decision::decode(own_cookie(&host::cookies()).unwrap()).unwrap();
    assert_eq!(d.granted, ["necessary", "analytics"]);
    set_gpc(-1);
    forget_cookie();
}

fn calls_after(f: impl FnOnce()) -> String {
    calls();
    f();
    calls()
}
