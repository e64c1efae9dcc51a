//! The editor's page: every field of [`ROOT`] as the document has it,
//! each problem of a check next to its field, and the list buttons. No script: each button
//! posts the whole form.

use super::apply::{entries, flag, lang_fields, set, shown};
use super::fields::{join, Field, Kind, LANGS, ROOT};
use crate::admin::html::{page as layout, q, Ctx};
use crate::admin::i18n::problems::problem as said;
use crate::admin::i18n::{editor_label, editor_words, policy_words, EditorWords};
use crate::admin::pages::{verdict, Verdict};
use kelisim_shared::lang::Lang;
use kelisim_shared::policy::paths::FieldProblem;
use kelisim_shared::policy::problem::Problem;
use maud::{html, Markup};
use std::collections::{HashMap, HashSet};
use toml_edit::{DocumentMut, InlineTable, TableLike};

/// What the last button did.
pub enum Outcome {
    /// The page as the file is.
    Shown,
    /// A list button changed the form; nothing is published.
    Edited,
    /// The check found problems (each at its field, where it has one).
    Invalid(Vec<FieldProblem>),
    Valid(Verdict),
    Published(Verdict),
}

/// The page: the site's id and name, the file's place, the TOML text the form is built from
/// (parsed, or why it is not TOML), and what the last button did.
pub struct View<'a> {
    pub site: &'a str,
    pub name: &'a str,
    pub path: &'a str,
    pub text: &'a str,
    pub doc: Result<&'a DocumentMut, String>,
    pub outcome: Outcome,
    /// The draft's languages, for the preview's language switch.
    pub languages: Vec<Lang>,
    /// A site not published yet (a draft from "New site").
    pub new: bool,
}

/// "Form | TOML file" above the editor and the raw file's page; `form`: the form is shown.
/// A published site's tabs are links to its file; a new site's (a draft that exists only in
/// the page) are buttons of the editor's form (`id="k-editor"`), which carry the draft over.
pub fn tabs(lang: Lang, site: &str, form: bool, new: bool) -> Markup {
    let w = editor_words(lang);
    let s = q(site);
    let tab = |is_form: bool| {
        let (path, label, id) = if is_form { ("edit", w.tab, "form") } else { ("policy", w.tab_file, "file") };
        let current = form == is_form;
        html! {
            @if new && !current {
                button type="submit" form="k-editor" formaction={ "/admin/sites/" (s) "/" (path) } formnovalidate
                    name="do" value="check" data-tab=(id) { (label) }
            } @else if new {
                span aria-current="page" data-tab=(id) { (label) }
            } @else {
                a href={ "/admin/sites/" (s) "/" (path) } aria-current=[current.then_some("page")] data-tab=(id) { (label) }
            }
        }
    };
    html! { nav.tabs { (tab(true)) (tab(false)) } }
}

struct R<'a> {
    w: &'static EditorWords,
    lang: Lang,
    placed: HashMap<String, Vec<&'a Problem>>,
    read_only: bool,
}

pub fn page(c: &Ctx, v: &View) -> String {
    let w = editor_words(c.lang);
    let read_only = !c.actor.is_some_and(|a| a.role == crate::admin::auth::Role::Admin);
    let (placed, top) = match (&v.outcome, &v.doc) {
        (Outcome::Invalid(problems), Ok(doc)) => place(problems, doc),
        (Outcome::Invalid(problems), Err(_)) => (HashMap::new(), problems.iter().collect()),
        _ => (HashMap::new(), Vec::new()),
    };
    let r = R { w, lang: c.lang, placed, read_only };
    let csrf = c.actor.map(|a| a.csrf.as_str()).unwrap_or_default();
    let body = html! {
        (tabs(c.lang, v.site, true, v.new))
        p.note { (w.note) " " code { (v.path) } }
        (outcome(c.lang, &v.outcome, &top))
        @if read_only { p.note { (w.read_only) } }
        @match &v.doc {
            Err(why) => div.error role="alert" data-editor="not-toml" { p { (w.not_toml) } pre { (why) } },
            Ok(doc) => form method="post" action={ "/admin/sites/" (q(v.site)) "/edit" } class="editor with-preview" id="k-editor" data-preview {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="source" value=(v.text);
                div.source {
                    // The first button is the one Enter presses: Check, not a list button.
                    (actions(&r))
                    (fields(&r, ROOT, doc.as_table(), ""))
                    (actions(&r))
                }
                (crate::admin::preview::pane(c.lang, v.site, &v.languages))
            },
        }
        script src="/admin/static/preview.js" {}
    };
    layout(c, &format!("{} — {}", v.name, w.tab), body)
}

