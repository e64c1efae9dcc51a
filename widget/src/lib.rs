//! # kelisim-widget
//!
//! The consent banner that runs in visitors' browsers (wasm32), started by the loader
//! (`widget/loader.js`, served as `/kelisim.js`) through its host (`widget/host.js`). The
//! module decides everything: it reads the site config, chooses the language, renders the
//! first layer and the preferences layer (W1–W3), turns clicks, keys and `window.kelisim` calls
//! into decisions, writes the `kelisim` cookie (W6), builds the Consent Mode v2 `update` (W8),
//! says which categories' gated elements may run (W4), which cookies a revocation deletes on
//! which domains and paths (W5), and builds the event the log receives (W7). The host only
//! carries those decisions into the page (see `host`).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.
//!
//! It must never block or break the page: every failure ends in a console warning with the
//! page working and nothing gated enabled. Every byte here is downloaded by every visitor, so
//! it has no serde and no `std`, and the markup is the server's: wasm-bindgen carries the
//! boundary (`host`), web-sys only the few browser reads and writes the module makes itself.

// On wasm32 the widget needs only `alloc`: no std, and a panic handler that aborts without
// formatting (std's panic machinery alone is several KB of every visitor's download).
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]
// `push_str("x")` rather than `push('x')`: a char push brings UTF-8 encoding code into the
// module for what is always ASCII.
#![allow(clippy::single_char_add_str)]
// `unsafe` only in the allocator (`heap`), each block with its SAFETY comment.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;
mod decide;
// The global allocator on wasm32; natively only its tests (over an arena of their own).
#[cfg(any(target_arch = "wasm32", test))]
#[allow(unsafe_code)]
mod heap;
mod host;
mod ui;

use alloc::string::String;
use alloc::vec::Vec;
use decide::Choice;
use kelisim_shared::cat;
use kelisim_shared::cookie::Decision;
use kelisim_shared::facts::Facts;
use kelisim_shared::lang::Lang;
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: heap::Heap = heap::Heap::new();

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// What to do once the config has arrived (a return visit starts without it).
pub(crate) enum Then {
    Banner,
    Preferences,
    Decide(Choice),
}

#[derive(Default)]
pub(crate) struct Widget {
    floating: bool,
    /// Loaded once per page and kept for its life (leaked: no reference counting to carry).
    config: Option<&'static Facts>,
    /// The decision in force (from the cookie, or made on this page).
    decision: Option<Decision>,
    /// The consent id to keep for the next decision, even when the stored decision no longer
    /// stands (changed categories, expired): the visitor stays one data subject in the log.
    consent_id: Option<String>,
    lang: Option<Lang>,
    /// Categories whose gated elements were enabled on this page (W5: a revoked one reloads).
    ran: Vec<String>,
    loading: bool,
    then: Vec<Then>,
}

/// State of the widget. wasm32 in a browser page has one thread (the widget is never used from
/// workers), so the lock is never contended; taking it while it is held (a host call that ran
/// page code calling back into the widget, which `with` forbids) finds it taken and does nothing.
static WIDGET: spin::mutex::SpinMutex<Option<Widget>> = spin::mutex::SpinMutex::new(None);

/// Runs `f` on the state. Never call the host inside `f`: the host can run page code (a
/// gated inline script, an event listener) that calls back into the widget.
pub(crate) fn with<R>(f: impl FnOnce(&mut Widget) -> R) -> Option<R> {
    WIDGET.try_lock()?.as_mut().map(f)
}

