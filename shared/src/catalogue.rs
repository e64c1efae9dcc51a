//! The services catalogue (`shared/catalogue/services.toml`, reviewed like code, every fact with
//! its source): the trackers, chats, maps and videos Kazakh sites embed, each with its operator
//! and country, default category, the URL patterns of what it loads, its cookies and storage
//! keys, its Consent Mode types and its texts in kk, ru and en. A site file names one by id
//! (`service = "yandex-metrica"` in a category) and gets what it leaves out from here
//! ([`fill`]); the scanner names what it finds by it.

use crate::config::{Category, Service, Text};
use crate::consent_mode::ConsentModeType;
use crate::lang::Lang;
use serde::Deserialize;
use std::sync::OnceLock;

const SOURCE: &str = include_str!("../catalogue/services.toml");

/// One service of the catalogue.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub operator: String,
    /// ISO 3166-1 alpha-2 of the operator.
    pub country: String,
    /// The category a site most likely puts it in: `necessary`, `functional`, `analytics`,
    /// `marketing`.
    pub category: String,
    #[serde(default)]
    pub consent_mode: Vec<ConsentModeType>,
    /// URL patterns (`*` any run of characters) of its scripts, iframes and pixels/beacons.
    #[serde(default)]
    pub scripts: Vec<String>,
    #[serde(default)]
    pub iframes: Vec<String>,
    #[serde(default)]
    pub pixels: Vec<String>,
    /// Cookie names and patterns; storage keys.
    #[serde(default)]
    pub cookies: Vec<String>,
    #[serde(default)]
    pub storage: Vec<String>,
    pub title: Text,
    pub description: Text,
    pub sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    service: Vec<Entry>,
}

/// Every service of the catalogue, in the file's order.
pub fn all() -> &'static [Entry] {
    static ALL: OnceLock<Vec<Entry>> = OnceLock::new();
    ALL.get_or_init(|| match toml::from_str::<File>(SOURCE) {
        Ok(f) => f.service,
        // The file is checked by this crate's tests; a broken one must not take a server down.
        Err(_) => Vec::new(),
    })
}

pub fn get(id: &str) -> Option<&'static Entry> {
    all().iter().find(|e| e.id == id)
}

/// The catalogue id closest to `id`, for a "did you mean": the same id in lower case, or one at
/// most two edits away (`yandex-metrika`, `google_analytics`, `YouTube`), one for a short id
/// (so that `jira` does not suggest `jivo`).
pub fn nearest(id: &str) -> Option<&'static str> {
    let id = id.to_lowercase();
    let most = if id.chars().count() <= 5 { 1 } else { 2 };
    all()
        .iter()
        .map(|e| (edits(&id, &e.id), e.id.as_str()))
        .filter(|(d, _)| *d <= most)
        .min_by_key(|(d, _)| *d)
        .map(|(_, e)| e)
}

/// Levenshtein distance between two short ids, by characters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The catalogue service whose cookies or storage keys match `name`, if any (exact names
/// before patterns).
pub fn by_cookie(name: &str) -> Option<&'static Entry> {
    use crate::cookie::pattern_matches;
    let names = |e: &'static Entry| e.cookies.iter().chain(&e.storage);
    all()
        .iter()
        .find(|e| names(e).any(|p| !p.contains('*') && p == name))
        .or_else(|| all().iter().find(|e| names(e).any(|p| p.contains('*') && pattern_matches(p, name))))
}

