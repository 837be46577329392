//! The timeline's folding, with no server: every change's diffs, applied to
//! a copy of the rows, must give what folding everything afresh gives.

use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use ling_proto::messages::{CallMedia, CallOutcome, MessageContent, SystemEvent};
use ling_proto::{Millis, Seq, UserId};
use rand::{Rng, SeedableRng};

use super::*;
use crate::cache::SendStatus;
use crate::rows::apply_diff;

const ME: UserId = 1;
const PEER: UserId = 2;
const MIN: Millis = 60_000;
const DAY: Millis = 86_400_000;
/// Noon, some day.
const T0: Millis = 20_000 * DAY + 12 * 60 * MIN;

fn text(seq: Seq, sender: UserId, time: Millis, body: &str) -> CachedMessage {
    CachedMessage {
        conversation_id: 7,
        seq: Some(seq),
        client_msg_id: Some(format!("id{seq}")),
        sender_id: sender,
        send_time: time,
        status: SendStatus::Sent,
        error_code: None,
        content: MessageContent::text(body),
        reply_to: None,
        changes: Default::default(),
        forwarded: false,
        hidden: false,
        mentions: Default::default(),
    }
}

fn pending(id: &str, time: Millis, body: &str) -> CachedMessage {
    CachedMessage {
        seq: None,
        client_msg_id: Some(id.into()),
        sender_id: ME,
        status: SendStatus::Sending,
        ..text(0, ME, time, body)
    }
}

fn timeline(read_seq: Option<Seq>) -> Timeline {
    Timeline::new(ME, read_seq, Arc::new(FixedCalendar(0)))
}

/// The rows as folding everything at once gives them: the reference the
/// incremental folding is held to (the shape the UI's `buildRows` had).
fn folded(t: &Timeline) -> Vec<TimelineItem> {
    let cal = FixedCalendar(0);
    let list: Vec<&CachedMessage> = t.messages.values().collect();
    let unread: Vec<&&CachedMessage> = match t.read_seq {
        Some(r) => list.iter().filter(|m| m.seq.is_some_and(|s| s > r) && m.sender_id != ME).collect(),
        None => Vec::new(),
    };
    let joins = |a: Option<&&CachedMessage>, b: Option<&&CachedMessage>| match (a, b) {
        (Some(a), Some(b)) => {
            a.sender_id == b.sender_id
                && groupable(a)
                && groupable(b)
                && (b.send_time - a.send_time).abs() < GROUP_GAP_MS
                && cal.day(a.send_time) == cal.day(b.send_time)
        }
        _ => false,
    };
    let mut rows = Vec::new();
    let mut last_day = None;
    let mut marked = false;
    for (i, m) in list.iter().enumerate() {
        let day = cal.day(m.send_time);
        if last_day != Some(day) {
            rows.push(TimelineItem::day(m.send_time, day));
            last_day = Some(day);
        }
        if !marked && !unread.is_empty() && std::ptr::eq(*unread[0], *m) {
            rows.push(TimelineItem::unread(unread.len() as u32));
            marked = true;
        }
        let prev = i.checked_sub(1).and_then(|j| list.get(j));
        rows.push(TimelineItem::Message(Arc::new(MessageItem {
            key: item::message_key(m),
            message: (*m).clone(),
            first_of_group: !joins(prev, Some(m)),
            last_of_group: !joins(Some(m), list.get(i + 1)),
            reactions: relations::reaction_counts(&m.changes),
        })));
    }
    rows
}

/// Watches a timeline's diffs and checks them against it.
struct Watch {
    rows: Vec<TimelineItem>,
    stream: eyeball_im::VectorSubscriberBatchedStream<TimelineItem>,
}

impl Watch {
    fn new(t: &Timeline) -> Watch {
        let (rows, stream) = t.subscribe();
        Watch { rows, stream }
    }

