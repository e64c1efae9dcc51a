//! "New site" (README, "Dashboard, accounts, audit export"): a site drafted from its privacy
//! policy, pasted as text or uploaded as a `.txt`, `.docx` or PDF file (the file's text is taken
//! out by `import::document`), by the importer of `kelisim policy import`. The policy page then
//! opens on the draft, its TODOs listed, to finish, check and publish: nothing is written until
//! it is published.
//!
//! The form is `multipart/form-data` (the file); a plain urlencoded post of `csrf`, `id` and
//! `text` is read as before. An uploaded file's content is never logged nor kept.

use super::error::{blocking, AdminError};
use super::html::{page as page_around, Ctx};
use super::http::{actor, check_csrf, ctx, html, require_admin};
use super::i18n::{self, UploadWords};
use super::pages::{self, csrf};
use super::policy::{languages_of, parse};
use super::Admin;
use crate::import::document::{self, DocumentError, Kind};
use crate::import::{Import, ImportError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::{StreamExt, TryStreamExt};
use kelisim_shared::lang::Lang;
use maud::html;

type Answer = Result<HttpResponse, AdminError>;

/// The pasted text with the form's other fields, at most (as before uploads).
pub const TEXT_LIMIT: usize = 1 << 20;
/// An uploaded policy file, at most: a policy's `.docx` or PDF weighs some tens of KiB.
pub const FILE_LIMIT: usize = 5 << 20;
/// A request body, at most: a file, the text and the multipart framing. A larger one is not read.
const BODY_LIMIT: usize = FILE_LIMIT + TEXT_LIMIT + (64 << 10);

/// The page: the site's id, the policy's text or its file. The file, when one is chosen, wins
/// over the text, and the page says so.
pub fn render(c: &Ctx, id: &str, text: &str, problem: Option<&str>) -> String {
    let w = i18n::policy_words(c.lang);
    let u = i18n::upload_words(c.lang);
    let body = html! {
        p.note { (w.new_note) }
        @if let Some(p) = problem { p.error role="alert" { (p) } }
        form method="post" action="/admin/sites/new" enctype="multipart/form-data" class="policy" {
            input type="hidden" name="csrf" value=(csrf(c));
            label { (w.new_id) " " input name="id" value=(id) required pattern="[a-z][a-z0-9_-]{0,31}"; }
            label for="policy-text" { (w.new_text) }
            textarea id="policy-text" name="text" rows="20" { (text) }
            p {
                label for="policy-file" { (u.file) }
                " "
                input id="policy-file" type="file" name="file" accept=".txt,.docx,.pdf";
            }
            p.note { (u.file_note.replace("{mib}", &(FILE_LIMIT >> 20).to_string())) }
            p { button type="submit" data-action="draft" { (w.new_draft) } }
        }
    };
    page_around(c, w.new_site, body)
}

/// `GET /admin/sites/new` (admin role).
pub async fn page(req: HttpRequest, admin: web::Data<Admin>) -> Answer {
    let who = actor(&req, &admin).await?;
    require_admin(&who)?;
    let ctx = ctx(&req, Some(&who), None);
    Ok(html(StatusCode::OK, render(&ctx, "", "", None)))
}

/// A file as uploaded: the name its sender gave it, and its bytes.
struct Upload {
    name: String,
    bytes: Vec<u8>,
}

/// What was too large to read.
#[derive(Clone, Copy)]
enum TooLarge {
    File,
    Text,
}

/// The form as posted.
#[derive(Default)]
struct NewSiteForm {
    csrf: String,
    id: String,
    text: String,
    file: Option<Upload>,
    too_large: Option<TooLarge>,
}

/// `POST /admin/sites/new` (admin role): the importer drafts the site file from the uploaded
/// file's text, or else from the pasted text, and the policy page opens on the draft. A file
/// that gives no text, an id that is not free, or nothing to read: the page again (`422`, or
/// `413` for what is too large), with what was typed and why, and nothing written.
pub async fn form(req: HttpRequest, admin: web::Data<Admin>, payload: web::Payload) -> Answer {
    let who = actor(&req, &admin).await?;
    require_admin(&who)?;
    let form = read_form(&req, payload).await?;
    let ctx = ctx(&req, Some(&who), None);
    let (w, u) = (i18n::policy_words(ctx.lang), i18n::upload_words(ctx.lang));
    let id = form.id.trim().to_owned();
    let refuse = |status: StatusCode, why: String| Ok(html(status, render(&ctx, &id, &form.text, Some(&why))));
    if let Some(what) = form.too_large {
        let (words, limit) = match what {
            TooLarge::File => (u.file_too_large, FILE_LIMIT),
            TooLarge::Text => (u.text_too_large, TEXT_LIMIT),
        };
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, words.replace("{mib}", &(limit >> 20).to_string()));
    }
    check_csrf(&req, &who, &form.csrf)?;
    if !kelisim_shared::is_slug(&id) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("`{id}`: {}", w.new_id.trim_end_matches(':')));
    }
    if admin.ingest.sites().get(&id).is_some() || admin.ingest.sites_dir.join(format!("{id}.toml")).exists() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("{}: `{id}`", w.new_taken));
    }
    if form.file.is_none() && form.text.trim().is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, u.nothing.to_owned());
    }
    let (text, site, upload, reader) = (form.text.replace("\r\n", "\n"), id.clone(), form.file, ctx.lang);
    let drafted = blocking(move || {
        let (text, source) = match upload {
            Some(file) => match document::text(&file.bytes, &file.name) {
                Ok((_, text)) => (text, source(reader, Some(&file.name))),
                Err(e) => return Ok::<_, AdminError>(Err(Refused::Document(e))),
            },
            None => (text, source(reader, None)),
        };
        // Its TODOs say what to write in the dashboard's language.
        Ok(Import::read(text.as_bytes(), &site, &source, None)
            .map(|i| i.draft_for(reader).text)
            .map_err(Refused::Import))
    })
    .await?;
    let draft = match drafted {
        Ok(draft) => draft,
        Err(Refused::Document(e)) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, unreadable(u, &e)),
        Err(Refused::Import(e)) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("{}: {e}", w.new_text.trim_end_matches(':')))
        }
    };
    let shown = admin.ingest.sites_dir.join(format!("{id}.toml")).display().to_string();
    let outcome = match parse(&id, draft.as_bytes()) {
        Err(AdminError::InvalidPolicy(errors)) => Some(pages::PolicyOutcome::Invalid(errors)),
        _ => None,
    };
    let languages = languages_of(&id, &draft, None);
    let page = pages::policy(&ctx, (&id, &id), &shown, (&draft, &languages), outcome.as_ref());
    Ok(super::preview::editor_page(StatusCode::OK, page))
}

