//! The site config served to browsers: everything the banner shows, in every language the
//! site offers, derived from the site policy file (see `policy`, server side).
//!
//! Its `version` is the SHA-256 of its canonical JSON form (with `version` empty), so any
//! change of wording, categories or services is a new version, and the consent log can show
//! exactly which texts each visitor saw (Art. 8 p.1, Art. 25 p.2(5)).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use crate::consent_mode::ConsentModeType;
use crate::lang::Lang;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// A value given per language. Which languages must be present is checked against the
/// site's `languages` when the site policy is validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kk: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<T>,
}

impl<T> Localized<T> {
    pub fn get(&self, lang: Lang) -> Option<&T> {
        match lang {
            Lang::Kk => self.kk.as_ref(),
            Lang::Ru => self.ru.as_ref(),
            Lang::En => self.en.as_ref(),
        }
    }

    /// The text in `lang`, else in the first of `fallback` that has one.
    pub fn get_or(&self, lang: Lang, fallback: &[Lang]) -> Option<&T> {
        self.get(lang).or_else(|| fallback.iter().find_map(|l| self.get(*l)))
    }

    /// The values in `languages` only (a site's file may not give a text in another).
    pub fn only(&self, languages: &[Lang]) -> Localized<T>
    where
        T: Clone,
    {
        let keep = |l: Lang| self.get(l).filter(|_| languages.contains(&l)).cloned();
        Localized { kk: keep(Lang::Kk), ru: keep(Lang::Ru), en: keep(Lang::En) }
    }
}

pub type Text = Localized<String>;

impl Text {
    /// Whether no language has any text: absent, or left empty (as a form's new service is
    /// before anyone types in it). A service's blank description is the catalogue's to fill.
    pub fn is_blank(&self) -> bool {
        [&self.kk, &self.ru, &self.en].iter().all(|v| v.as_deref().is_none_or(str::is_empty))
    }
}
pub type TextList = Localized<Vec<String>>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub site: String,
    /// Hex SHA-256 of the canonical form of this config with `version` set to "".
    pub version: String,
    /// Fingerprint of the consent scope (category ids, which is required, service ids): when
    /// it changes, a stored decision no longer covers what the site asks and the banner returns.
    pub scope: String,
    pub name: String,
    pub policy_version: String,
    pub policy_url: String,
    /// The first is the site's default.
    pub languages: Vec<Lang>,
    pub consent_days: u32,
    pub operator: Operator,
    pub categories: Vec<Category>,
    /// W5: reload the page once when a script of a now-denied category already ran.
    pub reload_on_revoke: bool,
    /// W10: show the floating button that reopens the preferences after a decision.
    pub floating_button: bool,
    /// W13: the site's own look, if it sets one (`[appearance]`); absent from the JSON — and so
    /// from the version's hash — for a site that keeps the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Appearance>,
}

/// A site's look (W13), rendered by the server into the widget's CSS custom properties
/// (`crate::appearance`). Every field is optional: what is not set keeps the default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appearance {
    /// Where the first layer sits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Buttons, links, focus: `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    /// The text on an accent-coloured button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Corner radius of the layers, in CSS pixels (0–24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<u32>,
    /// A CSS font-family list of fonts the visitor's device has (nothing is downloaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    /// A logo shown above the first layer's title: an https URL or a path on the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// The corner of the floating reopen button (W10; `floating_button` turns it off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopen_corner: Option<Corner>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// A box centred along the bottom edge (the default).
    Bottom,
    /// A narrow box in the bottom-left corner.
    BottomLeft,
    /// A box in the middle of the window over a dimmed page (the page stays usable).
    Center,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Corner {
    Left,
    Right,
}

impl Config {
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }
    pub fn required_category(&self) -> Option<&Category> {
        self.categories.iter().find(|c| c.required)
    }
    /// The Consent Mode types granted by a set of categories, as cookie bits.
    pub fn consent_mode_bits<'a>(&self, granted: impl IntoIterator<Item = &'a str>) -> u8 {
        let granted: Vec<&str> = granted.into_iter().collect();
        crate::consent_mode::bits(
            self.categories.iter().filter(|c| granted.contains(&c.id.as_str())).flat_map(|c| c.consent_mode.iter()),
        )
    }
}

