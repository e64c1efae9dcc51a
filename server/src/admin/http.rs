//! Dashboard HTTP handlers (infra): sessions from the `kelisim_admin` cookie (HttpOnly,
//! SameSite=Strict) or `Authorization: Bearer` tokens, CSRF checks on every state change,
//! role checks, and the pages.

// Handlers answer errors with a ready `HttpResponse` (large for a `Result`'s error); a typed
// admin error that becomes a response only at the edge is the error clean-up still to do.
#![allow(clippy::result_large_err)]

use super::auth::{Actor, AuthError, Role};
use super::html::Ctx;
use super::queries::{Filter, PAGE};
use super::{i18n, pages, workdays, Admin};
use crate::http::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;

pub const SESSION_COOKIE: &str = "kelisim_admin";
const LANG_COOKIE: &str = "kelisim_admin_lang";

/// Dashboard language: the cookie set by the switcher, else Accept-Language, else Russian.
fn lang(req: &HttpRequest) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
        .or_else(|| {
            let al = req.headers().get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
            al.split(',').find_map(|p| Lang::from_tag(p.split(';').next()?.trim()))
        })
        .unwrap_or(Lang::Ru)
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn internal(e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "dashboard error");
    HttpResponse::InternalServerError().content_type("text/plain").body("internal error\n")
}

/// The acting admin, or the response to send instead (login redirect for a browser, 401 for
/// an API client).
pub fn actor(req: &HttpRequest, admin: &Admin) -> Result<Actor, HttpResponse> {
    let found = if let Some(token) =
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        admin.accounts.bearer(token.trim())
    } else if let Some(c) = req.cookie(SESSION_COOKIE) {
        admin.accounts.session(c.value()).map(|a| a.ok_or("sign in or send a valid bearer token"))
    } else {
        Ok(Err("sign in or send a valid bearer token"))
    };
    match found {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(why)) if req.headers().contains_key(header::AUTHORIZATION) || req.path().starts_with("/admin/api/") => {
            Err(HttpResponse::Unauthorized().insert_header((header::WWW_AUTHENTICATE, "Bearer")).content_type("application/problem+json").body(format!(
                r#"{{"type":"https://kelisim.kz/problems/unauthorized","title":"Unauthorized","status":401,"detail":"{why}"}}"#
            )))
        }
        Ok(Err(_)) => Err(redirect("/admin/login")),
        Err(e) => Err(internal(e)),
    }
}

fn forbidden(why: &str) -> HttpResponse {
    HttpResponse::Forbidden().content_type("application/problem+json").body(format!(
        r#"{{"type":"https://kelisim.kz/problems/csrf","title":"Forbidden","status":403,"detail":"{why}"}}"#
    ))
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
fn check_csrf(req: &HttpRequest, actor: &Actor, form_csrf: &str) -> Result<(), HttpResponse> {
    if !actor.csrf.is_empty() && form_csrf != actor.csrf {
        return Err(forbidden("missing or wrong CSRF token; reload the page and try again"));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = req.connection_info().host().to_owned();
        let own = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).unwrap_or("");
        if own != host {
            return Err(forbidden("cross-origin request refused"));
        }
    }
    Ok(())
}

fn require_admin(actor: &Actor) -> Result<(), HttpResponse> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(HttpResponse::Forbidden().content_type("application/problem+json").body(
            r#"{"type":"https://kelisim.kz/problems/forbidden","title":"Forbidden","status":403,"detail":"the auditor role can read and export, not change anything"}"#,
        ))
    }
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

fn admin(state: &AppState) -> &Admin {
    state.admin.as_ref().expect("admin routes are mounted only with the admin state")
}