/// Why there is no draft: the file gave no text, or the importer read none in it.
enum Refused {
    Document(DocumentError),
    Import(ImportError),
}

/// Why a file gives no text, in the page's language.
fn unreadable(u: &UploadWords, e: &DocumentError) -> String {
    match e {
        DocumentError::Unknown => u.unknown.to_owned(),
        DocumentError::OldWord => u.old_word.to_owned(),
        DocumentError::Corrupt(kind) => u.corrupt.replace("{kind}", kind.name()),
        DocumentError::Locked => u.locked.to_owned(),
        DocumentError::NoText(Kind::Pdf) => u.no_text_layer.to_owned(),
        DocumentError::NoText(_) => u.no_text.to_owned(),
    }
}

/// Where the draft's header says the policy came from, in the reader's language (the header
/// reads "… made by `kelisim policy import` from {source} …", and its kk and ru forms): the
/// text pasted into the form, or the uploaded file by its name.
fn source(reader: Lang, file: Option<&str>) -> String {
    let name = file.map(shown_name).filter(|n| !n.is_empty());
    match (reader, name) {
        (Lang::Kk, Some(n)) => format!("басқару тақтасына жүктелген {n} файлы"),
        (Lang::Kk, None) if file.is_some() => "басқару тақтасына жүктелген файл".to_owned(),
        (Lang::Kk, None) => "басқару тақтасына қойылған мәтін".to_owned(),
        (Lang::Ru, Some(n)) => format!("файла {n}, загруженного в панель управления"),
        (Lang::Ru, None) if file.is_some() => "файла, загруженного в панель управления".to_owned(),
        (Lang::Ru, None) => "текста, вставленного в панель управления".to_owned(),
        (Lang::En, Some(n)) => format!("{n}, uploaded to the dashboard"),
        (Lang::En, None) if file.is_some() => "a file, uploaded to the dashboard".to_owned(),
        (Lang::En, None) => "the dashboard".to_owned(),
    }
}

/// An uploaded file's name as the draft's header names it, as code: the last part of a path, no
/// control characters, at most 100 characters; "" when nothing is left.
fn shown_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.trim().is_empty() {
        String::new()
    } else {
        format!("`{}`", clean.trim().replace('`', "'"))
    }
}

/// The form's fields, from a multipart body (the page's form) or an urlencoded one. What is
/// over its limit is read and dropped (the page then says so), a body over [`BODY_LIMIT`] is
/// not read at all.
async fn read_form(req: &HttpRequest, mut payload: web::Payload) -> Result<NewSiteForm, AdminError> {
    let bad = |e: &dyn std::fmt::Display| AdminError::BadRequest(format!("form: {e}"));
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut form = NewSiteForm::default();
    if declared.is_some_and(|n| n > if multipart { BODY_LIMIT } else { TEXT_LIMIT }) {
        form.too_large = Some(if multipart { TooLarge::File } else { TooLarge::Text });
        return Ok(form);
    }
    if !multipart {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| bad(&e))?;
            if body.len() + chunk.len() > TEXT_LIMIT {
                form.too_large = Some(TooLarge::Text);
                return Ok(form);
            }
            body.extend_from_slice(&chunk);
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| bad(&e))?;
        for (name, value) in pairs {
            set_field(&mut form, &name, value);
        }
        return Ok(form);
    }
    let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut total, mut text_size) = (0usize, 0usize);
    while let Some(mut field) = parts.try_next().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let mut value = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.try_next().await.map_err(|e| bad(&e))? {
            total += chunk.len();
            if total > BODY_LIMIT {
                form.too_large = Some(TooLarge::File);
                return Ok(form);
            }
            let over_now = if name == "file" {
                value.len() + chunk.len() > FILE_LIMIT
            } else {
                text_size += chunk.len();
                text_size > TEXT_LIMIT
            };
            if over || over_now {
                over = true;
                value = Vec::new();
                continue;
            }
            value.extend_from_slice(&chunk);
        }
        if over {
            form.too_large = form.too_large.or(Some(if name == "file" { TooLarge::File } else { TooLarge::Text }));
        } else if name == "file" {
            // A form sent with no file chosen has an empty part without a name.
            let file_name = file_name.unwrap_or_default();
            if !(file_name.is_empty() && value.is_empty()) {
                form.file = Some(Upload { name: file_name, bytes: value });
            }
        } else {
            let value = String::from_utf8(value).map_err(|_| bad(&"a field is not UTF-8"))?;
            set_field(&mut form, &name, value);
        }
    }
    Ok(form)
}

fn set_field(form: &mut NewSiteForm, name: &str, value: String) {
    match name {
        "csrf" => form.csrf = value,
        "id" => form.id = value,
        "text" => form.text = value,
        _ => {}
    }
}
