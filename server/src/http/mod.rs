//! The HTTP side (infra): actix-web app, routes, headers. Handlers stay thin; the rules live
//! in `ingest`, `store` and `kelisim-shared`.

mod api;
mod assets;
mod log_api;
mod problem;
mod ratelimit;
mod receipt;

use crate::ingest::Ingest;
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpServer};
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;

pub struct AppState {
    pub ingest: Arc<Ingest>,
    pub loader: Option<assets::Loader>,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
    /// The dashboard (accounts, sessions, log queries).
    pub admin: Option<crate::admin::Admin>,
    pub rate_limit: Option<ratelimit::RateLimiter>,
}

impl AppState {
    /// The visitor's address: the TCP peer's, or with `--trust-proxy` the one the reverse proxy
    /// appended to `X-Forwarded-For`. Only the rightmost entry of the last such header is the
    /// proxy's own word: entries left of it are whatever the client sent, and taking one of
    /// those would let anyone pick the address that is stored and rate-limited.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        if self.trust_proxy {
            if let Some(ip) = rightmost_forwarded_for(req) {
                return Some(ip);
            }
        } else if req.headers().contains_key("x-forwarded-for") {
            warn_forwarded_without_trust();
        }
        req.peer_addr().map(|a| a.ip())
    }
}

fn rightmost_forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let last = req.headers().get_all("x-forwarded-for").last()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// Once per process: a reverse proxy is probably in front, and without `--trust-proxy` every
/// visitor gets the proxy's address — one rate limit for all, and a meaningless stored IP.
fn warn_forwarded_without_trust() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "a request came with X-Forwarded-For but kelisim runs without --trust-proxy: behind a reverse proxy, \
             every visitor gets the proxy's address and shares one rate limit (start with --trust-proxy)"
        );
    }
}

/// RFC 3339 UTC with milliseconds (what the log writes; see `crate::clock`).
pub use crate::clock::now_rfc3339;

pub struct ServeOptions {
    pub listener: TcpListener,
    pub admin: crate::admin::Admin,
    pub demo: bool,
    pub trust_proxy: bool,
    /// Consent POSTs per second per client address (0: no limit), and the burst allowed.
    pub rate_limit: u32,
    pub rate_burst: u32,
}

pub async fn serve(ingest: Arc<Ingest>, opts: ServeOptions) -> std::io::Result<()> {
    let loader = assets::Loader::render(&ingest.sites);
    if loader.is_none() {
        tracing::warn!("the widget is not built into this binary: /kelisim.js will answer 503 (run `cargo xtask build`)");
    }
    let rate_limit = ratelimit::RateLimiter::new(opts.rate_limit, opts.rate_burst);
    let state =
        web::Data::new(AppState { ingest, loader, trust_proxy: opts.trust_proxy, admin: Some(opts.admin), rate_limit });
    let demo = opts.demo;
    HttpServer::new(move || {
        let api_headers = || DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"));
        let mut rest = web::scope("")
            // Everything but the consent POST: pages, scripts and JSON worth compressing.
            .wrap(Compress::default())
            .service(
                web::scope("/api/v1")
                    .wrap(api_headers())
                    .route("/log/key", web::get().to(log_api::key))
                    .service(
                        web::scope("/sites/{site}")
                            .route("/config", web::get().to(api::config))
                            .route("/widget", web::get().to(api::widget))
                            .route("/consents/{consent_id}", web::get().to(log_api::history))
                            .route("/log/checkpoint", web::get().to(log_api::checkpoint))
                            .route("/log/consistency", web::get().to(log_api::consistency)),
                    ),
            )
            .route("/kelisim.js", web::get().to(assets::loader))
            .route("/widget/{name}", web::get().to(assets::widget_file))
            .route("/healthz", web::get().to(api::healthz))
            .configure(crate::admin::routes)
            .route("/metrics", web::get().to(api::metrics))
            .route("/receipt/{site}/{consent_id}", web::get().to(receipt::page))
            .route("/receipt.css", web::get().to(receipt::stylesheet));
        if demo {
            rest = rest.route("/demo/{path:.*}", web::get().to(assets::demo_file)).route(
                "/",
                web::get().to(|| async { actix_web::HttpResponse::Found().insert_header((header::LOCATION, "/demo/")).finish() }),
            );
        }
        App::new()
            .app_data(state.clone())
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin")),
            )
            // The consent POST first: actix tries routes in order, so the hot path costs one
            // pattern match. And outside `Compress`: its answer is a ~200-byte receipt, and
            // compressing that for a browser's `Accept-Encoding` cost a third of the server's
            // consent throughput (docs/BENCHMARKS.md, "Server").
            .service(
                web::resource("/api/v1/sites/{site}/consents")
                    .wrap(api_headers())
                    .route(web::post().to(api::post_consent))
                    .route(web::method(actix_web::http::Method::OPTIONS).to(api::consents_preflight))
                    .default_service(web::to(|| async {
                        Err::<actix_web::HttpResponse, _>(problem::Problem::method_not_allowed("POST, OPTIONS"))
                    })),
            )
            .service(rest)
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(problem::Problem::not_found("no such resource")) }))
    })
    .listen(opts.listener)?
    .run()
    .await
}
