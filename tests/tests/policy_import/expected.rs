//! What each policy says, written by hand from reading it: one row per finding,
//! `kind | what | clauses`. `what` is the value for operator details, dates and sites, the
//! rule id for the rest, `category: id` for purposes, and `id (COUNTRY)` for a recipient whose
//! sentence names its country. Clauses are the numbers the policy gives; `preamble`, `title`,
//! or a bare section number (`5`) for unnumbered text under a numbered heading.
//!
//! The test checks both ways: every row is found in exactly these clauses, and the importer
//! finds nothing that is not a row here.

/// aimap.kz: an information system for state bodies. No cookies, counters or pixels anywhere,
/// so cl. 3.1 and 3.2.2 («статистических и иных исследований») are found but propose nothing.
pub const AIMAP: &str = "
    implied_consent | implied_consent | preamble
    operator_name | ТОО «Kazdream Technologies» | 1
    site | aimap.kz | 1.2
    purpose | analytics: research | 3.1, 3.2.2
    purpose | necessary: identification | 3.2.1
    storage | KZ | 4.3
    retention | as_the_law_provides | 4.3
    purpose | necessary: legal | 4.4.1, 4.4.2
    third_party | state_bodies | 4.4.1
    transfer_condition | transfer_condition | 4.5.1, 4.5.2
    email | contact@aimap.kz | 5.6
";

/// callprikol.kz: cl. 2.8 is the cookie and web-beacon clause; no e-mail, phone or address
/// (only a feedback form, cl. 4.1), no date.
pub const CALLPRIKOL: &str = "
    operator_name | ТОО «Цифровая ракета» | title, preamble
    site | callprikol.kz | preamble
    data | ip_address | 1.1
    data | browser | 1.1
    data | access_time | 1.1
    data | pages | 1.1
    purpose | necessary: orders | 2.1
    purpose | necessary: identification | 2.3, 2.8
    purpose | functional: personalisation | 2.4, 2.8
    purpose | necessary: communication | 2.5
    purpose | analytics: improvement | 2.6
    purpose | analytics: research | 2.7
    data | cookie_data | 2.8
    technology | cookies | 2.8
    data | device | 2.8
    purpose | necessary: security | 2.8
    purpose | analytics: statistics | 2.8
    purpose | marketing: advertising | 2.8
    purpose | marketing: campaigns | 2.8
    withdrawal | browser_settings | 2.8
    technology | pixels | 2.8
    transfer_condition | transfer_condition | 3.2
    purpose | necessary: legal | 3.2
    withdrawal | withdraw_consent | 4.2
    third_party | affiliates | 5.2
    third_party | partners | 5.2
    third_party | service_providers | 5.2
    implied_consent | implied_consent | 6.2
";

/// neupusti.kz: the operator is «TOO «Neupustinet»» in the preamble (Latin TOO) and
/// «ТОО «Neupusti.net»» in cl. 9.4. Cl. 3.3.2 collects IP statistics «с целью предотвращения,
/// выявления и решения технических проблем»: a technical purpose, not analytics.
pub const NEUPUSTI: &str = "
    site | neupusti.kz | preamble
    operator_name | ТОО «Neupustinet» | preamble, 1.1.1
    address | Республика Казахстан, город Алматы, улица Маркова, 22/37 | preamble
    implied_consent | implied_consent | 2.1
    purpose | necessary: orders | 3.1, 4.1.1, 5.2
    purpose | marketing: campaigns | 3.1, 4.1.9
    data | ip_address | 3.3, 3.3.2
    data | cookie_data | 3.3
    technology | cookies | 3.3, 3.3.1
    data | browser | 3.3, 3.4
    data | access_time | 3.3
    data | referrer | 3.3
    purpose | necessary: sign_in | 3.3.1, 4.1.1, 4.1.6
    withdrawal | browser_settings | 3.3.1
    purpose | necessary: technical | 3.3.2, 4.1.8
    data | pages | 3.4
    data | device | 3.4
    purpose | necessary: identification | 4.1.1
    purpose | functional: personalisation | 4.1.2
    purpose | necessary: communication | 4.1.3, 4.1.7
    data | location | 4.1.4
    purpose | necessary: security | 4.1.4
    purpose | marketing: advertising | 4.1.10
    retention | unlimited | 5.1
    third_party | couriers | 5.2
    third_party | postal | 5.2
    third_party | telecom | 5.2
    policy_url | https://neupusti.kz/ | 9.3
    date | 2022-08-04 | 9.4
    operator_name | ТОО «Neupusti.net» | 9.4
";