    /// The diffs since the last call, applied; asserts they lead to the
    /// timeline's rows and that those are what folding afresh gives.
    fn diffs(&mut self, t: &Timeline) -> Vec<VectorDiff<TimelineItem>> {
        let mut all = Vec::new();
        while let Some(Some(batch)) = self.stream.next().now_or_never() {
            all.extend(batch);
        }
        for d in all.clone() {
            apply_diff(&mut self.rows, d);
        }
        assert_eq!(self.rows, t.items(), "the diffs lead to the rows");
        assert_eq!(t.items(), folded(t), "the rows are the fold of the messages");
        all
    }
}

fn kinds(rows: &[TimelineItem]) -> Vec<String> {
    rows.iter()
        .map(|r| match r {
            TimelineItem::Day { .. } => "day".to_owned(),
            TimelineItem::Unread { count, .. } => format!("new {count}"),
            TimelineItem::Message(m) => {
                let edge = match (m.first_of_group, m.last_of_group) {
                    (true, true) => "",
                    (true, false) => " first",
                    (false, false) => " middle",
                    (false, true) => " last",
                };
                format!("{}{edge}", m.key)
            }
        })
        .collect()
}

#[test]
fn test_a_page_folds_into_days_groups_and_the_unread_marker() {
    let mut t = timeline(Some(2));
    t.reset([
        text(1, ME, T0, "a"),
        text(2, ME, T0 + MIN / 2, "b"),
        text(3, PEER, T0 + MIN, "c"),
        text(4, PEER, T0 + MIN + 1000, "d"),
        // Next day.
        text(5, PEER, T0 + DAY, "e"),
        CachedMessage {
            content: MessageContent::System { event: SystemEvent::GroupCreated { by: PEER, name: "g".into() } },
            ..text(6, PEER, T0 + DAY + 1000, "")
        },
    ]);
    assert_eq!(
        kinds(&t.items()),
        ["day", "c:id1 first", "c:id2 last", "new 4", "c:id3 first", "c:id4 last", "day", "c:id5", "c:id6"]
    );
    assert_eq!(t.items(), folded(&t));
    assert_eq!((t.first_seq(), t.last_seq()), (Some(1), Some(6)));
}

#[test]
fn test_a_live_message_is_one_insert_and_one_edge_set() {
    let mut t = timeline(None);
    t.reset((1..=3).map(|s| text(s, PEER, T0 + s * 1000, "x")));
    let mut w = Watch::new(&t);
    t.upsert([text(4, PEER, T0 + 4000, "y")]);
    let diffs = w.diffs(&t);
    // The new row, and the one before it no longer ends the group.
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert!(matches!(&diffs[..], [VectorDiff::Set { index: 3, .. }, VectorDiff::Insert { index: 4, .. }]), "{diffs:?}");
    // The same message again changes nothing.
    t.upsert([text(4, PEER, T0 + 4000, "y")]);
    assert!(w.diffs(&t).is_empty());
}

#[test]
fn test_a_local_echo_keeps_its_row_when_its_ack_arrives() {
    let mut t = timeline(None);
    t.reset([text(1, PEER, T0, "hi")]);
    let mut w = Watch::new(&t);
    t.upsert([pending("mine", T0 + 1000, "hello")]);
    assert_eq!(kinds(&w.rows), ["day", "c:id1"]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "c:mine"]);
    // Acked: the same key, in the same place, now with its seq.
    let sent =
        CachedMessage { seq: Some(2), status: SendStatus::Sent, send_time: T0 + 900, ..pending("mine", 0, "hello") };
    t.upsert([sent]);
    let diffs = w.diffs(&t);
    assert!(matches!(&diffs[..], [VectorDiff::Set { index: 2, .. }]), "one data-carrying diff: {diffs:?}");
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "c:mine"]);
    assert!(t.unsent.is_empty());
}

