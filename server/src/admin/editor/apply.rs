//! The form's fields applied onto the document it was built from (`toml_edit`): a value the
//! person did not change is left as it is, with its comments and layout; a changed one is
//! written in place, keeping the comment after it; an emptied optional one is removed. And the
//! form's list buttons: add, remove, move up and down.

use super::fields::{entry_fields, flat, join, Field, Kind, LANGS};
use std::collections::HashMap;
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

/// The posted form: every value of every name, in order.
pub struct Form(HashMap<String, Vec<String>>);

impl Form {
    pub fn new(pairs: Vec<(String, String)>) -> Form {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            // A browser's text area sends CRLF line ends.
            map.entry(k).or_default().push(v.replace("\r\n", "\n"));
        }
        Form(map)
    }

    /// The last value of `name` (a checkbox follows its hidden "0"), if the form has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.last()).map(String::as_str)
    }

    fn all(&self, name: &str) -> Option<&[String]> {
        self.0.get(name).map(Vec::as_slice)
    }
}

/// What a field shows for the value at `item` (absent: `None`), as the form would send it back.
pub fn shown(kind: &Kind, item: Option<&Item>) -> String {
    let value = item.and_then(Item::as_value);
    let strings = |sep: &str| {
        value.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(sep))
    };
    match kind {
        Kind::Line | Kind::Long => value.and_then(Value::as_str).unwrap_or_default().to_owned(),
        Kind::Lines => strings("\n").unwrap_or_default(),
        Kind::Words => strings(", ").unwrap_or_default(),
        Kind::Number => match value {
            Some(Value::Integer(i)) => i.value().to_string(),
            Some(Value::String(s)) => s.value().clone(),
            _ => String::new(),
        },
        Kind::Choice(options) => value.and_then(Value::as_str).unwrap_or(options[0]).to_owned(),
        _ => String::new(),
    }
}

/// Whether the checkbox at `item` is on.
pub fn flag(default: bool, item: Option<&Item>) -> bool {
    item.and_then(Item::as_bool).unwrap_or(default)
}

/// The strings of the list at `item`.
pub fn set(item: Option<&Item>) -> Vec<String> {
    let list = item.and_then(Item::as_array);
    list.map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

fn items(s: &str, words: bool) -> Vec<String> {
    let parts: Vec<&str> = if words { s.split([',', ' ', '\n', '\t']).collect() } else { s.lines().collect() };
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// Whether the form's `sent` says the same as the field shows for `item`.
fn same(kind: &Kind, item: Option<&Item>, sent: &str) -> bool {
    let now = shown(kind, item);
    match kind {
        Kind::Lines => items(&now, false) == items(sent, false),
        Kind::Words => items(&now, true) == items(sent, true),
        Kind::Number => now.trim() == sent.trim(),
        _ => now == sent,
    }
}

/// The value the form's `sent` writes; `None` when it is empty.
fn value_of(kind: &Kind, sent: &str) -> Option<Value> {
    let list = |v: Vec<String>| (!v.is_empty()).then(|| Value::Array(v.into_iter().collect::<Array>()));
    match kind {
        Kind::Lines => list(items(sent, false)),
        Kind::Words => list(items(sent, true)),
        // A number the form cannot read is written as the text it is, so that the check names
        // this field's type rather than a missing field.
        Kind::Number => match sent.trim() {
            "" => None,
            n => Some(n.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(n))),
        },
        _ => (!sent.is_empty()).then(|| Value::from(sent)),
    }
}

/// An empty value of `kind`, for a field that may not be left out.
fn empty(kind: &Kind) -> Option<Value> {
    match kind {
        Kind::Lines | Kind::Words => Some(Value::Array(Array::new())),
        Kind::Line | Kind::Long | Kind::Number => Some(Value::from("")),
        _ => None,
    }
}

/// Writes `value` at `key`, in place of the old value (keeping the comment after it).
fn put(t: &mut dyn TableLike, key: &str, mut value: Value) {
    match t.get_mut(key) {
        Some(Item::Value(old)) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        Some(other) => *other = Item::Value(value),
        None => {
            t.insert(key, Item::Value(value));
        }
    }
}

/// The per-language fields of a text (`Text`), a long text, and a list (`TextLines`). Each
/// language may be left out: an emptied one is removed, and the check says it is missing.
static LINE: [Field; 3] = [lang("kk", Kind::Line), lang("ru", Kind::Line), lang("en", Kind::Line)];
static LONG: [Field; 3] = [lang("kk", Kind::Long), lang("ru", Kind::Long), lang("en", Kind::Long)];
static LINES: [Field; 3] = [lang("kk", Kind::Lines), lang("ru", Kind::Lines), lang("en", Kind::Lines)];

const fn lang(key: &'static str, kind: Kind) -> Field {
    Field { key, kind, optional: true, label: "" }
}

/// The per-language fields of a `Text` or `TextLines`.
pub fn lang_fields(kind: &Kind) -> &'static [Field] {
    match kind {
        Kind::Text(true) => &LONG,
        Kind::TextLines => &LINES,
        _ => &LINE,
    }
}

