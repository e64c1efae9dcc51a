//! Dashboard HTTP handlers (infra): sessions from the `kelisim_admin` cookie (HttpOnly,
//! SameSite=Strict) or `Authorization: Bearer` tokens, CSRF checks on every state change,
//! role checks, and the pages. Every handler returns `Result<HttpResponse, AdminError>`; the
//! error becomes a response in `error` (problem+json for API clients, a page for people). Every
//! database read or write, password check and file operation runs on the blocking pool
//! (`error::blocking`), never on the async workers that answer consent POSTs.

use super::auth::{Actor, AuthError, Role};
use super::error::{blocking, AdminError, Missing};
use super::html::Ctx;
use super::queries::{Filter, PAGE};
use super::{i18n, pages, versions_page, workdays, Admin};
use crate::log::audit::Audited;
use crate::sites::Site;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "kelisim_admin";
const LANG_COOKIE: &str = "kelisim_admin_lang";
const SIGN_IN: &str = "sign in or send a valid bearer token";

pub(super) type Answer = Result<HttpResponse, AdminError>;

/// Dashboard language: the cookie set by the switcher, else Accept-Language, else Russian.
pub(super) fn lang(req: &HttpRequest) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
        .or_else(|| {
            let al = req.headers().get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
            al.split(',').find_map(|p| Lang::from_tag(p.split(';').next()?.trim()))
        })
        .unwrap_or(Lang::Ru)
}

pub(super) fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub(super) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A page's context: its language, who is signed in, its site and the site's time zone (from
/// the site's policy as served now; `Asia/Almaty` for pages of no one site).
pub(super) fn ctx<'a>(req: &HttpRequest, actor: Option<&'a Actor>, site: Option<&'a str>) -> Ctx<'a> {
    let l = lang(req);
    let zone =
        site.and_then(|s| Some(req.app_data::<web::Data<Admin>>()?.ingest.sites().get_shared(s)?.policy.time_zone()));
    let tz = zone.unwrap_or_else(|| kelisim_shared::policy::time_zone(None));
    Ctx { t: i18n::t(l), lang: l, actor, site, refresh: None, tz }
}

/// The acting admin: a bearer token's, else the session cookie's. Without either (or with one
/// no longer valid) the error sends a person to the login page and an API client a `401`.
pub async fn actor(req: &HttpRequest, admin: &Admin) -> Result<Actor, AdminError> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let accounts = admin.accounts.clone();
    let found = blocking(move || match (bearer, session) {
        (Some(token), _) => accounts.bearer(&token),
        (None, Some(session)) => accounts.session(&session).map(|a| a.ok_or(SIGN_IN)),
        (None, None) => Ok(Err(SIGN_IN)),
    })
    .await?;
    found.map_err(AdminError::SignIn)
}

/// Whether a browser says the request comes from a page of another site: its `Origin` (sent
/// with every cross-site POST by current browsers), else `Sec-Fetch-Site`, else `Referer`,
/// names something other than this server. A client that sends none of them (not a browser,
/// or one too old to say) is let through; state changes also need the session's CSRF token.
fn cross_site(req: &HttpRequest) -> bool {
    let h = |name| req.headers().get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    let host = req.connection_info().host().to_owned();
    let other = |url: &str| {
        let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).unwrap_or("");
        rest.split('/').next() != Some(host.as_str())
    };
    if let Some(origin) = h(header::ORIGIN) {
        return other(origin);
    }
    if let Some(site) = h(header::HeaderName::from_static("sec-fetch-site")) {
        return !matches!(site, "same-origin" | "none");
    }
    h(header::REFERER).is_some_and(other)
}

/// A state change: the form's CSRF token must match the session's, and a browser's Origin
/// (when sent) must be this server. Bearer-token clients have no CSRF token and need none.
pub(super) fn check_csrf(req: &HttpRequest, actor: &Actor, form_csrf: &str) -> Result<(), AdminError> {
    if !actor.csrf.is_empty() && form_csrf != actor.csrf {
        return Err(AdminError::Csrf("missing or wrong CSRF token; reload the page and try again"));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = req.connection_info().host().to_owned();
        let own = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).unwrap_or("");
        if own != host {
            return Err(AdminError::Csrf("cross-origin request refused"));
        }
    }
    Ok(())
}

