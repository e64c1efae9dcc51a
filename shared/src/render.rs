//! The banner's markup, rendered by the server once per site and language and served with
//! the widget's facts (see [`widget_json`]); the widget inserts it as it is, so that no
//! template, UI string or country name is part of the WASM every visitor downloads.
//!
//! Three parts of the preferences layer depend on the visitor and are left as markers that
//! the widget fills: `<!--gpc-->` (the notice that the GPC signal was honoured, W9),
//! `<!--receipt-->` (the link to the visitor's own receipt) and `<!--withdraw-->` (the
//! Withdraw button, once a decision exists). Site texts are escaped, so a marker can never come
//! from a site file. Toggles are rendered off (the required one on and locked); the widget
//! switches on the granted ones.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use crate::config::{Category, Config, Localized};
use crate::lang::Lang;
use crate::strings::{country_name, ui, Ui};
use alloc::string::String;
use alloc::vec::Vec;

pub use crate::html::escape_into as esc;

pub const GPC_MARK: &str = "<!--gpc-->";
pub const RECEIPT_MARK: &str = "<!--receipt-->";
pub const WITHDRAW_MARK: &str = "<!--withdraw-->";

struct Html(String);

impl Html {
    fn raw(&mut self, s: &str) -> &mut Self {
        self.0.push_str(s);
        self
    }
    fn text(&mut self, s: &str) -> &mut Self {
        esc(&mut self.0, s);
        self
    }
}

fn t<'a, T>(l: &'a Localized<T>, lang: Lang, cfg: &Config) -> Option<&'a T> {
    l.get_or(lang, &cfg.languages)
}

fn tx<'a>(l: &'a Localized<String>, lang: Lang, cfg: &Config) -> &'a str {
    t(l, lang, cfg).map(String::as_str).unwrap_or("")
}

fn button(h: &mut Html, action: &str, label: &str) {
    styled(h, "k-btn", action, label);
}

/// A button of another look: `k-btn k-alt` (outlined: the dialog's secondary actions) or
/// `k-btn k-warn` (Withdraw, which must not look like Reject all).
fn styled(h: &mut Html, class: &str, action: &str, label: &str) {
    h.raw("<button type=\"button\" class=\"")
        .raw(class)
        .raw("\" data-action=\"")
        .raw(action)
        .raw("\">")
        .text(label)
        .raw("</button>");
}

/// Whether the site has nothing to ask: only its required category. Its first layer is then
/// a notice with one button, and nothing is logged (docs/site-policy.md says why).
pub fn notice_only(cfg: &Config) -> bool {
    cfg.categories.iter().all(|c| c.required)
}

/// First layer (W1): short text, three buttons of equal weight (Art. 7 p.1: Reject sits on the
/// first layer, as easy as Accept), then the policy link — after the buttons, so that the first
/// Tab into the banner lands on its first button. A site with nothing optional gets a notice
/// with one button instead.
pub fn banner(cfg: &Config, lang: Lang) -> String {
    let ui = ui(lang);
    let notice = notice_only(cfg);
    let mut h = Html(String::with_capacity(1024));
    h.raw("<div class=\"k-banner\" data-kelisim=\"")
        .raw(if notice { "notice" } else { "banner" })
        .raw("\" role=\"region\" aria-labelledby=\"k-bt\" lang=\"")
        .raw(lang.code())
        .raw("\"><h2 id=\"k-bt\" class=\"k-title\">");
    // The site's logo (`[appearance] logo`), named by the site's name.
    if let Some(logo) = cfg.appearance.as_ref().and_then(|a| a.logo.as_deref()) {
        h.raw("<img class=\"k-logo\" src=\"").text(logo).raw("\" alt=\"").text(&cfg.name).raw("\">");
    }
    h.text(if notice { ui.notice_title } else { ui.banner_title })
        .raw("</h2><p class=\"k-text\">")
        .text(if notice { ui.notice_text } else { ui.banner_text })
        .raw("</p><div class=\"k-actions\">");
    if notice {
        button(&mut h, "ok", ui.notice_ok);
    } else {
        button(&mut h, "accept-all", ui.accept_all);
        button(&mut h, "reject-all", ui.reject_all);
        button(&mut h, "customize", ui.customize);
    }
    h.raw("</div><p class=\"k-more\"><a href=\"")
        .text(&cfg.policy_url)
        .raw("\" target=\"_blank\" rel=\"noopener\">")
        .text(ui.policy_link)
        .raw("</a></p></div>");
    h.0
}