/// Applies the form's values of `fields` (named under `prefix`) onto the table `t`. A field the
/// form does not send (an auditor's disabled inputs) is left as it is.
pub fn fields(t: &mut dyn TableLike, list: &'static [Field], prefix: &str, form: &Form) {
    for f in flat(list) {
        let name = join(prefix, f.key);
        match &f.kind {
            Kind::Group(_) => {}
            Kind::Table(inner) => table(t, f, inner, &name, form),
            Kind::Text(_) | Kind::TextLines => table(t, f, lang_fields(&f.kind), &name, form),
            Kind::Tables(inner, _) => {
                let Some(item) = t.get_mut(f.key) else { continue };
                for (i, entry) in entries_mut(item).into_iter().enumerate() {
                    if let Some(entry) = entry {
                        fields(entry, inner, &format!("{name}.{i}"), form);
                    }
                }
            }
            Kind::Flag(default) => {
                let Some(sent) = form.get(&name) else { continue };
                if (sent == "1") != flag(*default, t.get(f.key)) {
                    put(t, f.key, Value::from(sent == "1"));
                }
            }
            Kind::Set(options) => {
                let Some(sent) = form.all(&name) else { continue };
                let want: Vec<&str> = options.iter().copied().filter(|o| sent.iter().any(|s| s == o)).collect();
                let mut now = set(t.get(f.key));
                now.sort();
                let mut sorted = want.clone();
                sorted.sort();
                if now != sorted {
                    match want.is_empty() && f.optional {
                        true => drop(t.remove(f.key)),
                        false => put(t, f.key, Value::Array(want.into_iter().collect())),
                    }
                }
            }
            kind => scalar(t, f, kind, &name, form),
        }
    }
}

fn scalar(t: &mut dyn TableLike, f: &Field, kind: &Kind, name: &str, form: &Form) {
    let Some(sent) = form.get(name) else { return };
    if same(kind, t.get(f.key), sent) {
        return;
    }
    match value_of(kind, sent).or_else(|| if f.optional { None } else { empty(kind) }) {
        Some(v) => put(t, f.key, v),
        None => drop(t.remove(f.key)),
    }
}

/// A table's fields: applied in place where the table is; where it is not, a new inline table
/// is made, and kept only if the form put something in it. An optional table left empty is
/// removed.
fn table(t: &mut dyn TableLike, f: &Field, inner: &'static [Field], name: &str, form: &Form) {
    if let Some(sub) = t.get_mut(f.key).and_then(Item::as_table_like_mut) {
        fields(sub, inner, name, form);
        if f.optional && sub.is_empty() {
            t.remove(f.key);
        }
        return;
    }
    let mut fresh = InlineTable::new();
    fields(&mut fresh, inner, name, form);
    // A value that is not a table (one the form cannot show) stays, unless the form filled
    // the table in.
    if !fresh.is_empty() {
        put(t, f.key, Value::InlineTable(fresh));
    }
}

/// The entries of a list of tables: `[[…]]` tables, or an array of inline tables (`None` for an
/// entry that is not a table).
pub fn entries_mut(item: &mut Item) -> Vec<Option<&mut dyn TableLike>> {
    match item {
        Item::ArrayOfTables(a) => a.iter_mut().map(|t| Some(t as &mut dyn TableLike)).collect(),
        Item::Value(Value::Array(a)) => {
            a.iter_mut().map(|v| v.as_inline_table_mut().map(|t| t as &mut dyn TableLike)).collect()
        }
        _ => Vec::new(),
    }
}

/// The entries of a list of tables, to read.
pub fn entries(item: Option<&Item>) -> Vec<Option<&dyn TableLike>> {
    match item {
        Some(Item::ArrayOfTables(a)) => a.iter().map(|t| Some(t as &dyn TableLike)).collect(),
        Some(Item::Value(Value::Array(a))) => {
            a.iter().map(|v| v.as_inline_table().map(|t| t as &dyn TableLike)).collect()
        }
        _ => Vec::new(),
    }
}

