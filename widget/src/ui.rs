//! The layers: first layer (W1), preferences dialog (W2, W3, W12), reopen button (W10), and
//! what each click or key in them means.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use crate::decide::{decide_then_close, Choice, Env};
use crate::{host, need_config, with, Then, Widget};
use alloc::string::String;
use kelisim_shared::event::Action;
use kelisim_shared::facts::Facts as Site;
use kelisim_shared::lang::Lang;
use kelisim_shared::strings::REOPEN;
use kelisim_shared::{cat, fields, join};

/// W3: the language the server chose for the markup it sent with the config (the first of the
/// visitor's tags the site offers, else its default), or the one the visitor switched to;
/// the site's default if neither is one the site offers.
pub fn current_lang(w: &mut Widget, cfg: &Site) -> Lang {
    let l = w.lang.filter(|l| cfg.languages.contains(l)).or(cfg.languages.first().copied()).unwrap_or(Lang::Kk);
    w.lang = Some(l);
    l
}

pub fn show_banner() {
    let html = with(|w| {
        let cfg = w.config?;
        Some(cat(&["b ", current_lang(w, cfg).code()]))
    });
    if let Some(Some(cmd)) = html {
        host::ui(&cmd);
    }
}

/// After a decision: only the reopen button (unless the site turned it off).
pub fn show_reopen() {
    let env = Env::read();
    let html = with(|w| {
        if !w.floating || w.decision.is_none() {
            return String::new();
        }
        let lang = w.lang.or_else(|| fields(&env.tags, b',').find_map(Lang::from_tag));
        reopen(lang.unwrap_or(Lang::Ru))
    });
    host::ui(&html.unwrap_or_default());
}

pub fn show_preferences() {
    let gpc = host::gpc();
    let found = with(|w| {
        let cfg = w.config?;
        let lang = current_lang(w, cfg).code();
        let d = w.decision.as_ref();
        // `p LANG GW CONSENT_ID`: the host fills the markers of the server's markup
        // (kelisim_shared::render): the GPC notice; while something optional is granted, the
        // Withdraw action in Reject all's place; with a decision, the link to the visitor's
        // receipt (the host knows the site and the server's origin).
        // A notice-only site logs nothing, so it has no receipt to link to.
        let id = if crate::decide::notice_only(cfg) { "" } else { d.map_or("", |d| &d.consent_id) };
        let optional = d.is_some_and(|d| d.granted.len() > 1);
        let cmd = cat(&["p ", lang, if gpc { " g" } else { " -" }, if optional { "w " } else { "- " }, id]);
        Some((cmd, d.map(|d| join(&d.granted, " ")).unwrap_or_default()))
    });
    let Some(Some((cmd, granted))) = found else { return };
    host::save_focus(false);
    host::ui(&cmd);
    host::set_checked(&granted);
    host::focus("[data-kelisim=preferences] :is(input:not([disabled]),button)");
}

/// W10: the small button that reopens the preferences after a decision (`r LABEL`). Its
/// label is the one UI string the widget carries: a return visit shows it without the config.
pub fn reopen(lang: Lang) -> String {
    // The labels hold no character that needs escaping in an attribute (tested below).
    cat(&["r ", REOPEN[lang as usize]])
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
    if !host::focus("") {
        host::focus(if decided { "[data-action=reopen]" } else { "[data-action=customize]" });
    }
}

/// Opens the preferences, fetching the config first when a return visit skipped it.
pub fn open_preferences() {
    if with(|w| w.config.is_none()) == Some(true) {
        host::save_focus(true);
    }
    need_config(Then::Preferences);
}

/// After a decision made in the layers: the reopen button, with focus on it if focus was ours.
pub fn after_decision() {
    let had_focus = host::focus_is_ours();
    show_reopen();
    host::forget_focus();
    if had_focus {
        host::focus("[data-action=reopen]");
    }
}

/// A click on `[data-action]` in the shadow root (or Esc: `close`), with its `data-lang`, or a
/// `window.kelisim` method that decides or opens the preferences (`accept` with its ids).
pub fn action(name: &str, arg: &str) {
    let choice = match name {
        "accept-all" | "acceptAll" => Choice::All(Action::AcceptAll),
        "reject-all" | "rejectAll" => Choice::All(Action::RejectAll),
        "withdraw" => Choice::All(Action::Withdraw),
        // The notice of a site with nothing optional: closed, remembered, not logged.
        "ok" => Choice::All(Action::RejectAll),
        // A placeholder's button: what is granted now, and the embed's category.
        "allow" => {
            let mut ids = with(|w| w.decision.as_ref().map(|d| d.granted.clone())).flatten().unwrap_or_default();
            ids.push(arg.into());
            Choice::Custom(ids)
        }
        "save" => Choice::Custom(host::ids(&host::checked())),
        "accept" => Choice::Custom(host::ids(arg)),
        "customize" | "reopen" | "showPreferences" => return open_preferences(),
        "close" => return close_preferences(),
        "lang" => {
            let checked = host::checked();
            with(|w| w.lang = Lang::from_tag(arg));
            show_preferences();
            host::set_checked(&checked);
            host::focus("[data-action=lang][aria-pressed=true]");
            return;
        }
        _ => return,
    };
    decide_then_close(choice);
}

#[cfg(test)]
mod tests {
    #[test]
    fn reopen_button_is_labelled_in_each_language() {
        assert_eq!(super::reopen(kelisim_shared::lang::Lang::Kk), "r Cookie баптаулары");
        assert_eq!(super::reopen(kelisim_shared::lang::Lang::En), "r Cookie preferences");
    }

    #[test]
    fn reopen_labels_need_no_escaping() {
        for l in kelisim_shared::strings::REOPEN {
            assert!(!l.contains(['&', '"', '<', '>']), "{l}");
        }
    }
}