fn list(h: &mut Html, label: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    h.raw("<dt>").text(label).raw("</dt><dd><ul>");
    for i in items {
        h.raw("<li>").text(i).raw("</li>");
    }
    h.raw("</ul></dd>");
}

fn country(code: &str, lang: Lang) -> &str {
    country_name(code, lang).unwrap_or(code)
}

fn category(h: &mut Html, cfg: &Config, c: &Category, ui: &Ui, lang: Lang) {
    let empty = Vec::new();
    h.raw("<section class=\"k-cat\"><div class=\"k-cat-head\"><label class=\"k-switch\"><input type=\"checkbox\" data-category=\"")
        .text(&c.id)
        .raw("\"");
    if c.required {
        h.raw(" checked disabled");
    }
    h.raw("><span class=\"k-cat-title\">").text(tx(&c.title, lang, cfg)).raw("</span>");
    if c.required {
        h.raw(" <span class=\"k-badge\">").text(ui.always_on).raw("</span>");
    }
    h.raw("</label></div><p>").text(tx(&c.description, lang, cfg)).raw("</p><details><summary>");
    h.text(ui.details).raw("<span class=\"k-sr\"> — ").text(tx(&c.title, lang, cfg)).raw("</span></summary><dl>");
    // Art. 8 p.4: data, purposes, term, recipients, cross-border transfer.
    list(h, ui.data, t(&c.data, lang, cfg).unwrap_or(&empty));
    list(h, ui.purposes, t(&c.purposes, lang, cfg).unwrap_or(&empty));
    h.raw("<dt>").text(ui.retention).raw("</dt><dd>").text(tx(&c.retention, lang, cfg)).raw("</dd>");
    if !c.third_parties.is_empty() {
        h.raw("<dt>").text(ui.third_parties).raw("</dt><dd><ul>");
        for p in &c.third_parties {
            h.raw("<li>").text(tx(&p.name, lang, cfg)).raw(" (").text(country(&p.country, lang)).raw("): ");
            h.text(tx(&p.purpose, lang, cfg)).raw("</li>");
        }
        h.raw("</ul></dd>");
    }
    h.raw("<dt>").text(ui.cross_border_to).raw("</dt><dd>");
    if c.cross_border.transfer {
        for (i, k) in c.cross_border.countries.iter().enumerate() {
            if i > 0 {
                h.raw(", ");
            }
            h.text(country(k, lang));
        }
    } else {
        h.text(ui.cross_border_none);
    }
    h.raw("</dd>");
    if !c.services.is_empty() {
        h.raw("<dt>").text(ui.services).raw("</dt><dd><ul>");
        for s in &c.services {
            // The label in the visitor's language when the config has one (the catalogue's, or
            // the file's own), else the brand name.
            let label = s.title.get(lang).filter(|t| !t.trim().is_empty()).unwrap_or(&s.name);
            h.raw("<li><b>")
                .text(label)
                .raw("</b> (")
                .text(&s.provider)
                .raw(", ")
                .text(country(&s.country, lang))
                .raw("). ");
            h.text(tx(&s.description, lang, cfg));
            if !s.cookies.is_empty() {
                h.raw(" ").text(ui.cookies).raw(": <code>").text(&shown_cookies(&s.cookies)).raw("</code>");
            }
            h.raw("</li>");
        }
        h.raw("</ul></dd>");
    }
    if !c.cookies.is_empty() {
        h.raw("<dt>").text(ui.cookies).raw("</dt><dd><code>").text(&shown_cookies(&c.cookies)).raw("</code></dd>");
    }
    h.raw("</dl></details></section>");
}

/// A cookie list as visitors read it: without the names a pattern of the same list already
/// covers (the catalogue lists Yandex.Metrica's `_ym_uid`, `_ym_d`, … and `_ym_*`, and its
/// storage keys `_ym*`: a visitor reads one `_ym*`, not 17 names) and without repeats. What
/// the widget deletes (W5) is the whole list.
fn shown_cookies(list: &[String]) -> String {
    // `a` stands for `b`: the same entry, or a pattern that matches it.
    let covers = |a: &str, b: &str| a == b || (a.contains('*') && crate::cookie::pattern_matches(a, b));
    let mut out = String::new();
    for (i, name) in list.iter().enumerate() {
        // Hidden when another entry covers it; of two that cover each other (the same entry
        // twice, or `a*` and `a**`), the first stays.
        let hidden =
            list.iter().enumerate().any(|(j, other)| j != i && covers(other, name) && (j < i || !covers(name, other)));
        if !hidden {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(name);
        }
    }
    out
}