/// A list button: `add:category`, `remove:category.2`, `up:category.0.service.1`,
/// `down:category.1`.
pub enum Change<'a> {
    Add(Vec<&'a str>),
    Remove(Vec<&'a str>, usize),
    Move(Vec<&'a str>, usize, bool),
}

impl<'a> Change<'a> {
    pub fn parse(action: &'a str) -> Option<Change<'a>> {
        let (verb, path) = action.split_once(':')?;
        let mut segs: Vec<&str> = path.split('.').collect();
        if verb == "add" {
            return entry_fields(&segs).is_some().then_some(Change::Add(segs));
        }
        let i = segs.pop()?.parse().ok()?;
        entry_fields(&segs)?;
        match verb {
            "remove" => Some(Change::Remove(segs, i)),
            "up" | "down" => Some(Change::Move(segs, i, verb == "up")),
            _ => None,
        }
    }
}

/// The table at `path` (`category.1`: the second category): keys and indices in turn.
fn table_at<'t>(t: &'t mut dyn TableLike, path: &[&str]) -> Option<&'t mut dyn TableLike> {
    let [key, index, rest @ ..] = path else { return path.is_empty().then_some(t) };
    let item = t.get_mut(key)?;
    let entry = entries_mut(item).into_iter().nth(index.parse().ok()?)??;
    table_at(entry, rest)
}

/// Applies a list button to the document. Returns whether it changed anything.
pub fn change(doc: &mut DocumentMut, change: &Change) -> bool {
    let langs = languages(doc);
    match change {
        Change::Add(path) => {
            let Some(((key, parent), fields)) = path.split_last().zip(entry_fields(path)) else { return false };
            let Some(t) = table_at(doc.as_table_mut(), parent) else { return false };
            let entry = skeleton(fields, &langs);
            match t.get_mut(key) {
                Some(Item::ArrayOfTables(a)) => a.push(entry.into_table()),
                Some(Item::Value(Value::Array(a))) => a.push(entry),
                Some(_) => return false,
                None => {
                    let mut a = ArrayOfTables::new();
                    a.push(entry.into_table());
                    t.insert(key, Item::ArrayOfTables(a));
                }
            }
        }
        Change::Remove(path, i) | Change::Move(path, i, _) => {
            let Some((key, parent)) = path.split_last() else { return false };
            let Some(item) = table_at(doc.as_table_mut(), parent).and_then(|t| t.get_mut(key)) else { return false };
            // Where a moved entry goes; `None`: the entry is removed.
            let to = match change {
                Change::Move(_, _, up) => match if *up { i.checked_sub(1) } else { Some(i + 1) } {
                    Some(j) => Some(j),
                    None => return false,
                },
                _ => None,
            };
            if !reorder(item, *i, to) {
                return false;
            }
        }
    }
    renumber(doc.as_table_mut(), &mut 0);
    true
}

/// Removes entry `i` of a list, or moves it to `to` (`Some`).
fn reorder(item: &mut Item, i: usize, to: Option<usize>) -> bool {
    let len = entries_mut(item).len();
    if i >= len || to.is_some_and(|j| j >= len) {
        return false;
    }
    match item {
        Item::ArrayOfTables(a) => {
            let t = a.remove(i);
            if let Some(j) = to {
                a.insert(j, t);
            }
        }
        Item::Value(Value::Array(a)) => {
            let v = a.remove(i);
            if let Some(j) = to {
                a.insert_formatted(j, v);
                a.fmt();
            }
        }
        _ => return false,
    }
    true
}

/// Numbers the tables in the order they are nested, so that the file is written in the new
/// order of the lists (toml_edit writes tables by the position they were read at).
fn renumber(t: &mut Table, n: &mut isize) {
    for (_, item) in t.iter_mut() {
        let subs: Vec<&mut Table> = match item {
            Item::Table(sub) => vec![sub],
            Item::ArrayOfTables(a) => a.iter_mut().collect(),
            _ => continue,
        };
        for sub in subs {
            *n += 1;
            sub.set_position(Some(*n));
            renumber(sub, n);
        }
    }
}

/// The site's languages (from its `languages`), for the texts of a new entry.
fn languages(doc: &DocumentMut) -> Vec<String> {
    let listed = set(doc.get("languages"));
    let known: Vec<String> = listed.into_iter().filter(|l| LANGS.contains(&l.as_str())).collect();
    if known.is_empty() {
        vec!["kk".into(), "ru".into()]
    } else {
        known
    }
}

/// A new entry of a list: every field that may not be left out, empty (so that the check
/// lists each one to fill in).
fn skeleton(fields: &'static [Field], langs: &[String]) -> InlineTable {
    let mut t = InlineTable::new();
    for f in flat(fields).filter(|f| !f.optional) {
        let value = match f.kind {
            Kind::Text(_) | Kind::TextLines => {
                let empty =
                    || if matches!(f.kind, Kind::TextLines) { Value::Array(Array::new()) } else { Value::from("") };
                Value::InlineTable(langs.iter().map(|l| (l.clone(), empty())).collect())
            }
            ref kind => match empty(kind) {
                Some(v) => v,
                None => continue,
            },
        };
        t.insert(f.key, value);
    }
    t
}
