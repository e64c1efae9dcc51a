//! Canonical bytes: the one encoding that is hashed, signed and exported.
//!
//! A value is encoded as JSON with object keys sorted by their UTF-8 bytes, no insignificant
//! whitespace, strings escaped as serde_json does (only `"`, `\` and control characters),
//! and integers only (no floats anywhere in Kelisim's hashed types). For the values Kelisim
//! hashes this coincides with RFC 8785 (JCS). The same value always gives the same bytes, so a
//! config's `version` and an event's leaf hash can be recomputed by anyone from the export.

use crate::event::Action;
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// RFC 6962 leaf hash: SHA-256(0x00 ‖ bytes) of a record's canonical bytes.
pub use crate::merkle::leaf_hash;

/// Serializes to canonical JSON (sorted keys, compact). serde_json's `Value` map is ordered
/// by key (the `preserve_order` feature is never enabled in this workspace).
pub fn to_canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    let v = serde_json::to_value(value).expect("Kelisim's types always serialize to JSON");
    serde_json::to_vec(&v).expect("a JSON value always serializes")
}

/// One logged consent decision, as stored, hashed and exported. The fields are declared in
/// the canonical (sorted) key order, so serializing the struct directly gives the canonical
/// bytes without building a JSON tree first (a test checks the two always agree).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    pub action: Action,
    pub config_version: String,
    pub consent_id: String,
    pub event_id: String,
    /// The widget saw `navigator.globalPrivacyControl === true`.
    pub gpc: bool,
    pub granted: Vec<String>,
    /// Minimized per the site's `ip_storage`; `None` when not stored.
    pub ip: Option<String>,
    pub language: Lang,
    pub origin: Option<String>,
    /// Page origin and path (no query or fragment: they may hold personal data).
    pub page: Option<String>,
    /// Server time when the log committed it, RFC 3339 UTC with milliseconds.
    pub recorded_at: String,
    /// The request carried `Sec-GPC: 1`.
    pub sec_gpc: bool,
    /// Position in the site's log, from 1.
    pub seq: u64,
    pub site: String,
    /// Truncated user agent.
    pub user_agent: Option<String>,
}

impl ConsentRecord {
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // A record is ~500 bytes: one allocation instead of growing from empty.
        let mut out = Vec::with_capacity(768);
        serde_json::to_writer(&mut out, self).expect("a consent record always serializes");
        out
    }

    /// The record's canonical bytes made before the log places it: everything but
    /// `recorded_at` and `seq` (which this record's values are ignored for), and the leaf
    /// hash's SHA-256 state over all that comes before them. The log writer, one thread for
    /// every request, then only fills in the two ([`Unplaced::place`]); the encoding, the
    /// hashing and their cost stay on the request's thread.
    pub fn unplaced(&self) -> Unplaced {
        let mut bytes = Vec::with_capacity(768);
        serde_json::to_writer(&mut bytes, &PlacedAt { record: self }).expect("a consent record always serializes");
        // Inside a JSON string every `"` follows a backslash, so `,"` is only ever structural:
        // these keys are found where the encoder wrote them and nowhere else.
        let time_at = find(&bytes, TIME_KEY, 0) + TIME_KEY.len();
        let seq_at = find(&bytes, SEQ_KEY, time_at) + SEQ_KEY.len();
        debug_assert_eq!(&bytes[time_at..time_at + 2], b"\"\"");
        debug_assert_eq!(&bytes[seq_at..seq_at + 2], b"0,");
        let mut head = Sha256::new();
        head.update([0u8]);
        head.update(&bytes[..time_at]);
        Unplaced { bytes, time_at, seq_at, head }
    }
}

const TIME_KEY: &[u8] = b",\"recorded_at\":";
const SEQ_KEY: &[u8] = b",\"seq\":";

fn find(haystack: &[u8], needle: &[u8], from: usize) -> usize {
    from + haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("a consent record's JSON has its recorded_at and seq keys")
}

/// Serializes a record as if unplaced: `recorded_at` empty, `seq` 0.
struct PlacedAt<'a> {
    record: &'a ConsentRecord,
}

impl Serialize for PlacedAt<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.record;
        if r.seq == 0 && r.recorded_at.is_empty() {
            return r.serialize(s);
        }
        ConsentRecord { seq: 0, recorded_at: String::new(), ..r.clone() }.serialize(s)
    }
}

/// A record's canonical bytes before the log gives it its `seq` and `recorded_at`
/// ([`ConsentRecord::unplaced`]).
#[derive(Clone)]
pub struct Unplaced {
    /// The canonical bytes with `"recorded_at":""` and `"seq":0`.
    bytes: Vec<u8>,
    /// Where the value of `recorded_at` (`""`) starts.
    time_at: usize,
    /// Where the value of `seq` (`0`) starts.
    seq_at: usize,
    /// SHA-256 over `0x00 ‖ bytes[..time_at]`.
    head: Sha256,
}

