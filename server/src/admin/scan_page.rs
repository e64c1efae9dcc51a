//! The scan page: the latest `kelisim scan` of a site (kept with `--data`), its findings most
//! serious first, in the dashboard's language. Names, hosts and URLs are shown as the scan
//! found them; everything around them is translated.

use super::html::{esc, layout, table, Ctx};
use super::i18n::{scan_words, ScanWords};
use crate::scan::observe::Cause;
use crate::scan::report::{Finding, FindingKind, Report, Subject};
use kelisim_shared::config::Config;
use std::fmt::Write;

fn category(cfg: &Config, id: &str, c: &Ctx) -> String {
    match cfg.category(id).and_then(|k| k.title.get_or(c.lang, &cfg.languages)) {
        Some(title) => format!("{} (<code>{}</code>)", esc(title), esc(id)),
        None => format!("<code>{}</code>", esc(id)),
    }
}

fn cause(w: &ScanWords, cause: &Cause) -> String {
    let line = |l: &Option<u32>| l.map(|l| format!(", {} {l}", w.line)).unwrap_or_default();
    let gated = |g: &Option<String>| g.as_ref().map(|c| format!(" <small>({} <code>{}</code>)</small>", w.gated, esc(c))).unwrap_or_default();
    match cause {
        Cause::Script { url, line: l, gated: g } => format!("{} <code>{}</code>{}{}", w.script, esc(url), line(l), gated(g)),
        Cause::InlineScript { page, line: l, gated: g } => format!("{} <code>{}</code>{}{}", w.inline_script, esc(page), line(l), gated(g)),
        Cause::Response { url } => format!("{} <code>{}</code>", w.set_cookie, esc(url)),
        Cause::Element { element, page, line: l } => format!("<code>&lt;{}&gt;</code> — {} <code>{}</code>{}", esc(element), w.element, esc(page), line(l)),
        Cause::Unknown => esc(w.unknown_cause),
    }
}

fn what(w: &ScanWords, f: &Finding) -> String {
    let domain = f.domain.as_deref().map(|d| format!(" <small>({})</small>", esc(d))).unwrap_or_default();
    match f.subject {
        Subject::Cookie => format!("{} <code>{}</code>{domain}", w.cookie, esc(&f.name)),
        Subject::LocalStorage => format!("{} <code>{}</code>{domain}", w.local_storage, esc(&f.name)),
        Subject::SessionStorage => format!("{} <code>{}</code>{domain}", w.session_storage, esc(&f.name)),
        Subject::Request => format!(
            "{} <code>{}</code><br><small>{} {} · {}: {}</small>",
            w.request_to,
            esc(&f.name),
            esc(f.resource.as_deref().unwrap_or("")),
            esc(f.url.as_deref().unwrap_or("")),
            w.requests,
            f.count.unwrap_or(1)
        ),
        Subject::Declaration => format!("<code>{}</code>", esc(&f.name)),
        Subject::Page => format!("<code>{}</code><br><small>{}</small>", esc(&f.name), esc(f.problem.as_deref().unwrap_or(""))),
    }
}