pub(super) fn require_admin(actor: &Actor) -> Result<(), AdminError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AdminError::ReadOnly)
    }
}

/// The site `{site}` names, as served now.
pub(super) fn site_config(admin: &Admin, site: &str) -> Result<Arc<Site>, AdminError> {
    admin.ingest.sites().get_shared(site).ok_or(AdminError::NotFound(Missing::Site))
}

pub async fn login_page(req: HttpRequest, admin: web::Data<Admin>) -> Answer {
    if actor(&req, &admin).await.is_ok() {
        return Ok(redirect("/admin/"));
    }
    Ok(html(StatusCode::OK, pages::login(&ctx(&req, None, None), None, "")))
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// Signs in. Before the password is checked (argon2, slow on purpose): a login posted from
/// another site is refused (403: no one can sign a visitor in to an account of theirs), the
/// attempt reserves its place in the per-account and per-address limits (429 with
/// Retry-After when used up), and waits its turn at one of the few password checks that run
/// at once, on the blocking pool, never on the async workers (503 with Retry-After when too
/// many wait; `limits`).
pub async fn login(req: HttpRequest, admin: web::Data<Admin>, form: web::Form<LoginForm>) -> Answer {
    if cross_site(&req) {
        return Err(AdminError::Csrf("a login must come from this dashboard's own page"));
    }
    let LoginForm { username, password } = form.into_inner();
    let ctx = ctx(&req, None, None);
    let typed = username.clone();
    let refused = |status, message: &str, secs: u64| {
        let mut r = html(status, pages::login(&ctx, Some(message), &typed));
        r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        r
    };
    let reservation = match admin.limits.reserve(&username, crate::peer::client_ip(&req, admin.trust_proxy)) {
        Ok(r) => r,
        Err(secs) => return Ok(refused(StatusCode::TOO_MANY_REQUESTS, &AuthError::Backoff(secs).to_string(), secs)),
    };
    let Some(permit) = admin.limits.check_permit().await else {
        admin.limits.cancel(reservation);
        return Ok(refused(StatusCode::SERVICE_UNAVAILABLE, ctx.t.busy, 1));
    };
    let accounts = admin.accounts.clone();
    let checked = web::block(move || {
        let r = accounts.login(&username, &password);
        drop(permit);
        r
    })
    .await?;
    match checked {
        Ok((token, _)) => {
            admin.limits.succeeded(reservation);
            let secure = req.connection_info().scheme() == "https";
            let cookie = Cookie::build(SESSION_COOKIE, token)
                .path("/admin")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(secure)
                .max_age(actix_web::cookie::time::Duration::seconds(super::auth::SESSION_SECS))
                .finish();
            let mut r = redirect("/admin/");
            let _ = r.add_cookie(&cookie);
            Ok(r)
        }
        Err(AuthError::BadCredentials) => {
            Ok(html(StatusCode::UNAUTHORIZED, pages::login(&ctx, Some(ctx.t.bad_login), &typed)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(req: HttpRequest, admin: web::Data<Admin>, form: web::Form<CsrfForm>) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let (accounts, session) = (admin.accounts.clone(), c.value().to_owned());
        blocking(move || accounts.logout(&session, &who.name)).await?;
    }
    let mut r = redirect("/admin/login");
    let mut gone =
        Cookie::build(SESSION_COOKIE, "").path("/admin").http_only(true).same_site(SameSite::Strict).finish();
    gone.make_removal();
    let _ = r.add_cookie(&gone);
    Ok(r)
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    to: String,
}

pub async fn set_lang(q: web::Query<LangQuery>) -> HttpResponse {
    let l = Lang::from_tag(&q.to).unwrap_or(Lang::Ru);
    let mut r = redirect("/admin/");
    let c = Cookie::build(LANG_COOKIE, l.code()).path("/admin").same_site(SameSite::Strict).http_only(true).finish();
    let _ = r.add_cookie(&c);
    r
}

pub async fn home(req: HttpRequest, admin: web::Data<Admin>) -> Answer {
    let who = actor(&req, &admin).await?;
    let a = admin.clone();
    let rows = blocking(move || {
        let mut rows = Vec::new();
        for s in a.ingest.sites().iter() {
            let id = &s.config.site;
            let events = a.dash.stats_counts(id)?;
            let scan = a.dash.scans(id, 1)?.into_iter().next().map(|p| (p.finished_at, p.violations));
            let tz = s.policy.time_zone();
            rows.push(pages::SiteRow { id: id.clone(), name: s.config.name.clone(), events, scan, tz });
        }
        Ok::<_, crate::store::StoreError>(rows)
    })
    .await?;
    let reloaded = admin.ingest.reloaded();
    Ok(html(StatusCode::OK, pages::sites(&ctx(&req, Some(&who), None), &rows, &reloaded)))
}

pub async fn log(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>, f: web::Query<Filter>) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let cfg = &served.config;
    let f = f.into_inner();
    let (dash, s2, f2) = (admin.dash.clone(), site.clone(), f.clone());
    let (found, versions) =
        blocking(move || Ok::<_, crate::store::StoreError>((dash.events(&s2, &f2, PAGE)?, dash.versions(&s2)?)))
            .await?;
    let page = pages::log(&ctx(&req, Some(&who), Some(&site)), cfg, &f, &found, &versions);
    Ok(html(StatusCode::OK, page))
}

/// Admin API: the same filtered, keyset-paged log as JSON (`next` is the cursor for `before`).
pub async fn api_events(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    f: web::Query<Filter>,
) -> Answer {
    actor(&req, &admin).await?;
    let site = path.into_inner();
    site_config(&admin, &site)?;
    let (dash, f) = (admin.dash.clone(), f.into_inner());
    let found = blocking(move || dash.events(&site, &f, PAGE)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "events": found.rows, "next": found.next, "searched": found.searched })))
}

