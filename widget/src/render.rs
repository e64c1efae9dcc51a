//! The banner's markup, built as strings and set once per render (one DOM write, and far
//! fewer bytes of WASM than creating each node through web-sys).

use kelisim_shared::config::{Category, Config, Localized};
use kelisim_shared::lang::Lang;
use kelisim_shared::strings::{country_name, Ui};
use alloc::string::String;
use alloc::vec::Vec;

pub const STYLE: &str = include_str!("widget.css");

pub use kelisim_shared::html::escape_into as esc;

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
pub fn banner(cfg: &Config, ui: &Ui, lang: Lang) -> String {
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

fn category(h: &mut Html, cfg: &Config, c: &Category, ui: &Ui, lang: Lang, on: bool) {
    let empty = Vec::new();
    h.raw("<section class=\"k-cat\"><div class=\"k-cat-head\"><label class=\"k-switch\"><input type=\"checkbox\" data-category=\"")
        .text(&c.id)
        .raw("\"");
    if c.required {
        h.raw(" checked disabled");
    } else if on {
        h.raw(" checked");
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
/// details, the operator, and Save / Accept all / Reject all.
/// `receipt`: the URL of the visitor's own receipt page, once a decision exists.
pub fn preferences(cfg: &Config, ui: &Ui, lang: Lang, granted: &dyn Fn(&Category) -> bool, gpc: bool, receipt: Option<&str>) -> String {
    let decided = receipt.is_some();
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
            .text(kelisim_shared::strings::ui(*l).language_name)
            .raw("</button>");
    }
    h.raw("</div><div class=\"k-body\"><p>").text(ui.preferences_intro).raw("</p>");
    if gpc {
        h.raw("<p class=\"k-gpc\" data-kelisim=\"gpc\">").text(ui.gpc_honoured).raw("</p>");
    }
    for c in &cfg.categories {
        category(&mut h, cfg, c, ui, lang, granted(c));
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
    if let Some(url) = receipt {
        h.raw(" · <a data-kelisim=\"receipt\" href=\"").text(url).raw("\" target=\"_blank\" rel=\"noopener\">").text(ui.receipt).raw("</a>");
    }
    h.raw("</footer></div><div class=\"k-actions\">");
    button(&mut h, "save", ui.save);
    button(&mut h, "accept-all", ui.accept_all);
    button(&mut h, "reject-all", ui.reject_all);
    if decided {
        button(&mut h, "withdraw", ui.withdraw);
    }
    h.raw("</div></div>");
    h.0
}

/// W10: the small button that reopens the preferences after a decision.
pub fn reopen(ui: &Ui) -> String {
    let mut h = Html(String::new());
    h.raw("<button type=\"button\" class=\"k-reopen\" data-action=\"reopen\" aria-label=\"")
        .text(ui.reopen)
        .raw("\" title=\"")
        .text(ui.reopen)
        .raw("\"><svg viewBox=\"0 0 24 24\" width=\"22\" height=\"22\" aria-hidden=\"true\"><circle cx=\"12\" cy=\"12\" r=\"9\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/><circle cx=\"9\" cy=\"10\" r=\"1.5\" fill=\"currentColor\"/><circle cx=\"14.5\" cy=\"14\" r=\"1.5\" fill=\"currentColor\"/><circle cx=\"14\" cy=\"8.5\" r=\"1\" fill=\"currentColor\"/></svg></button>");
    h.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_shared::strings::{ui, KK};

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
            operator: kelisim_shared::config::Operator {
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
        let html = banner(&config(), ui(Lang::Kk), Lang::Kk);
        for a in ["accept-all", "reject-all", "customize"] {
            assert!(html.contains(&format!("class=\"k-btn\" data-action=\"{a}\"")), "{a} has the same class as the others");
        }
        assert!(html.contains("href=\"https://s.kz/privacy?a=1&amp;b=&quot;2&quot;\""));
        assert!(html.contains(KK.banner_title));
        assert!(html.contains("role=\"region\"") && html.contains("aria-labelledby=\"k-bt\""));
    }

    #[test]
    fn preferences_lock_the_required_category_and_escape_site_texts() {
        let cfg = config();
        let html = preferences(&cfg, ui(Lang::Ru), Lang::Ru, &|c| c.id == "analytics", true, Some("https://k.kz/receipt/s/id?lang=ru&x=1"));
        assert!(html.contains("data-category=\"necessary\" checked disabled"));
        assert!(html.contains("data-category=\"analytics\" checked>"));
        assert!(html.contains("&lt;analytics&gt; ru"), "site texts are escaped");
        assert!(!html.contains("<analytics>"));
        assert!(html.contains("data-kelisim=\"gpc\""), "the GPC notice shows when the signal is honoured");
        assert!(html.contains("data-action=\"withdraw\""), "withdrawal is offered once a decision exists");
        assert!(html.contains("role=\"dialog\" aria-modal=\"true\""));
        assert!(html.contains("href=\"https://k.kz/receipt/s/id?lang=ru&amp;x=1\""), "the receipt link, escaped");
    }
}
