//! The site policy file (SPEC §4): one TOML file per site, read by the server from `--sites DIR`.
//!
//! [`SitePolicy::parse`] reads and validates a file; every problem is a [`PolicyError`] that
//! names the file, line, column and field ("category `analytics`: `title.kk` is missing").
//! [`SitePolicy::config`] derives the config served to browsers, with its content-hash version.
//! The format is documented for site developers in `docs/site-policy.md`.

mod locate;
mod validate;

pub use validate::is_valid_bin;

use crate::config::{Category, Config, Operator};
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How much of a visitor's IP address the consent log keeps (privacy by design: the log is
/// itself personal data, so keep the least that still helps prove the consent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpStorage {
    /// IPv4 truncated to /24, IPv6 to /48.
    #[default]
    Truncated,
    Full,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitePolicy {
    pub id: String,
    pub name: String,
    /// Allowed page origins (`scheme://host[:port]`) for CORS and the Origin check.
    pub origins: Vec<String>,
    pub policy_url: String,
    /// The site's own label of its policy text, e.g. a date.
    pub policy_version: String,
    /// The first is the default; must include `kk` and `ru`.
    pub languages: Vec<Lang>,
    pub consent_days: u32,
    #[serde(default)]
    pub ip_storage: IpStorage,
    pub retention_days: u32,
    #[serde(default = "yes")]
    pub reload_on_revoke: bool,
    #[serde(default = "yes")]
    pub floating_button: bool,
    pub operator: Operator,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

fn yes() -> bool {
    true
}

/// One problem in a site policy file, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field, e.g. "category `analytics`: `title.kk`".
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{} ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

/// All problems found in one file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl std::fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

impl SitePolicy {
    /// Parses and validates a site policy file. `file` is only used in error messages.
    pub fn parse(file: &str, text: &str) -> Result<SitePolicy, PolicyErrors> {
        let doc = locate::Document::parse(file, text).map_err(|e| PolicyErrors(vec![e]))?;
        let policy: SitePolicy = toml::from_str(text).map_err(|e| PolicyErrors(vec![doc.serde_error(&e)]))?;
        let mut problems = validate::validate(&policy);
        if problems.is_empty() {
            return Ok(policy);
        }
        let mut errors: Vec<PolicyError> = problems.drain(..).map(|p| doc.error_at(&p.path, p.message)).collect();
        errors.sort_by_key(|e| (e.line, e.column));
        Err(PolicyErrors(errors))
    }

    /// The config served to browsers, with its `version` (content hash) and `scope`.
    pub fn config(&self) -> Config {
        let mut config = Config {
            site: self.id.clone(),
            version: String::new(),
            scope: scope_fingerprint(&self.categories),
            name: self.name.clone(),
            policy_version: self.policy_version.clone(),
            policy_url: self.policy_url.clone(),
            languages: self.languages.clone(),
            consent_days: self.consent_days,
            operator: self.operator.clone(),
            categories: self.categories.clone(),
            reload_on_revoke: self.reload_on_revoke,
            floating_button: self.floating_button,
        };
        config.version = hex::encode(Sha256::digest(crate::canonical::to_canonical_json(&config)));
        config
    }

    /// Whether `origin` (as sent in an `Origin` header) is one of the site's origins.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// Fingerprint of what a decision covers: the categories, which one is required, and the
/// services in each. Wording changes keep it; a new category or service changes it, and then
/// the banner asks again (W1).
pub fn scope_fingerprint(categories: &[Category]) -> String {
    let mut h = Sha256::new();
    for c in categories {
        h.update(c.id.as_bytes());
        h.update(if c.required { b":r" } else { b":o" });
        for s in &c.services {
            h.update(b",");
            h.update(s.id.as_bytes());
        }
        h.update(b";");
    }
    hex::encode(&h.finalize()[..4])
}

/// Checks a config's `version` against its content: what the offline verifier does with every
/// config version in an export.
pub fn config_version_of(config: &Config) -> String {
    let mut c = config.clone();
    c.version = String::new();
    hex::encode(Sha256::digest(crate::canonical::to_canonical_json(&c)))
}

#[cfg(test)]
mod tests;
