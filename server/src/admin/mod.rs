//! The admin side (README, "Dashboard, accounts, audit export"; docs/api.md, "Admin API"):
//! accounts and sessions (`auth`), login limits (`limits`), what the dashboard reads
//! (`queries`), and its server-rendered pages (`pages`, `scan_page`, `charts`, `html`: maud
//! templates, which escape every value) in Russian, Kazakh and English (`i18n`); its errors in
//! `error`. The consent log is read here (and a checkpoint signed before an export); every admin
//! action is written to the append-only admin audit trail.

pub mod auth;
mod charts;
mod editor;
pub mod error;
mod html;
pub mod http;
mod i18n;
pub mod limits;
mod new_site;
mod overview;
mod pages;
mod policy;
mod preview;
pub mod queries;
pub mod scan_page;
mod site_check;
mod versions_page;
mod workdays;

use crate::ingest::Ingest;
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::web;
use std::sync::Arc;

/// The admin side's state (`web::Data<Admin>`, its own, beside the consent API's).
pub struct Admin {
    pub accounts: Arc<auth::Accounts>,
    pub dash: Arc<queries::Dashboard>,
    /// Login attempts per account and address, and the bound on concurrent password checks.
    pub limits: limits::LoginLimits,
    /// The sites, the store and the log writer (for checkpoints, exports and "Verify now").
    pub ingest: Arc<Ingest>,
    /// Take a client's address from `X-Forwarded-For` (`serve --trust-proxy`), for login limits.
    pub trust_proxy: bool,
    /// The widget's host bundle and module as served (`/widget/…`), for the live preview;
    /// `None` in a server built without the widget.
    pub widget: Option<(String, String)>,
    /// Scans the dashboard starts (the Install page's "Check my site"), one at a time.
    pub scans: Arc<crate::scan::jobs::Jobs>,
}

impl Admin {
    /// The admin side over the database at `loc` (the server's own: its accounts, the
    /// dashboard's reads and the scans, each opened once: on PostgreSQL each is a pool). The
    /// dashboard looks through at most `scan_window` records per page of a filtered log
    /// (`queries::SCAN`, less in tests); its scans run with `chromium` (`serve --chromium`).
    pub fn open(
        ingest: Arc<Ingest>,
        loc: &crate::store::Location,
        trust_proxy: bool,
        scan_window: i64,
        chromium: Option<std::path::PathBuf>,
    ) -> Result<Admin, auth::AuthError> {
        let scans = crate::store::scans::open_scans(loc)?;
        Ok(Admin {
            accounts: Arc::new(auth::Accounts::open(loc)?),
            dash: Arc::new(queries::Dashboard::open(loc, scans.clone())?.scanning(scan_window)),
            limits: limits::LoginLimits::default(),
            ingest,
            trust_proxy,
            widget: None,
            scans: Arc::new(crate::scan::jobs::Jobs::new(scans, chromium)),
        })
    }
}

/// `/admin/…`: strict CSP (no script at all — the editors with a live preview allow their own
/// `preview.js` and frame, `preview::EDITOR_CSP`), no framing, nothing cached.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(error::pages_for_people))
            .wrap(
                DefaultHeaders::new()
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                    ))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            .route("/static/admin.css", web::get().to(http::static_css))
            .route("/static/preview.js", web::get().to(preview::script))
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
            // The form reads its own body: a policy's text (1 MiB) or file (5 MiB), new_site.rs.
            .service(
                web::resource("/sites/new")
                    .route(web::get().to(new_site::page))
                    .route(web::post().to(new_site::form)),
            )
            .route("/sites/{site}/", web::get().to(overview::page_handler))
            .route("/sites/{site}/overview.csv", web::get().to(overview::csv_handler))
            .route("/sites/{site}/log", web::get().to(http::log))
            .route("/sites/{site}/withdrawals", web::get().to(http::withdrawals))
            .route("/sites/{site}/configs", web::get().to(http::configs))
            .route("/sites/{site}/configs/{version}", web::get().to(http::config_version))
            .route("/sites/{site}/configs/{version}/preview", web::get().to(preview::stored))
            .route("/sites/{site}/compare", web::get().to(http::compare))
            .route("/sites/{site}/scan", web::get().to(scan_page::page_handler))
            .route("/sites/{site}/scan/now", web::post().to(scan_page::scan_now))
            .route("/sites/{site}/scan/schedule", web::post().to(scan_page::set_schedule))
            .route("/sites/{site}/install", web::get().to(http::install))
            .route("/sites/{site}/install/check", web::post().to(site_check::start))
            .service(
                web::resource("/sites/{site}/policy")
                    .app_data(web::PayloadConfig::new(1 << 20))
                    .route(web::get().to(policy::page))
                    .route(web::post().to(policy::form)),
            )
            .service(
                web::resource("/sites/{site}/edit")
                    .app_data(web::PayloadConfig::new(1 << 20))
                    .route(web::get().to(editor::page))
                    .route(web::post().to(editor::form)),
            )
            .service(
                web::resource("/sites/{site}/preview")
                    .app_data(web::PayloadConfig::new(1 << 20))
                    .route(web::get().to(preview::published))
                    .route(web::post().to(preview::draft)),
            )
            .route("/sites/{site}/export", web::get().to(http::export_page))
            .route("/sites/{site}/export", web::post().to(http::export_bundle))
            .route("/sites/{site}/verify", web::post().to(http::verify_now))
            .route("/api/sites/{site}/events", web::get().to(http::api_events))
            .route("/api/sites/{site}/policy", web::get().to(policy::get))
            .route("/api/sites/{site}/policy", web::put().to(policy::put))
            .route("/api/sites/{site}/preview", web::post().to(policy::preview)),
    );
}
