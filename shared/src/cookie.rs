//! The `kelisim` cookie: a visitor's decision, stored first-party (W6).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.
//!
//! Format, version 1 — six fields after the version, separated by `.`:
//!
//! ```text
//! 1.<consent_id>.<decided_at>.<config_version>.<scope>.<consent_mode>.<granted>
//! ```
//!
//! - `consent_id`: UUID v7 (v4 accepted), lowercase, made in the browser and kept across changes;
//! - `decided_at`: Unix time of the decision in seconds (decimal);
//! - `config_version`: the 64-hex-digit version of the config the visitor saw;
//! - `scope`: the config's scope fingerprint (8 hex digits); a different one means the
//!   site's categories changed and the banner must ask again (W1);
//! - `consent_mode`: decimal bits of the granted Consent Mode v2 types, see
//!   [`crate::consent_mode::ConsentModeType::ALL`], so that the loader pushes the `update`
//!   synchronously on a return visit without the config;
//! - `granted`: granted category ids joined by `+` (ids are slugs, so never hold `.` or `+`).
//!
//! Every character is a cookie-octet (RFC 6265 §4.1.1), so the value needs no quoting.
//! The loader (`widget/loader.js`) decodes the same format; keep the two in step.

use crate::{is_slug, is_uuid};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

pub const COOKIE_NAME: &str = "kelisim";
const FORMAT: &str = "1";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub consent_id: String,
    pub decided_at: u64,
    pub config_version: String,
    pub scope: String,
    pub consent_mode: u8,
    pub granted: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CookieError {
    /// Not a version this codec knows (or not a Kelisim cookie at all).
    UnknownFormat,
    /// The field at this position (0 = version) is missing or malformed.
    BadField(&'static str),
}

impl core::fmt::Display for CookieError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CookieError::UnknownFormat => f.write_str("not a kelisim cookie of a known format"),
            CookieError::BadField(name) => write!(f, "kelisim cookie: field `{name}` is malformed"),
        }
    }
}

/// Decimal digits only (no sign, no spaces), at most 19 of them (fits a u64).
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.bytes().try_fold(0u64, |n, c| c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0')))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

impl Decision {
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(160);
        s.push_str(FORMAT);
        s.push_str(".");
        s.push_str(&self.consent_id);
        s.push_str(".");
        push_decimal(&mut s, self.decided_at);
        s.push_str(".");
        s.push_str(&self.config_version);
        s.push_str(".");
        s.push_str(&self.scope);
        s.push_str(".");
        push_decimal(&mut s, u64::from(self.consent_mode));
        s.push_str(".");
        s.push_str(&crate::join(&self.granted, "+"));
        s
    }

    /// Decodes a cookie value; anything that is not exactly a well-formed v1 value is refused,
    /// so a tampered or truncated cookie never grants anything.
    pub fn decode(value: &str) -> Result<Decision, CookieError> {
        const NAMES: [&str; 6] = ["consent_id", "decided_at", "config_version", "scope", "consent_mode", "granted"];
        let mut parts = crate::fields(value.trim_ascii(), b'.');
        if parts.next() != Some(FORMAT) {
            return Err(CookieError::UnknownFormat);
        }
        let mut f = [""; 6];
        for (slot, name) in f.iter_mut().zip(NAMES) {
            *slot = parts.next().ok_or(CookieError::BadField(name))?;
        }
        let [consent_id, decided_at, config_version, scope, consent_mode, granted] = f;
        let granted = crate::words(granted, b'+');
        let (at, bits) = (decimal(decided_at), decimal(consent_mode));
        let ok = [
            is_uuid(consent_id),
            at.is_some(),
            is_hex(config_version, 64),
            is_hex(scope, 8),
            bits.is_some_and(|b| b < 128),
            parts.next().is_none() && granted.as_ref().is_some_and(|g| g.iter().all(|g| is_slug(g))),
        ];
        if let Some(bad) = ok.iter().position(|ok| !ok) {
            return Err(CookieError::BadField(NAMES[bad]));
        }
        Ok(Decision {
            consent_id: consent_id.to_owned(),
            decided_at: at.unwrap_or(0),
            config_version: config_version.to_owned(),
            scope: scope.to_owned(),
            consent_mode: bits.unwrap_or(0) as u8,
            granted: granted.unwrap_or_default(),
        })
    }

    /// A value the loader has already checked against the format (its regular expression
    /// accepts only what [`Decision::decode`] accepts: tested in widget/src/decide.rs), split into
    /// its fields without checking them again — the module gets the value the loader checked,
    /// and leaves the checks, a few hundred bytes of every visitor's download, to it. It never
    /// panics on anything: `None` when a field is missing or a number does not read.
    pub fn read_checked(value: &str) -> Option<Decision> {
        let mut f = crate::fields(value, b'.').skip(1);
        let mut next = || f.next();
        let (consent_id, at, config_version, scope, bits, granted) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        Some(Decision {
            consent_id: consent_id.to_owned(),
            decided_at: decimal(at)?,
            config_version: config_version.to_owned(),
            scope: scope.to_owned(),
            consent_mode: decimal(bits)? as u8,
            granted: crate::words(granted, b'+')?,
        })
    }

    /// Whether this decision still stands for a config: same consent scope and not older
    /// than `consent_days` (Art. 8 p.5–6: consent lasts no longer than its purpose).
    pub fn is_current(&self, scope: &str, consent_days: u32, now_secs: u64) -> bool {
        self.scope == scope && now_secs.saturating_sub(self.decided_at) < u64::from(consent_days) * 86_400
    }
}

