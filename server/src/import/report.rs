//! `--format json`: the findings for tools, one object per finding, with the clause and the
//! quoted sentence it came from.
//!
//! ```json
//! {"site": "example", "language": "ru", "tracking": true, "categories": ["necessary", "analytics"],
//!  "findings": [{"kind": "data", "id": "ip_address", "category": null, "value": "IP-адрес",
//!                "clause": "3.3", "place": "п. 3.3", "line": 39, "quote": "IP адрес;", "match": "IP адрес"}],
//!  "todo": ["operator.bin", "category.necessary.retention.ru"]}
//! ```

use super::categories::CategoryId;
use super::rules::Kind;
use super::Import;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    site: &'a str,
    source: &'a str,
    language: &'static str,
    /// Whether the policy mentions cookies, counters, pixels or a named tracking service.
    tracking: bool,
    categories: Vec<&'static str>,
    findings: Vec<FindingOut<'a>>,
    /// The fields the draft leaves as TODO.
    todo: &'a [String],
}

#[derive(Serialize)]
struct FindingOut<'a> {
    kind: Kind,
    id: &'static str,
    category: Option<CategoryId>,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'static str>,
    /// The clause or section number, `null` in the title or preamble.
    clause: Option<&'a str>,
    /// The citation: «п. 3.3», «разд. 5», «преамбула».
    place: String,
    line: usize,
    quote: String,
    #[serde(rename = "match")]
    matched: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'static str>,
}

pub fn json(imp: &Import, todo: &[String]) -> String {
    let findings = imp
        .findings
        .iter()
        .map(|f| FindingOut {
            kind: f.kind,
            id: f.id,
            category: f.category,
            value: &f.value,
            country: f.country,
            clause: imp.place(f).number(),
            place: imp.place(f).cite(imp.language()),
            line: imp.line(f),
            quote: imp.quote(f, 400),
            matched: imp.matched(f),
            warning: f.warning.map(|t| t[2]),
        })
        .collect();
    let report = Report {
        site: &imp.site,
        source: &imp.source,
        language: imp.language().code(),
        tracking: imp.tracking,
        categories: imp.categories.iter().map(|c| c.id()).collect(),
        findings,
        todo,
    };
    serde_json::to_string_pretty(&report).expect("the report serializes")
}
