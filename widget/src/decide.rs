//! A decision, from click or API to effect: the cookie (W6), the Consent Mode `update` (W8),
//! gated elements (W4), deleting revoked categories' cookies and reloading once (W5), the
//! `kelisim:consent` / `kelisim:change` events (W11), and the event for the log (W7).

use crate::json::Obj;
use crate::{host, need_config, ui, with, Then};
use alloc::borrow::ToOwned;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use crate::cfg::{Category, Site};
use kelisim_shared::consent_mode::ConsentModeType;
use kelisim_shared::cookie::{push_decimal, Decision, COOKIE_NAME};
use kelisim_shared::event::Action;

pub enum Choice {
    /// Accept all, Reject all or Withdraw.
    All(Action),
    /// The categories chosen in the preferences (or through `kelisim.accept(ids)`).
    Custom(Vec<String>),
}

/// What the page tells about itself (host operation ENV).
pub struct Env {
    pub href: String,
    pub html_lang: String,
    /// `navigator.languages`, comma-separated.
    pub languages: String,
    /// W9: the browser sends a Global Privacy Control signal.
    pub gpc: bool,
}

impl Env {
    pub fn read() -> Env {
        let text = host::text(host::ENV, "");
        let mut parts = text.split('\n');
        let mut next = || parts.next().unwrap_or("").to_owned();
        Env { href: next(), html_lang: next(), languages: next(), gpc: next() == "1" }
    }
}

/// Makes a decision and closes the layers; on a return visit (API call, reopened
/// preferences) the config is loaded first.
pub fn decide_then_close(choice: Choice) {
    match with(|w| w.config.clone()).flatten() {
        Some(cfg) => {
            apply(&cfg, choice);
            ui::after_decision();
        }
        None => need_config(Then::Decide(choice)),
    }
}

/// The categories a choice grants: the required one always; W9: with GPC, `gpc_off`
/// categories stay off on Accept all (they can still be chosen one by one).
pub fn granted_for(cfg: &Site, choice: &Choice, gpc: bool) -> (Action, Vec<String>) {
    let pick = |keep: &dyn Fn(&Category) -> bool| cfg.categories.iter().filter(|c| c.required || keep(c)).map(|c| c.id.clone()).collect();
    match choice {
        Choice::All(Action::AcceptAll) => (Action::AcceptAll, pick(&|c| !(gpc && c.gpc_off))),
        Choice::All(a) => (*a, pick(&|_| false)),
        Choice::Custom(ids) => (Action::Custom, pick(&|c| ids.contains(&c.id))),
    }
}

fn apply(cfg: &Rc<Site>, choice: Choice) {
    let env = Env::read();
    let (action, granted) = granted_for(cfg, &choice, env.gpc);
    let fresh_id = uuid_v4();
    let Some((lang, prev, consent_id)) = with(|w| {
        let lang = ui::current_lang(w, cfg, &env);
        let id = w.consent_id.get_or_insert(fresh_id).clone();
        (lang, w.decision.clone(), id)
    }) else {
        return;
    };
    let bits = cfg.consent_mode_bits(&granted);
    let decision = Decision {
        consent_id: consent_id.clone(),
        decided_at: u64::from(host::op(host::NOW, "")),
        config_version: cfg.version.clone(),
        scope: cfg.scope.clone(),
        consent_mode: bits,
        granted: granted.clone(),
    };
    host::op(host::SET_COOKIE, &cookie(&decision, cfg.consent_days, env.href.starts_with("https:")));
    host::op(host::CONSENT_MODE, &consent_mode(bits));
    with(|w| w.decision = Some(decision.clone()));
    enable(&granted);
    // W5: what is not granted now loses its cookies, whatever the previous state was.
    delete_cookies(&revoked_cookies(cfg, &granted), &env.href);
    // W11: `kelisim:consent` on every decision, `kelisim:change` when the granted set changed.
    let detail = detail(&decision);
    host::op(host::EVENT, &["consent\n", &detail].concat());
    if prev.map(|p| p.granted) != Some(granted.clone()) {
        host::op(host::EVENT, &["change\n", &detail].concat());
    }
    let event = Obj::new()
        .str("consent_id", &consent_id)
        .str("event_id", &uuid_v4())
        .str("config_version", &cfg.version)
        .str("action", action.as_str())
        .list("granted", &granted)
        .str("language", lang.code())
        .raw("gpc", if env.gpc { "true" } else { "false" })
        .str("page", &env.href)
        .end();
    host::op(host::POST, &event);
    // W5: a script of a now-denied category already ran on this page: only a reload stops it.
    let ran_denied = with(|w| w.ran.iter().any(|c| !granted.contains(c))).unwrap_or(false);
    if ran_denied && cfg.reload_on_revoke {
        host::op(host::RELOAD, "");
    }
}