#[test]
fn test_an_echo_overtaken_by_a_message_moves_to_its_seq() {
    let mut t = timeline(None);
    t.reset([text(1, PEER, T0, "a")]);
    let mut w = Watch::new(&t);
    t.upsert([pending("mine", T0 + 1000, "b")]);
    // The peer's message arrives first, with seq 3: sent messages come before unsent ones.
    t.upsert([text(3, PEER, T0 + 2000, "c")]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:id3 last", "c:mine"]);
    // Ours was seq 2 on the server.
    t.upsert([CachedMessage { seq: Some(2), status: SendStatus::Sent, ..pending("mine", T0 + 1000, "b") }]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "c:mine", "c:id3"]);
}

#[test]
fn test_a_failed_send_and_its_retry_update_the_echo_in_place() {
    let mut t = timeline(None);
    let mut w = Watch::new(&t);
    t.upsert([pending("p", T0, "x")]);
    t.upsert([CachedMessage {
        status: SendStatus::Failed,
        error_code: Some("rate_limited".into()),
        ..pending("p", T0, "x")
    }]);
    let diffs = w.diffs(&t);
    assert!(matches!(diffs.last(), Some(VectorDiff::Set { index: 1, .. })), "{diffs:?}");
    let row = t.items()[1].as_message().unwrap().clone();
    assert_eq!((row.message.status, row.message.error_code.as_deref()), (SendStatus::Failed, Some("rate_limited")));
}

#[test]
fn test_a_discarded_message_leaves_and_its_neighbours_regroup() {
    let mut t = timeline(None);
    t.reset([text(1, ME, T0, "a")]);
    let mut w = Watch::new(&t);
    t.upsert([pending("up", T0 + 1000, "file"), pending("after", T0 + 2000, "b")]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:up middle", "c:after last"]);
    t.remove_unsent("up");
    let diffs = w.diffs(&t);
    assert!(diffs.iter().any(|d| matches!(d, VectorDiff::Remove { index: 2 })), "{diffs:?}");
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:after last"]);
    // Once more, or a message the timeline never had: nothing.
    t.remove_unsent("up");
    t.remove_unsent("never");
    assert!(w.diffs(&t).is_empty());
    assert!(!t.unsent.contains_key("up"));
}

#[test]
fn test_a_recall_replaces_the_content_and_splits_the_group() {
    let mut t = timeline(None);
    t.reset((1..=3).map(|s| text(s, PEER, T0 + s * 1000, "x")));
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:id2 middle", "c:id3 last"]);
    let mut w = Watch::new(&t);
    t.recall(2);
    let diffs = w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "c:id2", "c:id3"]);
    assert!(diffs.iter().all(|d| matches!(d, VectorDiff::Set { .. })), "{diffs:?}");
    assert_eq!(t.items()[2].as_message().unwrap().message.content, MessageContent::Recalled);
    t.recall(2);
    t.recall(99);
    assert!(w.diffs(&t).is_empty(), "nothing twice, nothing unknown");
    // The server's note of the recall adds no row: the recalled one says it.
    let note = CachedMessage {
        content: MessageContent::System { event: SystemEvent::MessageRecalled { by: PEER, seq: 2 } },
        ..text(4, PEER, T0 + 4_000, "")
    };
    t.upsert([note.clone()]);
    assert!(w.diffs(&t).is_empty(), "{:?}", kinds(&t.items()));
    t.reset((1..=3).map(|s| text(s, PEER, T0 + s * 1000, "x")).chain([note]));
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:id2 middle", "c:id3 last"]);
}

