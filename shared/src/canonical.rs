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

    #[test]
    fn leaf_hash_of_empty_matches_rfc6962() {
        // RFC 6962 test vector: the leaf hash of the empty leaf.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
