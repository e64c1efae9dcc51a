//! "Check my site" on the Install page: the server scans one page of the site with its own
//! Chromium (`crate::scan::jobs`, one scan at a time) and the page says whether the Kelisim
//! loader is first in `<head>` and which trackers ran before a choice. The result is the
//! site's latest scan, kept like `kelisim scan --data`'s, so the Scan page has the full report.
//! While a check runs the Install page refreshes itself (`<meta http-equiv=refresh>`: no script).

use super::html::{q, Ctx};
use super::http::{actor, check_csrf, require_admin, site_config, Answer};
use super::i18n::check_words;
use super::Admin;
use crate::scan::jobs::{self, Failed, Failure, Running, Started};
use crate::scan::report::{FindingKind, Report, Subject};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use kelisim_shared::config::Config;
use maud::{html, Markup};

/// Seconds between the Install page's refreshes while a check runs.
pub const REFRESH: u32 = 3;

/// Where the Install page goes to refresh itself while a check runs: back to its check, at an
/// address that changes each time (`?running=` the seconds so far), since a refresh to the same
/// address with a `#fragment` only scrolls, it does not load the page again.
pub fn refresh(site: &str, v: &View) -> (u32, String) {
    let secs = v.running.as_ref().map_or(0, |r| r.since.elapsed().as_secs());
    (REFRESH, format!("/admin/sites/{}/install?running={secs}#check", q(site)))
}

/// What the "Check my site" section shows.
pub struct View<'a> {
    /// The address in the form: the last one checked, else the site's first origin.
    pub url: String,
    /// The scan under way (of any site: there is one at a time).
    pub running: Option<Running>,
    pub failure: Option<Failure>,
    pub last: Option<&'a Report>,
    /// Why the address just given was not checked.
    pub problem: Option<String>,
}

impl View<'_> {
    /// A check of this site is under way: the page refreshes itself.
    pub fn busy_with(&self, site: &str) -> bool {
        self.running.as_ref().is_some_and(|r| r.site == site)
    }
}

pub fn section(c: &Ctx, cfg: &Config, v: &View) -> Markup {
    let w = check_words(c.lang);
    let admin = c.actor.is_some_and(|a| a.role == super::auth::Role::Admin);
    let site = &cfg.site;
    html! {
        section.check id="check" data-check {
            h2 { (w.title) }
            p { (w.intro) }
            @if let Some(p) = &v.problem { p.error role="alert" data-check="refused" { (p) } }
            @if admin {
                form method="post" action={ "/admin/sites/" (q(site)) "/install/check" } class="inline-form" {
                    input type="hidden" name="csrf" value=(c.actor.map_or("", |a| a.csrf.as_str()));
                    label { (w.page) " " input type="url" name="url" value=(v.url) required size="50"; }
                    " "
                    button type="submit" data-action="check-site" disabled[v.running.is_some()] { (w.button) }
                }
            } @else {
                p.note { (w.admin_only) }
            }
            @match &v.running {
                Some(r) if r.site == *site => {
                    p.note role="status" data-check="running" {
                        (w.running.replace("{url}", &r.url).replace("{s}", &r.since.elapsed().as_secs().to_string()))
                    }
                }
                Some(r) => p.note role="status" data-check="busy" { (w.busy.replace("{url}", &r.url)) },
                None => {}
            }
            @if let Some(f) = &v.failure {
                @if !v.busy_with(site) { (failure(c, f)) }
            }
            @if let Some(r) = v.last {
                @if !v.busy_with(site) { (result(c, cfg, r)) }
            }
        }
    }
}

/// A scan that could not run, and why (also on the Scan page).
pub(super) fn failure(c: &Ctx, f: &Failure) -> Markup {
    let w = check_words(c.lang);
    let (what, detail) = match &f.error {
        Failed::NoChromium(d) => (w.no_chromium, d),
        Failed::Unreachable(d) => (w.unreachable, d),
        Failed::Other(d) => (w.failed, d),
    };
    html! {
        div.error role="alert" data-check="failed" {
            p { b { (w.failed) } " " code { (f.url) } " · " (c.when(&f.at)) }
            p { (what) }
            p { small { (detail) } }
        }
    }
}