/// Preferences layer (W2): a modal dialog with a toggle per category and its Art. 8 p.4
/// details, the operator, and Save / Accept all / Reject all (and the three markers).
pub fn preferences(cfg: &Config, lang: Lang) -> String {
    let ui = ui(lang);
    let mut h = Html(String::with_capacity(4096));
    h.raw("<div class=\"k-backdrop\"></div><div class=\"k-prefs\" data-kelisim=\"preferences\" role=\"dialog\" aria-modal=\"true\" aria-labelledby=\"k-pt\" lang=\"")
        .raw(lang.code())
        .raw("\"><div class=\"k-prefs-head\"><h2 id=\"k-pt\" class=\"k-title\">")
        .text(ui.preferences_title)
        .raw("</h2><button type=\"button\" class=\"k-close\" data-action=\"close\" aria-label=\"")
        .text(ui.close)
        .raw("\">×</button></div><div class=\"k-langs\" role=\"group\" aria-label=\"")
        .text(ui.language)
        .raw("\">");
    for l in &cfg.languages {
        h.raw("<button type=\"button\" class=\"k-lang\" data-action=\"lang\" data-lang=\"")
            .raw(l.code())
            .raw("\" lang=\"")
            .raw(l.code())
            .raw(if *l == lang { "\" aria-pressed=\"true\">" } else { "\" aria-pressed=\"false\">" })
            .text(crate::strings::ui(*l).language_name)
            .raw("</button>");
    }
    let notice = notice_only(cfg);
    h.raw("</div><div class=\"k-body\"><p>")
        .text(if notice { ui.notice_text } else { ui.preferences_intro })
        .raw("</p>");
    h.raw(GPC_MARK);
    for c in &cfg.categories {
        category(&mut h, cfg, c, ui, lang);
    }
    let o = &cfg.operator;
    // A plain block, not <footer>: inside the dialog a footer would be a second `contentinfo`
    // landmark beside the page's own.
    h.raw("<div class=\"k-operator\"><b>").text(ui.operator).raw(":</b> ").text(tx(&o.name, lang, cfg));
    if let Some(bin) = &o.bin {
        h.raw(", ").text(ui.bin).raw(" ").text(bin);
    }
    if let Some(a) = &o.address {
        h.raw(", ").text(tx(a, lang, cfg));
    }
    if let Some(e) = &o.email {
        h.raw(", <a href=\"mailto:").text(e).raw("\">").text(e).raw("</a>");
    }
    if let Some(p) = &o.phone {
        h.raw(", ").text(p);
    }
    h.raw(". ").text(ui.storage_country).raw(": ").text(country(&o.storage_country, lang)).raw(". <a href=\"");
    h.text(&cfg.policy_url).raw("\" target=\"_blank\" rel=\"noopener\">").text(ui.policy_link).raw("</a>");
    h.raw(RECEIPT_MARK).raw("</div></div><div class=\"k-actions\">");
    if notice {
        // Nothing to choose: the dialog only informs.
        button(&mut h, "close", ui.notice_ok);
    } else {
        // Save is the dialog's main action; Accept all stays; where Reject all goes the widget
        // puts, once something optional is granted, the one visibly different Withdraw action.
        button(&mut h, "save", ui.save);
        styled(&mut h, "k-btn k-alt", "accept-all", ui.accept_all);
        h.raw(WITHDRAW_MARK);
    }
    h.raw("</div></div>");
    h.0
}

/// What fills `<!--gpc-->` when the browser sends Global Privacy Control.
pub fn gpc_notice(lang: Lang) -> String {
    let mut h = Html(String::new());
    h.raw("<p class=\"k-gpc\" data-kelisim=\"gpc\">").text(ui(lang).gpc_honoured).raw("</p>");
    h.0
}

/// What fills `<!--withdraw-->` while the visitor has granted something optional (Art. 8 p.2):
/// one action that takes back every optional category, and looks it.
pub fn withdraw_button(lang: Lang) -> String {
    let mut h = Html(String::new());
    styled(&mut h, "k-btn k-warn", "withdraw", ui(lang).withdraw);
    h.0
}

