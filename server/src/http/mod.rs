//! The HTTP side (infra): actix-web app, routes, headers. Handlers stay thin; the rules live
//! in `ingest`, `store` and `kelisim-shared`.

mod api;
pub mod assets;
mod limits;
mod log_api;
mod ratelimit;
mod receipt;

use crate::ingest::Ingest;
use crate::problem::{self, Problem};
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpServer};
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

pub struct AppState {
    pub ingest: Arc<Ingest>,
    /// The loader script for the sites of one generation (`Ingest::generation`), rebuilt on the
    /// first request after the sites changed; `None` inside when the widget is not built in.
    loader: std::sync::RwLock<(u64, Option<Arc<assets::Loader>>)>,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
    pub rate_limit: Option<ratelimit::RateLimiter>,
}

impl AppState {
    /// The loader of the sites served now.
    pub fn loader(&self) -> Option<Arc<assets::Loader>> {
        let generation = self.ingest.generation();
        {
            let cached = self.loader.read().unwrap_or_else(|e| e.into_inner());
            if cached.0 == generation {
                return cached.1.clone();
            }
        }
        let fresh = assets::Loader::render(&self.ingest.sites()).map(Arc::new);
        *self.loader.write().unwrap_or_else(|e| e.into_inner()) = (generation, fresh.clone());
        fresh
    }

    /// The visitor's address (`crate::peer`).
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        crate::peer::client_ip(req, self.trust_proxy)
    }
}

pub struct ServeOptions {
    pub listener: TcpListener,
    pub admin: crate::admin::Admin,
    pub demo: bool,
    pub trust_proxy: bool,
    /// Consent POSTs per second per client address (0: no limit), and the burst allowed.
    pub rate_limit: u32,
    pub rate_burst: u32,
    pub limits: Limits,
}

/// What one client may hold of the server (`serve --body-timeout`, `--keep-alive`,
/// `--connections-per-address`; docs/api.md, "Limits").
pub struct Limits {
    /// How long a request body may take to arrive whole, from the end of its headers.
    pub body_timeout: Duration,
    /// How long an idle keep-alive connection is kept.
    pub keep_alive: Duration,
    /// Connections one client address may hold open (0: no cap); behind `--trust-proxy`, the
    /// requests in flight of one forwarded client address instead.
    pub connections_per_address: u32,
}

/// Headers (the request line and every header) must arrive within this of the connection's
/// first byte (actix's `client_request_timeout`).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// A resource that answers `GET` (and `HEAD`) with `handler`, and any other method with a `405`
/// problem naming them.
fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path).route(web::get().to(handler.clone())).route(web::head().to(handler)).default_service(web::to(
        || async { Err::<actix_web::HttpResponse, _>(Problem::method_not_allowed("GET, HEAD")) },
    ))
}

/// The extractors' own errors (a query, form, JSON body or path that does not parse) as
/// problems, like every other error; their default is a `text/plain` line.
fn extractor_errors(cfg: &mut web::ServiceConfig) {
    use actix_web::error::{JsonPayloadError, UrlencodedError};
    fn payload(e: &actix_web::error::PayloadError) -> Problem {
        if limits::is_late(e) {
            Problem::request_timeout()
        } else {
            Problem::bad_request(format!("the body could not be read: {e}"))
        }
    }
    cfg.app_data(
        web::QueryConfig::default().error_handler(|e, _| Problem::bad_request(format!("query string: {e}")).into()),
    )
    .app_data(
        web::PathConfig::default().error_handler(|e, _| Problem::not_found(format!("no such resource: {e}")).into()),
    )
    .app_data(web::FormConfig::default().error_handler(|e, _| {
        match &e {
            UrlencodedError::ContentType => {
                Problem::unsupported_media_type("send the form as application/x-www-form-urlencoded")
            }
            UrlencodedError::Overflow { limit, .. } => Problem::too_large(*limit),
            UrlencodedError::Payload(p) => payload(p),
            _ => Problem::bad_request(format!("form: {e}")),
        }
        .into()
    }))
    .app_data(web::JsonConfig::default().error_handler(|e, _| {
        match &e {
            JsonPayloadError::ContentType => Problem::unsupported_media_type("send the body as application/json"),
            JsonPayloadError::OverflowKnownLength { limit, .. } | JsonPayloadError::Overflow { limit } => {
                Problem::too_large(*limit)
            }
            JsonPayloadError::Payload(p) => payload(p),
            _ => Problem::bad_request(format!("JSON body: {e}")),
        }
        .into()
    }));
}

