//! A decision, from click or API to effect: the cookie (W6), the Consent Mode `update` (W8),
//! gated elements (W4), deleting revoked categories' cookies and reloading once (W5), the
//! `kelisim:consent` / `kelisim:change` events (W11), and the event for the log (W7).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use crate::{host, need_config, ui, with, Then};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use kelisim_shared::cookie::{pattern_matches, push_decimal, Decision, COOKIE_NAME};
use kelisim_shared::event::Action;
use kelisim_shared::facts::{CategoryFacts as Category, Facts as Site};
use kelisim_shared::{cat, fields, join};

pub enum Choice {
    /// Accept all, Reject all or Withdraw.
    All(Action),
    /// The categories chosen in the preferences (or through `kelisim.accept(ids)`).
    Custom(Vec<String>),
}

/// What the page tells about itself (host.js's `env`) and the GPC signal.
pub struct Env {
    pub href: String,
    /// The visitor's language tags in order of preference: `data-lang`, `<html lang>`, the
    /// browser's (comma-separated; the loader sent the server the same).
    pub tags: String,
    /// W9: the browser sends a Global Privacy Control signal.
    pub gpc: bool,
}

impl Env {
    pub fn read() -> Env {
        let text = host::env();
        let mut parts = fields(&text, b'\n');
        let mut next = || parts.next().unwrap_or("").to_owned();
        Env { href: next(), tags: next(), gpc: host::gpc() }
    }
}

/// Makes a decision and closes the layers; on a return visit (API call, reopened
/// preferences) the config is loaded first.
pub fn decide_then_close(choice: Choice) {
    match with(|w| w.config).flatten() {
        Some(cfg) => {
            apply(cfg, choice);
            ui::after_decision();
        }
        None => need_config(Then::Decide(choice)),
    }
}

/// The categories a choice grants: the required one always; W9: with GPC, `gpc_off`
/// categories stay off on Accept all (they can still be chosen one by one).
pub fn granted_for(cfg: &Site, choice: &Choice, gpc: bool) -> (Action, Vec<String>) {
    let pick = |keep: &dyn Fn(&Category) -> bool| {
        let mut ids = Vec::new();
        for c in &cfg.categories {
            if c.required || keep(c) {
                ids.push(c.id.clone());
            }
        }
        ids
    };
    match choice {
        Choice::All(Action::AcceptAll) => (Action::AcceptAll, pick(&|c| !(gpc && c.gpc_off))),
        Choice::All(a) => (*a, pick(&|_| false)),
        Choice::Custom(ids) => (Action::Custom, pick(&|c| ids.contains(&c.id))),
    }
}

fn apply(cfg: &Site, choice: Choice) {
    let env = Env::read();
    let (chosen, granted) = granted_for(cfg, &choice, env.gpc);
    let now = host::now_ms();
    let fresh_id = new_id(now);
    let Some((lang, prev, consent_id)) = with(|w| {
        let lang = ui::current_lang(w, cfg);
        let id = w.consent_id.get_or_insert(fresh_id).clone();
        (lang, w.decision.clone(), id)
    }) else {
        return;
    };
    let action = logged_action(chosen, prev.as_ref(), &granted);
    let bits = cfg.consent_mode_bits(&granted);
    let decision = Decision {
        consent_id: consent_id.clone(),
        decided_at: now / 1000,
        config_version: cfg.version.clone(),
        scope: cfg.scope.clone(),
        consent_mode: bits,
        granted: granted.clone(),
    };
    host::set_cookie(&cookie(&decision, cfg.consent_days, env.href.starts_with("https:")));
    host::consent_mode(bits);
    with(|w| w.decision = Some(decision.clone()));
    enable(&granted);
    // W5: what is not granted now loses its cookies, whatever the previous state was.
    delete_cookies(&revoked_cookies(cfg, &granted));
    // W11: `kelisim:consent` on every decision, `kelisim:change` when the granted set changed.
    let detail = detail(&decision);
    host::emit("consent", &detail);
    if prev.map(|p| p.granted) != Some(granted.clone()) {
        host::emit("change", &detail);
    }
    // The event (docs/api.md, `POST …/consents`), one field per line; host.js writes the JSON.
    let event = cat(&[
        &consent_id,
        "\n",
        &new_id(now),
        "\n",
        &cfg.version,
        "\n",
        action.as_str(),
        "\n",
        &join(&granted, " "),
        "\n",
        lang.code(),
        if env.gpc { "\n1\n" } else { "\n0\n" },
        &env.href,
    ]);
    // A site with nothing optional asks nothing: closing its notice is remembered in the
    // cookie but not logged (docs/site-policy.md, "Sites with nothing optional: a notice, not a question").
    if !notice_only(cfg) {
        host::post(&event);
    }
    // W5: a script of a now-denied category already ran on this page: only a reload stops it.
    let ran_denied = with(|w| w.ran.iter().any(|c| !granted.contains(c))).unwrap_or(false);
    if ran_denied && cfg.reload_on_revoke {
        host::reload();
    }
}

