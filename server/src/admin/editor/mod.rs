//! The site editor (issue 18): a site's policy file as a form, every field grouped as the
//! visitor meets it (`fields`), checked as `site check` checks it with each problem next to its
//! field (`render`), and published through the same path as the raw file's page and the API
//! (`policy::publish`). The form posts its fields with the TOML text it was built from; the
//! fields are applied onto that text with `toml_edit` (`apply`), so the file keeps its comments,
//! its layout and everything the form does not show (`[[review]]`, an unknown table).

mod apply;
mod fields;
mod render;

pub use render::tabs;

use super::auth::Role;
use super::error::AdminError;
use super::http::{actor, check_csrf, require_admin, site_config};
use super::policy;
use super::Admin;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use apply::{Change, Form};
use kelisim_shared::policy::paths::field_problems;
use render::{Outcome, View};
use toml_edit::DocumentMut;

type Answer = Result<HttpResponse, AdminError>;

/// `GET /admin/sites/{site}/edit`: the site's file as a form (any role; an auditor's is read
/// only).
pub async fn page(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let (served, text) = policy::site_file(&admin, &site).await?;
    let ctx = super::http::ctx(&req, Some(&who), Some(&site));
    let parsed = text.parse::<DocumentMut>().map_err(|e| e.to_string());
    let shown = served.path.display().to_string();
    let view = View {
        site: &site,
        name: &served.config.name,
        path: &shown,
        text: &text,
        doc: parsed.as_ref().map_err(Clone::clone),
        outcome: Outcome::Shown,
        languages: served.config.languages.clone(),
        new: false,
    };
    Ok(super::preview::editor_page(StatusCode::OK, render::page(&ctx, &view)))
}

/// `POST /admin/sites/{site}/edit`: the form's fields applied onto the text it was built from
/// (an admin's; an auditor's disabled fields are not sent), then its button: a list button
/// shows the changed form (nothing written); "Check" shows each problem at its field (`422`)
/// or what would change for visitors; "Publish" (admin role) publishes as the raw page does.
pub async fn form(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>, body: web::Bytes) -> Answer {
    // Read as bytes, not `web::Form`: a form of a site in Cyrillic, percent-encoded, outgrows
    // the forms' 16 KiB limit (the route allows 1 MiB).
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AdminError::BadRequest(format!("form: {e}")))?;
    let form = Form::new(pairs);
    let who = actor(&req, &admin).await?;
    check_csrf(&req, &who, form.get("csrf").unwrap_or(""))?;
    let site = path.into_inner();
    // A new site (a draft from "New site", not published yet) has no file: only an admin
    // works on one.
    let served = admin.ingest.sites().get_shared(&site);
    if served.is_none() {
        require_admin(&who)?;
        if !kelisim_shared::is_slug(&site) {
            return Err(AdminError::NotFound(super::error::Missing::Site));
        }
    } else {
        site_config(&admin, &site)?;
    }
    // The form's own text, or the raw file's page's `text` (its "Form" tab carries a draft).
    let (source, from_form) = match (form.get("source"), form.get("text")) {
        (Some(s), _) => (s.to_owned(), true),
        (None, Some(t)) => (t.replace("\r\n", "\n"), false),
        (None, None) => return Err(AdminError::BadRequest("form: no `source`".into())),
    };
    let action = form.get("do").unwrap_or("check");
    let change = Change::parse(action);
    if change.is_some() || action == "publish" {
        require_admin(&who)?;
    }
    let l = super::http::lang(&req);
    let mut doc: DocumentMut = match source.parse() {
        Ok(doc) => doc,
        // Only the raw page can send text that is not TOML: show it there, with its problems.
        Err(_) if !from_form => {
            return super::policy::raw_page(&req, &admin, &who, &site, &source).await;
        }
        Err(e) => return Err(AdminError::BadRequest(format!("the form's `source` is not TOML: {e}"))),
    };
    if who.role == Role::Admin && from_form {
        apply::fields(doc.as_table_mut(), fields::ROOT, "", &form);
    }
    let mut status = StatusCode::OK;
    let outcome = match change {
        Some(c) => {
            apply::change(&mut doc, &c);
            Outcome::Edited
        }
        None => {
            let text = doc.to_string();
            match policy::parse(&site, text.as_bytes()) {
                Err(AdminError::InvalidPolicy(_)) => {
                    status = StatusCode::UNPROCESSABLE_ENTITY;
                    Outcome::Invalid(field_problems(&text))
                }
                Err(e) => return Err(e),
                Ok(_) if action == "publish" => {
                    let p = policy::publish(&admin, &who, &site, text.into_bytes()).await?;
                    Outcome::Published(p.verdict(l))
                }
                Ok(policy) => Outcome::Valid(policy::checked(l, served.as_ref().map(|s| &s.config), policy.config())),
            }
        }
    };
    let text = doc.to_string();
    let now = admin.ingest.sites().get_shared(&site);
    let name = match &now {
        Some(s) => s.config.name.clone(),
        None => doc.get("name").and_then(|n| n.as_str()).unwrap_or(&site).to_owned(),
    };
    let shown = now.as_ref().map_or_else(
        || admin.ingest.sites_dir.join(format!("{site}.toml")).display().to_string(),
        |s| s.path.display().to_string(),
    );
    let ctx = super::http::ctx(&req, Some(&who), now.is_some().then_some(site.as_str()));
    let languages = policy::languages_of(&site, &text, now.as_deref());
    let view = View {
        site: &site,
        name: &name,
        path: &shown,
        text: &text,
        doc: Ok(&doc),
        outcome,
        languages,
        new: now.is_none(),
    };
    Ok(super::preview::editor_page(status, render::page(&ctx, &view)))
}

/// The draft a form editor's page holds, for the live preview: its fields applied onto the text
/// it was built from (an admin's; an auditor's form is the published file), as `form` applies
/// them, without a list button's change.
pub fn draft(pairs: Vec<(String, String)>, role: Role) -> Result<String, AdminError> {
    let form = Form::new(pairs);
    let source = form.get("source").ok_or_else(|| AdminError::BadRequest("form: no `source`".into()))?;
    let mut doc: DocumentMut =
        source.parse().map_err(|e| AdminError::BadRequest(format!("the form's `source` is not TOML: {e}")))?;
    if role == Role::Admin {
        apply::fields(doc.as_table_mut(), fields::ROOT, "", &form);
    }
    Ok(doc.to_string())
}
