//! What the widget needs of a site config to decide, in a compact line format served inside
//! the config (member `widget`), so that the WASM module carries no JSON parser: the texts and
//! the markup stay in the config's JSON for the page's side (`render`), and the module reads
//! only these lines.
//!
//! Format, version 1 (fields separated by one space, lines by `\n`):
//!
//! ```text
//! 1 <version> <scope> <consent_days> <reload_on_revoke 0|1> <languages, comma-separated>
//! <category id> <required 0|1> <gpc_off 0|1> <consent mode bits> <cookie name or pattern>…
//! ```
//!
//! One category line per category, in the config's order; the cookies are the category's and
//! its services'. Ids are slugs and cookie names are RFC 6265 tokens, so neither holds a space
//! or a line break (`policy` validates both).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use crate::config::Config;
use crate::lang::Lang;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub version: String,
    pub scope: String,
    pub consent_days: u32,
    /// W5: reload once when a script of a now-denied category already ran.
    pub reload_on_revoke: bool,
    /// The first is the site's default.
    pub languages: Vec<Lang>,
    pub categories: Vec<CategoryFacts>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryFacts {
    pub id: String,
    pub required: bool,
    /// W9: stays off on Accept all when the browser sends GPC.
    pub gpc_off: bool,
    /// The Consent Mode v2 types this category grants, as cookie bits (W8).
    pub consent_mode: u8,
    /// Cookie names and patterns of the category and its services (W5).
    pub cookies: Vec<String>,
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.bytes().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

impl Facts {
    pub fn of(cfg: &Config) -> Facts {
        Facts {
            version: cfg.version.clone(),
            scope: cfg.scope.clone(),
            consent_days: cfg.consent_days,
            reload_on_revoke: cfg.reload_on_revoke,
            languages: cfg.languages.clone(),
            categories: cfg
                .categories
                .iter()
                .map(|c| CategoryFacts {
                    id: c.id.clone(),
                    required: c.required,
                    gpc_off: c.gpc_off,
                    consent_mode: crate::consent_mode::bits(&c.consent_mode),
                    cookies: c.cookies.iter().chain(c.services.iter().flat_map(|s| &s.cookies)).cloned().collect(),
                })
                .collect(),
        }
    }

    pub fn encode(&self) -> String {
        let mut s = String::from("1 ");
        let langs: Vec<&str> = self.languages.iter().map(|l| l.code()).collect();
        let mut days = String::new();
        crate::cookie::push_decimal(&mut days, u64::from(self.consent_days));
        s.push_str(
            &[
                self.version.as_str(),
                &self.scope,
                &days,
                if self.reload_on_revoke { "1" } else { "0" },
                &langs.join(","),
            ]
            .join(" "),
        );
        for c in &self.categories {
            let mut bits = String::new();
            crate::cookie::push_decimal(&mut bits, u64::from(c.consent_mode));
            s.push('\n');
            s.push_str(
                &[c.id.as_str(), if c.required { "1" } else { "0" }, if c.gpc_off { "1" } else { "0" }, &bits]
                    .join(" "),
            );
            for k in &c.cookies {
                s.push(' ');
                s.push_str(k);
            }
        }
        s
    }

    /// `None` for anything that is not a well-formed v1 text: the lines, fields, numbers,
    /// flags and languages are checked. What only the site file can get wrong is not checked
    /// again here: ids are slugs and exactly one category is required because `policy`
    /// refuses a site file otherwise, and the facts come from the server that serves the module
    /// itself (a wrong one could as well send other code) — each check is bytes of every
    /// visitor's download.
    pub fn decode(text: &str) -> Option<Facts> {
        let mut lines = crate::fields(text, b'\n');
        let mut head = crate::fields(lines.next()?, b' ');
        if head.next()? != "1" {
            return None;
        }
        let version = head.next()?.into();
        let scope = head.next()?.into();
        let consent_days = num(head.next()?)?;
        let reload_on_revoke = flag(head.next()?)?;
        let languages = crate::fields(head.next()?, b',').map(Lang::from_tag).collect::<Option<Vec<_>>>()?;
        if head.next().is_some() {
            return None;
        }
        let mut categories = Vec::new();
        for line in lines {
            let mut f = crate::fields(line, b' ');
            let id: String = f.next()?.into();
            let required = flag(f.next()?)?;
            let gpc_off = flag(f.next()?)?;
            let consent_mode = num(f.next()?).filter(|b| *b < 128)? as u8;
            let cookies = crate::words(f.rest(), b' ')?;
            categories.push(CategoryFacts { id, required, gpc_off, consent_mode, cookies });
        }
        Some(Facts { version, scope, consent_days, reload_on_revoke, languages, categories })
    }

    /// The Consent Mode bits a set of granted categories gives.
    pub fn consent_mode_bits(&self, granted: &[String]) -> u8 {
        self.categories.iter().filter(|c| granted.contains(&c.id)).fold(0, |b, c| b | c.consent_mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn facts() -> Facts {
        Facts {
            version: "ab".repeat(32),
            scope: "0123abcd".into(),
            consent_days: 180,
            reload_on_revoke: false,
            languages: vec![Lang::Kk, Lang::Ru, Lang::En],
            categories: vec![
                CategoryFacts {
                    id: "necessary".into(),
                    required: true,
                    gpc_off: false,
                    consent_mode: 64,
                    cookies: vec![],
                },
                CategoryFacts {
                    id: "analytics".into(),
                    required: false,
                    gpc_off: true,
                    consent_mode: 8,
                    cookies: vec!["_ga*".into(), "_ym_uid".into()],
                },
            ],
        }
    }

    #[test]
    fn round_trips() {
        let f = facts();
        let text = f.encode();
        assert_eq!(
            text,
            ["1 ", &"ab".repeat(32), " 0123abcd 180 0 kk,ru,en\nnecessary 1 0 64\nanalytics 0 1 8 _ga* _ym_uid"]
                .concat()
        );
        assert_eq!(Facts::decode(&text), Some(f.clone()));
        assert_eq!(f.consent_mode_bits(&["necessary".into(), "analytics".into()]), 72);
    }

    #[test]
    fn refuses_anything_else() {
        let good = facts().encode();
        for bad in [
            good.replacen("1 ", "2 ", 1),
            good.replace(" 180 ", " 18x "),
            good.replace(" 0 kk", " 2 kk"),
            good.replace("kk,ru", "kk,de"),
            good.replace(" 8 _ga*", " 128 _ga*"),
            good.replace("_ga* _ym", "_ga*  _ym"),
            [good.as_str(), " extra"].concat().replace("kk,ru,en\n", "kk,ru,en x\n"),
            String::new(),
        ] {
            assert_eq!(Facts::decode(&bad), None, "{bad:?}");
        }
    }
}