/// Starts the widget (host.js's `boot`): whether the loader found the `kelisim` cookie standing
/// (W1: it checked scope and age against the site's current config), the cookie's value as the
/// loader read and checked it against the format ("" when there is none or it is malformed:
/// the module trusts that check, `Decision::read_checked`), whether the floating button is on,
/// whether the URL asks for the preferences (`#kelisim`).
#[wasm_bindgen]
pub fn start(standing: bool, cookie: &str, floating: bool, wants_prefs: bool) {
    host::root();
    // A cookie that no longer stands (the categories changed, or it expired) still gives its
    // consent id: the visitor stays one data subject in the log.
    let stored = Decision::read_checked(cookie);
    if let Some(mut state) = WIDGET.try_lock() {
        *state = Some(Widget {
            floating,
            consent_id: stored.as_ref().map(|d| d.consent_id.clone()),
            decision: stored.filter(|_| standing),
            ..Widget::default()
        });
    }
    match with(|w| w.decision.as_ref().map(|d| d.granted.clone())).flatten() {
        Some(granted) => {
            // Return visit with a standing decision: the loader already pushed the Consent
            // Mode update; enable what was granted, show only the reopen button.
            decide::enable(&granted);
            ui::show_reopen();
            if wants_prefs {
                ui::open_preferences();
            }
        }
        None => need_config(if wants_prefs { Then::Preferences } else { Then::Banner }),
    }
}

/// The config could not be loaded (`why`): nothing that needs consent runs.
#[wasm_bindgen(js_name = configFailed)]
pub fn config_failed(why: &str) {
    with(|w| {
        w.loading = false;
        w.then.clear();
    });
    host::warn(&cat(&["the site config could not be loaded (", why, "); nothing that needs consent will run"]));
}

/// W4: gated elements added after load run when their category is granted.
#[wasm_bindgen]
pub fn mutation() {
    if let Some(granted) = with(|w| w.decision.as_ref().map(|d| d.granted.clone())).flatten() {
        decide::enable(&granted);
    }
}

/// Runs `then` now if the config is here, else once it has been loaded.
pub(crate) fn need_config(then: Then) {
    if with(|w| w.config.is_some()) == Some(true) {
        return run(then);
    }
    let first = with(|w| {
        w.then.push(then);
        !core::mem::replace(&mut w.loading, true)
    });
    if first == Some(true) {
        host::config();
    }
}

/// The language the server chose for the markup it sent with the config (W3: from the
/// visitor's tags, `kelisim_shared::lang::choose`; two letters, which the layers are shown in
/// until the visitor switches), then the site's facts. (One string: each one that crosses the
/// boundary costs its own glue.)
#[wasm_bindgen(js_name = configLoaded)]
pub fn config_loaded(text: &str) {
    let (lang, text) = text.split_at_checked(2).unwrap_or_default();
    let parsed = Facts::decode(text).ok_or("its `widget` facts are missing or malformed");
    let then = with(|w| {
        w.loading = false;
        w.lang = w.lang.or(Lang::from_tag(lang));
        core::mem::take(&mut w.then)
    })
    .unwrap_or_default();
    match parsed {
        Ok(c) => {
            with(|w| w.config = Some(alloc::boxed::Box::leak(alloc::boxed::Box::new(c))));
            for t in then {
                run(t);
            }
        }
        Err(why) => config_failed(why),
    }
}

fn run(then: Then) {
    match then {
        Then::Banner => ui::show_banner(),
        Then::Preferences => ui::show_preferences(),
        Then::Decide(choice) => decide::decide_then_close(choice),
    }
}

/// Everything the page asks of the module, as one line (one string crosses the boundary, not
/// two): a click on `[data-action]` in the shadow root, `ACTION LANG` (its `data-action` and
/// `data-lang`; Esc is `close`), or a `window.kelisim` method (W11), `METHOD ARGS` (arguments
/// space-separated). `get` answers with the decision's detail (`decide::detail`), the others
/// with "".
#[wasm_bindgen]
pub fn api(cmd: &str) -> String {
    let (name, arg) = match cmd.bytes().position(|b| b == b' ') {
        Some(i) => (&cmd[..i], &cmd[i + 1..]),
        None => (cmd, ""),
    };
    match name {
        "get" => return with(|w| w.decision.as_ref().map(decide::detail)).flatten().unwrap_or_default(),
        "show" => need_config(Then::Banner),
        "hide" => ui::show_reopen(),
        _ => ui::action(name, arg),
    }
    String::new()
}
