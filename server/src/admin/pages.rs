//! The dashboard pages (README, "Dashboard, accounts, audit export"), rendered from what
//! `queries` and `auth` return.

use super::error::AdminError;
use super::html::{grid, page, q, Ctx};
use super::i18n::{self, action_label, ACTIONS};
use super::queries::{EventRow, Filter, Page};
use crate::export::integrity::IntegrityError;
use crate::ingest::Reloaded;
use crate::log::audit::Audited;
use actix_web::ResponseError;
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use maud::{html, Markup};

/// The login form; after a refused attempt, `error` says why and the name typed stays.
pub fn login(c: &Ctx, error: Option<&str>, username: &str) -> String {
    let t = c.t;
    page(
        c,
        t.login,
        html! {
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action="/admin/login" class="login" {
                label { (t.username) input name="username" autocomplete="username" required value=[(!username.is_empty()).then_some(username)]; }
                label { (t.password) input name="password" type="password" autocomplete="current-password" required autofocus[!username.is_empty()]; }
                button type="submit" data-action="login" { (t.sign_in) }
            }
        },
    )
}

/// One line of the sites list.
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub events: i64,
    /// The latest scan: when it finished, and its violations.
    pub scan: Option<(String, i64)>,
    /// The site's time zone, its scan's time is shown in.
    pub tz: jiff::tz::TimeZone,
}

/// The sites, each with its number of decisions and its latest scan.
pub fn sites(c: &Ctx, sites: &[SiteRow], reloaded: &Reloaded) -> String {
    let w = super::i18n::scan_words(c.lang);
    let rows: Vec<Vec<Markup>> = sites
        .iter()
        .map(|SiteRow { id, name, events: n, scan, tz }| {
            let href = format!("/admin/sites/{}/", q(id));
            let scan = html! {
                @match scan {
                    Some((at, v)) => {
                        a href={ (href) "scan" } data-scan-violations=(v) { (super::html::when(c.lang, tz, at)) }
                        " · " (w.violations) ": "
                        @if *v > 0 { b.overdue { (v) } } @else { (v) }
                    }
                    None => a href={ (href) "scan" } { "—" },
                }
            };
            vec![html! { a href=(href) { (id) } }, html! { (name) }, html! { (n) }, scan]
        })
        .collect();
    let admin = c.actor.is_some_and(|a| a.role == super::auth::Role::Admin);
    let body = html! {
        @if admin {
            p { a href="/admin/sites/new" data-action="new-site" { "+ " (i18n::policy_words(c.lang).new_site) } }
        }
        @if !reloaded.problems.is_empty() {
            div.error role="alert" data-reload-problems=(reloaded.problems.len()) {
                p { b { (i18n::refused_files(c.lang)) } " (" (c.when(&reloaded.at)) ")" }
                @for r in &reloaded.problems {
                    @match r {
                        crate::sites::Refusal::Invalid(errors, serving) => div data-refused {
                            @for e in &errors.0 { p.problem data-line=(e.line) { (i18n::problems::located(c.lang, e)) } }
                            @if let Some((site, version)) = serving { p { (i18n::problems::still_serving(c.lang, site, version)) } }
                        },
                        crate::sites::Refusal::Other(text) => pre { (text) },
                    }
                }
            }
        }
        (grid("sites", &["ID", c.t.site_name, c.t.events, w.last_scan], &rows, c.t.nothing))
    };
    page(c, c.t.sites, body)
}

fn title(cfg: &Config, id: &str, lang: Lang) -> String {
    cfg.category(id).and_then(|k| k.title.get_or(lang, &cfg.languages)).cloned().unwrap_or_else(|| id.to_owned())
}

fn select(name: &str, label: &str, any: &str, options: &[(String, String)], cur: &str) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                option value="" { (any) }
                @for (v, l) in options {
                    option value=(v) selected[v == cur] { (l) }
                }
            }
        }
    }
}

