//! A reply as it grows: its text, the frames that show it growing (each
//! new piece, and every [`SNAPSHOT_EVERY`] the whole text so far, for a
//! client that began watching in the middle), the length limit, the
//! deadlines, and how it ends. Pure: the time is passed in.

use std::time::Duration;

use ling_proto::ErrorCode;
use ling_proto::messages::ReplyEnd;
use tokio::time::Instant;

/// How often a growing reply's frame carries its whole text (offset 0)
/// instead of the new piece alone.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);

/// Why a reply stopped growing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The model finished.
    Done,
    /// Someone pressed Stop.
    Stopped,
    /// It failed with this code.
    Failed(ErrorCode),
}

/// A reply in progress.
#[derive(Debug)]
pub struct Reply {
    text: String,
    chars: u32,
    max_chars: u32,
    started: Instant,
    first_token: Duration,
    whole: Duration,
    cut: bool,
    /// When a frame last carried the whole text.
    snapshot: Instant,
}

/// What one piece of the model's text did.
#[derive(Debug, PartialEq, Eq)]
pub struct Grown {
    /// For the `assistant_stream` frame: characters before, and what was added.
    pub frame: Option<(u32, String)>,
    /// The reply reached its length limit: it ends here.
    pub full: bool,
}

impl Reply {
    /// A reply started at `started`, at most `max_chars` long, whose first
    /// words must come within `first_token` and all of it within `whole`.
    pub fn new(started: Instant, max_chars: u32, first_token: Duration, whole: Duration) -> Self {
        Reply { text: String::new(), chars: 0, max_chars, started, first_token, whole, cut: false, snapshot: started }
    }

    /// Its whole-text frames `phase` (under [`SNAPSHOT_EVERY`]) earlier in
    /// each second than another reply's: replies asked together do not all
    /// send their whole text at the same moment.
    pub fn with_phase(mut self, phase: Duration) -> Self {
        self.snapshot = self.started.checked_sub(phase.min(SNAPSHOT_EVERY)).unwrap_or(self.started);
        self
    }

    /// Adds the model's next piece of text, at `now`.
    pub fn grow(&mut self, delta: &str, now: Instant) -> Grown {
        let room = self.max_chars.saturating_sub(self.chars) as usize;
        let taken: String = delta.chars().take(room).collect();
        let n = taken.chars().count() as u32;
        let full = delta.chars().nth(room).is_some();
        self.cut |= full;
        let offset = self.chars;
        self.text.push_str(&taken);
        self.chars += n;
        let frame = (n > 0).then(|| {
            if now.duration_since(self.snapshot) >= SNAPSHOT_EVERY {
                self.snapshot = now;
                (0, self.text.clone())
            } else {
                (offset, taken)
            }
        });
        Grown { frame, full }
    }

    /// When the reply times out if nothing more comes: its first words are
    /// due by the first-token deadline, all of it by the whole one.
    pub fn deadline(&self) -> Instant {
        let whole = self.started + self.whole;
        if self.chars == 0 { whole.min(self.started + self.first_token) } else { whole }
    }

    /// The stored reply's text, end and code.
    pub fn finish(self, ending: Ending) -> (String, ReplyEnd, Option<ErrorCode>) {
        let (end, code) = match ending {
            _ if self.cut => (ReplyEnd::Cut, None),
            Ending::Done => (ReplyEnd::Finished, None),
            Ending::Stopped => (ReplyEnd::Stopped, None),
            Ending::Failed(code) => (ReplyEnd::Failed, Some(code)),
        };
        (self.text, end, code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(max: u32) -> (Reply, Instant) {
        let t0 = Instant::now();
        (Reply::new(t0, max, Duration::from_secs(5), Duration::from_secs(60)), t0)
    }

    #[test]
    fn test_frames_carry_offsets_in_characters() {
        let (mut r, t0) = reply(100);
        assert_eq!(r.grow("你好", t0), Grown { frame: Some((0, "你好".into())), full: false });
        assert_eq!(r.grow("", t0), Grown { frame: None, full: false });
        assert_eq!(r.grow(", world", t0), Grown { frame: Some((2, ", world".into())), full: false });
        assert_eq!(r.finish(Ending::Done), ("你好, world".into(), ReplyEnd::Finished, None));
    }

    #[test]
    fn test_a_phase_moves_the_whole_text_frames_within_the_second() {
        let t0 = Instant::now() + Duration::from_secs(5);
        let mut r =
            Reply::new(t0, 100, Duration::from_secs(5), Duration::from_secs(60)).with_phase(Duration::from_millis(300));
        assert_eq!(r.grow("a", t0 + Duration::from_millis(600)).frame, Some((0, "a".into())), "first piece");
        assert_eq!(r.grow("b", t0 + Duration::from_millis(700)).frame, Some((0, "ab".into())), "due at 700 ms");
        assert_eq!(r.grow("c", t0 + Duration::from_millis(800)).frame, Some((2, "c".into())));
    }

    #[test]
    fn test_every_second_a_frame_carries_the_whole_text() {
        let (mut r, t0) = reply(100);
        assert_eq!(r.grow("one ", t0).frame, Some((0, "one ".into())));
        assert_eq!(r.grow("two ", t0 + Duration::from_millis(500)).frame, Some((4, "two ".into())));
        assert_eq!(r.grow("three ", t0 + SNAPSHOT_EVERY).frame, Some((0, "one two three ".into())), "caught up");
        assert_eq!(r.grow("four", t0 + SNAPSHOT_EVERY + Duration::from_millis(10)).frame, Some((14, "four".into())));
    }

    #[test]
    fn test_the_length_limit_cuts_and_ends_the_reply() {
        let (mut r, t0) = reply(5);
        assert!(!r.grow("abc", t0).full);
        assert_eq!(r.grow("defg", t0), Grown { frame: Some((3, "de".into())), full: true });
        assert_eq!(r.finish(Ending::Done), ("abcde".into(), ReplyEnd::Cut, None));
        // Exactly at the limit is not cut.
        let (mut r, t0) = reply(3);
        assert!(!r.grow("abc", t0).full);
        assert_eq!(r.finish(Ending::Done).1, ReplyEnd::Finished);
    }

    #[test]
    fn test_the_first_token_deadline_holds_until_words_come() {
        let (mut r, t0) = reply(100);
        assert_eq!(r.deadline(), t0 + Duration::from_secs(5));
        r.grow("x", t0);
        assert_eq!(r.deadline(), t0 + Duration::from_secs(60));
        let short = Reply::new(t0, 10, Duration::from_secs(90), Duration::from_secs(60));
        assert_eq!(short.deadline(), t0 + Duration::from_secs(60), "never past the whole reply's");
    }

    #[test]
    fn test_stops_and_failures_keep_the_text() {
        let (mut r, t0) = reply(100);
        r.grow("partial", t0);
        assert_eq!(r.finish(Ending::Stopped), ("partial".into(), ReplyEnd::Stopped, None));
        let (mut r, t0) = reply(100);
        r.grow("par", t0);
        assert_eq!(
            r.finish(Ending::Failed(ErrorCode::AssistantInterrupted)),
            ("par".into(), ReplyEnd::Failed, Some(ErrorCode::AssistantInterrupted))
        );
    }
}
