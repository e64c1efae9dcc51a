//! The live preview beside the policy editors (issue 18): the real widget — its WASM module,
//! host script, the server's markup and styles, the site's `[appearance]` — rendering a draft
//! in a frame, in any of the site's languages, on the first layer or the preferences, at a
//! desktop's or a phone's width.
//!
//! The frame is its own page (`/admin/sites/{site}/preview`) with its own CSP (the widget's
//! scripts, nothing else) in a sandbox without the dashboard's origin, so nothing in it can
//! reach the dashboard. The widget runs there as on a site, except that what it would store
//! or send stays in the frame: its cookie lives in a variable, `…/widget?lang=` is answered
//! from the draft's own markup, and no decision is logged (localStorage, where decisions wait
//! to be sent, does not exist in the sandbox). The editor posts the draft into the frame with
//! its Preview button; `/admin/static/preview.js` presses it as the owner types.

use super::error::AdminError;
use super::http::{actor, check_csrf, site_config};
use super::{i18n, Admin};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use maud::{html, Markup, PreEscaped, DOCTYPE};

type Answer = Result<HttpResponse, AdminError>;

/// The frame's CSP: the widget's files from this server, its inline boot script by nonce, WASM,
/// and nothing else (no form, no framing by others).
fn frame_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self' https: data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    )
}

/// The CSP of an editor page that holds the preview: the dashboard's, plus its own frame and
/// `preview.js`.
pub const EDITOR_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An editor page's response with [`EDITOR_CSP`].
pub fn editor_page(status: StatusCode, body: String) -> HttpResponse {
    let mut resp = super::http::html(status, body);
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(EDITOR_CSP));
    resp
}

/// The CSP of a text version's page: the dashboard's, plus frames of this server (the version's
/// widget, [`stored`]); no script.
const VERSION_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A text version's page, with [`VERSION_CSP`].
pub fn version_page(body: String) -> HttpResponse {
    let mut resp = super::http::html(StatusCode::OK, body);
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(VERSION_CSP));
    resp
}

#[derive(serde::Deserialize)]
pub struct FrameQuery {
    lang: Option<String>,
    layer: Option<String>,
}

/// `GET /admin/sites/{site}/preview?lang=&layer=`: the published version (the frame's first
/// content, before a draft is posted into it).
pub async fn published(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    q: web::Query<FrameQuery>,
) -> Answer {
    actor(&req, &admin).await?;
    let site = path.into_inner();
    let l = super::http::lang(&req);
    let Some(served) = admin.ingest.sites().get_shared(&site) else {
        // A new site, not yet published: there is nothing to show until a draft is posted.
        let w = i18n::preview_words(l);
        return Ok(frame_response(String::new(), &html! { p.empty { (w.press) } }.into_string(), l));
    };
    let _ = site_config(&admin, &site)?;
    Ok(frame(&admin, &served.config, q.lang.as_deref(), q.layer.as_deref()))
}

/// `GET /admin/sites/{site}/configs/{version}/preview?lang=&layer=`: a stored version's widget
/// as its visitors saw it — the version's own texts, rendered as the server renders them.
pub async fn stored(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<(String, String)>,
    q: web::Query<FrameQuery>,
) -> Answer {
    actor(&req, &admin).await?;
    let (site, version) = path.into_inner();
    site_config(&admin, &site)?;
    let (dash, s2) = (admin.dash.clone(), site.clone());
    let body = super::error::blocking(move || dash.version_body(&s2, &version))
        .await?
        .ok_or(AdminError::NotFound(super::error::Missing::ConfigVersion))?;
    let v = serde_json::from_str::<Config>(&body).map_err(AdminError::internal)?;
    Ok(frame(&admin, &v, q.lang.as_deref(), q.layer.as_deref()))
}