/// What fills `<!--withdraw-->` otherwise: Reject all.
pub fn reject_button(lang: Lang) -> String {
    let mut h = Html(String::new());
    styled(&mut h, "k-btn k-alt", "reject-all", ui(lang).reject_all);
    h.0
}

/// The placeholder's markup for an embed of each optional category (id → markup): the text with
/// an empty `<b data-name>` that the widget fills with the embed's name (as text), the button
/// that loads it now (`data-action="allow"`) and a link that opens the preferences.
pub fn embed_placeholders(cfg: &Config, lang: Lang) -> Vec<(String, String)> {
    let ui = ui(lang);
    let mut out = Vec::new();
    for c in cfg.categories.iter().filter(|c| !c.required) {
        let mut h = Html(String::new());
        let (before, rest) = ui.embed_text.split_once("{name}").unwrap_or((ui.embed_text, ""));
        let (middle, after) = rest.split_once("{category}").unwrap_or((rest, ""));
        h.raw("<p>").text(before).raw("<b data-name></b>").text(middle).text(tx(&c.title, lang, cfg)).text(after);
        h.raw("</p><p><button type=\"button\" data-action=\"allow\" data-category=\"").text(&c.id).raw("\">");
        h.text(ui.embed_allow).raw("</button> <a href=\"#kelisim\">").text(ui.reopen).raw("</a></p>");
        out.push((c.id.clone(), h.0));
    }
    out
}

/// What fills `<!--receipt-->`: this markup with the receipt URL (attribute-escaped) between
/// the two parts.
pub fn receipt_link(lang: Lang) -> [String; 2] {
    let mut h = Html(String::new());
    h.raw("\" target=\"_blank\" rel=\"noopener\">").text(ui(lang).receipt).raw("</a>");
    [String::from(" · <a data-kelisim=\"receipt\" href=\""), h.0]
}

