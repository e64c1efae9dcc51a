//! Errors as RFC 9457 `application/problem+json`, mapped in one place.

use crate::ingest::IngestError;
use crate::metrics::Reject;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// Why a consent POST was refused, for `kelisim_rejects_total`.
    #[serde(skip)]
    pub reject: Option<Reject>,
    /// The methods a `405` names in `Allow`.
    #[serde(skip)]
    pub allow: Option<&'static str>,
    /// An extension member: each problem of an invalid site policy file (`422`), with its line,
    /// column and field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Box<serde_json::Value>>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://kelisim.kz/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            retry_after: None,
            reject: None,
            allow: None,
            errors: None,
        }
    }
    pub fn counted(mut self, why: Reject) -> Problem {
        self.reject = Some(why);
        self
    }
    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request", detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }
    pub fn method_not_allowed(allow: &'static str) -> Problem {
        let mut p = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("this resource answers {allow}"),
        );
        p.allow = Some(allow);
        p
    }
    /// The request body did not arrive whole within `--body-timeout`.
    pub fn request_timeout() -> Problem {
        Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "Request timeout",
            "the request body did not arrive in time",
        )
    }
    pub fn unsupported_media_type(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type", detail)
    }
    pub fn too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
            format!("the body must be at most {limit} bytes"),
        )
        .counted(Reject::TooLarge)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status_code());
        r.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        r.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(s) = self.retry_after {
            r.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if let Some(allow) = self.allow {
            r.insert_header((header::ALLOW, allow));
        }
        r.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl From<IngestError> for Problem {
    fn from(e: IngestError) -> Problem {
        let detail = e.to_string();
        match e {
            IngestError::UnknownSite(_) => {
                Problem::new(StatusCode::NOT_FOUND, "unknown-site", "Unknown site", detail).counted(Reject::UnknownSite)
            }
            IngestError::OriginNotAllowed(_) | IngestError::NoOrigin => {
                Problem::new(StatusCode::FORBIDDEN, "origin-not-allowed", "Origin not allowed", detail)
                    .counted(Reject::Origin)
            }
            IngestError::Malformed(_) => {
                Problem::new(StatusCode::BAD_REQUEST, "malformed", "Malformed consent event", detail)
                    .counted(Reject::Malformed)
            }
            IngestError::Invalid(_) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid", "Invalid consent event", detail)
                    .counted(Reject::Invalid)
            }
            IngestError::UnknownConfigVersion(_) => {
                Problem::new(StatusCode::CONFLICT, "unknown-config-version", "Unknown config version", detail)
                    .counted(Reject::UnknownConfigVersion)
            }
            IngestError::Overloaded => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "Consent log busy", detail)
                    .counted(Reject::Overloaded)
                    .retry_after(1)
            }
            IngestError::Store(e) => Problem::from(e).counted(Reject::Storage),
        }
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Problem {
        // The detail may hold SQL; it goes to the server log, not to the client.
        tracing::error!(error = %e, "a database operation failed");
        if e.is_unavailable() {
            // The database is away (PostgreSQL restarting or failing over): nothing was
            // committed, and the widget's retry will find it back.
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the database is not reachable; retry later",
            )
            .retry_after(1);
        }
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage",
            "Storage error",
            "the database could not be used; retry later",
        )
    }
}
