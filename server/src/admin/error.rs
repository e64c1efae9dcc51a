//! What can go wrong on the admin side, as one type: each handler returns
//! `Result<HttpResponse, AdminError>` and the error becomes a response only here, at the edge.
//!
//! An API client (a request to `/admin/api/…` or one with `Authorization`) gets an RFC 9457
//! `application/problem+json` answer ([`ResponseError`]); a person in the dashboard gets a page
//! in their language, or the login page when not signed in ([`pages_for_people`], the scope's
//! middleware). Internal errors are logged once, with their cause, and never shown.

use crate::export::ExportError;
use crate::problem::Problem;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::auth::AuthError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No session or bearer token, or one that is no longer valid (the reason).
    #[error("{0}")]
    SignIn(&'static str),
    /// A state change without the session's CSRF token, or posted from another site.
    #[error("{0}")]
    Csrf(&'static str),
    /// The auditor role reads and exports; it changes nothing.
    #[error("the auditor role can read and export, not change anything")]
    ReadOnly,
    #[error("no such {0}")]
    NotFound(Missing),
    /// A request the dashboard's own forms never send (a role that does not exist, a date
    /// that is not one).
    #[error("{0}")]
    BadRequest(String),
    /// A site policy file that `site check` would refuse: each problem with line and field.
    #[error("the site policy file is not valid:\n{0}")]
    InvalidPolicy(kelisim_shared::policy::PolicyErrors),
    /// The request cannot be carried out in the state things are in (what is wrong).
    #[error("{0}")]
    Conflict(String),
    /// Anything else: a database, file or task failure. Logged, never shown.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// What a `404` did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Site,
    ConfigVersion,
    ActiveToken,
    Page,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Missing::Site => "site",
            Missing::ConfigVersion => "config version",
            Missing::ActiveToken => "active token",
            Missing::Page => "page",
        })
    }
}

impl AdminError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AdminError {
        AdminError::Internal(e.into())
    }

    fn problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            AdminError::SignIn(_) => Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail),
            AdminError::Csrf(_) => Problem::new(StatusCode::FORBIDDEN, "csrf", "Forbidden", detail),
            AdminError::ReadOnly => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail),
            AdminError::NotFound(_) => Problem::not_found(detail),
            AdminError::BadRequest(_) => Problem::bad_request(detail),
            AdminError::InvalidPolicy(errors) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-site-policy",
                    "Invalid site policy file",
                    detail,
                );
                p.errors = Some(Box::new(serde_json::Value::Array(
                    errors
                        .0
                        .iter()
                        .map(|e| {
                            serde_json::json!({"line": e.line, "column": e.column, "field": e.field, "message": e.message})
                        })
                        .collect(),
                )));
                p
            }
            AdminError::Conflict(_) => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail),
            AdminError::Internal(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the server could not answer; its log says why",
            ),
        }
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let AdminError::Internal(e) = self {
            // The cause names a database or file problem, never a visitor's data.
            tracing::error!(error = %e, "dashboard error");
        }
        let mut r = self.problem().error_response();
        if matches!(self, AdminError::SignIn(_)) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        r
    }
}

impl From<AuthError> for AdminError {
    fn from(e: AuthError) -> AdminError {
        AdminError::internal(e)
    }
}

impl From<crate::store::StoreError> for AdminError {
    fn from(e: crate::store::StoreError) -> AdminError {
        AdminError::internal(e)
    }
}

impl From<std::io::Error> for AdminError {
    fn from(e: std::io::Error) -> AdminError {
        AdminError::internal(e)
    }
}

impl From<actix_web::error::BlockingError> for AdminError {
    fn from(e: actix_web::error::BlockingError) -> AdminError {
        AdminError::internal(e.to_string())
    }
}

impl From<crate::import::ImportError> for AdminError {
    fn from(e: crate::import::ImportError) -> AdminError {
        AdminError::internal(e)
    }
}

impl From<ExportError> for AdminError {
    /// A range the log cannot export is the request's fault; the rest is the server's.
    fn from(e: ExportError) -> AdminError {
        match e {
            ExportError::BadDate(_) | ExportError::UnknownSite(_) | ExportError::NoCheckpoint(_) => {
                AdminError::BadRequest(e.to_string())
            }
            e => AdminError::internal(e),
        }
    }
}

/// Runs blocking work (SQLite, argon2, files) on actix's blocking pool, never on the async
/// workers that answer consent POSTs.
pub async fn blocking<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, AdminError>
where
    T: Send + 'static,
    E: Into<AdminError> + Send + 'static,
{
    actix_web::web::block(f).await?.map_err(Into::into)
}

/// Whether the request is an API client's, which gets problem+json rather than pages.
pub fn is_api(req: &HttpRequest) -> bool {
    req.headers().contains_key(header::AUTHORIZATION) || req.path().starts_with("/admin/api/")
}

/// Middleware of the `/admin` scope: for a person in the dashboard, an [`AdminError`] becomes
/// the login page (not signed in) or an error page in the dashboard's language with the same
/// status; API clients keep the problem+json answer.
pub async fn pages_for_people(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let api = is_api(req.request());
    let res = next.call(req).await?.map_into_boxed_body();
    if api {
        return Ok(res);
    }
    let Some(e) = res.response().error().and_then(|e| e.as_error::<AdminError>()) else {
        return Ok(res);
    };
    let page = match e {
        AdminError::SignIn(_) => super::http::redirect("/admin/login"),
        e => {
            let l = super::http::lang(res.request());
            super::http::html(e.status_code(), super::pages::error(l, e))
        }
    };
    Ok(res.into_response(page))
}
