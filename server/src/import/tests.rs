//! The rules on small texts. The five real policies, the Kazakh policy and the CLI are tested
//! end to end in `tests/tests/policy_import.rs`.

use super::*;
use kelisim_shared::policy::SitePolicy;

fn import(text: &str) -> Import {
    Import::read(text.as_bytes(), "test", "test.txt", None).unwrap()
}

fn ids(imp: &Import, kind: Kind) -> Vec<&'static str> {
    imp.of(kind).map(|f| f.id).collect()
}

fn values(imp: &Import, kind: Kind) -> Vec<String> {
    imp.of(kind).map(|f| f.value.clone()).collect()
}

#[test]
fn without_cookies_only_necessary_is_proposed() {
    let imp =
        import("1. Цели\n1.1. Данные используются для проведения статистических исследований и показа рекламы.\n");
    assert_eq!(imp.categories(), [CategoryId::Necessary]);
    let draft = imp.draft().text.replace("\n# ", " ");
    assert!(draft.contains("no optional category is proposed"), "{draft}");
    assert!(draft.contains("(analytics)") && draft.contains("(marketing)"), "{draft}");
}

#[test]
fn with_cookies_each_purpose_proposes_its_category() {
    let imp = import(
        "1.1. Мы используем файлы cookie для персонализации сайта, подсчёта посещений и таргетирования рекламы.\n",
    );
    assert_eq!(
        imp.categories(),
        [CategoryId::Necessary, CategoryId::Functional, CategoryId::Analytics, CategoryId::Marketing]
    );
}

#[test]
fn statistics_for_technical_problems_is_not_analytics() {
    // As in neupusti.kz cl. 3.3.2: statistics about IP addresses serve a technical purpose.
    let imp = import("3.3. Отключение cookies может повлечь невозможность доступа к частям сайта, требующим авторизации.\n3.3.2. Сайт осуществляет сбор статистики об IP-адресах своих посетителей. Данная информация используется с целью предотвращения, выявления и решения технических проблем.\n");
    assert_eq!(imp.categories(), [CategoryId::Necessary]);
    assert_eq!(ids(&imp, Kind::Purpose), ["sign_in", "technical"]);
}

#[test]
fn a_counter_without_a_purpose_proposes_analytics_and_a_pixel_marketing() {
    let imp = import("На сайте установлены счётчики.\nНа страницах размещён пиксель.\n");
    assert_eq!(imp.categories(), [CategoryId::Necessary, CategoryId::Analytics, CategoryId::Marketing]);
}

#[test]
fn the_first_of_two_overlapping_purposes_wins() {
    let imp = import("Файлы cookie используются для проведения статистических и иных исследований.\n");
    assert_eq!(ids(&imp, Kind::Purpose), ["research"]);
}

#[test]
fn a_recipient_counts_only_where_data_is_handed_over() {
    let imp = import("1. Система помогает государственным органам.\n2. Оператор вправе передавать данные следующим лицам:\n2.1. государственным органам Республики Казахстан по их запросу.\n");
    let found: Vec<(&str, Option<&str>)> = imp.of(Kind::ThirdParty).map(|f| (f.id, f.country)).collect();
    assert_eq!(found, [("state_bodies", Some("KZ"))]);
    assert_eq!(imp.place(imp.of(Kind::ThirdParty).next().unwrap()).number(), Some("2.1"));
}

#[test]
fn definitions_are_not_statements() {
    let imp = import("1.1.7. «Cookies» — небольшой фрагмент данных, хранимый на компьютере пользователя.\n1.1.8. «IP-адрес» — уникальный сетевой адрес узла.\n");
    assert!(imp.findings.iter().all(|f| f.kind != Kind::Technology && f.kind != Kind::Data));
    assert_eq!(imp.categories(), [CategoryId::Necessary]);
}