pub async fn serve(ingest: Arc<Ingest>, opts: ServeOptions) -> std::io::Result<()> {
    let loader = assets::Loader::render(&ingest.sites()).map(Arc::new);
    if loader.is_none() {
        tracing::warn!(
            "the widget is not built into this binary: /kelisim.js will answer 503 (run `cargo xtask build`)"
        );
    }
    let rate_limit = ratelimit::RateLimiter::new(opts.rate_limit, opts.rate_burst);
    // Directly, every connection is its client's: the cap is on connections per peer address.
    // Behind a proxy every connection is the proxy's: the cap is on the requests in flight of
    // each forwarded client address (the proxy should cap connections per client itself).
    let per_address = limits::PerAddress::new(opts.limits.connections_per_address);
    let (connections, per_client) = if opts.trust_proxy { (None, per_address) } else { (per_address, None) };
    let body_timeout = opts.limits.body_timeout;
    let state = web::Data::new(AppState {
        loader: std::sync::RwLock::new((ingest.generation(), loader)),
        ingest,
        trust_proxy: opts.trust_proxy,
        rate_limit,
    });
    let admin = web::Data::new(opts.admin);
    let demo = opts.demo;
    HttpServer::new(move || {
        let api_headers = || {
            DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"))
        };
        let mut rest = web::scope("")
            // Everything but the consent POST: pages, scripts and JSON worth compressing.
            .wrap(Compress::default())
            .service(
                web::scope("/api/v1").wrap(api_headers()).service(get("/log/key", log_api::key)).service(
                    web::scope("/sites/{site}")
                        .service(get("/config", api::config))
                        .service(get("/widget", api::widget))
                        .service(get("/consents/{consent_id}", log_api::history))
                        .service(get("/log/checkpoint", log_api::checkpoint))
                        .service(get("/log/consistency", log_api::consistency)),
                ),
            )
            .service(get("/kelisim.js", assets::loader))
            .service(get("/widget/{name}", assets::widget_file))
            .service(get("/verify/{path:.*}", assets::verifier_file))
            .service(get("/verify", || async {
                actix_web::HttpResponse::MovedPermanently().insert_header((header::LOCATION, "/verify/")).finish()
            }))
            .service(get("/healthz", api::healthz))
            .configure(crate::admin::routes)
            .service(get("/metrics", api::metrics))
            .service(get("/receipt/{site}/{consent_id}", receipt::page))
            .service(get("/receipt.css", receipt::stylesheet));
        if demo {
            rest = rest.service(get("/demo/{path:.*}", assets::demo_file)).service(get("/", || async {
                actix_web::HttpResponse::Found().insert_header((header::LOCATION, "/demo/")).finish()
            }));
        }
        App::new()
            .app_data(state.clone())
            .app_data(admin.clone())
            .configure(extractor_errors)
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
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(problem::Problem::not_found("no such resource"))
            }))
            // Outermost: the body's clock starts as soon as its headers are read.
            .wrap(limits::BodyDeadline { timeout: body_timeout, per_client: per_client.clone() })
    })
    .client_request_timeout(HEADER_TIMEOUT)
    .keep_alive(opts.limits.keep_alive)
    .on_connect(limits::on_connect(connections))
    .listen(opts.listener)?
    .run()
    .await
}
