//! A site's policy file over the admin API (docs/api.md, "Site policy files"): read it, publish a
//! new one, and preview a draft as the widget would show it. The files in `--sites DIR` stay the
//! source of truth: publishing writes the file (atomically) and reloads, as an edit on disk would.

use super::auth::Actor;
use super::error::{blocking, AdminError};
use super::http::{actor, require_admin, site_config};
use super::{pages, Admin};
use crate::sites::Site;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use kelisim_shared::policy::SitePolicy;
use std::path::PathBuf;
use std::sync::Arc;

type Answer = Result<HttpResponse, AdminError>;

/// The body as a site policy file: UTF-8 TOML that `site check` accepts, declaring `site`.
pub(super) fn parse(site: &str, body: &[u8]) -> Result<SitePolicy, AdminError> {
    let text = std::str::from_utf8(body).map_err(|_| AdminError::BadRequest("the body is not UTF-8 text".into()))?;
    let policy = SitePolicy::parse(&format!("{site}.toml"), text).map_err(AdminError::InvalidPolicy)?;
    if policy.id != site {
        return Err(AdminError::BadRequest(format!("the file declares site `{}`, the URL names `{site}`", policy.id)));
    }
    Ok(policy)
}

/// A served site and its file's text as it is on disk.
pub(super) async fn site_file(admin: &Admin, site: &str) -> Result<(Arc<Site>, String), AdminError> {
    let served = site_config(admin, site)?;
    let file = served.path.clone();
    let text = blocking(move || std::fs::read_to_string(&file)).await?;
    Ok((served, text))
}

/// The language a preview shows: `tag`'s where the site offers it, else the site's default.
pub(super) fn offered_lang(config: &Config, tag: Option<&str>) -> Lang {
    tag.and_then(Lang::from_tag).filter(|l| config.languages.contains(l)).unwrap_or(config.languages[0])
}

/// `GET /admin/api/sites/{site}/policy`: the file as it is on disk (any role).
pub async fn get(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    actor(&req, &admin).await?;
    let (_, text) = site_file(&admin, &path.into_inner()).await?;
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
    let published = publish(&admin, &who, &site, body.to_vec()).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "site": site,
        "version": published.version,
        "previous_version": published.previous,
        "visitors_asked_again": published.asked_again,
        "changes": published.changes.to_string(),
    })))
}

/// A version published.
pub struct Published {
    pub version: String,
    pub previous: Option<String>,
    /// Whether visitors are asked again: the consent scope (anything about the categories, their
    /// texts included) changed; other settings keep their choices (W1). `None` for a new site.
    pub asked_again: Option<bool>,
    pub changes: Changes,
}

impl Published {
    /// What the editors say of it, in `l`.
    pub(super) fn verdict(self, l: Lang) -> pages::Verdict {
        pages::Verdict { version: self.version, changes: self.changes.words(l), asked_again: self.asked_again }
    }
}

/// What publishing `after` would do, said in `l`: over `before` (`None`: a new site).
pub(super) fn checked(l: Lang, before: Option<&Config>, after: Config) -> pages::Verdict {
    pages::Verdict {
        changes: changes(before, &after).words(l),
        asked_again: before.map(|b| after.scope != b.scope),
        version: after.version,
    }
}

/// Checks `body` as the file of `site`, writes it over the site's file (a new site:
/// `{site}.toml` in `--sites DIR`), reloads, and records the publish in the audit trail.
/// The caller has checked the role and the CSRF token.
pub(super) async fn publish(
    admin: &web::Data<Admin>,
    who: &Actor,
    site: &str,
    body: Vec<u8>,
) -> Result<Published, AdminError> {
    let policy = parse(site, &body)?;
    let version = policy.config().version;
    let sites = admin.ingest.sites();
    let before = sites.get_shared(site);
    let target: PathBuf = match &before {
        Some(s) => s.path.clone(),
        None => admin.ingest.sites_dir.join(format!("{site}.toml")),
    };
    if let Some(other) = sites.iter().find(|s| s.path == target && s.config.site != site) {
        return Err(AdminError::Conflict(format!("{} is the file of site `{}`", target.display(), other.config.site)));
    }
    let published = Published {
        version: version.clone(),
        previous: before.as_ref().map(|s| s.config.version.clone()),
        asked_again: before.as_ref().map(|s| s.config.scope != policy.config().scope),
        changes: changes(before.as_ref().map(|s| &s.config), &policy.config()),
    };
    let from = published.previous.as_deref().map_or("none".to_owned(), |v| v[..12].to_owned());
    let detail = format!("site {site}: version {from} → {}; {}", &version[..12], published.changes);
    let (a, by, site) = (admin.clone(), who.name.clone(), site.to_owned());
    blocking(move || -> Result<(), AdminError> {
        write_atomically(&target, &body)?;
        a.ingest.reload();
        let served = a.ingest.sites().get(&site).map(|s| s.config.version.clone());
        if served.as_deref() != Some(version.as_str()) {
            let why: Vec<String> = a.ingest.reloaded().problems.iter().map(ToString::to_string).collect();
            let why = why.join("\n");
            return Err(AdminError::Conflict(format!("the file is written but not served: {why}")));
        }
        a.accounts.record(&by, "policy.publish", &detail)?;
        Ok(())
    })
    .await?;
    Ok(published)
}