/// `POST /admin/sites/{site}/preview`: the editor's draft (`text`, with `lang` and `layer`),
/// rendered in the frame. An invalid draft shows its first problems instead.
pub async fn draft(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>, body: web::Bytes) -> Answer {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AdminError::BadRequest(format!("form: {e}")))?;
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, field("csrf").unwrap_or(""))?;
    let site = path.into_inner();
    let text = match pairs.iter().any(|(k, _)| k == "source") {
        // The form editor: its fields onto the text it was built from.
        true => super::editor::draft(pairs.clone(), who.role)?,
        false => draft_text(&pairs)?,
    };
    let l = super::http::lang(&req);
    match super::policy::parse(&site, text.as_bytes()) {
        Ok(policy) => Ok(frame(&admin, &policy.config(), field("lang"), field("layer"))),
        Err(AdminError::InvalidPolicy(errors)) => {
            let w = i18n::preview_words(l);
            let body = html! {
                div.problems role="alert" {
                    p { b { (w.invalid) } }
                    @for e in errors.0.iter().take(5) { p { (i18n::problems::located(l, e)) } }
                }
            };
            Ok(frame_response(String::new(), &body.into_string(), l))
        }
        Err(e) => Err(e),
    }
}

/// The draft's text: the raw editor's `text` (a browser sends its lines with CRLF).
/// (The form editor's draft is `editor::draft`.)
fn draft_text(pairs: &[(String, String)]) -> Result<String, AdminError> {
    match pairs.iter().find(|(k, _)| k == "text") {
        Some((_, text)) => Ok(text.replace("\r\n", "\n")),
        None => Err(AdminError::BadRequest("the form holds no draft".into())),
    }
}

/// The frame's page for `config`: a plain stand-in for the site's page, and the widget booted
/// on the draft with every language's markup at hand.
fn frame(admin: &Admin, config: &Config, lang: Option<&str>, layer: Option<&str>) -> HttpResponse {
    let lang = super::policy::offered_lang(config, lang);
    let Some((glue, wasm)) = &admin.widget else {
        return frame_response(String::new(), "<p class=\"empty\">The widget is not built into this server.</p>", lang);
    };
    let langs: serde_json::Map<String, serde_json::Value> = config
        .languages
        .iter()
        .map(|l| (l.code().to_owned(), kelisim_shared::render::widget_json(config, *l).into()))
        .collect();
    let boot = serde_json::json!({
        "site": config.site,
        "lang": lang.code(),
        "langs": langs,
        "css": config.appearance.as_ref().and_then(kelisim_shared::appearance::css),
        "floating": config.floating_button,
        "preferences": layer == Some("preferences"),
        "glue": glue,
        "wasm": wasm,
    });
    // In a <script> element: no `</` may close it early.
    let boot = boot.to_string().replace("</", "<\\/");
    let page = html! {
        div.page aria-hidden="true" { div.bar {} div.hero {} div.line {} div.line {} div.line.short {} div.cards { div {} div {} div {} } }
        script type="application/json" id="k-draft" { (PreEscaped(boot)) }
    };
    frame_response(BOOT_SCRIPT.to_owned(), &page.into_string(), lang)
}

/// Boots the widget on the draft (see the module's comment for what stays in the frame).
const BOOT_SCRIPT: &str = r#"
const d = JSON.parse(document.getElementById('k-draft').textContent), jar = new Map(), net = fetch;
Object.defineProperty(document, 'cookie', {
  configurable: true,
  get: () => [...jar].map(([n, v]) => n + '=' + v).join('; '),
  set: (s) => {
    const [pair] = s.split(';'), i = pair.indexOf('='), n = pair.slice(0, i).trim();
    /max-age=0/i.test(s) ? jar.delete(n) : jar.set(n, pair.slice(i + 1));
  },
});
window.fetch = (u, init) => {
  const m = /\/widget\?lang=([^&]*)/.exec(u);
  if (!m) return net(u, init);
  const l = decodeURIComponent(m[1]).split(',').find((t) => d.langs[t]) || d.lang;
  return Promise.resolve(new Response(d.langs[l]));
};
import(d.glue).then((g) => g.boot({
  wasm: net(d.wasm).then((r) => r.arrayBuffer()), site: d.site, api: '', tags: d.lang, standing: false,
  config: Promise.resolve(JSON.parse(d.langs[d.lang])), floating: d.floating, css: d.css || '',
  gtag() {}, modes: () => ({}), nonce: NONCE,
})).then(() => d.preferences && window.kelisim.showPreferences(), (e) => {
  document.body.append('The widget could not start: ' + e);
});
"#;

