//! HTML building blocks for the dashboard: escaping and the page layout. Every page is
//! rendered on the server; there is no script at all, so the CSP can forbid scripts entirely.

use super::auth::Actor;
use super::i18n::T;
use kelisim_shared::lang::Lang;
use std::fmt::Write;

pub use kelisim_shared::html::escape as esc;

/// Percent-encodes a query value.
pub fn q(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub struct Ctx<'a> {
    pub t: &'static T,
    pub lang: Lang,
    pub actor: Option<&'a Actor>,
    /// The site whose pages are shown (for the site navigation).
    pub site: Option<&'a str>,
}

pub fn layout(c: &Ctx, title: &str, body: &str) -> String {
    let t = c.t;
    let mut h = String::with_capacity(body.len() + 2048);
    let _ = write!(
        h,
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — Kelisim</title><link rel="stylesheet" href="/admin/static/admin.css"></head><body><header class="top"><a class="brand" href="/admin/">Kelisim</a>"#,
        lang = c.lang.code(),
        title = esc(title)
    );
    if let Some(a) = c.actor {
        let _ = write!(h, r#"<nav class="main"><a href="/admin/">{}</a><a href="/admin/audit">{}</a>"#, t.sites, t.audit);
        if a.role == super::auth::Role::Admin {
            let _ = write!(h, r#"<a href="/admin/accounts">{}</a>"#, t.accounts);
        }
        let _ = write!(
            h,
            r#"</nav><span class="who" data-role="{role}">{name} ({role})</span><form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" data-action="logout">{out}</button></form>"#,
            role = a.role.as_str(),
            name = esc(&a.name),
            csrf = esc(&a.csrf),
            out = t.sign_out
        );
    }
    h.push_str(r#"<nav class="langs">"#);
    for (code, label) in [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")] {
        let cur = if code == c.lang.code() { r#" aria-current="true""# } else { "" };
        let _ = write!(h, r#"<a href="/admin/lang?to={code}" lang="{code}"{cur}>{label}</a>"#);
    }
    h.push_str("</nav></header>");
    if let Some(site) = c.site {
        let s = q(site);
        let _ = write!(
            h,
            r#"<nav class="site"><b>{}</b><a href="/admin/sites/{s}/">{}</a><a href="/admin/sites/{s}/log">{}</a><a href="/admin/sites/{s}/withdrawals">{}</a><a href="/admin/sites/{s}/configs">{}</a><a href="/admin/sites/{s}/scan">{}</a><a href="/admin/sites/{s}/export">{}</a></nav>"#,
            esc(site),
            t.overview,
            t.log,
            t.withdrawals,
            t.configs,
            super::i18n::scan_words(c.lang).scan,
            t.export
        );
    }
    let _ = write!(h, "<main><h1>{}</h1>{body}</main></body></html>", esc(title));
    h
}

/// A table from a header and rows of already-escaped cells.
pub fn table(class: &str, head: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!(r#"<p class="empty">{}</p>"#, esc(empty));
    }
    let mut h = format!(r#"<table class="{class}"><thead><tr>"#);
    for th in head {
        let _ = write!(h, "<th>{}</th>", esc(th));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for td in r {
            let _ = write!(h, "<td>{td}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h
}