fn actions(r: &R) -> Markup {
    let p = policy_words(r.lang);
    html! {
        p.actions {
            button type="submit" name="do" value="check" data-action="check" { (p.check) }
            @if !r.read_only {
                " "
                button type="submit" name="do" value="publish" data-action="publish" { (p.publish) }
            }
        }
    }
}

fn outcome(l: Lang, o: &Outcome, top: &[&FieldProblem]) -> Markup {
    let w = editor_words(l);
    html! {
        @match o {
            Outcome::Shown => {},
            Outcome::Edited => p.note role="status" data-editor="edited" { (w.edited) },
            Outcome::Invalid(all) => div.error role="alert" data-policy="invalid" data-problems=(all.len()) {
                p { b { (w.has_errors) } }
                @if !top.is_empty() {
                    p { (w.elsewhere) }
                    ul { @for t in top { li data-problem=(t.path) { @if !t.path.is_empty() { code { (t.path) } " " } (said(l, &t.problem)) } } }
                }
            },
            Outcome::Valid(v) => (verdict(l, false, v)),
            Outcome::Published(v) => (verdict(l, true, v)),
        }
    }
}

/// Each problem at the deepest field or entry of the form its path falls in (`origins.2` at
/// `origins`, `category.0` at the first category); the rest, for the top of the page.
fn place<'p>(
    problems: &'p [FieldProblem],
    doc: &DocumentMut,
) -> (HashMap<String, Vec<&'p Problem>>, Vec<&'p FieldProblem>) {
    let mut names = HashSet::new();
    anchors(ROOT, doc.as_table(), "", &mut names);
    let (mut placed, mut top) = (HashMap::<String, Vec<&Problem>>::new(), Vec::new());
    for p in problems {
        let segs: Vec<&str> = p.path.split('.').collect();
        let at = (1..=segs.len()).rev().map(|n| segs[..n].join(".")).find(|n| names.contains(n));
        match at {
            Some(name) if !p.path.is_empty() => placed.entry(name).or_default().push(&p.problem),
            _ => top.push(p),
        }
    }
    (placed, top)
}

/// The names of the fields and entries the form shows for the table `t`.
fn anchors(list: &'static [Field], t: &dyn TableLike, prefix: &str, out: &mut HashSet<String>) {
    for f in list {
        let name = join(prefix, f.key);
        match &f.kind {
            Kind::Group(inner) => anchors(inner, t, prefix, out),
            Kind::Table(inner) => {
                let empty = InlineTable::new();
                anchors(inner, t.get(f.key).and_then(|i| i.as_table_like()).unwrap_or(&empty), &name, out);
            }
            Kind::Tables(inner, _) => {
                for (i, entry) in entries(t.get(f.key)).into_iter().enumerate() {
                    // A catalogue id has no box of its own (`list_of`): its problems are shown
                    // with the list.
                    if entry.is_none() && is_ref(t.get(f.key), i) {
                        continue;
                    }
                    let at = format!("{name}.{i}");
                    if let Some(entry) = entry {
                        anchors(inner, entry, &at, out);
                    }
                    out.insert(at);
                }
            }
            Kind::Text(_) | Kind::TextLines => out.extend(LANGS.iter().map(|l| format!("{name}.{l}"))),
            _ => {}
        }
        out.insert(name);
    }
}

/// The problems found at `name`.
fn problems(r: &R, name: &str) -> Markup {
    html! {
        @for m in r.placed.get(name).into_iter().flatten() {
            p.problem role="alert" data-problem=(name) { (said(r.lang, m)) }
        }
    }
}