/// A record's number, flagged when the record does not match its own leaf (`log::audit`): it is
/// then shown as its signed bytes have it, never as a plain row.
fn mismatch_flag(t: &super::i18n::T, seq: i64, problem: Option<&str>) -> Markup {
    html! {
        @match problem {
            Some(p) => strong.bad data-problem=(p) title={ (t.mismatch) ": " (p) } { "⚠ " (seq) },
            None => (seq),
        }
    }
}

/// A consent id, linked to its history in the log.
fn consent_link(cfg: &Config, id: &str) -> Markup {
    html! { a href={ "/admin/sites/" (q(&cfg.site)) "/log?consent_id=" (q(id)) } { code { (id) } } }
}

fn events_table(c: &Ctx, cfg: &Config, rows: &[EventRow]) -> Markup {
    let t = c.t;
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .map(|r| {
            vec![
                mismatch_flag(t, r.seq, r.problem.as_deref()),
                c.when_ago(&r.recorded_at),
                consent_link(cfg, &r.consent_id),
                html! { span data-action=(r.action) { (action_label(t, &r.action)) } },
                html! { (r.granted.iter().map(|g| title(cfg, g, c.lang)).collect::<Vec<_>>().join(", ")) },
                html! { (r.language) },
                html! { code { (&r.config_version[..12.min(r.config_version.len())]) } @if r.gpc { " GPC" } },
            ]
        })
        .collect();
    grid("log", &["#", t.time, t.consent_id, t.action, t.granted, t.language, t.version], &data, t.nothing)
}

pub fn log(c: &Ctx, cfg: &Config, f: &Filter, found: &Page, versions: &[(String, String, i64)]) -> String {
    let t = c.t;
    let (rows, next) = (&found.rows, found.next);
    let actions: Vec<(String, String)> =
        ACTIONS.iter().map(|a| (a.to_string(), action_label(t, a).to_owned())).collect();
    let cats: Vec<(String, String)> =
        cfg.categories.iter().map(|k| (k.id.clone(), title(cfg, &k.id, c.lang))).collect();
    let vers: Vec<(String, String)> = versions
        .iter()
        .map(|(v, seen, _)| {
            (v.clone(), format!("{} ({})", &v[..12.min(v.len())], i18n::when::shown(c.lang, &c.tz, seen).0))
        })
        .collect();
    let langs: Vec<(String, String)> =
        cfg.languages.iter().map(|l| (l.code().to_owned(), l.code().to_owned())).collect();
    let older = next.map(|n| {
        let mut g = f.clone();
        g.before = Some(n);
        serde_urlencoded::to_string(&g).unwrap_or_default()
    });
    let body = html! {
        form method="get" class="filters" {
            label { (t.from) input type="date" name="from" value=(f.from); }
            label { (t.to) input type="date" name="to" value=(f.to); }
            (select("action", t.action, t.any, &actions, &f.action))
            (select("category", t.category, t.any, &cats, &f.category))
            (select("version", t.version, t.any, &vers, &f.version))
            (select("language", t.language, t.any, &langs, &f.language))
            label { (t.consent_id) input name="consent_id" value=(f.consent_id) size="36"; }
            button type="submit" data-action="filter" { (t.filter) }
        }
        @if !f.consent_id.is_empty() {
            h2 { (t.history) }
        }
        (events_table(c, cfg, rows))
        @if let Some(seq) = found.searched {
            p.note data-searched=(seq) { (i18n::log_searched(c.lang).replace("{seq}", &seq.to_string())) }
        }
        @if let Some(qs) = older {
            p.pager { a rel="next" data-action="older" href={ "?" (qs) } { (t.older) } }
        }
    };
    page(c, &format!("{} — {}", cfg.name, t.log), body)
}

#[allow(clippy::type_complexity)] // rows of the query, as `admin::http` reads them
/// A withdrawal as the Withdrawals page lists it.
pub struct WithdrawalRow {
    pub seq: i64,
    pub recorded_at: String,
    pub consent_id: String,
    /// Working days since it was recorded.
    pub working_days: i64,
    /// The day the 15 working days of Art. 8 p.7 end.
    pub due: String,
    pub overdue: bool,
    /// Why the row is flagged, when its signed bytes disagree with its columns.
    pub problem: Option<String>,
}

