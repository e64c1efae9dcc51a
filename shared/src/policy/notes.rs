//! Texts for visitors, notes for the operator: a visitor text that reads like an auditor's
//! note ("Срок не указан в политике", "the policy does not name them", "TODO") belongs in a
//! `#` comment, not in what the banner shows. [`note_phrase`] finds such a text with a list
//! of phrases per language ([`NOTE_PHRASES`]); [`visitor_texts`] lists every text of a site
//! policy that a visitor reads, with its path, so that `kelisim site check` can name the
//! file, line and field (as a note: the file stays valid) and `kelisim policy import` can
//! test that its drafts never write one.

use super::locate::Seg::{self, Index, Key};
use super::SitePolicy;
use crate::config::Localized;

/// Phrases that mark a note about the policy rather than a text for visitors, by the language
/// they are written in (all are looked for in every text: a note is often pasted into the
/// wrong language's field). Matched case-insensitively, starting at a word boundary. A
/// phrase ending in `*` is a stem (`не указан*` also finds «не указано», «не указаны»);
/// any other must end at a word boundary too (`todo` is not found in «mastodon»).
pub const NOTE_PHRASES: &[(&str, &[&str])] = &[
    ("any", &["todo", "tbd", "fixme", "xxx"]),
    (
        "ru",
        &[
            "не указан*",
            "не указывает*",
            "не называет*",
            "не назван*",
            "не уточня*",
            "не сообщает*",
            "не упоминает*",
            "политика упоминает*",
            "политика указывает*",
            "политика допускает*",
            "политика говорит*",
            "политика не*",
            "политикой не*",
            "в политике не*",
        ],
    ),
    ("kk", &["көрсетілмеген*", "аталмаған*", "айтылмаған*", "нақтыланбаған*", "саясатта"]),
    (
        "en",
        &[
            "not stated",
            "not specified",
            "unspecified",
            "not named",
            "does not state*",
            "doesn't state*",
            "the policy does not*",
            "the policy doesn't*",
            "the policy mentions*",
            "the policy states*",
            "the policy says*",
            "the policy names*",
            "the policy gives no*",
            "the policy allows*",
        ],
    ),
];

/// The first phrase of [`NOTE_PHRASES`] found in `text` (as listed, without the `*`).
pub fn note_phrase(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    NOTE_PHRASES
        .iter()
        .flat_map(|(_, phrases)| phrases.iter())
        .find(|p| found(&lower, p))
        .map(|p| p.trim_end_matches('*'))
}

fn found(lower: &str, phrase: &str) -> bool {
    let (phrase, stem) = match phrase.strip_suffix('*') {
        Some(p) => (p, true),
        None => (phrase, false),
    };
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    lower
        .match_indices(phrase)
        .any(|(at, m)| !word(lower[..at].chars().next_back()) && (stem || !word(lower[at + m.len()..].chars().next())))
}

/// Every text of the file that a visitor reads (banner, preferences, receipts), with its path
/// in the file (`category[1].retention.ru`): names, titles, descriptions, data, purposes,
/// retention, recipients, services. Ids, cookie names, URLs, e-mail, phone, BIN and country
/// codes are not texts.
pub fn visitor_texts(p: &SitePolicy) -> Vec<(String, &str)> {
    located(p).into_iter().map(|(path, s)| (Seg::render(&path).join(".").replace(".[", "["), s)).collect()
}

/// [`visitor_texts`] of a file's text that need not be valid yet (a draft of `kelisim policy
/// import` with its `TODO`s): only its shape is read, nothing is validated.
pub fn visitor_texts_of(text: &str) -> Result<Vec<(String, String)>, toml::de::Error> {
    let p: SitePolicy = toml::from_str(text)?;
    Ok(visitor_texts(&p).into_iter().map(|(path, s)| (path, s.to_owned())).collect())
}