/// The fields of `list` for the table `t`, named under `prefix`.
fn fields(r: &R, list: &'static [Field], t: &dyn TableLike, prefix: &str) -> Markup {
    html! {
        @for f in list {
            @let name = join(prefix, f.key);
            @match &f.kind {
                Kind::Group(inner) => fieldset.group id={ "f-" (f.label) } {
                    legend { (editor_label(r.lang, f.label)) }
                    (fields(r, inner, t, prefix))
                },
                Kind::Table(inner) => {
                    @let empty = InlineTable::new();
                    @let sub = t.get(f.key).and_then(|i| i.as_table_like()).unwrap_or(&empty);
                    fieldset.group id={ "f-" (name) } class=[r.placed.contains_key(&name).then_some("invalid")] {
                        legend { (editor_label(r.lang, f.label)) }
                        (problems(r, &name))
                        (fields(r, inner, sub, &name))
                    }
                },
                Kind::Tables(inner, movable) => (list_of(r, f, inner, *movable, t, &name)),
                Kind::Text(_) | Kind::TextLines => (texts(r, f, t, &name)),
                _ => (one(r, f, t, &name)),
            }
        }
    }
}

/// A field of one value.
fn one(r: &R, f: &Field, t: &dyn TableLike, name: &str) -> Markup {
    let item = t.get(f.key);
    let label = editor_label(r.lang, f.label);
    let invalid = r.placed.contains_key(name);
    html! {
        div.field id={ "f-" (name) } class=[invalid.then_some("invalid")] data-kind=(kind_name(&f.kind)) {
            (input(r, &f.kind, item, name, label, invalid))
            (problems(r, name))
        }
    }
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Flag(_) => "flag",
        Kind::Set(_) => "set",
        Kind::Lines | Kind::Long => "long",
        _ => "line",
    }
}

fn input(r: &R, kind: &Kind, item: Option<&toml_edit::Item>, name: &str, label: &str, invalid: bool) -> Markup {
    let off = r.read_only;
    let bad = invalid.then_some("true");
    html! {
        @match kind {
            Kind::Flag(default) => label.check {
                input type="hidden" name=(name) value="0" disabled[off];
                input type="checkbox" name=(name) value="1" checked[flag(*default, item)] disabled[off] aria-invalid=[bad];
                " " (label)
            },
            Kind::Set(options) => fieldset.set {
                legend { (label) }
                input type="hidden" name=(name) value="" disabled[off];
                @let on = set(item);
                @for o in *options {
                    label.check { input type="checkbox" name=(name) value=(o) checked[on.iter().any(|x| x == o)] disabled[off]; " " code { (o) } }
                }
            },
            Kind::Choice(options) => label {
                span.label { (label) }
                @let now = shown(kind, item);
                select name=(name) disabled[off] aria-invalid=[bad] {
                    @if !options.contains(&now.as_str()) { option value=(now) selected { (now) } }
                    @for o in *options {
                        option value=(o) selected[*o == now] { (choice_label(r.lang, o)) }
                    }
                }
            },
            Kind::Lines | Kind::Long => label {
                span.label { (label) }
                textarea name=(name) rows=(rows(kind, item)) disabled[off] aria-invalid=[bad] { (shown(kind, item)) }
            },
            _ => label {
                span.label { (label) }
                input name=(name) value=(shown(kind, item)) disabled[off] aria-invalid=[bad]
                    inputmode=[matches!(kind, Kind::Number).then_some("numeric")];
            },
        }
    }
}

