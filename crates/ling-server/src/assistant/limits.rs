//! Who may ask the assistant now: replies running per person and on the
//! whole server, questions per person per minute. Refusals are codes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use ling_proto::{ErrorCode, UserId};
use parking_lot::Mutex;

use crate::throttle::{Keyed, keyed, per};

/// The limits, shared by every reply.
pub struct Limits<C: Clock = DefaultClock> {
    per_person: u32,
    total: u32,
    running: Mutex<Running>,
    questions: Keyed<UserId, C>,
}

#[derive(Default)]
struct Running {
    by: HashMap<UserId, u32>,
    total: u32,
}

/// A reply's place among the running ones, given back when dropped.
pub struct Slot<C: Clock = DefaultClock> {
    limits: Arc<Limits<C>>,
    who: UserId,
}

impl<C: Clock> Drop for Slot<C> {
    fn drop(&mut self) {
        let mut running = self.limits.running.lock();
        running.total = running.total.saturating_sub(1);
        if let Some(n) = running.by.get_mut(&self.who) {
            *n -= 1;
            if *n == 0 {
                running.by.remove(&self.who);
            }
        }
    }
}

impl Limits<DefaultClock> {
    /// `per_person` and `total` replies at once, `per_minute` questions a person.
    pub fn new(per_person: u32, total: u32, per_minute: u32) -> Self {
        Self::with_clock(per_person, total, per_minute, &DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limits<C> {
    /// With a clock of the caller's (tests).
    pub fn with_clock(per_person: u32, total: u32, per_minute: u32, clock: &C) -> Self {
        Limits {
            per_person: per_person.max(1),
            total: total.max(1),
            running: Mutex::default(),
            questions: keyed(per(per_minute, Duration::from_secs(60)), clock),
        }
    }

    /// A slot for a reply to `who`, or why not. A refusal for too many
    /// running replies does not count as a question.
    pub fn admit(self: &Arc<Self>, who: UserId) -> Result<Slot<C>, ErrorCode> {
        let mut running = self.running.lock();
        let mine = running.by.get(&who).copied().unwrap_or(0);
        if mine >= self.per_person || running.total >= self.total {
            return Err(ErrorCode::AssistantBusy);
        }
        if self.questions.check_key(&who).is_err() {
            return Err(ErrorCode::AssistantRequestLimit);
        }
        running.by.insert(who, mine + 1);
        running.total += 1;
        Ok(Slot { limits: self.clone(), who })
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn test_running_replies_per_person_and_in_all() {
        let limits = Arc::new(Limits::with_clock(2, 3, 100, &FakeRelativeClock::default()));
        let a1 = limits.admit(1).unwrap();
        let _a2 = limits.admit(1).unwrap();
        assert_eq!(limits.admit(1).err(), Some(ErrorCode::AssistantBusy));
        let _b1 = limits.admit(2).unwrap();
        assert_eq!(limits.admit(3).err(), Some(ErrorCode::AssistantBusy), "the server's total");
        drop(a1);
        assert!(limits.admit(1).is_ok(), "a finished reply frees its place");
    }

    #[test]
    fn test_questions_per_minute_refill_with_time() {
        let clock = FakeRelativeClock::default();
        let limits = Arc::new(Limits::with_clock(10, 10, 2, &clock));
        drop(limits.admit(1).unwrap());
        drop(limits.admit(1).unwrap());
        assert_eq!(limits.admit(1).err(), Some(ErrorCode::AssistantRequestLimit));
        assert!(limits.admit(2).is_ok(), "counted per person");
        clock.advance(Duration::from_secs(30));
        assert!(limits.admit(1).is_ok(), "one more every 30 s");
    }
}
