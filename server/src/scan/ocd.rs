//! The Open Cookie Database (<https://github.com/jkwakman/Open-Cookie-Database>, Apache-2.0),
//! shipped inside the binary: what a cookie or storage key is known to be — its platform,
//! category, description and retention. Its license and attribution travel with it
//! (`server/data/open-cookie-database/`, `kelisim scan --help`, every report's footer).

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const CSV: &str = include_str!("../../data/open-cookie-database/open-cookie-database.csv");

/// Said wherever the database's words are shown (Apache-2.0 §4: keep the attribution).
pub const ATTRIBUTION: &str =
    "Cookie descriptions: Open Cookie Database by jkwakman (https://github.com/jkwakman/Open-Cookie-Database), Apache License 2.0";

/// One entry of the database, as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub platform: String,
    /// Functional, Analytics, Marketing, Security, Necessary or Personalization.
    pub category: String,
    pub description: String,
    pub retention: String,
    pub controller: String,
    /// The entry's name is a prefix (`_ga_` for `_ga_ABC123`), not the exact name.
    pub prefix: bool,
    /// The name as the database lists it.
    pub name: String,
}

struct Database {
    /// Exact names, sorted, for binary search.
    exact: Vec<(String, usize)>,
    /// Prefix entries, longest first, so the most specific one wins.
    prefixes: Vec<(String, usize)>,
    entries: Vec<Known>,
}

fn database() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| parse(CSV))
}

fn parse(csv_text: &str) -> Database {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_text.as_bytes());
    let mut db = Database { exact: Vec::new(), prefixes: Vec::new(), entries: Vec::new() };
    for row in r.records().flatten() {
        let field = |i: usize| row.get(i).unwrap_or("").trim().to_owned();
        let name = field(3);
        if name.is_empty() {
            continue;
        }
        let prefix = field(9) == "1";
        let i = db.entries.len();
        db.entries.push(Known {
            platform: field(1),
            category: field(2),
            description: field(5),
            retention: field(6),
            controller: field(7),
            prefix,
            name: name.clone(),
        });
        if prefix {
            db.prefixes.push((name, i));
        } else {
            db.exact.push((name, i));
        }
    }
    // Stable sorts: among duplicate names the first row of the file wins.
    db.exact.sort_by(|a, b| a.0.cmp(&b.0));
    db.exact.dedup_by(|later, first| later.0 == first.0);
    db.prefixes.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    db
}

/// What the database knows of `name`: the exact name first, else the longest prefix entry
/// (the CSV's wildcard flag) that `name` starts with.
pub fn lookup(name: &str) -> Option<&'static Known> {
    let db = database();
    if let Ok(i) = db.exact.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
        return Some(&db.entries[db.exact[i].1]);
    }
    db.prefixes.iter().find(|(p, _)| name.starts_with(p.as_str())).map(|(_, i)| &db.entries[*i])
}

/// How many entries the shipped database holds.
#[cfg(test)]
fn len() -> usize {
    database().entries.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_database_is_whole() {
        assert!(len() > 2000, "{}", len());
    }

    #[test]
    fn exact_names_and_prefixes() {
        let isad = lookup("_ym_isad").unwrap();
        assert_eq!(
            (isad.platform.as_str(), isad.category.as_str(), isad.prefix),
            ("Yandex.Metrica", "Analytics", false)
        );
        assert_eq!(lookup("_ga").unwrap().platform, "Google Analytics");
        let ga4 = lookup("_ga_ABC123").unwrap();
        assert!(ga4.prefix && ga4.name == "_ga_", "{ga4:?}");
        // `_gat_gtag_UA_1` fits both `_gat` and `_gat_gtag_`: the longer prefix wins.
        assert_eq!(lookup("_gat_gtag_UA_1").unwrap().name, "_gat_gtag_");
        assert!(lookup("certainly-not-a-known-cookie").is_none());
    }
}
