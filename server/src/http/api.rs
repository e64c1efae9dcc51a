//! The public HTTP API (docs/api.md): thin handlers that extract, call the domain, map errors.

use super::AppState;
use crate::ingest::{IngestError, RequestFacts};
use crate::log::{AppendResult, Mailbox};
use crate::metrics::Reject;
use crate::problem::Problem;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

/// Largest consent POST body accepted. A real event is ~400 bytes.
pub const MAX_BODY: usize = 8 * 1024;

/// How long a consent POST (and `/healthz`) waits for the log's database to confirm its write
/// before it is answered `503`. A commit takes milliseconds; one that takes this long is stuck:
/// a PostgreSQL primary waiting for a synchronous standby that is down (docs/deploy.md), a disk
/// that no longer answers. The write is not cancelled: if it commits later, the widget's retry of
/// the same event gets the same receipt (idempotency on consent_id and event_id), so nothing is
/// logged twice and nothing unconfirmed is acknowledged.
pub const COMMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The `503` of a write the database has not confirmed within [`COMMIT_WAIT`].
fn unconfirmed() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Service unavailable",
        "the log's database has not confirmed the write; send the same event again later (it is recorded once)",
    )
    .retry_after(5)
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// CORS headers for an allowed origin: only the site's own `origins` get them (docs/api.md).
fn cors(resp: &mut actix_web::HttpResponseBuilder, origin: &str) {
    resp.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin));
    resp.insert_header((header::VARY, "Origin"));
}

/// A site's JSON that browsers revalidate (`no-cache` + ETag → `304`), with CORS for the
/// site's own origins only.
fn site_json(req: &HttpRequest, site: &crate::sites::Site, etag: &str, body: &str) -> HttpResponse {
    let fresh = header_str(req, header::IF_NONE_MATCH).is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh { HttpResponse::build(StatusCode::NOT_MODIFIED) } else { HttpResponse::Ok() };
    resp.insert_header((header::ETAG, etag.to_owned()));
    resp.insert_header((header::CACHE_CONTROL, "no-cache"));
    resp.insert_header((header::VARY, "Origin"));
    if let Some(origin) = header_str(req, header::ORIGIN).filter(|o| site.allows_origin(o)) {
        cors(&mut resp, origin);
    }
    if fresh {
        return resp.finish();
    }
    resp.content_type("application/json").body(body.to_owned())
}

pub async fn config(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let site_id = path.into_inner();
    let site = state
        .ingest
        .sites()
        .get_shared(&site_id)
        .ok_or_else(|| Problem::from(IngestError::UnknownSite(site_id.clone())))?;
    Ok(site_json(&req, &site, &format!("\"{}\"", site.config.version), &site.config_json))
}

#[derive(serde::Deserialize)]
pub struct WidgetQuery {
    #[serde(default)]
    lang: String,
}

/// What the widget loads on a first visit: the facts it decides by and one language's markup
/// (`kelisim_shared::render::widget_json`), the language chosen from the visitor's tags.
pub async fn widget(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<WidgetQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let site_id = path.into_inner();
    let site = state
        .ingest
        .sites()
        .get_shared(&site_id)
        .ok_or_else(|| Problem::from(IngestError::UnknownSite(site_id.clone())))?;
    let (_, body, etag) = site.widget_for(query.lang.get(..256).unwrap_or(&query.lang));
    Ok(site_json(&req, &site, etag, body))
}

/// CORS preflight for the consent POST (a JSON content type is not a "simple" request).
pub async fn consents_preflight(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let site = path.into_inner();
    state.ingest.check_origin(&site, header_str(&req, header::ORIGIN))?;
    let mut resp = HttpResponse::NoContent();
    cors(&mut resp, header_str(&req, header::ORIGIN).unwrap_or_default());
    resp.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"));
    resp.insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"));
    resp.insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"));
    Ok(resp.finish())
}

thread_local! {
    static MAILBOX: std::cell::OnceCell<Mailbox> = const { std::cell::OnceCell::new() };
}

/// This worker thread's mailbox for log answers (see [`Mailbox`]): made with a task that hands
/// each answer to its waiting request, on this thread, at the first consent POST it serves.
fn mailbox() -> Mailbox {
    MAILBOX.with(|m| {
        m.get_or_init(|| {
            let (tx, mut rx) =
                tokio::sync::mpsc::unbounded_channel::<(tokio::sync::oneshot::Sender<AppendResult>, AppendResult)>();
            actix_web::rt::spawn(async move {
                while let Some((reply, result)) = rx.recv().await {
                    let _ = reply.send(result);
                }
            });
            tx
        })
        .clone()
    })
}