/// A frame page: `script` runs as a module under the page's nonce.
fn frame_response(script: String, body: &str, lang: Lang) -> HttpResponse {
    let nonce = super::auth::random_token();
    let script = script.replace("NONCE", &format!("'{nonce}'"));
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Kelisim" }
                style nonce=(nonce) { (PreEscaped(FRAME_CSS)) }
            }
            body {
                (PreEscaped(body))
                @if !script.is_empty() { script type="module" nonce=(nonce) { (PreEscaped(script)) } }
            }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, frame_csp(&nonce)))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .body(page.into_string())
}

/// A neutral stand-in for the site's page behind the banner.
const FRAME_CSS: &str = "body{margin:0;font:15px system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a}\
.page{max-width:60rem;margin:0 auto;padding:16px}.page div{background:#dfe3e8;border-radius:6px}\
.bar{height:44px;margin-bottom:20px}.hero{height:160px;margin-bottom:20px}.line{height:14px;margin:10px 0}\
.short{width:60%}.cards{display:flex;gap:12px;background:none!important;margin-top:20px}.cards div{flex:1;height:110px}\
.empty,.problems{margin:24px;padding:12px 16px;background:#fff;border-radius:6px}.problems{border-left:4px solid #b3261e}";

/// The preview pane inside an editor's form: language, layer and width, the Preview button
/// (posting the form into the frame), and the frame.
pub fn pane(lang: Lang, site: &str, languages: &[Lang]) -> Markup {
    let w = i18n::preview_words(lang);
    let s = super::html::q(site);
    html! {
        section.preview aria-label=(w.title) {
            h2 { (w.title) }
            p.controls {
                label { (w.language) " "
                    select name="lang" {
                        @for l in languages { option value=(l.code()) { (l.code()) } }
                    }
                }
                " "
                label { (w.layer) " "
                    select name="layer" {
                        option value="banner" { (w.first_layer) }
                        option value="preferences" { (w.preferences) }
                    }
                }
                " "
                span.devices role="radiogroup" aria-label=(w.width) {
                    input type="radio" name="device" value="desktop" id="dev-desktop" checked;
                    label for="dev-desktop" { (w.desktop) }
                    input type="radio" name="device" value="phone" id="dev-phone";
                    label for="dev-phone" { (w.phone) }
                }
                " "
                button type="submit" formaction={ "/admin/sites/" (s) "/preview" } formtarget="k-preview" formnovalidate
                    name="do" value="preview" data-action="preview" { (w.show) }
            }
            iframe name="k-preview" title=(w.title) sandbox="allow-scripts"
                src={ "/admin/sites/" (s) "/preview?lang=" (languages.first().map_or("ru", |l| l.code())) } {}
            p.note { (w.note) }
        }
    }
}

/// `GET /admin/static/preview.js`: presses the Preview button a moment after the owner stops
/// typing, and once when the page opens (the frame then shows the text being edited). Without
/// it the button does the same by hand.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(PREVIEW_JS)
}

const PREVIEW_JS: &str = r#"// Kelisim dashboard: the live preview follows the editor (admin/preview.rs).
for (const f of document.querySelectorAll('form[data-preview]')) {
  const b = f.querySelector('[data-action=preview]');
  let t;
  const go = (ms) => { clearTimeout(t); t = setTimeout(() => f.requestSubmit(b), ms); };
  f.addEventListener('input', (e) => e.target.name != 'device' && go(600));
  go(0);
}
"#;