/// `GET /admin/sites/{site}/policy`: the file in a text area, to check and publish.
pub async fn page(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let (served, text) = site_file(&admin, &site).await?;
    let ctx = super::http::ctx(&req, Some(&who), Some(&site));
    let shown = served.path.display().to_string();
    let page = pages::policy(&ctx, (&site, &served.config.name), &shown, (&text, &served.config.languages), None);
    Ok(super::preview::editor_page(StatusCode::OK, page))
}

/// The policy page's form: "Check" shows the problems (line, column, field) or what would
/// change for visitors; "Publish" (admin role) also publishes. The text stays in the form.
/// The form editor's "TOML file" tab posts its fields here instead of a `text`: they are
/// applied onto its source first (a new site's draft goes from one editor to the other).
pub async fn form(req: HttpRequest, admin: web::Data<Admin>, path: web::Path<String>, body: web::Bytes) -> Answer {
    // Read as bytes, not `web::Form`: a site file in Cyrillic, percent-encoded, outgrows the
    // forms' 16 KiB limit (the route allows 1 MiB).
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AdminError::BadRequest(format!("form: {e}")))?;
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let who = actor(&req, &admin).await?;
    super::http::check_csrf(&req, &who, &field("csrf").unwrap_or_default())?;
    let action = field("do").unwrap_or_else(|| "check".into());
    let text = match (field("text"), field("source").is_some()) {
        (Some(text), _) => text,
        (None, true) => super::editor::draft(pairs, who.role)?,
        (None, false) => return Err(AdminError::BadRequest("form: no `text`".into())),
    };
    answer(&req, &admin, &who, &path.into_inner(), text, &action).await
}

/// The raw file's page for `text` as it stands, checked (the form editor's way over to it when
/// its draft is not TOML the form can show).
pub(super) async fn raw_page(
    req: &HttpRequest,
    admin: &web::Data<Admin>,
    who: &Actor,
    site: &str,
    text: &str,
) -> Answer {
    answer(req, admin, who, site, text.to_owned(), "check").await
}

async fn answer(
    req: &HttpRequest,
    admin: &web::Data<Admin>,
    who: &Actor,
    site: &str,
    text: String,
    action: &str,
) -> Answer {
    let site = site.to_owned();
    // A new site (from "New site") has no file yet: only an admin works on one.
    let served = admin.ingest.sites().get_shared(&site);
    if served.is_none() {
        require_admin(who)?;
        if !kelisim_shared::is_slug(&site) {
            return Err(AdminError::NotFound(super::error::Missing::Site));
        }
    }
    // A browser's textarea sends CRLF line ends: the file keeps the LF it has on disk.
    let text = text.replace("\r\n", "\n");
    let l = super::http::lang(req);
    let outcome = match (action, parse(&site, text.as_bytes())) {
        (_, Err(AdminError::InvalidPolicy(errors))) => pages::PolicyOutcome::Invalid(errors),
        (_, Err(e)) => return Err(e),
        ("publish", Ok(_)) => {
            require_admin(who)?;
            let p = publish(admin, who, &site, text.clone().into_bytes()).await?;
            pages::PolicyOutcome::Published(p.verdict(l))
        }
        (_, Ok(policy)) => pages::PolicyOutcome::Valid(checked(l, served.as_ref().map(|s| &s.config), policy.config())),
    };
    let status = if matches!(outcome, pages::PolicyOutcome::Invalid(_)) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let now = admin.ingest.sites().get_shared(&site);
    let name = now.as_ref().map_or(site.clone(), |s| s.config.name.clone());
    let shown = now.as_ref().map_or_else(
        || admin.ingest.sites_dir.join(format!("{site}.toml")).display().to_string(),
        |s| s.path.display().to_string(),
    );
    let ctx = super::http::ctx(req, Some(who), now.is_some().then_some(site.as_str()));
    let languages = languages_of(&site, &text, now.as_deref());
    let page = pages::policy(&ctx, (&site, &name), &shown, (&text, &languages), Some(&outcome));
    Ok(super::preview::editor_page(status, page))
}