pub async fn post_consent(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let result = consent(req, path.into_inner(), payload, &state).await;
    if let Err(Problem { reject: Some(why), .. }) = &result {
        state.ingest.metrics.reject(*why);
    }
    result
}

async fn consent(
    req: HttpRequest,
    site: String,
    mut payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, Problem> {
    // Scheme and host are case-insensitive: checked, echoed and stored lowercased.
    let origin = header_str(&req, header::ORIGIN).map(str::to_ascii_lowercase);
    // 404 and 403 come before reading the body: a stranger learns nothing more.
    state.ingest.check_origin(&site, origin.as_deref())?;
    let peer_ip = state.client_ip(&req);
    if let (Some(limiter), Some(ip)) = (&state.rate_limit, peer_ip) {
        if let Err(wait) = limiter.check(ip) {
            return Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("too many consent events from this address; retry in {wait} s"),
            )
            .counted(Reject::RateLimited)
            .retry_after(wait));
        }
    }
    let ct = header_str(&req, header::CONTENT_TYPE).unwrap_or("").split(';').next().unwrap_or("").trim();
    if !(ct.eq_ignore_ascii_case("application/json") || ct.eq_ignore_ascii_case("text/plain")) {
        return Err(
            Problem::unsupported_media_type("send the event as application/json").counted(Reject::UnsupportedMediaType)
        );
    }
    if header_str(&req, header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| l > MAX_BODY) {
        return Err(Problem::too_large(MAX_BODY));
    }
    // A small body usually arrives as one chunk: kept as it is, copied only when it is not.
    let mut body = web::Bytes::new();
    let mut parts: Option<web::BytesMut> = None;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match super::limits::is_late(&e) {
            true => Problem::request_timeout(),
            false => Problem::new(StatusCode::BAD_REQUEST, "malformed", "Unreadable body", e.to_string()),
        })?;
        if body.len() + parts.as_ref().map_or(0, |p| p.len()) + chunk.len() > MAX_BODY {
            return Err(Problem::too_large(MAX_BODY));
        }
        match &mut parts {
            Some(p) => p.extend_from_slice(&chunk),
            None if body.is_empty() => body = chunk,
            None => {
                let mut p = web::BytesMut::from(&body[..]);
                p.extend_from_slice(&chunk);
                body = web::Bytes::new();
                parts = Some(p);
            }
        }
    }
    let body = parts.map_or(body, web::BytesMut::freeze);
    let facts = RequestFacts {
        origin: origin.clone(),
        peer_ip,
        user_agent: header_str(&req, header::USER_AGENT).map(str::to_owned),
        sec_gpc: req.headers().get("sec-gpc").is_some_and(|v| v.as_bytes() == b"1"),
    };
    // Validation is CPU only; the commit happens on the log writer thread, and this request is
    // answered only once the batch holding its event is on disk.
    let pending = state.ingest.submit(&site, &body, facts, Some(mailbox()))?;
    let (receipt, created) = actix_web::rt::time::timeout(COMMIT_WAIT, pending.committed())
        .await
        .map_err(|_| unconfirmed().counted(Reject::Unconfirmed))??;
    let mut resp = HttpResponse::build(if created { StatusCode::CREATED } else { StatusCode::OK });
    if let Some(o) = &origin {
        cors(&mut resp, o);
    }
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(resp.json(receipt))
}

/// `200` only when the log writer runs and the database takes a write; otherwise a `503` problem.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let unavailable = |why: &str| {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", why).retry_after(1)
    };
    match state.ingest.writer.ping() {
        Ok(rx) => match actix_web::rt::time::timeout(COMMIT_WAIT, rx)
            .await
            .map_err(|_| unavailable("the log's database has not confirmed a write within 10 s").retry_after(5))?
        {
            Ok(Ok(())) => Ok(HttpResponse::Ok().content_type("text/plain").body("ok\n")),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "health check: database not writable");
                Err(unavailable("database not writable"))
            }
            Err(_) => Err(unavailable("log writer stopped")),
        },
        Err(crate::log::SubmitError::Full) => Err(unavailable("busy")),
        Err(crate::log::SubmitError::Gone) => Err(unavailable("log writer stopped")),
    }
}

/// Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.ingest.metrics.render())
}