#[test]
fn legal_names_in_their_forms() {
    let imp = import("Сайт принадлежит TOO «Альфа» и ТОО «**Beta Soft**»; «Гамма» ЖШС; Индивидуальный предприниматель Петров Иван Иванович.\n");
    let names: Vec<[Option<String>; 3]> = imp.of(Kind::OperatorName).map(|f| f.texts.clone()).collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(names[0], [s("«Альфа» ЖШС"), s("ТОО «Альфа»"), None]);
    assert_eq!(names[1], [s("«Beta Soft» ЖШС"), s("ТОО «Beta Soft»"), s("Beta Soft LLP")]);
    assert_eq!(names[2], [s("«Гамма» ЖШС"), s("ТОО «Гамма»"), None]);
    assert_eq!(names[3], [s("ЖК Петров Иван Иванович"), s("ИП Петров Иван Иванович"), None]);
}

#[test]
fn a_bin_with_a_wrong_check_digit_is_reported_but_not_used() {
    let imp = import("ТОО «Альфа», БИН 180240012343, info@alfa.kz.\n");
    assert_eq!(values(&imp, Kind::Bin), ["180240012343"]);
    assert!(imp.warnings().iter().any(|w| w.contains("check digit")));
    assert!(imp.draft().text.contains("bin = \"TODO:"));
}

#[test]
fn the_law_s_date_is_not_the_policy_s() {
    let imp =
        import("Политика обновлена в соответствии с Законом РК от 21 мая 2013 года № 94-V.\nРедакция от 01.02.2025.\n");
    assert_eq!(values(&imp, Kind::Date), ["2025-02-01"]);
}

#[test]
fn contacts_and_sites() {
    let imp = import("Вопросы: info@shop.kz, +7 (701) 123-45-67, 8 727 300 00 00. Сайт https://Shop.kz/ и www.shop.kz, подробнее на yandex.ru.\n");
    assert_eq!(values(&imp, Kind::Email), ["info@shop.kz"]);
    assert_eq!(values(&imp, Kind::Phone), ["+7 701 123 45 67", "+7 727 300 00 00"]);
    assert_eq!(values(&imp, Kind::Site), ["shop.kz", "www.shop.kz"]);
}

#[test]
fn a_retention_term_in_three_languages() {
    let imp = import("Файлы cookie хранятся в течение 2 лет.\n");
    let f = imp.of(Kind::Retention).next().unwrap();
    assert_eq!(f.texts, [Some("2 жыл".into()), Some("2 года".into()), Some("2 years".into())]);
}

#[test]
fn implied_consent_and_legitimate_interest_are_warned_about() {
    let imp = import("Использование сайта shop.kz означает согласие с Политикой. Обработка ведётся для осуществления прав и законных интересов Оператора.\n");
    assert_eq!(imp.warnings().len(), 2, "{:?}", imp.warnings());
    let draft = imp.draft().text.replace("\n# ", " ");
    assert!(draft.contains("WARNING, THE POLICY TAKES USING THE SITE AS CONSENT"), "{draft}");
}

/// Apart from TODOs the draft must be a valid site policy file; a quote holding `"` and `\`
/// must not break the TOML.
#[test]
fn a_draft_has_no_error_but_its_todos() {
    let imp = import(
        "Политика «Сайта»\nТОО «Кавычки \\ и \"слеш\"» (далее – Оператор) использует cookie для подсчёта посещений.\n",
    );
    let draft = imp.draft();
    let errors = SitePolicy::parse("draft.toml", &draft.text).expect_err("a draft has TODOs").0;
    assert!(!errors.is_empty());
    for e in &errors {
        assert_eq!(e.message, "is still a TODO: replace it with the site's own text", "{e}\n{}", draft.text);
    }
    assert_eq!(errors.len(), draft.todos.len(), "{:?}", draft.todos);
}

#[test]
fn long_sentences_are_quoted_around_the_match() {
    let text = format!("{} IP-адрес {}", "слово ".repeat(200), "другое ".repeat(200));
    let at = text.find("IP-адрес").unwrap();
    let q = excerpt(&text, at..at + "IP-адрес".len(), 100);
    assert!(q.starts_with('…') && q.ends_with('…') && q.contains("IP-адрес"), "{q}");
    assert!(q.chars().count() <= 102, "{q}");
}

