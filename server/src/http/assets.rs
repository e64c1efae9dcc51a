//! What browsers get that is not the API: the loader (`/kelisim.js`), the hashed widget files,
//! the auditor's verifier (`/verify/`), and in demo mode the demo pages.

use super::AppState;
use crate::problem::Problem;
use crate::sites::Sites;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

/// A static asset with its brotli (quality 11) and gzip (level 9) encodings, made once at start:
/// every visitor downloads the widget, so it gets the smallest encoding, at no CPU per request.
pub struct Encoded {
    pub identity: Vec<u8>,
    pub br: Vec<u8>,
    pub gzip: Vec<u8>,
}

impl Encoded {
    pub fn new(identity: Vec<u8>) -> Encoded {
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
            w.write_all(&identity).expect("writing to memory");
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&identity).expect("writing to memory");
        let gzip = gz.finish().expect("writing to memory");
        Encoded { identity, br, gzip }
    }

    /// The best encoding the client accepts, by `Accept-Encoding` (q=0 excluded).
    fn respond(&self, req: &HttpRequest, mut resp: actix_web::HttpResponseBuilder, content_type: &str) -> HttpResponse {
        let accepts = |enc: &str| {
            req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(',').any(|part| {
                    let mut it = part.split(';');
                    it.next().is_some_and(|n| n.trim().eq_ignore_ascii_case(enc))
                        && !it.any(|p| p.trim().replace(' ', "") == "q=0")
                })
            })
        };
        resp.content_type(content_type).insert_header((header::VARY, "Accept-Encoding"));
        if accepts("br") {
            resp.insert_header((header::CONTENT_ENCODING, "br")).body(self.br.clone())
        } else if accepts("gzip") {
            resp.insert_header((header::CONTENT_ENCODING, "gzip")).body(self.gzip.clone())
        } else {
            resp.body(self.identity.clone())
        }
    }
}

/// The hashed widget files, encoded once.
fn widget_files() -> &'static HashMap<String, Encoded> {
    static FILES: OnceLock<HashMap<String, Encoded>> = OnceLock::new();
    FILES.get_or_init(|| {
        WidgetDist::iter()
            .filter_map(|name| name.strip_prefix("widget/").map(str::to_owned))
            .filter_map(|name| {
                WidgetDist::get(&format!("widget/{name}")).map(|f| (name, Encoded::new(f.data.into_owned())))
            })
            .collect()
    })
}

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/widget-dist/"]
struct WidgetDist;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../www/demo/"]
struct DemoPages;

/// The browser verifier (`www/verifier`, built by `cargo xtask build`).
#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/verifier-dist/"]
struct VerifierDist;

/// What the verifier's page and worker may do: their own scripts, styles and module (fetched,
/// then compiled: `'wasm-unsafe-eval'`), a worker from this origin; nothing inline, nothing
/// from elsewhere, no frames. The bundle itself is read from the auditor's disk and never sent.
pub const VERIFIER_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `/verify/…`: the auditor's verifier (docs/export.md, "In the browser"). Compressed per request
/// by the scope's `Compress` (it is fetched by auditors, not by every visitor); revalidated on
/// each use.
pub async fn verifier_file(path: web::Path<String>) -> Result<HttpResponse, Problem> {
    let mut name = path.into_inner();
    if name.is_empty() {
        name.push_str("index.html");
    }
    let file = VerifierDist::get(&name).ok_or_else(|| {
        if VerifierDist::get("index.html").is_none() {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "verifier-not-built",
                "Verifier not built",
                "this server was built without the browser verifier; build it with `cargo xtask build`",
            )
        } else {
            Problem::not_found(format!("no verifier file {name}"))
        }
    })?;
    let etag = format!("\"{}\"", &hex::encode(file.metadata.sha256_hash())[..32]);
    Ok(HttpResponse::Ok()
        .content_type(mime_for(&name))
        .insert_header((header::CONTENT_SECURITY_POLICY, VERIFIER_CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag))
        .body(file.data.into_owned()))
}

/// The loader, rendered once at start: the template from the widget build with the hashed
/// asset names and, per site, the consent scope and term, so that on a return visit the
/// loader can tell whether the stored decision still stands without fetching the config.
pub struct Loader {
    pub body: Encoded,
    pub etag: String,
}

#[derive(serde::Deserialize)]
struct Manifest {
    glue: String,
    wasm: String,
}

/// The widget's glue (the host bundle) and module, as `/widget/…` paths; `None` if the server
/// was built without the widget.
pub fn widget_paths() -> Option<(String, String)> {
    let manifest: Manifest = serde_json::from_slice(&WidgetDist::get("manifest.json")?.data).ok()?;
    Some((format!("/widget/{}", manifest.glue), format!("/widget/{}", manifest.wasm)))
}

impl Loader {
    pub fn render(sites: &Sites) -> Option<Loader> {
        let manifest: Manifest = serde_json::from_slice(&WidgetDist::get("manifest.json")?.data).ok()?;
        let mut blocking = false;
        let table: serde_json::Map<String, serde_json::Value> = sites
            .iter()
            .map(|s| {
                let mut info: Vec<serde_json::Value> =
                    vec![s.config.scope.clone().into(), s.config.consent_days.into(), s.config.floating_button.into()];
                // W13: a site's own look, only for a site that sets one.
                let css = s.config.appearance.as_ref().and_then(kelisim_shared::appearance::css);
                // The blocker's rules, only for a site that declares catalogue services
                // (docs/auto-blocking.md): the URL patterns of its services per category, and
                // whether a revocation reloads the page (W5).
                let every = s.policy.auto_block == kelisim_shared::policy::AutoBlock::Catalogue;
                let rules = kelisim_shared::catalogue::block_rules(&s.config.categories, every);
                if rules.is_empty() {
                    info.extend(css.map(Into::into));
                } else {
                    blocking = true;
                    info.push(css.map_or(0.into(), Into::into));
                    info.push(serde_json::json!([rules, u8::from(s.config.reload_on_revoke)]));
                }
                (s.config.site.clone(), info.into())
            })
            .collect();
        let boot = serde_json::json!({
            "glue": format!("/widget/{}", manifest.glue),
            "wasm": format!("/widget/{}", manifest.wasm),
            "sites": table,
        });
        // The loader with the blocker only when a site needs it: the others' visitors download
        // none of it.
        let template = WidgetDist::get(if blocking { "loader-block.js" } else { "loader.js" })?;
        let body = String::from_utf8_lossy(&template.data).replace("__KELISIM_BOOT__", &boot.to_string());
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body.as_bytes()))[..32]);
        // Encode the widget files now, not on the first visitor's request.
        let _ = widget_files();
        Some(Loader { body: Encoded::new(body.into_bytes()), etag })
    }
}

pub async fn loader(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let Some(loader) = state.loader() else {
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
    Ok(loader.body.respond(&req, resp, "text/javascript; charset=utf-8"))
}

/// `/widget/<content-hash>.<ext>`: immutable, any origin may load it (it is public code).
pub async fn widget_file(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, Problem> {
    let name = path.into_inner();
    let file = widget_files().get(&name).ok_or_else(|| Problem::not_found(format!("no widget file {name}")))?;
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"));
    resp.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    Ok(file.respond(&req, resp, &mime_for(&name)))
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
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("/demo/{name}/")))
            .finish());
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