pub async fn login_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let l = lang(&req);
    if actor(&req, admin(&state)).is_ok() {
        return redirect("/admin/");
    }
    html(StatusCode::OK, pages::login(&Ctx { t: i18n::t(l), lang: l, actor: None, site: None }, None))
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
pub async fn login(req: HttpRequest, state: web::Data<AppState>, form: web::Form<LoginForm>) -> HttpResponse {
    let l = lang(&req);
    let t = i18n::t(l);
    if cross_site(&req) {
        return forbidden("a login must come from this dashboard's own page");
    }
    let a = admin(&state);
    let LoginForm { username, password } = form.into_inner();
    let ctx = Ctx { t, lang: l, actor: None, site: None };
    let refused = |status, message: &str, secs: u64| {
        let mut r = html(status, pages::login(&ctx, Some(message)));
        r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        r
    };
    let reservation = match a.limits.reserve(&username, state.client_ip(&req)) {
        Ok(r) => r,
        Err(secs) => return refused(StatusCode::TOO_MANY_REQUESTS, &AuthError::Backoff(secs).to_string(), secs),
    };
    let permit = match a.limits.check_permit().await {
        Some(p) => p,
        None => {
            a.limits.cancel(reservation);
            return refused(StatusCode::SERVICE_UNAVAILABLE, t.busy, 1);
        }
    };
    let accounts = a.accounts.clone();
    let result = web::block(move || {
        let r = accounts.login(&username, &password);
        drop(permit);
        r
    })
    .await;
    match result {
        Ok(Ok((token, _))) => {
            a.limits.succeeded(reservation);
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
            r
        }
        Ok(Err(AuthError::BadCredentials)) => html(StatusCode::UNAUTHORIZED, pages::login(&ctx, Some(t.bad_login))),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(req: HttpRequest, state: web::Data<AppState>, form: web::Form<CsrfForm>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(check_csrf(&req, &who, &form.csrf));
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        if let Err(e) = a.accounts.logout(c.value(), &who.name) {
            return internal(e);
        }
    }
    let mut r = redirect("/admin/login");
    let mut gone =
        Cookie::build(SESSION_COOKIE, "").path("/admin").http_only(true).same_site(SameSite::Strict).finish();
    gone.make_removal();
    let _ = r.add_cookie(&gone);
    r
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

fn site_config<'a>(state: &'a AppState, site: &str) -> Result<&'a Config, HttpResponse> {
    state
        .ingest
        .sites
        .get(site)
        .map(|s| &s.config)
        .ok_or_else(|| HttpResponse::NotFound().content_type("text/plain").body("no such site\n"))
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let l = lang(&req);
    let mut rows = Vec::new();
    for s in state.ingest.sites.iter() {
        let n = a.dash.stats_counts(&s.config.site).unwrap_or(0);
        let scan = a.dash.scans(&s.config.site, 1).ok().and_then(|v| v.into_iter().next()).map(|(at, _, v)| (at, v));
        rows.push(pages::SiteRow { id: s.config.site.clone(), name: s.config.name.clone(), events: n, scan });
    }
    html(StatusCode::OK, pages::sites(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: None }, &rows))
}

pub async fn overview(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let dash = a.dash.clone();
    let s2 = site.clone();
    let stats = match web::block(move || dash.stats(&s2, 30)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let l = lang(&req);
    html(
        StatusCode::OK,
        pages::overview(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) }, cfg, &stats),
    )
}

pub async fn log(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    f: web::Query<Filter>,
) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let f = f.into_inner();
    let (dash, s2, f2) = (a.dash.clone(), site.clone(), f.clone());
    let (rows, next, versions) =
        match web::block(move || Ok::<_, rusqlite::Error>((dash.events(&s2, &f2, PAGE)?, dash.versions(&s2)?))).await {
            Ok(Ok(((rows, next), v))) => (rows, next, v),
            Ok(Err(e)) => return internal(e),
            Err(e) => return internal(e),
        };
    let l = lang(&req);
    html(
        StatusCode::OK,
        pages::log(
            &Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) },
            cfg,
            &f,
            &rows,
            next,
            &versions,
        ),
    )
}

/// Admin API: the same filtered, keyset-paged log as JSON (`next` is the cursor for `before`).
pub async fn api_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    f: web::Query<Filter>,
) -> HttpResponse {
    let a = admin(&state);
    tri!(actor(&req, a));
    let site = path.into_inner();
    tri!(site_config(&state, &site));
    let (dash, f) = (a.dash.clone(), f.into_inner());
    match web::block(move || dash.events(&site, &f, PAGE)).await {
        Ok(Ok((rows, next))) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "events": rows, "next": next })),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