pub fn withdrawals(c: &Ctx, cfg: &Config, rows: &[WithdrawalRow]) -> String {
    let t = c.t;
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .map(|r| {
            vec![
                mismatch_flag(t, r.seq, r.problem.as_deref()),
                c.when(&r.recorded_at),
                consent_link(cfg, &r.consent_id),
                html! { span data-age=(r.working_days) { (r.working_days) } },
                html! { (i18n::when::day(c.lang, &r.due)) @if r.overdue { " " b.overdue { (t.overdue) } } },
            ]
        })
        .collect();
    let body = html! {
        p.note { (t.withdrawals_note) }
        (grid("withdrawals", &["#", t.time, t.consent_id, t.age, t.due], &data, t.nothing))
    };
    page(c, &format!("{} — {}", cfg.name, t.withdrawals), body)
}

pub fn audit(c: &Ctx, rows: &[(i64, String, String, String, String)]) -> String {
    let t = c.t;
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .map(|(seq, at, who, what, detail)| {
            let l = c.lang;
            vec![
                html! { (seq) },
                c.when_ago(at),
                html! { (who) },
                html! {
                    @match i18n::audit::action(l, what) {
                        Some(said) => span data-audit=(what) {
                            (said)
                            @if let Some(site) = i18n::audit::site_of(detail) { " (" (i18n::audit::site_word(l)) " " (site) ")" }
                        },
                        None => code data-audit=(what) { (what) },
                    }
                },
                // The detail is stored as written (in English) and shown as the record it is.
                html! { @if !detail.is_empty() { code.detail { (detail) } } },
            ]
        })
        .collect();
    page(c, t.audit, grid("audit", &["#", t.time, t.actor, t.action, t.detail], &data, t.nothing))
}

/// A role as a person reads it, in the page's language.
pub(super) fn role_label(t: &super::i18n::T, role: super::auth::Role) -> &'static str {
    match role {
        super::auth::Role::Admin => t.roles[0],
        super::auth::Role::Auditor => t.roles[1],
    }
}

/// The CSRF token of the signed-in person, for the forms of a page.
pub(super) fn csrf<'a>(c: &Ctx<'a>) -> &'a str {
    c.actor.map(|a| a.csrf.as_str()).unwrap_or_default()
}

pub fn accounts(
    c: &Ctx,
    rows: &[(String, super::auth::Role, String, bool)],
    tokens: &[super::auth::TokenInfo],
    error: Option<&str>,
) -> String {
    let t = c.t;
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .map(|(name, role, created, disabled)| {
            let (label, to) = if *disabled { (t.enable, "enable") } else { (t.disable, "disable") };
            vec![
                html! { (name) },
                html! { (role_label(t, *role)) },
                c.when(created),
                html! {
                    @if *disabled { (t.disabled) " " }
                    form method="post" action={ "/admin/accounts/" (q(name)) "/" (to) } class="inline" {
                        input type="hidden" name="csrf" value=(csrf(c));
                        button type="submit" { (label) }
                    }
                },
            ]
        })
        .collect();
    let body = html! {
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        (grid("accounts", &[t.username, t.role, t.created, i18n::landmark_words(c.lang).actions], &data, t.nothing))
        h2 { (t.add_account) }
        form method="post" action="/admin/accounts" class="filters" {
            input type="hidden" name="csrf" value=(csrf(c));
            label { (t.username) input name="username" required; }
            label { (t.password) input name="password" type="password" minlength="12" required; }
            label { (t.role) select name="role" { option value="auditor" { (t.roles[1]) } option value="admin" { (t.roles[0]) } } }
            button type="submit" data-action="add-account" { (t.add_account) }
        }
        (tokens_table(c, tokens))
    };
    page(c, t.accounts, body)
}

