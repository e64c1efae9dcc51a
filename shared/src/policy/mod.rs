//! The site policy file: one TOML file per site, read by the server from `--sites DIR`.
//!
//! [`SitePolicy::parse`] reads and validates a file; every problem is a [`PolicyError`] that
//! names the file, line, column and field ("category `analytics`: `title.kk` is missing").
//! [`SitePolicy::config`] derives the config served to browsers, with its content-hash version.
//! The format is documented for site developers in `docs/site-policy.md`.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

mod locate;
pub mod notes;
pub mod paths;
pub mod problem;
mod validate;

pub use validate::{is_cookie_pattern, is_valid_bin};

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

/// Which trackers the loader holds back with no markup (docs/auto-blocking.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoBlock {
    /// Those of the services the site's categories name by catalogue id.
    #[default]
    Declared,
    /// Those and every other service of the catalogue, each in the site's category that fits
    /// its default one (not a required category).
    Catalogue,
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
    /// Which trackers the loader holds back with no markup: the declared services' (default)
    /// or every catalogue service's. A server setting like `timezone`: not in the served
    /// config.
    #[serde(default)]
    pub auto_block: AutoBlock,
    /// The IANA time zone the dashboard shows this site's times in (`Asia/Almaty` when absent).
    /// A server setting like `origins`: not part of the served config, so it changes no
    /// `version`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// W13: the site's own look; absent, the widget's defaults.
    #[serde(default)]
    pub appearance: Option<crate::config::Appearance>,
    pub operator: Operator,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
    /// Items `kelisim scan --write-policy` found on the site that no category declares, kept
    /// for a person to decide on. Never part of the served config: an item waiting here is
    /// neither gated nor deleted by the widget, so `site check` lists every one.
    #[serde(default, rename = "review")]
    pub review: Vec<ReviewItem>,
    /// What the services catalogue filled in for services the file names by id
    /// (`catalogue::fill`), for `site check` to show.
    #[serde(skip)]
    pub filled: Vec<crate::catalogue::Filled>,
}

/// One `[[review]]` entry: a cookie or storage key a scan saw that no category declares. The
/// evidence is in the comment `kelisim scan` writes above it. To resolve it, add the name to
/// the `cookies` of a category (or of a service), or remove it from the site, then delete the
/// entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewItem {
    pub name: String,
    pub kind: StorageKind,
    /// The category the scan suggests (from the Open Cookie Database), if it could tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_category: Option<String>,
    /// The platform that sets it, e.g. `Yandex.Metrica`, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// Where a browser keeps an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    Cookie,
    LocalStorage,
    SessionStorage,
}

impl StorageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Cookie => "cookie",
            StorageKind::LocalStorage => "local_storage",
            StorageKind::SessionStorage => "session_storage",
        }
    }
    /// How a person calls it, in a report.
    pub fn label(self) -> &'static str {
        match self {
            StorageKind::Cookie => "cookie",
            StorageKind::LocalStorage => "localStorage key",
            StorageKind::SessionStorage => "sessionStorage key",
        }
    }
}

fn yes() -> bool {
    true
}

/// Where a site policy declares a cookie name: see [`SitePolicy::declaring`].
#[derive(Clone, Copy, Debug)]
pub struct Declared<'a> {
    pub category: &'a Category,
    /// The name or pattern (`_ym_*`) that matched.
    pub pattern: &'a str,
    pub service: Option<&'a crate::config::Service>,
}

/// One problem in a site policy file, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field, e.g. "category `analytics`: `title.kk`" (`place` in English).
    pub field: String,
    /// What is wrong, in English (`problem` as `site check` says it).
    pub message: String,
    /// The field, to be worded in a page's language.
    pub place: problem::Field,
    /// What is wrong, to be worded in a page's language.
    pub problem: problem::Problem,
}

impl PolicyError {
    fn new(file: &str, line: usize, column: usize, place: problem::Field, problem: problem::Problem) -> PolicyError {
        PolicyError { file: file.to_owned(), line, column, field: place.en(), message: problem.en(), place, problem }
    }
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
    /// What the file leaves to the services catalogue filled in (`filled`), then every problem
    /// of the result: the one check of a parsed file, for [`SitePolicy::parse`] and the
    /// dashboard's per-field check (`paths::field_problems`).
    fn complete_and_check(&mut self) -> Vec<validate::Found> {
        self.filled = crate::catalogue::fill(&mut self.categories, &self.languages);
        validate::validate(self)
    }

