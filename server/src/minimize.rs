//! Data minimization of the server-side fields of a consent record: the consent log is itself
//! personal data, so keep the least that still helps prove the consent (what is kept:
//! docs/api.md, `POST /api/v1/sites/{site}/consents`).

use kelisim_shared::policy::IpStorage;
use std::net::IpAddr;

/// Longest user agent kept, in characters: enough to tell browser and platform apart.
pub const USER_AGENT_MAX: usize = 256;

/// IPv4 truncated to /24 and IPv6 to /48 by default; or kept in full; or not at all.
pub fn ip(addr: Option<IpAddr>, storage: IpStorage) -> Option<String> {
    let addr = addr?;
    match storage {
        IpStorage::None => None,
        IpStorage::Full => Some(addr.to_string()),
        IpStorage::Truncated => Some(match addr {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => return ip(Some(IpAddr::V4(v4)), storage),
                None => {
                    let s = v6.segments();
                    let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
                    format!("{net}/48")
                }
            },
        }),
    }
}

pub fn user_agent(ua: Option<&str>) -> Option<String> {
    let ua = ua?.trim();
    if ua.is_empty() {
        return None;
    }
    // The usual case, short and clean, in one copy (no more bytes than chars allowed).
    if ua.len() <= USER_AGENT_MAX && !ua.chars().any(char::is_control) {
        return Some(ua.to_owned());
    }
    Some(ua.chars().filter(|c| !c.is_control()).take(USER_AGENT_MAX).collect())
}

/// The page a decision was made on, as scheme, host\[:port\] and path only: credentials
/// (`user:secret@`), query strings and fragments often carry personal data (e-mail links,
/// tokens) and are not needed to prove consent. Only an `http`/`https` URL is a page; anything
/// else (`javascript:`, `data:`, `file:`, no URL at all) is dropped, and the consent is logged
/// without a page. The result is the WHATWG URL serialization (host lowercased and IDNA-encoded,
/// the default port left out, dot segments resolved, tab/CR/LF removed and other control
/// characters percent-encoded), so it never holds a control character. A path whose encoded
/// form is longer than [`kelisim_shared::event::MAX_PAGE_LEN`] is cut back to `/`.
pub fn page(page: Option<&str>) -> Option<String> {
    let u = url::Url::parse(page?.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str().filter(|h| !h.is_empty())?;
    let mut out = format!("{}://{host}", u.scheme());
    if let Some(port) = u.port() {
        out.push_str(&format!(":{port}"));
    }
    if out.len() + u.path().len() <= kelisim_shared::event::MAX_PAGE_LEN {
        out.push_str(u.path());
    } else {
        out.push('/');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_ipv4_to_24_and_ipv6_to_48() {
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        let v6: IpAddr = "2001:db8:abcd:12::1".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.77".parse().unwrap();
        assert_eq!(ip(Some(v4), IpStorage::Truncated).unwrap(), "203.0.113.0/24");
        assert_eq!(ip(Some(v6), IpStorage::Truncated).unwrap(), "2001:db8:abcd::/48");
        assert_eq!(ip(Some(mapped), IpStorage::Truncated).unwrap(), "203.0.113.0/24");
        assert_eq!(ip(Some(v4), IpStorage::Full).unwrap(), "203.0.113.77");
        assert_eq!(ip(Some(v4), IpStorage::None), None);
    }

    #[test]
    fn page_loses_query_and_fragment() {
        assert_eq!(page(Some("https://a.kz/x?email=a@b.kz#t")).unwrap(), "https://a.kz/x");
        assert_eq!(page(Some("")), None);
    }

    #[test]
    fn page_keeps_scheme_host_port_and_path_only() {
        let p = |s: &str| page(Some(s));
        assert_eq!(p("https://user:secret@a.kz/x").as_deref(), Some("https://a.kz/x"), "credentials dropped");
        assert_eq!(p("https://user@a.kz:8443/x").as_deref(), Some("https://a.kz:8443/x"));
        assert_eq!(
            p("HTTPS://A.KZ:443/Catalog").as_deref(),
            Some("https://a.kz/Catalog"),
            "scheme and host lowercased, default port dropped"
        );
        assert_eq!(p("https://a.kz").as_deref(), Some("https://a.kz/"));
        assert_eq!(
            p("https://a.kz/a\r\nSet-Cookie: x\n").as_deref(),
            Some("https://a.kz/aSet-Cookie:%20x"),
            "CR/LF removed"
        );
        assert_eq!(
            p("https://a.kz/a\u{7}b\u{0}c").as_deref(),
            Some("https://a.kz/a%07b%00c"),
            "control characters encoded"
        );
        assert_eq!(p("https://a.kz/x/../y/./z").as_deref(), Some("https://a.kz/y/z"));
        assert_eq!(p("https://алматы.kz/").as_deref(), Some("https://xn--80aa6ae5a6c.kz/"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "ftp://a.kz/x",
            "/relative",
            "a.kz/x",
            "mailto:a@b.kz",
            "https://",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        let long = format!("https://a.kz/{}", "я".repeat(1000));
        assert_eq!(p(&long).as_deref(), Some("https://a.kz/"), "a path too long once encoded is cut");
    }

    #[test]
    fn user_agent_is_truncated() {
        assert_eq!(user_agent(Some(&"x".repeat(1000))).unwrap().len(), USER_AGENT_MAX);
    }
}
