//! Per-client rate limit on the public consent POST: a token bucket per address (an IPv6
//! client is keyed by its /64, which one host usually holds whole). A visitor posts once per
//! decision; the limit only stops floods that would fill the log or the writer's queue.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Addresses tracked before idle (full) buckets are dropped.
const MAX_TRACKED: usize = 100_000;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

pub(super) fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

impl RateLimiter {
    /// `None` when `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<RateLimiter> {
        (per_second > 0).then(|| RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `ip`, or says in how many whole seconds one will be there.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key(ip)).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill_per_address() {
        let l = RateLimiter::new(2, 3).unwrap();
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "203.0.113.8".parse().unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(a, t).is_ok());
        }
        assert_eq!(l.check_at(a, t), Err(1));
        assert!(l.check_at(b, t).is_ok(), "another address has its own bucket");
        assert!(l.check_at(a, t + Duration::from_millis(600)).is_ok(), "tokens come back at the rate");
    }

    #[test]
    fn ipv6_hosts_of_one_64_share_a_bucket() {
        let l = RateLimiter::new(1, 1).unwrap();
        let t = Instant::now();
        assert!(l.check_at("2001:db8:1:2::1".parse().unwrap(), t).is_ok());
        assert!(l.check_at("2001:db8:1:2::ffff".parse().unwrap(), t).is_err());
        assert!(l.check_at("2001:db8:1:3::1".parse().unwrap(), t).is_ok());
        assert!(RateLimiter::new(0, 10).is_none());
    }
}