    /// Parses and validates a site policy file. `file` is only used in error messages.
    pub fn parse(file: &str, text: &str) -> Result<SitePolicy, PolicyErrors> {
        let doc = locate::Document::parse(file, text).map_err(|e| PolicyErrors(vec![*e]))?;
        let mut policy: SitePolicy = toml::from_str(text).map_err(|e| PolicyErrors(vec![doc.serde_error(&e)]))?;
        let mut problems = policy.complete_and_check();
        if problems.is_empty() {
            return Ok(policy);
        }
        let mut errors: Vec<PolicyError> = problems.drain(..).map(|p| doc.error_at(&p.path, p.problem)).collect();
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
            appearance: self.appearance.clone(),
        };
        config.version = hex::encode(Sha256::digest(crate::canonical::to_canonical_json(&config)));
        config
    }

    /// The category that declares `name` (in its own `cookies` or a service's), with the
    /// pattern that matched and the service, if any. Storage keys are matched the same way.
    pub fn declaring(&self, name: &str) -> Option<Declared<'_>> {
        use crate::cookie::pattern_matches;
        // An exact name wins over a pattern, wherever each is declared; within a category a
        // service's entry wins over the category's own list (it says who sets it and why).
        for exact in [true, false] {
            for c in &self.categories {
                let fits = |p: &String| (p.contains('*') != exact) && pattern_matches(p, name);
                for s in &c.services {
                    if let Some(p) = s.cookies.iter().find(|p| fits(p)) {
                        return Some(Declared { category: c, pattern: p, service: Some(s) });
                    }
                }
                if let Some(p) = c.cookies.iter().find(|p| fits(p)) {
                    return Some(Declared { category: c, pattern: p, service: None });
                }
            }
        }
        None
    }

    /// Notes that do not make the file invalid but that a person must see: each `[[review]]`
    /// entry, then each visitor text that reads like a note for the operator
    /// ([`notes::note_phrase`]), located. `text` is the file's text, `file` its name in the
    /// messages.
    pub fn notes(&self, file: &str, text: &str) -> Vec<PolicyError> {
        let Ok(doc) = locate::Document::parse(file, text) else { return Vec::new() };
        let mut out = self.review_notes(&doc);
        out.extend(
            notes::note_texts(self)
                .into_iter()
                .map(|(path, phrase)| doc.error_at(&path, problem::Problem::Note(phrase.to_owned()))),
        );
        out
    }

    fn review_notes(&self, doc: &locate::Document) -> Vec<PolicyError> {
        self.review
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut e = doc.error_at(
                    &[locate::Seg::Key("review"), locate::Seg::Index(i)],
                    problem::Problem::Review {
                        kind: r.kind,
                        name: r.name.clone(),
                        suggested: r.suggested_category.clone(),
                    },
                );
                e.field = String::new();
                e.place = problem::Field::default();
                e
            })
            .collect()
    }

    /// Whether `origin` (as sent in an `Origin` header) is one of the site's origins.
    /// The zone of [`SitePolicy::timezone`], else [`DEFAULT_TIMEZONE`]. A validated policy's
    /// name is always in the bundled database.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        time_zone(self.timezone.as_deref())
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// The zone a site without `timezone` (and a dashboard page of no site) shows its times in.
pub const DEFAULT_TIMEZONE: &str = "Asia/Almaty";

/// The IANA zone `name` from the zone database bundled in the binary, else [`DEFAULT_TIMEZONE`]
/// (else UTC, which cannot happen with the bundled database).
pub fn time_zone(name: Option<&str>) -> jiff::tz::TimeZone {
    let db = jiff::tz::db();
    name.and_then(|n| db.get(n).ok()).or_else(|| db.get(DEFAULT_TIMEZONE).ok()).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Fingerprint of what a decision covers: the categories as the visitor was shown them — their
/// ids and order, which one is required, their texts in every language (title, description,
/// data, purposes, retention), third parties, cross-border transfers, cookies, Consent Mode
/// types, GPC and services. A decision was informed by exactly these (Art. 8 p.4), so when any
/// of them changes the banner asks again (W1: "the config version's categories changed").
/// Everything else — the operator's contacts, `policy_version`, `policy_url`, `consent_days`,
/// the appearance — makes a new version but keeps visitors' choices.
pub fn scope_fingerprint(categories: &[Category]) -> String {
    let digest = Sha256::digest(crate::canonical::to_canonical_json(&categories));
    hex::encode(&digest[..4])
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
