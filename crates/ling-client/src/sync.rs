//! Sync decisions as pure functions, driven by the session's I/O loop:
//! what a live message means for the cache (next, repeat, or a gap to
//! fetch, which runs off the frame loop while that conversation's later
//! messages wait for it: [`Fills`]), how to catch a conversation up after a
//! connect, and whether a page read from the cache has holes to fill from
//! the server.
//!
//! Seqs are gap-free on the server (1, 2, 3, ... per conversation, never
//! deleted; a recall replaces content), so a hole in the cache is simply a
//! run of seqs it does not have.

use std::collections::HashMap;

use ling_proto::messages::Message;
use ling_proto::{ConversationId, Seq};

/// At most this many messages are fetched eagerly per conversation after a
/// connect; beyond that only the newest page is, and older ones are fetched
/// when scrolled to (a week away from a busy group must not stall the start).
pub const EAGER_CATCH_UP: Seq = 2_000;

/// Page size for catch-up requests (the server's maximum).
pub const CATCH_UP_PAGE: u32 = 200;

/// What a message pushed live means, given the newest seq cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// The next one (or an older one filling a hole): store it.
    Store,
    /// Past the newest by more than one: fetch `after` .. `seq` first.
    Gap {
        /// The newest seq cached; fetch from after it.
        after: Seq,
    },
}

/// Classifies a live message with `seq` when the cache's newest is `have`.
pub fn classify_live(have: Seq, seq: Seq) -> Live {
    if seq > have + 1 && have > 0 { Live::Gap { after: have } } else { Live::Store }
}

/// What to do with a live message, given the gap fills under way.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveStep {
    /// Store it now.
    Store(Message),
    /// Fill first, off the frame loop (list a new conversation; fetch the
    /// messages after `after` when there is a gap), then store it and the
    /// ones that waited for the fill ([`Fills::next`]).
    Fill {
        /// The conversation is not listed yet.
        list: bool,
        /// Fetch from after this seq up to the message's.
        after: Option<Seq>,
        /// The message.
        message: Message,
    },
    /// A fill of its conversation is under way: it waits for it (stored in
    /// order once the fill is done).
    Wait,
}

/// The gap fills under way, per conversation, and the live messages that
/// wait for each. The frame loop asks it what to do with each message; the
/// fill asks it for what waited until nothing does.
#[derive(Debug, Default)]
pub struct Fills {
    waiting: HashMap<ConversationId, Vec<Message>>,
}

impl Fills {
    /// A live message for a conversation the cache knows (`known`) up to
    /// seq `have`.
    pub fn on_live(&mut self, known: bool, have: Seq, message: Message) -> LiveStep {
        if let Some(waiting) = self.waiting.get_mut(&message.conversation_id) {
            waiting.push(message);
            return LiveStep::Wait;
        }
        let after = match classify_live(have, message.seq) {
            Live::Gap { after } => Some(after),
            Live::Store => None,
        };
        if known && after.is_none() {
            return LiveStep::Store(message);
        }
        self.waiting.insert(message.conversation_id, Vec::new());
        LiveStep::Fill { list: !known, after, message }
    }

    /// What waited for the fill of `conversation_id`, in arrival order; once
    /// nothing did, the fill is over (the next live message is stored at once).
    pub fn next(&mut self, conversation_id: ConversationId) -> Vec<Message> {
        let waited = self.waiting.get_mut(&conversation_id).map(std::mem::take).unwrap_or_default();
        if waited.is_empty() {
            self.waiting.remove(&conversation_id);
        }
        waited
    }
}

/// How to catch one conversation up after a connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// The cache has everything up to the server's last seq.
    Nothing,
    /// Fetch every page after this seq.
    After(Seq),
    /// Too far behind (or never read): fetch only the newest page; the rest
    /// is fetched when read.
    Newest,
}

/// Plans catch-up for a conversation whose newest cached seq is `have` and
/// whose last seq on the server is `last`.
pub fn plan_catch_up(have: Seq, last: Seq) -> CatchUp {
    if have >= last {
        CatchUp::Nothing
    } else if have > 0 && last - have <= EAGER_CATCH_UP {
        CatchUp::After(have)
    } else if have == 0 && last <= Seq::from(CATCH_UP_PAGE) {
        CatchUp::After(0)
    } else {
        CatchUp::Newest
    }
}

