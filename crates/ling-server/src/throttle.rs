//! Password guessing limits: login and password-reset attempts are counted
//! per account (not per address: behind a reverse proxy every client has the
//! proxy's address), with governor's keyed GCRA limiter.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ling_proto::ErrorCode;

use crate::error::{ApiError, ApiResult};

/// Forget idle accounts' counters after this many checks.
const PRUNE_EVERY: u64 = 4096;

/// Attempts per account per minute, with a burst of the same size.
pub struct AuthThrottle {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl AuthThrottle {
    /// `n` attempts a minute per account (at least 1).
    pub fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        AuthThrottle { limiter: RateLimiter::keyed(Quota::per_minute(n)), checks: AtomicU64::new(0) }
    }

    /// Counts an attempt for `account`; `rate_limited` once they run out.
    pub fn check(&self, account: &str) -> ApiResult<()> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&account.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::new(
                ErrorCode::RateLimited,
                format!("too many attempts for this account; try again in {} s", wait.as_secs().max(1)),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_attempts_are_counted_per_account() {
        let t = AuthThrottle::per_minute(3);
        for _ in 0..3 {
            assert!(t.check("alice").is_ok());
        }
        let e = t.check("alice").unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("try again in"));
        assert!(t.check("bob").is_ok(), "another account is not affected");
    }
}