pub async fn withdrawals(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let cfg = &served.config;
    let (dash, s2) = (admin.dash.clone(), site.clone());
    let rows = blocking(move || dash.withdrawals(&s2, 500)).await?;
    // Working days are counted on the site's calendar: a withdrawal at 02:00 in Almaty is on
    // that day there, though still the day before in UTC.
    let tz = served.policy.time_zone();
    let local_day = |ts: jiff::Timestamp| {
        let d = ts.to_zoned_datetime(tz.clone()).date();
        let month = time::Month::try_from(u8::try_from(d.month()).unwrap_or(1)).unwrap_or(time::Month::January);
        time::Date::from_calendar_date(i32::from(d.year()), month, u8::try_from(d.day()).unwrap_or(1)).ok()
    };
    let today = local_day(jiff::Timestamp::now()).unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let rows: Vec<pages::WithdrawalRow> = rows
        .into_iter()
        .map(|r| {
            let at = r.recorded_at;
            let day = at.parse::<jiff::Timestamp>().ok().and_then(local_day).unwrap_or(today);
            let age = workdays::between(day, today);
            // Listed because its stored action says `withdraw`: if its signed bytes say
            // otherwise, the row is flagged.
            let problem =
                r.problem.or_else(|| (r.action != "withdraw").then(|| format!("its signed bytes say `{}`", r.action)));
            pages::WithdrawalRow {
                seq: r.seq,
                recorded_at: at,
                consent_id: r.consent_id,
                working_days: age,
                due: workdays::add(day, 15).to_string(),
                overdue: age > 15,
                problem,
            }
        })
        .collect();
    Ok(html(StatusCode::OK, pages::withdrawals(&ctx(&req, Some(&who), Some(&site)), cfg, &rows)))
}

