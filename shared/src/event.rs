//! The consent event a browser posts (`POST /api/v1/sites/{site}/consents`, docs/api.md), and its
//! validation against the config the visitor saw. The server calls [`ConsentRequest::validate`]
//! before storing anything: nothing invalid is stored.

use crate::config::Config;
use crate::lang::Lang;
use crate::{is_slug, is_uuid};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AcceptAll,
    RejectAll,
    Custom,
    /// Art. 8 p.2: withdrawal is its own logged event.
    Withdraw,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AcceptAll => "accept_all",
            Action::RejectAll => "reject_all",
            Action::Custom => "custom",
            Action::Withdraw => "withdraw",
        }
    }
}

/// Longest `page` value kept; longer ones are refused rather than silently cut.
pub const MAX_PAGE_LEN: usize = 2048;

/// Whether `s` is an id a browser makes for an event: a lowercase hyphenated UUID of version 4
/// (random) or 7 (time-ordered, random below the time), RFC 9562 variant. The nil and max UUIDs
/// and the other versions (v1 holds a MAC address and a time, v3/v5 are names' hashes) are not
/// ids a widget makes, and anyone could guess or share them.
pub fn is_event_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    is_uuid(s) && matches!(b[14], b'4' | b'7') && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub consent_id: String,
    /// Idempotency key: a repeated `event_id` returns the first receipt, never a second record.
    pub event_id: String,
    pub config_version: String,
    pub action: Action,
    pub granted: Vec<String>,
    pub language: Lang,
    #[serde(default)]
    pub gpc: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventError {
    /// A field is malformed on its own (not a UUID, too long, …).
    Malformed { field: &'static str, reason: String },
    /// The event does not fit the site's config (unknown category, language not offered, …).
    Invalid { field: &'static str, reason: String },
}

impl core::fmt::Display for EventError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EventError::Malformed { field, reason } | EventError::Invalid { field, reason } => {
                write!(f, "`{field}`: {reason}")
            }
        }
    }
}

fn malformed(field: &'static str, reason: impl Into<String>) -> EventError {
    EventError::Malformed { field, reason: reason.into() }
}
fn invalid(field: &'static str, reason: impl Into<String>) -> EventError {
    EventError::Invalid { field, reason: reason.into() }
}

impl ConsentRequest {
    /// Checks what can be checked without the site: the shape of each field.
    pub fn check_shape(&self) -> Result<(), EventError> {
        if !is_event_uuid(&self.consent_id) {
            return Err(malformed("consent_id", "must be a lowercase hyphenated UUID of version 4 or 7"));
        }
        if !is_event_uuid(&self.event_id) {
            return Err(malformed("event_id", "must be a lowercase hyphenated UUID of version 4 or 7"));
        }
        if self.config_version.len() != 64
            || !self.config_version.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Err(malformed("config_version", "must be 64 lowercase hex digits"));
        }
        if self.granted.len() > 64 {
            return Err(malformed("granted", "too many categories"));
        }
        if let Some(bad) = self.granted.iter().find(|g| !is_slug(g)) {
            return Err(malformed("granted", format!("`{}` is not a category id", truncate(bad, 40))));
        }
        if let Some(page) = &self.page {
            if page.len() > MAX_PAGE_LEN {
                return Err(malformed("page", format!("longer than {MAX_PAGE_LEN} bytes")));
            }
        }
        Ok(())
    }

    /// Checks the event against the config version the visitor saw: every granted category
    /// exists, the required category is granted, the language is offered, and the granted set
    /// fits the action (Reject all grants only the required category; Accept all grants
    /// everything, except `gpc_off` categories when a GPC signal was honoured; Withdraw grants
    /// what remains after the visitor turned off categories they had granted — the required
    /// one always, any others they kept).
    pub fn validate(&self, config: &Config) -> Result<(), EventError> {
        self.check_shape()?;
        self.fits(config)
    }

    /// [`ConsentRequest::validate`] for an event whose shape is already checked.
    pub fn fits(&self, config: &Config) -> Result<(), EventError> {
        if !config.languages.contains(&self.language) {
            return Err(invalid("language", format!("`{}` is not offered by this site", self.language.code())));
        }
        for (i, g) in self.granted.iter().enumerate() {
            if config.category(g).is_none() {
                return Err(invalid("granted", format!("unknown category `{g}`")));
            }
            if self.granted[..i].contains(g) {
                return Err(invalid("granted", format!("category `{g}` is listed twice")));
            }
        }
        let required = config.required_category().map(|c| c.id.as_str()).unwrap_or_default();
        if !self.granted.iter().any(|g| g == required) {
            return Err(invalid("granted", format!("the required category `{required}` is missing")));
        }
        let granted = |id: &str| self.granted.iter().any(|g| g == id);
        match self.action {
            Action::RejectAll => {
                if let Some(extra) = self.granted.iter().find(|g| *g != required) {
                    return Err(invalid(
                        "granted",
                        format!("`{}` grants only `{required}`, not `{extra}`", self.action.as_str()),
                    ));
                }
            }
            Action::AcceptAll => {
                if let Some(missing) = config.categories.iter().find(|c| !granted(&c.id) && (!self.gpc || !c.gpc_off)) {
                    return Err(invalid("granted", format!("`accept_all` must grant `{}`", missing.id)));
                }
            }
            // Any decision of the widget that turns off a category the same consent id had
            // granted is a withdrawal (Art. 8 p.2), whichever button caused it: what remains
            // may be more than the required category.
            Action::Custom | Action::Withdraw => {}
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::is_event_uuid;

    #[test]
    fn event_ids_are_uuids_of_version_4_or_7() {
        assert!(is_event_uuid("0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f"));
        assert!(is_event_uuid("01932c07-a3b1-7cc2-8a5e-3f1d2c4b5a69"), "v7");
        assert!(is_event_uuid("0b6f7c1e-8c1a-4d2b-bf3e-2a1b3c4d5e6f"), "variant b");
        assert!(!is_event_uuid("00000000-0000-0000-0000-000000000000"), "nil");
        assert!(!is_event_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"), "max");
        assert!(!is_event_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "v1");
        assert!(!is_event_uuid("0b6f7c1e-8c1a-5d2b-9f3e-2a1b3c4d5e6f"), "v5");
        assert!(!is_event_uuid("0b6f7c1e-8c1a-4d2b-7f3e-2a1b3c4d5e6f"), "NCS variant");
        assert!(!is_event_uuid("0b6f7c1e-8c1a-4d2b-cf3e-2a1b3c4d5e6f"), "Microsoft variant");
        assert!(!is_event_uuid("0B6F7C1E-8C1A-4D2B-9F3E-2A1B3C4D5E6F"), "uppercase");
        assert!(!is_event_uuid("0b6f7c1e8c1a4d2b9f3e2a1b3c4d5e6f"));
    }
}
