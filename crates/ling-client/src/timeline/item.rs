//! The rows of a timeline, and the calendar their days come from.

use std::sync::Arc;

use chrono::{Datelike, TimeZone};
use ling_proto::Millis;
use serde::Serialize;

use crate::cache::CachedMessage;

/// One row of a conversation's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineItem {
    /// The start of a local day.
    Day {
        /// Stable across diffs (the day's number).
        key: String,
        /// The first message's time that day.
        time: Millis,
    },
    /// "N new messages" before the first one past the read cursor.
    Unread {
        /// Always `unread`.
        key: String,
        /// Messages from others past the cursor.
        count: u32,
    },
    /// A message (shared: rows are copied as the list changes, messages not).
    Message(#[serde(serialize_with = "shared")] Arc<MessageItem>),
}

fn shared<S: serde::Serializer>(item: &Arc<MessageItem>, s: S) -> Result<S::Ok, S::Error> {
    item.as_ref().serialize(s)
}

impl TimelineItem {
    pub(super) fn day(time: Millis, day: i64) -> TimelineItem {
        TimelineItem::Day { key: format!("d:{day}"), time }
    }

    pub(super) fn unread(count: u32) -> TimelineItem {
        TimelineItem::Unread { key: "unread".to_owned(), count }
    }

    /// The row's key, stable while the row stands for the same thing.
    pub fn key(&self) -> &str {
        match self {
            TimelineItem::Day { key, .. } | TimelineItem::Unread { key, .. } => key,
            TimelineItem::Message(m) => &m.key,
        }
    }

    /// The message, for a message row.
    pub fn as_message(&self) -> Option<&MessageItem> {
        match self {
            TimelineItem::Message(m) => Some(m),
            _ => None,
        }
    }
}

/// A message row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageItem {
    /// `c:<client id>` (kept from local echo to sent), `s:<seq>` for a
    /// message written by the server, `a:<question>` for the assistant's
    /// reply to `question` while it streams.
    pub key: String,
    /// As cached.
    pub message: CachedMessage,
    /// Whether it opens a group of one sender's messages (draw the name).
    pub first_of_group: bool,
    /// Whether it closes one (draw the avatar, the tail).
    pub last_of_group: bool,
    /// Its reactions, by emoji in the order first used, with who reacted.
    pub reactions: Vec<ling_proto::relations::ReactionCount>,
}

/// A message's key (see [`MessageItem::key`]).
pub(super) fn message_key(m: &CachedMessage) -> String {
    if m.status == crate::cache::SendStatus::Streaming {
        return format!("a:{}", m.reply_to.unwrap_or_default());
    }
    match (&m.client_msg_id, m.seq) {
        (Some(id), _) => format!("c:{id}"),
        (None, Some(seq)) => format!("s:{seq}"),
        (None, None) => "s:?".to_owned(),
    }
}

/// Which local day a time falls on: dividers and grouping follow it.
pub trait Calendar: Send + Sync {
    /// A number that is the same for two times on one local day and grows by
    /// one a day.
    fn day(&self, time: Millis) -> i64;
}

/// The machine's time zone, with its daylight-saving rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalCalendar;

impl Calendar for LocalCalendar {
    fn day(&self, time: Millis) -> i64 {
        match chrono::Local.timestamp_millis_opt(time).earliest() {
            Some(t) => i64::from(t.date_naive().num_days_from_ce()),
            None => time.div_euclid(86_400_000),
        }
    }
}

/// A fixed offset from UTC, in minutes (tests; a zone without rules).
#[derive(Debug, Clone, Copy)]
pub struct FixedCalendar(pub i64);

impl Calendar for FixedCalendar {
    fn day(&self, time: Millis) -> i64 {
        (time + self.0 * 60_000).div_euclid(86_400_000)
    }
}
