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
    /// `c:<client id>` (kept from local echo to sent), or `s:<seq>` for a
    /// message written by the server.
    pub key: String,
    /// As cached.
    pub message: CachedMessage,
    /// Whether it opens a group of one sender's messages (draw the name).
    pub first_of_group: bool,
    /// Whether it closes one (draw the avatar, the tail).
    pub last_of_group: bool,
}

/// A message's key (see [`MessageItem::key`]).
pub(super) fn message_key(m: &CachedMessage) -> String {
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

/// A change to the rows, as it crosses to a UI: [`eyeball_im::VectorDiff`]
/// in a shape that has a TypeScript declaration. Applied in order, a
/// snapshot's changes keep a copy of the rows equal to the timeline's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RowDiff {
    /// Rows added at the end.
    Append { values: Vec<TimelineItem> },
    /// No rows.
    Clear,
    /// A row added at the start.
    PushFront { value: TimelineItem },
    /// A row added at the end.
    PushBack { value: TimelineItem },
    /// The first row removed.
    PopFront,
    /// The last row removed.
    PopBack,
    /// A row added before the one at `index`.
    Insert { index: u32, value: TimelineItem },
    /// The row at `index` replaced.
    Set { index: u32, value: TimelineItem },
    /// The row at `index` removed.
    Remove { index: u32 },
    /// Only the first `length` rows kept.
    Truncate { length: u32 },
    /// All rows replaced.
    Reset { values: Vec<TimelineItem> },
}

impl From<eyeball_im::VectorDiff<TimelineItem>> for RowDiff {
    fn from(diff: eyeball_im::VectorDiff<TimelineItem>) -> RowDiff {
        use eyeball_im::VectorDiff as D;
        // Rows stay far below 2^32.
        let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        match diff {
            D::Append { values } => RowDiff::Append { values: values.into_iter().collect() },
            D::Clear => RowDiff::Clear,
            D::PushFront { value } => RowDiff::PushFront { value },
            D::PushBack { value } => RowDiff::PushBack { value },
            D::PopFront => RowDiff::PopFront,
            D::PopBack => RowDiff::PopBack,
            D::Insert { index, value } => RowDiff::Insert { index: at(index), value },
            D::Set { index, value } => RowDiff::Set { index: at(index), value },
            D::Remove { index } => RowDiff::Remove { index: at(index) },
            D::Truncate { length } => RowDiff::Truncate { length: at(length) },
            D::Reset { values } => RowDiff::Reset { values: values.into_iter().collect() },
        }
    }
}