pub async fn configs(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let cfg = &served.config;
    let (dash, s2) = (admin.dash.clone(), site.clone());
    let rows = blocking(move || dash.versions(&s2)).await?;
    Ok(html(StatusCode::OK, versions_page::versions(&ctx(&req, Some(&who), Some(&site)), cfg, &rows)))
}

#[derive(serde::Deserialize)]
pub struct VersionQuery {
    layer: Option<String>,
}

/// One text version as its visitors saw it (`versions_page::version`): its number and date from the
/// site's list of versions, the widget in frames, and what changed since the version before.
pub async fn config_version(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<(String, String)>,
    q: web::Query<VersionQuery>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    let (site, version) = path.into_inner();
    site_config(&admin, &site)?;
    let (dash, s2) = (admin.dash.clone(), site.clone());
    let (list, body, previous) = blocking(move || {
        let list = dash.versions(&s2)?;
        let body = dash.version_body(&s2, &version)?;
        // The list is newest first: the version before is the next one in it.
        let previous = match list.iter().position(|(v, _, _)| *v == version).and_then(|i| list.get(i + 1)) {
            Some((p, _, _)) => dash.version_body(&s2, p)?,
            None => None,
        };
        Ok::<_, crate::store::StoreError>((list, body, previous))
    })
    .await?;
    let body = body.ok_or(AdminError::NotFound(Missing::ConfigVersion))?;
    let v = serde_json::from_str::<Config>(&body).map_err(AdminError::internal)?;
    let previous = previous.map(|p| serde_json::from_str::<Config>(&p)).transpose().map_err(AdminError::internal)?;
    let view = versions_page::VersionView {
        v: &v,
        list: &list,
        previous: previous.as_ref(),
        layer: q.layer.as_deref().unwrap_or("banner"),
        widget: admin.widget.is_some(),
    };
    let page = versions_page::version(&ctx(&req, Some(&who), Some(&site)), &view);
    Ok(super::preview::version_page(page))
}

#[derive(serde::Deserialize)]
pub struct CompareQuery {
    a: String,
    b: String,
}

/// Two config versions of a site side by side: every visitor-facing text, per category, field
/// and language, the ones that differ marked (`?a=VERSION&b=VERSION`, from the versions page).
pub async fn compare(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    q: web::Query<CompareQuery>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let CompareQuery { a, b } = q.into_inner();
    let (dash, s2) = (admin.dash.clone(), site.clone());
    let (a, b, list) = blocking(move || {
        Ok::<_, crate::store::StoreError>((
            dash.version_body(&s2, &a)?,
            dash.version_body(&s2, &b)?,
            dash.version_dates(&s2)?,
        ))
    })
    .await?;
    let parse = |body: Option<String>| -> Result<Config, AdminError> {
        let body = body.ok_or(AdminError::NotFound(Missing::ConfigVersion))?;
        serde_json::from_str::<Config>(&body).map_err(AdminError::internal)
    };
    let (a, b) = (parse(a)?, parse(b)?);
    // Each version's number in publish order (first served first) and its date.
    let mut list = list;
    list.sort_by(|x, y| x.1.cmp(&y.1));
    let name = |v: &Config| list.iter().position(|(x, _)| *x == v.version).map(|i| (i + 1, list[i].1.as_str()));
    let names = [name(&a), name(&b)];
    Ok(html(StatusCode::OK, versions_page::compare(&ctx(&req, Some(&who), Some(&site)), &served.config, &a, &b, names)))
}

/// This server's origin as the browser reached it (for the snippets, and the demo pages a
/// check may scan).
pub(super) fn own_origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// How to install the banner on the site, with this server's own address in the snippets, and
/// "Check my site" (`site_check`).
pub async fn install(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    install_page(&req, &admin, &who, &path.into_inner(), None).await
}

/// An address "Check my site" did not check, and why.
pub(super) struct Refusal {
    pub url: String,
    pub why: String,
    pub status: StatusCode,
}

