//! # kelisim-shared
//!
//! The types both sides of Kelisim speak, defined once:
//!
//! - [`config`]: the site config served to browsers (`GET /api/v1/sites/{site}/config`),
//!   with every text per language, and its content-hash `version`;
//! - [`event`]: the consent event a browser posts, and its validation against a config;
//! - [`cookie`]: the codec of the first-party `kelisim` cookie that holds a visitor's decision;
//! - [`facts`]: the few facts of a config the widget decides by, in a compact line format;
//! - [`lang`]: the languages Kelisim speaks (kk, ru, en) and how one is chosen for a visitor;
//! - [`strings`]: the built-in UI strings of the banner, in Kazakh, Russian and English;
//! - [`consent_mode`]: Google Consent Mode v2 types and their compact bit form;
//! - `render` (feature `policy`): the banner's markup per language, served inside the config;
//! - `policy` (feature `policy`, server side only): the site policy TOML file, its
//!   validation with file/line/column errors, and the derivation of the served config;
//! - `canonical` (feature `policy`): the canonical bytes of a logged consent record;
//! - `merkle` and `checkpoint` (feature `log`): the RFC 6962 Merkle tree over the log, its
//!   inclusion and consistency proofs, and Ed25519-signed checkpoints (C2SP signed notes), so
//!   that the server and an offline verifier check the log by the very same code.
//!
//! This crate never does I/O and never depends on a browser or an HTTP framework, so the
//! widget (wasm32) and the server (actix-web) use the very same rules.
//!
//! ```
//! use kelisim_shared::cookie::Decision;
//! let d = Decision {
//!     consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
//!     decided_at: 1_700_000_000,
//!     config_version: "ab".repeat(32),
//!     scope: "0123abcd".into(),
//!     consent_mode: 0b1000001,
//!     granted: vec!["necessary".into(), "analytics".into()],
//! };
//! assert_eq!(Decision::decode(&d.encode()).unwrap(), d);
//! ```
#![forbid(unsafe_code)]
// `push_str("x")` rather than `push('x')`: in the widget's module a char push brings UTF-8
// encoding code for what is always ASCII (docs/BENCHMARKS.md, "Where the widget's bytes went").
#![allow(clippy::single_char_add_str)]
// Without `policy` (the widget's build) this crate needs only `alloc`: no std, no panic
// formatting machinery in the visitor's download.
#![cfg_attr(all(not(feature = "policy"), not(feature = "log"), not(test)), no_std)]

extern crate alloc;

use alloc::string::String;

pub mod config;
pub mod consent_mode;
pub mod cookie;
pub mod event;
pub mod facts;
pub mod html;
pub mod lang;
pub mod strings;

#[cfg(feature = "policy")]
pub mod appearance;
#[cfg(feature = "policy")]
pub mod canonical;
#[cfg(feature = "policy")]
pub mod catalogue;
#[cfg(feature = "log")]
pub mod checkpoint;
#[cfg(feature = "log")]
pub mod merkle;
#[cfg(feature = "policy")]
pub mod policy;
#[cfg(feature = "policy")]
pub mod render;

/// `s` cut at each `sep` (an ASCII byte), like `str::split`, without core's pattern machinery:
/// in the widget every byte counts, and the searchers behind `split` cost about 2 KB of WASM.
pub fn fields(s: &str, sep: u8) -> Fields<'_> {
    Fields { rest: Some(s), sep }
}

pub struct Fields<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match s.bytes().position(|b| b == self.sep) {
            Some(i) => {
                self.rest = s.get(i + 1..);
                s.get(..i)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}

/// The fields of `s` cut at `sep`, owned; `None` when one is empty (`a++b`, `a+`); an empty
/// `s` has none. One copy of the code for every caller.
#[inline(never)]
pub fn words(s: &str, sep: u8) -> Option<alloc::vec::Vec<String>> {
    let mut v = alloc::vec::Vec::new();
    if !s.is_empty() {
        for w in fields(s, sep) {
            if w.is_empty() {
                return None;
            }
            v.push(String::from(w));
        }
    }
    Some(v)
}

impl<'a> Fields<'a> {
    /// What is left after the fields taken so far.
    pub fn rest(&self) -> &'a str {
        self.rest.unwrap_or("")
    }
}

/// The pieces one after the other (one copy of the code for every caller, unlike the generic
/// `concat`/`join`, which the widget would carry once per element type).
#[inline(never)]
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Ids joined by `sep`.
#[inline(never)]
pub fn join(ids: &[String], sep: &str) -> String {
    let mut s = String::new();
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(id);
    }
    s
}

/// The ids of categories and services: a lowercase slug, 1–32 characters of `a-z`, `0-9`,
/// `_` and `-`, starting with a letter. The cookie codec relies on ids never holding `.` or `+`.
pub fn is_slug(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// A UUID in the canonical lowercase hyphenated form (8-4-4-4-12 hex digits).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn slugs() {
        assert!(is_slug("analytics"));
        assert!(is_slug("a_b-2"));
        assert!(!is_slug(""));
        assert!(!is_slug("2a"));
        assert!(!is_slug("Analytics"));
        assert!(!is_slug("a.b"));
        assert!(!is_slug("a+b"));
        assert!(!is_slug(&"a".repeat(33)));
    }
    #[test]
    fn fields_split_like_str_split() {
        for (s, sep) in [("a b  c", b' '), ("", b' '), (" ", b' '), ("1.x.", b'.'), ("Қаз,ru", b',')] {
            let want: alloc::vec::Vec<&str> = s.split(sep as char).collect();
            assert_eq!(fields(s, sep).collect::<alloc::vec::Vec<_>>(), want, "{s:?}");
        }
        assert_eq!(cat(&["a", "", "бв"]), "aбв");
        assert_eq!(words("a+b", b'+'), Some(alloc::vec!["a".into(), "b".into()]));
        assert_eq!(words("", b'+'), Some(alloc::vec![]));
        assert_eq!(words("a++b", b'+'), None);
        assert_eq!(words("a+", b'+'), None);
        let mut f = fields("x y z", b' ');
        f.next();
        assert_eq!(f.rest(), "y z");
        assert_eq!(join(&["a".into(), "b".into()], "+"), "a+b");
        assert_eq!(join(&[], "+"), "");
    }
    #[test]
    fn uuids() {
        assert!(is_uuid("0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f"));
        assert!(!is_uuid("0B6F7C1E-8C1A-4D2B-9F3E-2A1B3C4D5E6F"));
        assert!(!is_uuid("0b6f7c1e8c1a4d2b9f3e2a1b3c4d5e6f"));
        assert!(!is_uuid("0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6g"));
    }
}
