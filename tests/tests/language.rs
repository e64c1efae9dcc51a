//! One language per dashboard page (issue 19): every page of a site with data, rendered in
//! Kazakh and in Russian, shows no English word of the dashboard's own (the words of the same
//! pages rendered in English), no raw audit code (`login.failed`) and no raw UTC timestamp; the
//! counts take the plural form the language wants, and a failed login keeps the name typed. The
//! site-file check's messages too: on the policy (TOML) page and next to the editor's fields.

use kelisim_tests::admin::{add_account, login, session, token};
use kelisim_tests::{demo_sites_copy, get, post_form, seed, Kelisim};
use std::collections::BTreeSet;

const SITE: &str = "webpulse";

/// What a person reads on a page: the text outside tags, without what is not the dashboard's
/// own words — code and preformatted blocks (snippets, commands, the stored audit details, the
/// site file), the site file's text area, scripts and styles. Tooltips of charts (`<title>` in
/// the SVG) are read as text.
fn visible(html: &str) -> String {
    let mut s = html.to_owned();
    for tag in ["script", "style", "code", "pre", "textarea"] {
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        while let Some(a) = s.find(&open) {
            let Some(b) = s[a..].find(&close) else { break };
            s.replace_range(a..a + b + close.len(), " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out.replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A text without what it quotes between backticks: the site file's own keys and values, as
/// every language's messages name them (`title.kk`, `yandex-metrika`). A text with an unpaired
/// backtick is kept whole.
fn unquoted(text: &str) -> String {
    if text.matches('`').count() % 2 == 1 {
        return text.to_owned();
    }
    text.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// The site file with problems of several kinds: one whose check finds a missing Kazakh title,
/// a category id that is not a slug and a service id the catalogue does not know; and one with
/// a value of the wrong type (which stops the check before the rest). Each with its name.
fn bad_files(file: &str) -> [(String, &'static str); 2] {
    let several = file.replacen("title = { kk = \"Функционалдық\", ", "title = { ", 1).replacen(
        "id = \"marketing\"",
        "id = \"Marketing Ads\"",
        1,
    ) + "\n[[category.service]]\nid = \"yandex-metrika\"\n";
    let typed = file.replacen("consent_days = 365", "consent_days = \"a year\"", 1);
    assert!(several.contains("title = { ru = \"Функциональные\"") && several.contains("Marketing Ads"));
    assert_ne!(typed, file);
    [(several, "several"), (typed, "type")]
}

/// The policy (TOML) page's and the form editor's check of each of [`bad_files`] in `lang`:
/// (which page and file, its name for a report, the page).
fn problem_pages(
    k: &Kelisim,
    (cookie, csrf): (&str, &str),
    lang: &str,
    file: &str,
) -> Vec<(&'static str, String, String)> {
    let c = format!("{cookie}; kelisim_admin_lang={lang}");
    let mut out = Vec::new();
    for (bad, name) in bad_files(file) {
        for page in ["policy", "edit"] {
            let url = format!("/admin/sites/{SITE}/{page}");
            let r = post_form(&k.url(&url), &[("cookie", &c)], &[("csrf", csrf), ("do", "check"), ("text", &bad)]);
            assert_eq!(r.status, 422, "{lang} {url}: {}", r.body);
            let what = match (page, name) {
                ("policy", "several") => "policy",
                ("edit", "several") => "edit",
                ("policy", _) => "policy type",
                _ => "edit type",
            };
            out.push((what, format!("{url} (a check of a file with problems: {name})"), r.body));
        }
    }
    out
}

/// The Latin words of a text, lowercased, leaving out URLs, e-mail addresses, paths and ids or
/// hashes (anything with a digit in it).
fn words(text: &str) -> BTreeSet<String> {
    text.split_whitespace()
        .filter(|w| !w.contains("://") && !w.contains('@') && !w.starts_with('/'))
        .filter(|w| !(w.bytes().any(|b| b.is_ascii_digit()) && w.bytes().any(|b| b.is_ascii_alphabetic())))
        .flat_map(|w| w.split(|c: char| !c.is_ascii_alphabetic()).map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| w.len() >= 2)
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// Names and technical tokens that are the same in every language: brands, formats, the language
/// switcher's "English" (a language's own name), the accounts and the token this test makes,
/// and the tokens of HTML, CSS and HTTP the set-up pages name in their sentences (`<head>`,
/// `data-src`, `iframe`, `nonce`, the Content-Security-Policy header, Google Tag Manager, a
/// font-family such as "PT Sans", sans-serif, px, #rrggbb), and IANA zone names (Asia/Almaty).
const SAME_IN_EVERY_LANGUAGE: &[&str] = &[
    "kelisim", "chromium", "google", "yandex", "toml", "csp", "json", "csv", "api", "id", "gpc", "utc", "url", "http",
    "https", "html", "pdf", "docx", "txt", "cookie", "cookies", "ip", "bin", "zip", "kk", "ru", "en", "english",
    "alice", "boris", "ci", "cli", "head", "data", "src", "iframe", "nonce", "content", "tag", "manager", "css",
    "font", "family", "pt", "sans", "serif", "px", "rrggbb", "iana", "asia", "almaty",
];

fn get_as(k: &Kelisim, path: &str, cookie: &str, lang: &str) -> String {
    let c = format!("{cookie}; kelisim_admin_lang={lang}");
    let r = get(&k.url(path), &[("cookie", &c)]);
    assert_eq!(r.status, 200, "{path} in {lang}: {}", r.body);
    r.body
}

#[test]
fn every_dashboard_page_is_in_one_language() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();
    add_account(&k, "alice", "admin");
    add_account(&k, "boris", "auditor");
    seed(&k, 19);
    token(&k, "auditor");
    assert_eq!(login(&k, "boris", "not the password").status, 401);
    let (cookie, csrf) = session(&k, "alice");
    let h = [("cookie", cookie.as_str())];
    // A second config version (compare), the audit trail's actions, a verification.
    let file = std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap();
    // A new policy version, whose site now shows its times in Moscow's zone.
    let changed = file.replacen("policy_version = \"", "timezone = \"Europe/Moscow\"\npolicy_version = \"2", 1);
    assert_ne!(changed, file);
    let r = post_form(
        &k.url(&format!("/admin/sites/{SITE}/policy")),
        &h,
        &[("csrf", &csrf), ("do", "publish"), ("text", &changed)],
    );
    assert!(r.status == 200 || r.status == 303, "{}", r.body);
    let r = post_form(&k.url("/admin/accounts/boris/disable"), &h, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let r = post_form(&k.url("/admin/accounts/boris/enable"), &h, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let r = post_form(&k.url(&format!("/admin/sites/{SITE}/export")), &h, &[("csrf", &csrf)]);
    assert_eq!(r.status, 200);
    {
        // Scans need a browser: their audit entries are written as the server writes them.
        let db = rusqlite::Connection::open(k.data.path().join("kelisim.sqlite")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        db.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES ('2026-12-04T14:42:15.190Z', 'alice', 'scan.check', 'site webpulse: https://webpulse.kz/')",
            [],
        )
        .unwrap();
        for (action, detail) in
            [("scan.start", "site webpulse: https://webpulse.kz/, 3 pages"), ("scan.schedule", "site webpulse: daily")]
        {
            db.execute(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES ('2026-12-04T14:43:00.000Z', 'alice', ?1, ?2)",
                [action, detail],
            )
            .unwrap();
        }
    }
    let versions: Vec<String> = {
        let db = k.db();
        let mut st = db.prepare("SELECT version FROM config_versions WHERE site = ?1 ORDER BY first_seen").unwrap();
        st.query_map([SITE], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert!(versions.len() >= 2, "{versions:?}");
    let (a, b) = (&versions[0], &versions[versions.len() - 1]);
    let s = format!("/admin/sites/{SITE}");
    let pages = [
        "/admin/".to_owned(),
        "/admin/audit".into(),
        "/admin/accounts".into(),
        format!("{s}/"),
        format!("{s}/log"),
        format!("{s}/withdrawals"),
        format!("{s}/configs"),
        format!("{s}/configs/{b}"),
        format!("{s}/compare?a={a}&b={b}"),
        format!("{s}/install"),
        format!("{s}/policy"),
        format!("{s}/edit"),
        format!("{s}/scan"),
        format!("{s}/export"),
    ];
    // The site's own data (its file, in every language it has) is not the dashboard's words.
    let mut own: BTreeSet<String> = words(&changed);
    for f in std::fs::read_dir(sites.path()).unwrap() {
        own.extend(words(&std::fs::read_to_string(f.unwrap().path()).unwrap_or_default()));
    }
    let mut english = BTreeSet::new();
    for p in &pages {
        english.extend(words(&visible(&get_as(&k, p, &cookie, "en"))));
    }
    let failed_login = |lang: &str| {
        let c = format!("kelisim_admin_lang={lang}");
        let r = post_form(&k.url("/admin/login"), &[("cookie", &c)], &[("username", "alice"), ("password", "wrong")]);
        assert_eq!(r.status, 401);
        r.body
    };
    english.extend(words(&visible(&failed_login("en"))));
    let verified = |lang: &str| {
        let c = format!("{cookie}; kelisim_admin_lang={lang}");
        let r = post_form(&k.url(&format!("{s}/verify")), &[("cookie", &c)], &[("csrf", &csrf)]);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    };
    english.extend(words(&visible(&verified("en"))));
    for (_, _, text) in problem_pages(&k, (&cookie, &csrf), "en", &changed) {
        english.extend(words(&unquoted(&visible(&text))));
    }
    for (bad, _) in bad_files(&changed) {
        own.extend(words(&bad));
    }
    let english: BTreeSet<String> =
        english.into_iter().filter(|w| !own.contains(w) && !SAME_IN_EVERY_LANGUAGE.contains(&w.as_str())).collect();
    assert!(english.contains("decisions") && english.contains("withdrawals"), "{english:?}");

    let codes = [
        "login.failed",
        "policy.publish",
        "scan.check",
        "scan.start",
        "scan.schedule",
        "account.add",
        "account.disable",
        "account.enable",
        "token.create",
        "token.revoke",
    ];
    let mut problems = Vec::new();
    for lang in ["kk", "ru"] {
        let mut shown: Vec<(String, String)> =
            pages.iter().map(|p| (p.clone(), visible(&get_as(&k, p, &cookie, lang)))).collect();
        let login_page = failed_login(lang);
        if !login_page.contains("value=\"alice\"") {
            problems.push(format!("{lang} /admin/login: the form lost the name typed before a wrong password"));
        }
        shown.push(("/admin/login (a failed attempt)".into(), visible(&login_page)));
        shown.push((format!("{s}/verify"), visible(&verified(lang))));
        // Checks that find problems: the site-file check's messages are in the page's language
        // too, on the policy (TOML) page and next to the editor's fields. The parser's own
        // explanation of a type error stays in English, as code (left out here like all code).
        for (what, page, text) in problem_pages(&k, (&cookie, &csrf), lang, &changed) {
            let expected: &[&str] = match (lang, what) {
                ("ru", "policy") | ("ru", "edit") => &[
                    "категория `functional`: `title.kk` — не заполнено",
                    "`Marketing Ads` должен быть кратким идентификатором",
                    "Сервиса `yandex-metrika` нет в каталоге Kelisim: возможно, вы имели в виду `yandex-metrica`?",
                ],
                ("kk", "policy") | ("kk", "edit") => &[
                    "санат `functional`: `title.kk` — толтырылмаған",
                    "`Marketing Ads` қысқа идентификатор болуы керек",
                    "`yandex-metrika` Kelisim қызметтер каталогында жоқ: `yandex-metrica` деп жазғыңыз келді ме?",
                ],
                ("ru", _) => &["`consent_days` — значение неверного типа"],
                _ => &["`consent_days` — мәннің түрі дұрыс емес"],
            };
            let seen = visible(&text);
            for &e in expected {
                // The editor shows each message next to its field, without the field's name: a
                // sentence of its own.
                let e = match what.starts_with("edit") {
                    true => {
                        let mut m = e.rsplit(" — ").next().unwrap().chars();
                        m.next().map(|f| f.to_uppercase().chain(m).collect()).unwrap_or_default()
                    }
                    false => e.to_owned(),
                };
                if !seen.contains(&e) {
                    problems.push(format!("{lang} {page}: no «{e}» in {seen}"));
                }
            }
            assert!(text.contains("invalid type") || !what.ends_with("type"), "{page}: the parser's detail: {text}");
            shown.push((page, unquoted(&seen)));
        }
        let c = format!("{cookie}; kelisim_admin_lang={lang}");
        let bad = changed.replace("Europe/Moscow", "Asia/Almata");
        let r = post_form(
            &k.url(&format!("{s}/policy")),
            &[("cookie", &c)],
            &[("csrf", &csrf), ("do", "check"), ("text", &bad)],
        );
        let zone = if lang == "ru" {
            "`Asia/Almata` — не часовой пояс из базы IANA"
        } else {
            "`Asia/Almata` — IANA дерекқорындағы уақыт белдеуі емес"
        };
        assert!(r.body.contains(zone), "{}", r.body);
        shown.push((format!("{s}/policy (a check with a problem)"), visible(&r.body)));
        for (p, text) in &shown {
            let found: Vec<String> = words(text).into_iter().filter(|w| english.contains(w)).collect();
            if !found.is_empty() {
                problems.push(format!("{lang} {p}: English words {found:?}"));
            }
            for c in codes {
                if text.contains(c) {
                    problems.push(format!("{lang} {p}: the raw code `{c}`"));
                }
            }
            // A stored timestamp shown as it is stored (UTC, ISO 8601) rather than in the site's zone.
            let raw_time = text
                .as_bytes()
                .windows(11)
                .any(|w| w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-' && w[7] == b'-' && w[10] == b'T');
            if raw_time {
                problems.push(format!("{lang} {p}: a raw UTC timestamp"));
            }
        }
    }
    // Times: a site's pages in its `timezone`, the audit trail (no one site) in Asia/Almaty.
    let log = get_as(&k, &format!("{s}/log"), &cookie, "ru");
    if !log.contains("title=\"Europe/Moscow, UTC+03:00 · ") {
        problems.push("ru log: times not in the site's zone, Europe/Moscow".into());
    }
    let audit = get_as(&k, "/admin/audit", &cookie, "ru");
    if !visible(&audit).contains("4 декабря 2026, 19:42")
        || !audit.contains("title=\"Asia/Almaty, UTC+05:00 · 2026-12-04 14:42:15 UTC\"")
    {
        problems.push("ru audit: 2026-12-04T14:42:15Z is not «4 декабря 2026, 19:42» (Asia/Almaty)".into());
    }
    for lang in ["kk", "ru"] {
        if get_as(&k, "/admin/audit", &cookie, lang).contains("<code data-audit") {
            problems.push(format!("{lang} audit: an action shown as its code, without a sentence"));
        }
    }
    // Counts in the language's plural forms: 19 decisions were seeded.
    let ru = visible(&get_as(&k, &format!("{s}/"), &cookie, "ru"));
    let kk = visible(&get_as(&k, &format!("{s}/"), &cookie, "kk"));
    if !ru.contains("19 решений") {
        problems.push(format!("ru overview: no «19 решений» in {ru}"));
    }
    if !kk.contains("19 шешім") || kk.contains("19 Шешімдер") {
        problems.push(format!("kk overview: no «19 шешім» in {kk}"));
    }
    let ru_sites = get_as(&k, "/admin/", &cookie, "ru");
    if ru_sites.contains("<th>Сайты</th>") {
        problems.push("ru sites list: the name column is headed «Сайты»".into());
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