#[test]
fn a_draft_in_the_languages_asked_for() {
    let imp = Import::read(
        "ТОО «Альфа», info@alfa.kz. Мы используем cookie для подсчёта посещений.\n".as_bytes(),
        "t",
        "t.txt",
        Some(vec![Lang::Ru, Lang::Kk]),
    )
    .unwrap();
    let draft = imp.draft();
    assert!(draft.text.contains("languages = [\"ru\", \"kk\"]"), "{}", draft.text);
    assert!(!draft.text.contains("en = "), "{}", draft.text);
    let errors = SitePolicy::parse("draft.toml", &draft.text).expect_err("TODOs remain").0;
    assert!(errors.iter().all(|e| e.message.contains("TODO")), "{errors:?}");
}

/// Texts for visitors, notes for the operator: no visitor text of a draft reads like a note
/// (the phrase list of `site check`'s notes). A `TODO: …` placeholder says only what to write;
/// why it is a TODO (what the policy leaves unsaid) is in the comment above it.
pub(crate) fn notes_in_visitor_texts(draft: &str) -> Vec<String> {
    use kelisim_shared::policy::notes::{note_phrase, visitor_texts_of};
    let texts =
        visitor_texts_of(draft).unwrap_or_else(|e| panic!("the draft has the shape of a site file: {e}\n{draft}"));
    assert!(!texts.is_empty());
    texts
        .into_iter()
        .filter_map(|(path, s)| {
            let said = s.strip_prefix("TODO: ").unwrap_or(&s);
            note_phrase(said).map(|p| format!("{path} = {s:?} reads like a note («{p}»)"))
        })
        .collect()
}

#[test]
fn a_draft_says_plain_things_to_visitors_and_keeps_its_notes_in_comments() {
    for text in [
        // The policy names no term, only the law; a recipient without a country; data sent
        // abroad to countries it does not name; no data list.
        "ТОО «Альфа», info@alfa.kz. Мы используем cookie для подсчёта посещений. Срок хранения данных определяется в соответствии с законодательством. Оператор вправе передавать данные партнёрам. Данные могут передаваться в другие страны.\n",
        // Processing without a time limit.
        "ТОО «Альфа», info@alfa.kz. Сайт собирает IP-адрес. Обработка персональных данных осуществляется без ограничения срока.\n",
        // Nothing said at all.
        "Политика конфиденциальности сайта.\n",
    ] {
        let draft = import(text).draft().text;
        let notes = notes_in_visitor_texts(&draft);
        assert!(notes.is_empty(), "{}\n{draft}", notes.join("\n"));
    }
    let draft =
        import("ТОО «Альфа», info@alfa.kz. Срок хранения данных определяется в соответствии с законодательством.\n")
            .draft()
            .text;
    assert!(draft.contains("ru = \"В сроки, установленные законом.\""), "{draft}");
    assert!(draft.contains("# The policy names no concrete term, only the law"), "{draft}");
    let draft = import("ТОО «Альфа», info@alfa.kz. Файлы cookie используются для подсчёта посещений.\n").draft().text;
    assert!(draft.contains("# TODO: the policy does not say how long the data is kept"), "{draft}");
    assert!(draft.contains("ru = \"TODO: how long this data is kept\""), "{draft}");
}

#[test]
fn the_note_check_finds_a_note_in_a_visitor_text() {
    // The check the test above relies on does see a note where one is.
    let draft = import("ТОО «Альфа», info@alfa.kz. Сайт собирает IP-адрес.\n").draft().text;
    let noted = draft.replacen("ru = \"TODO: how long this data is kept\"", "ru = \"Срок не указан в политике\"", 1);
    assert_ne!(noted, draft, "{draft}");
    assert_eq!(notes_in_visitor_texts(&noted).len(), 1, "{noted}");
}

