//! HTML building blocks for the dashboard: the page layout and tables, as maud templates,
//! which escape every value they insert (`(value)`); nothing in the dashboard inserts a
//! string as markup (`PreEscaped`) but the doctype. Every page is rendered on the server;
//! there is no script at all, so the CSP can forbid scripts entirely.

use super::auth::Actor;
use super::i18n::T;
use kelisim_shared::lang::Lang;
use maud::{html, Markup, PreEscaped};
use std::fmt::Write;

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
    /// Load this address after this many seconds (while something the page shows is under
    /// way).
    pub refresh: Option<(u32, String)>,
    /// The zone the page shows times in: its site's `timezone`, else `Asia/Almaty`.
    pub tz: jiff::tz::TimeZone,
}

impl Ctx<'_> {
    /// A stored UTC timestamp as this page shows it ([`when`]).
    pub fn when(&self, at: &str) -> Markup {
        when(self.lang, &self.tz, at)
    }

    /// [`Ctx::when`] and, beside it, how long ago that was («3 дня назад»).
    pub fn when_ago(&self, at: &str) -> Markup {
        let ago = super::i18n::when::ago(self.lang, at, jiff::Timestamp::now());
        html! { (self.when(at)) @if let Some(a) = ago { " " small.ago { "(" (a) ")" } } }
    }
}

/// A stored UTC timestamp (RFC 3339) in `tz`, written the way `l` writes dates, in a `<time>`
/// whose title names the zone, its offset and the instant in UTC (`i18n::when`). The scan
/// pages use it too.
pub fn when(l: Lang, tz: &jiff::tz::TimeZone, at: &str) -> Markup {
    let (text, title) = super::i18n::when::shown(l, tz, at);
    html! {
        @match title {
            Some(title) => time datetime=(at) title=(title) { (text) },
            None => (text),
        }
    }
}

/// The page around `body`: head, navigation, language switcher, title.
pub fn page(c: &Ctx, title: &str, body: Markup) -> String {
    let t = c.t;
    let n = super::i18n::landmark_words(c.lang);
    html! {
        (PreEscaped("<!doctype html>"))
        html lang=(c.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some((s, to)) = &c.refresh { meta http-equiv="refresh" content={ (s) "; url=" (to) }; }
                title { (title) " — Kelisim" }
                link rel="stylesheet" href="/admin/static/admin.css";
            }
            body {
                header.top {
                    a.brand href="/admin/" { "Kelisim" }
                    @if let Some(a) = c.actor {
                        nav.main aria-label=(n.nav_main) {
                            a href="/admin/" { (t.sites) }
                            a href="/admin/audit" { (t.audit) }
                            @if a.role == super::auth::Role::Admin {
                                a href="/admin/accounts" { (t.accounts) }
                            }
                        }
                        span.who data-role=(a.role.as_str()) { (a.name) " (" (super::pages::role_label(t, a.role)) ")" }
                        form method="post" action="/admin/logout" class="inline" {
                            input type="hidden" name="csrf" value=(a.csrf);
                            button type="submit" data-action="logout" { (t.sign_out) }
                        }
                    }
                    nav.langs aria-label=(n.nav_langs) {
                        @for (code, label) in [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")] {
                            a href={ "/admin/lang?to=" (code) } lang=(code) aria-current=[(code == c.lang.code()).then_some("true")] { (label) }
                        }
                    }
                }
                @if let Some(site) = c.site {
                    @let s = q(site);
                    nav.site aria-label=(n.nav_site) {
                        b { (site) }
                        a href={ "/admin/sites/" (s) "/" } { (t.overview) }
                        a href={ "/admin/sites/" (s) "/log" } { (t.log) }
                        a href={ "/admin/sites/" (s) "/withdrawals" } { (t.withdrawals) }
                        a href={ "/admin/sites/" (s) "/configs" } { (t.configs) }
                        a href={ "/admin/sites/" (s) "/edit" } { (super::i18n::editor_words(c.lang).nav) }
                        a href={ "/admin/sites/" (s) "/policy" } { (super::i18n::policy_words(c.lang).tab) }
                        a href={ "/admin/sites/" (s) "/install" } { (super::i18n::install_words(c.lang).tab) }
                        a href={ "/admin/sites/" (s) "/scan" } { (super::i18n::scan_words(c.lang).scan) }
                        a href={ "/admin/sites/" (s) "/export" } { (t.export) }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
    .into_string()
}

/// A table from a header and rows of cells, or `empty` when there are no rows.
pub fn grid(class: &str, head: &[&str], rows: &[Vec<Markup>], empty: &str) -> Markup {
    html! {
        @if rows.is_empty() {
            p.empty { (empty) }
        } @else {
            table class=(class) {
                thead { tr { @for th in head { th { (th) } } } }
                tbody {
                    @for r in rows {
                        tr { @for td in r { td { (td) } } }
                    }
                }
            }
        }
    }
}