/// The Install page, with the latest check of the site (refreshing itself while one runs).
pub(super) async fn install_page(
    req: &HttpRequest,
    admin: &web::Data<Admin>,
    who: &Actor,
    site: &str,
    refusal: Option<Refusal>,
) -> Answer {
    let served = site_config(admin, site)?;
    let origin = own_origin(req);
    let site_origin = served.policy.origins.first().map_or("https://example.kz", String::as_str);
    let (dash, s2) = (admin.dash.clone(), site.to_owned());
    let last = blocking(move || dash.last_scan(&s2)).await?;
    let (url, problem, status) = match refusal {
        Some(r) => (r.url, Some(r.why), r.status),
        None => {
            let url = last.as_ref().map_or_else(|| format!("{site_origin}/"), |r| r.url.clone());
            (url, None, StatusCode::OK)
        }
    };
    let view = super::site_check::View {
        url,
        running: admin.scans.running(),
        failure: admin.scans.failure(site),
        last: last.as_ref(),
        problem,
    };
    let mut c = ctx(req, Some(who), Some(site));
    c.refresh = view.busy_with(site).then(|| super::site_check::refresh(site, &view));
    let every = served.policy.auto_block == kelisim_shared::policy::AutoBlock::Catalogue;
    Ok(html(status, pages::install(&c, &served.config, every, &origin, &view)))
}

pub async fn audit(req: HttpRequest, admin: web::Data<Admin>) -> Answer {
    let who = actor(&req, &admin).await?;
    let accounts = admin.accounts.clone();
    let rows = blocking(move || accounts.audit_trail(None, 500)).await?;
    Ok(html(StatusCode::OK, pages::audit(&ctx(&req, Some(&who), None), &rows)))
}

/// The accounts page: every account and API token, and `problem` (a refused new account) when
/// there is one.
async fn accounts_page(req: &HttpRequest, admin: &Admin, who: &Actor, problem: Option<&str>) -> Answer {
    let accounts = admin.accounts.clone();
    let (rows, tokens) = blocking(move || Ok::<_, AuthError>((accounts.list()?, accounts.tokens()?))).await?;
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(html(status, pages::accounts(&ctx(req, Some(who), None), &rows, &tokens, problem)))
}

pub async fn accounts(req: HttpRequest, admin: web::Data<Admin>) -> Answer {
    let who = actor(&req, &admin).await?;
    require_admin(&who)?;
    accounts_page(&req, &admin, &who, None).await
}

#[derive(serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
    role: String,
}