#[test]
fn a_policy_naming_catalogue_services_gets_them_by_id_and_a_draft_with_no_other_error() {
    let imp = import(
        "ТОО «Магазин» (далее – Оператор) использует cookie для подсчёта посещений и показа рекламы.\n\
         5.1. На сайте работают Яндекс.Метрика, Google Analytics, пиксель Meta, видео YouTube, онлайн-чат JivoSite, \
         виджет Битрикс24, карты 2ГИС и Яндекс.Карты, а формы защищает reCAPTCHA.\n",
    );
    let mut found = ids(&imp, Kind::Service);
    found.sort();
    // An operator's address at mail.ru is not the Top@Mail.Ru counter, and Yandex's image
    // search is not its maps.
    let other = import("Пишите на laptop@mail.ru или stop@mail.ru. Картинки ищем в Яндекс.Картинках.\n");
    assert_eq!(ids(&other, Kind::Service), Vec::<&str>::new());
    assert_eq!(
        found,
        [
            "bitrix24",
            "google-analytics",
            "google-recaptcha",
            "jivo",
            "meta-pixel",
            "twogis",
            "yandex-maps",
            "yandex-metrica",
            "youtube"
        ]
    );
    let draft = imp.draft();
    for id in &found {
        assert!(draft.text.contains(&format!("[[category.service]]\nid = \"{id}\"")), "{id}: {}", draft.text);
    }
    // The recipients' names and countries come from the catalogue.
    assert!(
        draft.text.contains("name = { ru = \"Google LLC\", kk = \"Google LLC\", en = \"Google LLC\" }"),
        "{}",
        draft.text
    );
    let errors = SitePolicy::parse("draft.toml", &draft.text).expect_err("a draft has TODOs").0;
    for e in &errors {
        assert_eq!(e.message, "is still a TODO: replace it with the site's own text", "{e}\n{}", draft.text);
    }
}

#[test]
fn a_draft_for_a_dashboard_in_russian_or_kazakh_says_what_to_write_in_that_language() {
    let imp = import("ТОО «Магазин» (далее – Оператор) использует cookie для подсчёта посещений.\n");
    let ru = imp.draft_for(Lang::Ru);
    assert!(ru.text.contains("ru = \"TODO: как долго хранятся эти данные\""), "{}", ru.text);
    assert!(
        ru.text.contains("bin = \"TODO: БИН оператора (12 цифр); если его нет, удалите эту строку\""),
        "{}",
        ru.text
    );
    // A text the policy gives in one language only: what to write, in which language, from what.
    assert!(
        ru.text.contains("en = \"TODO: юридическое название оператора — на английском (ru: ТОО «Магазин»)\""),
        "{}",
        ru.text
    );
    let kk = imp.draft_for(Lang::Kk);
    assert!(kk.text.contains("TODO: бұл деректер қанша уақыт сақталады"), "{}", kk.text);
    assert!(kk.text.contains("TODO: оператордың заңды атауы — ағылшын тілінде (ru: ТОО «Магазин»)"), "{}", kk.text);
    // The same TODOs, in the same places: the file's checks do not depend on the language.
    assert_eq!(ru.todos, imp.draft().todos);
    assert_eq!(kk.todos, imp.draft().todos);
    for draft in [ru, kk] {
        let errors = SitePolicy::parse("draft.toml", &draft.text).expect_err("a draft has TODOs").0;
        assert!(
            errors.iter().all(|e| e.message == "is still a TODO: replace it with the site's own text"),
            "{errors:?}"
        );
    }
}