/// The loader's blocking rules for a site (docs/auto-blocking.md): for each category that
/// needs consent and has services the catalogue knows, one regular expression (JavaScript
/// syntax) over the URLs of their scripts, iframes and pixels. Empty for a site without such
/// services: its visitors download no blocker.
///
/// With `every` (`auto_block = "catalogue"`), every other catalogue service is held too, in the
/// site's category that fits its default one: the category of that id, else one that grants its
/// Consent Mode types; one that fits no category that needs consent is not held.
pub fn block_rules(categories: &[Category], every: bool) -> Vec<(String, String)> {
    let declared: Vec<&str> = categories.iter().flat_map(|c| c.services.iter().map(|s| s.id.as_str())).collect();
    let fits = |e: &Entry| {
        let optional = || categories.iter().filter(|c| !c.required);
        optional()
            .find(|c| c.id == e.category)
            .or_else(|| {
                optional()
                    .find(|c| !e.consent_mode.is_empty() && e.consent_mode.iter().all(|m| c.consent_mode.contains(m)))
            })
            .map(|c| c.id.as_str())
    };
    let mut out = Vec::new();
    for cat in categories.iter().filter(|c| !c.required) {
        let extra =
            all().iter().filter(|e| every && !declared.contains(&e.id.as_str()) && fits(e) == Some(cat.id.as_str()));
        let patterns = cat
            .services
            .iter()
            .filter_map(|s| get(&s.id))
            .chain(extra)
            .flat_map(|e| e.scripts.iter().chain(&e.iframes).chain(&e.pixels))
            .map(String::as_str)
            .collect::<Vec<_>>();
        let patterns: Vec<String> =
            patterns.iter().filter(|p| !patterns.iter().any(|q| subsumes(q, p))).map(|p| url_regex(p)).collect();
        if !patterns.is_empty() {
            out.push((cat.id.clone(), patterns.join("|")));
        }
    }
    out
}

/// Whether every URL pattern `p` matches is also matched by another pattern `q` that is a
/// prefix and `*` (`…/metrika/*` subsumes `…/metrika/tag.js*`), so `p` need not travel.
fn subsumes(q: &str, p: &str) -> bool {
    q != p && q.strip_suffix('*').is_some_and(|prefix| !prefix.contains('*') && p.starts_with(prefix))
}

/// A URL pattern (`*`: any run of characters) as a regular expression, without its
/// `https://`: the blocker (widget/blocker.js) matches `^(?:https?:)?//(?:` + the category's
/// patterns joined by `|` + `)$`, so a page on http and a protocol-relative `//` (as a script
/// sets a URL, before it is resolved) match too, and the scheme travels once per category.
/// Every catalogue pattern starts with `https://` (checked by the catalogue's test).
fn url_regex(pattern: &str) -> String {
    let rest = pattern.strip_prefix("https://").unwrap_or(pattern);
    let mut re = String::new();
    for ch in rest.chars() {
        match ch {
            '*' => re.push_str(".*"),
            '\\' | '^' | '$' | '.' | '|' | '?' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
                re.push('\\');
                re.push(ch);
            }
            c => re.push(c),
        }
    }
    re
}

/// What [`fill`] took from the catalogue for one service of a category, for `site check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    pub category: String,
    pub service: String,
    /// Field names, e.g. `name`, `cookies`, `consent_mode += analytics_storage`.
    pub fields: Vec<String>,
}

/// Fills what each catalogued service of `categories` leaves out — name, provider, country,
/// description, cookies (and storage keys) — and, for a service named by id alone, adds to
/// its category the service's Consent Mode types and, for an operator abroad, its country to
/// `cross_border`. What the file gives stays as it is. Services not in the catalogue are left alone (validation asks for their
/// fields).
pub fn fill(categories: &mut [Category], languages: &[Lang]) -> Vec<Filled> {
    let mut out = Vec::new();
    for cat in categories.iter_mut() {
        let mut extra_modes: Vec<ConsentModeType> = Vec::new();
        let mut extra_countries: Vec<String> = Vec::new();
        for s in cat.services.iter_mut() {
            let Some(e) = get(&s.id) else { continue };
            // Named by id alone: the category takes the service's Consent Mode types and
            // country too. A service the file describes itself is checked, not amended.
            let by_id = s.name.is_empty() && s.country.is_empty();
            let mut fields = Vec::new();
            fill_service(s, e, languages, &mut fields);
            if !by_id {
                if !fields.is_empty() {
                    out.push(Filled { category: cat.id.clone(), service: s.id.clone(), fields });
                }
                continue;
            }
            for m in &e.consent_mode {
                if !cat.consent_mode.contains(m) && !extra_modes.contains(m) {
                    extra_modes.push(*m);
                    fields.push(format!("consent_mode += {}", m.name()));
                }
            }
            if s.country != "KZ"
                && !cat.cross_border.countries.contains(&s.country)
                && !extra_countries.contains(&s.country)
            {
                extra_countries.push(s.country.clone());
                fields.push(format!("cross_border += {}", s.country));
            }
            if !fields.is_empty() {
                out.push(Filled { category: cat.id.clone(), service: s.id.clone(), fields });
            }
        }
        cat.consent_mode.extend(extra_modes);
        if !extra_countries.is_empty() {
            cat.cross_border.transfer = true;
            cat.cross_border.countries.extend(extra_countries);
        }
    }
    out
}

