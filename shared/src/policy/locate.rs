//! Maps a field path (`category[2].title.kk`) to a line and column in the TOML text, and a
//! TOML/serde error position back to a field, so that every error names both.

use super::problem::{Field, Owner, Problem, Shape};
use super::PolicyError;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path into the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(&'static str),
    Index(usize),
}

pub struct Document<'a> {
    file: &'a str,
    text: &'a str,
    root: Spanned<DeTable<'a>>,
}

impl<'a> Document<'a> {
    pub fn parse(file: &'a str, text: &'a str) -> Result<Document<'a>, Box<PolicyError>> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Document { file, text, root }),
            Err(e) => {
                let (line, column) = line_col(text, e.span().map(|s| s.start).unwrap_or(0));
                let problem = Problem::Syntax(e.message().trim().to_owned());
                Err(Box::new(PolicyError::new(file, line, column, Field::default(), problem)))
            }
        }
    }

    /// An error from deserializing the file into the policy types (missing field, wrong type,
    /// unknown key): toml knows the position, this finds the field there.
    pub fn serde_error(&self, e: &toml::de::Error) -> PolicyError {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col(self.text, offset);
        let path = path_at(self.root.get_ref(), offset);
        let detail = e.message().trim().to_owned();
        PolicyError::new(self.file, line, column, self.describe(&path), Problem::Shape(Shape::of(&detail), detail))
    }

    /// An error found by validation at `path`: located at the deepest part of the path that
    /// exists in the file (for a missing `title.kk`, at `title`).
    pub fn error_at(&self, path: &[Seg], problem: Problem) -> PolicyError {
        let mut span = self.root.span();
        let mut node: Option<&DeValue> = None;
        let mut table: Option<&DeTable> = Some(self.root.get_ref());
        for seg in path {
            let next = match (seg, table, node) {
                (Seg::Key(k), Some(t), _) => t.get(*k),
                (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(*i),
                _ => None,
            };
            let Some(next) = next else { break };
            span = next.span();
            node = Some(next.get_ref());
            table = next.get_ref().as_table();
        }
        let (line, column) = line_col(self.text, span.start);
        PolicyError::new(self.file, line, column, self.describe(&Seg::render(path)), problem)
    }

    /// "category `analytics`: `title.kk`" for `category[1].title.kk`, using the category's id
    /// where the file gives one.
    fn describe<S: AsRef<str>>(&self, path: &[S]) -> Field {
        describe_parts(self.root.get_ref(), path.iter().map(|s| s.as_ref()))
    }
}

impl Seg {
    pub fn render(path: &[Seg]) -> Vec<String> {
        path.iter()
            .map(|s| match s {
                Seg::Key(k) => (*k).to_owned(),
                Seg::Index(i) => format!("[{i}]"),
            })
            .collect()
    }
}

/// The deepest path whose key or value spans `offset` (list entries as `[i]`). Children are searched even when
/// their parent's span does not hold the offset: an array of tables (`[[category]]`) is
/// spread over the file.
pub(super) fn path_at(root: &DeTable, offset: usize) -> Vec<String> {
    fn in_table(t: &DeTable, offset: usize, path: &mut Vec<String>) -> bool {
        for (k, v) in t.iter() {
            path.push(k.get_ref().to_string());
            if in_value(v, offset, path) || k.span().contains(&offset) {
                return true;
            }
            path.pop();
        }
        false
    }
    fn in_value(v: &Spanned<DeValue>, offset: usize, path: &mut Vec<String>) -> bool {
        match v.get_ref() {
            DeValue::Table(t) => in_table(t, offset, path) || v.span().contains(&offset),
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    if in_value(item, offset, path) {
                        return true;
                    }
                    path.pop();
                }
                v.span().contains(&offset)
            }
            _ => v.span().contains(&offset),
        }
    }
    let mut path = Vec::new();
    in_table(root, offset, &mut path);
    path
}

fn describe_parts<'p>(root: &DeTable, parts: impl Iterator<Item = &'p str>) -> Field {
    let mut out = Field::default();
    let mut rest: Vec<std::borrow::Cow<'p, str>> = Vec::new();
    let mut table: Option<&DeTable> = Some(root);
    let mut array: Option<&[Spanned<DeValue>]> = None;
    for p in parts {
        if let Some(i) = p.strip_prefix('[').and_then(|s| s.strip_suffix(']')).and_then(|s| s.parse::<usize>().ok()) {
            let item = array.and_then(|a| a.get(i));
            if !item.is_some_and(|v| v.get_ref().is_table()) {
                if let Some(last) = rest.last_mut() {
                    *last = format!("{last}[{i}]").into();
                }
                table = None;
                array = None;
                continue;
            }
            let id =
                item.and_then(|v| v.get_ref().as_table()).and_then(|t| t.get("id")).and_then(|v| v.get_ref().as_str());
            let kind = rest.join(".");
            out.owners.push(Owner { kind, id: id.map(str::to_owned).ok_or(i + 1) });
            rest.clear();
            table = item.and_then(|v| v.get_ref().as_table());
            array = None;
            continue;
        }
        rest.push(p.into());
        let v = table.and_then(|t| t.get(p));
        array = v.and_then(|v| match v.get_ref() {
            DeValue::Array(a) => Some(&a[..]),
            _ => None,
        });
        table = v.and_then(|v| v.get_ref().as_table());
    }
    out.rest = rest.join(".");
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}