pub async fn add_account(req: HttpRequest, admin: web::Data<Admin>, form: web::Form<AccountForm>) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    require_admin(&who)?;
    let role = Role::parse(&form.role).ok_or_else(|| AdminError::BadRequest("role must be admin or auditor".into()))?;
    let (accounts, f, by) = (admin.accounts.clone(), form.into_inner(), who.name.clone());
    match web::block(move || accounts.add(&f.username, &f.password, role, &by)).await? {
        Ok(()) => Ok(redirect("/admin/accounts")),
        Err(e @ (AuthError::Exists(_) | AuthError::BadName | AuthError::WeakPassword)) => {
            accounts_page(&req, &admin, &who, Some(&e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_account(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    require_admin(&who)?;
    let (name, to) = path.into_inner();
    let disabled = match to.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(AdminError::NotFound(Missing::Page)),
    };
    let accounts = admin.accounts.clone();
    blocking(move || accounts.set_disabled(&name, disabled, &who.name)).await?;
    Ok(redirect("/admin/accounts"))
}

/// Revokes an API token (admin role, CSRF-protected); recorded in the audit trail.
pub async fn revoke_token(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    require_admin(&who)?;
    let (accounts, id) = (admin.accounts.clone(), path.into_inner());
    if blocking(move || accounts.revoke_token(id, &who.name)).await? {
        Ok(redirect("/admin/accounts"))
    } else {
        Err(AdminError::NotFound(Missing::ActiveToken))
    }
}

pub async fn static_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../../../www/admin/admin.css"))
}

/// The site's latest signed checkpoint, checked against the server's key: size, root (hex) and
/// time. `None` when there is none (or it does not verify, which "Verify now" then reports).
async fn latest_checkpoint(admin: &Admin, site: &str) -> Result<Option<(u64, String, String)>, AdminError> {
    let (a, site) = (admin.ingest.clone(), site.to_owned());
    let stored = blocking(move || a.store.read(|r| r.latest_checkpoint(&site))).await?;
    let key = admin.ingest.writer.verifier();
    Ok(stored.and_then(|s| key.verify(&s.note).ok()).map(|cp| (cp.size, hex::encode(cp.root), cp.time)))
}

pub async fn export_page(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let cfg = &served.config;
    let latest = latest_checkpoint(&admin, &site).await?;
    Ok(html(StatusCode::OK, pages::export(&ctx(&req, Some(&who), Some(&site)), cfg, latest, None)))
}

/// "Verify now": re-checks every stored record against its leaf and the log against its signed
/// checkpoints. It changes nothing in the log (only how far it is known to be verified), so an
/// auditor may run it; it is recorded in the audit trail.
pub async fn verify_now(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let cfg = &served.config;
    let (a, s2, by) = (admin.clone(), site.clone(), who.name.clone());
    let result: Result<Audited, crate::export::integrity::IntegrityError> = blocking(move || {
        let result = crate::export::integrity::check(&a.ingest.store, &s2, a.ingest.writer.verifier());
        let outcome = match &result {
            Ok(s) => format!("site {s2}: intact, {s}"),
            Err(p) => format!("site {s2}: DAMAGED, {p}"),
        };
        a.accounts.record(&by, "verify", &outcome)?;
        Ok::<_, AuthError>(result)
    })
    .await?;
    let latest = latest_checkpoint(&admin, &site).await?;
    Ok(html(StatusCode::OK, pages::export(&ctx(&req, Some(&who), Some(&site)), cfg, latest, Some(&result))))
}

#[derive(serde::Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The audit export (docs/export.md) from the dashboard: a fresh checkpoint, the bundle written
/// to a temporary file (never held in memory), streamed to the browser, and the export recorded.
pub async fn export_bundle(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    form: web::Form<ExportForm>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, &form.csrf)?;
    let site = path.into_inner();
    site_config(&admin, &site)?;
    let f = form.into_inner();
    let opt = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let (from, to) = (opt(f.from), opt(f.to));
    let (a, s2, by) = (admin.clone(), site.clone(), who.name.clone());
    let file = blocking(move || -> Result<tempfile::NamedTempFile, AdminError> {
        a.ingest.writer.checkpoint_now().map_err(|e| AdminError::internal(format!("cannot sign a checkpoint: {e}")))?;
        let file = tempfile::NamedTempFile::new()?;
        let (store, key) = (&a.ingest.store, a.ingest.writer.signer());
        let summary = crate::export::run(store, &s2, from.as_deref(), to.as_deref(), key, file.path())?;
        a.accounts.record(&by, "export", &crate::export::describe(&s2, from.as_deref(), to.as_deref(), &summary))?;
        Ok(file)
    })
    .await?;
    let len = file.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    let reader = file.reopen()?;
    // Stream it in 64 KiB chunks; the temporary file is removed when the stream ends.
    let stream = futures_util::stream::unfold((reader, file), |(mut r, keep)| async move {
        let (res, r) = web::block(move || {
            use std::io::Read;
            let mut buf = vec![0u8; 64 * 1024];
            let n = r.read(&mut buf).map(|n| {
                buf.truncate(n);
                buf
            });
            (n, r)
        })
        .await
        .ok()?;
        match res {
            Ok(b) if b.is_empty() => None,
            Ok(b) => Some((Ok::<_, std::io::Error>(web::Bytes::from(b)), (r, keep))),
            Err(e) => Some((Err(e), (r, keep))),
        }
    });
    let day = crate::clock::now_rfc3339()[..10].to_owned();
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"kelisim-{site}-{day}.zip\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .no_chunking(len)
        .streaming(stream))
}