/// The API tokens, with their last use and a Revoke button for each one still valid.
fn tokens_table(c: &Ctx, tokens: &[super::auth::TokenInfo]) -> Markup {
    use super::auth::TokenStatus;
    let t = c.t;
    let when = |x: Option<&str>, none: &str| x.map_or_else(|| html! { (none) }, |x| c.when(x));
    let data: Vec<Vec<Markup>> = tokens
        .iter()
        .map(|k| {
            let status = match k.status {
                TokenStatus::Active => html! {
                    form method="post" action={ "/admin/tokens/" (k.id) "/revoke" } class="inline" {
                        input type="hidden" name="csrf" value=(csrf(c));
                        button type="submit" data-action="revoke-token" data-token=(k.id) { (t.revoke) }
                    }
                },
                TokenStatus::Expired => html! { span data-token-status="expired" { (t.expired) } },
                TokenStatus::Revoked => html! {
                    span data-token-status="revoked" { (t.revoked) }
                    " " (when(k.revoked_at.as_deref(), "")) " (" (k.revoked_by.as_deref().unwrap_or("")) ")"
                },
            };
            vec![
                html! { (k.id) },
                html! { (k.name) },
                html! { (role_label(t, k.role)) },
                html! { (when(Some(&k.created_at), "")) " (" (k.created_by) ")" },
                html! { (when(k.expires_at.as_deref(), t.never)) },
                html! { span data-last-used=(k.id) { (when(k.last_used_at.as_deref(), t.never)) } },
                status,
            ]
        })
        .collect();
    html! {
        h2 { (t.tokens) }
        p.note {
            (t.tokens_note[0]) code { "Authorization: Bearer" } (t.tokens_note[1]) code { "kelisim token create" } (t.tokens_note[2])
        }
        (grid("tokens", &["#", t.token_name, t.role, t.created, t.expires, t.last_used, i18n::landmark_words(c.lang).actions], &data, t.nothing))
    }
}

/// Integrity panel and export form. `result`: the outcome of "verify now", when just run.
pub fn export(
    c: &Ctx,
    cfg: &Config,
    latest: Option<(u64, String, String)>,
    result: Option<&Result<Audited, IntegrityError>>,
) -> String {
    let t = c.t;
    let s = q(&cfg.site);
    let body = html! {
        h2 { (t.integrity) }
        @match result {
            Some(Ok(summary)) => p.ok data-integrity="ok" role="status" { b { (t.intact) } ": " (i18n::audit::integrity(c.lang, summary)) },
            // What is wrong, as `kelisim log verify` says it (English, like the server's log).
            Some(Err(problem)) => p.error data-integrity="broken" role="alert" { b { (t.broken) } ": " code { (problem) } },
            None => {}
        }
        @match latest {
            Some((size, root, time)) => p { (t.latest_checkpoint) ": " b data-checkpoint-size=(size) { (size) } " · " code { (root) } " · " (c.when(&time)) },
            None => p { (t.no_checkpoint) },
        }
        form method="post" action={ "/admin/sites/" (s) "/verify" } {
            input type="hidden" name="csrf" value=(csrf(c));
            button type="submit" data-action="verify" { (t.verify_now) }
        }
        h2 { (t.export) }
        p.note { (t.export_note[0]) code { "kelisim verify " (t.verify_file) ".zip" } (t.export_note[1]) }
        form method="post" action={ "/admin/sites/" (s) "/export" } class="filters" {
            input type="hidden" name="csrf" value=(csrf(c));
            label { (t.from) input type="date" name="from"; }
            label { (t.to) input type="date" name="to"; }
            button type="submit" data-action="export" { (t.download) }
        }
    };
    page(c, &format!("{} — {}", cfg.name, t.export), body)
}

/// The page a person sees for a request the dashboard refused or could not answer.
pub fn error(l: Lang, e: &AdminError) -> String {
    let c = Ctx {
        t: i18n::t(l),
        lang: l,
        actor: None,
        site: None,
        refresh: None,
        tz: kelisim_shared::policy::time_zone(None),
    };
    let (title, text) = i18n::error_text(l, e);
    let body = html! {
        p.error role="alert" data-error=(e.status_code().as_u16()) { (text) }
        @match e {
            AdminError::BadRequest(detail) | AdminError::Conflict(detail) => p { code { (detail) } },
            AdminError::InvalidPolicy(errors) => @for e in &errors.0 { p.problem { (i18n::problems::located(l, e)) } },
            _ => {}
        }
        p { a href="/admin/" { (i18n::back_to_sites(l)) } }
    };
    page(&c, title, body)
}