/// What the widget loads on a first visit (`GET /api/v1/sites/{site}/widget?lang=…`): the
/// language chosen, the facts the WASM module decides by ([`crate::facts`]), and that
/// language's markup: `banner`, `preferences` (with the three markers) and the fragments
/// `gpc`, `withdraw` and `receipt` (two parts around the receipt URL). One language only: a
/// visitor who switches language in the preferences loads that one then. The full config,
/// every text in every language, stays at `…/config` for whoever needs it.
#[cfg(feature = "policy")]
pub fn widget_json(cfg: &Config, lang: Lang) -> String {
    serde_json::json!({
        "lang": lang.code(),
        "widget": crate::facts::Facts::of(cfg).encode(),
        "ui": {
            "banner": banner(cfg, lang),
            "preferences": preferences(cfg, lang),
            "gpc": gpc_notice(lang),
            "withdraw": withdraw_button(lang),
            "reject": reject_button(lang),
            "receipt": receipt_link(lang),
            "saved": ui(lang).saved,
            "embeds": embed_placeholders(cfg, lang)
                .into_iter()
                .map(|(id, html)| (id, serde_json::Value::String(html)))
                .collect::<serde_json::Map<_, _>>(),
            "unnamed": ui(lang).embed_unnamed,
            "known": crate::strings::KNOWN_EMBEDS.iter().map(|(p, n)| [*p, n[lang as usize]]).collect::<Vec<_>>(),
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::KK;
    use alloc::format;
    use alloc::vec;

    fn config() -> Config {
        let mut c = Config {
            site: "s".into(),
            version: "v".into(),
            scope: "0".into(),
            name: "S".into(),
            policy_version: "1".into(),
            policy_url: "https://s.kz/privacy?a=1&b=\"2\"".into(),
            languages: vec![Lang::Kk, Lang::Ru],
            consent_days: 365,
            operator: crate::config::Operator {
                name: Localized { kk: Some("«S» ЖШС".into()), ru: Some("ТОО «S»".into()), en: None },
                bin: None,
                address: None,
                email: Some("a@s.kz".into()),
                phone: None,
                responsible_person: None,
                storage_country: "KZ".into(),
            },
            categories: vec![],
            reload_on_revoke: true,
            floating_button: true,
            appearance: None,
        };
        let text = |s: &str| Localized { kk: Some(format!("{s} kk")), ru: Some(format!("{s} ru")), en: None };
        let list =
            |s: &str| Localized { kk: Some(vec![format!("{s} kk")]), ru: Some(vec![format!("{s} ru")]), en: None };
        for (id, required) in [("necessary", true), ("analytics", false)] {
            c.categories.push(Category {
                id: id.into(),
                required,
                title: text(&format!("<{id}>")),
                description: text("d"),
                data: list("data"),
                purposes: list("p"),
                retention: text("r"),
                third_parties: vec![],
                cross_border: Default::default(),
                cookies: vec!["_ym_*".into()],
                consent_mode: vec![],
                gpc_off: !required,
                services: vec![],
            });
        }
        c
    }

    #[test]
    fn a_cookie_list_shows_a_pattern_once_not_every_name_it_covers() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let metrica = crate::catalogue::get("yandex-metrica").unwrap();
        let all: Vec<String> = metrica.cookies.iter().chain(&metrica.storage).cloned().collect();
        assert!(all.len() > 15, "{all:?}");
        assert_eq!(shown_cookies(&all), "yandexuid, yuidss, ymex, usst, yabs-sid, is_gdpr, is_gdpr_b, _ym*");
        // Names no pattern covers stay, in their order; a repeat and two patterns that cover each
        // other keep their first.
        assert_eq!(shown_cookies(&v(&["_ga", "_ga_*", "_ga_X1", "_gid", "_gid"])), "_ga, _ga_*, _gid");
        assert_eq!(shown_cookies(&v(&["a*", "a**", "b"])), "a*, b");
        assert_eq!(shown_cookies(&v(&["a**", "a*"])), "a**");
        assert_eq!(shown_cookies(&v(&["session", "kelisim"])), "session, kelisim");
        assert_eq!(shown_cookies(&v(&["*"])), "*");
        assert_eq!(shown_cookies(&[]), "");
    }

    #[test]
    fn a_service_is_named_by_its_label_in_the_visitor_s_language_when_it_has_one() {
        let mut cfg = config();
        let service = |id: &str, name: &str, title: Localized<String>| crate::config::Service {
            id: id.into(),
            name: name.into(),
            title,
            provider: "Yandex LLC".into(),
            country: "RU".into(),
            description: Localized {
                kk: Some("сипаттама".into()), ru: Some("описание".into()), en: None
            },
            cookies: vec![],
            policy_url: None,
        };
        let label = Localized {
            kk: Some("Яндекс Метрика — санақ".into()),
            ru: Some("Яндекс Метрика — счётчик".into()),
            en: None,
        };
        cfg.categories[1].services = vec![
            service("yandex-metrica", "Yandex.Metrica", label),
            service("own", "Own", Localized::default()),
            service("yandex-maps", "Карты", Localized { kk: None, ru: Some(" ".into()), en: None }),
        ];
        let ru = preferences(&cfg, Lang::Ru);
        assert!(ru.contains("<b>Яндекс Метрика — счётчик</b> (Yandex LLC, Россия). описание"), "{ru}");
        assert!(ru.contains("<b>Own</b> (Yandex LLC, Россия)"), "no label: the name: {ru}");
        assert!(ru.contains("<b>Карты</b> (Yandex LLC, Россия)"), "a blank label: the name: {ru}");
        let kk = preferences(&cfg, Lang::Kk);
        assert!(kk.contains("<b>Яндекс Метрика — санақ</b> (Yandex LLC, Ресей). сипаттама"), "{kk}");
    }

    #[test]
    fn escapes_text_and_attributes() {
        let mut s = String::new();
        esc(&mut s, "<script>\"a\" & 'b'</script>");
        assert_eq!(s, "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }

    #[test]
    fn banner_has_three_equal_buttons_and_escaped_policy_link() {
        let html = banner(&config(), Lang::Kk);
        for a in ["accept-all", "reject-all", "customize"] {
            assert!(
                html.contains(&format!("class=\"k-btn\" data-action=\"{a}\"")),
                "{a} has the same class as the others"
            );
        }
        assert!(html.contains("href=\"https://s.kz/privacy?a=1&amp;b=&quot;2&quot;\""));
        assert!(html.contains(KK.banner_title));
        assert!(html.contains("role=\"region\"") && html.contains("aria-labelledby=\"k-bt\""));
        // The first focusable element is the first button: the policy link comes after them.
        assert!(html.find("data-action=\"accept-all\"").unwrap() < html.find("<a ").unwrap());
        assert!(!notice_only(&config()));
    }

    #[test]
    fn a_site_with_only_its_required_category_gets_a_notice_not_a_question() {
        let mut cfg = config();
        cfg.categories.truncate(1);
        assert!(notice_only(&cfg));
        let html = banner(&cfg, Lang::Ru);
        assert!(html.contains("data-kelisim=\"notice\"") && html.contains("data-action=\"ok\""));
        for a in ["accept-all", "reject-all", "customize"] {
            assert!(!html.contains(a), "no {a} on a notice");
        }
        let prefs = preferences(&cfg, Lang::Ru);
        assert!(!prefs.contains(WITHDRAW_MARK) && !prefs.contains("data-action=\"save\""));
        for l in [Lang::Kk, Lang::Ru, Lang::En] {
            let u = ui(l);
            for text in [u.notice_title, u.notice_text] {
                assert!(!text.contains(u.banner_text) && !text.is_empty());
            }
        }
        assert!(embed_placeholders(&cfg, Lang::Ru).is_empty());
    }

    #[test]
    fn the_dialog_has_distinct_actions_and_no_second_contentinfo() {
        let html = preferences(&config(), Lang::Ru);
        assert!(html.contains("class=\"k-btn\" data-action=\"save\""));
        assert!(html.contains("class=\"k-btn k-alt\" data-action=\"accept-all\""));
        assert!(!html.contains("<footer"));
        assert!(reject_button(Lang::Ru).contains("class=\"k-btn k-alt\" data-action=\"reject-all\""));
        assert!(withdraw_button(Lang::Ru).contains("class=\"k-btn k-warn\" data-action=\"withdraw\""));
    }

    #[test]
    fn embed_placeholders_name_the_category_and_escape_its_title() {
        let p = embed_placeholders(&config(), Lang::Ru);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "analytics");
        assert!(p[0].1.contains("<b data-name></b>") && p[0].1.contains("«&lt;analytics&gt; ru»"));
        assert!(p[0].1.contains("data-action=\"allow\" data-category=\"analytics\""));
        assert!(p[0].1.contains("href=\"#kelisim\""));
    }

    #[test]
    fn preferences_lock_the_required_category_escape_site_texts_and_mark_the_visitor_parts() {
        let cfg = config();
        let html = preferences(&cfg, Lang::Ru);
        assert!(html.contains("data-category=\"necessary\" checked disabled"));
        assert!(html.contains("data-category=\"analytics\">"), "other toggles start off");
        assert!(html.contains("&lt;analytics&gt; ru"), "site texts are escaped");
        assert!(!html.contains("<analytics>"));
        assert!(html.contains("role=\"dialog\" aria-modal=\"true\""));
        for mark in [GPC_MARK, RECEIPT_MARK, WITHDRAW_MARK] {
            assert_eq!(html.matches(mark).count(), 1, "{mark} once");
        }
        assert!(gpc_notice(Lang::Ru).contains("data-kelisim=\"gpc\""));
        assert!(withdraw_button(Lang::Kk).contains("data-action=\"withdraw\""));
        let [a, b] = receipt_link(Lang::En);
        assert!(a.ends_with("href=\"") && b.contains("My consent receipt</a>"));
    }

    #[test]
    fn a_site_text_cannot_forge_a_marker() {
        let mut cfg = config();
        cfg.categories[1].description.ru = Some("<!--withdraw-->".into());
        assert_eq!(preferences(&cfg, Lang::Ru).matches(WITHDRAW_MARK).count(), 1);
    }

    #[test]
    fn widget_json_has_the_facts_and_one_languages_markup() {
        let cfg = config();
        let v: serde_json::Value = serde_json::from_str(&widget_json(&cfg, Lang::Kk)).unwrap();
        assert_eq!(v["lang"], "kk");
        assert!(v["ui"]["banner"].as_str().unwrap().contains(KK.banner_title));
        assert!(v["ui"]["preferences"].as_str().unwrap().contains(GPC_MARK));
        assert_eq!(v["ui"]["receipt"].as_array().unwrap().len(), 2);
        assert_eq!(crate::facts::Facts::decode(v["widget"].as_str().unwrap()), Some(crate::facts::Facts::of(&cfg)));
        assert!(v.get("categories").is_none(), "the texts of other languages stay at /config");
    }
}