/// protorg.kz: no legal entity is named (only «Интернет-магазин «PROtorg.kz»»); the date stands
/// alone under the title; cl. 3.3 names a statistics script («пиксель») and ad blocks.
pub const PROTORG: &str = "
    date | 2020-04-23 | preamble
    site | protorg.kz | preamble
    implied_consent | implied_consent | 2.1
    purpose | necessary: orders | 3.1, 3.3.2, 4.1.1, 4.1.8, 5.2
    purpose | analytics: statistics | 3.3
    purpose | marketing: advertising | 3.3, 4.1.11
    technology | pixels | 3.3
    technology | analytics_script | 3.3
    data | ip_address | 3.3, 3.3.2
    data | cookie_data | 3.3
    technology | cookies | 3.3, 3.3.1
    data | browser | 3.3, 3.4
    data | access_time | 3.3
    data | pages | 3.3
    data | referrer | 3.3
    purpose | necessary: sign_in | 3.3.1, 4.1.6
    withdrawal | browser_settings | 3.3.1
    purpose | necessary: technical | 3.3.2, 4.1.9
    data | device | 3.4
    purpose | necessary: identification | 4.1.1
    purpose | functional: personalisation | 4.1.2
    purpose | necessary: communication | 4.1.3, 4.1.7
    data | location | 4.1.4
    purpose | necessary: security | 4.1.4
    purpose | marketing: campaigns | 4.1.10
    retention | unlimited | 5.1
    third_party | couriers | 5.2
    third_party | postal | 5.2
    third_party | telecom | 5.2
    purpose | necessary: legal | 5.3
    third_party | state_bodies (KZ) | 5.3
    email | info@protorg.kz | 9.3
    site | www.protorg.kz | 9.4
    policy_url | https://www.protorg.kz | 9.4
";

/// webpulse.kz: no legal entity («администратор сайта»), no date; section 7 is the cookie and
/// counter section; section 5 says data may go to «некоторых странах» without naming them.
pub const WEBPULSE: &str = "
    site | webpulse.kz | preamble
    implied_consent | implied_consent | preamble, 5
    purpose | necessary: orders | 1, 2.2.2, 3.1.1
    storage | KZ | 1
    data | ip_address | 2.1.2
    data | cookie_data | 2.1.2, 7, 7.1, 7.2, 7.3, 7.4, 7.5, 7.6
    data | browser | 2.1.2
    data | access_time | 2.1.2
    data | pages | 2.1.2
    data | device | 2.1.2
    technology | cookies | 2.1.2, 7, 7.1, 7.2, 7.3, 7.4, 7.5, 7.6
    legitimate_interest | legitimate_interest | 2.2.3
    purpose | analytics: research | 2.2.6, 3.1.8, 7.1
    purpose | analytics: statistics | 2.2.6, 4.4, 7.1, 7.5
    purpose | necessary: legal | 3.1.2, 4.4
    purpose | necessary: identification | 3.1.3
    purpose | functional: personalisation | 3.1.4, 7.1
    purpose | necessary: communication | 3.1.5
    purpose | analytics: improvement | 3.1.6, 7.1
    purpose | marketing: advertising | 3.1.7, 7.1
    transfer_condition | transfer_condition | 4.4
    third_party | state_bodies (KZ) | 4.4
    cross_border | cross_border | 5
    technology | counters | 7, 7.5
    withdrawal | browser_settings | 7.2, 7.6
    purpose | necessary: technical | 7.5
    policy_url | https://webpulse.kz/policy.pdf | 9
    email | sales@webpulse.kz | 11
    phone | +7 707 840 51 61 | 11
";

/// tests/fixtures/policies/zhibek-shop.kk.txt: a short policy written in Kazakh for this test.
pub const ZHIBEK: &str = "
    operator_name | «Жібек Жолы Сауда» ЖШС | preamble, 1.1
    site | zhibek-shop.kz | preamble
    date | 2024-03-15 | preamble
    bin | 190340018763 | 1.1
    address | Қазақстан Республикасы, Алматы қ., Абай даңғылы, 52, 4-кеңсе | 1.2
    email | privacy@zhibek-shop.kz | 1.3, 5.1
    phone | +7 727 312 45 67 | 1.3
    implied_consent | implied_consent | 1.4
    data | ip_address | 2.1
    data | browser | 2.1
    data | access_time | 2.1
    data | referrer | 2.1
    data | cookie_data | 2.1, 3, 3.1, 3.2, 3.3
    technology | cookies | 2.1, 3, 3.1, 3.2, 3.3
    purpose | necessary: sign_in | 3.1.1
    purpose | necessary: identification | 3.1.1
    purpose | necessary: technical | 3.1.1
    purpose | functional: personalisation | 3.1.2
    purpose | analytics: statistics | 3.1.3
    service | yandex-metrica | 3.1.3
    purpose | marketing: advertising | 3.1.4
    retention | term | 3.2
    withdrawal | browser_settings | 3.3
    storage | KZ | 4.1
    purpose | necessary: orders | 4.2
    third_party | couriers | 4.2
    purpose | necessary: legal | 4.3
    third_party | state_bodies | 4.3
    withdrawal | withdraw_consent | 5.1
";

/// tests/fixtures/policies/remont-no-cookies.ru.txt: a sole trader's request form; no cookie
/// section. Cl. 2.3 names statistical research, which proposes nothing without cookies.
pub const REMONT: &str = "
    date | 2025-02-01 | title
    operator_name | ИП Иванова Анна Сергеевна | preamble
    bin | 850612401375 | preamble
    site | remont-karaganda.kz | preamble
    purpose | necessary: orders | 1.2
    purpose | necessary: communication | 1.2
    storage | KZ | 2.1
    retention | term | 2.1
    purpose | necessary: legal | 2.2
    purpose | analytics: research | 2.3
    withdrawal | withdraw_consent | 3.1
    email | info@remont-karaganda.kz | 3.1
    phone | +7 701 555 12 34 | 3.1
";