/// [`visitor_texts`] with their paths as `locate` takes them.
pub(super) fn located(p: &SitePolicy) -> Vec<(Vec<Seg>, &str)> {
    let mut out: Vec<(Vec<Seg>, &str)> = Vec::new();
    fn text<'a>(out: &mut Vec<(Vec<Seg>, &'a str)>, path: Vec<Seg>, t: &'a Localized<String>) {
        for (code, v) in [("kk", &t.kk), ("ru", &t.ru), ("en", &t.en)] {
            if let Some(v) = v {
                let mut p = path.clone();
                p.push(Key(code));
                out.push((p, v));
            }
        }
    }
    fn list<'a>(out: &mut Vec<(Vec<Seg>, &'a str)>, path: Vec<Seg>, t: &'a Localized<Vec<String>>) {
        for (code, v) in [("kk", &t.kk), ("ru", &t.ru), ("en", &t.en)] {
            for (i, s) in v.iter().flatten().enumerate() {
                let mut p = path.clone();
                p.extend([Key(code), Index(i)]);
                out.push((p, s));
            }
        }
    }
    out.push((vec![Key("name")], &p.name));
    out.push((vec![Key("policy_version")], &p.policy_version));
    let op = |k: &'static str| vec![Key("operator"), Key(k)];
    text(&mut out, op("name"), &p.operator.name);
    if let Some(a) = &p.operator.address {
        text(&mut out, op("address"), a);
    }
    if let Some(r) = &p.operator.responsible_person {
        text(&mut out, op("responsible_person"), r);
    }
    for (i, c) in p.categories.iter().enumerate() {
        let at = |k: &'static str| vec![Key("category"), Index(i), Key(k)];
        text(&mut out, at("title"), &c.title);
        text(&mut out, at("description"), &c.description);
        list(&mut out, at("data"), &c.data);
        list(&mut out, at("purposes"), &c.purposes);
        text(&mut out, at("retention"), &c.retention);
        for (j, t) in c.third_parties.iter().enumerate() {
            let at = |k: &'static str| vec![Key("category"), Index(i), Key("third_parties"), Index(j), Key(k)];
            text(&mut out, at("name"), &t.name);
            text(&mut out, at("purpose"), &t.purpose);
        }
        for (j, s) in c.services.iter().enumerate() {
            let at = |k: &'static str| vec![Key("category"), Index(i), Key("service"), Index(j), Key(k)];
            out.push((at("name"), &s.name));
            // Read by visitors in place of the name.
            text(&mut out, at("title"), &s.title);
            out.push((at("provider"), &s.provider));
            text(&mut out, at("description"), &s.description);
        }
    }
    out
}

/// The visitor texts that read like notes, each with the phrase that gave it away.
pub(super) fn note_texts(p: &SitePolicy) -> Vec<(Vec<Seg>, &'static str)> {
    located(p).into_iter().filter_map(|(path, s)| note_phrase(s).map(|ph| (path, ph))).collect()
}

