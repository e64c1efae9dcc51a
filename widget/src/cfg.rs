//! What the widget takes from the served site config (parsed by `json`): the facts a decision
//! needs, and the markup the server rendered for each language (`kelisim_shared::render`).
//! Field names are those of `kelisim_shared::config` (the server serializes with serde); the
//! tests below read what the server serves for every demo site and compare.

use crate::json::Value;
use alloc::string::String;
use alloc::vec::Vec;
use kelisim_shared::consent_mode::{self, ConsentModeType};
use kelisim_shared::lang::Lang;

pub struct Category {
    pub id: String,
    pub required: bool,
    /// W9: stays off on Accept all when the browser sends GPC.
    pub gpc_off: bool,
    /// Cookie names and patterns of the category and of its services (W5).
    pub cookies: Vec<String>,
    /// Consent Mode v2 types this category grants, as cookie bits (W8).
    pub consent_mode: u8,
}

/// The markup of one language (see `kelisim_shared::render`).
pub struct Layers {
    pub lang: Lang,
    pub banner: String,
    pub preferences: String,
    pub gpc: String,
    pub withdraw: String,
    pub receipt: [String; 2],
}

pub struct Site {
    pub version: String,
    pub scope: String,
    pub consent_days: u32,
    /// The first is the site's default.
    pub languages: Vec<Lang>,
    pub categories: Vec<Category>,
    pub reload_on_revoke: bool,
    pub layers: Vec<Layers>,
}

impl Site {
    pub fn consent_mode_bits(&self, granted: &[String]) -> u8 {
        self.categories.iter().filter(|c| granted.contains(&c.id)).fold(0, |b, c| b | c.consent_mode)
    }
    pub fn layers(&self, lang: Lang) -> Option<&Layers> {
        self.layers.iter().find(|l| l.lang == lang)
    }
}

fn strings(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.items().iter().filter_map(Value::string)
}

pub fn read(v: &Value) -> Result<Site, &'static str> {
    let text = |o: &Value, k: &str| o.get(k).string().ok_or("a field is missing");
    let mut categories = Vec::new();
    for c in v.get("categories").items() {
        let mut cookies: Vec<String> = strings(c.get("cookies")).collect();
        for s in c.get("services").items() {
            cookies.extend(strings(s.get("cookies")));
        }
        let types: Vec<ConsentModeType> = strings(c.get("consent_mode")).filter_map(|n| ConsentModeType::from_name(&n)).collect();
        categories.push(Category {
            id: text(c, "id")?,
            required: c.get("required").bool() == Some(true),
            gpc_off: c.get("gpc_off").bool() == Some(true),
            cookies,
            consent_mode: consent_mode::bits(&types),
        });
    }
    let languages: Vec<Lang> = strings(v.get("languages")).filter_map(|l| Lang::from_tag(&l)).collect();
    let mut layers = Vec::new();
    for &lang in &languages {
        let u = v.get("ui").get(lang.code());
        let r = u.get("receipt").items();
        layers.push(Layers {
            lang,
            banner: text(u, "banner")?,
            preferences: text(u, "preferences")?,
            gpc: text(u, "gpc")?,
            withdraw: text(u, "withdraw")?,
            receipt: [r.first().and_then(Value::string).unwrap_or_default(), r.get(1).and_then(Value::string).unwrap_or_default()],
        });
    }
    if languages.is_empty() || categories.iter().filter(|c| c.required).count() != 1 {
        return Err("it has no languages or not exactly one required category");
    }
    Ok(Site {
        version: text(v, "version")?,
        scope: text(v, "scope")?,
        consent_days: v.get("consent_days").num().map_or(365, |d| d as u32),
        languages,
        categories,
        reload_on_revoke: v.get("reload_on_revoke").bool() != Some(false),
        layers,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kelisim_shared::policy::SitePolicy;
    use std::fs;

    /// Whatever the server serves for the five demo sites reads back into the same facts.
    #[test]
    fn reads_the_config_the_server_serves_for_every_demo_site() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/sites");
        let mut seen = 0;
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = fs::read_to_string(&path).unwrap();
            let config = SitePolicy::parse(&path.display().to_string(), &text).unwrap().config();
            let served = kelisim_shared::render::served_json(&config);
            let site = read(&crate::json::parse(&served).unwrap()).unwrap();
            assert_eq!(site.version, config.version);
            assert_eq!(site.scope, config.scope);
            assert_eq!(site.consent_days, config.consent_days);
            assert_eq!(site.languages, config.languages);
            assert_eq!(site.reload_on_revoke, config.reload_on_revoke);
            assert_eq!(site.categories.len(), config.categories.len());
            for (c, want) in site.categories.iter().zip(&config.categories) {
                assert_eq!((&c.id, c.required, c.gpc_off), (&want.id, want.required, want.gpc_off));
                let cookies: Vec<String> = want.cookies.iter().chain(want.services.iter().flat_map(|s| &s.cookies)).cloned().collect();
                assert_eq!(c.cookies, cookies);
                assert_eq!(c.consent_mode, kelisim_shared::consent_mode::bits(&want.consent_mode));
            }
            for l in &config.languages {
                let layers = site.layers(*l).unwrap();
                assert_eq!(layers.banner, kelisim_shared::render::banner(&config, *l));
                assert_eq!(layers.preferences, kelisim_shared::render::preferences(&config, *l));
                assert_eq!(layers.receipt, kelisim_shared::render::receipt_link(*l));
            }
            let all: Vec<String> = config.categories.iter().map(|c| c.id.clone()).collect();
            assert_eq!(site.consent_mode_bits(&all), config.consent_mode_bits(all.iter().map(String::as_str)));
            seen += 1;
        }
        assert_eq!(seen, 5);
    }

    #[test]
    fn refuses_a_config_without_one_required_category() {
        let v = crate::json::parse(r#"{"site":"s","version":"v","scope":"0","languages":["kk"],"categories":[],"ui":{"kk":{}}}"#).unwrap();
        assert!(read(&v).is_err());
    }
}
