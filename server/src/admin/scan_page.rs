//! The scan page: the latest scan of a site (the server's own, or `kelisim scan --data`), its
//! findings most serious first, what changed since the scan before it, and the earlier scans,
//! in the dashboard's language; "Scan now" and the site's schedule (admin role), run by
//! `crate::scan::jobs`. Names, hosts and URLs are shown as the scan found them; everything
//! around them is translated. While a scan of the site runs, the page refreshes itself.

use super::error::blocking;
use super::html::{grid, page, q, Ctx};
use super::http::{actor, check_csrf, require_admin, site_config, Answer};
use super::i18n::{scan_run_words, scan_words, ScanWords};
use super::Admin;
use crate::scan::jobs::{self, Started};
use crate::scan::observe::Cause;
use crate::scan::record::{Every, Past, Schedule, BY_SCHEDULE};
use crate::scan::report::{Finding, FindingKind, Report, Subject};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use kelisim_shared::config::Config;
use maud::{html, Markup};
use std::collections::BTreeSet;

fn category(cfg: &Config, id: &str, c: &Ctx) -> Markup {
    html! {
        @match cfg.category(id).and_then(|k| k.title.get_or(c.lang, &cfg.languages)) {
            Some(title) => { (title) " (" code { (id) } ")" }
            None => code { (id) },
        }
    }
}

fn cause_markup(w: &ScanWords, cause: &Cause) -> Markup {
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
            (_, Some(Source::Catalogue | Source::OpenCookieDatabase | Source::Unknown), None) => (w.not_declared),
            (_, _, None) => "—",
        }
        @if let Some(svc) = f.classification.as_ref().and_then(|k| service(cfg, k.service.as_deref()?)) {
            br;
            span data-service=(svc.id) {
                b { (svc.name) } " — " (svc.provider) " (" (svc.country) ")"
                @if let Some(d) = svc.description.get_or(c.lang, &cfg.languages) { ". " (d) }
            }
        }
        @if let Some(e) = f.classification.as_ref().and_then(|k| k.catalogue.as_deref()).and_then(kelisim_shared::catalogue::get) {
            br;
            span data-catalogue=(e.id) {
                (scan_run_words(c.lang).catalogue) ": " b { (e.name) } " — " (e.operator) " (" (e.country) ")"
                @if let Some(d) = e.description.get(c.lang).or(e.description.get(kelisim_shared::lang::Lang::Ru)) { ". " (d) }
                " " code { "service = \"" (e.id) "\"" }
            }
        }
        @if let Some(k) = known {
            br;
            small { "Open Cookie Database: " (k.platform) " (" (k.category) ") — " (k.description) " · " (k.retention) }
        }
    }
}

/// The site's own service of that name (the scan names a declared item's service by name).
fn service<'c>(cfg: &'c Config, name: &str) -> Option<&'c kelisim_shared::config::Service> {
    cfg.categories.iter().flat_map(|k| &k.services).find(|s| s.name == name)
}

/// What the page shows besides the latest report.
pub struct Runs<'a> {
    pub previous: Option<&'a Report>,
    pub history: &'a [Past],
    pub schedule: Option<&'a Schedule>,
    pub running: Option<jobs::Running>,
    pub failure: Option<jobs::Failure>,
    /// The address and page count in the form.
    pub url: String,
    pub pages: i64,
    /// A message about the last form sent: (is a problem, text).
    pub message: Option<(bool, String)>,
}

