//! Reconnect delays: exponential with jitter, so a server restart is not met by
//! every client at the same instant. Pure: the random part is passed in.

use std::time::Duration;

/// Delays between reconnect attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Default for Backoff {
    /// 0.5 s doubling up to 30 s.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl Backoff {
    /// Delays start near `base` and double up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff { base, max: max.max(base), attempt: 0 }
    }

    /// The next delay, given a uniform random number in `[0, 1)`: half the
    /// current ceiling plus a random share of the other half ("equal jitter").
    pub fn next_with(&mut self, random: f64) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }

    /// The next delay with a random jitter.
    pub fn next_delay(&mut self) -> Duration {
        self.next_with(rand::random::<f64>())
    }

    /// After a connection that worked: start again from `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    fn ceiling(&self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(20));
        self.base.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_delays_double_until_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(8));
        let ceilings: Vec<u128> = (0..7).map(|_| b.next_with(1.0).as_millis()).collect();
        assert_eq!(ceilings, vec![500, 1000, 2000, 4000, 8000, 8000, 8000]);
    }

    #[test]
    fn test_jitter_stays_within_the_upper_half() {
        let mut low = Backoff::new(Duration::from_secs(2), Duration::from_secs(60));
        let mut high = low.clone();
        assert_eq!(low.next_with(0.0), Duration::from_secs(1));
        assert_eq!(high.next_with(0.999_999).as_millis(), 1999);
        let mut any = Backoff::default();
        for _ in 0..100 {
            let d = any.next_delay();
            assert!(d <= Duration::from_secs(30));
        }
    }

    #[test]
    fn test_reset_starts_over_and_many_attempts_do_not_overflow() {
        let mut b = Backoff::default();
        for _ in 0..1000 {
            b.next_with(0.5);
        }
        assert_eq!(b.next_with(1.0), Duration::from_secs(30));
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_with(1.0), Duration::from_millis(500));
    }
}
