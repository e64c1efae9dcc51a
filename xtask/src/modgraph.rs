//! The server's module graph: which top-level module of `server/src` names which other
//! (`crate::<module>` in its code, tests and comments left out), and a check that the graph has
//! no cycle — each module can be read, and one day moved into a crate, with only what it uses
//! below it. `cargo xtask test` runs it with the other lints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `module → (module it uses → the first place it does so)`.
pub type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The graph of the top-level modules under `src` (a `name.rs` or a `name/` directory).
pub fn graph(src: &Path) -> std::io::Result<Graph> {
    let mut modules = BTreeMap::new();
    for e in std::fs::read_dir(src)? {
        let path = e?.path();
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if path.is_dir() || (path.extension().is_some_and(|x| x == "rs") && name != "main" && name != "lib") {
            modules.insert(name, path);
        }
    }
    let mut g = Graph::new();
    for (name, path) in &modules {
        let uses = g.entry(name.clone()).or_default();
        for file in rust_files(path)? {
            let text = std::fs::read_to_string(&file)?;
            for (line_no, used) in crate_paths(&text) {
                if used != *name && modules.contains_key(&used) && !uses.contains_key(&used) {
                    let shown = src.parent().and_then(|p| p.parent()).and_then(|r| file.strip_prefix(r).ok());
                    uses.insert(used, format!("{}:{line_no}", shown.unwrap_or(&file).display()));
                }
            }
        }
    }
    Ok(g)
}

fn rust_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir(path)? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(rust_files(&p)?);
        } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// The modules a file names as `crate::<module>` or inside `use crate::{…}`, with their line,
/// in code only: comments are skipped, and so is the item after a `#[cfg(test)]` (tests may
/// reach any module) — a `mod tests;` line, or a block up to its closing brace.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_group = false;
    // Inside a test-only item: its brace depth so far, and whether it has opened a brace.
    let mut test_item: Option<(i32, bool)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or_default();
        if let Some((depth, opened)) = test_item {
            let depth = depth + line.matches('{').count() as i32 - line.matches('}').count() as i32;
            let opened = opened || line.contains('{');
            let ended = if opened { depth <= 0 } else { line.trim_end().ends_with(';') };
            test_item = if ended { None } else { Some((depth, opened)) };
            continue;
        }
        if line.trim_start().starts_with("#[cfg(test)]") {
            test_item = Some((0, false));
            continue;
        }
        let mut rest = line;
        if in_group {
            out.extend(group_names(rest).into_iter().map(|m| (i + 1, m)));
            in_group = !rest.contains('}');
            continue;
        }
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                out.extend(group_names(group).into_iter().map(|m| (i + 1, m)));
                in_group = !group.contains('}');
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.push((i + 1, name));
            }
        }
    }
    out
}

/// The first path segment of each item of a `use crate::{a, b::c, d::{e}}` group (on one line).
fn group_names(group: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut depth = 0;
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => items.push(String::new()),
            c => items.last_mut().expect("one item at least").push(c),
        }
    }
    items
        .iter()
        .map(|i| i.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Every cycle's modules (each strongly connected component of more than one module), with the
/// places that close it.
pub fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let names: Vec<&String> = g.keys().collect();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for next in g.get(&m).into_iter().flat_map(|u| u.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> = names.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in &names {
        if done.contains(*n) || !reachable[n].contains(*n) {
            continue;
        }
        let component: Vec<String> = names
            .iter()
            .filter(|m| reachable[n].contains(**m) && reachable[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        done.extend(component.iter().cloned());
        let places = component
            .iter()
            .flat_map(|a| {
                g[a].iter().filter(|(b, _)| component.contains(b)).map(move |(b, at)| format!("{a} → {b} ({at})"))
            })
            .collect();
        out.push(places);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_groups_comments_and_tests() {
        let text = "use crate::http::AppState;\n// crate::admin is named in a comment\nuse crate::{clock, store::{self, read}};\nlet x = crate::log::key::load();\nuse crate::{\n    metrics::Metrics,\n    sites,\n};\n#[cfg(test)]\nmod tests;\nuse crate::peer;\n#[cfg(test)]\nmod inline {\n    use crate::scan;\n    fn f() {\n        crate::admin::x();\n    }\n}\nuse crate::receipt;\n";
        let names: Vec<String> = crate_paths(text).into_iter().map(|(_, m)| m).collect();
        assert_eq!(names, ["http", "clock", "store", "log", "metrics", "sites", "peer", "receipt"]);
    }

    #[test]
    fn a_cycle_is_found_with_its_places_and_a_chain_is_not_one() {
        let mut g = Graph::new();
        let edge = |g: &mut Graph, a: &str, b: &str| {
            g.entry(a.into()).or_default().insert(b.into(), format!("{a}.rs:1"));
            g.entry(b.into()).or_default();
        };
        edge(&mut g, "http", "admin");
        edge(&mut g, "admin", "store");
        assert!(cycles(&g).is_empty());
        edge(&mut g, "store", "http");
        assert_eq!(
            cycles(&g),
            [vec!["admin → store (admin.rs:1)", "http → admin (http.rs:1)", "store → http (store.rs:1)"]]
        );
    }
}
