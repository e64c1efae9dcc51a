//! What browsers get that is not the API: the loader (`/kelisim.js`), the hashed widget files,
//! and in demo mode the demo pages.

use super::problem::Problem;
use super::AppState;
use crate::sites::Sites;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/widget-dist/"]
struct WidgetDist;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../www/demo/"]
struct DemoPages;

/// The loader, rendered once at start: the template from the widget build with the hashed
/// asset names and, per site, the consent scope and term, so that on a return visit the
/// loader can tell whether the stored decision still stands without fetching the config.
pub struct Loader {
    pub body: String,
    pub etag: String,
}

#[derive(serde::Deserialize)]
struct Manifest {
    glue: String,
    wasm: String,
}

impl Loader {
    pub fn render(sites: &Sites) -> Option<Loader> {
        let template = WidgetDist::get("loader.js")?;
        let manifest: Manifest = serde_json::from_slice(&WidgetDist::get("manifest.json")?.data).ok()?;
        let table: serde_json::Map<String, serde_json::Value> = sites
            .iter()
            .map(|s| (s.config.site.clone(), serde_json::json!([s.config.scope, s.config.consent_days, s.config.floating_button])))
            .collect();
        let boot = serde_json::json!({
            "glue": format!("/widget/{}", manifest.glue),
            "wasm": format!("/widget/{}", manifest.wasm),
            "sites": table,
        });
        let body = String::from_utf8_lossy(&template.data).replace("__KELISIM_BOOT__", &boot.to_string());
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body.as_bytes()))[..32]);
        Some(Loader { body, etag })
    }
}

pub async fn loader(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let Some(loader) = &state.loader else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "widget-not-built",
            "Widget not built",
            "this server was built without the widget; build it with `cargo xtask build`",
        ));
    };
    let fresh = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(loader.etag.as_str());
    let mut resp = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    resp.insert_header((header::ETAG, loader.etag.clone()));
    // Short: the loader names the current widget build and site scopes.
    resp.insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    resp.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if fresh {
        return Ok(resp.finish());
    }
    Ok(resp.content_type("text/javascript; charset=utf-8").body(loader.body.clone()))
}

/// `/widget/<content-hash>.<ext>`: immutable, any origin may load it (it is public code).
pub async fn widget_file(path: web::Path<String>) -> Result<HttpResponse, Problem> {
    let name = path.into_inner();
    let file = WidgetDist::get(&format!("widget/{name}")).ok_or_else(|| Problem::not_found(format!("no widget file {name}")))?;
    Ok(HttpResponse::Ok()
        .content_type(mime_for(&name))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(file.data.into_owned()))
}

/// Demo pages (`serve --demo`): plausible pages of the five demo sites.
pub async fn demo_file(path: web::Path<String>) -> Result<HttpResponse, Problem> {
    let mut name = path.into_inner();
    if name.is_empty() || name.ends_with('/') {
        name.push_str("index.html");
    }
    let file = DemoPages::get(&name)
        .or_else(|| DemoPages::get(&format!("{name}/index.html")))
        .ok_or_else(|| Problem::not_found(format!("no demo page {name}")))?;
    if !name.contains('.') {
        // `/demo/webpulse` → `/demo/webpulse/` so relative links work.
        return Ok(HttpResponse::MovedPermanently().insert_header((header::LOCATION, format!("/demo/{name}/"))).finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(mime_for(&name))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(file.data.into_owned()))
}

fn mime_for(name: &str) -> String {
    match name.rsplit('.').next() {
        Some("wasm") => "application/wasm".into(),
        Some("js") => "text/javascript; charset=utf-8".into(),
        Some("html") => "text/html; charset=utf-8".into(),
        Some("css") => "text/css; charset=utf-8".into(),
        _ => mime_guess::from_path(name).first_or_octet_stream().to_string(),
    }
}