#[test]
fn test_call_records_and_system_notes_stand_alone_between_a_senders_lines() {
    let mut t = timeline(None);
    let call = CachedMessage {
        content: MessageContent::CallRecord { media: CallMedia::Video, outcome: CallOutcome::Missed, duration_ms: 0 },
        ..text(3, PEER, T0 + 3_000, "")
    };
    t.reset([text(1, PEER, T0 + 1_000, "a"), text(2, PEER, T0 + 2_000, "b"), call, text(4, PEER, T0 + 4_000, "c")]);
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:id2 last", "c:id3", "c:id4"]);
    let mut w = Watch::new(&t);
    // A system note arriving between two of the peer's lines stands alone too.
    let note = CachedMessage {
        client_msg_id: None,
        content: MessageContent::System { event: SystemEvent::FriendsConnected },
        ..text(5, PEER, T0 + 5_000, "")
    };
    t.upsert([note, text(6, PEER, T0 + 6_000, "d"), text(7, PEER, T0 + 7_000, "e")]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items())[5..], ["s:5", "c:id6 first", "c:id7 last"]);
}

#[test]
fn test_the_marker_counts_others_live_and_moves_with_older_pages() {
    let mut t = timeline(Some(5));
    t.reset((7..=8).map(|s| text(s, PEER, T0 + s * MIN * 2, "x")));
    assert_eq!(kinds(&t.items()), ["day", "new 2", "c:id7", "c:id8"]);
    let mut w = Watch::new(&t);
    // One of ours does not count; one from the peer counts, in place.
    t.upsert([text(9, ME, T0 + 9 * MIN * 2, "mine")]);
    t.upsert([text(10, PEER, T0 + 10 * MIN * 2, "theirs")]);
    let diffs = w.diffs(&t);
    assert_eq!(kinds(&t.items())[1], "new 3");
    assert!(diffs.iter().any(|d| matches!(d, VectorDiff::Set { index: 1, .. })), "{diffs:?}");
    // An older page brings the first unread message: the marker moves up.
    t.upsert((1..=6).map(|s| text(s, PEER, T0 + s * MIN * 2, "old")));
    w.diffs(&t);
    assert_eq!(kinds(&t.items())[..3], ["day", "c:id1", "c:id2"]);
    assert_eq!(kinds(&t.items())[6..8], ["new 4", "c:id6"]);
    // Read all: no marker.
    t.set_read_seq(None);
    w.diffs(&t);
    assert!(!kinds(&t.items()).iter().any(|k| k.starts_with("new")));
}

#[test]
fn test_days_follow_the_calendar_not_utc() {
    // 23:30 and 00:30 UTC: two days in UTC, one day at UTC-2.
    let late = 20_000 * DAY + 23 * 60 * MIN + 30 * MIN;
    let messages = [text(1, PEER, late, "a"), text(2, PEER, late + 60 * MIN, "b")];
    let mut utc = timeline(None);
    utc.reset(messages.clone());
    assert_eq!(kinds(&utc.items()), ["day", "c:id1", "day", "c:id2"]);
    let mut west = Timeline::new(ME, None, Arc::new(FixedCalendar(-120)));
    west.reset(messages);
    assert_eq!(kinds(&west.items()), ["day", "c:id1", "c:id2"]);
}