/// "Scan now" and the schedule (admin), what is under way or could not run, the schedule.
fn controls(c: &Ctx, cfg: &Config, runs: &Runs) -> Markup {
    let w = scan_run_words(c.lang);
    let admin = c.actor.is_some_and(|a| a.role == super::auth::Role::Admin);
    let s = q(&cfg.site);
    let every = runs.schedule.map(|s| s.every);
    html! {
        section.check id="run" data-scan-controls {
            @if let Some((problem, m)) = &runs.message {
                @if *problem { p.error role="alert" data-scan-message="refused" { (m) } }
                @else { p.ok role="status" data-scan-message="saved" { (m) } }
            }
            @match &runs.running {
                Some(r) if r.site == cfg.site => p.note role="status" data-scan="running" {
                    (w.running.replace("{url}", &r.url).replace("{s}", &r.since.elapsed().as_secs().to_string()))
                },
                Some(r) => p.note role="status" data-scan="busy" { (super::i18n::check_words(c.lang).busy.replace("{url}", &r.url)) },
                None => {}
            }
            @if let Some(f) = &runs.failure {
                @if runs.running.as_ref().is_none_or(|r| r.site != cfg.site) { (super::site_check::failure(c, f)) }
            }
            @match runs.schedule {
                Some(sc) => p data-schedule=(sc.every.as_str()) {
                    (w.scheduled
                        .replace("{every}", super::i18n::every_word(c.lang, sc.every == Every::Week))
                        .replace("{who}", &sc.set_by)
                        .replace("{when}", &super::i18n::when::shown(c.lang, &c.tz, &sc.set_at).0))
                },
                None => p data-schedule="off" { (w.unscheduled) },
            }
            @if admin {
                h2 { (w.run) }
                p.note { (w.run_note) }
                form method="post" action={ "/admin/sites/" (s) "/scan/now" } class="inline-form" {
                    input type="hidden" name="csrf" value=(c.actor.map_or("", |a| a.csrf.as_str()));
                    label { (w.page) " " input type="url" name="url" value=(runs.url) required size="40"; }
                    " "
                    label { (w.pages) " " input type="number" name="pages" value=(runs.pages) min="1" max="50" required; }
                    " "
                    button type="submit" data-action="scan-now" disabled[runs.running.is_some()] { (w.now) }
                    " "
                    label { (w.schedule) " "
                        select name="every" {
                            option value="off" selected[every.is_none()] { (w.off) }
                            option value="daily" selected[every == Some(Every::Day)] { (w.daily) }
                            option value="weekly" selected[every == Some(Every::Week)] { (w.weekly) }
                        }
                    }
                    " "
                    button type="submit" formaction={ "/admin/sites/" (s) "/scan/schedule" } data-action="save-schedule" { (w.save) }
                }
            }
        }
    }
}

/// Items and third-party hosts in the latest scan and not in the one before, and the other
/// way round.
fn since(c: &Ctx, last: &Report, before: &Report) -> Markup {
    let w = scan_run_words(c.lang);
    let sw = scan_words(c.lang);
    let key = |i: &crate::scan::report::Item| (i.kind, i.name.clone(), i.domain.clone());
    let then: BTreeSet<_> = before.items.iter().map(key).collect();
    let now: BTreeSet<_> = last.items.iter().map(key).collect();
    let new: Vec<_> = last.items.iter().filter(|i| !then.contains(&key(i))).collect();
    let gone: Vec<_> = before.items.iter().filter(|i| !now.contains(&key(i))).collect();
    let hosts_then: BTreeSet<&str> = before.hosts.iter().map(|h| h.host.as_str()).collect();
    let hosts_now: BTreeSet<&str> = last.hosts.iter().map(|h| h.host.as_str()).collect();
    let new_hosts: Vec<_> = last.hosts.iter().filter(|h| !hosts_then.contains(h.host.as_str())).collect();
    let gone_hosts: Vec<&str> = hosts_then.difference(&hosts_now).copied().collect();
    let kind = |k: kelisim_shared::policy::StorageKind| match k {
        kelisim_shared::policy::StorageKind::Cookie => sw.cookie,
        kelisim_shared::policy::StorageKind::LocalStorage => sw.local_storage,
        kelisim_shared::policy::StorageKind::SessionStorage => sw.session_storage,
    };
    html! {
        section data-since {
            h2 { (w.since) " " small { "(" (c.when(&before.finished_at)) ")" } }
            @if new.is_empty() && gone.is_empty() && new_hosts.is_empty() && gone_hosts.is_empty() {
                p.ok data-since="same" { (w.nothing_new) }
            }
            @if !new.is_empty() {
                p { b { (w.new) } }
                ul { @for i in &new {
                    li data-new=(i.name) {
                        (kind(i.kind)) " " code { (i.name) } " " small { "(" (i.domain) ")" }
                        @if let Some(cause) = i.causes.first() { " — " (cause_markup(sw, cause)) }
                    }
                } }
            }
            @if !gone.is_empty() {
                p { b { (w.gone) } }
                ul { @for i in &gone { li data-gone=(i.name) { (kind(i.kind)) " " code { (i.name) } " " small { "(" (i.domain) ")" } } } }
            }
            @if !new_hosts.is_empty() {
                p { b { (w.new_hosts) } }
                ul { @for h in &new_hosts { li data-new-host=(h.host) { code { (h.host) } " — " (cause_markup(sw, &h.cause)) } } }
            }
            @if !gone_hosts.is_empty() {
                p { b { (w.gone_hosts) } }
                ul { @for h in &gone_hosts { li data-gone-host=(h) { code { (h) } } } }
            }
        }
    }
}

