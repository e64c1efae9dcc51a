//! The layers: first layer (W1), preferences dialog (W2, W3, W12), reopen button (W10), and
//! what each click or key in them means.

use crate::decide::{decide_then_close, Choice, Env};
use crate::cfg::Site;
use crate::{host, need_config, with, Then, Widget};
use alloc::string::String;
use kelisim_shared::event::Action;
use kelisim_shared::lang::{self, Lang};
use kelisim_shared::strings::REOPEN;

/// W3: `data-lang`, else `<html lang>`, else the browser's languages, matched against the
/// site's; kept once chosen (or switched in the preferences).
pub fn current_lang(w: &mut Widget, cfg: &Site, env: &Env) -> Lang {
    if let Some(l) = w.lang.filter(|l| cfg.languages.contains(l)) {
        return l;
    }
    let html = Some(env.html_lang.as_str()).filter(|l| !l.is_empty());
    let l = lang::choose(&cfg.languages, w.data_lang.as_deref(), html, env.languages.split(','));
    w.lang = Some(l);
    l
}

pub fn show_banner() {
    let env = Env::read();
    let html = with(|w| {
        let cfg = w.config.clone()?;
        let lang = current_lang(w, &cfg, &env);
        cfg.layers(lang).map(|l| l.banner.clone())
    });
    if let Some(Some(html)) = html {
        host::op(host::UI, &html);
    }
}

/// After a decision: only the reopen button (unless the site turned it off).
pub fn show_reopen() {
    let env = Env::read();
    let html = with(|w| {
        if !w.floating || w.decision.is_none() {
            return String::new();
        }
        let lang = w.lang.or_else(|| w.data_lang.as_deref().and_then(Lang::from_tag)).or_else(|| Lang::from_tag(&env.html_lang));
        reopen(lang.unwrap_or(Lang::Ru))
    });
    host::op(host::UI, &html.unwrap_or_default());
}

pub fn show_preferences() {
    let env = Env::read();
    let found = with(|w| {
        let cfg = w.config.clone()?;
        let lang = current_lang(w, &cfg, &env);
        let l = cfg.layers(lang)?;
        let d = w.decision.as_ref();
        let receipt = d.map_or(String::new(), |d| {
            let mut url = String::new();
            attr(&mut url, &[w.api.as_str(), "/receipt/", w.site.as_str(), "/", d.consent_id.as_str(), "?lang=", lang.code()].concat());
            [l.receipt[0].as_str(), &url, &l.receipt[1]].concat()
        });
        let html = l
            .preferences
            .replace(GPC_MARK, if env.gpc { &l.gpc } else { "" })
            .replace(WITHDRAW_MARK, if d.is_some() { &l.withdraw } else { "" })
            .replace(RECEIPT_MARK, &receipt);
        Some((html, d.map(|d| d.granted.join(" ")).unwrap_or_default()))
    });
    let Some(Some((html, granted))) = found else { return };
    host::op_n(host::SAVE_FOCUS, 0);
    host::op(host::UI, &html);
    host::op(host::SET_CHECKED, &granted);
    host::op(host::FOCUS, "[data-kelisim=\"preferences\"] input:not([disabled]), [data-kelisim=\"preferences\"] button");
}

// The markers of kelisim_shared::render (that module is server-side only).
const GPC_MARK: &str = "<!--gpc-->";
const RECEIPT_MARK: &str = "<!--receipt-->";
const WITHDRAW_MARK: &str = "<!--withdraw-->";

/// Appends `s` escaped for a double-quoted attribute.
fn attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
}

/// W10: the small button that reopens the preferences after a decision. Its label is the one
/// UI string the widget carries: a return visit shows it without the config.
pub fn reopen(lang: Lang) -> String {
    let mut label = String::new();
    attr(&mut label, REOPEN[lang as usize]);
    ["<button type=\"button\" class=\"k-reopen\" data-action=\"reopen\" aria-label=\"", &label, "\" title=\"", &label,
     "\"><svg viewBox=\"0 0 24 24\" width=\"22\" height=\"22\" aria-hidden=\"true\"><circle cx=\"12\" cy=\"12\" r=\"9\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/><circle cx=\"9\" cy=\"10\" r=\"1.5\" fill=\"currentColor\"/><circle cx=\"14.5\" cy=\"14\" r=\"1.5\" fill=\"currentColor\"/><circle cx=\"14\" cy=\"8.5\" r=\"1\" fill=\"currentColor\"/></svg></button>"].concat()
}

/// Closes the preferences: back to the first layer if no decision yet, else the reopen
/// button; focus returns where it was (W12).
pub fn close_preferences() {
    let decided = with(|w| w.decision.is_some()).unwrap_or(false);
    if decided {
        show_reopen();
    } else {
        show_banner();
    }
    if host::op(host::FOCUS, "") == 0 {
        host::op(host::FOCUS, if decided { "[data-action=\"reopen\"]" } else { "[data-action=\"customize\"]" });
    }
}

/// Opens the preferences, fetching the config first when a return visit skipped it.
pub fn open_preferences() {
    if with(|w| w.config.is_none()) == Some(true) {
        host::op_n(host::SAVE_FOCUS, 1);
    }
    need_config(Then::Preferences);
}

/// After a decision made in the layers: the reopen button, with focus on it if focus was ours.
pub fn after_decision() {
    let had_focus = host::op(host::FOCUS_IS_OURS, "") == 1;
    show_reopen();
    host::op(host::FORGET_FOCUS, "");
    if had_focus {
        host::op(host::FOCUS, "[data-action=\"reopen\"]");
    }
}

/// A click on `[data-action]` in the shadow root (or Esc: `close`), with its `data-lang`.
pub fn action(name: &str, arg: &str) {
    let choice = match name {
        "accept-all" => Choice::All(Action::AcceptAll),
        "reject-all" => Choice::All(Action::RejectAll),
        "withdraw" => Choice::All(Action::Withdraw),
        "save" => Choice::Custom(host::ids(&host::text(host::CHECKED, ""))),
        "customize" | "reopen" => return open_preferences(),
        "close" => return close_preferences(),
        "lang" => {
            let checked = host::text(host::CHECKED, "");
            with(|w| w.lang = Lang::from_tag(arg));
            show_preferences();
            host::op(host::SET_CHECKED, &checked);
            host::op(host::FOCUS, "[data-action=\"lang\"][aria-pressed=\"true\"]");
            return;
        }
        _ => return,
    };
    decide_then_close(choice);
}

#[cfg(test)]
mod tests {
    #[test]
    fn markers_are_those_the_server_renders() {
        assert_eq!(super::GPC_MARK, kelisim_shared::render::GPC_MARK);
        assert_eq!(super::RECEIPT_MARK, kelisim_shared::render::RECEIPT_MARK);
        assert_eq!(super::WITHDRAW_MARK, kelisim_shared::render::WITHDRAW_MARK);
    }

    #[test]
    fn reopen_button_is_labelled_in_each_language() {
        let kk = super::reopen(kelisim_shared::lang::Lang::Kk);
        assert!(kk.contains("aria-label=\"Cookie баптаулары\"") && kk.contains("data-action=\"reopen\""));
        assert!(super::reopen(kelisim_shared::lang::Lang::En).contains("Cookie preferences"));
    }

    #[test]
    fn attributes_are_escaped() {
        let mut s = alloc::string::String::new();
        super::attr(&mut s, "https://k.kz/r?a=1&b=\"<x>");
        assert_eq!(s, "https://k.kz/r?a=1&amp;b=&quot;&lt;x>");
    }
}