/// Random pages, live messages, echoes, acks, failures, recalls and cursor
/// moves, in random order: after each, the diffs lead to the rows and the
/// rows are the fold of the messages.
#[test]
fn test_random_changes_always_diff_to_the_fold() {
    for seed in 0..40u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut t = timeline(Some(rng.random_range(0..30)));
        let mut w = Watch::new(&t);
        let mut next_pending = 0;
        let mut pendings: Vec<CachedMessage> = Vec::new();
        let time_of = |s: Seq, rng: &mut rand::rngs::StdRng| {
            T0 + s * rng.random_range(1..4) * 20 * MIN + rng.random_range(0..5) * 20_000
        };
        for _ in 0..60 {
            match rng.random_range(0..9) {
                8 => {
                    // A relation, its target loaded or not.
                    let (seq, target) = (rng.random_range(200..400), rng.random_range(1..80));
                    let r = if rng.random_bool(0.5) {
                        edit(seq, target, &format!("edit {seq}"))
                    } else {
                        react(
                            seq,
                            target,
                            rng.random_range(1..4),
                            ["👍", "🎉"][rng.random_range(0..2)],
                            rng.random_bool(0.7),
                        )
                    };
                    t.upsert([r]);
                }
                7 => {
                    // An older page, just before what is loaded.
                    if let Some(first) = t.first_seq().filter(|f| *f > 1) {
                        let from = first.saturating_sub(rng.random_range(2..12)).max(1);
                        let page: Vec<_> = (from..first)
                            .map(|s| text(s, if s % 3 == 0 { ME } else { PEER }, T0 + s * 20_000, "old"))
                            .collect();
                        t.upsert(page);
                    }
                }
                0 => {
                    let from = rng.random_range(1..60);
                    let page: Vec<_> = (from..from + rng.random_range(1..8))
                        .map(|s| text(s, if rng.random_bool(0.5) { ME } else { PEER }, T0 + s * 20_000, "p"))
                        .collect();
                    t.upsert(page);
                }
                1 => {
                    let s = rng.random_range(1..80);
                    let at = time_of(s, &mut rng);
                    t.upsert([text(s, PEER, at, "live")]);
                }
                2 => {
                    next_pending += 1;
                    let p = pending(&format!("p{next_pending}"), T0 + rng.random_range(0..100) * 20_000, "echo");
                    pendings.push(p.clone());
                    t.upsert([p]);
                }
                3 if !pendings.is_empty() => {
                    let p = pendings.remove(rng.random_range(0..pendings.len()));
                    let seq = rng.random_range(80..200);
                    t.upsert([CachedMessage { seq: Some(seq), status: SendStatus::Sent, ..p }]);
                }
                4 if !pendings.is_empty() => {
                    let p = pendings[rng.random_range(0..pendings.len())].clone();
                    t.upsert([CachedMessage { status: SendStatus::Failed, ..p }]);
                }
                5 if !pendings.is_empty() && rng.random_bool(0.3) => {
                    // Discarded.
                    let p = pendings.remove(rng.random_range(0..pendings.len()));
                    t.remove_unsent(p.client_msg_id.as_deref().unwrap());
                }
                5 => t.recall(rng.random_range(1..80)),
                6 => t.set_read_seq(rng.random_bool(0.8).then(|| rng.random_range(0..80))),
                _ => {}
            }
            w.diffs(&t);
        }
        if seed % 10 == 0 {
            // A reset starts over, also for a watcher.
            t.reset((1..=5).map(|s| text(s, PEER, T0 + s, "r")));
            w.diffs(&t);
        }
    }
}

#[test]
fn test_older_pages_go_in_front_as_one_batch() {
    let mut t = timeline(Some(3));
    t.reset((11..=15).map(|s| text(s, PEER, T0 + s * 1000, "new")));
    let mut w = Watch::new(&t);
    // Pages of five, the last of them holding the first unread message.
    for first in [6, 1] {
        t.upsert((first..first + 5).map(|s| text(s, if s < 4 { ME } else { PEER }, T0 + s * 1000, "old")));
        let mut batches = 0;
        while let Some(Some(batch)) = w.stream.next().now_or_never() {
            batches += 1;
            for d in batch {
                apply_diff(&mut w.rows, d);
            }
        }
        assert_eq!(batches, 1, "one batch per page");
        assert_eq!(w.rows, folded(&t));
    }
    assert_eq!(kinds(&t.items())[..6], ["day", "c:id1 first", "c:id2 middle", "c:id3 last", "new 12", "c:id4 first"]);
}

const AI: UserId = 9;

/// The assistant's stored reply to `question`.
fn reply(seq: Seq, question: Seq, time: Millis, body: &str) -> CachedMessage {
    CachedMessage {
        client_msg_id: None,
        content: MessageContent::Assistant {
            text: body.into(),
            end: ling_proto::messages::ReplyEnd::Finished,
            code: None,
        },
        reply_to: Some(question),
        ..text(seq, AI, time, "")
    }
}