pub async fn withdrawals(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let rows = match a.dash.withdrawals(&site, 500) {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let today = time::OffsetDateTime::now_utc().date();
    #[allow(clippy::type_complexity)] // a row of the query; named row types come with the store's interface
    let rows: Vec<(i64, String, String, i64, String, bool, Option<String>)> = rows
        .into_iter()
        .map(|r| {
            let at = r.recorded_at;
            let day =
                time::Date::parse(&at[..10.min(at.len())], time::macros::format_description!("[year]-[month]-[day]"))
                    .unwrap_or(today);
            let age = workdays::between(day, today);
            // Listed because its stored action says `withdraw`: if its signed bytes say
            // otherwise, the row is flagged.
            let problem =
                r.problem.or_else(|| (r.action != "withdraw").then(|| format!("its signed bytes say `{}`", r.action)));
            (r.seq, at, r.consent_id, age, workdays::add(day, 15).to_string(), age > 15, problem)
        })
        .collect();
    let l = lang(&req);
    html(
        StatusCode::OK,
        pages::withdrawals(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) }, cfg, &rows),
    )
}

pub async fn configs(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let rows = match a.dash.versions(&site) {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let l = lang(&req);
    html(
        StatusCode::OK,
        pages::versions(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) }, cfg, &rows),
    )
}

pub async fn config_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let (site, version) = path.into_inner();
    tri!(site_config(&state, &site));
    let body = match a.dash.version_body(&site, &version) {
        Ok(Some(b)) => b,
        Ok(None) => return HttpResponse::NotFound().content_type("text/plain").body("no such config version\n"),
        Err(e) => return internal(e),
    };
    let Ok(v) = serde_json::from_str::<Config>(&body) else { return internal("stored config version does not parse") };
    let l = lang(&req);
    html(StatusCode::OK, pages::version(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) }, &v))
}

/// The latest scan of the site and the earlier ones (`kelisim scan --data`).
pub async fn scan(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let (dash, s2) = (a.dash.clone(), site.clone());
    let (last, history) =
        match web::block(move || Ok::<_, rusqlite::Error>((dash.last_scan(&s2)?, dash.scans(&s2, 20)?))).await {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => return internal(e),
            Err(e) => return internal(e),
        };
    let l = lang(&req);
    html(
        StatusCode::OK,
        super::scan_page::scan(
            &Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) },
            cfg,
            last.as_ref(),
            &history,
        ),
    )
}

pub async fn audit(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let rows = match a.accounts.audit_trail(None, 500) {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let l = lang(&req);
    html(StatusCode::OK, pages::audit(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: None }, &rows))
}

pub async fn accounts(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(require_admin(&who));
    let (rows, tokens) = match a.accounts.list().and_then(|r| Ok((r, a.accounts.tokens()?))) {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let l = lang(&req);
    html(
        StatusCode::OK,
        pages::accounts(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: None }, &rows, &tokens, None),
    )
}

#[derive(serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
    role: String,
}

pub async fn add_account(req: HttpRequest, state: web::Data<AppState>, form: web::Form<AccountForm>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(check_csrf(&req, &who, &form.csrf));
    tri!(require_admin(&who));
    let Some(role) = Role::parse(&form.role) else {
        return HttpResponse::BadRequest().body("role must be admin or auditor\n");
    };
    let (accounts, f, by) = (a.accounts.clone(), form.into_inner(), who.name.clone());
    match web::block(move || accounts.add(&f.username, &f.password, role, &by)).await {
        Ok(Ok(())) => redirect("/admin/accounts"),
        Ok(Err(e @ (AuthError::Exists(_) | AuthError::BadName | AuthError::WeakPassword))) => {
            let l = lang(&req);
            let rows = a.accounts.list().unwrap_or_default();
            let tokens = a.accounts.tokens().unwrap_or_default();
            html(
                StatusCode::BAD_REQUEST,
                pages::accounts(
                    &Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: None },
                    &rows,
                    &tokens,
                    Some(&e.to_string()),
                ),
            )
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

pub async fn set_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(check_csrf(&req, &who, &form.csrf));
    tri!(require_admin(&who));
    let (name, to) = path.into_inner();
    let disabled = match to.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return HttpResponse::NotFound().finish(),
    };
    match a.accounts.set_disabled(&name, disabled, &who.name) {
        Ok(_) => redirect("/admin/accounts"),
        Err(e) => internal(e),
    }
}