/// Whether a page read from the cache, asked as "up to `count` messages with
/// seq below `before`", is complete. `cached` are the seqs it returned,
/// newest first. Complete means consecutive from `before - 1` down, and
/// either `count` long or reaching seq 1.
pub fn page_is_complete(before: Seq, count: u32, cached: &[Seq]) -> bool {
    let want = (before - 1).clamp(0, Seq::from(count));
    if cached.len() as Seq != want {
        return false;
    }
    cached.iter().enumerate().all(|(i, &s)| s == before - 1 - i as Seq)
}

#[cfg(test)]
mod tests {
    use ling_proto::messages::MessageContent;

    use super::*;

    fn live(conversation_id: ConversationId, seq: Seq) -> Message {
        Message {
            conversation_id,
            seq,
            sender_id: 2,
            client_msg_id: String::new(),
            send_time: seq,
            content: MessageContent::text(format!("m{seq}")),
            reply_to: None,
            changes: Default::default(),
            forwarded: false,
            mentions: Default::default(),
        }
    }

    #[test]
    fn test_a_gap_is_filled_off_the_loop_while_later_messages_wait_in_order() {
        let mut fills = Fills::default();
        assert_eq!(fills.on_live(true, 5, live(1, 6)), LiveStep::Store(live(1, 6)));
        // A gap: fill, and what comes for that conversation meanwhile waits.
        assert_eq!(
            fills.on_live(true, 6, live(1, 9)),
            LiveStep::Fill { list: false, after: Some(6), message: live(1, 9) }
        );
        assert_eq!(fills.on_live(true, 6, live(1, 10)), LiveStep::Wait);
        // Another conversation is not held up.
        assert_eq!(fills.on_live(true, 3, live(2, 4)), LiveStep::Store(live(2, 4)));
        assert_eq!(fills.on_live(true, 6, live(1, 11)), LiveStep::Wait);
        assert_eq!(fills.next(1), [live(1, 10), live(1, 11)]);
        assert_eq!(fills.on_live(true, 9, live(1, 12)), LiveStep::Wait, "still filling until nothing waits");
        assert_eq!(fills.next(1), [live(1, 12)]);
        assert!(fills.next(1).is_empty());
        assert_eq!(fills.on_live(true, 12, live(1, 13)), LiveStep::Store(live(1, 13)), "the fill is over");
    }

    #[test]
    fn test_a_message_in_a_conversation_not_listed_lists_it_first() {
        let mut fills = Fills::default();
        assert_eq!(
            fills.on_live(false, 0, live(7, 1)),
            LiveStep::Fill { list: true, after: None, message: live(7, 1) }
        );
        assert_eq!(fills.on_live(false, 0, live(7, 2)), LiveStep::Wait);
        assert_eq!(fills.next(7), [live(7, 2)]);
    }

    #[test]
    fn test_a_live_message_past_the_next_seq_is_a_gap() {
        assert_eq!(classify_live(5, 6), Live::Store);
        assert_eq!(classify_live(5, 9), Live::Gap { after: 5 });
        assert_eq!(classify_live(5, 5), Live::Store, "a repeat is stored idempotently");
        assert_eq!(classify_live(5, 3), Live::Store, "an older one fills a hole");
        assert_eq!(classify_live(0, 40), Live::Store, "nothing cached yet: older history is fetched when read");
    }

    #[test]
    fn test_catch_up_fetches_small_backlogs_whole_and_large_ones_newest_first() {
        assert_eq!(plan_catch_up(10, 10), CatchUp::Nothing);
        assert_eq!(plan_catch_up(12, 10), CatchUp::Nothing, "ahead of a stale list");
        assert_eq!(plan_catch_up(10, 50), CatchUp::After(10));
        assert_eq!(plan_catch_up(0, 150), CatchUp::After(0), "a short new conversation whole");
        assert_eq!(plan_catch_up(0, 5_000), CatchUp::Newest);
        assert_eq!(plan_catch_up(10, 10 + EAGER_CATCH_UP + 1), CatchUp::Newest);
    }

    #[test]
    fn test_a_cached_page_with_a_hole_or_short_of_seq_1_is_incomplete() {
        assert!(page_is_complete(11, 3, &[10, 9, 8]));
        assert!(page_is_complete(4, 10, &[3, 2, 1]), "reaches the first message");
        assert!(page_is_complete(1, 10, &[]), "nothing before the first");
        assert!(!page_is_complete(11, 3, &[10, 8, 7]), "a hole");
        assert!(!page_is_complete(11, 3, &[9, 8, 7]), "the newest is missing");
        assert!(!page_is_complete(11, 3, &[10, 9]), "short, and seq 1 not reached");
        assert!(!page_is_complete(11, 3, &[]));
    }
}
