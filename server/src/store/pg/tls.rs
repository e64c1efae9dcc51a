//! TLS to PostgreSQL, asked for in the database URL as libpq users write it:
//! `postgres://…/kelisim?sslmode=require&sslrootcert=/etc/kelisim/pg-ca.pem`.
//!
//! - no `sslmode`, or `sslmode=disable`: plain TCP (a database on the same host or a private
//!   network);
//! - `sslmode=require`, `verify-ca` or `verify-full`: TLS, and the server's certificate is always
//!   verified — against the CA certificates of `sslrootcert` when given, else the system's
//!   roots — and must name the host of the URL (libpq's `verify-full`). A consent log is not sent
//!   to a server that could be anyone;
//! - `sslmode=prefer` or `allow` (libpq's default is `prefer`): refused, because they fall back to
//!   plain TCP without saying so.

use super::super::StoreError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;

/// Set on every connection unless the URL sets them (in seconds, as the client library reads
/// them; libpq's `tcp_user_timeout` is in milliseconds): a database host that is gone without
/// closing its connections — a failover after the machine was lost, a network partition — is
/// noticed within about half a minute, whether a connection was idle (TCP keepalives: 30 s,
/// then 3 probes 10 s apart) or waiting for an answer (`tcp_user_timeout`: data unacknowledged
/// for 30 s), and a connection attempt gives up after 10 s; the writer then answers `503` and
/// opens a new connection. The client library's own defaults are two hours of silence and the
/// operating system's (about 15 minutes) for a lost answer.
pub const CONNECTION_DEFAULTS: [(&str, &str); 5] = [
    ("connect_timeout", "10"),
    ("keepalives_idle", "30"),
    ("keepalives_interval", "10"),
    ("keepalives_retries", "3"),
    ("tcp_user_timeout", "30"),
];

/// What to connect with: the URL as the client library takes it, and the TLS configuration
/// when the URL asks for TLS.
pub struct Target {
    pub url: String,
    pub tls: Option<rustls::ClientConfig>,
}

