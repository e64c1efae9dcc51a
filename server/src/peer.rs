//! Who is asking: the client address of a request, as the consent API's rate limit, the stored
//! address and the dashboard's login limits see it.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// The client's address: the TCP peer's, or with `--trust-proxy` (`trust_proxy`) the one the
/// reverse proxy appended to `X-Forwarded-For`. Only the rightmost entry of the last such
/// header is the proxy's own word: entries left of it are whatever the client sent, and taking
/// one of those would let anyone pick the address that is stored and rate-limited.
pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy {
        if let Some(ip) = rightmost_forwarded_for(req) {
            return Some(ip);
        }
    } else if req.headers().contains_key("x-forwarded-for") {
        warn_forwarded_without_trust();
    }
    req.peer_addr().map(|a| a.ip())
}

fn rightmost_forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let last = req.headers().get_all("x-forwarded-for").last()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// Once per process: a reverse proxy is probably in front, and without `--trust-proxy` every
/// visitor gets the proxy's address — one rate limit for all, and a meaningless stored IP.
fn warn_forwarded_without_trust() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "a request came with X-Forwarded-For but kelisim runs without --trust-proxy: behind a reverse proxy, \
             every visitor gets the proxy's address and shares one rate limit (start with --trust-proxy)"
        );
    }
}