/// The latest scan as the check's answer: the loader's place, then what ran before a choice.
fn result(c: &Ctx, cfg: &Config, r: &Report) -> Markup {
    let w = check_words(c.lang);
    let scan = super::i18n::scan_words(c.lang);
    let before: Vec<_> = r.findings_of(FindingKind::BeforeChoice).collect();
    let after_reject = r.findings_of(FindingKind::AfterReject).count();
    let incomplete = r.findings_of(FindingKind::Incomplete).count();
    html! {
        div.check-result data-check="result" {
            p { (w.checked) ": " b { (c.when(&r.finished_at)) } " · " code { (r.url) } }
            @if let Some(p) = &r.loader {
                @if let Some(e) = &p.error {
                    p.error data-loader="unread" { (w.loader_unread) " " (e) }
                } @else if !p.found {
                    p.error data-loader="missing" { (w.loader_missing) }
                } @else {
                    @if p.is_first() {
                        p.ok data-loader="first" { (w.loader_first) }
                    }
                    @if !p.in_head { p.error data-loader="not-head" { (w.loader_not_head) } }
                    @if p.deferred { p.error data-loader="deferred" { (w.loader_deferred) } }
                    @if !p.before.is_empty() {
                        div.error data-loader="before" {
                            p { (w.loader_before) }
                            ol { @for s in &p.before { li { code { (s) } } } }
                        }
                    }
                    @if let Some(named) = p.site.as_deref().filter(|n| *n != cfg.site) {
                        p.error data-loader="other-site" {
                            (w.loader_other_site.replace("{named}", named).replace("{site}", &cfg.site))
                        }
                    }
                }
            }
            @if before.is_empty() {
                p.ok data-trackers="0" { (w.trackers_none) }
            } @else {
                div.error data-trackers=(before.len()) {
                    p { (w.trackers) }
                    ul {
                        @for f in &before {
                            li data-name=(f.name) {
                                @match f.subject {
                                    Subject::Cookie => { (scan.cookie) " " }
                                    Subject::LocalStorage => { (scan.local_storage) " " }
                                    Subject::SessionStorage => { (scan.session_storage) " " }
                                    Subject::Request => { (scan.request_to) " " }
                                    Subject::Declaration | Subject::Page => {}
                                }
                                code { (f.name) }
                                @if let Some(cause) = f.causes.first() { " — " small { (cause.to_string()) } }
                            }
                        }
                    }
                }
            }
            @if after_reject > 0 { p.error data-check="after-reject" { (w.after_reject.replace("{n}", &after_reject.to_string())) } }
            @if incomplete > 0 { p.note data-check="incomplete" { (w.incomplete) } }
            p { a href={ "/admin/sites/" (q(&cfg.site)) "/scan" } { (w.report) } }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
}

/// `POST /admin/sites/{site}/install/check` (admin): starts a scan of one page of the site and
/// goes back to the Install page, which shows it running, then its result.
pub async fn start(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    form: web::Form<CheckForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    require_admin(&who)?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let w = check_words(super::http::lang(&req));
    let own = super::http::own_origin(&req);
    let mut origins = served.policy.origins.clone();
    origins.extend(served.extra_origins.iter().cloned());
    let given = form.url.trim();
    let refusal = |why: String, status: StatusCode| super::http::Refusal { url: given.to_owned(), why, status };
    let url = match url::Url::parse(given) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
        _ => {
            let r = refusal(w.bad_address.into(), StatusCode::UNPROCESSABLE_ENTITY);
            return super::http::install_page(&req, &admin, &who, &site, Some(r)).await;
        }
    };
    if !jobs::allowed(&url, &origins, &own) {
        let list = served.policy.origins.join(", ");
        let r = refusal(w.not_allowed.replace("{origins}", &list), StatusCode::UNPROCESSABLE_ENTITY);
        return super::http::install_page(&req, &admin, &who, &site, Some(r)).await;
    }
    let shown = served.path.display().to_string();
    match admin.scans.start(served.policy.clone(), shown, url.clone(), 1, who.name.clone()) {
        Started::Busy(r) => {
            let r = refusal(w.busy.replace("{url}", &r.url), StatusCode::CONFLICT);
            super::http::install_page(&req, &admin, &who, &site, Some(r)).await
        }
        Started::Yes => {
            let (accounts, by, detail) = (admin.accounts.clone(), who.name.clone(), format!("site {site}: {url}"));
            super::error::blocking(move || accounts.record(&by, "scan.check", &detail)).await?;
            let to = format!("/admin/sites/{}/install#check", q(&site));
            Ok(actix_web::HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, to)).finish())
        }
    }
}