impl Unplaced {
    /// Writes into `out` (cleared first) the canonical bytes of the record as placed at `seq`
    /// at `recorded_at`, and returns its RFC 6962 leaf hash: the same bytes and hash as
    /// [`ConsentRecord::canonical_bytes`] and [`leaf_hash`] of the record with those values.
    pub fn place(&self, recorded_at: &str, seq: u64, out: &mut Vec<u8>) -> crate::merkle::Hash {
        out.clear();
        out.extend_from_slice(&self.bytes[..self.time_at]);
        serde_json::to_writer(&mut *out, recorded_at).expect("a string always serializes");
        out.extend_from_slice(&self.bytes[self.time_at + 2..self.seq_at]);
        out.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
        out.extend_from_slice(&self.bytes[self.seq_at + 1..]);
        let mut h = self.head.clone();
        h.update(&out[self.time_at..]);
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_compact() {
        #[derive(Serialize)]
        struct T {
            b: u8,
            a: &'static str,
            c: Option<bool>,
        }
        let bytes = to_canonical_json(&T { b: 1, a: "қ\"", c: None });
        assert_eq!(String::from_utf8(bytes).unwrap(), r#"{"a":"қ\"","b":1,"c":null}"#);
    }

    #[test]
    fn record_bytes_are_the_canonical_form() {
        let r = ConsentRecord {
            site: "webpulse".into(),
            seq: 42,
            event_id: "5d0c3c9a-21d4-4f0e-8a55-1e0f4a7b9c10".into(),
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            recorded_at: "2026-11-22T02:41:28.565Z".into(),
            config_version: "ab".repeat(32),
            action: Action::Custom,
            granted: vec!["necessary".into(), "analytics".into()],
            language: Lang::Kk,
            gpc: true,
            sec_gpc: false,
            page: Some("https://webpulse.kz/қызмет".into()),
            origin: None,
            ip: Some("203.0.113.0/24".into()),
            user_agent: Some("Mozilla/5.0 \"x\"".into()),
        };
        assert_eq!(r.canonical_bytes(), to_canonical_json(&r));
    }

    fn record(page: Option<&str>, user_agent: Option<&str>) -> ConsentRecord {
        ConsentRecord {
            site: "webpulse".into(),
            seq: 0,
            event_id: "5d0c3c9a-21d4-4f0e-8a55-1e0f4a7b9c10".into(),
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            recorded_at: String::new(),
            config_version: "ab".repeat(32),
            action: Action::Custom,
            granted: vec!["necessary".into(), "analytics".into()],
            language: Lang::Ru,
            gpc: false,
            sec_gpc: true,
            page: page.map(Into::into),
            origin: Some("https://webpulse.kz".into()),
            ip: None,
            user_agent: user_agent.map(Into::into),
        }
    }

    #[test]
    fn placing_unplaced_bytes_gives_the_canonical_bytes_and_leaf_hash() {
        // Strings that spell the keys the split looks for, escapes, non-ASCII, nulls.
        let tricky = [
            None,
            Some(""),
            Some(r#"https://x.kz/,"recorded_at":"","seq":0,"site":"#),
            Some("https://x.kz/\\\",\"seq\":0,\"recorded_at\":\"\"\\"),
            Some("https://webpulse.kz/қызмет/\u{7}\n\t"),
            Some(&"x".repeat(300)),
        ];
        let times = ["2026-11-22T02:41:28.565Z", "", "a\"b\\c\u{1}"];
        let seqs = [1u64, 9, 10, 12_345, u64::MAX];
        let mut out = Vec::new();
        for page in tricky {
            for ua in tricky {
                let unplaced = record(page, ua).unplaced();
                for t in times {
                    for seq in seqs {
                        let leaf = unplaced.place(t, seq, &mut out);
                        let placed = ConsentRecord { seq, recorded_at: t.into(), ..record(page, ua) };
                        assert_eq!(
                            String::from_utf8(out.clone()).unwrap(),
                            String::from_utf8(placed.canonical_bytes()).unwrap()
                        );
                        assert_eq!(leaf, leaf_hash(&placed.canonical_bytes()));
                    }
                }
            }
        }
    }

    #[test]
    fn unplaced_ignores_a_records_own_seq_and_time() {
        let placed = ConsentRecord { seq: 77, recorded_at: "2026-01-01T00:00:00.000Z".into(), ..record(None, None) };
        let mut a = Vec::new();
        let mut b = Vec::new();
        assert_eq!(placed.unplaced().place("t", 3, &mut a), record(None, None).unplaced().place("t", 3, &mut b));
        assert_eq!(a, b);
    }

    #[test]
    fn leaf_hash_of_empty_matches_rfc6962() {
        // RFC 6962 test vector: the leaf hash of the empty leaf.
        assert_eq!(hex::encode(leaf_hash(b"")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }
}
