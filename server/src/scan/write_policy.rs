//! `kelisim scan --write-policy FILE`: the site policy file with every undeclared item the
//! scan saw appended as a `[[review]]` entry, with the evidence in a comment above it. Never
//! into a category: what a cookie is for, and whether the site should set it at all, is a
//! person's decision. The file stays valid (`kelisim site check` passes and lists each entry
//! as waiting for review); the rest of the file, comments included, is kept as it was.

use super::report::{Finding, FindingKind, Report, Subject};
use super::ScanError;
use kelisim_shared::policy::{is_cookie_pattern, ReviewItem, SitePolicy, StorageKind};
use std::fmt::Write as _;
use std::path::Path;

/// What `--write-policy` did.
pub struct Written {
    pub added: usize,
    /// Names that cannot be written as an entry (not a cookie name), with why.
    pub skipped: Vec<String>,
}

/// `text` is the policy file as read; `policy` the same, parsed.
pub fn write(text: &str, policy: &SitePolicy, report: &Report, out: &Path) -> Result<Written, ScanError> {
    let (appendix, added, skipped) = appendix(policy, report);
    let mut new = text.to_owned();
    if added > 0 {
        if !new.ends_with('\n') {
            new.push('\n');
        }
        new.push_str(&appendix);
    }
    // The whole point is a file that still passes `site check`: prove it before writing.
    if let Err(e) = SitePolicy::parse(&out.display().to_string(), &new) {
        return Err(ScanError::Write(format!(
            "the policy with the review entries would not be valid, so {} is left alone: {e}",
            out.display()
        )));
    }
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| ScanError::Write(format!("cannot write {}: {e}", out.display())))?;
    std::io::Write::write_all(&mut tmp, new.as_bytes())
        .map_err(|e| ScanError::Write(format!("cannot write {}: {e}", out.display())))?;
    tmp.persist(out).map_err(|e| ScanError::Write(format!("cannot write {}: {}", out.display(), e.error)))?;
    Ok(Written { added, skipped })
}

