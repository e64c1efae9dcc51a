//! Data minimization of the server-side fields of a consent record (SPEC §2: the consent log
//! is itself personal data — keep the least that still helps prove the consent).

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

/// The page a decision was made on, as origin and path only: query strings and fragments
/// often carry personal data (e-mail links, tokens), and are not needed to prove consent.
pub fn page(page: Option<&str>) -> Option<String> {
    let p = page?.trim();
    let cut = p.find(['?', '#']).unwrap_or(p.len());
    let p = &p[..cut];
    (!p.is_empty()).then(|| p.to_owned())
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
    fn user_agent_is_truncated() {
        assert_eq!(user_agent(Some(&"x".repeat(1000))).unwrap().len(), USER_AGENT_MAX);
    }
}
