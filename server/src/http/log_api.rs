//! The log's public face: the checkpoint key, the latest signed checkpoint, consistency proofs
//! between signed sizes, and a consent id's history with inclusion proofs (docs/api.md, "The
//! signed log"). Thin: the proofs are built in `crate::log::proofs`.

use super::AppState;
use crate::ingest::IngestError;
use crate::log::proofs::{self, ConsistencyError};
use crate::problem::Problem;
use crate::store::read::StoredCheckpoint;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub fn checkpoint_json(cp: &StoredCheckpoint) -> Value {
    json!({
        "origin": cp.note.lines().next().unwrap_or_default(),
        "tree_size": cp.tree_size,
        "root_hash": hex::encode(cp.root),
        "signed_at": cp.signed_at,
        "key_id": cp.key_id,
        "note": cp.note,
    })
}

fn json_response(req: &HttpRequest, state: &AppState, site: Option<&str>, body: Value) -> HttpResponse {
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CACHE_CONTROL, "no-cache"));
    resp.insert_header((header::VARY, "Origin"));
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match site {
        Some(s) => origin.filter(|o| state.ingest.sites().get(s).is_some_and(|s| s.allows_origin(o))),
        None => None,
    };
    if let Some(o) = allowed {
        resp.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, o));
    }
    resp.json(body)
}

fn known_site(state: &AppState, site: &str) -> Result<(), Problem> {
    match state.ingest.sites().get(site) {
        Some(_) => Ok(()),
        None => Err(IngestError::UnknownSite(site.to_owned()).into()),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Problem> + Send + 'static) -> Result<T, Problem> {
    web::block(f).await.map_err(|_| {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", "retry later")
    })?
}

/// `GET /api/v1/log/key`: the Ed25519 key that signs every checkpoint of this server.
pub async fn key(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let v = state.ingest.writer.verifier();
    let body = json!({
        "name": v.name(),
        "key_id": v.key_id_hex(),
        "algorithm": "Ed25519",
        "public_key": hex::encode(v.public_key()),
        "verifier_key": v.to_text(),
    });
    let mut r = json_response(&req, &state, None, body);
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    r
}

/// `GET /api/v1/sites/{site}/log/checkpoint`: the latest signed checkpoint.
pub async fn checkpoint(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let site = path.into_inner();
    known_site(&state, &site)?;
    let store = state.ingest.store.clone();
    let s = site.clone();
    let cp = blocking(move || Ok(store.read(|r| r.latest_checkpoint(&s))?)).await?;
    let cp = cp.ok_or_else(|| Problem::not_found(format!("site `{site}` has no signed checkpoint yet")))?;
    Ok(json_response(&req, &state, Some(&site), checkpoint_json(&cp)))
}

#[derive(serde::Deserialize)]
pub struct Sizes {
    from: u64,
    to: u64,
}

/// `GET /api/v1/sites/{site}/log/consistency?from=M&to=N`: RFC 6962 consistency proof between
/// two signed tree sizes.
pub async fn consistency(
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<Sizes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let site = path.into_inner();
    known_site(&state, &site)?;
    let (from, to) = (q.from, q.to);
    let store = state.ingest.store.clone();
    let s = site.clone();
    let (a, b, proof) = blocking(move || {
        proofs::consistency(&store, &s, from, to).map_err(|e| match e {
            ConsistencyError::Order { .. } => Problem::bad_request(e.to_string()),
            ConsistencyError::NotSigned(_) => Problem::not_found(e.to_string()),
            ConsistencyError::Store(e) => e.into(),
        })
    })
    .await?;
    let body = json!({
        "from": checkpoint_json(&a),
        "to": checkpoint_json(&b),
        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    });
    Ok(json_response(&req, &state, Some(&site), body))
}

/// `GET /api/v1/sites/{site}/consents/{consent_id}`: the consent id's history, each record
/// with its inclusion proof against the latest checkpoint (Art. 24 p.1(1): the subject may
/// learn what is processed; Art. 8 p.1: the receipt of consent can be confirmed).
pub async fn history(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (site, consent_id) = path.into_inner();
    known_site(&state, &site)?;
    if !kelisim_shared::is_uuid(&consent_id) {
        return Err(Problem::bad_request("the consent id must be a lowercase hyphenated UUID"));
    }
    let store = state.ingest.store.clone();
    let (s, id) = (site.clone(), consent_id.clone());
    let h = blocking(move || Ok(proofs::consent_history(&store, &s, &id)?)).await?;
    if h.events.is_empty() {
        return Err(Problem::not_found("no decision is logged under this consent id"));
    }
    let events: Vec<Value> = h
        .events
        .iter()
        .map(|p| {
            let e = &p.event;
            json!({
                "seq": e.seq,
                "leaf_index": e.seq - 1,
                "receipt_id": e.receipt_id,
                "recorded_at": e.recorded_at,
                "action": e.action,
                "granted": e.granted,
                "language": e.language,
                "config_version": e.config_version,
                "gpc": e.gpc,
                "leaf_hash": hex::encode(e.leaf_hash),
                "inclusion_proof": p.proof.as_ref().map(|p| p.iter().map(hex::encode).collect::<Vec<_>>()),
                // Checked by the server: the record matches its leaf and the proof the checkpoint.
                "verified": p.verified,
                "purged": e.purged,
                "problem": e.problem,
            })
        })
        .collect();
    let body = json!({
        "site": site,
        "consent_id": consent_id,
        "checkpoint": h.checkpoint.as_ref().map(checkpoint_json),
        "verifier_key": state.ingest.writer.verifier().to_text(),
        "events": events,
    });
    Ok(json_response(&req, &state, Some(&site), body))
}
