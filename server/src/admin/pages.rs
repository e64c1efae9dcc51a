//! The dashboard pages (SPEC §7), rendered from what `queries` and `auth` return.

use super::charts;
use super::html::{esc, grid, layout, page, q, table, Ctx};
use super::i18n::{action_label, ACTIONS};
use super::queries::{EventRow, Filter, Stats};
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use maud::{html, Markup};
use std::fmt::Write;

pub fn login(c: &Ctx, error: Option<&str>) -> String {
    let t = c.t;
    page(
        c,
        t.login,
        html! {
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action="/admin/login" class="login" {
                label { (t.username) input name="username" autocomplete="username" required; }
                label { (t.password) input name="password" type="password" autocomplete="current-password" required; }
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
}

/// The sites, each with its number of decisions and its latest scan.
pub fn sites(c: &Ctx, sites: &[SiteRow]) -> String {
    let w = super::i18n::scan_words(c.lang);
    let rows: Vec<Vec<Markup>> = sites
        .iter()
        .map(|SiteRow { id, name, events: n, scan }| {
            let href = format!("/admin/sites/{}/", q(id));
            let scan = html! {
                @match scan {
                    Some((at, v)) => {
                        a href={ (href) "scan" } data-scan-violations=(v) { (super::scan_page::when(at)) }
                        " · " (w.violations) ": "
                        @if *v > 0 { b.overdue { (v) } } @else { (v) }
                    }
                    None => a href={ (href) "scan" } { "—" },
                }
            };
            vec![html! { a href=(href) { (id) } }, html! { (name) }, html! { (n) }, scan]
        })
        .collect();
    page(c, c.t.sites, grid("sites", &["ID", c.t.sites, c.t.events, w.last_scan], &rows, c.t.nothing))
}

fn title(cfg: &Config, id: &str, lang: Lang) -> String {
    cfg.category(id).and_then(|k| k.title.get_or(lang, &cfg.languages)).cloned().unwrap_or_else(|| id.to_owned())
}

pub fn overview(c: &Ctx, cfg: &Config, s: &Stats) -> String {
    let t = c.t;
    let share = |n: i64| if s.total > 0 { format!("{:.1}%", n as f64 * 100.0 / s.total as f64) } else { "—".into() };
    let cats: Vec<(String, String)> = cfg.categories.iter().filter(|k| !k.required).map(|k| (k.id.clone(), title(cfg, &k.id, c.lang))).collect();
    let versions: Vec<Vec<Markup>> = s
        .by_version
        .iter()
        .map(|(v, n)| vec![html! { a href={ "/admin/sites/" (q(&cfg.site)) "/configs/" (q(v)) } { code { (&v[..12.min(v.len())]) } } }, html! { (n) }, html! { (share(*n)) }])
        .collect();
    let languages: Vec<Vec<Markup>> = s.by_language.iter().map(|(l, n)| vec![html! { (l) }, html! { (n) }, html! { (share(*n)) }]).collect();
    let body = html! {
        p.total { b data-stat="total" { (s.total) } " " (t.events) }
        div.cards {
            @for a in ACTIONS {
                @let n = s.by_action.iter().find(|(x, _)| x == a).map(|x| x.1).unwrap_or(0);
                @let pct = if s.total > 0 { n as f64 * 100.0 / s.total as f64 } else { 0.0 };
                div.card data-action=(a) { span { (action_label(t, a)) } b { (n) } small { (format!("{pct:.1}%")) } }
            }
        }
        h2 { (t.per_day) }
        (charts::decisions_per_day(&s.per_day, t.per_day))
        p.legend {
            @for (a, color) in charts::ACTION_COLORS {
                span.key { (charts::key(color)) " " (action_label(t, a)) }
                " "
            }
        }
        h2 { (t.per_category) }
        (charts::acceptance_per_category(&s.per_category, &cats, t.per_category))
        h2 { (t.by_version) }
        (grid("versions", &[t.version, t.events, t.share], &versions, t.nothing))
        h2 { (t.by_language) }
        (grid("languages", &[t.language, t.events, t.share], &languages, t.nothing))
    };
    page(c, &format!("{} — {}", cfg.name, t.overview), body)
}

fn select(name: &str, label: &str, any: &str, options: &[(String, String)], cur: &str) -> String {
    let mut h = format!(r#"<label>{}<select name="{name}"><option value="">{}</option>"#, esc(label), esc(any));
    for (v, l) in options {
        let sel = if v == cur { " selected" } else { "" };
        let _ = write!(h, r#"<option value="{}"{sel}>{}</option>"#, esc(v), esc(l));
    }
    h.push_str("</select></label>");
    h
}

/// A record's number, flagged when the record does not match its own leaf (`log::audit`): it is
/// then shown as its signed bytes have it, never as a plain row.
fn mismatch_flag(t: &super::i18n::T, seq: i64, problem: Option<&str>) -> String {
    match problem {
        Some(p) => format!(r#"<strong class="bad" data-problem="{}" title="{}: {}">⚠ {seq}</strong>"#, esc(p), esc(t.mismatch), esc(p)),
        None => seq.to_string(),
    }
}

pub fn events_table(c: &Ctx, cfg: &Config, rows: &[EventRow]) -> String {
    let t = c.t;
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                mismatch_flag(t, r.seq, r.problem.as_deref()),
                esc(&r.recorded_at),
                format!(r#"<a href="/admin/sites/{}/log?consent_id={}"><code>{}</code></a>"#, q(&cfg.site), q(&r.consent_id), esc(&r.consent_id)),
                format!(r#"<span data-action="{}">{}</span>"#, esc(&r.action), action_label(t, &r.action)),
                esc(&r.granted.iter().map(|g| title(cfg, g, c.lang)).collect::<Vec<_>>().join(", ")),
                esc(&r.language),
                format!("<code>{}</code>{}", esc(&r.config_version[..12.min(r.config_version.len())]), if r.gpc { " GPC" } else { "" }),
            ]
        })
        .collect();
    table("log", &["#", t.time, t.consent_id, t.action, t.granted, t.language, t.version], &data, t.nothing)
}

pub fn log(c: &Ctx, cfg: &Config, f: &Filter, rows: &[EventRow], next: Option<i64>, versions: &[(String, String, i64)]) -> String {
    let t = c.t;
    let mut b = String::new();
    let actions: Vec<(String, String)> = ACTIONS.iter().map(|a| (a.to_string(), action_label(t, a).to_owned())).collect();
    let cats: Vec<(String, String)> = cfg.categories.iter().map(|k| (k.id.clone(), title(cfg, &k.id, c.lang))).collect();
    let vers: Vec<(String, String)> = versions.iter().map(|(v, seen, _)| (v.clone(), format!("{} ({})", &v[..12.min(v.len())], &seen[..10.min(seen.len())]))).collect();
    let langs: Vec<(String, String)> = cfg.languages.iter().map(|l| (l.code().to_owned(), l.code().to_owned())).collect();
    let _ = write!(
        b,
        r#"<form method="get" class="filters"><label>{}<input type="date" name="from" value="{}"></label><label>{}<input type="date" name="to" value="{}"></label>{}{}{}{}<label>{}<input name="consent_id" value="{}" size="36"></label><button type="submit" data-action="filter">{}</button></form>"#,
        t.from,
        esc(&f.from),
        t.to,
        esc(&f.to),
        select("action", t.action, t.any, &actions, &f.action),
        select("category", t.category, t.any, &cats, &f.category),
        select("version", t.version, t.any, &vers, &f.version),
        select("language", t.language, t.any, &langs, &f.language),
        t.consent_id,
        esc(&f.consent_id),
        t.filter
    );
    if !f.consent_id.is_empty() {
        let _ = write!(b, "<h2>{}</h2>", t.history);
    }
    b.push_str(&events_table(c, cfg, rows));
    if let Some(n) = next {
        let mut g = f.clone();
        g.before = Some(n);
        let qs = serde_urlencoded::to_string(&g).unwrap_or_default();
        let _ = write!(b, r#"<p class="pager"><a rel="next" data-action="older" href="?{}">{}</a></p>"#, esc(&qs), t.older);
    }
    layout(c, &format!("{} — {}", cfg.name, t.log), &b)
}

pub fn withdrawals(c: &Ctx, cfg: &Config, rows: &[(i64, String, String, i64, String, bool, Option<String>)]) -> String {
    let t = c.t;
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|(seq, at, id, age, due, overdue, problem)| {
            vec![
                mismatch_flag(t, *seq, problem.as_deref()),
                esc(at),
                format!(r#"<a href="/admin/sites/{}/log?consent_id={}"><code>{}</code></a>"#, q(&cfg.site), q(id), esc(id)),
                format!(r#"<span data-age="{age}">{age}</span>"#),
                format!("{}{}", esc(due), if *overdue { format!(r#" <b class="overdue">{}</b>"#, t.overdue) } else { String::new() }),
            ]
        })
        .collect();
    let b = format!(r#"<p class="note">{}</p>{}"#, esc(t.withdrawals_note), table("withdrawals", &["#", t.time, t.consent_id, t.age, t.due], &data, t.nothing));
    layout(c, &format!("{} — {}", cfg.name, t.withdrawals), &b)
}

pub fn versions(c: &Ctx, cfg: &Config, rows: &[(String, String, i64)]) -> String {
    let t = c.t;
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|(v, seen, n)| vec![format!(r#"<a href="/admin/sites/{}/configs/{}"><code>{}</code></a>"#, q(&cfg.site), q(v), esc(v)), esc(seen), n.to_string()])
        .collect();
    layout(c, &format!("{} — {}", cfg.name, t.configs), &table("versions", &[t.version, t.first_seen, t.events], &data, t.nothing))
}

/// The texts one config version showed, in every language it had.
pub fn version(c: &Ctx, v: &Config) -> String {
    let mut b = format!("<p><code>{}</code> · {} · <a href=\"{}\">{}</a></p>", esc(&v.version), esc(&v.policy_version), esc(&v.policy_url), esc(&v.policy_url));
    for k in &v.categories {
        let _ = write!(b, r#"<section class="cat"><h2>{}{}</h2>"#, esc(&k.id), if k.required { " *" } else { "" });
        for l in &v.languages {
            let list = |x: &kelisim_shared::config::TextList| x.get(*l).map(|v| v.join("; ")).unwrap_or_default();
            let _ = write!(
                b,
                r#"<div class="text" lang="{code}"><b>{code}</b>: <b>{}</b> — {} <br><small>{} · {} · {}</small></div>"#,
                esc(k.title.get(*l).map(String::as_str).unwrap_or("")),
                esc(k.description.get(*l).map(String::as_str).unwrap_or("")),
                esc(&list(&k.data)),
                esc(&list(&k.purposes)),
                esc(k.retention.get(*l).map(String::as_str).unwrap_or("")),
                code = l.code()
            );
        }
        b.push_str("</section>");
    }
    layout(c, &format!("{} — {}", v.name, &v.version[..12.min(v.version.len())]), &b)
}

pub fn audit(c: &Ctx, rows: &[(i64, String, String, String, String)]) -> String {
    let t = c.t;
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .map(|(seq, at, who, what, detail)| vec![html! { (seq) }, html! { (at) }, html! { (who) }, html! { code data-audit=(what) { (what) } }, html! { (detail) }])
        .collect();
    page(c, t.audit, grid("audit", &["#", t.time, t.actor, t.action, t.detail], &data, t.nothing))
}

/// The CSRF token of the signed-in person, for the forms of a page.
fn csrf<'a>(c: &Ctx<'a>) -> &'a str {
    c.actor.map(|a| a.csrf.as_str()).unwrap_or_default()
}

pub fn accounts(c: &Ctx, rows: &[(String, super::auth::Role, String, bool)], tokens: &[super::auth::TokenInfo], error: Option<&str>) -> String {
    let t = c.t;
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .map(|(name, role, created, disabled)| {
            let (label, to) = if *disabled { (t.enable, "enable") } else { (t.disable, "disable") };
            vec![
                html! { (name) },
                html! { (role.as_str()) },
                html! { (created) },
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
        (grid("accounts", &[t.username, t.role, t.created, ""], &data, t.nothing))
        h2 { (t.add_account) }
        form method="post" action="/admin/accounts" class="filters" {
            input type="hidden" name="csrf" value=(csrf(c));
            label { (t.username) input name="username" required; }
            label { (t.password) input name="password" type="password" minlength="12" required; }
            label { (t.role) select name="role" { option { "auditor" } option { "admin" } } }
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
    let when = |x: Option<&str>, none: &str| x.map(|x| x.get(..16).unwrap_or(x).replace('T', " ")).unwrap_or_else(|| none.to_owned());
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
                html! { (k.role.as_str()) },
                html! { (when(Some(&k.created_at), "")) " (" (k.created_by) ")" },
                html! { (when(k.expires_at.as_deref(), t.never)) },
                html! { span data-last-used=(k.id) { (when(k.last_used_at.as_deref(), t.never)) } },
                status,
            ]
        })
        .collect();
    html! {
        h2 { (t.tokens) }
        p.note { (t.tokens_note) }
        (grid("tokens", &["#", t.token_name, t.role, t.created, t.expires, t.last_used, ""], &data, t.nothing))
    }
}

/// Integrity panel and export form. `result`: the outcome of "verify now", when just run.
pub fn export(c: &Ctx, cfg: &Config, latest: Option<(u64, String, String)>, result: Option<Result<String, String>>) -> String {
    let t = c.t;
    let csrf = c.actor.map(|a| esc(&a.csrf)).unwrap_or_default();
    let s = q(&cfg.site);
    let mut b = format!("<h2>{}</h2>", t.integrity);
    match &result {
        Some(Ok(summary)) => {
            let _ = write!(b, r#"<p class="ok" data-integrity="ok" role="status"><b>{}</b>: {}</p>"#, t.intact, esc(summary));
        }
        Some(Err(problem)) => {
            let _ = write!(b, r#"<p class="error" data-integrity="broken" role="alert"><b>{}</b>: {}</p>"#, t.broken, esc(problem));
        }
        None => {}
    }
    match latest {
        Some((size, root, time)) => {
            let _ = write!(b, r#"<p>{}: <b data-checkpoint-size="{size}">{size}</b> · <code>{}</code> · {}</p>"#, t.latest_checkpoint, esc(&root), esc(&time));
        }
        None => {
            let _ = write!(b, "<p>{}</p>", t.no_checkpoint);
        }
    }
    let _ = write!(
        b,
        r#"<form method="post" action="/admin/sites/{s}/verify"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" data-action="verify">{}</button></form>"#,
        t.verify_now
    );
    let _ = write!(
        b,
        r#"<h2>{ex}</h2><p class="note">{note}</p><form method="post" action="/admin/sites/{s}/export" class="filters"><input type="hidden" name="csrf" value="{csrf}"><label>{from}<input type="date" name="from"></label><label>{to}<input type="date" name="to"></label><button type="submit" data-action="export">{dl}</button></form>"#,
        ex = t.export,
        note = esc(t.export_note),
        from = t.from,
        to = t.to,
        dl = t.download
    );
    layout(c, &format!("{} — {}", cfg.name, t.export), &b)
}
