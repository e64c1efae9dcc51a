//! How many password checks a login attempt may cost (docs/api.md, `POST /admin/login`). Plain
//! Rust, no HTTP.
//!
//! Every attempt **reserves** its place before the password is checked: the counters below are
//! taken and updated under one lock, so forty guesses sent at once meet exactly the limits that
//! forty guesses sent one after another meet. A reservation counts as a failure until the
//! password turns out right (then it is given back), or is cancelled when the attempt is
//! refused for another reason before the check.
//!
//! Three counters, all of which must allow an attempt:
//!
//! - per (account, client address): [`PAIR_FREE`] failures, then a wait of 2 s that doubles
//!   with each further failure, up to 15 minutes. Guessing one account's password from one
//!   address.
//! - per client address, whatever the account: [`ADDRESS_FREE`] failures, then the same
//!   waits. Trying many names from one address.
//! - per account, whatever the address: a bucket of [`ACCOUNT_BURST`] failures that refills
//!   by [`ACCOUNT_PER_HOUR`] an hour. Guessing one account from many addresses.
//!
//! One address can thus not lock the owner out from another: its own waits hold it to at most
//! about 21 failures in its first hour (10 free, then waits of 2 s, 4 s, … 15 min) and 4 an
//! hour after that, far below what empties the account's bucket. A success from an address
//! clears that (account, address) pair only, so holding one valid account does not buy more
//! guesses at another. IPv6 addresses are counted by their /64, which one host usually holds
//! whole. The counters live in memory (a restart forgets them; the audit trail keeps every
//! failed login) and a counter idle for a day is dropped.
//!
//! Separately, at most [`CONCURRENT_CHECKS`] argon2 verifications run at once (each takes
//! ~19 MiB and tens of milliseconds of a core), and at most [`CHECK_QUEUE`] more logins wait
//! for one, each at most [`CHECK_WAIT`]: the rest of a flood is answered 503 at once instead
//! of taking the machine's memory and the consent path's CPU.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures per (account, address) before the waits start.
pub const PAIR_FREE: u32 = 5;
/// Failures per address, over all accounts, before the waits start.
pub const ADDRESS_FREE: u32 = 10;
/// Failures one account may take at once from all addresses together…
pub const ACCOUNT_BURST: f64 = 100.0;
/// …and how many more it may take each hour.
pub const ACCOUNT_PER_HOUR: f64 = 100.0;
/// The first wait once the free failures are used up; it doubles per failure.
const FIRST_WAIT: Duration = Duration::from_secs(2);
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A counter idle this long is dropped.
const FORGET: Duration = Duration::from_secs(24 * 3600);
/// Counters kept before idle ones are dropped early.
const MAX_TRACKED: usize = 100_000;
/// Password checks (argon2) running at once.
pub const CONCURRENT_CHECKS: usize = 2;
/// Logins that may wait for a free check; more are answered 503 at once…
pub const CHECK_QUEUE: usize = 4;
/// …and how long one waits before it is answered 503.
pub const CHECK_WAIT: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug)]
struct Backoff {
    failures: u32,
    last: Instant,
}

impl Backoff {
    fn wait(&self, free: u32) -> Duration {
        if self.failures < free {
            return Duration::ZERO;
        }
        FIRST_WAIT.saturating_mul(1 << (self.failures - free).min(20)).min(MAX_WAIT)
    }
    /// How long until one more attempt is allowed (zero: now).
    fn left(&self, free: u32, now: Instant) -> Duration {
        (self.last + self.wait(free)).saturating_duration_since(now)
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        self.tokens = (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * ACCOUNT_PER_HOUR / 3600.0)
            .min(ACCOUNT_BURST);
        self.at = now;
    }
}

#[derive(Default)]
struct Counters {
    pairs: HashMap<(String, IpAddr), Backoff>,
    addresses: HashMap<IpAddr, Backoff>,
    accounts: HashMap<String, Bucket>,
}