fn classification(c: &Ctx, cfg: &Config, w: &ScanWords, f: &Finding) -> String {
    use crate::scan::classify::Source;
    let known = f
        .classification
        .as_ref()
        .and_then(|k| k.known.as_ref())
        .map(|k| format!("<br><small>Open Cookie Database: {} ({}) — {} · {}</small>", esc(&k.platform), esc(&k.category), esc(&k.description), esc(&k.retention)))
        .unwrap_or_default();
    let source = f.classification.as_ref().map(|k| k.source);
    let main = match (f.kind, source, &f.category) {
        (_, Some(Source::Kelisim), _) if f.kind != FindingKind::Undeclared => esc(w.kelisim_own),
        (FindingKind::Undeclared, _, Some(id)) => format!("{}: {}", w.suggested, category(cfg, id, c)),
        (FindingKind::Undeclared, _, None) => esc(w.no_suggestion),
        (_, _, Some(id)) => format!("{} {}", w.declared_in, category(cfg, id, c)),
        (_, Some(Source::OpenCookieDatabase | Source::Unknown), None) => esc(w.not_declared),
        (_, _, None) => "—".into(),
    };
    format!("{main}{known}")
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
    let mut b = String::new();
    let Some(r) = last else {
        let _ = write!(
            b,
            r#"<p class="empty" data-scan="none">{}</p><p>{}</p><pre><code>kelisim scan https://… --site {} --sites … --data …</code></pre>"#,
            esc(w.none_yet),
            esc(w.how_to),
            esc(&cfg.site)
        );
        return layout(c, &format!("{} — {}", cfg.name, w.scan), &b);
    };
    let _ = write!(
        b,
        r#"<p>{}: <b data-scan-time>{}</b> · <code>{}</code> · {}: {} · {}</p>"#,
        esc(w.scanned_at),
        esc(&when(&r.finished_at)),
        esc(&r.url),
        esc(w.pages),
        r.pages.len(),
        esc(&r.chromium)
    );
    if r.summary.violations == 0 {
        let _ = write!(b, r#"<p class="ok" role="status" data-scan-violations="0">{}</p>"#, esc(w.clean));
    } else {
        let _ = write!(b, r#"<p class="error" role="alert" data-scan-violations="{n}">{}: <b>{n}</b></p>"#, esc(w.violations), n = r.summary.violations);
    }
    for (i, kind) in FindingKind::ALL.iter().enumerate() {
        let list: Vec<&Finding> = r.findings_of(*kind).collect();
        if list.is_empty() {
            continue;
        }
        let _ = write!(b, r#"<h2 data-kind="{}">{} ({})</h2>"#, kind.as_str(), esc(w.kinds[i]), list.len());
        match kind {
            FindingKind::BeforeChoice => {
                let _ = write!(b, r#"<p class="note">{}</p>"#, esc(w.before_choice_note));
            }
            FindingKind::AfterReject => {
                let _ = write!(b, r#"<p class="note">{}</p>"#, esc(w.after_reject_note));
            }
            FindingKind::WrongCategory => {
                let _ = write!(b, r#"<p class="note">{}</p>"#, esc(w.wrong_category_note));
            }
            _ => {}
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|f| {
                vec![
                    format!(r#"<span data-finding="{}" data-name="{}">{}</span>"#, kind.as_str(), esc(&f.name), what(w, f)),
                    f.page.as_deref().map(|p| format!("<code>{}</code>", esc(p))).unwrap_or_default(),
                    f.causes.iter().map(|k| cause(w, k)).collect::<Vec<_>>().join("<br>"),
                    classification(c, cfg, w, f),
                ]
            })
            .collect();
        b.push_str(&table("scan", &[w.what, w.page, w.cause, w.category], &rows, ""));
    }
    let pages: Vec<Vec<String>> = r
        .pages
        .iter()
        .map(|p| vec![format!("<code>{}</code>", esc(&p.url)), p.status.map(|s| s.to_string()).unwrap_or_default(), esc(&p.problems.join("; "))])
        .collect();
    let _ = write!(b, "<h2>{}</h2>{}", esc(w.pages), table("pages", &[w.page, "HTTP", ""], &pages, ""));
    if !r.hosts.is_empty() {
        let hosts: Vec<Vec<String>> = r.hosts.iter().map(|h| vec![format!("<code>{}</code>", esc(&h.host)), h.requests.to_string(), cause(w, &h.cause)]).collect();
        let _ = write!(b, "<h2>{}</h2>{}", esc(w.third_party_hosts), table("hosts", &[w.what, w.requests, w.cause], &hosts, ""));
    }
    if history.len() > 1 {
        let rows: Vec<Vec<String>> = history[1..].iter().map(|(at, url, v)| vec![esc(&when(at)), format!("<code>{}</code>", esc(url)), v.to_string()]).collect();
        let _ = write!(b, "<h2>{}</h2>{}", esc(w.history), table("scans", &[w.scanned_at, "URL", w.violations], &rows, ""));
    }
    let _ = write!(b, r#"<p class="empty"><small>{}</small></p>"#, esc(w.attribution));
    layout(c, &format!("{} — {}", cfg.name, w.scan), &b)
}