/// A draft that passed the check: its version, what changes for visitors, and whether they are
/// asked again (`None`: a new site, which no visitor has answered yet). The policy page and the
/// site editor say it alike ([`verdict`]).
pub struct Verdict {
    pub version: String,
    pub changes: String,
    pub asked_again: Option<bool>,
}

/// What checking or publishing a draft on the policy page found.
pub enum PolicyOutcome {
    Valid(Verdict),
    Published(Verdict),
    Invalid(kelisim_shared::policy::PolicyErrors),
}

/// A passed check (`published` false) or a publish, as the editors show it.
pub fn verdict(l: Lang, published: bool, v: &Verdict) -> Markup {
    let w = i18n::policy_words(l);
    let said = match v.asked_again {
        Some(true) => w.asked_again,
        Some(false) => w.not_asked_again,
        None => "",
    };
    html! {
        div.ok role="status" data-policy=(if published { "published" } else { "valid" }) {
            p { b { (if published { w.published } else { w.valid }) " " code { (&v.version[..12]) } } }
            p { (w.changes) ": " (v.changes) ". " (said) }
        }
    }
}

/// A site's policy file as text, to check and publish (admin) or read and check (auditor).
/// `site` and `name`: the site's id and name (a new site's name is its id until published).
pub fn policy(
    c: &Ctx,
    (site, name): (&str, &str),
    path: &str,
    (text, languages): (&str, &[Lang]),
    outcome: Option<&PolicyOutcome>,
) -> String {
    let w = i18n::policy_words(c.lang);
    let s = q(site);
    // What a draft still leaves for a person: every value marked TODO (comments aside), as a
    // checklist.
    let todos: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("TODO") && !l.trim_start().starts_with('#'))
        .map(|(i, l)| (i + 1, l.trim()))
        .collect();
    let admin = c.actor.is_some_and(|a| a.role == super::auth::Role::Admin);
    let body = html! {
        (super::editor::tabs(c.lang, site, false, c.site.is_none()))
        p.note { (w.note) " " code { (path) } }
        @match outcome {
            Some(PolicyOutcome::Valid(v)) => (verdict(c.lang, false, v)),
            Some(PolicyOutcome::Published(v)) => (verdict(c.lang, true, v)),
            Some(PolicyOutcome::Invalid(errors)) => div.error role="alert" data-policy="invalid" {
                p { b { (w.has_errors) } }
                @for e in &errors.0 { p.problem data-line=(e.line) { (i18n::problems::located(c.lang, e)) } }
            },
            None => {}
        }
        @if !todos.is_empty() {
            div.note data-todos=(todos.len()) {
                p { b { (w.todos) } }
                ul { @for (line, l) in &todos { li { (w.line) " " (line) ": " code { (l) } } } }
            }
        }
        @if !admin { p.note { (w.read_only) } }
        form method="post" action={ "/admin/sites/" (s) "/policy" } class="policy with-preview" id="k-editor" data-preview {
            input type="hidden" name="csrf" value=(csrf(c));
            div.source {
                textarea name="text" rows="36" spellcheck="false" aria-label=(w.tab) { (text) }
                p {
                    button type="submit" name="do" value="check" data-action="check" { (w.check) }
                    @if admin {
                        " "
                        button type="submit" name="do" value="publish" data-action="publish" { (w.publish) }
                    }
                }
            }
            (super::preview::pane(c.lang, site, languages))
        }
        script src="/admin/static/preview.js" {}
    };
    page(c, &format!("{name} — {}", w.tab), body)
}