fn bad(why: String) -> StoreError {
    StoreError::DatabaseUrl(why)
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, StoreError> {
        // A libpq `key=value` string would carry its own sslmode past these checks.
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(bad(
                "give the database as a URL, postgres://USER@HOST/DATABASE[?sslmode=verify-full&sslrootcert=FILE]"
                    .into(),
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let (mut mode, mut root) = (None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            // The value as written in the URL, percent-decoded (`%2Fetc%2Fca.pem`).
            let decoded = || url::form_urlencoded::parse(pair.as_bytes()).next().map(|(_, v)| v.into_owned());
            match pair.split_once('=') {
                Some(("sslmode", _)) => mode = decoded(),
                Some(("sslrootcert", _)) => root = decoded(),
                _ => kept.push(pair),
            }
        }
        let tls = match mode.as_deref() {
            None | Some("disable") => {
                if root.is_some() {
                    return Err(bad("sslrootcert is given but TLS is not: add sslmode=verify-full".into()));
                }
                None
            }
            Some("require" | "verify-ca" | "verify-full") => Some(config(root.as_deref())?),
            Some(m @ ("prefer" | "allow")) => {
                return Err(bad(format!(
                    "sslmode={m} would fall back to an unencrypted connection without saying so: use sslmode=verify-full (TLS, the server's certificate checked) or sslmode=disable"
                )))
            }
            Some(m) => {
                return Err(bad(format!("sslmode={m} is not one of disable, require, verify-ca, verify-full")))
            }
        };
        if tls.is_some() {
            kept.push("sslmode=require");
        }
        let mut kept: Vec<String> = kept.into_iter().map(str::to_owned).collect();
        let given = |key: &str| kept.iter().any(|p| p.split_once('=').map_or(p.as_str(), |(k, _)| k) == key);
        let mut defaults: Vec<String> = CONNECTION_DEFAULTS
            .iter()
            .filter(|(key, _)| !given(key))
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        // Several hosts (`postgres://u@db1,db2/kelisim`): the one that takes writes, whichever
        // it is now — a standby that was promoted included.
        let hosts = base.split("://").nth(1).unwrap_or("").split(['/', '?']).next().unwrap_or("");
        if hosts.contains(',') && !given("target_session_attrs") {
            defaults.push("target_session_attrs=read-write".into());
        }
        kept.extend(defaults);
        Ok(Target { url: format!("{base}?{}", kept.join("&")), tls })
    }
}

/// A client configuration that trusts the certificates of `root` (a PEM file), or the system's.
fn config(root: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<_, _>>())
                .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
            if certs.is_empty() {
                return Err(bad(format!("sslrootcert {path} holds no PEM certificate")));
            }
            for c in certs {
                roots.add(c).map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                // A system store can hold certificates rustls does not take; the rest still count.
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(bad(
                    "sslmode asks for TLS, but the system has no CA certificates: give the database's CA with sslrootcert=FILE".into(),
                ));
            }
        }
    }
    // ring: no C toolchain beyond what the build has already. It lacks the post-quantum key
    // exchange (rustls deprecates its provider for that); X25519 stays the key exchange here.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_a_url_without_its_password_also_with_several_hosts() {
        use super::super::redacted;
        assert_eq!(redacted("postgres://app:secret@db/kelisim"), "postgres://app:***@db/kelisim");
        assert_eq!(redacted("postgres://app@db/kelisim"), "postgres://app@db/kelisim");
        assert_eq!(
            redacted("postgres://app:se%40cret@db1:5432,db2:5433/kelisim?sslmode=verify-full"),
            "postgres://app:***@db1:5432,db2:5433/kelisim?sslmode=verify-full"
        );
        assert_eq!(redacted("postgres://app@db1,db2/kelisim"), "postgres://app@db1,db2/kelisim");
        assert_eq!(redacted("host=db password=x"), "(an unreadable URL)");
    }

    #[test]
    fn plain_urls_pass_through_and_tls_is_asked_for_explicitly() {
        const DEFAULTS: &str =
            "connect_timeout=10&keepalives_idle=30&keepalives_interval=10&keepalives_retries=3&tcp_user_timeout=30";
        let t = Target::parse("postgres://u@db/kelisim").unwrap();
        assert!(t.tls.is_none() && t.url == format!("postgres://u@db/kelisim?{DEFAULTS}"), "{}", t.url);
        // What the URL sets stays as it is, and only the rest is added.
        let t = Target::parse("postgres://u@db/kelisim?sslmode=disable&connect_timeout=5&keepalives_idle=60").unwrap();
        assert_eq!(
            t.url,
            "postgres://u@db/kelisim?connect_timeout=5&keepalives_idle=60&keepalives_interval=10&keepalives_retries=3&tcp_user_timeout=30"
        );
        assert!(t.tls.is_none());
        // The client library reads them all.
        let c: postgres::Config = t.url.parse().unwrap();
        assert_eq!(c.get_connect_timeout(), Some(&std::time::Duration::from_secs(5)));
        assert_eq!(c.get_keepalives_idle(), std::time::Duration::from_secs(60));
        assert_eq!(c.get_keepalives_interval(), Some(std::time::Duration::from_secs(10)));
        assert_eq!(c.get_keepalives_retries(), Some(3));
        assert_eq!(c.get_tcp_user_timeout(), Some(&std::time::Duration::from_secs(30)));
        assert_eq!(c.get_target_session_attrs(), postgres::config::TargetSessionAttrs::Any);
        // Several hosts: the one that takes writes.
        let t = Target::parse("postgres://u@db1:5432,db2:5433/kelisim").unwrap();
        let c: postgres::Config = t.url.parse().unwrap();
        assert_eq!(c.get_target_session_attrs(), postgres::config::TargetSessionAttrs::ReadWrite);
        assert_eq!(c.get_ports(), [5432, 5433]);
        let t = Target::parse("postgres://u@db1,db2/kelisim?target_session_attrs=any").unwrap();
        let c: postgres::Config = t.url.parse().unwrap();
        assert_eq!(c.get_target_session_attrs(), postgres::config::TargetSessionAttrs::Any);
        for m in ["prefer", "allow"] {
            let e = Target::parse(&format!("postgres://u@db/k?sslmode={m}")).err().unwrap().to_string();
            assert!(e.contains("fall back") && e.contains("verify-full"), "{e}");
        }
        let e = Target::parse("postgres://u@db/k?sslmode=maybe").err().unwrap().to_string();
        assert!(e.contains("sslmode=maybe"), "{e}");
        let e = Target::parse("postgres://u@db/k?sslrootcert=/x.pem").err().unwrap().to_string();
        assert!(e.contains("add sslmode=verify-full"), "{e}");
        let e = Target::parse("postgres://u@db/k?sslmode=verify-full&sslrootcert=/no/such.pem").err().unwrap();
        assert!(e.to_string().contains("/no/such.pem"), "{e}");
        let e = Target::parse("postgresql://u@db/k?sslmode=verify-full&sslrootcert=%2Fno%2Fother.pem").err().unwrap();
        assert!(e.to_string().contains("/no/other.pem"), "percent-decoded: {e}");
        for libpq in ["host=db user=u sslmode=prefer", "host=db dbname=kelisim"] {
            let e = Target::parse(libpq).err().unwrap().to_string();
            assert!(e.contains("postgres://"), "{e}");
        }
    }
}