/// The languages a draft's preview offers: the draft's (its `languages` as written, when the
/// draft is not valid yet: an imported draft with TODOs), else the served site's, else Kelisim's.
pub(super) fn languages_of(site: &str, text: &str, served: Option<&crate::sites::Site>) -> Vec<Lang> {
    if let Ok(p) = parse(site, text.as_bytes()) {
        return p.languages;
    }
    let written: Vec<Lang> = text
        .parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|d| d.get("languages").and_then(|l| l.as_array()).cloned())
        .map(|a| a.iter().filter_map(|v| v.as_str().and_then(Lang::from_tag)).collect())
        .unwrap_or_default();
    match (written.is_empty(), served) {
        (false, _) => written,
        (true, Some(s)) => s.config.languages.clone(),
        (true, None) => vec![Lang::Ru, Lang::Kk, Lang::En],
    }
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
    let lang = offered_lang(&config, q.lang.as_deref());
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

/// What a new version changes for visitors: the languages, the operator, and the categories
/// added, removed or changed (texts, data, purposes, recipients…). Displayed in English for the
/// audit trail and the API; [`Changes::words`] says it in the dashboard's language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// A new site: its number of categories.
    pub new_site: Option<usize>,
    pub languages: bool,
    pub operator: bool,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    /// A setting other than those changed the version (consent term, scope, GPC…).
    pub other: bool,
}

pub fn changes(before: Option<&Config>, after: &Config) -> Changes {
    let Some(before) = before else {
        return Changes { new_site: Some(after.categories.len()), ..Changes::default() };
    };
    let ids = |c: &Config| c.categories.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    let (old, new) = (ids(before), ids(after));
    let mut c = Changes {
        new_site: None,
        languages: before.languages != after.languages,
        operator: before.operator != after.operator,
        added: new.iter().filter(|c| !old.contains(c)).cloned().collect(),
        removed: old.iter().filter(|c| !new.contains(c)).cloned().collect(),
        changed: after
            .categories
            .iter()
            .filter(|c| before.categories.iter().any(|b| b.id == c.id && b != *c))
            .map(|c| c.id.clone())
            .collect(),
        other: false,
    };
    c.other = before.version != after.version && c == Changes { other: false, ..Changes::default() };
    c
}

impl Changes {
    /// The change in the dashboard's language (category ids as they are).
    pub fn words(&self, l: Lang) -> String {
        let pick = |kk: &'static str, ru: &'static str, en: &'static str| match l {
            Lang::Kk => kk,
            Lang::Ru => ru,
            Lang::En => en,
        };
        if let Some(n) = self.new_site {
            return format!(
                "{} {n}",
                pick("жаңа сайт, санаттар саны:", "новый сайт, категорий:", "new site, categories:")
            );
        }
        let mut out = Vec::new();
        let list = |v: &[String]| v.join(", ");
        if !self.added.is_empty() {
            out.push(format!(
                "{} {}",
                pick("қосылған санаттар:", "новые категории:", "categories added:"),
                list(&self.added)
            ));
        }
        if !self.removed.is_empty() {
            out.push(format!(
                "{} {}",
                pick("алынған санаттар:", "удалённые категории:", "categories removed:"),
                list(&self.removed)
            ));
        }
        if !self.changed.is_empty() {
            out.push(format!(
                "{} {}",
                pick("өзгерген санаттар:", "изменённые категории:", "categories changed:"),
                list(&self.changed)
            ));
        }
        if self.languages {
            out.push(pick("тілдер өзгерді", "изменились языки", "languages changed").to_owned());
        }
        if self.operator {
            out.push(
                pick("оператор туралы мәліметтер өзгерді", "изменились сведения об операторе", "operator changed")
                    .to_owned(),
            );
        }
        if self.other {
            out.push(
                pick("басқа баптаулар өзгерді", "изменились другие настройки", "other settings changed").to_owned(),
            );
        }
        if out.is_empty() {
            return super::i18n::policy_words(l).unchanged.to_owned();
        }
        out.join("; ")
    }
}

impl std::fmt::Display for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = self.new_site {
            return write!(f, "new site, {n} categories");
        }
        let mut out = Vec::new();
        if self.languages {
            out.push("languages changed".to_owned());
        }
        if self.operator {
            out.push("operator changed".to_owned());
        }
        for (what, list) in [("categories added", &self.added), ("removed", &self.removed), ("changed", &self.changed)]
        {
            if !list.is_empty() {
                out.push(format!("{what}: {}", list.join(", ")));
            }
        }
        if self.other {
            out.push("other settings changed".to_owned());
        }
        if out.is_empty() {
            out.push("no change".to_owned());
        }
        f.write_str(&out.join("; "))
    }
}