pub struct LoginLimits {
    counters: Mutex<Counters>,
    /// Permits for the password check itself, and the logins waiting for one.
    checks: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
}

/// A reserved attempt: counted as a failure unless given back.
#[derive(Debug)]
pub struct Reservation {
    account: String,
    addr: IpAddr,
}

/// The address an attempt is counted under: IPv4 as it is, IPv6 by its /64.
fn key(ip: Option<IpAddr>) -> IpAddr {
    match ip {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        Some(v4) => v4,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

fn secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            counters: Mutex::default(),
            checks: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CHECKS)),
            waiting: AtomicUsize::new(0),
        }
    }
}

struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LoginLimits {
    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves an attempt at `account` from `ip`, or says in how many seconds one is allowed.
    pub fn reserve(&self, account: &str, ip: Option<IpAddr>) -> Result<Reservation, u64> {
        self.reserve_at(account, ip, Instant::now())
    }

    fn reserve_at(&self, account: &str, ip: Option<IpAddr>, now: Instant) -> Result<Reservation, u64> {
        let addr = key(ip);
        let account: String = account.chars().take(64).collect();
        let mut c = self.counters();
        let c = &mut *c;
        if c.pairs.len() + c.addresses.len() + c.accounts.len() >= MAX_TRACKED {
            // Drop what is idle: first for a day, then anything whose wait is over.
            for forget in [FORGET, Duration::ZERO] {
                c.pairs
                    .retain(|_, b| now.saturating_duration_since(b.last) < forget || !b.left(PAIR_FREE, now).is_zero());
                c.addresses.retain(|_, b| {
                    now.saturating_duration_since(b.last) < forget || !b.left(ADDRESS_FREE, now).is_zero()
                });
                c.accounts.retain(|_, b| {
                    let mut full = *b;
                    full.refill(now);
                    full.tokens < ACCOUNT_BURST
                });
            }
        }
        let fresh = Backoff { failures: 0, last: now };
        let forgotten = |b: Backoff| if now.saturating_duration_since(b.last) >= FORGET { fresh } else { b };
        let pair = c.pairs.get(&(account.clone(), addr)).copied().map(forgotten).unwrap_or(fresh);
        let address = c.addresses.get(&addr).copied().map(forgotten).unwrap_or(fresh);
        let mut bucket = c.accounts.get(&account).copied().unwrap_or(Bucket { tokens: ACCOUNT_BURST, at: now });
        bucket.refill(now);
        let wait = pair.left(PAIR_FREE, now).max(address.left(ADDRESS_FREE, now));
        let wait = if bucket.tokens < 1.0 {
            wait.max(Duration::from_secs_f64((1.0 - bucket.tokens) * 3600.0 / ACCOUNT_PER_HOUR))
        } else {
            wait
        };
        if !wait.is_zero() {
            return Err(secs(wait));
        }
        c.pairs.insert((account.clone(), addr), Backoff { failures: pair.failures + 1, last: now });
        c.addresses.insert(addr, Backoff { failures: address.failures + 1, last: now });
        bucket.tokens -= 1.0;
        c.accounts.insert(account.clone(), bucket);
        Ok(Reservation { account, addr })
    }

    /// A turn at the password check (hold it while checking), or `None` when too many wait.
    pub async fn check_permit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        if let Ok(p) = self.checks.clone().try_acquire_owned() {
            return Some(p);
        }
        let _queued = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= CHECK_QUEUE {
            return None;
        }
        tokio::time::timeout(CHECK_WAIT, self.checks.clone().acquire_owned()).await.ok()?.ok()
    }

    /// The password was right: the pair starts afresh, and the attempt is given back to the
    /// address and the account.
    pub fn succeeded(&self, r: Reservation) {
        let mut c = self.counters();
        c.pairs.remove(&(r.account.clone(), r.addr));
        self.give_back(&mut c, &r);
    }

    /// The attempt was refused before its password was checked: it does not count.
    pub fn cancel(&self, r: Reservation) {
        let mut c = self.counters();
        if let Some(b) = c.pairs.get_mut(&(r.account.clone(), r.addr)) {
            b.failures = b.failures.saturating_sub(1);
        }
        self.give_back(&mut c, &r);
    }

    fn give_back(&self, c: &mut Counters, r: &Reservation) {
        if let Some(b) = c.addresses.get_mut(&r.addr) {
            b.failures = b.failures.saturating_sub(1);
        }
        if let Some(b) = c.accounts.get_mut(&r.account) {
            b.tokens = (b.tokens + 1.0).min(ACCOUNT_BURST);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn five_free_failures_per_account_and_address_then_waits() {
        let l = LoginLimits::default();
        let t = Instant::now();
        for _ in 0..PAIR_FREE {
            l.reserve_at("alice", ip("203.0.113.7"), t).unwrap();
        }
        assert_eq!(l.reserve_at("alice", ip("203.0.113.7"), t).unwrap_err(), 2);
        // Another address, and another account from the same address, are not held back.
        l.reserve_at("alice", ip("203.0.113.8"), t).unwrap();
        l.reserve_at("bob", ip("203.0.113.7"), t).unwrap();
        // The wait doubles with each further failure.
        let t = t + Duration::from_secs(2);
        l.reserve_at("alice", ip("203.0.113.7"), t).unwrap();
        assert_eq!(l.reserve_at("alice", ip("203.0.113.7"), t + Duration::from_secs(3)).unwrap_err(), 1);
        l.reserve_at("alice", ip("203.0.113.7"), t + Duration::from_secs(4)).unwrap();
    }

    #[test]
    fn one_address_is_limited_over_all_accounts() {
        let l = LoginLimits::default();
        let t = Instant::now();
        for i in 0..ADDRESS_FREE {
            l.reserve_at(&format!("user{i}"), ip("2001:db8::1"), t).unwrap();
        }
        assert!(l.reserve_at("someone", ip("2001:db8::ffff"), t).is_err(), "the same /64");
        l.reserve_at("someone", ip("2001:db8:0:1::1"), t).unwrap();
    }

    #[test]
    fn a_success_clears_the_pair_and_a_cancel_gives_the_attempt_back() {
        let l = LoginLimits::default();
        let t = Instant::now();
        for _ in 0..PAIR_FREE - 1 {
            l.reserve_at("alice", ip("203.0.113.7"), t).unwrap();
        }
        let r = l.reserve_at("alice", ip("203.0.113.7"), t).unwrap();
        l.cancel(r);
        let r = l.reserve_at("alice", ip("203.0.113.7"), t).unwrap();
        l.succeeded(r);
        for _ in 0..PAIR_FREE {
            l.reserve_at("alice", ip("203.0.113.7"), t).unwrap();
        }
        assert!(l.reserve_at("alice", ip("203.0.113.7"), t).is_err());
    }

    #[test]
    fn one_address_can_never_empty_an_account() {
        // An attacker on one address who tries whenever allowed, for two days.
        let l = LoginLimits::default();
        let mut t = Instant::now();
        let end = t + Duration::from_secs(48 * 3600);
        let mut tries = 0;
        while t < end {
            match l.reserve_at("alice", ip("203.0.113.7"), t) {
                Ok(_) => tries += 1,
                Err(s) => t += Duration::from_secs(s),
            }
        }
        assert!(tries > 20, "{tries}");
        l.reserve_at("alice", ip("198.51.100.1"), t).expect("the owner, elsewhere, still gets in");
        // Many addresses together do empty it (the price of stopping a distributed guess).
        let l = LoginLimits::default();
        let t = Instant::now();
        for i in 0..ACCOUNT_BURST as u32 {
            l.reserve_at("alice", ip(&format!("10.0.{}.{}", i / 250, i % 250)), t).unwrap();
        }
        assert!(l.reserve_at("alice", ip("198.51.100.1"), t).is_err());
    }
}