/// Art. 8 p.2: a decision that turns off any category the visitor had granted (under the same
/// consent id, in the decision in force) is a withdrawal, whichever button made it; `granted`
/// is then what remains. Otherwise the action is the one chosen.
pub fn logged_action(chosen: Action, prev: Option<&Decision>, granted: &[String]) -> Action {
    match prev {
        Some(p) if p.granted.iter().any(|g| !granted.contains(g)) => Action::Withdraw,
        _ => chosen,
    }
}

/// Whether the site has only its required category (its first layer is a notice).
pub fn notice_only(cfg: &Site) -> bool {
    cfg.categories.len() == 1
}

/// Enables the gated elements of the granted categories and remembers which ran.
pub fn enable(granted: &[String]) {
    let ran = host::ids(&host::enable(&join(granted, " ")));
    with(|w| {
        for c in ran {
            if !w.ran.contains(&c) {
                w.ran.push(c);
            }
        }
    });
}

/// A new id for a consent or an event: a UUID v7 (RFC 9562) of the time `ms` (time-ordered
/// ids keep the log's index on them compact) with 74 random bits from `crypto.getRandomValues`.
pub fn new_id(ms: u64) -> String {
    let mut random = [0u8; 16];
    host::random(&mut random);
    uuid_v7(ms, random)
}

/// A UUID v7: the 48-bit Unix time in milliseconds, big-endian; version 7; variant `10`; the
/// rest from `random`.
pub fn uuid_v7(ms: u64, mut b: [u8; 16]) -> String {
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    // Digits from a str, as `push_decimal` does (no char encoding: bytes of every download).
    const HEX: &str = "0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push_str("-");
        }
        for d in [usize::from(byte >> 4), usize::from(byte & 15)] {
            s.push_str(HEX.get(d..d + 1).unwrap_or(""));
        }
    }
    s
}

/// The value of the `kelisim` cookie in a `document.cookie` string (the tests'; the module gets
/// it from the loader, which read and checked it: `start`).
#[cfg(test)]
pub fn own_cookie(cookies: &str) -> Option<&str> {
    fields(cookies, b';').find_map(|kv| kv.trim_ascii().strip_prefix(COOKIE_NAME)?.strip_prefix("="))
}

/// The `Set-Cookie`-style string for `document.cookie` (W6).
pub fn cookie(d: &Decision, consent_days: u32, secure: bool) -> String {
    let mut max_age = String::new();
    push_decimal(&mut max_age, u64::from(consent_days) * 86_400);
    cat(&[
        COOKIE_NAME,
        "=",
        &d.encode(),
        "; Path=/; Max-Age=",
        &max_age,
        "; SameSite=Lax",
        if secure { "; Secure" } else { "" },
    ])
}

/// The decision as the JS API and events show it, one field per line: consent id, granted
/// ids (space-separated), config version, decision time (host.js makes the object and Date).
pub fn detail(d: &Decision) -> String {
    let mut at = String::new();
    push_decimal(&mut at, d.decided_at);
    cat(&[&d.consent_id, "\n", &join(&d.granted, " "), "\n", &d.config_version, "\n", &at])
}

