//! Rate limits, with governor's keyed GCRA limiters.
//!
//! Password guessing (login and recovery-code resets) is slowed three ways,
//! so that an attacker is slowed without locking the owner out:
//! - per address and account: `auth_attempts_per_minute` (10) tries at one
//!   account from one address. Before (2026-11) this was per account alone,
//!   so anyone who knew a username could lock its owner out with ten wrong
//!   passwords.
//! - per address: `auth_attempts_per_address_per_minute` (30) tries from one
//!   address at any accounts (spraying one guess at each of many accounts).
//! - per account, for addresses the account never logged in from:
//!   `auth_failures_per_account_per_hour` (100) failures from such addresses;
//!   once they run out, only addresses the account has logged in from since
//!   the server started may try until the allowance refills (a distributed
//!   guess at one account). The owner at home keeps logging in.
//!
//! Registration is limited per address (`registrations_per_hour`). An IPv6
//! address counts by its /64 (one host is given a whole /64). Behind a reverse
//! proxy, addresses come from `X-Forwarded-For` (see `extract::ClientAddr`).
//! Limits live in memory: a restart forgets them, and the known addresses.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ling_proto::{ConversationId, ErrorCode, UserId};
use parking_lot::Mutex;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};

/// Forget idle keys' counters after this many checks.
const PRUNE_EVERY: u64 = 4096;
/// Addresses remembered per account as ones it logged in from.
const KNOWN_ADDRESSES: usize = 8;

pub(crate) type Keyed<K, C> = RateLimiter<K, DefaultKeyedStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

pub(crate) fn keyed<K: std::hash::Hash + Eq + Clone, C: Clock + Clone>(quota: Quota, clock: &C) -> Keyed<K, C> {
    RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone())
}

pub(crate) fn per(n: u32, period: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period / n.get()).unwrap_or_else(|| Quota::per_second(n)).allow_burst(n)
}

/// The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 too),
/// IPv6 by its /64.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The password-guessing and registration limits (see the module doc).
pub struct AuthThrottle<C: Clock = DefaultClock> {
    clock: C,
    per_account_address: Keyed<(String, IpAddr), C>,
    per_address: Keyed<IpAddr, C>,
    failures: Keyed<String, C>,
    /// Accounts whose failure allowance ran out, until when.
    locked: Mutex<HashMap<String, C::Instant>>,
    /// Addresses each account logged in from, newest last.
    known: Mutex<HashMap<String, VecDeque<IpAddr>>>,
    registrations: Keyed<IpAddr, C>,
    checks: AtomicU64,
}

impl AuthThrottle {
    /// The limits `config` sets, on the system clock.
    pub fn new(config: &Config) -> Self {
        Self::with_clock(config, DefaultClock::default())
    }
}

impl<C: Clock + Clone> AuthThrottle<C> {
    /// The limits `config` sets, on `clock`.
    pub fn with_clock(config: &Config, clock: C) -> Self {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        AuthThrottle {
            per_account_address: keyed(per(config.auth_attempts_per_minute, minute), &clock),
            per_address: keyed(per(config.auth_attempts_per_address_per_minute, minute), &clock),
            failures: keyed(per(config.auth_failures_per_account_per_hour, hour), &clock),
            registrations: keyed(per(config.registrations_per_hour, hour), &clock),
            locked: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
            clock,
        }
    }

    fn limited(&self, what: &str, wait: Duration) -> ApiError {
        ApiError::new(ErrorCode::RateLimited, format!("{what}; try again in {} s", wait.as_secs().max(1)))
    }

    fn prune(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.per_account_address.retain_recent();
            self.per_address.retain_recent();
            self.failures.retain_recent();
            self.registrations.retain_recent();
            let now = self.clock.now();
            self.locked.lock().retain(|_, until| *until > now);
        }
    }

    fn is_known(&self, account: &str, addr: IpAddr) -> bool {
        self.known.lock().get(account).is_some_and(|list| list.contains(&addr))
    }

    /// Counts an attempt at `account`'s password (or recovery code) from
    /// `addr`; `rate_limited` if one of the limits says no.
    pub fn attempt(&self, account: &str, addr: IpAddr) -> ApiResult<()> {
        self.prune();
        let addr = address_key(addr);
        let now = self.clock.now();
        self.per_address
            .check_key(&addr)
            .map_err(|n| self.limited("too many login attempts from your address", n.wait_time_from(now)))?;
        self.per_account_address
            .check_key(&(account.to_owned(), addr))
            .map_err(|n| self.limited("too many attempts for this account", n.wait_time_from(now)))?;
        if let Some(until) = self.locked.lock().get(account).copied()
            && until > now
            && !self.is_known(account, addr)
        {
            let wait = Duration::from(until.duration_since(now));
            return Err(self.limited(
                "this account is being guessed at; only devices that logged in to it before may try now",
                wait,
            ));
        }
        Ok(())
    }

    /// Records a wrong password (or code) from `addr`.
    pub fn failed(&self, account: &str, addr: IpAddr) {
        let addr = address_key(addr);
        if self.is_known(account, addr) {
            return;
        }
        if let Err(not_until) = self.failures.check_key(&account.to_owned()) {
            tracing::warn!(account, "failed logins from unknown addresses ran out; locking them out");
            self.locked.lock().insert(account.to_owned(), not_until.earliest_possible());
        }
    }

    /// Records a successful login from `addr`: it is a known address of the account.
    pub fn succeeded(&self, account: &str, addr: IpAddr) {
        let addr = address_key(addr);
        let mut known = self.known.lock();
        let list = known.entry(account.to_owned()).or_default();
        list.retain(|a| *a != addr);
        list.push_back(addr);
        if list.len() > KNOWN_ADDRESSES {
            list.pop_front();
        }
    }

    /// Counts a registration from `addr`; `rate_limited` past the hourly limit.
    pub fn register(&self, addr: IpAddr) -> ApiResult<()> {
        self.prune();
        let now = self.clock.now();
        self.registrations
            .check_key(&address_key(addr))
            .map_err(|n| self.limited("too many new accounts from your address", n.wait_time_from(now)))
    }
}

