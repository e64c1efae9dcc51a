//! What each item is: declared in the site policy (by name or pattern) → that category;
//! otherwise known to the Open Cookie Database → its platform, category, description and
//! retention; otherwise unknown. And whose a host is: the site's own, Kelisim's, or a
//! third party's (by registrable domain, from the public suffix list).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use super::ocd::{self, Known};
use kelisim_shared::cookie::COOKIE_NAME;
use kelisim_shared::policy::SitePolicy;
use serde::{Deserialize, Serialize};

/// Where an item's classification comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The site policy declares it.
    Policy,
    /// Kelisim's own consent cookie or event queue: needed to remember the choice itself.
    Kelisim,
    /// Not declared; a service of the services catalogue sets it (`catalogue` names which).
    Catalogue,
    /// Not declared; the Open Cookie Database knows it.
    OpenCookieDatabase,
    /// Not declared, not known.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub source: Source,
    /// The declaring category (source `policy`), or the suggested one (otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Declared in the site's required category (or Kelisim's own): allowed before a choice.
    pub required: bool,
    /// The declared name or pattern that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The declared service it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// What the Open Cookie Database says about it, declared or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<Known>,
    /// The services catalogue's id of the service that sets it, when the site does not
    /// declare it (`kelisim_shared::catalogue`): `service = "<id>"` in a category declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<String>,
}

/// Kelisim's own items: the `kelisim` decision cookie (W6) and the widget's queue of
/// events not yet acknowledged (`kelisim:pending:<site>`, W7).
fn is_kelisim(name: &str) -> bool {
    name == COOKIE_NAME || name.starts_with("kelisim:pending:")
}

pub fn classify(policy: Option<&SitePolicy>, name: &str) -> Classification {
    let known = ocd::lookup(name).cloned();
    if let Some(d) = policy.and_then(|p| p.declaring(name)) {
        return Classification {
            source: Source::Policy,
            category: Some(d.category.id.clone()),
            required: d.category.required,
            pattern: Some(d.pattern.to_owned()),
            service: d.service.map(|s| s.name.clone()),
            known,
            catalogue: None,
        };
    }
    if is_kelisim(name) {
        return Classification {
            source: Source::Kelisim,
            category: policy.and_then(|p| p.categories.iter().find(|c| c.required)).map(|c| c.id.clone()),
            required: true,
            pattern: None,
            service: None,
            known,
            catalogue: None,
        };
    }
    // Not declared: the services catalogue first (it names the service and the category a
    // site puts it in), then the Open Cookie Database.
    if let Some(e) = kelisim_shared::catalogue::by_cookie(name) {
        return Classification {
            source: Source::Catalogue,
            category: suggest(policy, &e.category),
            required: false,
            pattern: None,
            service: Some(e.name.clone()),
            known,
            catalogue: Some(e.id.clone()),
        };
    }
    let category = known.as_ref().and_then(|k| suggest(policy, &k.category));
    Classification {
        source: if known.is_some() { Source::OpenCookieDatabase } else { Source::Unknown },
        category,
        required: false,
        pattern: None,
        service: None,
        known,
        catalogue: None,
    }
}

/// The site category an Open Cookie Database category most likely belongs in: one whose id
/// says so, else one that grants the matching Consent Mode type, else the conventional id.
fn suggest(policy: Option<&SitePolicy>, ocd_category: &str) -> Option<String> {
    use kelisim_shared::consent_mode::ConsentModeType as M;
    let (ids, modes, fallback): (&[&str], &[M], &str) = match ocd_category.to_ascii_lowercase().as_str() {
        "analytics" => (&["analytics", "statistics"], &[M::AnalyticsStorage], "analytics"),
        "marketing" => {
            (&["marketing", "advertising", "ads"], &[M::AdStorage, M::AdUserData, M::AdPersonalization], "marketing")
        }
        "functional" => (&["functional", "preferences"], &[M::FunctionalityStorage], "functional"),
        "personalization" => (&["personalization", "functional"], &[M::PersonalizationStorage], "functional"),
        "security" | "necessary" => {
            let required = policy.and_then(|p| p.categories.iter().find(|c| c.required)).map(|c| c.id.clone());
            return Some(required.unwrap_or_else(|| "necessary".into()));
        }
        _ => return None,
    };
    let Some(p) = policy else { return Some(fallback.to_owned()) };
    let optional = || p.categories.iter().filter(|c| !c.required);
    optional()
        .find(|c| ids.contains(&c.id.as_str()))
        .or_else(|| optional().find(|c| c.consent_mode.iter().any(|m| modes.contains(m))))
        .map(|c| c.id.clone())
        .or_else(|| Some(fallback.to_owned()))
}

