//! The text-version pages: the list of a site's versions by short name, one version as its
//! visitors saw it (the real widget per language, what changed since the one before), and two
//! versions side by side.

use super::html::{grid, page, q, Ctx};
use super::i18n;
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use maud::{html, Markup};

/// A version's short name: its number in publish order (the first version served is v1) and
/// the day it was first served, in the site's zone: «v3 · 6 декабря 2026».
/// The overview and its CSV name versions the same way.
pub fn short_name_in(l: Lang, tz: &jiff::tz::TimeZone, n: usize, seen: &str) -> String {
    let day = seen
        .trim()
        .parse::<jiff::Timestamp>()
        .map_or_else(|_| seen.to_owned(), |ts| i18n::when::date(l, ts.to_zoned_datetime(tz.clone()).date()));
    format!("v{n} · {day}")
}

fn short_name(c: &Ctx, n: usize, seen: &str) -> String {
    short_name_in(c.lang, &c.tz, n, seen)
}

/// The short name in a `<time>` whose title has the instant (`Ctx::when`'s).
fn short_name_markup(c: &Ctx, n: usize, seen: &str) -> Markup {
    let (_, title) = i18n::when::shown(c.lang, &c.tz, seen);
    html! { time.vname datetime=(seen) title=[title] data-version-no=(n) { (short_name(c, n, seen)) } }
}

/// A version's number in publish order, from the list newest first.
fn number(rows: &[(String, String, i64)], i: usize) -> usize {
    rows.len() - i
}

/// The site's text versions, newest first: each by its short name, with its decisions, a link
/// to what changed since the one before, and a form to compare any two.
pub fn versions(c: &Ctx, cfg: &Config, rows: &[(String, String, i64)]) -> String {
    let t = c.t;
    let w = i18n::compare_words(c.lang);
    let vw = i18n::versions_words(c.lang);
    let s = q(&cfg.site);
    let data: Vec<Vec<Markup>> = rows
        .iter()
        .enumerate()
        .map(|(i, (v, seen, n))| {
            let no = number(rows, i);
            vec![
                html! {
                    a href={ "/admin/sites/" (s) "/configs/" (q(v)) } { (short_name_markup(c, no, seen)) }
                    @if i == 0 { " " small.current { "(" (vw.current) ")" } }
                },
                c.when(seen),
                html! { (i18n::count::count(c.lang, *n, &i18n::count::DECISION)) },
                html! {
                    @match rows.get(i + 1) {
                        Some((prev, _, _)) => a href={ "/admin/sites/" (s) "/compare?a=" (q(prev)) "&b=" (q(v)) } data-changes=(no) { (vw.changes_short) },
                        None => span.empty { (vw.first_short) },
                    }
                },
                html! { code title=(v) { (&v[..12.min(v.len())]) } },
            ]
        })
        .collect();
    let option = |i: usize, v: &str, seen: &str, selected: bool| {
        html! { option value=(v) selected[selected] { (short_name(c, number(rows, i), seen)) } }
    };
    let body = html! {
        @if rows.len() > 1 {
            form method="get" action={ "/admin/sites/" (s) "/compare" } class="filters" {
                label { (w.older) " " select name="a" { @for (i, (v, seen, _)) in rows.iter().enumerate() { (option(i, v, seen, i == 1)) } } }
                label { (w.newer) " " select name="b" { @for (i, (v, seen, _)) in rows.iter().enumerate() { (option(i, v, seen, i == 0)) } } }
                button type="submit" data-action="compare" { (w.compare) }
            }
        }
        (grid("versions", &[vw.name, t.first_seen, t.events, vw.changes_column, vw.fingerprint], &data, t.nothing))
    };
    page(c, &format!("{} — {}", cfg.name, t.configs), body)
}

/// Every visitor-facing text of a config version, in order: (what, language, text).
fn texts(v: &Config) -> Vec<(String, Lang, String)> {
    let mut out = Vec::new();
    for l in &v.languages {
        if let Some(name) = v.operator.name.get(*l) {
            out.push(("operator".to_owned(), *l, name.clone()));
        }
    }
    for k in &v.categories {
        for l in &v.languages {
            let list = |x: &kelisim_shared::config::TextList| x.get(*l).map(|v| v.join("; ")).unwrap_or_default();
            let text = |x: &kelisim_shared::config::Text| x.get(*l).cloned().unwrap_or_default();
            for (field, value) in [
                ("title", text(&k.title)),
                ("description", text(&k.description)),
                ("data", list(&k.data)),
                ("purposes", list(&k.purposes)),
                ("retention", text(&k.retention)),
            ] {
                out.push((format!("{} · {field}", k.id), *l, value));
            }
        }
    }
    out
}