/// The words of an `ip_storage` choice; other choices as they are.
fn choice_label(l: Lang, value: &'static str) -> &'static str {
    match value {
        "truncated" => editor_label(l, "ip_storage.truncated"),
        "full" => editor_label(l, "ip_storage.full"),
        "none" => editor_label(l, "ip_storage.none"),
        "bottom" => editor_label(l, "position.bottom"),
        "bottom-left" => editor_label(l, "position.bottom-left"),
        "center" => editor_label(l, "position.center"),
        "left" => editor_label(l, "corner.left"),
        "right" => editor_label(l, "corner.right"),
        "declared" => editor_label(l, "auto_block.declared"),
        "catalogue" => editor_label(l, "auto_block.catalogue"),
        other => other,
    }
}

/// A text area's height: its lines as they wrap in a third of the page, and room for one more.
fn rows(kind: &Kind, item: Option<&toml_edit::Item>) -> usize {
    let lines: usize = shown(kind, item).lines().map(|l| l.chars().count() / 40 + 1).sum();
    let long = matches!(kind, Kind::Long);
    (lines + 1).clamp(if long { 4 } else { 2 }, 16)
}

/// A text or list in each language, side by side.
fn texts(r: &R, f: &Field, t: &dyn TableLike, name: &str) -> Markup {
    let empty = InlineTable::new();
    let sub = t.get(f.key).and_then(|i| i.as_table_like()).unwrap_or(&empty);
    let invalid = r.placed.contains_key(name);
    html! {
        div.field.text id={ "f-" (name) } class=[invalid.then_some("invalid")] {
            span.label { (editor_label(r.lang, f.label)) }
            (problems(r, name))
            div.langs {
                @for lf in lang_fields(&f.kind) {
                    @let at = join(name, lf.key);
                    @let bad = r.placed.contains_key(&at);
                    div.lang id={ "f-" (at) } class=[bad.then_some("invalid")] lang=(lf.key) {
                        (input(r, &lf.kind, sub.get(lf.key), &at, lf.key, bad))
                        (problems(r, &at))
                    }
                }
            }
        }
    }
}

/// Whether entry `i` of a list is a string (a catalogue id), not a table.
fn is_ref(item: Option<&toml_edit::Item>, i: usize) -> bool {
    match item.and_then(|i| i.as_value()) {
        Some(toml_edit::Value::String(_)) => true,
        Some(toml_edit::Value::Array(a)) => a.get(i).is_some_and(|v| v.is_str()),
        _ => false,
    }
}

/// A list of entries, each with its buttons, and the button that adds one.
fn list_of(r: &R, f: &Field, inner: &'static [Field], movable: bool, t: &dyn TableLike, name: &str) -> Markup {
    let list = entries(t.get(f.key));
    // Services named by catalogue id (`service = "yandex-metrica"` or a list of ids): shown,
    // kept as written, changed in the TOML tab; a table cannot be added beside them.
    let refs: Vec<&str> = match t.get(f.key).and_then(|i| i.as_value()) {
        Some(toml_edit::Value::String(s)) => vec![s.value().as_str()],
        Some(toml_edit::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    let one = editor_label(r.lang, &format!("{}.one", f.label));
    let top = name.matches('.').count() == 0;
    html! {
        section.list id={ "f-" (name) } data-list=(f.key) {
            @if top { h2 { (editor_label(r.lang, f.label)) } } @else { h3 { (editor_label(r.lang, f.label)) } }
            (problems(r, name))
            @if !refs.is_empty() {
                div.catalogue-refs data-catalogue-refs=(refs.join(" ")) {
                    p { (r.w.catalogue_refs) }
                    ul {
                        @for id in &refs {
                            li {
                                code { (id) }
                                @if let Some(e) = kelisim_shared::catalogue::get(id) { " — " b { (e.name) } ", " (e.operator) " (" (e.country) ")" }
                            }
                        }
                    }
                }
            }
            // An id among them is a name, not a table: no box of fields for it.
            @for (i, entry) in list.iter().enumerate().filter(|(i, e)| e.is_some() || !is_ref(t.get(f.key), *i)) {
                @let at = format!("{name}.{i}");
                fieldset.entry id={ "f-" (at) } class=[r.placed.contains_key(&at).then_some("invalid")] {
                    legend { (one) " " (i + 1) @if let Some(id) = entry.and_then(|e| e.get("id")).and_then(|v| v.as_str()) { " · " code { (id) } } }
                    @if !r.read_only {
                        p.buttons {
                            @if movable && i > 0 { button.small type="submit" name="do" value={ "up:" (at) } { "↑ " (r.w.up) } " " }
                            @if movable && i + 1 < list.len() { button.small type="submit" name="do" value={ "down:" (at) } { "↓ " (r.w.down) } " " }
                            button.small.remove type="submit" name="do" value={ "remove:" (at) } { "✕ " (r.w.remove) }
                        }
                    }
                    (problems(r, &at))
                    @if let Some(entry) = entry { (fields(r, inner, *entry, &at)) }
                }
            }
            @if !r.read_only && refs.is_empty() {
                p { button.small type="submit" name="do" value={ "add:" (name) } { "+ " (editor_label(r.lang, &format!("{}.add", f.label))) } }
            }
        }
    }
}