/// Enables the gated elements of the granted categories and remembers which ran.
pub fn enable(granted: &[String]) {
    let ran = host::ids(&host::text(host::ENABLE, &granted.join(" ")));
    with(|w| {
        for c in ran {
            if !w.ran.contains(&c) {
                w.ran.push(c);
            }
        }
    });
}

pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    host::random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(HEX[(byte >> 4) as usize] as char);
        s.push(HEX[(byte & 15) as usize] as char);
    }
    s
}

/// The `Set-Cookie`-style string for `document.cookie` (W6).
pub fn cookie(d: &Decision, consent_days: u32, secure: bool) -> String {
    let mut max_age = String::new();
    push_decimal(&mut max_age, u64::from(consent_days) * 86_400);
    [COOKIE_NAME, "=", &d.encode(), "; Path=/; Max-Age=", &max_age, "; SameSite=Lax", if secure { "; Secure" } else { "" }].concat()
}

/// W8: the `update` with all seven types.
pub fn consent_mode(bits: u8) -> String {
    let mut o = Obj::new();
    for t in ConsentModeType::ALL {
        o = o.str(t.name(), if bits & t.bit() != 0 { "granted" } else { "denied" });
    }
    o.end()
}

/// The decision as the JS API and events show it (host.js turns `decidedAt` into a Date).
pub fn detail(d: &Decision) -> String {
    let mut at = String::new();
    push_decimal(&mut at, d.decided_at);
    Obj::new().str("consentId", &d.consent_id).list("granted", &d.granted).str("configVersion", &d.config_version).raw("decidedAt", &at).end()
}

/// The cookie names and patterns of every category (and its services) not granted.
pub fn revoked_cookies(cfg: &Site, granted: &[String]) -> Vec<String> {
    cfg.categories.iter().filter(|c| !granted.contains(&c.id)).flat_map(|c| c.cookies.iter()).cloned().collect()
}

/// `*` matches any run of characters (`_ga*`, `_ym_*`).
pub fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else { return false };
            rest.is_empty() || tail.char_indices().map(|(i, _)| i).chain([tail.len()]).any(|i| tail.get(i..).is_some_and(|t| glob(rest, t)))
        }
    }
}

/// Host name and path of a URL (`https://a.b.kz:8443/x/y?q` → `a.b.kz`, `/x/y`).
fn host_and_path(href: &str) -> (&str, &str) {
    let rest = href.split_once("://").map_or(href, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")));
    let host = authority.rsplit('@').next().unwrap_or("");
    (host.split(':').next().unwrap_or(""), path)
}

/// Every `document.cookie` string that deletes a cookie matching a pattern, on every domain
/// and path variant this page could have set it with (a cookie is only removed by the same
/// Domain and Path).
pub fn deletions(patterns: &[String], cookies: &str, href: &str) -> Vec<String> {
    let mut out = Vec::new();
    if patterns.is_empty() {
        return out;
    }
    let (host, path) = host_and_path(href);
    let mut domains = vec![String::new()];
    let labels: Vec<&str> = host.split('.').collect();
    for i in 0..labels.len().saturating_sub(1) {
        let d = labels.get(i..).unwrap_or(&[]).join(".");
        domains.push(["; Domain=", &d].concat());
        domains.push(["; Domain=.", &d].concat());
    }
    let mut paths = vec!["/".to_owned()];
    let mut acc = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        acc.push('/');
        acc.push_str(seg);
        paths.push(acc.clone());
        paths.push([acc.as_str(), "/"].concat());
    }
    for name in cookies.split(';').filter_map(|kv| kv.split('=').next()).map(str::trim) {
        if name == COOKIE_NAME || !patterns.iter().any(|p| glob(p, name)) {
            continue;
        }
        for d in &domains {
            for p in &paths {
                out.push([name, "=; Max-Age=0; Path=", p, d].concat());
            }
        }
    }
    out
}