/// Policies that between them reach the draft's comments: the real ones (implied consent, a
/// withdrawal clause, recipients, addresses, dates…), one in Kazakh, one without cookies, and
/// small ones for a BIN that fails its check digit, services of the catalogue and of the
/// importer's own table, a counter and a pixel without a purpose, and a transfer abroad to
/// countries it does not name.
const COMMENTED: [&str; 12] = [
    include_str!("../../../tests/fixtures/policies/aimap.kz.ru.txt"),
    include_str!("../../../tests/fixtures/policies/callprikol.kz.ru.txt"),
    include_str!("../../../tests/fixtures/policies/neupusti.kz.ru.txt"),
    include_str!("../../../tests/fixtures/policies/protorg.kz.ru.txt"),
    include_str!("../../../tests/fixtures/policies/webpulse.kz.ru.txt"),
    include_str!("../../../tests/fixtures/policies/zhibek-shop.kk.txt"),
    include_str!("../../../tests/fixtures/policies/remont-no-cookies.ru.txt"),
    "ТОО «Альфа», БИН 180240012343, info@alfa.kz.\n",
    "ТОО «Магазин» (далее – Оператор) использует cookie для подсчёта посещений и показа рекламы.\n5.1. На сайте работают Яндекс.Метрика, Google Analytics, пиксель Meta, видео YouTube, онлайн-чат JivoSite, виджет Битрикс24, карты 2ГИС и Яндекс.Карты, а формы защищает reCAPTCHA.\n",
    "На сайте установлены счётчики.\nНа страницах размещён пиксель.\n",
    "ТОО «Альфа», info@alfa.kz. Мы используем cookie для подсчёта посещений. Срок хранения данных определяется в соответствии с законодательством. Оператор вправе передавать данные партнёрам. Данные могут передаваться в другие страны.\n",
    "Политика конфиденциальности сайта.\n",
];

/// Each comment of a draft as `Writer::comment` was given it: a run of `#` lines, joined again
/// where it wrapped them.
fn comments(draft: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut open = false;
    for line in draft.lines() {
        match line.strip_prefix('#') {
            Some(text) => {
                let text = text.strip_prefix(' ').unwrap_or(text);
                match blocks.last_mut().filter(|_| open) {
                    Some(block) => {
                        block.push(' ');
                        block.push_str(text);
                    }
                    None => blocks.push(text.to_owned()),
                }
                open = true;
            }
            None => open = false,
        }
    }
    blocks
}

