//! Sync decisions as pure functions, driven by the session's I/O loop:
//! what a live message means for the cache (next, repeat, or a gap to
//! fetch), how to catch a conversation up after a connect, and whether a
//! page read from the cache has holes to fill from the server.
//!
//! Seqs are gap-free on the server (1, 2, 3, ... per conversation, never
//! deleted; a recall replaces content), so a hole in the cache is simply a
//! run of seqs it does not have.

use ling_proto::Seq;

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
    use super::*;

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