fn streamed_text(t: &Timeline, key: &str) -> Option<String> {
    t.items().iter().find(|r| r.key() == key).and_then(|r| match &r.as_message()?.message.content {
        MessageContent::Assistant { text, .. } => Some(text.clone()),
        _ => None,
    })
}

#[test]
fn test_a_streaming_reply_grows_in_place_until_the_stored_reply_takes_its_place() {
    let mut t = timeline(None);
    t.reset([text(1, ME, T0, "hello?")]);
    let mut w = Watch::new(&t);
    // It starts thinking: a row with no text yet, after the question.
    t.stream(1, AI, 0, "");
    assert_eq!(kinds(&w.rows), ["day", "c:id1"]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "a:1"]);
    let row = t.items()[2].as_message().unwrap().message.clone();
    assert_eq!((row.status, row.sender_id, row.reply_to), (SendStatus::Streaming, AI, Some(1)));
    // Each piece that continues it is one replacement of that row.
    t.stream(1, AI, 0, "Hel");
    t.stream(1, AI, 3, "lo, 世界");
    let diffs = w.diffs(&t);
    assert!(diffs.iter().all(|d| matches!(d, VectorDiff::Set { index: 2, .. })), "{diffs:?}");
    assert_eq!(streamed_text(&t, "a:1").as_deref(), Some("Hello, 世界"));
    // A piece seen twice, or one after a gap, changes nothing.
    t.stream(1, AI, 3, "lo, 世界");
    t.stream(1, AI, 20, "later");
    assert!(w.diffs(&t).is_empty());
    // The whole text so far (offset 0) brings it up to date.
    t.stream(1, AI, 0, "Hello, 世界 and more");
    w.diffs(&t);
    assert_eq!(streamed_text(&t, "a:1").as_deref(), Some("Hello, 世界 and more"));
    t.stream(1, AI, 0, "Hello, 世界");
    assert!(w.diffs(&t).is_empty(), "a shorter whole text is an old one");
    // The stored reply replaces the row in one batch.
    t.upsert([reply(2, 1, T0 + 5000, "Hello, 世界 and more!")]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "s:2"]);
    assert!(t.streaming.is_empty());
    // Late pieces of it open nothing.
    t.stream(1, AI, 11, "!");
    assert!(w.diffs(&t).is_empty());
}

#[test]
fn test_a_view_opened_mid_reply_shows_it_from_the_next_whole_text() {
    let mut t = timeline(None);
    t.reset([text(1, ME, T0, "q")]);
    let mut w = Watch::new(&t);
    t.stream(1, AI, 40, "the middle");
    assert!(w.diffs(&t).is_empty(), "nothing to grow from");
    t.stream(1, AI, 0, "everything so far, the middle");
    w.diffs(&t);
    assert_eq!(streamed_text(&t, "a:1").as_deref(), Some("everything so far, the middle"));
    t.stream(1, AI, 29, " and on");
    w.diffs(&t);
    assert_eq!(streamed_text(&t, "a:1").as_deref(), Some("everything so far, the middle and on"));
}

#[test]
fn test_a_reply_begun_before_the_view_opened_shows_once_stored() {
    let mut t = timeline(None);
    t.reset([text(1, ME, T0, "q")]);
    let mut w = Watch::new(&t);
    t.stream(1, AI, 12, "the middle of it");
    assert!(w.diffs(&t).is_empty());
    t.upsert([reply(2, 1, T0 + 1000, "the whole of it")]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "s:2"]);
}