fn started_by(c: &Ctx, by: Option<&str>) -> String {
    let w = scan_run_words(c.lang);
    match by {
        None => w.by_cli.to_owned(),
        Some(BY_SCHEDULE) => w.by_schedule.to_owned(),
        Some(name) => name.to_owned(),
    }
}

pub fn scan(c: &Ctx, cfg: &Config, last: Option<&Report>, runs: &Runs) -> String {
    let w = scan_words(c.lang);
    let title = format!("{} — {}", cfg.name, w.scan);
    let Some(r) = last else {
        let body = html! {
            (controls(c, cfg, runs))
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
                    html! { @for (i, k) in f.causes.iter().enumerate() { @if i > 0 { br; } (cause_markup(w, k)) } },
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
    let hosts: Vec<Vec<Markup>> = r
        .hosts
        .iter()
        .map(|h| vec![html! { code { (h.host) } }, html! { (h.requests) }, cause_markup(w, &h.cause)])
        .collect();
    let earlier: Vec<Vec<Markup>> = runs
        .history
        .iter()
        .skip(1)
        .map(|p| {
            vec![
                c.when(&p.finished_at),
                html! { code { (p.url) } },
                html! { (p.violations) },
                html! { (started_by(c, p.by.as_deref())) },
            ]
        })
        .collect();
    let by = runs.history.first().map(|p| started_by(c, p.by.as_deref()));
    // Not a violation, but not green either: something only a choice sets that the banner
    // does not name and a withdrawal does not delete (counted afresh: older reports lack it).
    let unlisted = r.findings.iter().any(Finding::is_warning);
    let body = html! {
        (controls(c, cfg, runs))
        p { (w.scanned_at) ": " b data-scan-time { (c.when(&r.finished_at)) } " · " code { (r.url) } " · " (w.pages) ": " (r.pages.len()) " · " (r.chromium)
            @if let Some(by) = &by { " · " (scan_run_words(c.lang).by) ": " span data-scan-by { (by) } } }
        @if r.summary.violations == 0 && !unlisted {
            p.ok role="status" data-scan-violations="0" { (w.clean) }
        } @else if r.summary.violations == 0 {
            p.note role="status" data-scan-violations="0" data-scan-warning="undeclared" { (scan_run_words(c.lang).undeclared_warning) }
        } @else {
            p.error role="alert" data-scan-violations=(r.summary.violations) { (w.violations) ": " b { (r.summary.violations) } }
        }
        @if let Some(before) = runs.previous { (since(c, r, before)) }
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
            (grid("scans", &[w.scanned_at, "URL", w.violations, scan_run_words(c.lang).by], &earlier, ""))
        }
        p.empty { small { (w.attribution) } }
    };
    page(c, &title, body)
}

/// The address a scan starts from when the form does not say: the schedule's, else the latest
/// scan's, else the site's first origin.
fn default_url(site: &crate::sites::Site, schedule: Option<&Schedule>, last: Option<&Report>) -> String {
    schedule
        .map(|s| s.url.clone())
        .or_else(|| last.map(|r| r.url.clone()))
        .unwrap_or_else(|| format!("{}/", site.policy.origins.first().map_or("https://example.kz", String::as_str)))
}

/// `GET /admin/sites/{site}/scan`.
pub async fn page_handler(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    show(&req, &admin, &who, &path.into_inner(), None, StatusCode::OK).await
}

async fn show(
    req: &HttpRequest,
    admin: &web::Data<Admin>,
    who: &super::auth::Actor,
    site: &str,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Answer {
    let served = site_config(admin, site)?;
    let (dash, s2) = (admin.dash.clone(), site.to_owned());
    let (last, previous, history, schedule) = blocking(move || {
        Ok::<_, crate::store::StoreError>((
            dash.last_scan(&s2)?,
            dash.previous_scan(&s2)?,
            dash.scans(&s2, 20)?,
            dash.scan_schedule(&s2)?,
        ))
    })
    .await?;
    let runs = Runs {
        previous: previous.as_ref(),
        history: &history,
        schedule: schedule.as_ref(),
        running: admin.scans.running(),
        failure: admin.scans.failure(site),
        url: default_url(&served, schedule.as_ref(), last.as_ref()),
        pages: schedule.as_ref().map_or(10, |s| s.pages),
        message,
    };
    let mut c = super::http::ctx(req, Some(who), Some(site));
    if let Some(r) = runs.running.as_ref().filter(|r| r.site == site) {
        let to = format!("/admin/sites/{}/scan?running={}#run", q(site), r.since.elapsed().as_secs());
        c.refresh = Some((super::site_check::REFRESH, to));
    }
    Ok(super::http::html(status, scan(&c, &served.config, last.as_ref(), &runs)))
}

#[derive(serde::Deserialize)]
pub struct RunForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    pages: String,
    #[serde(default)]
    every: String,
}

/// The form's address and page count, checked: one of the site's addresses (or this server's),
/// 1 to 50 pages. `Err`: what to tell the owner.
fn checked_run(req: &HttpRequest, served: &crate::sites::Site, form: &RunForm) -> Result<(url::Url, i64), String> {
    let l = super::http::lang(req);
    let (w, cw) = (scan_run_words(l), super::i18n::check_words(l));
    let url = url::Url::parse(form.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| cw.bad_address.to_owned())?;
    let mut origins = served.policy.origins.clone();
    origins.extend(served.extra_origins.iter().cloned());
    if !jobs::allowed(&url, &origins, &super::http::own_origin(req)) {
        return Err(cw.not_allowed.replace("{origins}", &served.policy.origins.join(", ")));
    }
    let pages =
        form.pages.trim().parse::<i64>().ok().filter(|n| (1..=50).contains(n)).ok_or_else(|| w.bad_pages.to_owned())?;
    Ok((url, pages))
}

/// `POST /admin/sites/{site}/scan/now` (admin): starts a scan of the site; the page shows it
/// running, then its report.
pub async fn scan_now(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    form: web::Form<RunForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    require_admin(&who)?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let (url, pages) = match checked_run(&req, &served, &form) {
        Ok(ok) => ok,
        Err(why) => return show(&req, &admin, &who, &site, Some((true, why)), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let shown = served.path.display().to_string();
    let n = usize::try_from(pages).unwrap_or(1);
    match admin.scans.start(served.policy.clone(), shown, url.clone(), n, who.name.clone()) {
        Started::Busy(r) => {
            let why = super::i18n::check_words(super::http::lang(&req)).busy.replace("{url}", &r.url);
            show(&req, &admin, &who, &site, Some((true, why)), StatusCode::CONFLICT).await
        }
        Started::Yes => {
            let (accounts, by, detail) =
                (admin.accounts.clone(), who.name.clone(), format!("site {site}: {url}, {pages} pages"));
            blocking(move || accounts.record(&by, "scan.start", &detail)).await?;
            Ok(super::http::redirect(&format!("/admin/sites/{}/scan#run", q(&site))))
        }
    }
}

/// `POST /admin/sites/{site}/scan/schedule` (admin): sets the site's schedule (off, daily,
/// weekly) with the form's address and page count; recorded in the audit trail.
pub async fn set_schedule(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    form: web::Form<RunForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    require_admin(&who)?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let schedule = match Every::parse(&form.every) {
        None if form.every == "off" => None,
        None => return Err(super::error::AdminError::BadRequest("every: off, daily or weekly".into())),
        Some(every) => match checked_run(&req, &served, &form) {
            Ok((url, pages)) => Some(Schedule {
                site: site.clone(),
                every,
                url: url.to_string(),
                pages,
                set_by: who.name.clone(),
                set_at: crate::clock::now_rfc3339(),
                last_attempt_at: None,
            }),
            Err(why) => {
                return show(&req, &admin, &who, &site, Some((true, why)), StatusCode::UNPROCESSABLE_ENTITY).await
            }
        },
    };
    let (a, by, s2) = (admin.clone(), who.name.clone(), site.clone());
    let detail = format!("site {site}: {}", schedule.as_ref().map_or("off", |s| s.every.as_str()));
    blocking(move || {
        a.scans.set_schedule(&s2, schedule.as_ref()).map_err(super::error::AdminError::internal)?;
        a.accounts.record(&by, "scan.schedule", &detail).map_err(super::error::AdminError::internal)
    })
    .await?;
    let saved = scan_run_words(super::http::lang(&req)).saved.to_owned();
    show(&req, &admin, &who, &site, Some((false, saved)), StatusCode::OK).await
}
