//! Judging what the passes saw against the site policy: the inventory of items and
//! third-party hosts, and the findings, most serious first — violations before any choice,
//! violations after Reject all, problems with the scan itself, undeclared items, declared
//! names never seen.

use super::classify::{classify, host_port, same_site, Source};
use super::observe::{Cause, Pass, Visit};
use super::report::{Finding, FindingKind, Host, Item, PageReport, Subject, Summary};
use kelisim_shared::cookie::pattern_matches;
use kelisim_shared::policy::{SitePolicy, StorageKind};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many causes are listed for one item.
const MAX_CAUSES: usize = 5;

pub struct Judged {
    pub pages: Vec<PageReport>,
    pub items: Vec<Item>,
    pub hosts: Vec<Host>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// `pages`: the pages scanned, in order. `visits`: every visit of every pass, in order.
///
/// The findings are collected phase by phase, then sorted by kind (a stable sort: within a
/// kind they stay in the order the phases found them).
pub fn judge(start: &url::Url, policy: Option<&SitePolicy>, pages: &[String], visits: &[(Pass, Visit)]) -> Judged {
    let seen = Seen::of(start, visits);
    let mut found = Found::default();
    let items = inventory(&seen, policy, visits, &mut found);
    wrong_category(&items, &mut found);
    let hosts = third_party_requests(&seen, visits, &mut found.findings);
    let page_reports = page_reports(pages, visits, &mut found.findings);
    banners_not_clicked(visits, &mut found.findings);
    undeclared(&items, policy, &mut found);
    never_seen(&items, policy, &mut found);
    summarize(pages.len(), page_reports, items, hosts, found.findings)
}

/// Every cookie and storage key seen, by kind, name and domain.
type Inventory = BTreeMap<(StorageKind, String, String), Item>;

/// What every phase reads besides the visits themselves.
struct Seen<'a> {
    site_host: String,
    /// The origins Kelisim itself (the loader, the config, the consent POST) was served
    /// from, which may be another host than the site's: its requests are the consent
    /// mechanism, not a third party.
    kelisim: BTreeSet<String>,
    /// For each visit, in order: whether its pass had made its choice by then.
    after_choice: Vec<bool>,
    /// What wrote each (kind, name) in each pass, in the order seen, at most `MAX_CAUSES`.
    causes: BTreeMap<(Pass, StorageKind, &'a str), Vec<Cause>>,
}

impl<'a> Seen<'a> {
    fn of(start: &url::Url, visits: &'a [(Pass, Visit)]) -> Seen<'a> {
        Seen {
            site_host: start.host_str().unwrap_or("").to_owned(),
            kelisim: kelisim_origins(visits),
            after_choice: after_choice(visits),
            causes: causes(visits),
        }
    }

    /// A request to another site than the scanned one, and not to Kelisim.
    fn third_party(&self, u: &url::Url) -> bool {
        u.host_str().is_some_and(|h| !same_site(h, &self.site_host))
            && !self.kelisim.contains(&u.origin().ascii_serialization())
    }

    /// The causes of a (kind, name) in one pass, or in all of them in pass order; at most
    /// `MAX_CAUSES`, each once.
    fn causes_of(&self, pass: Option<Pass>, kind: StorageKind, name: &str) -> Vec<Cause> {
        let passes: Vec<Pass> = pass.map_or(Pass::ALL.to_vec(), |p| vec![p]);
        let mut out: Vec<Cause> = Vec::new();
        for p in passes {
            for c in self.causes.get(&(p, kind, name)).into_iter().flatten() {
                if !out.contains(c) && out.len() < MAX_CAUSES {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

/// The findings so far, and what has been reported already: one finding per kind and subject.
#[derive(Default)]
struct Found {
    findings: Vec<Finding>,
    reported: BTreeSet<(FindingKind, StorageKind, String, String)>,
}

/// The origins the Kelisim loader (`…/kelisim.js`) was requested from.
fn kelisim_origins(visits: &[(Pass, Visit)]) -> BTreeSet<String> {
    visits
        .iter()
        .flat_map(|(_, v)| &v.requests)
        .filter_map(|r| url::Url::parse(&r.url).ok())
        .filter(|u| u.path().ends_with("/kelisim.js"))
        .map(|u| u.origin().ascii_serialization())
        .collect()
}

/// For each visit: a page's choice happened if its pass clicked on this or an earlier visit.
fn after_choice(visits: &[(Pass, Visit)]) -> Vec<bool> {
    let mut chose: BTreeMap<Pass, bool> = BTreeMap::new();
    let mut after_choice = Vec::with_capacity(visits.len());
    for (pass, v) in visits {
        let c = chose.entry(*pass).or_insert(false);
        if v.clicked == Some(true) {
            *c = true;
        }
        after_choice.push(*c);
    }
    after_choice
}

/// Causes per (kind, name) per pass, in the order they were seen.
fn causes(visits: &[(Pass, Visit)]) -> BTreeMap<(Pass, StorageKind, &str), Vec<Cause>> {
    let mut causes: BTreeMap<(Pass, StorageKind, &str), Vec<Cause>> = BTreeMap::new();
    for (pass, v) in visits {
        for w in &v.writes {
            let list = causes.entry((*pass, w.kind, w.name.as_str())).or_default();
            if !list.contains(&w.cause) && list.len() < MAX_CAUSES {
                list.push(w.cause.clone());
            }
        }
    }
    causes
}

/// The inventory: every cookie and storage key over all passes; and the violations among
/// them, an optional one before any choice or after Reject all.
fn inventory(seen: &Seen, policy: Option<&SitePolicy>, visits: &[(Pass, Visit)], found: &mut Found) -> Inventory {
    let mut items = Inventory::new();
    for (i, (pass, v)) in visits.iter().enumerate() {
        if v.error.is_some() {
            continue;
        }
        let entries = v
            .cookies
            .iter()
            .map(|c| (StorageKind::Cookie, &c.name, c.domain.trim_start_matches('.').to_owned(), Some(c)))
            .chain(v.storage.iter().map(|k| (k.kind, &k.name, k.origin.clone(), None)));
        for (kind, name, domain, cookie) in entries {
            let item = items.entry((kind, name.clone(), domain.clone())).or_insert_with(|| {
                let third = kind == StorageKind::Cookie && !same_site(&domain, &seen.site_host);
                Item {
                    kind,
                    name: name.clone(),
                    domain: domain.clone(),
                    classification: classify(policy, name),
                    passes: Vec::new(),
                    page: v.page.clone(),
                    expires: cookie.and_then(|c| c.expires),
                    http_only: cookie.is_some_and(|c| c.http_only),
                    secure: cookie.is_some_and(|c| c.secure),
                    same_site: cookie.and_then(|c| c.same_site.clone()),
                    third_party: third,
                    causes: Vec::new(),
                }
            });
            if !item.passes.contains(pass) {
                item.passes.push(*pass);
            }
            if item.classification.required {
                continue;
            }
            let kind_of_finding = match pass {
                Pass::Before => FindingKind::BeforeChoice,
                Pass::Reject if seen.after_choice[i] => FindingKind::AfterReject,
                _ => continue,
            };
            if !found.reported.insert((kind_of_finding, kind, name.clone(), domain.clone())) {
                continue;
            }
            found.findings.push(Finding {
                domain: Some(domain.clone()),
                page: Some(v.page.clone()),
                causes: seen.causes_of(Some(*pass), kind, name),
                category: item.classification.category.clone().filter(|_| item.classification.source == Source::Policy),
                classification: Some(item.classification.clone()),
                ..Finding::new(kind_of_finding, Subject::of(kind), name.clone())
            });
        }
    }
    for item in items.values_mut() {
        item.passes.sort();
        item.causes = seen.causes_of(None, item.kind, &item.name);
    }
    items
}

/// A declared cookie set by a script Kelisim enabled for another category: granting only
/// that category sets it too (the Accept all pass cannot show it otherwise).
fn wrong_category(items: &Inventory, found: &mut Found) {
    for item in items.values() {
        let c = &item.classification;
        let Some(declared) = c.category.as_deref().filter(|_| c.source == Source::Policy && !c.required) else {
            continue;
        };
        let wrong: Vec<Cause> = item
            .causes
            .iter()
            .filter(|k| match k {
                Cause::Script { gated: Some(g), .. } | Cause::InlineScript { gated: Some(g), .. } => g != declared,
                _ => false,
            })
            .cloned()
            .collect();
        if wrong.is_empty()
            || !found.reported.insert((FindingKind::WrongCategory, item.kind, item.name.clone(), item.domain.clone()))
        {
            continue;
        }
        found.findings.push(Finding {
            domain: Some(item.domain.clone()),
            page: Some(item.page.clone()),
            causes: wrong,
            category: Some(declared.to_owned()),
            classification: Some(c.clone()),
            ..Finding::new(FindingKind::WrongCategory, Subject::of(item.kind), item.name.clone())
        });
    }
}

/// Third-party requests: the inventory of hosts, and the violations, one finding per kind,
/// host, resource type and cause with the number of such requests.
fn third_party_requests(seen: &Seen, visits: &[(Pass, Visit)], findings: &mut Vec<Finding>) -> BTreeMap<String, Host> {
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    let mut calls: BTreeMap<(FindingKind, String, String, Cause), usize> = BTreeMap::new();
    for (i, (pass, v)) in visits.iter().enumerate() {
        for r in &v.requests {
            let Ok(u) = url::Url::parse(&r.url) else { continue };
            if !seen.third_party(&u) {
                continue;
            }
            let host = host_port(&u);
            let h = hosts.entry(host.clone()).or_insert_with(|| Host {
                host: host.clone(),
                passes: Vec::new(),
                requests: 0,
                url: r.url.clone(),
                page: v.page.clone(),
                cause: r.cause.clone(),
            });
            h.requests += 1;
            if !h.passes.contains(pass) {
                h.passes.push(*pass);
            }
            let kind = match pass {
                Pass::Before => FindingKind::BeforeChoice,
                Pass::Reject if r.after_choice || (seen.after_choice[i] && v.clicked.is_none()) => {
                    FindingKind::AfterReject
                }
                _ => continue,
            };
            // What a third-party frame loads in turn is that frame's doing: the frame is the
            // finding.
            if from_third_party_document(&r.cause, &|u: &url::Url| seen.third_party(u)) {
                continue;
            }
            let key = (kind, host.clone(), r.resource.clone(), r.cause.clone());
            let n = calls.entry(key).or_insert(0);
            *n += 1;
            if *n == 1 {
                findings.push(Finding {
                    url: Some(r.url.clone()),
                    resource: Some(r.resource.clone()),
                    count: Some(1),
                    page: Some(v.page.clone()),
                    causes: vec![r.cause.clone()],
                    ..Finding::new(kind, Subject::Request, host.clone())
                });
            }
        }
    }
    for f in findings.iter_mut().filter(|f| f.subject == Subject::Request) {
        let key = (f.kind, f.name.clone(), f.resource.clone().unwrap_or_default(), f.causes[0].clone());
        f.count = calls.get(&key).copied();
    }
    for h in hosts.values_mut() {
        h.passes.sort();
    }
    hosts
}

/// The pages with their status and the problems of the passes there; a visit that could not
/// be made is also an incomplete finding.
fn page_reports(pages: &[String], visits: &[(Pass, Visit)], findings: &mut Vec<Finding>) -> Vec<PageReport> {
    let mut page_reports: Vec<PageReport> =
        pages.iter().map(|p| PageReport { url: p.clone(), status: None, problems: Vec::new() }).collect();
    for (pass, v) in visits {
        let Some(pr) = page_reports.iter_mut().find(|p| p.url == v.page) else { continue };
        if pr.status.is_none() {
            pr.status = v.status;
        }
        if let Some(e) = &v.error {
            pr.problems.push(format!("{}: {e}", pass.label()));
            findings.push(incomplete(&v.page, format!("{}: the page {e}", pass.label())));
        } else if v.busy {
            pr.problems.push(format!("{}: still loading when its time ran out", pass.label()));
        }
    }
    page_reports
}

/// The Accept and Reject passes that found no button to click: they show the page without a
/// choice.
fn banners_not_clicked(visits: &[(Pass, Visit)], findings: &mut Vec<Finding>) {
    for pass in [Pass::Accept, Pass::Reject] {
        let tried = visits.iter().find(|(p, v)| *p == pass && v.clicked.is_some());
        if let Some((_, v)) = tried.filter(|(_, v)| v.clicked == Some(false)) {
            let button = if pass == Pass::Accept { "Accept all" } else { "Reject all" };
            findings.push(incomplete(
                &v.page,
                format!("the Kelisim banner's {button} button never appeared, so the pass {} shows the page without a choice", pass.label()),
            ));
        }
    }
}

/// Seen but not declared.
fn undeclared(items: &Inventory, policy: Option<&SitePolicy>, found: &mut Found) {
    for item in items.values() {
        let c = &item.classification;
        let undeclared = match c.source {
            Source::Catalogue | Source::OpenCookieDatabase | Source::Unknown => true,
            // Kelisim's decision cookie belongs in the required category's list (it is
            // deleted with nothing else, but a visitor reads the list).
            Source::Kelisim => policy.is_some() && item.kind == StorageKind::Cookie,
            Source::Policy => false,
        };
        if !undeclared || !found.reported.insert((FindingKind::Undeclared, item.kind, item.name.clone(), String::new()))
        {
            continue;
        }
        found.findings.push(Finding {
            domain: Some(item.domain.clone()),
            page: Some(item.page.clone()),
            causes: item.causes.clone(),
            category: c.category.clone(),
            classification: Some(c.clone()),
            ..Finding::new(FindingKind::Undeclared, Subject::of(item.kind), item.name.clone())
        });
    }
}

/// Declared but never seen: a cookie name or pattern of the policy that matches no item.
fn never_seen(items: &Inventory, policy: Option<&SitePolicy>, found: &mut Found) {
    let Some(p) = policy else { return };
    for cat in &p.categories {
        let declared = cat
            .cookies
            .iter()
            .map(|pat| (pat, None))
            .chain(cat.services.iter().flat_map(|s| s.cookies.iter().map(move |pat| (pat, Some(s)))));
        for (pat, _service) in declared {
            if items.values().any(|i| pattern_matches(pat, &i.name)) {
                continue;
            }
            if !found.reported.insert((FindingKind::NeverSeen, StorageKind::Cookie, pat.clone(), cat.id.clone())) {
                continue;
            }
            found.findings.push(Finding {
                category: Some(cat.id.clone()),
                ..Finding::new(FindingKind::NeverSeen, Subject::Declaration, pat.clone())
            });
        }
    }
}

/// The findings sorted by kind, most serious first, and the counts of the summary.
fn summarize(
    pages: usize,
    page_reports: Vec<PageReport>,
    items: Inventory,
    hosts: BTreeMap<String, Host>,
    mut findings: Vec<Finding>,
) -> Judged {
    findings.sort_by_key(|f| f.kind);
    let count = |k: FindingKind| findings.iter().filter(|f| f.kind == k).count();
    let items: Vec<Item> = items.into_values().collect();
    let summary = Summary {
        pages,
        violations: findings.iter().filter(|f| f.kind.is_violation()).count(),
        before_choice: count(FindingKind::BeforeChoice),
        after_reject: count(FindingKind::AfterReject),
        wrong_category: count(FindingKind::WrongCategory),
        incomplete: count(FindingKind::Incomplete),
        undeclared: count(FindingKind::Undeclared),
        warnings: findings.iter().filter(|f| f.is_warning()).count(),
        never_seen: count(FindingKind::NeverSeen),
        cookies: items.iter().filter(|i| i.kind == StorageKind::Cookie).count(),
        storage_keys: items.iter().filter(|i| i.kind != StorageKind::Cookie).count(),
        third_party_hosts: hosts.len(),
    };
    Judged { pages: page_reports, items, hosts: hosts.into_values().collect(), findings, summary }
}

fn incomplete(page: &str, problem: String) -> Finding {
    Finding {
        page: Some(page.to_owned()),
        problem: Some(problem),
        ..Finding::new(FindingKind::Incomplete, Subject::Page, page.to_owned())
    }
}

fn from_third_party_document(cause: &Cause, third_party: &impl Fn(&url::Url) -> bool) -> bool {
    let doc = match cause {
        Cause::Element { page, .. } | Cause::InlineScript { page, .. } => page,
        _ => return false,
    };
    url::Url::parse(doc).is_ok_and(|u| third_party(&u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::observe::{JarCookie, Request, StoredKey, Write};

    fn cookie(name: &str, domain: &str) -> JarCookie {
        JarCookie {
            name: name.into(),
            domain: domain.into(),
            path: "/".into(),
            expires: None,
            http_only: false,
            secure: false,
            same_site: None,
        }
    }

    fn req(url: &str, resource: &str, cause: Cause, after_choice: bool) -> Request {
        Request { url: url.into(), resource: resource.into(), cause, after_choice }
    }

    fn policy() -> SitePolicy {
        SitePolicy::parse("example.toml", include_str!("../../../shared/testdata/example.toml")).unwrap()
    }

    #[test]
    fn violations_come_first_with_their_page_and_cause() {
        let start = url::Url::parse("https://www.shop.kz/").unwrap();
        let page = "https://www.shop.kz/".to_owned();
        let leak = Cause::Script { url: "https://www.shop.kz/leak.js".into(), line: Some(3), gated: None };
        let pixel = Cause::Element { element: "img".into(), page: page.clone(), line: Some(9) };
        let before = Visit {
            page: page.clone(),
            cookies: vec![cookie("_ga", ".shop.kz"), cookie("session", "www.shop.kz")],
            storage: vec![StoredKey {
                kind: StorageKind::LocalStorage,
                origin: "https://www.shop.kz".into(),
                name: "kelisim:pending:example".into(),
            }],
            writes: vec![Write {
                kind: StorageKind::Cookie,
                name: "_ga".into(),
                cause: leak.clone(),
                after_choice: false,
            }],
            requests: vec![
                req("https://consent.kz/kelisim.js", "script", Cause::Unknown, false),
                req("https://consent.kz/api/v1/sites/example/config", "fetch", Cause::Unknown, false),
                req("https://static.shop.kz/app.css", "stylesheet", Cause::Unknown, false),
                req("https://mc.yandex.ru/watch/1", "image", pixel.clone(), false),
                req("https://mc.yandex.ru/watch/2", "image", pixel.clone(), false),
                req(
                    "https://ads.example/frame.html",
                    "document",
                    Cause::Element { element: "iframe".into(), page: page.clone(), line: Some(10) },
                    false,
                ),
                // What the ad frame loads is the frame's doing: not a finding of its own.
                req(
                    "https://cdn.ads.example/x.js",
                    "script",
                    Cause::Element {
                        element: "script".into(),
                        page: "https://ads.example/frame.html".into(),
                        line: Some(1),
                    },
                    false,
                ),
            ],
            ..Visit::default()
        };
        let accept = Visit { page: page.clone(), clicked: Some(false), ..Visit::default() };
        let reject = Visit {
            page: page.clone(),
            clicked: Some(true),
            cookies: vec![cookie("_ga", ".shop.kz"), cookie("kelisim", "www.shop.kz")],
            requests: vec![
                req("https://mc.yandex.ru/watch/3", "image", pixel.clone(), false),
                req("https://mc.yandex.ru/watch/4", "beacon", Cause::Unknown, true),
            ],
            ..Visit::default()
        };
        let p = policy();
        let j = judge(
            &start,
            Some(&p),
            std::slice::from_ref(&page),
            &[(Pass::Before, before), (Pass::Accept, accept), (Pass::Reject, reject)],
        );
        let kinds: Vec<(FindingKind, &str)> = j.findings.iter().map(|f| (f.kind, f.name.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (FindingKind::BeforeChoice, "_ga"),
                (FindingKind::BeforeChoice, "mc.yandex.ru"),
                (FindingKind::BeforeChoice, "ads.example"),
                (FindingKind::AfterReject, "_ga"),
                // Only the request made after the click counts after Reject all.
                (FindingKind::AfterReject, "mc.yandex.ru"),
                (FindingKind::Incomplete, "https://www.shop.kz/"),
                (FindingKind::Undeclared, "_ga"),
                (FindingKind::NeverSeen, "_ym_*"),
                (FindingKind::NeverSeen, "_ym_uid"),
                (FindingKind::NeverSeen, "_ym_d"),
                (FindingKind::NeverSeen, "_ym_isad"),
                (FindingKind::NeverSeen, "_fbp"),
            ]
        );
        let ga = &j.findings[0];
        assert_eq!((ga.page.as_deref(), &ga.causes[..]), (Some("https://www.shop.kz/"), &[leak][..]));
        let pixel_finding = &j.findings[1];
        assert_eq!(
            (pixel_finding.count, pixel_finding.resource.as_deref(), &pixel_finding.causes[0]),
            (Some(2), Some("image"), &pixel)
        );
        assert_eq!(j.summary.violations, 5);
        assert_eq!(
            j.hosts.iter().map(|h| h.host.as_str()).collect::<Vec<_>>(),
            ["ads.example", "cdn.ads.example", "mc.yandex.ru"],
            "every third party is in the inventory"
        );
        let ga_item = j.items.iter().find(|i| i.name == "_ga").unwrap();
        assert_eq!(
            (ga_item.domain.as_str(), ga_item.third_party, &ga_item.passes[..]),
            ("shop.kz", false, &[Pass::Before, Pass::Reject][..])
        );
        assert!(
            j.items.iter().any(|i| i.name == "kelisim:pending:example" && i.classification.required),
            "Kelisim's own queue is required"
        );
    }

    #[test]
    fn without_a_choice_the_reject_pass_proves_nothing() {
        let start = url::Url::parse("http://127.0.0.1:8000/").unwrap();
        let page = start.to_string();
        let v = || Visit {
            page: page.clone(),
            clicked: Some(false),
            cookies: vec![cookie("_fbp", "127.0.0.1")],
            ..Visit::default()
        };
        let j = judge(
            &start,
            Some(&policy()),
            std::slice::from_ref(&page),
            &[
                (Pass::Before, Visit { page: page.clone(), ..Visit::default() }),
                (Pass::Accept, v()),
                (Pass::Reject, v()),
            ],
        );
        assert_eq!(j.summary.after_reject, 0);
        assert_eq!(j.summary.incomplete, 2);
    }
}