/// The "site" of a host for first/third party purposes: its registrable domain (eTLD+1,
/// from the public suffix list), or the host itself for an IP address or `localhost`. Ports
/// do not count, as for cookies.
pub fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    psl::domain_str(&host).map(str::to_owned).unwrap_or(host)
}

pub fn same_site(a: &str, b: &str) -> bool {
    site_of(a) == site_of(b)
}

/// `host[:port]` of a URL, as a report shows a third party.
pub fn host_port(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(edit: impl Fn(String) -> String) -> SitePolicy {
        let text = edit(include_str!("../../../shared/testdata/example.toml").to_owned());
        SitePolicy::parse("example.toml", &text).unwrap()
    }

    #[test]
    fn declared_names_take_their_category() {
        let p = example(|t| t);
        let c = classify(Some(&p), "_ym_isad");
        assert_eq!((c.source, c.category.as_deref(), c.required), (Source::Policy, Some("analytics"), false));
        assert_eq!(c.service.as_deref(), Some("Yandex.Metrica"), "the exact name in the service wins over `_ym_*`");
        let s = classify(Some(&p), "session");
        assert_eq!((s.category.as_deref(), s.required), (Some("necessary"), true));
        assert_eq!(classify(Some(&p), "_fbp").category.as_deref(), Some("marketing"));
    }

    #[test]
    fn undeclared_names_get_the_open_cookie_database_and_a_suggestion() {
        let p = example(|t| {
            t.replace("cookies = [\"_ym_*\"]", "cookies = [\"_ym_uid\"]")
                .replace("\"_ym_uid\", \"_ym_d\", \"_ym_isad\"", "\"_ym_uid\"")
        });
        // A service of the catalogue: named by it, with the Open Cookie Database's words too.
        let c = classify(Some(&p), "_ym_isad");
        assert_eq!(
            (c.source, c.catalogue.as_deref(), c.service.as_deref()),
            (Source::Catalogue, Some("yandex-metrica"), Some("Yandex.Metrica"))
        );
        assert_eq!(
            c.known.as_ref().map(|k| (k.platform.as_str(), k.category.as_str())),
            Some(("Yandex.Metrica", "Analytics"))
        );
        assert_eq!((c.category.as_deref(), c.required), (Some("analytics"), false));
        // Not in the catalogue: the Open Cookie Database alone.
        let m = classify(Some(&p), "_pk_id");
        assert_eq!((m.source, m.catalogue), (Source::OpenCookieDatabase, None));
        assert_eq!(m.known.as_ref().map(|k| k.platform.as_str()), Some("Matomo"));
        assert_eq!(m.category.as_deref(), Some("analytics"));
        assert_eq!(classify(Some(&p), "_ga").category.as_deref(), Some("analytics"));
        let u = classify(Some(&p), "shop_cart_v2");
        assert_eq!((u.source, u.category, u.required), (Source::Unknown, None, false));
    }

    #[test]
    fn kelisims_own_items_are_required() {
        let p = example(|t| t.replace("cookies = [\"session\", \"kelisim\"]", "cookies = [\"session\"]"));
        let k = classify(Some(&p), "kelisim");
        assert_eq!((k.source, k.required, k.category.as_deref()), (Source::Kelisim, true, Some("necessary")));
        assert!(classify(None, "kelisim:pending:example").required);
    }

    #[test]
    fn sites_by_registrable_domain() {
        assert!(same_site("www.example.kz", "static.example.kz"));
        assert!(same_site("shop.example.com.kz", "example.com.kz"));
        assert!(!same_site("a.github.io", "b.github.io"), "public suffixes are not one site");
        assert!(!same_site("mc.yandex.ru", "example.kz"));
        assert!(same_site("127.0.0.1", "127.0.0.1"));
        assert!(!same_site("127.0.0.1", "127.0.0.2"));
    }
}