fn fill_service(s: &mut Service, e: &Entry, languages: &[Lang], fields: &mut Vec<String>) {
    // Texts in the site's languages only: a file may not give a text in another.
    if s.name.is_empty() {
        s.name.clone_from(&e.name);
        fields.push("name".into());
        // The catalogue's label, read by visitors in their language, goes with its name: a
        // name of the file's own is what the owner wants shown.
        if s.title.is_blank() {
            s.title = e.title.only(languages);
            fields.push("title".into());
        }
    }
    if s.provider.is_empty() {
        s.provider.clone_from(&e.operator);
        fields.push("provider".into());
    }
    if s.country.is_empty() {
        s.country.clone_from(&e.country);
        fields.push("country".into());
    }
    if s.description.is_blank() {
        s.description = e.description.only(languages);
        fields.push("description".into());
    }
    if s.cookies.is_empty() {
        s.cookies = e.cookies.iter().chain(&e.storage).cloned().collect();
        if !s.cookies.is_empty() {
            fields.push(format!("cookies ({})", s.cookies.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses_and_every_entry_is_complete_and_sourced() {
        let all = toml::from_str::<File>(SOURCE).expect("shared/catalogue/services.toml parses").service;
        assert!(all.len() >= 19, "{} services", all.len());
        let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "ids are unique");
        for e in &all {
            assert!(crate::is_slug(&e.id), "{}", e.id);
            assert!(["necessary", "functional", "analytics", "marketing"].contains(&e.category.as_str()), "{}", e.id);
            assert!(e.country.len() == 2 && e.country.bytes().all(|b| b.is_ascii_uppercase()), "{}", e.id);
            for l in crate::lang::Lang::ALL {
                assert!(e.title.get(l).is_some_and(|t| !t.is_empty()), "{} title {l:?}", e.id);
                assert!(e.description.get(l).is_some_and(|t| !t.is_empty()), "{} description {l:?}", e.id);
            }
            assert!(!e.sources.is_empty() && e.sources.iter().all(|s| s.starts_with("https://")), "{} sources", e.id);
            assert!(
                !(e.scripts.is_empty() && e.iframes.is_empty() && e.pixels.is_empty()),
                "{}: nothing to block",
                e.id
            );
            for p in e.scripts.iter().chain(&e.iframes).chain(&e.pixels) {
                // The blocker puts the scheme back (`url_regex`).
                assert!(p.starts_with("https://"), "{}: {p}", e.id);
            }
        }
        for id in ["yandex-metrica", "google-analytics", "google-tag-manager", "meta-pixel", "youtube"] {
            assert!(get(id).is_some(), "{id} is in the catalogue");
        }
    }

    #[test]
    fn block_rules_are_one_anchored_pattern_per_category_with_catalogued_services() {
        let mut cats: Vec<Category> = Vec::new();
        for (id, required, services) in [
            ("necessary", true, vec!["cloudflare"]),
            ("analytics", false, vec!["yandex-metrica", "not-catalogued"]),
            ("marketing", false, vec![]),
        ] {
            let mut c: Category = serde_json::from_value(serde_json::json!({
                "id": id, "required": required, "title": {}, "description": {}, "data": {}, "purposes": {}, "retention": {}
            }))
            .unwrap();
            c.services = services
                .iter()
                .map(|s| {
                    serde_json::from_value(
                        serde_json::json!({"id": s, "name": "", "provider": "", "country": "", "description": {}}),
                    )
                    .unwrap()
                })
                .collect();
            cats.push(c);
        }
        let rules = block_rules(&cats, false);
        assert_eq!(rules.len(), 1, "only analytics: {rules:?}");
        assert_eq!(rules[0].0, "analytics");
        let re = &rules[0].1;
        assert!(re.starts_with("mc\\.yandex\\.ru/metrika/.*|"), "{re}");
        let blocks = |url: &str| blocker(re).is_match(url);
        assert!(blocks("https://mc.yandex.ru/metrika/tag.js") && blocks("//mc.yandex.com/watch/1?x"), "{re}");
        assert!(blocks("http://mc.yandex.ru/metrika/"), "{re}");
        assert!(
            !blocks("https://mc.yandex.ru/other.js") && !blocks("https://example.com/mc.yandex.ru/metrika/"),
            "{re}"
        );
        // `…/metrika/tag.js*` is left out: `…/metrika/*` matches all it does.
        assert!(!re.contains("tag\\.js"), "{re}");
        assert_eq!(url_regex("https://www.facebook.com/tr?*"), "www\\.facebook\\.com/tr\\?.*");
        assert!(subsumes("https://a.b/*", "https://a.b/c.js*") && !subsumes("https://a.b/c*", "https://a.b/*"));
        // Every catalogue service: Meta's pixel in marketing, Google Analytics beside Metrica,
        // Cloudflare (necessary by default) nowhere.
        let every = block_rules(&cats, true);
        let of = |id: &str| every.iter().find(|r| r.0 == id).map(|r| r.1.clone()).unwrap_or_default();
        assert!(of("marketing").contains("facebook"), "{every:?}");
        assert!(
            of("analytics").contains("mc\\.yandex\\.ru") && of("analytics").contains("googletagmanager\\.com/gtag"),
            "{every:?}"
        );
        assert!(!every.iter().any(|r| r.0 == "necessary" || r.1.contains("cloudflare")), "{every:?}");
    }

    /// The blocker's expression for a category's rule (widget/blocker.js).
    fn blocker(rule: &str) -> regex::Regex {
        regex::Regex::new(&["^(?:https?:)?//(?:", rule, ")$"].concat()).unwrap()
    }

    /// An expression made of catalogue patterns blocks a URL exactly when one of the patterns
    /// matches it: URLs made from every pattern, and each of them one character shorter,
    /// longer or changed.
    #[test]
    fn an_expression_matches_what_its_patterns_match() {
        let glob = |p: &str, url: &str| crate::cookie::pattern_matches(p.strip_prefix("https://").unwrap_or(p), url);
        let all: Vec<&str> = all()
            .iter()
            .flat_map(|e| e.scripts.iter().chain(&e.iframes).chain(&e.pixels))
            .map(String::as_str)
            .collect();
        let mut checked = 0;
        for n in [1, 2, 3, 5, all.len()] {
            for chunk in all.chunks(n) {
                let re = blocker(&chunk.iter().map(|p| url_regex(p)).collect::<Vec<_>>().join("|"));
                let mut urls: Vec<String> = Vec::new();
                for p in chunk {
                    let rest = p.strip_prefix("https://").unwrap_or(p);
                    for fill in ["", "x", "/a.js?id=1"] {
                        urls.push(rest.replace('*', fill));
                    }
                }
                for u in urls.clone() {
                    let b: Vec<char> = u.chars().collect();
                    for i in 0..b.len() {
                        let cut: String = b[..i].iter().chain(&b[i + 1..]).collect();
                        let changed: String = b[..i].iter().chain(['Q'].iter()).chain(&b[i + 1..]).collect();
                        let added: String = b[..i].iter().chain(['.'].iter()).chain(&b[i..]).collect();
                        urls.extend([cut, changed, added]);
                    }
                }
                for u in &urls {
                    let want = chunk.iter().any(|p| glob(p, u));
                    assert_eq!(re.is_match(&["https://", u].concat()), want, "{u} against {chunk:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn cookies_name_their_service() {
        assert_eq!(by_cookie("_ym_uid").map(|e| e.id.as_str()), Some("yandex-metrica"));
        assert!(by_cookie("no-such-cookie-anywhere").is_none());
    }
}
