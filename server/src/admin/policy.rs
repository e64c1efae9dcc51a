//! A site's policy file over the admin API (docs/api.md, "Site policy files"): read it, publish a
//! new one, and preview a draft as the widget would show it. The files in `--sites DIR` stay the
//! source of truth: publishing writes the file (atomically) and reloads, as an edit on disk would.

use super::error::{blocking, AdminError};
use super::http::{actor, require_admin};
use super::Admin;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use kelisim_shared::policy::SitePolicy;
use std::path::PathBuf;

type Answer = Result<HttpResponse, AdminError>;

/// The body as a site policy file: UTF-8 TOML that `site check` accepts, declaring `site`.
fn parse(site: &str, body: &[u8]) -> Result<SitePolicy, AdminError> {
    let text = std::str::from_utf8(body).map_err(|_| AdminError::BadRequest("the body is not UTF-8 text".into()))?;
    let policy = SitePolicy::parse(&format!("{site}.toml"), text).map_err(AdminError::InvalidPolicy)?;
    if policy.id != site {
        return Err(AdminError::BadRequest(format!("the file declares site `{}`, the URL names `{site}`", policy.id)));
    }
    Ok(policy)
}

/// `GET /admin/api/sites/{site}/policy`: the file as it is on disk (any role).
pub async fn get(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = admin.ingest.sites().get_shared(&site).ok_or(AdminError::NotFound(super::error::Missing::Site))?;
    let text = blocking(move || std::fs::read_to_string(&served.path)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/toml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// `PUT /admin/api/sites/{site}/policy` (admin role; a session also sends its CSRF token in
/// `X-CSRF-Token`): checks the file as `site check` does (`422` with each problem's line, column
/// and field, and nothing changed), writes it over the site's file (a new site: `{site}.toml` in
/// `--sites DIR`) by an atomic rename, reloads, and answers the version now served. The publish
/// and what it changes are written to the audit trail.
pub async fn put(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>, body: web::Bytes) -> Answer {
    let who = actor(&req, &admin).await?;
    let csrf = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    super::http::check_csrf(&req, &who, csrf)?;
    require_admin(&who)?;
    let site = path.into_inner();
    if !kelisim_shared::is_slug(&site) {
        return Err(AdminError::BadRequest(format!("`{site}` is not a site id")));
    }
    let policy = parse(&site, &body)?;
    let new_version = policy.config().version;
    let sites = admin.ingest.sites();
    let before = sites.get_shared(&site);
    let target: PathBuf = match &before {
        Some(s) => s.path.clone(),
        None => admin.ingest.sites_dir.join(format!("{site}.toml")),
    };
    if let Some(other) = sites.iter().find(|s| s.path == target && s.config.site != site) {
        return Err(AdminError::Conflict(format!("{} is the file of site `{}`", target.display(), other.config.site)));
    }
    let (a, by) = (admin.clone(), who.name.clone());
    let (summary, previous) = (
        changes(before.as_ref().map(|s| &s.config), &policy.config()),
        before.as_ref().map(|s| s.config.version.clone()),
    );
    let (logged_summary, logged_previous) = (summary.clone(), previous.clone());
    blocking(move || -> Result<(), AdminError> {
        write_atomically(&target, &body)?;
        a.ingest.reload();
        let served = a.ingest.sites().get(&site).map(|s| s.config.version.clone());
        if served.as_deref() != Some(new_version.as_str()) {
            let why = a.ingest.reloaded().problems.join("\n");
            return Err(AdminError::Conflict(format!("the file is written but not served: {why}")));
        }
        let from = logged_previous.as_deref().map_or("none".to_owned(), |v| v[..12].to_owned());
        a.accounts.record(
            &by,
            "policy.publish",
            &format!("site {site}: version {from} → {}; {logged_summary}", &new_version[..12]),
        )?;
        Ok(())
    })
    .await?;
    let version = policy.config().version;
    let asked_again = before.is_some_and(|s| s.config.version != version);
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "site": policy.id,
        "version": version,
        "previous_version": previous,
        "visitors_asked_again": asked_again,
        "changes": summary,
    })))
}

#[derive(serde::Deserialize)]
pub struct PreviewQuery {
    lang: Option<String>,
}

/// `POST /admin/api/sites/{site}/preview?lang=`: what `GET …/widget` would serve for the draft
/// in the body (any role; nothing is written): the widget renders it as it would the live site.
pub async fn preview(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    q: web::Query<PreviewQuery>,
    body: web::Bytes,
) -> Answer {
    actor(&req, &admin).await?;
    let site = path.into_inner();
    let config = parse(&site, &body)?.config();
    let asked = q.lang.as_deref().and_then(Lang::from_tag);
    let lang = asked.filter(|l| config.languages.contains(l)).unwrap_or(config.languages[0]);
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(kelisim_shared::render::widget_json(&config, lang)))
}

/// Writes `bytes` over `path` so that a reader (the directory watch, a person) sees the old
/// file or the new one, never half of one: a temporary file beside it (not `*.toml`, so the
/// watch ignores it), synced, then renamed over it. Readable by all, like any site file: it
/// holds nothing secret.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".kelisim-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What a new version changes for visitors, in a line for the audit trail: the languages, the
/// operator, and the categories added, removed or changed (texts, data, purposes, recipients…).
pub fn changes(before: Option<&Config>, after: &Config) -> String {
    let Some(before) = before else {
        return format!("new site, {} categories", after.categories.len());
    };
    let mut out = Vec::new();
    if before.languages != after.languages {
        out.push("languages changed".to_owned());
    }
    if before.operator != after.operator {
        out.push("operator changed".to_owned());
    }
    let ids = |c: &Config| c.categories.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    let (old, new) = (ids(before), ids(after));
    let added: Vec<&String> = new.iter().filter(|c| !old.contains(c)).collect();
    let removed: Vec<&String> = old.iter().filter(|c| !new.contains(c)).collect();
    let changed: Vec<&String> = after
        .categories
        .iter()
        .filter(|c| before.categories.iter().any(|b| b.id == c.id && b != *c))
        .map(|c| &c.id)
        .collect();
    for (what, list) in [("categories added", added), ("removed", removed), ("changed", changed)] {
        if !list.is_empty() {
            out.push(format!("{what}: {}", list.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
        }
    }
    if out.is_empty() {
        out.push(if before.version == after.version { "no change" } else { "other settings changed" }.to_owned());
    }
    out.join("; ")
}