/// How often one sender's `typing` in one conversation is relayed, at most.
pub const TYPING_RELAY_EVERY: Duration = Duration::from_secs(3);

/// Relays at most one `typing` per [`TYPING_RELAY_EVERY`] per sender and
/// conversation; the rest are dropped, so a flood from one member costs the
/// others nothing (before, 10,000 frames reached every member one for one).
pub struct TypingThrottle {
    limiter: DefaultKeyedRateLimiter<(UserId, ConversationId)>,
    checks: AtomicU64,
}

impl Default for TypingThrottle {
    fn default() -> Self {
        let quota = Quota::with_period(TYPING_RELAY_EVERY).expect("a non-zero period");
        TypingThrottle { limiter: RateLimiter::keyed(quota), checks: AtomicU64::new(0) }
    }
}

impl TypingThrottle {
    /// Whether this `typing` is to be relayed (and counted).
    pub fn allow(&self, user: UserId, conversation: ConversationId) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&(user, conversation)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn throttle() -> (AuthThrottle<FakeRelativeClock>, FakeRelativeClock) {
        let mut config = Config::for_data_dir("unused");
        config.auth_attempts_per_minute = 3;
        config.auth_attempts_per_address_per_minute = 5;
        config.auth_failures_per_account_per_hour = 4;
        config.registrations_per_hour = 2;
        let clock = FakeRelativeClock::default();
        (AuthThrottle::with_clock(&config, clock.clone()), clock)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn test_an_attacker_guessing_from_one_address_does_not_lock_the_owner_out() {
        let (t, _) = throttle();
        let (attacker, owner) = (ip("203.0.113.9"), ip("198.51.100.7"));
        for _ in 0..3 {
            t.attempt("alice", attacker).unwrap();
            t.failed("alice", attacker);
        }
        let e = t.attempt("alice", attacker).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("try again in"), "{}", e.message);
        assert!(t.attempt("alice", owner).is_ok(), "the owner elsewhere still gets in");
    }

    #[test]
    fn test_spraying_one_guess_at_many_accounts_is_limited_per_address() {
        let (t, clock) = throttle();
        let attacker = ip("203.0.113.9");
        for n in 0..5 {
            t.attempt(&format!("user{n}"), attacker).unwrap();
        }
        assert_eq!(t.attempt("user5", attacker).unwrap_err().code, ErrorCode::RateLimited);
        assert!(t.attempt("user5", ip("203.0.113.10")).is_ok(), "another address is not affected");
        clock.advance(Duration::from_secs(60));
        assert!(t.attempt("user6", attacker).is_ok(), "the allowance refills");
    }

    #[test]
    fn test_a_distributed_guess_at_one_account_leaves_its_known_addresses_in() {
        let (t, clock) = throttle();
        let home = ip("198.51.100.7");
        t.attempt("alice", home).unwrap();
        t.succeeded("alice", home);
        // Failures from many addresses, one each, run out the account's allowance...
        for n in 0..5 {
            let bot = ip(&format!("203.0.113.{n}"));
            t.attempt("alice", bot).unwrap();
            t.failed("alice", bot);
        }
        // ...so further unknown addresses are refused, whatever the password,
        assert_eq!(t.attempt("alice", ip("203.0.113.99")).unwrap_err().code, ErrorCode::RateLimited);
        // but the owner's address is not, and the owner's own typos do not count.
        t.attempt("alice", home).unwrap();
        t.failed("alice", home);
        assert!(t.attempt("alice", home).is_ok());
        // Other accounts are not affected; after the hour the lock lifts.
        assert!(t.attempt("bob", ip("203.0.113.99")).is_ok());
        clock.advance(Duration::from_secs(3600));
        assert!(t.attempt("alice", ip("203.0.113.98")).is_ok());
    }

    #[test]
    fn test_registrations_are_limited_per_address_and_ipv6_counts_by_its_64() {
        let (t, _) = throttle();
        t.register(ip("2001:db8:1:2::1")).unwrap();
        t.register(ip("2001:db8:1:2::ffff")).unwrap();
        assert_eq!(t.register(ip("2001:db8:1:2:abcd::9")).unwrap_err().code, ErrorCode::RateLimited);
        assert!(t.register(ip("2001:db8:1:3::1")).is_ok(), "another /64");
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn test_typing_is_relayed_once_per_period_per_sender_and_conversation() {
        let t = TypingThrottle::default();
        assert!(t.allow(1, 10));
        assert!(!t.allow(1, 10), "a second within the period is dropped");
        assert!(t.allow(1, 11), "another conversation has its own allowance");
        assert!(t.allow(2, 10), "another sender has their own");
    }
}
