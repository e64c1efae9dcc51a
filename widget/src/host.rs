//! The boundary with the page, through wasm-bindgen.
//!
//! `widget/host.js` carries out what the module decides in the page's DOM: the typed import
//! block below is what it provides (module `./host.js`: the build puts host.js beside the
//! generated glue, which imports it, and esbuild bundles the two). The module's exports are the
//! `#[wasm_bindgen]` functions of `lib.rs`. What the module reads and writes in the browser
//! itself goes through web-sys and js-sys here: its `kelisim` cookie (`document.cookie`: it
//! writes it; the loader reads and checks it first, `start`), random bytes for ids
//! (`crypto.getRandomValues`), the clock (`Date.now`), and the GPC signal
//! (`navigator.globalPrivacyControl`, which web-sys does not have yet: bound here as
//! wasm-bindgen binds any attribute). `document`, `crypto` and `navigator` are declared
//! statics: `web_sys::window()` would cost a lookup of the global object and more glue.
//!
//! Native builds (the unit tests) have no page: every operation does nothing, reads give
//! nothing (no cookie, no randomness, time 0).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(target_arch = "wasm32")]
mod imp {
    use alloc::string::String;
    use wasm_bindgen::prelude::*;

    /// What host.js exports for the module (all DOM mechanics). The in-browser tests
    /// (`browser_tests.rs`) import stand-ins from `src/test_host.js` instead.
    #[cfg_attr(not(test), wasm_bindgen(raw_module = "./host.js"))]
    #[cfg_attr(test, wasm_bindgen(module = "/src/test_host.js"))]
    extern "C" {
        /// A console warning, prefixed `Kelisim: `.
        pub fn warn(msg: &str);
        /// Creates `<div id="kelisim">` with its shadow root and the layers' event listeners.
        pub fn root();
        /// Shows a layer: `b LANG` first layer, `p LANG G W URL` preferences, `r LABEL` the
        /// reopen button, `` nothing.
        pub fn ui(cmd: &str);
        /// Focuses the first match of a selector in the shadow root, or with `""` the element
        /// that had focus before the dialog; whether something got focus.
        pub fn focus(sel: &str) -> bool;
        /// Remembers what has focus (`force`: even if something is remembered already).
        #[wasm_bindgen(js_name = saveFocus)]
        pub fn save_focus(force: bool);
        #[wasm_bindgen(js_name = forgetFocus)]
        pub fn forget_focus();
        #[wasm_bindgen(js_name = focusIsOurs)]
        pub fn focus_is_ours() -> bool;
        /// Consent Mode v2 `update` with these bits (shared/src/consent_mode.rs).
        #[wasm_bindgen(js_name = consentMode)]
        pub fn consent_mode(bits: u8);
        /// Enables the gated elements of the space-separated categories; the categories of
        /// those that ran.
        pub fn enable(ids: &str) -> String;
        /// Sends the event (its fields one per line) to the log, keeping it until acknowledged.
        pub fn post(event: &str);
        /// Dispatches `kelisim:NAME` on window with the decision's detail.
        pub fn emit(name: &str, detail: &str);
        pub fn reload();
        /// The categories of the checked toggles, space-separated.
        pub fn checked() -> String;
        #[wasm_bindgen(js_name = setChecked)]
        pub fn set_checked(ids: &str);
        /// Loads the config; answers through `configLoaded` or `configFailed`.
        pub fn config();
        /// `location.href` and the visitor's language tags, one per line.
        pub fn env() -> String;
        /// Deletes each named cookie on every Domain and Path variant the page can reach.
        #[wasm_bindgen(js_name = deleteCookies)]
        pub fn delete_cookies(names: &str);
    }

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(thread_local_v2, js_name = document)]
        static DOCUMENT: web_sys::HtmlDocument;
        #[wasm_bindgen(thread_local_v2, js_name = crypto)]
        static CRYPTO: web_sys::Crypto;
        /// `navigator`, with the one attribute the module reads: `globalPrivacyControl` is not
        /// in web-sys's WebIDL yet (a proposal), so it is bound here, as wasm-bindgen binds any
        /// attribute (`None` where the browser does not have it).
        type Navigator;
        #[wasm_bindgen(method, getter = globalPrivacyControl)]
        fn global_privacy_control(this: &Navigator) -> Option<bool>;
        #[wasm_bindgen(thread_local_v2, js_name = navigator)]
        static NAVIGATOR: Navigator;
    }

    /// `document.cookie` ("" where the page may not have cookies: an opaque origin throws).
    pub fn cookies() -> String {
        DOCUMENT.with(|d| d.cookie()).unwrap_or_default()
    }

    pub fn set_cookie(c: &str) {
        let _ = DOCUMENT.with(|d| d.set_cookie(c));
    }

    /// Fills `buf` from `crypto.getRandomValues`.
    pub fn random(buf: &mut [u8]) {
        let _ = CRYPTO.with(|c| c.get_random_values_with_u8_array(buf));
    }

    /// W9: `navigator.globalPrivacyControl` is true.
    pub fn gpc() -> bool {
        NAVIGATOR.with(|n| n.global_privacy_control()) == Some(true)
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms() -> u64 {
        js_sys::Date::now() as u64
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use alloc::string::String;
    pub fn warn(_: &str) {}
    pub fn root() {}
    pub fn ui(_: &str) {}
    pub fn focus(_: &str) -> bool {
        false
    }
    pub fn save_focus(_: bool) {}
    pub fn forget_focus() {}
    pub fn focus_is_ours() -> bool {
        false
    }
    pub fn consent_mode(_: u8) {}
    pub fn enable(_: &str) -> String {
        String::new()
    }
    pub fn post(_: &str) {}
    pub fn emit(_: &str, _: &str) {}
    pub fn reload() {}
    pub fn checked() -> String {
        String::new()
    }
    pub fn set_checked(_: &str) {}
    pub fn config() {}
    pub fn env() -> String {
        String::new()
    }
    pub fn delete_cookies(_: &str) {}
    pub fn cookies() -> String {
        String::new()
    }
    pub fn set_cookie(_: &str) {}
    pub fn random(_: &mut [u8]) {}
    pub fn gpc() -> bool {
        false
    }
    pub fn now_ms() -> u64 {
        0
    }
}

pub use imp::*;

/// Space-separated ids (category ids are slugs).
pub fn ids(s: &str) -> Vec<String> {
    kelisim_shared::words(s.trim_ascii(), b' ').unwrap_or_default()
}

#[cfg(test)]
mod tests {
    extern crate std;

    const HOST_JS: &str = include_str!("../host.js");
    const HOST_RS: &str = include_str!("host.rs");
    const TEST_HOST_JS: &str = include_str!("test_host.js");

    /// Every function the import block names is exported by host.js (and has a stand-in in
    /// test_host.js), and host.js imports the module's exports by the names lib.rs gives them.
    #[test]
    fn host_js_exports_what_the_module_imports() {
        let block = &HOST_RS[HOST_RS.find("raw_module").unwrap()..HOST_RS.find("#[wasm_bindgen]\n    extern").unwrap()];
        let (mut n, mut js_name) = (0, None);
        for line in block.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("#[wasm_bindgen(js_name = ") {
                js_name = Some(name.trim_end_matches(")]"));
            } else if let Some(f) = line.strip_prefix("pub fn ") {
                let name = js_name.take().unwrap_or(&f[..f.find('(').unwrap()]);
                n += 1;
                assert!(HOST_JS.contains(&std::format!("export function {name}(")), "host.js does not export `{name}`");
                assert!(
                    TEST_HOST_JS.contains(&std::format!(" {name} = rec(")),
                    "test_host.js has no stand-in for `{name}`"
                );
            }
        }
        assert!(n >= 17, "{n}");
        for export in ["start", "configLoaded", "configFailed", "api", "mutation"] {
            assert!(HOST_JS.contains(export), "host.js never calls the module's `{export}`");
        }
    }

    /// host.js fills the markers the server's markup leaves.
    #[test]
    fn host_js_fills_the_markers_of_the_served_markup() {
        use kelisim_shared::render::{GPC_MARK, RECEIPT_MARK, WITHDRAW_MARK};
        for mark in [GPC_MARK, RECEIPT_MARK, WITHDRAW_MARK] {
            assert!(HOST_JS.contains(&std::format!("'{mark}'")), "{mark}");
        }
    }
}