/// How to put the banner on the site: the script tag for this server, gating examples with the
/// site's own category ids, the reopen link, the CSP line, "Check my site" and the scan command.
/// The Install page; `every`: the file says `auto_block = "catalogue"`.
pub fn install(c: &Ctx, cfg: &Config, every: bool, origin: &str, check: &super::site_check::View) -> String {
    let w = i18n::install_words(c.lang);
    // The catalogue services the site declares, held back with no markup (docs/auto-blocking.md).
    let auto: Vec<(&str, &str)> = cfg
        .categories
        .iter()
        .filter(|k| !k.required)
        .flat_map(|k| {
            k.services
                .iter()
                .filter(|s| kelisim_shared::catalogue::get(&s.id).is_some())
                .map(|s| (s.name.as_str(), k.id.as_str()))
        })
        .collect();
    // What the loader really holds back: nothing when no pattern fits an optional category.
    let blocking = !kelisim_shared::catalogue::block_rules(&cfg.categories, every).is_empty();
    let site = &cfg.site;
    let optional: Vec<&str> = cfg.categories.iter().filter(|k| !k.required).map(|k| k.id.as_str()).collect();
    // The examples use the usual categories where the site has them.
    let pick = |usual: &str, fallback: Option<&&str>| {
        optional.iter().find(|k| **k == usual).or(fallback).copied().unwrap_or(usual).to_owned()
    };
    let (first, last) = (pick("analytics", optional.first()), pick("marketing", optional.last()));
    let tag = format!("<script src=\"{origin}/kelisim.js\" data-site=\"{site}\"></script>");
    let inline = w.inline;
    // A tracker the blocker holds needs no markup: the example is then a script of the site's own.
    let example = if blocking { "https://example.kz/counter.js" } else { "https://mc.yandex.ru/metrika/tag.js" };
    let gating = format!(
        "<script type=\"text/plain\" data-category=\"{first}\" data-src=\"{example}\"></script>\n\
         <script type=\"text/plain\" data-category=\"{first}\">{inline}</script>\n\
         <iframe data-category=\"{last}\" data-src=\"https://www.youtube.com/embed/VIDEO_ID\" width=\"560\" height=\"315\" title=\"…\"></iframe>\n\
         <img data-category=\"{last}\" data-src=\"https://example.kz/pixel.gif\" alt=\"\">"
    );
    let csp = format!(
        "Content-Security-Policy: default-src 'self'; script-src 'nonce-{{NONCE}}' 'wasm-unsafe-eval'; style-src 'nonce-{{NONCE}}'; connect-src {origin}\n\n\
         <script src=\"{origin}/kelisim.js\" data-site=\"{site}\" nonce=\"{{NONCE}}\"></script>"
    );
    let titles: Vec<String> = cfg
        .categories
        .iter()
        .map(|k| format!("{} — {}", k.id, k.title.get_or(c.lang, &cfg.languages).map_or("", String::as_str)))
        .collect();
    let body = html! {
        h2 { (w.loader) }
        p { (w.loader_note) }
        pre data-install="loader" { code { (tag) } }
        h2 { (w.gate) }
        @if blocking {
            div data-install="auto" {
                p { (w.auto_note) }
                @if !auto.is_empty() { ul { @for (name, cat) in &auto { li { (name) " — " code { (cat) } } } } }
                @if every { p { (w.auto_catalogue) } }
                p { (w.auto_limit) }
            }
            p { (w.gate_rest) }
        } @else {
            p { (w.gate_note) }
        }
        ul { @for t in &titles { li { code { (t) } } } }
        pre { code { (gating) } }
        h2 { (w.reopen) }
        p { (w.reopen_note) }
        pre { code { "<a href=\"#kelisim\">…</a>" } }
        h2 { (w.csp) }
        p { (w.csp_note) }
        pre { code { (csp) } }
        (super::site_check::section(c, cfg, check))
        h2 { (w.check) }
        p { (w.check_note) }
        pre { code { "kelisim scan " (check.url) " --site " (site) " --sites <DIR> --data <DIR>" } }
    };
    page(c, &format!("{} — {}", cfg.name, w.tab), body)
}
