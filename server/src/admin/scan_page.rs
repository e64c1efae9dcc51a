//! The scan page: the latest `kelisim scan` of a site (kept with `--data`), its findings most
//! serious first, in the dashboard's language. Names, hosts and URLs are shown as the scan
//! found them; everything around them is translated.

use super::html::{grid, page, Ctx};
use super::i18n::{scan_words, ScanWords};
use crate::scan::observe::Cause;
use crate::scan::report::{Finding, FindingKind, Report, Subject};
use kelisim_shared::config::Config;
use maud::{html, Markup};

fn category(cfg: &Config, id: &str, c: &Ctx) -> Markup {
    html! {
        @match cfg.category(id).and_then(|k| k.title.get_or(c.lang, &cfg.languages)) {
            Some(title) => { (title) " (" code { (id) } ")" }
            None => code { (id) },
        }
    }
}

fn cause(w: &ScanWords, cause: &Cause) -> Markup {
    let line = |l: &Option<u32>| html! { @if let Some(l) = l { ", " (w.line) " " (l) } };
    let gated = |g: &Option<String>| html! { @if let Some(c) = g { " " small { "(" (w.gated) " " code { (c) } ")" } } };
    html! {
        @match cause {
            Cause::Script { url, line: l, gated: g } => { (w.script) " " code { (url) } (line(l)) (gated(g)) }
            Cause::InlineScript { page, line: l, gated: g } => { (w.inline_script) " " code { (page) } (line(l)) (gated(g)) }
            Cause::Response { url } => { (w.set_cookie) " " code { (url) } }
            Cause::Element { element, page, line: l } => { code { "<" (element) ">" } " — " (w.element) " " code { (page) } (line(l)) }
            Cause::Unknown => (w.unknown_cause),
        }
    }
}

fn what(w: &ScanWords, f: &Finding) -> Markup {
    let domain = html! { @if let Some(d) = &f.domain { " " small { "(" (d) ")" } } };
    html! {
        @match f.subject {
            Subject::Cookie => { (w.cookie) " " code { (f.name) } (domain) }
            Subject::LocalStorage => { (w.local_storage) " " code { (f.name) } (domain) }
            Subject::SessionStorage => { (w.session_storage) " " code { (f.name) } (domain) }
            Subject::Request => {
                (w.request_to) " " code { (f.name) }
                br;
                small { (f.resource.as_deref().unwrap_or("")) " " (f.url.as_deref().unwrap_or("")) " · " (w.requests) ": " (f.count.unwrap_or(1)) }
            }
            Subject::Declaration => code { (f.name) },
            Subject::Page => { code { (f.name) } br; small { (f.problem.as_deref().unwrap_or("")) } }
        }
    }
}

fn classification(c: &Ctx, cfg: &Config, w: &ScanWords, f: &Finding) -> Markup {
    use crate::scan::classify::Source;
    let known = f.classification.as_ref().and_then(|k| k.known.as_ref());
    let source = f.classification.as_ref().map(|k| k.source);
    html! {
        @match (f.kind, source, &f.category) {
            (_, Some(Source::Kelisim), _) if f.kind != FindingKind::Undeclared => (w.kelisim_own),
            (FindingKind::Undeclared, _, Some(id)) => { (w.suggested) ": " (category(cfg, id, c)) }
            (FindingKind::Undeclared, _, None) => (w.no_suggestion),
            (_, _, Some(id)) => { (w.declared_in) " " (category(cfg, id, c)) }
            (_, Some(Source::OpenCookieDatabase | Source::Unknown), None) => (w.not_declared),
            (_, _, None) => "—",
        }
        @if let Some(k) = known {
            br;
            small { "Open Cookie Database: " (k.platform) " (" (k.category) ") — " (k.description) " · " (k.retention) }
        }
    }
}

/// `2026-11-22T05:14:59.571Z` → `2026-11-22 05:14 UTC`.
pub fn when(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(t) => format!("{} UTC", t.replace('T', " ")),
        None => rfc3339.to_owned(),
    }
}

pub fn scan(c: &Ctx, cfg: &Config, last: Option<&Report>, history: &[(String, String, i64)]) -> String {
    let w = scan_words(c.lang);
    let title = format!("{} — {}", cfg.name, w.scan);
    let Some(r) = last else {
        let body = html! {
            p.empty data-scan="none" { (w.none_yet) }
            p { (w.how_to) }
            pre { code { "kelisim scan https://… --site " (cfg.site) " --sites … --data …" } }
        };
        return page(c, &title, body);
    };
    let findings = |kind: FindingKind| -> Vec<Vec<Markup>> {
        r.findings_of(kind)
            .map(|f| {
                vec![
                    html! { span data-finding=(kind.as_str()) data-name=(f.name) { (what(w, f)) } },
                    html! { @if let Some(p) = &f.page { code { (p) } } },
                    html! { @for (i, k) in f.causes.iter().enumerate() { @if i > 0 { br; } (cause(w, k)) } },
                    classification(c, cfg, w, f),
                ]
            })
            .collect()
    };
    let pages: Vec<Vec<Markup>> = r
        .pages
        .iter()
        .map(|p| {
            vec![
                html! { code { (p.url) } },
                html! { @if let Some(s) = p.status { (s) } },
                html! { (p.problems.join("; ")) },
            ]
        })
        .collect();
    let hosts: Vec<Vec<Markup>> =
        r.hosts.iter().map(|h| vec![html! { code { (h.host) } }, html! { (h.requests) }, cause(w, &h.cause)]).collect();
    let earlier: Vec<Vec<Markup>> = history
        .iter()
        .skip(1)
        .map(|(at, url, v)| vec![html! { (when(at)) }, html! { code { (url) } }, html! { (v) }])
        .collect();
    let body = html! {
        p { (w.scanned_at) ": " b data-scan-time { (when(&r.finished_at)) } " · " code { (r.url) } " · " (w.pages) ": " (r.pages.len()) " · " (r.chromium) }
        @if r.summary.violations == 0 {
            p.ok role="status" data-scan-violations="0" { (w.clean) }
        } @else {
            p.error role="alert" data-scan-violations=(r.summary.violations) { (w.violations) ": " b { (r.summary.violations) } }
        }
        @for (i, kind) in FindingKind::ALL.iter().enumerate() {
            @let rows = findings(*kind);
            @if !rows.is_empty() {
                h2 data-kind=(kind.as_str()) { (w.kinds[i]) " (" (rows.len()) ")" }
                @match kind {
                    FindingKind::BeforeChoice => p.note { (w.before_choice_note) },
                    FindingKind::AfterReject => p.note { (w.after_reject_note) },
                    FindingKind::WrongCategory => p.note { (w.wrong_category_note) },
                    _ => {}
                }
                (grid("scan", &[w.what, w.page, w.cause, w.category], &rows, ""))
            }
        }
        h2 { (w.pages) }
        (grid("pages", &[w.page, "HTTP", ""], &pages, ""))
        @if !hosts.is_empty() {
            h2 { (w.third_party_hosts) }
            (grid("hosts", &[w.what, w.requests, w.cause], &hosts, ""))
        }
        @if !earlier.is_empty() {
            h2 { (w.history) }
            (grid("scans", &[w.scanned_at, "URL", w.violations], &earlier, ""))
        }
        p.empty { small { (w.attribution) } }
    };
    page(c, &title, body)
}
