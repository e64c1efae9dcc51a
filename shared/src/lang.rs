//! The languages Kelisim speaks and how a visitor's language is chosen (W3; for site
//! developers: README, "Embedding", `data-lang`).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.
//!
//! Law on Languages Art. 21: public texts in Kazakh, and in Russian where needed. Every site
//! has `kk` and `ru`; `en` is optional.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// Parses a BCP 47 tag by its primary subtag: `kk-KZ` → `kk`, `ru` → `ru`, `en-US` → `en`.
    /// `kz` is accepted as a common mistake for Kazakh (it is the country code, not the language).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let t = tag.trim_ascii();
        let primary = t.get(..t.bytes().position(|b| b == b'-' || b == b'_').unwrap_or(t.len()))?;
        let is = |code: &str| primary.eq_ignore_ascii_case(code);
        if is("kk") || is("kz") {
            Some(Lang::Kk)
        } else if is("ru") {
            Some(Lang::Ru)
        } else if is("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// Chooses the language to show (W3): the `data-lang` attribute, else `<html lang>`, else the
/// browser's languages in order of preference, each matched against the site's languages;
/// else the site's default (its first language).
pub fn choose<'a>(
    site_languages: &[Lang],
    data_lang: Option<&str>,
    html_lang: Option<&str>,
    browser: impl IntoIterator<Item = &'a str>,
) -> Lang {
    let offered = |tag: &str| Lang::from_tag(tag).filter(|l| site_languages.contains(l));
    data_lang
        .and_then(offered)
        .or_else(|| html_lang.and_then(offered))
        .or_else(|| browser.into_iter().find_map(offered))
        .or_else(|| site_languages.first().copied())
        .unwrap_or(Lang::Kk)
}

#[cfg(test)]
mod tests {
    use super::*;
    const SITE: [Lang; 2] = [Lang::Ru, Lang::Kk];

    #[test]
    fn data_lang_wins() {
        assert_eq!(choose(&SITE, Some("kk"), Some("ru"), ["ru"]), Lang::Kk);
    }
    #[test]
    fn html_lang_then_browser() {
        assert_eq!(choose(&SITE, None, Some("kk-KZ"), ["ru"]), Lang::Kk);
        assert_eq!(choose(&SITE, None, Some("de"), ["fr", "kk"]), Lang::Kk);
    }
    #[test]
    fn language_not_offered_falls_back_to_default() {
        assert_eq!(choose(&SITE, Some("en"), None, ["en-US"]), Lang::Ru);
    }
    #[test]
    fn kz_is_read_as_kazakh() {
        assert_eq!(Lang::from_tag("kz"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag(" KK_kz "), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("en-US"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ru-"), Some(Lang::Ru));
        assert_eq!(Lang::from_tag("rus"), None);
        assert_eq!(Lang::from_tag(""), None);
    }
}