/// The texts that differ between two versions, side by side: (table, how many differ, how
/// many are the same).
fn differences(c: &Ctx, a: &Config, b: &Config, heads: [Markup; 2]) -> (Markup, usize, usize) {
    let (ta, tb) = (texts(a), texts(b));
    let find = |list: &[(String, Lang, String)], what: &str, l: Lang| {
        list.iter().find(|(w2, l2, _)| w2 == what && *l2 == l).map(|(_, _, t)| t.clone())
    };
    let mut keys: Vec<(String, Lang)> = tb.iter().map(|(w, l, _)| (w.clone(), *l)).collect();
    for (what, l, _) in &ta {
        if !keys.iter().any(|(w2, l2)| w2 == what && l2 == l) {
            keys.push((what.clone(), *l));
        }
    }
    let mut same = 0;
    let rows: Vec<Markup> = keys
        .iter()
        .filter_map(|(what, l)| {
            let (x, y) = (find(&ta, what, *l), find(&tb, what, *l));
            if x == y {
                same += 1;
                return None;
            }
            Some(html! {
                tr.changed {
                    th scope="row" { (what) " " small { (l.code()) } }
                    td lang=(l.code()) { (x.unwrap_or_else(|| "—".into())) }
                    td lang=(l.code()) { (y.unwrap_or_else(|| "—".into())) }
                }
            })
        })
        .collect();
    let [ha, hb] = heads;
    let table = html! {
        @if !rows.is_empty() {
            table.grid.compare {
                thead { tr { th scope="col" { (i18n::landmark_words(c.lang).text) } th scope="col" { (ha) } th scope="col" { (hb) } } }
                tbody { @for r in &rows { (r) } }
            }
        }
    };
    (table, rows.len(), same)
}

/// Two config versions side by side: each text of either, the ones that differ marked.
/// `names`: each version's short name, when it is in the list.
pub fn compare(c: &Ctx, cfg: &Config, a: &Config, b: &Config, names: [Option<(usize, &str)>; 2]) -> String {
    let w = i18n::compare_words(c.lang);
    let head = |v: &Config, name: Option<(usize, &str)>| match name {
        Some((n, seen)) => html! {
            a href={ "/admin/sites/" (q(&cfg.site)) "/configs/" (q(&v.version)) } { (short_name_markup(c, n, seen)) }
        },
        None => html! { code { (&v.version[..12.min(v.version.len())]) } },
    };
    let (table, differ, same) = differences(c, a, b, [head(a, names[0]), head(b, names[1])]);
    let body = html! {
        p { (w.differ) ": " b data-differ=(differ) { (differ) } " · " (w.same) ": " (same) }
        (table)
    };
    page(c, &format!("{} — {}", cfg.name, w.title), body)
}

/// The language's own name, as the switcher writes it.
fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::Kk => "Қазақша",
        Lang::Ru => "Русский",
        Lang::En => "English",
    }
}

/// One version as its visitors saw it: its short name and date, the real widget of that version
/// in each of its languages (frames of `…/configs/{version}/preview`), what changed since the
/// version before, and the details (hash, every text as stored).
pub struct VersionView<'a> {
    pub v: &'a Config,
    /// The site's versions, newest first (`Dashboard::versions`).
    pub list: &'a [(String, String, i64)],
    /// The version before this one, parsed.
    pub previous: Option<&'a Config>,
    /// The layer the frames show: `banner` or `preferences`.
    pub layer: &'a str,
    /// Whether this server has the widget built in.
    pub widget: bool,
}