/// The cookie names and patterns of every category (and its services) not granted.
pub fn revoked_cookies(cfg: &Site, granted: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for c in &cfg.categories {
        if !granted.contains(&c.id) {
            out.extend_from_slice(&c.cookies);
        }
    }
    out
}

/// The names among `document.cookie`'s that match a pattern (never `kelisim` itself),
/// space-separated. The host deletes each on every Domain and Path variant the page can reach
/// (a cookie is only removed by the same Domain and Path): that is DOM mechanics, and much
/// smaller in JavaScript.
pub fn doomed(patterns: &[String], cookies: &str) -> String {
    let mut names = String::new();
    for kv in fields(cookies, b';') {
        let name = fields(kv, b'=').next().unwrap_or("").trim_ascii();
        if name != COOKIE_NAME && patterns.iter().any(|p| pattern_matches(p, name)) {
            names.push_str(name);
            names.push_str(" ");
        }
    }
    names
}

fn delete_cookies(patterns: &[String]) {
    if patterns.is_empty() {
        return;
    }
    let names = doomed(patterns, &host::cookies());
    if !names.is_empty() {
        host::delete_cookies(&names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    extern crate std;
    use alloc::string::ToString;

    // An id is `uuid_v7` of the time and random bytes, so it is tested here on fixed inputs;
    // `new_id`, which takes the bytes from crypto.getRandomValues, in a real browser
    // (browser_tests.rs): natively the host has no randomness.

    /// The bytes an id is made of: `first` then 1, 2, 3, … (with `first` 0: 0x00..=0x0f).
    fn counting(first: u8) -> [u8; 16] {
        core::array::from_fn(|i| first.wrapping_add(i as u8))
    }

    /// The 16 bytes an id's 32 hex digits spell.
    fn bytes_of(id: &str) -> [u8; 16] {
        let hex: String = id.split('-').collect();
        assert_eq!(hex.len(), 32, "{id}");
        core::array::from_fn(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
    }

    #[test]
    fn an_id_is_the_time_then_the_random_bytes_with_version_7_and_variant_10() {
        // 0x0193_2c07_a3b1 ms is 2024-11-14T18:55:18.449Z; bytes 6 and 8 keep their low nibble and
        // six bits.
        assert_eq!(uuid_v7(0x0193_2c07_a3b1, counting(0)), "01932c07-a3b1-7607-8809-0a0b0c0d0e0f");
        assert_eq!(uuid_v7(1_700_000_000_000, counting(0xf0)), "018bcfe5-6800-76f7-b8f9-fafbfcfdfeff");
        assert_eq!(uuid_v7(0, [0; 16]), "00000000-0000-7000-8000-000000000000");
        assert_eq!(uuid_v7(0xffff_ffff_ffff, [0xff; 16]), "ffffffff-ffff-7fff-bfff-ffffffffffff");
        // The first six random bytes are never used: the time takes their place.
        let mut time_zeroed = [0xff; 16];
        time_zeroed[..6].fill(0);
        assert_eq!(uuid_v7(42, [0xff; 16]), uuid_v7(42, time_zeroed));
    }

    #[test]
    fn every_id_has_version_7_variant_10_and_the_random_bits_it_was_given() {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for b in 0..=255u8 {
            // xorshift64: other bytes, the same on every run.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut random = counting(x as u8);
            random[6] = b;
            random[8] = b.wrapping_add(x as u8);
            let id = uuid_v7(x >> 16, random);
            let got = bytes_of(&id);
            assert_eq!(got[6] >> 4, 7, "version nibble: {id}");
            assert_eq!(got[8] >> 6, 0b10, "variant bits: {id}");
            assert_eq!(got[6] & 0x0f, random[6] & 0x0f, "{id}");
            assert_eq!(got[8] & 0x3f, random[8] & 0x3f, "{id}");
            assert_eq!(got[7], random[7], "{id}");
            assert_eq!(got[9..], random[9..], "{id}");
            assert!(kelisim_shared::event::is_event_uuid(&id), "the log accepts it: {id}");
        }
    }

    #[test]
    fn the_time_is_the_first_48_bits_big_endian() {
        for ms in [1u64, 0x0102_0304_0506, 1_700_000_000_000, 1_767_225_600_000, 0xffff_ffff_ffff] {
            let got = bytes_of(&uuid_v7(ms, [0xa5; 16]));
            assert_eq!(got[..6], ms.to_be_bytes()[2..], "{ms}");
            let mut be = [0; 8];
            be[2..].copy_from_slice(&got[..6]);
            assert_eq!(u64::from_be_bytes(be), ms);
        }
        assert_eq!(&uuid_v7(0x0102_0304_0506, [0; 16])[..13], "01020304-0506");
        // Only 48 bits: what is above them (year 10889 on) is dropped.
        assert_eq!(uuid_v7((1 << 48) + 5, counting(3)), uuid_v7(5, counting(3)));
    }

    #[test]
    fn ids_of_later_times_sort_later_whatever_their_random_bits() {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut ms = 1_700_000_000_000u64;
        let mut last = uuid_v7(ms, [0xff; 16]);
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // One millisecond or a few minutes later, random bytes from the sequence.
            ms += 1 + (x >> 60) * (x >> 40 & 0xffff);
            let id = uuid_v7(ms, counting(x as u8).map(|b| b ^ (x >> 8) as u8));
            assert!(id > last, "{id} after {last}");
            assert!(uuid_v7(ms, [0; 16]) > uuid_v7(ms - 1, [0xff; 16]), "one millisecond later");
            last = id;
        }
    }

    #[test]
    fn the_widget_finds_its_own_cookie() {
        assert_eq!(own_cookie("a=1; kelisim=1.x.y; b=2"), Some("1.x.y"));
        assert_eq!(own_cookie("kelisim=1.z"), Some("1.z"));
        assert_eq!(own_cookie("kelisimx=1; xkelisim=2"), None);
        assert_eq!(own_cookie(""), None);
    }

    #[test]
    fn revocation_dooms_matching_cookies_but_never_its_own() {
        let pats = ["_ga*".to_string(), "_ym_uid".to_string()];
        assert_eq!(
            doomed(&pats, "kelisim=1.x; _ga=1; _ga_ABC=2; other=3;_ym_uid=4; _ym_uidx=5"),
            "_ga _ga_ABC _ym_uid "
        );
        assert_eq!(doomed(&pats, ""), "");
        assert_eq!(doomed(&["*".to_string()], "kelisim=1; a=2"), "a ");
    }

    #[test]
    fn turning_off_what_was_granted_is_a_withdrawal_whichever_button() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<alloc::vec::Vec<_>>();
        let prev = Decision {
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            decided_at: 1,
            config_version: "v".into(),
            scope: "s".into(),
            consent_mode: 0,
            granted: ids(&["necessary", "analytics", "marketing"]),
        };
        let only = ids(&["necessary"]);
        assert_eq!(logged_action(Action::RejectAll, Some(&prev), &only), Action::Withdraw);
        assert_eq!(logged_action(Action::Custom, Some(&prev), &ids(&["necessary", "marketing"])), Action::Withdraw);
        assert_eq!(logged_action(Action::AcceptAll, Some(&prev), &prev.granted), Action::AcceptAll);
        let rejected = Decision { granted: only.clone(), ..prev.clone() };
        assert_eq!(
            logged_action(Action::Custom, Some(&rejected), &ids(&["necessary", "analytics"])),
            Action::Custom,
            "adding is no withdrawal"
        );
        assert_eq!(logged_action(Action::RejectAll, Some(&rejected), &only), Action::RejectAll);
        assert_eq!(
            logged_action(Action::RejectAll, None, &only),
            Action::RejectAll,
            "a first decision withdraws nothing"
        );
    }

    #[test]
    fn cookie_string_and_detail() {
        let d = Decision {
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            decided_at: 1_700_000_000,
            config_version: "ab".repeat(32),
            scope: "0123abcd".into(),
            consent_mode: 65,
            granted: vec!["necessary".into()],
        };
        let c = cookie(&d, 365, true);
        assert!(c.starts_with("kelisim=1.0b6f7c1e-"));
        assert!(c.ends_with("; Path=/; Max-Age=31536000; SameSite=Lax; Secure"));
        assert!(!cookie(&d, 1, false).contains("Secure"));
        assert_eq!(
            detail(&d),
            ["0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f\nnecessary\n", &"ab".repeat(32), "\n1700000000"].concat()
        );
    }
}

/// The loader checks the `kelisim` cookie against the format once, with a regular expression,
/// and the module trusts that check (`start`, `Decision::read_checked`): the two must accept
/// the same values, or a tampered cookie could grant something.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod loader_check {
    extern crate std;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use alloc::vec::Vec;
    use kelisim_shared::cookie::Decision;

    const LOADER: &str = include_str!("../loader.js");

    /// What the loader accepts: its expression (the literal `/^1\.…$/` in loader.js, as
    /// JavaScript reads it without the `u` flag: ASCII classes), then consent mode below 128
    /// (the sixth field, `p[5]`, compared as a number right after it).
    fn loader_accepts(v: &str) -> bool {
        static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let re = RE.get_or_init(|| {
            assert!(LOADER.contains("$/.test(c) && p[5] < 128 ? c : '';"), "the loader's check after its expression");
            let start = LOADER.find("/^1\\.").expect("the cookie's expression in loader.js");
            let end = start + LOADER[start..].find("$/").expect("its end");
            regex::RegexBuilder::new(&LOADER[start + 1..end + 1]).unicode(false).build().unwrap()
        });
        re.is_match(v) && v.split('.').nth(5).and_then(|b| b.parse::<u64>().ok()).is_some_and(|b| b < 128)
    }

    fn good() -> Vec<String> {
        let d = Decision {
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            decided_at: 1_763_769_600,
            config_version: "0123456789abcdef".repeat(4),
            scope: "deadbeef".into(),
            consent_mode: 72,
            granted: vec!["necessary".into(), "analytics".into()],
        };
        let long = "a".repeat(31) + "9";
        [vec![], vec!["necessary".to_string()], vec!["a_b-9".into(), long, "x".into()]]
            .into_iter()
            .map(|granted| Decision { granted, ..d.clone() }.encode())
            .chain([d.encode(), Decision { consent_mode: 127, decided_at: 0, ..d.clone() }.encode()])
            .collect()
    }

    fn agree(v: &str) {
        let decoded = Decision::decode(v).ok();
        assert_eq!(loader_accepts(v), decoded.is_some(), "loader and decode disagree on {v:?}");
        if decoded.is_some() {
            assert_eq!(Decision::read_checked(v), decoded, "{v:?}");
        }
    }

    #[test]
    fn the_loader_accepts_what_decode_accepts_and_nothing_else() {
        for v in good() {
            assert!(loader_accepts(&v), "{v}");
            agree(&v);
            // Every value one edit away: a character dropped, changed or added anywhere.
            let chars = "0179afgzAZ.-+_ \u{e9}\u{663}%";
            for i in 0..=v.len() {
                let (a, b) = v.split_at(i);
                if !b.is_empty() {
                    agree(&format!("{a}{}", &b[1..]));
                }
                for c in chars.chars() {
                    let changed = if b.is_empty() { String::new() } else { format!("{a}{c}{}", &b[1..]) };
                    let added = format!("{a}{c}{b}");
                    for w in [changed, added] {
                        // decode trims the value; a browser's document.cookie never has spaces
                        // around one.
                        if !w.is_empty() && w.trim_ascii() == w {
                            agree(&w);
                        }
                    }
                }
            }
        }
        for bad in ["", "1", "garbage", "2.x", "1.0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f"] {
            agree(bad);
        }
        let v = &good()[3];
        for w in [
            v.replace(".72.", ".128."),
            v.replace(".72.", ".0000072."),
            v.replace("1763769600", "9".repeat(19).as_str()),
        ] {
            agree(&w);
        }
        agree(&v.replace("1763769600", &"9".repeat(20)));
        // Whole parts missing or doubled.
        for (part, with) in [("-9f3e", ""), ("-9f3e", "-9f3e-9f3e"), ("deadbeef", "deadbeefdeadbeef"), (".72.", ".")] {
            agree(&v.replacen(part, with, 1));
        }
    }
}