/// The draft with each run of comment lines as one `#` and each TODO's text as `TODO`: what
/// must not depend on the reader's language.
fn shape(draft: &str) -> Vec<String> {
    let todo = regex::Regex::new(r#""TODO: (?:[^"\\]|\\.)*""#).unwrap();
    let mut lines: Vec<String> = Vec::new();
    for line in draft.lines() {
        if line.starts_with('#') {
            if lines.last().is_none_or(|l| l != "#") {
                lines.push("#".into());
            }
        } else {
            lines.push(todo.replace_all(line, "\"TODO\"").into_owned());
        }
    }
    lines
}

#[test]
fn a_draft_for_a_dashboard_in_russian_or_kazakh_has_its_comments_in_that_language() {
    // Latin words a kk or ru comment may hold besides the policy's own: names and tokens.
    const TOKENS: [&str; 22] = [
        "kelisim",
        "todo",
        "cookie",
        "js",
        "api",
        "https",
        "www",
        "kk",
        "ru",
        "en",
        "e",
        "mail",
        "ip",
        "llp",
        "jsc",
        "w",
        "v",
        "consent_days",
        "necessary",
        "functional",
        "analytics",
        "marketing",
    ];
    let english =
        ["The policy", "the policy", "Built-in", "Proposed from", "WARNING", "Kelisim's", "TODO: the", " is ", " and "];
    let services: Vec<&str> = rules::SERVICES.iter().map(|s| s.name).collect();
    let latin = regex::Regex::new(r"[A-Za-z][A-Za-z_]*").unwrap();
    let code = regex::Regex::new(r"`[^`]*`|docs/site-policy\.md").unwrap();
    for text in COMMENTED {
        let imp = import(text);
        let en = imp.draft();
        let policy = text.to_lowercase();
        for reader in [Lang::Ru, Lang::Kk] {
            let draft = imp.draft_for(reader);
            // The same values in the same places, the same runs of comments between them.
            assert_eq!(shape(&draft.text), shape(&en.text), "{reader:?}\n{}", draft.text);
            assert_eq!(draft.todos, en.todos);
            let errors = SitePolicy::parse("draft.toml", &draft.text).expect_err("a draft has TODOs").0;
            assert!(
                errors.iter().all(|e| e.message == "is still a TODO: replace it with the site's own text"),
                "{errors:?}"
            );
            for comment in comments(&draft.text) {
                for phrase in english {
                    assert!(!comment.contains(phrase), "{reader:?}: «{phrase}» in\n# {comment}");
                }
                // Quotes of the policy, the file's and services' names and `code` aside, no
                // Latin word but those of the tokens.
                let mut rest = comment.replace(&imp.source, "");
                for name in &services {
                    rest = rest.replace(name, "");
                }
                let rest = code.replace_all(&rest, "");
                for word in latin.find_iter(&rest).map(|m| m.as_str()) {
                    assert!(
                        TOKENS.contains(&word.to_lowercase().as_str()) || policy.contains(&word.to_lowercase()),
                        "{reader:?}: «{word}» in\n# {comment}"
                    );
                }
            }
            for line in draft.text.lines().filter(|l| l.starts_with('#')) {
                let words = line.trim_start_matches('#').split_whitespace().count();
                assert!(line.chars().count() <= 100 || words == 1, "{line}");
            }
        }
    }
    let draft = |text: &str, reader| import(text).draft_for(reader).text.replace("\n# ", " ");
    let ru_and_kk: [(Lang, &[&str]); 2] = [
        (Lang::Ru, &[
            "# Черновик файла политики сайта `test`, подготовленный командой `kelisim policy import` из test.txt (политика на русском языке).",
            "ВНИМАНИЕ — ПОЛИТИКА СЧИТАЕТ ИСПОЛЬЗОВАНИЕ САЙТА СОГЛАСИЕМ: п. 2.1: «Использование сайта",
            "Закон № 94-V (ст. 7, 8, 9) требует явного согласия",
            "(ст. 8 п. 2; Kelisim добавляет на каждую страницу кнопку «Настройки cookie»):",
            "Встроенное название.\ntitle = {",
            "Политика написана на русском языке, поэтому он идёт первым",
        ]),
        (Lang::Kk, &[
            "# `test` сайты үшін сайт саясаты файлының жобасы",
            "ЕСКЕРТУ — САЯСАТ САЙТТЫ ПАЙДАЛАНУДЫ КЕЛІСІМ ДЕП САНАЙДЫ: п. 2.1: «Использование сайта",
            "(8-бап 2-тармақ; Kelisim әр бетке «Cookie баптаулары» түймесін қосады):",
            "Кіріктірілген атау.\ntitle = {",
            "Саясат орыс тілінде жазылған, сондықтан бұл тіл бірінші тұр",
        ]),
    ];
    for (reader, phrases) in ru_and_kk {
        let text = draft(COMMENTED[2], reader);
        for said in phrases {
            assert!(text.contains(said), "{said}\n{text}");
        }
    }
    let ru = draft(COMMENTED[7], Lang::Ru);
    assert!(
        ru.contains("ВНИМАНИЕ — КОНТРОЛЬНАЯ ЦИФРА БИН/ИИН НЕ СХОДИТСЯ: преамбула: «ТОО «Альфа», БИН 180240012343"),
        "{ru}"
    );
    assert!(ru.contains("Кнопка «Настройки cookie» и JS API Kelisim позволяют посетителю отозвать согласие"), "{ru}");
    let kk = draft(COMMENTED[9], Lang::Kk);
    assert!(kk.contains("Саясатта санауыштар аталады, бірақ не үшін екені айтылмаған: преамбула:"), "{kk}");
    // The CLI's English, the button by its English label.
    let en = draft(COMMENTED[7], Lang::En);
    assert!(en.contains("WARNING, A BIN/IIN FAILS ITS CHECK DIGIT: преамбула:"), "{en}");
    assert!(en.contains("Kelisim's \"Cookie preferences\" button and its JS API"), "{en}");
}

#[test]
fn a_comment_s_values_go_where_its_language_puts_them() {
    use super::draft::fill;
    assert_eq!(fill("{1} — {0}", &["a", "b"]), "b — a");
    // A value is not read as a template, and a brace that is no placeholder stays.
    assert_eq!(fill("{0} {x} {", &["«{1}»"]), "«{1}» {x} {");
}
