//! The admin side (README, "Dashboard, accounts, audit export"; docs/api.md, "Admin API"):
//! accounts and sessions (`auth`), login limits (`limits`), what the dashboard reads
//! (`queries`), and its server-rendered pages (`pages`, `scan_page`, `charts`, `html`: maud
//! templates, which escape every value) in Russian, Kazakh and English (`i18n`). The consent log
//! is only read here; every admin action is written to the append-only admin audit trail.

pub mod auth;
mod charts;
mod html;
pub mod http;
mod i18n;
pub mod limits;
mod pages;
pub mod queries;
mod scan_page;
mod workdays;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::web;
use std::path::Path;
use std::sync::Arc;

pub struct Admin {
    pub accounts: Arc<auth::Accounts>,
    pub dash: Arc<queries::Dashboard>,
    /// Login attempts per account and address, and the bound on concurrent password checks.
    pub limits: limits::LoginLimits,
}

impl Admin {
    pub fn open(db_file: &Path) -> Result<Admin, String> {
        Ok(Admin {
            accounts: Arc::new(auth::Accounts::open(db_file).map_err(|e| e.to_string())?),
            dash: Arc::new(queries::Dashboard::open(db_file).map_err(|e| e.to_string())?),
            limits: limits::LoginLimits::default(),
        })
    }
}

/// `/admin/…`: strict CSP (no script at all), no framing, nothing cached.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(
                DefaultHeaders::new()
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                    ))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            .route("/static/admin.css", web::get().to(http::static_css))
            .route("/login", web::get().to(http::login_page))
            .route("/login", web::post().to(http::login))
            .route("/logout", web::post().to(http::logout))
            .route("/lang", web::get().to(http::set_lang))
            .route("/", web::get().to(http::home))
            .route("", web::get().to(http::home))
            .route("/audit", web::get().to(http::audit))
            .route("/accounts", web::get().to(http::accounts))
            .route("/accounts", web::post().to(http::add_account))
            .route("/accounts/{name}/{to}", web::post().to(http::set_account))
            .route("/tokens/{id}/revoke", web::post().to(http::revoke_token))
            .route("/sites/{site}/", web::get().to(http::overview))
            .route("/sites/{site}/log", web::get().to(http::log))
            .route("/sites/{site}/withdrawals", web::get().to(http::withdrawals))
            .route("/sites/{site}/configs", web::get().to(http::configs))
            .route("/sites/{site}/configs/{version}", web::get().to(http::config_version))
            .route("/sites/{site}/scan", web::get().to(http::scan))
            .route("/sites/{site}/export", web::get().to(http::export_page))
            .route("/sites/{site}/export", web::post().to(http::export_bundle))
            .route("/sites/{site}/verify", web::post().to(http::verify_now))
            .route("/api/sites/{site}/events", web::get().to(http::api_events)),
    );
}