/// The personal data operator (Art. 8 p.4: the subject must know who processes the data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Legal name, e.g. ТОО «…» / «…» ЖШС.
    pub name: Text,
    /// Business identification number (12 digits), where the operator publishes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The person responsible for organising personal data processing (Art. 25-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_person: Option<Text>,
    /// ISO 3166-1 alpha-2 of the country where the database is kept (Art. 12 p.2: `KZ`).
    pub storage_country: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    /// Exactly one category is required: shown locked on, granted by every decision.
    #[serde(default)]
    pub required: bool,
    pub title: Text,
    pub description: Text,
    /// Art. 8 p.4: the list of data collected.
    pub data: TextList,
    pub purposes: TextList,
    /// Art. 8 p.5: how long the data is kept, as human text.
    pub retention: Text,
    #[serde(default)]
    pub third_parties: Vec<ThirdParty>,
    #[serde(default)]
    pub cross_border: CrossBorder,
    /// Cookie names or patterns (`_ga*`) deleted on reject or withdrawal (W5).
    #[serde(default)]
    pub cookies: Vec<String>,
    /// Consent Mode v2 types this category grants (W8).
    #[serde(default)]
    pub consent_mode: Vec<ConsentModeType>,
    /// W9: with a Global Privacy Control signal, keep this category off on "Accept all".
    #[serde(default)]
    pub gpc_off: bool,
    /// In a site file `[[category.service]]` tables, or catalogue ids (`service =
    /// "yandex-metrica"`, `service = ["yandex-metrica", "vk-pixel"]`); a table may give only its
    /// `id` too. What a catalogued service leaves out comes from the catalogue when the file is
    /// parsed (`catalogue::fill`); the served config always has every field.
    #[serde(
        default,
        rename(serialize = "services", deserialize = "service"),
        alias = "services",
        deserialize_with = "service_refs::deserialize"
    )]
    pub services: Vec<Service>,
}

/// A category's services as a site file may write them: one id, or a list of ids and tables.
mod service_refs {
    use super::{Service, Text};
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::fmt;
    use serde::de::{self, Deserializer, SeqAccess, Visitor};
    use serde::Deserialize;

    /// A `[[category.service]]` table: everything but `id` may come from the catalogue.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Table {
        id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        title: Text,
        #[serde(default)]
        provider: String,
        #[serde(default)]
        country: String,
        #[serde(default)]
        description: Text,
        #[serde(default)]
        cookies: Vec<String>,
        #[serde(default)]
        policy_url: Option<String>,
    }

    fn by_id(id: String) -> Service {
        Service {
            id,
            name: String::new(),
            title: Text::default(),
            provider: String::new(),
            country: String::new(),
            description: Text::default(),
            cookies: Vec::new(),
            policy_url: None,
        }
    }

    /// One element of the list: an id, or a table (read by its own `Deserialize`, so that an
    /// unknown or mistyped field is named as in any other table).
    struct One(Service);

    impl<'de> Deserialize<'de> for One {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<One, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = One;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a catalogue service id or a [[category.service]] table")
                }
                fn visit_str<E: de::Error>(self, id: &str) -> Result<One, E> {
                    Ok(One(by_id(id.into())))
                }
                fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<One, A::Error> {
                    let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                    Ok(One(Service {
                        id: t.id,
                        name: t.name,
                        title: t.title,
                        provider: t.provider,
                        country: t.country,
                        description: t.description,
                        cookies: t.cookies,
                        policy_url: t.policy_url,
                    }))
                }
            }
            d.deserialize_any(V)
        }
    }

    struct Refs;

    impl<'de> Visitor<'de> for Refs {
        type Value = Vec<Service>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a catalogue service id, a list of ids, or [[category.service]] tables")
        }

        fn visit_str<E: de::Error>(self, id: &str) -> Result<Self::Value, E> {
            Ok(alloc::vec![by_id(id.into())])
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(One(s)) = seq.next_element::<One>()? {
                out.push(s);
            }
            Ok(out)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Service>, D::Error> {
        d.deserialize_any(Refs)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThirdParty {
    pub name: Text,
    /// ISO 3166-1 alpha-2 country where the recipient processes the data.
    pub country: String,
    pub purpose: Text,
}

/// Art. 8 p.4: whether the data crosses the border, and to which countries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossBorder {
    pub transfer: bool,
    #[serde(default)]
    pub countries: Vec<String>,
}

/// A named service inside a category (e.g. Yandex.Metrica), shown on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: String,
    /// Brand names are not translated.
    pub name: String,
    /// What visitors read instead of `name`, in each language, when given: the catalogue's
    /// label for a service it names («Яндекс Метрика — статистика посещений»).
    #[serde(default, skip_serializing_if = "Text::is_blank")]
    pub title: Text,
    /// The company behind the service and its country.
    pub provider: String,
    pub country: String,
    pub description: Text,
    #[serde(default)]
    pub cookies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_url: Option<String>,
}