pub fn version(c: &Ctx, view: &VersionView) -> String {
    let VersionView { v, list, previous, layer, widget } = *view;
    let w = i18n::versions_words(c.lang);
    let s = q(&v.site);
    let at = list.iter().position(|(x, _, _)| *x == v.version);
    let name = at.map(|i| (number(list, i), list[i].1.as_str()));
    let title = match name {
        Some((n, seen)) => format!("{} — {}", v.name, short_name(c, n, seen)),
        None => format!("{} — {}", v.name, &v.version[..12.min(v.version.len())]),
    };
    let link = |i: usize| {
        list.get(i)
            .map(|(x, seen, _)| (format!("/admin/sites/{s}/configs/{}", q(x)), short_name(c, number(list, i), seen)))
    };
    let (newer, older) = match at {
        Some(i) => (i.checked_sub(1).and_then(link), link(i + 1)),
        None => (None, None),
    };
    let text = |x: Option<&String>| x.map(String::as_str).unwrap_or("").to_owned();
    let body = html! {
        p.published {
            @if let Some((n, seen)) = name {
                span data-version-no=(n) { (w.published_on.split("{date}").next().unwrap_or("")) (c.when(seen)) (w.published_on.split("{date}").nth(1).unwrap_or("")) }
                @if at == Some(0) { " " small.current { "(" (w.current) ")" } }
            }
            @if let Some((href, label)) = &older { " · " a href=(href) rel="prev" { "← " (w.previous) ": " (label) } }
            @if let Some((href, label)) = &newer { " · " a href=(href) rel="next" { (w.next) ": " (label) " →" } }
        }
        section.as-seen aria-labelledby="as-seen" {
            h2 #as-seen { (w.as_seen) }
            p.hint { (w.as_seen_note) }
            @if widget {
                form method="get" class="filters" {
                    label { (w.layer) " "
                        select name="layer" {
                            option value="banner" selected[layer != "preferences"] { (w.first_layer) }
                            option value="preferences" selected[layer == "preferences"] { (w.preferences) }
                        }
                    }
                    button type="submit" data-action="show-layer" { (w.show) }
                }
                div.frames {
                    @for l in &v.languages {
                        figure lang=(l.code()) {
                            figcaption { (lang_name(*l)) }
                            iframe title={ (w.as_seen) " — " (lang_name(*l)) } sandbox="allow-scripts" data-lang=(l.code())
                                src={ "/admin/sites/" (s) "/configs/" (q(&v.version)) "/preview?lang=" (l.code()) "&layer=" (if layer == "preferences" { "preferences" } else { "banner" }) } {}
                        }
                    }
                }
            } @else {
                p.empty { (w.no_widget) }
            }
        }
        section.changes aria-labelledby="changes" {
            h2 #changes { (w.changes) }
            @match previous {
                Some(p) => {
                    @let heads = [
                        html! { (older.as_ref().map_or_else(|| p.version[..12.min(p.version.len())].to_owned(), |(_, l)| l.clone())) },
                        html! { (name.map_or_else(|| v.version[..12.min(v.version.len())].to_owned(), |(n, seen)| short_name(c, n, seen))) },
                    ];
                    @let (table, differ, _) = differences(c, p, v, heads);
                    @if differ == 0 {
                        p data-differ="0" { (w.no_change) }
                    } @else {
                        p data-differ=(differ) { (i18n::count::count(c.lang, differ, &i18n::TEXT_CHANGE)) }
                        (table)
                    }
                    p { a href={ "/admin/sites/" (s) "/compare?a=" (q(&p.version)) "&b=" (q(&v.version)) } data-action="full-compare" { (w.full_compare) } }
                }
                None => p.empty data-differ="none" { (w.first) },
            }
        }
        details.tech {
            summary { (w.details) }
            p { code { (v.version) } " · " (v.policy_version) " · " a href=(v.policy_url) { (v.policy_url) } }
            @for k in &v.categories {
                section.cat {
                    h3 { (k.id) @if k.required { " *" } }
                    @for l in &v.languages {
                        @let list = |x: &kelisim_shared::config::TextList| x.get(*l).map(|v| v.join("; ")).unwrap_or_default();
                        div.text lang=(l.code()) {
                            b { (l.code()) } ": " b { (text(k.title.get(*l))) } " — " (text(k.description.get(*l))) " "
                            br;
                            small { (list(&k.data)) " · " (list(&k.purposes)) " · " (text(k.retention.get(*l))) }
                        }
                    }
                }
            }
        }
    };
    page(c, &title, body)
}
