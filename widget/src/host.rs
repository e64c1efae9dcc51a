//! The boundary with the page: `widget/host.js` carries out what the module decides.
//!
//! Three imports (module `k`): `h(op, ptr, len) -> u32` runs operation `op` with one UTF-8
//! string argument; when the operation has a string result, `h` returns its length and `t(ptr)`
//! copies it into memory; `r(ptr, len)` fills bytes from `crypto.getRandomValues`. Two
//! exports: `a(len)` allocates a buffer for a string from the page, and `on(kind, ptr, len)`
//! delivers an event (see `lib.rs`). No wasm-bindgen: its glue and the externref machinery
//! cost more bytes than the whole boundary below (docs/BENCHMARKS.md).
//!
//! The operation numbers are the indices of `OPS` in host.js: keep the two in step.

use alloc::string::String;
use alloc::vec::Vec;

pub const WARN: u32 = 0;
pub const ROOT: u32 = 1;
pub const UI: u32 = 2;
pub const FOCUS: u32 = 3;
pub const SAVE_FOCUS: u32 = 4;
pub const FORGET_FOCUS: u32 = 5;
pub const FOCUS_IS_OURS: u32 = 6;
pub const COOKIES: u32 = 7;
pub const SET_COOKIE: u32 = 8;
pub const CONSENT_MODE: u32 = 9;
pub const ENABLE: u32 = 10;
pub const POST: u32 = 11;
pub const EVENT: u32 = 12;
pub const RELOAD: u32 = 13;
pub const CHECKED: u32 = 14;
pub const SET_CHECKED: u32 = 15;
pub const NOW: u32 = 16;
pub const CONFIG: u32 = 17;
pub const ENV: u32 = 18;
pub const OUT: u32 = 19;
pub const DELETE_COOKIES: u32 = 20;

#[cfg(target_arch = "wasm32")]
mod imp {
    #[link(wasm_import_module = "k")]
    extern "C" {
        fn h(op: u32, ptr: *const u8, len: usize) -> u32;
        fn t(ptr: *mut u8);
        fn r(ptr: *mut u8, len: usize);
    }
    pub fn op(op: u32, arg: &str) -> u32 {
        unsafe { h(op, arg.as_ptr(), arg.len()) }
    }
    pub fn op_n(op: u32, n: usize) -> u32 {
        unsafe { h(op, core::ptr::null(), n) }
    }
    pub fn take(len: usize, buf: &mut [u8]) {
        if len > 0 {
            unsafe { t(buf.as_mut_ptr()) }
        }
    }
    pub fn random(buf: &mut [u8]) {
        unsafe { r(buf.as_mut_ptr(), buf.len()) }
    }
}

/// Native builds (unit tests) have no page: every operation does nothing.
#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn op(_: u32, _: &str) -> u32 {
        0
    }
    pub fn op_n(_: u32, _: usize) -> u32 {
        0
    }
    pub fn take(_: usize, _: &mut [u8]) {}
    pub fn random(_: &mut [u8]) {}
}

pub use imp::{op, op_n, random};

/// An operation with a string result.
pub fn text(code: u32, arg: &str) -> String {
    let len = op(code, arg) as usize;
    let mut buf = alloc::vec![0u8; len];
    imp::take(len, &mut buf);
    // Safety: the host encodes with TextEncoder, which only writes UTF-8.
    unsafe { String::from_utf8_unchecked(buf) }
}

pub fn warn(msg: &str) {
    op(WARN, msg);
}

/// Space-separated ids (category ids are slugs).
pub fn ids(s: &str) -> Vec<String> {
    kelisim_shared::words(s.trim_ascii(), b' ').unwrap_or_default()
}

/// Allocates `len` bytes for a string the page passes in; `on` takes ownership back.
#[cfg(target_arch = "wasm32")]
#[export_name = "a"]
pub extern "C" fn alloc_in(len: usize) -> *mut u8 {
    let mut v: Vec<u8> = Vec::with_capacity(len.max(1));
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}

/// Takes back a buffer made by `alloc_in` and filled by the page.
///
/// # Safety
/// `ptr` comes from `alloc_in(len)` and holds `len` initialized bytes of UTF-8.
#[cfg(target_arch = "wasm32")]
pub unsafe fn take_in(ptr: *mut u8, len: usize) -> String {
    // Safety: as above, and the host encodes with TextEncoder, which only writes UTF-8.
    unsafe { String::from_utf8_unchecked(Vec::from_raw_parts(ptr, len, len.max(1))) }
}

#[cfg(test)]
mod tests {
    extern crate std;

    const HOST_JS: &str = include_str!("../host.js");

    /// host.js numbers its operations in comments (`/* 3 FOCUS`); they must be these.
    #[test]
    fn host_js_numbers_its_operations_as_here() {
        let ops = [
            ("WARN", super::WARN), ("ROOT", super::ROOT), ("UI", super::UI), ("FOCUS", super::FOCUS),
            ("SAVE_FOCUS", super::SAVE_FOCUS), ("FORGET_FOCUS", super::FORGET_FOCUS), ("FOCUS_IS_OURS", super::FOCUS_IS_OURS),
            ("COOKIES", super::COOKIES), ("SET_COOKIE", super::SET_COOKIE), ("CONSENT_MODE", super::CONSENT_MODE),
            ("ENABLE", super::ENABLE), ("POST", super::POST), ("EVENT", super::EVENT), ("RELOAD", super::RELOAD),
            ("CHECKED", super::CHECKED), ("SET_CHECKED", super::SET_CHECKED), ("NOW", super::NOW), ("CONFIG", super::CONFIG),
            ("ENV", super::ENV), ("OUT", super::OUT), ("DELETE_COOKIES", super::DELETE_COOKIES),
        ];
        for (name, n) in ops {
            let mark = std::format!("/* {n} {name}");
            assert!(HOST_JS.contains(&mark), "host.js lacks `{mark}`");
        }
        let numbered = HOST_JS.match_indices("/* ").filter(|(i, _)| HOST_JS[i + 3..].starts_with(|c: char| c.is_ascii_digit())).count();
        assert_eq!(numbered, ops.len(), "host.js has operations this module does not know");
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
