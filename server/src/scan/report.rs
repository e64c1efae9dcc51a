//! The scan report: what was seen, how each item is classified, and the findings, most
//! serious first. The same structure is printed as text for people, as JSON for tools
//! (`--format json`), and stored for the dashboard.

use super::classify::Classification;
use super::observe::{Cause, Pass, Placement};
use kelisim_shared::policy::StorageKind;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Bumped when the JSON changes incompatibly.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub format: u32,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The site policy file the scan checked against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    pub seconds: f64,
    pub chromium: String,
    /// Where the first page's HTML puts the Kelisim loader (absent in scans made before
    /// this was checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loader: Option<Placement>,
    pub pages: Vec<PageReport>,
    pub items: Vec<Item>,
    pub hosts: Vec<Host>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub attribution: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageReport {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// E.g. "after Reject all: did not load within 30 s".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// One cookie (by name and domain) or storage key (by name and origin), over all passes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Item {
    pub kind: StorageKind,
    pub name: String,
    /// The cookie's domain, or the storage key's origin.
    pub domain: String,
    pub classification: Classification,
    /// The passes in which it was there.
    pub passes: Vec<Pass>,
    /// The first page it was seen on.
    pub page: String,
    /// Unix time in seconds; absent for session cookies and storage keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub http_only: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_site: Option<String>,
    /// A cookie of another site than the scanned one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub third_party: bool,
    /// Who set it, as far as the protocol tells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

/// A third-party host the pages sent requests to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Host {
    pub host: String,
    pub passes: Vec<Pass>,
    pub requests: usize,
    pub url: String,
    pub page: String,
    pub cause: Cause,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Something outside the required category set, or a third-party request, before any
    /// choice (Art. 7 p.1): a violation.
    BeforeChoice,
    /// Something non-required still there, or a third party still called, after Reject all:
    /// a violation.
    AfterReject,
    /// A cookie declared in one category, set by a script Kelisim enabled for another: a
    /// visitor who grants only the script's category gets it too. A violation.
    WrongCategory,
    /// A pass could not do its part (the banner never showed, a page did not load): the
    /// scan proves less than it should.
    Incomplete,
    /// Seen but not declared in the site policy.
    Undeclared,
    /// Declared in the site policy but never seen.
    NeverSeen,
}

impl FindingKind {
    pub const ALL: [FindingKind; 6] = [
        FindingKind::BeforeChoice,
        FindingKind::AfterReject,
        FindingKind::WrongCategory,
        FindingKind::Incomplete,
        FindingKind::Undeclared,
        FindingKind::NeverSeen,
    ];

    pub fn is_violation(self) -> bool {
        matches!(self, FindingKind::BeforeChoice | FindingKind::AfterReject | FindingKind::WrongCategory)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::BeforeChoice => "before_choice",
            FindingKind::AfterReject => "after_reject",
            FindingKind::WrongCategory => "wrong_category",
            FindingKind::Incomplete => "incomplete",
            FindingKind::Undeclared => "undeclared",
            FindingKind::NeverSeen => "never_seen",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            FindingKind::BeforeChoice => "VIOLATIONS: set or called before any choice",
            FindingKind::AfterReject => "VIOLATIONS: still set or called after Reject all",
            FindingKind::WrongCategory => "VIOLATIONS: set by a script enabled for another category",
            FindingKind::Incomplete => "SCAN INCOMPLETE",
            FindingKind::Undeclared => "SEEN BUT NOT DECLARED",
            FindingKind::NeverSeen => "DECLARED BUT NEVER SEEN",
        }
    }
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Cookie,
    LocalStorage,
    SessionStorage,
    /// Requests to a third-party host.
    Request,
    /// A name or pattern the site policy declares.
    Declaration,
    /// A page the scan could not fully use.
    Page,
}