fn delete_cookies(patterns: &[String], href: &str) {
    if patterns.is_empty() {
        return;
    }
    for c in deletions(patterns, &host::text(host::COOKIES, ""), href) {
        host::op(host::SET_COOKIE, &c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    extern crate std;
    use alloc::string::ToString;

    #[test]
    fn cookie_patterns() {
        assert!(glob("_ga", "_ga"));
        assert!(!glob("_ga", "_gat"));
        assert!(glob("_ga*", "_ga_XYZ123"));
        assert!(glob("_ga*", "_ga"));
        assert!(glob("_ym_*", "_ym_uid"));
        assert!(!glob("_ym_*", "_ym"));
        assert!(glob("*_session", "shop_session"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcdf"));
        assert!(glob("ж*", "жұмыс"));
    }

    #[test]
    fn url_parts() {
        assert_eq!(host_and_path("https://shop.example.kz:8443/a/b?q=1#x"), ("shop.example.kz", "/a/b"));
        assert_eq!(host_and_path("http://127.0.0.1:8080"), ("127.0.0.1", ""));
        assert_eq!(host_and_path("https://u:p@a.kz/"), ("a.kz", "/"));
    }

    #[test]
    fn deletes_matching_cookies_on_every_domain_and_path_but_never_its_own() {
        let pats = ["_ga*".to_string(), "_ym_uid".to_string()];
        let del = deletions(&pats, "kelisim=1.x; _ga=1; _ga_ABC=2; other=3; _ym_uid=4", "https://www.shop.kz/catalog/item");
        // 3 cookies × (1 + 2 × 2 domains: www.shop.kz, shop.kz) × (1 + 2 × 2 paths)
        assert_eq!(del.len(), 3 * 5 * 5);
        assert!(del.contains(&"_ga=; Max-Age=0; Path=/".to_string()));
        assert!(del.contains(&"_ga_ABC=; Max-Age=0; Path=/catalog/; Domain=.shop.kz".to_string()));
        assert!(del.contains(&"_ym_uid=; Max-Age=0; Path=/catalog/item; Domain=www.shop.kz".to_string()));
        assert!(!del.iter().any(|d| d.starts_with("kelisim=") || d.starts_with("other=")));
        assert!(!del.iter().any(|d| d.contains("Domain=kz")), "never a public suffix alone");
        assert!(deletions(&[], "_ga=1", "https://a.kz/").is_empty());
    }

    #[test]
    fn consent_mode_update_has_all_seven_types() {
        let v = json::parse(&consent_mode(0b100_1001)).unwrap();
        let granted: Vec<&str> = ConsentModeType::ALL.iter().map(|t| t.name()).filter(|n| v.get(n).str() == Some("granted")).collect();
        assert_eq!(ConsentModeType::ALL.iter().filter(|t| v.get(t.name()).str().is_some()).count(), 7);
        assert_eq!(granted.len(), 3);
    }

    #[test]
    fn cookie_string_and_detail() {
        let d = Decision {
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            decided_at: 1_700_000_000,
            config_version: "ab".repeat(32),
            scope: "0123abcd".into(),
            consent_mode: 65,
            granted: vec!["necessary".into()],
        };
        let c = cookie(&d, 365, true);
        assert!(c.starts_with("kelisim=1.0b6f7c1e-"));
        assert!(c.ends_with("; Path=/; Max-Age=31536000; SameSite=Lax; Secure"));
        assert!(!cookie(&d, 1, false).contains("Secure"));
        let v = json::parse(&detail(&d)).unwrap();
        assert_eq!(v.get("decidedAt").num(), Some(1_700_000_000));
        assert_eq!(v.get("granted").items().len(), 1);
    }
}