#[test]
fn test_asking_again_streams_a_second_reply_after_the_first_and_ones_own_sends_follow_it() {
    let mut t = timeline(None);
    t.reset([text(1, ME, T0, "q"), reply(2, 1, T0 + 1000, "first answer")]);
    let mut w = Watch::new(&t);
    t.stream(1, AI, 0, "second");
    t.upsert([pending("later", T0 + 2000, "thanks")]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1", "s:2 first", "a:1 last", "c:later"]);
    // A reply from someone else to the same question does not end it.
    let other = CachedMessage { sender_id: PEER, ..reply(3, 1, T0 + 3000, "not the assistant") };
    t.upsert([other]);
    w.diffs(&t);
    assert!(t.items().iter().any(|r| r.key() == "a:1"));
    t.upsert([reply(4, 1, T0 + 4000, "second, whole")]);
    w.diffs(&t);
    assert!(!t.items().iter().any(|r| r.key() == "a:1"));
    // A reset (a reload after a gap) drops a reply still streaming.
    t.stream(1, AI, 0, "third");
    t.reset([text(1, ME, T0, "q")]);
    w.diffs(&t);
    assert!(t.streaming.is_empty());
}

fn relation(seq: Seq, sender: UserId, content: MessageContent) -> CachedMessage {
    CachedMessage { content, client_msg_id: None, ..text(seq, sender, T0 + seq * 1000, "") }
}

fn edit(seq: Seq, target: Seq, body: &str) -> CachedMessage {
    relation(seq, PEER, MessageContent::Edit { target, text: body.into() })
}

fn react(seq: Seq, target: Seq, user: UserId, emoji: &str, on: bool) -> CachedMessage {
    relation(seq, user, MessageContent::Reaction { target, emoji: emoji.into(), on })
}

fn row(t: &Timeline, seq: Seq) -> MessageItem {
    t.items().iter().filter_map(|r| r.as_message()).find(|m| m.message.seq == Some(seq)).cloned().expect("a row")
}

fn says(t: &Timeline, seq: Seq) -> String {
    match &row(t, seq).message.content {
        MessageContent::Text { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}

#[test]
fn test_an_edit_and_reactions_change_their_targets_row_in_place_and_add_none() {
    let mut t = timeline(None);
    t.reset((1..=3).map(|s| text(s, PEER, T0 + s * 1000, "x")));
    let mut w = Watch::new(&t);
    t.upsert([edit(4, 2, "fixed")]);
    let diffs = w.diffs(&t);
    assert!(matches!(&diffs[..], [VectorDiff::Set { index: 2, .. }]), "one row changes: {diffs:?}");
    assert_eq!(says(&t, 2), "fixed");
    assert_eq!(row(&t, 2).message.changes.edited.map(|e| e.seq), Some(4));
    assert_eq!(t.len(), 3, "a relation has no row");
    assert_eq!(t.last_seq(), Some(3));

    t.upsert([react(5, 3, ME, "👍", true), react(6, 3, PEER, "👍", true), react(7, 3, PEER, "🎉", true)]);
    w.diffs(&t);
    let counts: Vec<(String, usize)> =
        row(&t, 3).reactions.iter().map(|c| (c.emoji.clone(), c.user_ids.len())).collect();
    assert_eq!(counts, [("👍".to_owned(), 2), ("🎉".to_owned(), 1)]);
    t.upsert([react(8, 3, ME, "👍", false)]);
    w.diffs(&t);
    assert_eq!(row(&t, 3).reactions[0].user_ids, [PEER]);
    // The same relation again changes nothing.
    t.upsert([react(8, 3, ME, "👍", false), edit(4, 2, "fixed")]);
    assert!(w.diffs(&t).is_empty());
}

#[test]
fn test_an_older_copy_of_a_changed_message_does_not_undo_the_change() {
    let mut t = timeline(None);
    t.reset([text(1, PEER, T0, "v1")]);
    t.upsert([edit(2, 1, "v2"), react(3, 1, ME, "❤️", true)]);
    let mut w = Watch::new(&t);
    // The cache's copy of message 1, read before the relations folded there.
    t.upsert([text(1, PEER, T0, "v1")]);
    assert!(w.diffs(&t).is_empty());
    assert_eq!(says(&t, 1), "v2");
    assert_eq!(row(&t, 1).reactions.len(), 1);
}

#[test]
fn test_a_relation_to_a_message_not_loaded_waits_for_its_page() {
    let mut t = timeline(None);
    t.reset((10..=12).map(|s| text(s, PEER, T0 + s * 1000, "new")));
    // Live: an edit and a reaction of an old message, then its page.
    t.upsert([edit(13, 5, "corrected"), react(14, 5, ME, "👀", true)]);
    let mut w = Watch::new(&t);
    t.upsert((1..=9).map(|s| text(s, PEER, T0 + s * 1000, "old")));
    w.diffs(&t);
    assert_eq!(says(&t, 5), "corrected");
    assert_eq!(row(&t, 5).reactions.len(), 1);
}

#[test]
fn test_relations_in_any_order_and_a_catch_up_across_them_all_give_the_same_rows() {
    // Messages 1-4; then, while someone was offline, edits and reactions
    // (with a reaction taken back) at 5-11.
    let messages: Vec<CachedMessage> = (1..=4).map(|s| text(s, PEER, T0 + s * 1000, &format!("m{s}"))).collect();
    let later = vec![
        edit(5, 1, "m1 again"),
        react(6, 2, ME, "👍", true),
        react(7, 2, PEER, "👍", true),
        edit(8, 1, "m1 third"),
        react(9, 2, ME, "👍", false),
        react(10, 4, PEER, "🎉", true),
        edit(11, 3, "m3 fixed"),
    ];
    let mut expected = timeline(None);
    expected.reset(messages.clone());
    expected.upsert(later.clone());
    assert_eq!(says(&expected, 1), "m1 third");
    assert_eq!(row(&expected, 2).reactions[0].user_ids, [PEER]);
    for seed in 0..30u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut shuffled = later.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.random_range(0..=i));
        }
        // Some relations live before the page, the rest in a catch-up page
        // mixed with the messages (as the cache pages them), some twice.
        let split = rng.random_range(0..shuffled.len());
        let mut t = timeline(None);
        t.reset([text(20, PEER, T0 + 20_000, "newest")]);
        let mut w = Watch::new(&t);
        t.upsert(shuffled[..split].to_vec());
        let mut page: Vec<CachedMessage> =
            messages.iter().cloned().chain(shuffled[split / 2..].iter().cloned()).collect();
        page.sort_by_key(|m| m.seq);
        t.upsert(page);
        w.diffs(&t);
        for seq in 1..=4 {
            assert_eq!(row(&t, seq).message.content, row(&expected, seq).message.content, "seed {seed}, {seq}");
            assert_eq!(row(&t, seq).reactions, row(&expected, seq).reactions, "seed {seed}, {seq}");
        }
    }
    // A reset from a page holding targets and relations folds them too.
    let mut page = messages.clone();
    page.extend(later.clone());
    let mut t = timeline(None);
    t.reset(page);
    assert_eq!(says(&t, 1), "m1 third");
    assert_eq!(says(&t, 3), "m3 fixed");
    assert_eq!(t.len(), 4);
}

#[test]
fn test_a_message_deleted_on_this_device_leaves_and_its_neighbours_regroup() {
    let mut t = timeline(None);
    t.reset((1..=3).map(|s| text(s, PEER, T0 + s * 1000, "x")));
    let mut w = Watch::new(&t);
    t.upsert([CachedMessage { hidden: true, ..text(2, PEER, T0 + 2000, "x") }]);
    w.diffs(&t);
    assert_eq!(kinds(&t.items()), ["day", "c:id1 first", "c:id3 last"]);
    // A page read again that holds it keeps it out.
    t.reset((1..=3).map(|s| CachedMessage { hidden: s == 2, ..text(s, PEER, T0 + s * 1000, "x") }));
    assert_eq!(t.len(), 2);
}