impl Subject {
    pub fn of(kind: StorageKind) -> Subject {
        match kind {
            StorageKind::Cookie => Subject::Cookie,
            StorageKind::LocalStorage => Subject::LocalStorage,
            StorageKind::SessionStorage => Subject::SessionStorage,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Subject::Cookie => "cookie",
            Subject::LocalStorage => "localStorage key",
            Subject::SessionStorage => "sessionStorage key",
            Subject::Request => "request to",
            Subject::Declaration => "declared",
            Subject::Page => "page",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub subject: Subject,
    /// Cookie or key name; host for requests; name or pattern for declarations; URL for pages.
    pub name: String,
    /// Cookie domain or storage origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Requests: the first URL, its resource type and how many requests there were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The page it happened on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    /// Declared category (violations, never seen) or suggested one (undeclared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
    /// Incomplete findings: what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Finding {
    /// An undeclared item the Open Cookie Database classes outside the required category
    /// (seen only after Accept all: before a choice or after Reject all it is a violation).
    /// Not a violation, but the banner does not name it and a withdrawal does not delete it.
    pub fn is_warning(&self) -> bool {
        use crate::scan::classify::Source;
        let outside = |category: &str| !matches!(category.to_ascii_lowercase().as_str(), "security" | "necessary");
        self.kind == FindingKind::Undeclared
            && self.classification.as_ref().is_some_and(|c| {
                !c.required
                    && match c.source {
                        Source::Catalogue => c
                            .catalogue
                            .as_deref()
                            .and_then(kelisim_shared::catalogue::get)
                            .is_some_and(|e| outside(&e.category)),
                        Source::OpenCookieDatabase => c.known.as_ref().is_some_and(|k| outside(&k.category)),
                        _ => false,
                    }
            })
    }

    /// A finding with nothing but its kind, subject and name; the rest is added with
    /// struct-update syntax where each kind of finding is made.
    pub fn new(kind: FindingKind, subject: Subject, name: String) -> Finding {
        Finding {
            kind,
            subject,
            name,
            domain: None,
            url: None,
            resource: None,
            count: None,
            page: None,
            causes: Vec::new(),
            category: None,
            classification: None,
            problem: None,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub pages: usize,
    pub violations: usize,
    pub before_choice: usize,
    pub after_reject: usize,
    #[serde(default)]
    pub wrong_category: usize,
    pub incomplete: usize,
    pub undeclared: usize,
    /// Undeclared items outside the required category seen only after Accept all (before a
    /// choice or after Reject all they are violations): not named by the banner and not
    /// deleted on withdrawal.
    #[serde(default)]
    pub warnings: usize,
    pub never_seen: usize,
    pub cookies: usize,
    pub storage_keys: usize,
    pub third_party_hosts: usize,
}

/// Exit statuses of `kelisim scan` (docs/scan.md).
pub mod exit {
    /// No violation, and every pass did its part.
    pub const CLEAN: u8 = 0;
    /// At least one violation (before any choice, after Reject all, or by a script of
    /// another category).
    pub const VIOLATION: u8 = 1;
    /// The scan could not run: bad arguments, no Chromium, the URL does not answer, an
    /// invalid site policy.
    pub const ERROR: u8 = 2;
    /// No violation seen, but a pass could not do its part (the banner never showed, a page
    /// did not load): the scan proves less than it should.
    pub const INCOMPLETE: u8 = 3;
}

impl Report {
    pub fn exit_status(&self) -> u8 {
        if self.summary.violations > 0 {
            exit::VIOLATION
        } else if self.summary.incomplete > 0 {
            exit::INCOMPLETE
        } else {
            exit::CLEAN
        }
    }

    pub fn findings_of(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// The report for people: grouped, with counts, most serious first.
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "kelisim scan of {}", self.url);
        match (&self.site, &self.policy) {
            (Some(s), Some(p)) => {
                let _ = writeln!(t, "site `{s}`, checked against {p}");
            }
            _ => {
                let _ = writeln!(
                    t,
                    "no site policy given: nothing counts as declared or required (use --site ID or --policy FILE)"
                );
            }
        }
        let _ = writeln!(
            t,
            "{} page{} × 3 passes (before any choice, after Accept all, after Reject all), {:.1} s, {}",
            self.pages.len(),
            if self.pages.len() == 1 { "" } else { "s" },
            self.seconds,
            self.chromium
        );
        if let Some(p) = &self.loader {
            let _ = writeln!(t, "\nLOADER: {}", p.text());
        }
        for kind in FindingKind::ALL {
            let list: Vec<&Finding> = self.findings_of(kind).collect();
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(t, "\n{} ({})", kind.heading(), list.len());
            for f in list {
                finding_text(&mut t, f);
            }
        }
        self.inventory_text(&mut t);
        let s = &self.summary;
        let _ = writeln!(
            t,
            "\nRESULT: {} violation{} ({} before any choice, {} after Reject all, {} by a script of another category), {} undeclared ({} warning{}: outside the required category), {} declared but never seen{} — exit status {}",
            s.violations,
            if s.violations == 1 { "" } else { "s" },
            s.before_choice,
            s.after_reject,
            s.wrong_category,
            s.undeclared,
            s.warnings,
            if s.warnings == 1 { "" } else { "s" },
            s.never_seen,
            if s.incomplete > 0 { format!(", {} problem{} with the scan itself", s.incomplete, if s.incomplete == 1 { "" } else { "s" }) } else { String::new() },
            self.exit_status()
        );
        let _ = writeln!(t, "{}", self.attribution);
        t
    }

    fn inventory_text(&self, t: &mut String) {
        let _ = writeln!(t, "\nWHAT WAS SEEN");
        let _ = writeln!(t, "  pages:");
        for p in &self.pages {
            let status = p.status.map(|s| format!(" ({s})")).unwrap_or_default();
            let _ = writeln!(
                t,
                "    {}{status}{}",
                p.url,
                if p.problems.is_empty() { String::new() } else { format!(" — {}", p.problems.join("; ")) }
            );
        }
        let mut by_category: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for i in &self.items {
            let key = match (&i.classification.source, &i.classification.category) {
                (super::classify::Source::Policy | super::classify::Source::Kelisim, Some(c)) => c.clone(),
                (super::classify::Source::Kelisim, None) => "Kelisim".into(),
                _ => "(not declared)".into(),
            };
            let passes: Vec<&str> = i.passes.iter().map(|p| short(*p)).collect();
            by_category.entry(key).or_default().push(format!(
                "{} {} [{}]",
                kind_short(i.kind),
                i.name,
                passes.join(", ")
            ));
        }
        if by_category.is_empty() {
            let _ = writeln!(t, "  no cookie or storage key in any pass");
        }
        for (cat, names) in by_category {
            let _ = writeln!(t, "  {cat} ({}): {}", names.len(), names.join("; "));
        }
        if self.hosts.is_empty() {
            let _ = writeln!(t, "  no third-party host contacted");
        } else {
            let _ = writeln!(t, "  third-party hosts ({}):", self.hosts.len());
            for h in &self.hosts {
                let passes: Vec<&str> = h.passes.iter().map(|p| short(*p)).collect();
                let _ = writeln!(
                    t,
                    "    {} — {} request{} [{}]",
                    h.host,
                    h.requests,
                    if h.requests == 1 { "" } else { "s" },
                    passes.join(", ")
                );
            }
        }
    }
}

fn short(p: Pass) -> &'static str {
    match p {
        Pass::Before => "before",
        Pass::Accept => "accept",
        Pass::Reject => "reject",
    }
}

fn kind_short(k: StorageKind) -> &'static str {
    match k {
        StorageKind::Cookie => "cookie",
        StorageKind::LocalStorage => "localStorage",
        StorageKind::SessionStorage => "sessionStorage",
    }
}

/// "declared in `analytics` (Yandex.Metrica)", "not declared; Open Cookie Database: Google
/// Analytics, Analytics", "not declared, unknown".
pub fn classification_text(c: &Classification) -> String {
    use super::classify::Source;
    let known = c.known.as_ref().map(|k| format!("{}, {}", k.platform, k.category));
    match c.source {
        Source::Policy => {
            let mut s = format!("declared in `{}`", c.category.as_deref().unwrap_or("?"));
            if let Some(svc) = &c.service {
                let _ = write!(s, " ({svc})");
            }
            if c.pattern.as_deref().is_some_and(|p| p.contains('*')) {
                let _ = write!(s, " by `{}`", c.pattern.as_deref().unwrap_or(""));
            }
            // What it does, in the Open Cookie Database's words (its attribution ends the report).
            if let Some(k) = &c.known {
                let _ = write!(s, ": {}", k.description);
            }
            s
        }
        Source::Kelisim => "Kelisim's own consent record".into(),
        Source::Catalogue => {
            let e = c.catalogue.as_deref().and_then(kelisim_shared::catalogue::get);
            format!(
                "not declared; services catalogue: {} ({}), `service = \"{}\"` declares it{}",
                c.service.as_deref().unwrap_or("?"),
                e.map_or("?", |e| e.category.as_str()),
                c.catalogue.as_deref().unwrap_or("?"),
                known.map(|k| format!("; Open Cookie Database: {k}")).unwrap_or_default()
            )
        }
        Source::OpenCookieDatabase => format!("not declared; Open Cookie Database: {}", known.unwrap_or_default()),
        Source::Unknown => "not declared, not in the Open Cookie Database".into(),
    }
}

fn finding_text(t: &mut String, f: &Finding) {
    let domain = f.domain.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
    match f.kind {
        FindingKind::BeforeChoice | FindingKind::AfterReject | FindingKind::WrongCategory => {
            if f.subject == Subject::Request {
                let _ = writeln!(
                    t,
                    "  ✗ request to {} — {} {}{}",
                    f.name,
                    f.resource.as_deref().unwrap_or("request"),
                    f.url.as_deref().unwrap_or(""),
                    f.count.filter(|n| *n > 1).map(|n| format!(" and {} more", n - 1)).unwrap_or_default()
                );
            } else {
                let class = f.classification.as_ref().map(classification_text).unwrap_or_default();
                let _ = writeln!(t, "  ✗ {} {}{domain} — {class}", f.subject.label(), f.name);
            }
            if let Some(p) = &f.page {
                let _ = writeln!(t, "      on {p}");
            }
            for c in &f.causes {
                let _ = writeln!(t, "      by {c}");
            }
        }
        FindingKind::Incomplete => {
            let _ = writeln!(t, "  ! {} — {}", f.name, f.problem.as_deref().unwrap_or(""));
        }
        FindingKind::Undeclared => {
            let suggestion = match &f.category {
                Some(c) => format!("suggested category `{c}`"),
                None => "no suggestion: find out what sets it".into(),
            };
            let _ = writeln!(t, "  ? {} {}{domain} — {suggestion}", f.subject.label(), f.name);
            if let Some(k) = f.classification.as_ref().and_then(|c| c.known.as_ref()) {
                let _ = writeln!(
                    t,
                    "      Open Cookie Database: {} ({}): {} Retention: {}.",
                    k.platform,
                    k.category,
                    k.description.trim_end_matches('.'),
                    k.retention
                );
            }
            if let Some(p) = &f.page {
                let _ = writeln!(t, "      first on {p}");
            }
            for c in &f.causes {
                let _ = writeln!(t, "      by {c}");
            }
            if f.is_warning() {
                let _ = writeln!(
                    t,
                    "      not in the banner, and not deleted when a visitor withdraws: declare it in its category"
                );
            }
        }
        FindingKind::NeverSeen => {
            let _ = writeln!(
                t,
                "  - `{}` in category `{}` was not seen in any pass",
                f.name,
                f.category.as_deref().unwrap_or("?")
            );
        }
    }
}

impl Placement {
    /// One sentence for the text report.
    pub fn text(&self) -> String {
        if let Some(e) = &self.error {
            return format!("not checked: {e}");
        }
        if !self.found {
            return format!("{} has no <script src=\"…/kelisim.js\"> in its HTML", self.page);
        }
        if self.is_first() {
            return "first in <head>: nothing runs before Kelisim".into();
        }
        let mut problems = Vec::new();
        if !self.in_head {
            problems.push("it is not in <head>".to_owned());
        }
        if self.deferred {
            problems.push("it is async or defer, so it runs after the page's other scripts".to_owned());
        }
        if !self.before.is_empty() {
            problems.push(format!(
                "{} script{} run{} before it: {}",
                self.before.len(),
                if self.before.len() == 1 { "" } else { "s" },
                if self.before.len() == 1 { "s" } else { "" },
                self.before.join(", ")
            ));
        }
        format!("not first: {} — put the Kelisim script tag first in <head>", problems.join("; "))
    }
}
