//! `GET /receipt/{site}/{consent_id}`: the receipt page in the visitor's language (`?lang=`,
//! else `Accept-Language`, else the site's default), with a strict CSP: no script at all.

use super::AppState;
use crate::ingest::IngestError;
use crate::log::proofs::{self, ConsentHistory};
use crate::problem::Problem;
use crate::receipt::{self, Page};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use kelisim_shared::lang::{self, Lang};

const CSP: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(serde::Deserialize)]
pub struct Query {
    lang: Option<String>,
}

/// The `Accept-Language` tags by descending q-value (RFC 9110 §12.5.4).
fn accepted_languages(header: Option<&str>) -> Vec<String> {
    let mut tags: Vec<(f32, usize, String)> = header
        .unwrap_or("")
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then(|| (q, i, tag.to_owned()))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter().map(|(_, _, t)| t).collect()
}

pub async fn page(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: web::Query<Query>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (site_id, consent_id) = path.into_inner();
    let site = state
        .ingest
        .sites()
        .get_shared(&site_id)
        .ok_or_else(|| Problem::from(IngestError::UnknownSite(site_id.clone())))?;
    if !kelisim_shared::is_uuid(&consent_id) {
        return Err(Problem::bad_request("the consent id must be a lowercase hyphenated UUID"));
    }
    let accepted = accepted_languages(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let lang: Lang = lang::choose(&site.config.languages, q.lang.as_deref(), None, accepted.iter().map(String::as_str));
    let store = state.ingest.store.clone();
    let (s, id) = (site_id.clone(), consent_id.clone());
    let history: ConsentHistory =
        web::block(move || proofs::consent_history(&store, &s, &id)).await.map_err(|_| {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", "retry later")
        })??;
    let ingest = state.ingest.clone();
    let config_of = move |v: &str| ingest.config(&site_id, v);
    let html = receipt::render(&Page {
        lang,
        config: &site.config,
        consent_id: &consent_id,
        origins: &site.policy.origins,
        history: &history,
        config_of: &config_of,
    });
    let status = if history.events.is_empty() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header(("x-frame-options", "DENY"))
        .body(html))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(receipt::STYLESHEET)
}

#[cfg(test)]
mod tests {
    #[test]
    fn accept_language_is_ordered_by_quality() {
        assert_eq!(super::accepted_languages(Some("en;q=0.5, kk-KZ, ru;q=0.8")), ["kk-KZ", "ru", "en"]);
        assert_eq!(super::accepted_languages(Some("de;q=0, ru")), ["ru"]);
        assert!(super::accepted_languages(None).is_empty());
    }
}