/// Revokes an API token (admin role, CSRF-protected); recorded in the audit trail.
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(check_csrf(&req, &who, &form.csrf));
    tri!(require_admin(&who));
    match a.accounts.revoke_token(path.into_inner(), &who.name) {
        Ok(true) => redirect("/admin/accounts"),
        Ok(false) => HttpResponse::NotFound().content_type("text/plain").body("no such active token\n"),
        Err(e) => internal(e),
    }
}

pub async fn static_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../../../www/admin/admin.css"))
}

fn latest_checkpoint(state: &AppState, site: &str) -> Option<(u64, String, String)> {
    let key = state.ingest.writer.verifier();
    let db =
        rusqlite::Connection::open_with_flags(state.ingest.store.path(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    let note: String = db
        .query_row("SELECT note FROM checkpoints WHERE site = ?1 ORDER BY id DESC LIMIT 1", [site], |r| r.get(0))
        .ok()?;
    let cp = key.verify(&note).ok()?;
    Some((cp.size, hex::encode(cp.root), cp.time))
}

pub async fn export_page(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let l = lang(&req);
    let latest = latest_checkpoint(&state, &site);
    html(
        StatusCode::OK,
        pages::export(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) }, cfg, latest, None),
    )
}

/// "Verify now": re-checks every stored record against its leaf and the log against its signed
/// checkpoints. It changes nothing in the log (only how far it is known to be verified), so an
/// auditor may run it; it is recorded in the audit trail.
pub async fn verify_now(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(check_csrf(&req, &who, &form.csrf));
    let site = path.into_inner();
    let cfg = tri!(site_config(&state, &site));
    let (db, key, s2) = (state.ingest.store.path().to_owned(), state.ingest.writer.verifier().clone(), site.clone());
    let result = match web::block(move || crate::export::integrity::check(&db, &s2, &key)).await {
        Ok(r) => r.map(|i| i.to_string()),
        Err(e) => return internal(e),
    };
    let outcome = match &result {
        Ok(s) => format!("site {site}: intact, {s}"),
        Err(p) => format!("site {site}: DAMAGED, {p}"),
    };
    if let Err(e) = a.accounts.record(&who.name, "verify", &outcome) {
        return internal(e);
    }
    let l = lang(&req);
    let latest = latest_checkpoint(&state, &site);
    html(
        StatusCode::OK,
        pages::export(&Ctx { t: i18n::t(l), lang: l, actor: Some(&who), site: Some(&site) }, cfg, latest, Some(result)),
    )
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
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ExportForm>,
) -> HttpResponse {
    let a = admin(&state);
    let who = tri!(actor(&req, a));
    tri!(check_csrf(&req, &who, &form.csrf));
    let site = path.into_inner();
    tri!(site_config(&state, &site));
    let f = form.into_inner();
    let opt = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let (from, to) = (opt(f.from), opt(f.to));
    let st = state.clone();
    let (s2, accounts, by) = (site.clone(), a.accounts.clone(), who.name.clone());
    let made = web::block(move || -> Result<tempfile::NamedTempFile, String> {
        st.ingest.writer.checkpoint_now().map_err(|e| format!("cannot sign a checkpoint: {e}"))?;
        let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        let key = crate::export::signing_key(st.ingest.store.path()).map_err(|e| e.to_string())?;
        let summary =
            crate::export::run(st.ingest.store.path(), &s2, from.as_deref(), to.as_deref(), &key, file.path())
                .map_err(|e| e.to_string())?;
        accounts
            .record(&by, "export", &crate::export::describe(&s2, from.as_deref(), to.as_deref(), &summary))
            .map_err(|e| e.to_string())?;
        Ok(file)
    })
    .await;
    let file = match made {
        Ok(Ok(f)) => f,
        Ok(Err(e)) if e.starts_with('`') => {
            return HttpResponse::BadRequest().content_type("text/plain").body(format!("{e}\n"))
        }
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let len = file.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    let reader = match file.reopen() {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
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
    let day = crate::http::now_rfc3339()[..10].to_owned();
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"kelisim-{site}-{day}.zip\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .no_chunking(len)
        .streaming(stream)
}
