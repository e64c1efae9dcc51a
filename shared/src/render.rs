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
    h.raw("<button type=\"button\" class=\"k-btn\" data-action=\"").raw(action).raw("\">").text(label).raw("</button>");
}

/// First layer (W1): short text, policy link, and three buttons of equal weight (Art. 7 p.1:
/// Reject sits on the first layer, as easy as Accept).
pub fn banner(cfg: &Config, lang: Lang) -> String {
    let ui = ui(lang);
    let mut h = Html(String::with_capacity(1024));
    h.raw("<div class=\"k-banner\" data-kelisim=\"banner\" role=\"region\" aria-labelledby=\"k-bt\" lang=\"")
        .raw(lang.code())
        .raw("\"><h2 id=\"k-bt\" class=\"k-title\">")
        .text(ui.banner_title)
        .raw("</h2><p class=\"k-text\">")
        .text(ui.banner_text)
        .raw(" <a href=\"")
        .text(&cfg.policy_url)
        .raw("\" target=\"_blank\" rel=\"noopener\">")
        .text(ui.policy_link)
        .raw("</a></p><div class=\"k-actions\">");
    button(&mut h, "accept-all", ui.accept_all);
    button(&mut h, "reject-all", ui.reject_all);
    button(&mut h, "customize", ui.customize);
    h.raw("</div></div>");
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
            h.raw("<li><b>").text(&s.name).raw("</b> — ").text(&s.provider).raw(" (").text(country(&s.country, lang)).raw("). ");
            h.text(tx(&s.description, lang, cfg));
            if !s.cookies.is_empty() {
                h.raw(" ").text(ui.cookies).raw(": <code>").text(&s.cookies.join(", ")).raw("</code>");
            }
            h.raw("</li>");
        }
        h.raw("</ul></dd>");
    }
    if !c.cookies.is_empty() {
        h.raw("<dt>").text(ui.cookies).raw("</dt><dd><code>").text(&c.cookies.join(", ")).raw("</code></dd>");
    }
    h.raw("</dl></details></section>");
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
    h.raw("</div><div class=\"k-body\"><p>").text(ui.preferences_intro).raw("</p>");
    h.raw(GPC_MARK);
    for c in &cfg.categories {
        category(&mut h, cfg, c, ui, lang);
    }
    let o = &cfg.operator;
    h.raw("<footer class=\"k-operator\"><b>").text(ui.operator).raw(":</b> ").text(tx(&o.name, lang, cfg));
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
    h.raw(RECEIPT_MARK).raw("</footer></div><div class=\"k-actions\">");
    button(&mut h, "save", ui.save);
    button(&mut h, "accept-all", ui.accept_all);
    button(&mut h, "reject-all", ui.reject_all);
    h.raw(WITHDRAW_MARK).raw("</div></div>");
    h.0
}

/// What fills `<!--gpc-->` when the browser sends Global Privacy Control.
pub fn gpc_notice(lang: Lang) -> String {
    let mut h = Html(String::new());
    h.raw("<p class=\"k-gpc\" data-kelisim=\"gpc\">").text(ui(lang).gpc_honoured).raw("</p>");
    h.0
}

/// What fills `<!--withdraw-->` once a decision exists (Art. 8 p.2).
pub fn withdraw_button(lang: Lang) -> String {
    let mut h = Html(String::new());
    button(&mut h, "withdraw", ui(lang).withdraw);
    h.0
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
            "receipt": receipt_link(lang),
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
        };
        let text = |s: &str| Localized { kk: Some(format!("{s} kk")), ru: Some(format!("{s} ru")), en: None };
        let list = |s: &str| Localized { kk: Some(vec![format!("{s} kk")]), ru: Some(vec![format!("{s} ru")]), en: None };
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
    fn escapes_text_and_attributes() {
        let mut s = String::new();
        esc(&mut s, "<script>\"a\" & 'b'</script>");
        assert_eq!(s, "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }

    #[test]
    fn banner_has_three_equal_buttons_and_escaped_policy_link() {
        let html = banner(&config(), Lang::Kk);
        for a in ["accept-all", "reject-all", "customize"] {
            assert!(html.contains(&format!("class=\"k-btn\" data-action=\"{a}\"")), "{a} has the same class as the others");
        }
        assert!(html.contains("href=\"https://s.kz/privacy?a=1&amp;b=&quot;2&quot;\""));
        assert!(html.contains(KK.banner_title));
        assert!(html.contains("role=\"region\"") && html.contains("aria-labelledby=\"k-bt\""));
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