/// Appends `n` in decimal (what `to_string` does, without pulling in `core::fmt` for the widget).
pub fn push_decimal(s: &mut String, n: u64) {
    // Digit by digit from a str (no char encoding, no UTF-8 validation: bytes of WASM).
    const DIGITS: &str = "0123456789";
    if n >= 10 {
        push_decimal(s, n / 10);
    }
    let d = (n % 10) as usize;
    s.push_str(DIGITS.get(d..d + 1).unwrap_or(""));
}

/// Finds the `kelisim` value in a `document.cookie` / `Cookie:` header string.
pub fn find_in_header(header: &str) -> Option<&str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == COOKIE_NAME).then(|| v.trim())
    })
}

/// Whether a cookie `name` matches a site policy's cookie `pattern`, in which `*` stands for any
/// run of characters (`_ga*`, `_ym_*`, `_ga_*_id`); without `*` the name must be equal.
///
/// Iterative, backtracking to the last star only (the classic wildcard match): linear for the
/// patterns site files hold, and small in the widget's WASM, which uses it too.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut i, mut j, mut star, mut mark) = (0, 0, usize::MAX, 0);
    while j < n.len() {
        if i < p.len() && p[i] == b'*' {
            star = i;
            mark = j;
            i += 1;
        } else if i < p.len() && p[i] == n[j] {
            i += 1;
            j += 1;
        } else if star != usize::MAX {
            i = star + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns() {
        assert!(super::pattern_matches("_ga", "_ga"));
        assert!(!super::pattern_matches("_ga", "_gat"));
        assert!(super::pattern_matches("_ga*", "_ga"));
        assert!(super::pattern_matches("_ga*", "_ga_ABC123"));
        assert!(super::pattern_matches("_ym_*", "_ym_isad"));
        assert!(!super::pattern_matches("_ym_*", "_ym"));
        assert!(super::pattern_matches("_ga_*_id", "_ga_X_id"));
        assert!(!super::pattern_matches("_ga_*_id", "_ga_X_ids"));
        assert!(super::pattern_matches("*_session", "shop_session"));
        assert!(super::pattern_matches("a*c*e", "abcde"));
        assert!(!super::pattern_matches("a*c*e", "abcdf"));
        assert!(super::pattern_matches("ж*", "жұмыс"));
        assert!(super::pattern_matches("*", ""));
        assert!(super::pattern_matches("a**", "a"));
        assert!(!super::pattern_matches("", "a"));
        assert!(super::pattern_matches("*a*b", "xxaxxb"));
        assert!(!super::pattern_matches("*a*b", "xxaxxbc"));
    }

    use super::*;

    fn sample() -> Decision {
        Decision {
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            decided_at: 1_763_769_600,
            config_version: "0123456789abcdef".repeat(4),
            scope: "deadbeef".into(),
            consent_mode: 0b100_1000,
            granted: vec!["necessary".into(), "analytics".into()],
        }
    }

    #[test]
    fn decimal() {
        for n in [0u64, 7, 10, 1_763_769_600, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn round_trips() {
        let d = sample();
        let v = d.encode();
        assert_eq!(
            v,
            "1.0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f.1763769600.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.deadbeef.72.necessary+analytics"
        );
        assert_eq!(Decision::decode(&v), Ok(d));
    }

    #[test]
    fn round_trips_empty_grant() {
        let d = Decision { granted: vec![], ..sample() };
        assert_eq!(Decision::decode(&d.encode()), Ok(d));
    }

    #[test]
    fn value_is_made_of_cookie_octets() {
        // RFC 6265: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
        let ok = |c: u8| matches!(c, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        assert!(sample().encode().bytes().all(ok));
    }

    #[test]
    fn rejects_garbage() {
        let good = sample().encode();
        for bad in [
            "",
            "garbage",
            "2.x",
            "1",
            "1.0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f",
            &good.replace("1763769600", "-5"),
            &good.replace("1763769600", "17637x9600"),
            &good.replace("1763769600", "99999999999999999999999"),
            &good.replace(".72.", ".128."),
            &good.replace(".72.", ".+7."),
            &good.replace("deadbeef", "DEADBEEF"),
            &good.replace("0b6f7c1e", "0b6f7c1z"),
            &good.replace("analytics", "Analytics"),
            &good.replace("analytics", "analytics+"),
            &format!("{good}.extra"),
            &good[..good.len() - 20],
        ] {
            assert!(Decision::decode(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn expiry_and_scope() {
        let d = sample();
        assert!(d.is_current("deadbeef", 1, d.decided_at + 86_399));
        assert!(!d.is_current("deadbeef", 1, d.decided_at + 86_400));
        assert!(!d.is_current("cafebabe", 365, d.decided_at));
    }

    #[test]
    fn finds_cookie_in_header() {
        assert_eq!(find_in_header("a=1; kelisim=1.x; b=2"), Some("1.x"));
        assert_eq!(find_in_header("xkelisim=1"), None);
        assert_eq!(find_in_header(""), None);
    }
}