fn kind_of(subject: Subject) -> Option<StorageKind> {
    match subject {
        Subject::Cookie => Some(StorageKind::Cookie),
        Subject::LocalStorage => Some(StorageKind::LocalStorage),
        Subject::SessionStorage => Some(StorageKind::SessionStorage),
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn quoted(s: &str) -> String {
    // A JSON string is a valid TOML basic string for the characters allowed here.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn appendix(policy: &SitePolicy, report: &Report) -> (String, usize, Vec<String>) {
    let mut out = String::new();
    let mut added = 0;
    let mut skipped = Vec::new();
    let mut entries: Vec<(StorageKind, String)> = policy.review.iter().map(|r| (r.kind, r.name.clone())).collect();
    let day = report.finished_at.get(..10).unwrap_or(&report.finished_at);
    let _ = write!(
        out,
        "\n# Found by `kelisim scan` on {day} ({}) and declared in no category. Each entry waits\n\
         # for a person: add the name to the `cookies` of a category (or of a service in it), or\n\
         # stop the site from setting it, then delete the entry. `kelisim site check` lists every\n\
         # entry until then; the widget neither gates nor deletes what is only listed here.\n",
        one_line(&report.url)
    );
    for f in report.findings.iter().filter(|f| f.kind == FindingKind::Undeclared) {
        let Some(kind) = kind_of(f.subject) else { continue };
        if entries.iter().any(|(k, n)| *k == kind && *n == f.name) {
            continue;
        }
        let valid = match kind {
            StorageKind::Cookie => is_cookie_pattern(&f.name) && !f.name.contains('*'),
            _ => !f.name.is_empty() && !f.name.chars().any(char::is_control),
        };
        if !valid {
            skipped.push(format!("{} `{}`: not a name a site policy can hold", kind.label(), one_line(&f.name)));
            continue;
        }
        entries.push((kind, f.name.clone()));
        evidence(&mut out, report, f, kind);
        let known = f.classification.as_ref().and_then(|c| c.known.as_ref());
        let item = ReviewItem {
            name: f.name.clone(),
            kind,
            suggested_category: f.category.clone().filter(|c| kelisim_shared::is_slug(c)),
            platform: f
                .classification
                .as_ref()
                .filter(|c| c.catalogue.is_some())
                .and_then(|c| c.service.clone())
                .or_else(|| known.map(|k| one_line(&k.platform)))
                .filter(|p| !p.is_empty()),
        };
        let _ = writeln!(out, "[[review]]\nname = {}\nkind = {}", quoted(&item.name), quoted(item.kind.as_str()));
        if let Some(c) = &item.suggested_category {
            let _ = writeln!(out, "suggested_category = {}", quoted(c));
        }
        if let Some(p) = &item.platform {
            let _ = writeln!(out, "platform = {}", quoted(p));
        }
        added += 1;
    }
    (out, added, skipped)
}

/// The comment above an entry: where and when it was seen, who set it, what it is known as.
fn evidence(out: &mut String, report: &Report, f: &Finding, kind: StorageKind) {
    let item = report.items.iter().find(|i| i.kind == kind && i.name == f.name);
    let passes: Vec<&str> = item.map(|i| i.passes.iter().map(|p| p.label()).collect()).unwrap_or_default();
    let _ = writeln!(
        out,
        "\n# {} `{}` ({}): seen {}; first on {}.",
        kind.label(),
        one_line(&f.name),
        one_line(f.domain.as_deref().unwrap_or("")),
        if passes.is_empty() { "in the scan".to_owned() } else { passes.join(", ") },
        one_line(f.page.as_deref().unwrap_or(&report.url))
    );
    for c in &f.causes {
        let _ = writeln!(out, "# Set by {}.", one_line(&c.to_string()));
    }
    if let Some(e) =
        f.classification.as_ref().and_then(|c| c.catalogue.as_deref()).and_then(kelisim_shared::catalogue::get)
    {
        let _ = writeln!(
            out,
            "# Services catalogue: {} ({}, {}). To declare it with the service's texts, cookies and country, add `service = \"{}\"` to the `{}` category.",
            one_line(&e.name),
            one_line(&e.operator),
            e.country,
            e.id,
            f.category.as_deref().unwrap_or(&e.category)
        );
    }
    match f.classification.as_ref().and_then(|c| c.known.as_ref()) {
        Some(k) => {
            let _ = writeln!(
                out,
                "# Open Cookie Database: {} ({}), \"{}\", retention {}.",
                one_line(&k.platform),
                one_line(&k.category),
                one_line(k.description.trim_end_matches('.')),
                one_line(&k.retention)
            );
        }
        None => {
            let _ = writeln!(out, "# Not in the Open Cookie Database: find out what sets it before you declare it.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::classify::classify;
    use crate::scan::observe::{Cause, Pass};
    use crate::scan::report::{Item, Summary};

    #[test]
    fn undeclared_items_become_review_entries_and_the_file_stays_valid() {
        let text = include_str!("../../../shared/testdata/example.toml")
            .replace(r#"cookies = ["_ym_*"]"#, "cookies = []")
            .replace(r#""_ym_uid", "_ym_d", "_ym_isad""#, r#""_ym_uid""#);
        let policy = SitePolicy::parse("example.toml", &text).unwrap();
        let finding = |subject: Subject, name: &str| Finding {
            domain: Some("shop.kz".into()),
            page: Some("https://shop.kz/\nx".into()),
            causes: vec![Cause::InlineScript {
                page: "https://shop.kz/".into(),
                line: Some(4),
                gated: Some("analytics".into()),
            }],
            category: classify(Some(&policy), name).category,
            classification: Some(classify(Some(&policy), name)),
            ..Finding::new(FindingKind::Undeclared, subject, name.into())
        };
        let report = Report {
            format: 1,
            url: "https://shop.kz/".into(),
            site: Some("example".into()),
            policy: None,
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: "2026-01-01T00:01:00Z".into(),
            seconds: 1.0,
            chromium: String::new(),
            loader: None,
            pages: Vec::new(),
            items: vec![Item {
                kind: StorageKind::Cookie,
                name: "_ym_isad".into(),
                domain: "shop.kz".into(),
                classification: classify(Some(&policy), "_ym_isad"),
                passes: vec![Pass::Accept],
                page: "https://shop.kz/".into(),
                expires: None,
                http_only: false,
                secure: false,
                same_site: None,
                third_party: false,
                causes: Vec::new(),
            }],
            hosts: Vec::new(),
            findings: vec![
                finding(Subject::Cookie, "_ym_isad"),
                finding(Subject::LocalStorage, "cart:v2"),
                finding(Subject::Cookie, "bad name"),
            ],
            summary: Summary::default(),
            attribution: String::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("example.toml");
        let w = write(&text, &policy, &report, &out).unwrap();
        assert_eq!(w.added, 2);
        assert_eq!(w.skipped.len(), 1, "a name no policy can hold is said, not written");
        let new = std::fs::read_to_string(&out).unwrap();
        assert!(new.starts_with(&text));
        let p = SitePolicy::parse("example.toml", &new).unwrap_or_else(|e| panic!("{e}\n{new}"));
        assert_eq!(
            p.review.iter().map(|r| (r.name.as_str(), r.kind)).collect::<Vec<_>>(),
            [("_ym_isad", StorageKind::Cookie), ("cart:v2", StorageKind::LocalStorage)]
        );
        assert_eq!(p.review[0].suggested_category.as_deref(), Some("analytics"));
        assert_eq!(p.review[0].platform.as_deref(), Some("Yandex.Metrica"));
        assert_eq!(p.categories, policy.categories, "never into a category");
        assert!(
            new.contains("# cookie `_ym_isad` (shop.kz): seen after Accept all; first on https://shop.kz/ x."),
            "{new}"
        );
        assert!(
            new.contains("# Set by inline script in https://shop.kz/ line 4 (enabled by Kelisim for `analytics`)."),
            "{new}"
        );
        // A second run adds nothing twice.
        let again = write(&new, &p, &report, &out).unwrap();
        assert_eq!(again.added, 0);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), new);
    }
}