/// What `site check` says about such a text.
pub fn message(phrase: &str) -> String {
    format!(
        "reads like a note for the operator («{phrase}»): visitors read this text, so say plainly what happens to their data and keep the note in a `#` comment"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditor_notes_are_found_in_each_language() {
        for (text, phrase) in [
            ("Срок не указан в политике; данные хранятся не дольше, чем нужно для цели.", "не указан"),
            ("Конкретный срок в политике не указан.", "не указан"),
            ("Политика упоминает аффилированных лиц, но не называет их.", "не называет"),
            ("Политика указывает, что данные обрабатываются без ограничения срока.", "политика указывает"),
            ("Почтовый адрес в политике не указан", "не указан"),
            ("Мерзімі саясатта көрсетілмеген.", "көрсетілмеген"),
            ("Саясатта деректер мерзімсіз өңделетіні көрсетілген.", "саясатта"),
            ("Бірақ ол елдер аталмаған.", "аталмаған"),
            ("The policy does not state a term.", "does not state"),
            ("The policy names no specific term.", "the policy names"),
            ("Term not stated", "not stated"),
            ("TODO: the retention", "todo"),
            ("todo", "todo"),
        ] {
            assert_eq!(note_phrase(text), Some(phrase), "{text}");
        }
    }

    #[test]
    fn visitor_wording_is_not_a_note() {
        for text in [
            "Пока действует ваше согласие, но не дольше, чем нужно для цели.",
            "Без ограничения срока",
            "Мерзімі шектелмейді",
            "No time limit",
            "Нужны для работы и безопасности сайта. Здесь же хранится ваш выбор в этом окне.",
            "Сайтқа кірулерді санауға көмектеседі.",
            "Подробнее — в политике конфиденциальности.",
            "Толығырақ құпиялылық саясатында.",
            "A Mastodon feed",
            "Help us count visits to the site.",
            "Мы не передаём данные за рубеж.",
        ] {
            assert_eq!(note_phrase(text), None, "{text}");
        }
    }

    #[test]
    fn phrases_are_lowercase_and_well_formed() {
        for (_, phrases) in NOTE_PHRASES {
            for p in *phrases {
                assert_eq!(p.to_lowercase(), *p, "matched against the lowercased text: {p}");
                assert!(!p.trim_end_matches('*').contains('*') && p.trim() == *p && !p.is_empty(), "{p}");
            }
        }
    }

    /// `site check` names file, line and field of each such text; the file stays valid, and
    /// a note in a `#` comment is not a visitor text.
    #[test]
    fn site_check_notes_name_the_file_line_and_field() {
        let example = include_str!("../../testdata/example.toml");
        let text = example
            .replace(
                r#"retention = { kk = "2 жыл", ru = "2 года""#,
                r#"retention = { kk = "2 жыл", ru = "Срок не указан в политике""#,
            )
            .replace(
                "[[category.third_parties]]",
                "# The policy does not name the recipient's parent company (TODO).\n[[category.third_parties]]",
            )
            .replace(r#"en = "Visit statistics" }"#, r#"en = "The policy mentions visit statistics" }"#);
        let p = SitePolicy::parse("site.toml", &text).unwrap_or_else(|e| panic!("a note keeps the file valid: {e}"));
        let notes = p.notes("site.toml", &text);
        let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        assert_eq!(notes.len(), 2, "{notes:#?}");
        assert_eq!(
            (notes[0].line, notes[0].field.as_str()),
            (line("Срок не указан"), "category `analytics`: `retention.ru`")
        );
        assert!(notes[0].to_string().starts_with(&format!("site.toml:{}:", notes[0].line)), "{}", notes[0]);
        assert!(
            notes[0].message.contains("«не указан»") && notes[0].message.contains("`#` comment"),
            "{}",
            notes[0].message
        );
        assert_eq!(
            (notes[1].line, notes[1].field.as_str()),
            (line("The policy mentions"), "category `analytics`: third_parties #1: `purpose.en`")
        );
        assert!(SitePolicy::parse("example.toml", example).unwrap().notes("example.toml", example).is_empty());
    }

    /// A service's label is read by visitors in place of its name: a note there is found too.
    #[test]
    fn a_note_in_a_service_s_label_is_found() {
        let example = include_str!("../../testdata/example.toml");
        let text = example.replacen(
            "name = \"Yandex.Metrica\"\n",
            "name = \"Yandex.Metrica\"\ntitle = { kk = \"Яндекс Метрика\", ru = \"Счётчик (срок не указан)\", en = \"Yandex Metrica\" }\n",
            1,
        );
        assert_ne!(text, example);
        let p = SitePolicy::parse("site.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let notes = p.notes("site.toml", &text);
        assert_eq!(notes.len(), 1, "{notes:#?}");
        assert!(notes[0].field.ends_with("`title.ru`"), "{notes:#?}");
    }

    #[test]
    fn every_visitor_text_is_listed_and_no_id_or_address() {
        let p = SitePolicy::parse("example.toml", include_str!("../../testdata/example.toml")).unwrap();
        let all = visitor_texts(&p);
        assert!(all.contains(&("category[1].retention.ru".to_owned(), "2 года")), "{all:?}");
        assert!(all.contains(&("category[1].data.en[1]".to_owned(), "browser data")), "{all:?}");
        let texts: Vec<&str> = all.into_iter().map(|(_, s)| s).collect();
        for t in [
            "Example.kz",
            "«Мысал» ЖШС",
            "1 Abay Ave, Almaty",
            "Аналитика",
            "IP-адрес",
            "2 года",
            "ООО «Яндекс»",
            "Yandex.Metrica",
            "Yandex LLC",
            "A visitor counting service.",
        ] {
            assert!(texts.contains(&t), "{t} is a visitor text: {texts:?}");
        }
        for t in ["example", "analytics", "privacy@example.kz", "KZ", "_ym_uid", "https://example.kz/privacy"] {
            assert!(!texts.contains(&t), "{t} is not a visitor text");
        }
    }
}
