//! Counts with the noun in the plural form the language wants after that number (CLDR cardinal
//! rules, `intl_pluralrules`): ru 1 решение / 2 решения / 5 решений; kk keeps the singular after
//! a numeral (19 шешім); en 1 decision / 2 decisions.

use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use kelisim_shared::lang::Lang;
use std::sync::OnceLock;

/// A noun in every form a count needs.
pub struct Noun {
    /// Kazakh: the singular, used after every numeral.
    pub kk: &'static str,
    /// Russian: after 1 (21, 101…), after 2–4 (22…), after 5–20, 0 (25…).
    pub ru: [&'static str; 3],
    /// English: singular, plural.
    pub en: [&'static str; 2],
}

pub static DECISION: Noun = Noun {
    kk: "шешім", ru: ["решение", "решения", "решений"], en: ["decision", "decisions"]
};
pub static RECORD: Noun =
    Noun { kk: "жазба", ru: ["запись", "записи", "записей"], en: ["record", "records"] };
pub static CHECKPOINT: Noun = Noun {
    kk: "қол қойылған бақылау нүктесі",
    ru: ["подписанная контрольная точка", "подписанные контрольные точки", "подписанных контрольных точек"],
    en: ["signed checkpoint", "signed checkpoints"],
};

pub static MINUTE: Noun =
    Noun { kk: "минут", ru: ["минуту", "минуты", "минут"], en: ["minute", "minutes"] };
pub static HOUR: Noun = Noun { kk: "сағат", ru: ["час", "часа", "часов"], en: ["hour", "hours"] };
pub static DAY: Noun = Noun { kk: "күн", ru: ["день", "дня", "дней"], en: ["day", "days"] };

fn rules(l: Lang) -> &'static PluralRules {
    static RULES: OnceLock<[PluralRules; 3]> = OnceLock::new();
    let all = RULES.get_or_init(|| {
        ["kk", "ru", "en"].map(|code| {
            let id: unic_langid::LanguageIdentifier = code.parse().expect("a valid language tag");
            PluralRules::create(id, PluralRuleType::CARDINAL).expect("CLDR has kk, ru and en")
        })
    });
    &all[match l {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    }]
}

/// The form of `noun` after the number `n`.
pub fn form(l: Lang, n: u64, noun: &Noun) -> &'static str {
    let category = rules(l).select(n).unwrap_or(PluralCategory::OTHER);
    match l {
        Lang::Kk => noun.kk,
        Lang::Ru => match category {
            PluralCategory::ONE => noun.ru[0],
            PluralCategory::FEW => noun.ru[1],
            _ => noun.ru[2],
        },
        Lang::En => match category {
            PluralCategory::ONE => noun.en[0],
            _ => noun.en[1],
        },
    }
}

/// `n` and the noun after it: «13 решений», «19 шешім», "1 decision".
pub fn count(l: Lang, n: impl TryInto<u64>, noun: &Noun) -> String {
    let n = n.try_into().unwrap_or(0);
    format!("{n} {}", form(l, n, noun))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_has_three_forms_and_kazakh_keeps_the_singular() {
        let ru: Vec<String> = [1u64, 2, 5, 11, 13, 21, 22, 0].iter().map(|n| count(Lang::Ru, *n, &DECISION)).collect();
        assert_eq!(
            ru,
            [
                "1 решение",
                "2 решения",
                "5 решений",
                "11 решений",
                "13 решений",
                "21 решение",
                "22 решения",
                "0 решений"
            ]
        );
        assert_eq!(count(Lang::Kk, 19u64, &DECISION), "19 шешім");
        assert_eq!(count(Lang::Kk, 1u64, &DECISION), "1 шешім");
        assert_eq!(count(Lang::En, 1u64, &DECISION), "1 decision");
        assert_eq!(count(Lang::En, 19u64, &DECISION), "19 decisions");
    }
}
