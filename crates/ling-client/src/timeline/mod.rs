//! A conversation's timeline: what the chat view draws, folded here from the
//! cached messages, and handed out as a snapshot plus a stream of diffs
//! (insert / set / remove at an index, [`eyeball_im::VectorDiff`]).
//!
//! The folding is pure (no I/O, no clock: days come from a [`Calendar`]) and
//! unit-tested in `tests.rs`, in the manner of matrix-rust-sdk's
//! `matrix-sdk-ui/src/timeline`. What it folds:
//! - **Order.** Sent messages by seq; messages still sending (or failed)
//!   after them, by local time. A local echo that gets its seq moves to its
//!   place, keeping its key, so the view keeps its bubble.
//! - **Day dividers** before the first message of each local day.
//! - **The unread marker**, "N new messages", before the first message from
//!   someone else past the read cursor the view was opened with.
//! - **Sender grouping**: consecutive messages of one sender within a minute
//!   of each other on one day share a bubble group (system notes, call
//!   records and recalled messages stand alone).
//! - **Recalls**, which replace a message's content in place, and unsent
//!   messages discarded or messages deleted on this device, whose rows go.
//! - **Relations** (edits, reactions), which have no row: each folds into
//!   its target's row (`ling_proto::relations`, last writer wins by seq),
//!   or waits for the target to load; a copy of a message read again merges
//!   with the loaded one, so an older copy never undoes a fold.
//! - **The assistant's replies as they stream**: a row (status `streaming`,
//!   key `a:<question>`) after the sent messages whose text grows with each
//!   piece that continues it, until the stored reply to the same question
//!   takes its place.
//!
//! Every change touches only the rows around the message it changes (its
//! own, its neighbours' group edges, a divider, the marker), so applying a
//! live message costs a few binary searches, whatever the length of what is
//! loaded.

mod item;
mod live;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

pub use eyeball_im::VectorDiff;
use eyeball_im::{ObservableVector, Vector, VectorSubscriberBatchedStream};
use ling_proto::messages::{Message, MessageContent, ReplyEnd, SystemEvent};
use ling_proto::{Millis, Seq, UserId, relations};

pub use self::item::{Calendar, FixedCalendar, LocalCalendar, MessageItem, TimelineItem};
pub(crate) use self::live::{Change, Pages};
pub use self::live::{PAGE, TimelineView};
use crate::cache::{CachedMessage, SendStatus};

/// Messages of one sender further apart than this start a new group.
pub const GROUP_GAP_MS: Millis = 60_000;

/// Where a message sits: sent ones by seq, then unsent ones by local time
/// (and client id, for two in the same millisecond).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Place {
    Sent(Seq),
    Unsent(Millis, String),
}

impl Place {
    fn of(m: &CachedMessage) -> Place {
        match m.seq {
            Some(seq) => Place::Sent(seq),
            None => Place::Unsent(m.send_time, m.client_msg_id.clone().unwrap_or_default()),
        }
    }
}

/// A row's rank among the rows a message owns, in drawing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Day = 0,
    Unread = 1,
    Message = 2,
}

/// The rows' sort key: the place of the message a row belongs to, then its rank.
type RowKey = (Place, Rank);

/// The unread marker as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    before: Place,
    count: u32,
}

/// One conversation's timeline (see the module's documentation). Feed it
/// what the cache says; read or subscribe to [`Timeline::items`].
pub struct Timeline {
    me: UserId,
    calendar: Arc<dyn Calendar>,
    /// Messages from others past this seq are new (the cursor when opened).
    read_seq: Option<Seq>,
    messages: BTreeMap<Place, CachedMessage>,
    /// Where each unsent message sits, by client id.
    unsent: HashMap<String, Place>,
    /// Where each streaming reply sits, by its question's seq.
    streaming: HashMap<Seq, Place>,
    /// Relations whose target is not loaded, by target: folded in when it is.
    pending: HashMap<Seq, Vec<Message>>,
    /// The rows' keys, kept beside the rows for binary search (a tree, like
    /// the rows: inserting at the front of a long history stays cheap).
    keys: Vector<RowKey>,
    items: ObservableVector<TimelineItem>,
    marker: Option<Marker>,
}

impl std::fmt::Debug for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeline").field("messages", &self.messages.len()).field("rows", &self.keys.len()).finish()
    }
}

impl Timeline {
    /// An empty timeline for `me`; messages from others past `read_seq`
    /// are marked new.
    pub fn new(me: UserId, read_seq: Option<Seq>, calendar: Arc<dyn Calendar>) -> Timeline {
        Timeline {
            me,
            calendar,
            read_seq,
            messages: BTreeMap::new(),
            unsent: HashMap::new(),
            streaming: HashMap::new(),
            pending: HashMap::new(),
            keys: Vector::new(),
            // Room for a burst of diffs before a lagging subscriber is reset.
            items: ObservableVector::with_capacity(1024),
            marker: None,
        }
    }

    /// The rows now.
    pub fn items(&self) -> Vec<TimelineItem> {
        self.items.iter().cloned().collect()
    }

    /// The rows now and every later change, in batches (one per call that
    /// changed something).
    pub fn subscribe(&self) -> (Vec<TimelineItem>, VectorSubscriberBatchedStream<TimelineItem>) {
        let (values, stream) = self.items.subscribe().into_values_and_batched_stream();
        (values.into_iter().collect(), stream)
    }

    /// How many messages are loaded.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The lowest seq loaded (older pages load before it).
    pub fn first_seq(&self) -> Option<Seq> {
        self.messages.keys().find_map(|p| match p {
            Place::Sent(s) => Some(*s),
            Place::Unsent(..) => None,
        })
    }

    /// The highest seq loaded.
    pub fn last_seq(&self) -> Option<Seq> {
        self.newest_sent().and_then(|m| m.seq)
    }

    /// The newest message with a seq (sent ones sort before unsent ones).
    fn newest_sent(&self) -> Option<&CachedMessage> {
        self.messages.range(..Place::Unsent(Millis::MIN, String::new())).next_back().map(|(_, m)| m)
    }

    /// Replaces everything with `messages` (the newest page on opening, or
    /// after a gap): one reset for the view.
    pub fn reset(&mut self, messages: impl IntoIterator<Item = CachedMessage>) {
        self.messages.clear();
        self.unsent.clear();
        self.streaming.clear();
        self.pending.clear();
        let (relations, messages) = split_relations(messages);
        for mut m in messages.into_iter().filter(|m| !m.hidden) {
            if let Some(seq) = m.seq {
                self.fold_pending(seq, &mut m);
            }
            for r in relations.iter().filter(|r| r.content.target() == m.seq) {
                relations::fold(&mut m.content, &mut m.changes, r);
            }
            let place = Place::of(&m);
            self.remember(&place, &m);
            self.messages.insert(place, m);
        }
        for r in relations {
            if let Some(target) = r.content.target()
                && !self.messages.contains_key(&Place::Sent(target))
            {
                self.pending.entry(target).or_default().push(r);
            }
        }
        let mut rows = Vec::with_capacity(self.messages.len() * 2);
        let mut keys = Vector::new();
        let list: Vec<(&Place, &CachedMessage)> = self.messages.iter().collect();
        self.marker = self.wanted_marker();
        for (i, (place, m)) in list.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| list[j].1);
            let next = list.get(i + 1).map(|e| e.1);
            if self.starts_day(prev, m) {
                keys.push_back(((*place).clone(), Rank::Day));
                rows.push(TimelineItem::day(m.send_time, self.calendar.day(m.send_time)));
            }
            if let Some(marker) = self.marker.as_ref().filter(|mk| &mk.before == *place) {
                keys.push_back(((*place).clone(), Rank::Unread));
                rows.push(TimelineItem::unread(marker.count));
            }
            keys.push_back(((*place).clone(), Rank::Message));
            rows.push(self.message_row(prev, m, next));
        }
        self.keys = keys;
        self.items.clear();
        self.items.append(rows.into_iter().collect());
    }

    /// Adds or updates messages (a page, a live one, an ack, a failure):
    /// a message the timeline has is replaced (found by seq, or by client
    /// id while it was unsent), a new one goes to its place.
    pub fn upsert(&mut self, messages: impl IntoIterator<Item = CachedMessage>) {
        let (relations, messages) = split_relations(messages);
        // Deleted on this device: no row (a loaded one goes).
        let (hidden, mut messages): (Vec<CachedMessage>, Vec<CachedMessage>) =
            messages.into_iter().partition(|m| m.hidden);
        let gone: Vec<Place> = hidden.iter().map(Place::of).filter(|p| self.messages.remove(p).is_some()).collect();
        if !gone.is_empty() {
            self.refresh(gone);
        }
        for m in &mut messages {
            if let Some(seq) = m.seq {
                self.fold_pending(seq, m);
            }
        }
        if let Some(first) = self.messages.keys().next().cloned()
            && messages.len() > 1
            && messages.iter().all(|m| Place::of(m) < first && m.seq.is_some())
        {
            self.prepend(messages, first);
            return self.fold(relations);
        }
        let mut txn_changes: Vec<Place> = Vec::new();
        for mut m in messages {
            let place = Place::of(&m);
            // What this copy has not folded yet, the loaded one may have.
            if let Some(loaded) = self.messages.get(&place).filter(|_| m.seq.is_some()) {
                relations::merge(&mut m.content, &mut m.changes, (&loaded.content, &loaded.changes));
            }
            // A local echo that got its seq, or was retried under a new time.
            let claimed = m.client_msg_id.as_ref().and_then(|id| self.unsent.get(id)).cloned();
            if let Some(old) = claimed.filter(|old| *old != place) {
                self.forget(&old);
                self.messages.remove(&old);
                txn_changes.push(old);
            }
            // The stored reply replaces its streaming row.
            if let (Some(q), Some(_)) = (m.reply_to, m.seq)
                && let Some(streamed) = self.streaming.get(&q).filter(|p| self.messages[*p].sender_id == m.sender_id)
            {
                let streamed = streamed.clone();
                self.streaming.remove(&q);
                self.messages.remove(&streamed);
                txn_changes.push(streamed);
            }
            if self.messages.get(&place) == Some(&m) {
                continue;
            }
            self.remember(&place, &m);
            self.messages.insert(place.clone(), m);
            txn_changes.push(place);
        }
        self.refresh(txn_changes);
        self.fold(relations);
    }

    /// Folds relations (edits, reactions) into their loaded targets; one
    /// whose target is not loaded waits for it.
    pub fn fold(&mut self, relations: Vec<Message>) {
        let mut changed = Vec::new();
        for r in relations {
            let Some(target) = r.content.target() else { continue };
            let place = Place::Sent(target);
            match self.messages.get_mut(&place) {
                Some(m) => {
                    if relations::fold(&mut m.content, &mut m.changes, &r) {
                        changed.push(place);
                    }
                }
                None => self.pending.entry(target).or_default().push(r),
            }
        }
        changed.dedup();
        if !changed.is_empty() {
            self.refresh(changed);
        }
    }

    /// Folds the relations that waited for message `seq` into it.
    fn fold_pending(&mut self, seq: Seq, m: &mut CachedMessage) {
        for r in self.pending.remove(&seq).unwrap_or_default() {
            relations::fold(&mut m.content, &mut m.changes, &r);
        }
    }

    /// An older page, wholly before what is loaded: its rows are pushed to
    /// the front in one go (inserting near the front of a long list one row
    /// at a time splits and joins its tree for each), then the first
    /// message before it and the marker are brought up to date.
    fn prepend(&mut self, mut page: Vec<CachedMessage>, old_first: Place) {
        page.sort_by_key(|m| m.seq);
        page.dedup_by_key(|m| m.seq);
        let mut front: Vec<(RowKey, TimelineItem)> = Vec::with_capacity(page.len() * 2);
        for (i, m) in page.iter().enumerate() {
            let place = Place::of(m);
            let prev = i.checked_sub(1).map(|j| &page[j]);
            let next = page.get(i + 1).or_else(|| self.messages.get(&old_first));
            if self.starts_day(prev, m) {
                front
                    .push(((place.clone(), Rank::Day), TimelineItem::day(m.send_time, self.calendar.day(m.send_time))));
            }
            front.push(((place, Rank::Message), self.message_row(prev, m, next)));
        }
        for m in page {
            self.messages.insert(Place::of(&m), m);
        }
        self.refresh_with(front, vec![old_first]);
    }

    /// The assistant (`user`) sent its reply to `question` from `offset`
    /// characters on: the next piece, or (offset 0, every second) the whole
    /// text so far. The reply's row becomes what it holds up to `offset` and
    /// then `text`; a frame past what the row holds (one was missed, or the
    /// reply began before the view opened) waits for the next whole text,
    /// and one that says less than the row (seen before) changes nothing.
    pub fn stream(&mut self, question: Seq, user: UserId, offset: u32, text: &str) {
        let (place, created) = match self.streaming.get(&question) {
            Some(place) => (place.clone(), false),
            None if offset == 0 => {
                let Some(conversation_id) = self.messages.values().next().map(|m| m.conversation_id) else { return };
                // The time of the newest message sent (the question or one
                // after it): it draws on that day, after them.
                let time = self.newest_sent().map_or(0, |m| m.send_time);
                let place = Place::Unsent(time, format!("a:{question}"));
                let row = CachedMessage {
                    conversation_id,
                    seq: None,
                    client_msg_id: None,
                    sender_id: user,
                    send_time: time,
                    status: SendStatus::Streaming,
                    error_code: None,
                    content: MessageContent::Assistant { text: String::new(), end: ReplyEnd::Finished, code: None },
                    reply_to: Some(question),
                    changes: Default::default(),
                    forwarded: false,
                    hidden: false,
                    mentions: Default::default(),
                };
                self.streaming.insert(question, place.clone());
                self.messages.insert(place.clone(), row);
                (place, true)
            }
            None => return,
        };
        let Some(m) = self.messages.get_mut(&place) else { return };
        let MessageContent::Assistant { text: so_far, .. } = &mut m.content else { return };
        let mut grew = false;
        if offset as usize <= so_far.chars().count() {
            let cut = so_far.char_indices().nth(offset as usize).map_or(so_far.len(), |(i, _)| i);
            let grown = format!("{}{text}", &so_far[..cut]);
            // Saying less than the row holds is an old frame.
            if !so_far.starts_with(&grown) {
                *so_far = grown;
                grew = true;
            }
        }
        if created || grew {
            self.refresh(vec![place]);
        }
    }

    /// A recalled message: its content is gone.
    pub fn recall(&mut self, seq: Seq) {
        let place = Place::Sent(seq);
        let Some(m) = self.messages.get_mut(&place) else { return };
        if m.content == MessageContent::Recalled {
            return;
        }
        m.content = MessageContent::Recalled;
        self.refresh(vec![place]);
    }

    /// An unsent message (by client id) is gone: discarded.
    pub fn remove_unsent(&mut self, client_msg_id: &str) {
        let Some(place) = self.unsent.remove(client_msg_id) else { return };
        self.messages.remove(&place);
        self.refresh(vec![place]);
    }

    /// Moves the read cursor the marker counts from (`None`: no marker).
    pub fn set_read_seq(&mut self, read_seq: Option<Seq>) {
        self.read_seq = read_seq;
        self.refresh(Vec::new());
    }

    fn remember(&mut self, place: &Place, m: &CachedMessage) {
        if let (Place::Unsent(..), Some(id)) = (place, &m.client_msg_id) {
            self.unsent.insert(id.clone(), place.clone());
        }
    }

    fn forget(&mut self, place: &Place) {
        if let Place::Unsent(_, id) = place {
            self.unsent.remove(id);
        }
    }

    /// Brings the rows of the messages at `changed` places (added, replaced
    /// or removed) and of their neighbours up to date, then the marker.
    fn refresh(&mut self, changed: Vec<Place>) {
        self.refresh_with(Vec::new(), changed);
    }

    /// [`Timeline::refresh`], after putting `front` (rows of messages
    /// before all others, in order) at the front.
    fn refresh_with(&mut self, front: Vec<(RowKey, TimelineItem)>, mut changed: Vec<Place>) {
        // Each changed place, and the messages beside it now: their group
        // edges and dividers may follow from it.
        let mut touched: Vec<Place> = Vec::with_capacity(changed.len() * 3);
        for place in &changed {
            if let Some((p, _)) = self.messages.range(..place.clone()).next_back() {
                touched.push(p.clone());
            }
            touched.push(place.clone());
            if let Some((p, _)) = self.messages.range((Bound::Excluded(place.clone()), Bound::Unbounded)).next() {
                touched.push(p.clone());
            }
        }
        changed.clear();
        touched.sort();
        touched.dedup();
        let marker = self.wanted_marker();
        // What each touched row should be, in order: the old marker goes
        // first (if it moves or goes), so that rows keep one key each.
        let mut wanted: Vec<(RowKey, Option<TimelineItem>)> = Vec::with_capacity(touched.len() * 2 + 2);
        if let Some(old) = &self.marker
            && marker.as_ref().is_none_or(|m| m.before != old.before)
        {
            wanted.push(((old.before.clone(), Rank::Unread), None));
        }
        for place in touched {
            let m = self.messages.get(&place);
            let prev = m.and_then(|_| self.messages.range(..place.clone()).next_back().map(|e| e.1));
            let next = m.and_then(|_| {
                self.messages.range((Bound::Excluded(place.clone()), Bound::Unbounded)).next().map(|e| e.1)
            });
            let day = m
                .filter(|m| self.starts_day(prev, m))
                .map(|m| TimelineItem::day(m.send_time, self.calendar.day(m.send_time)));
            wanted.push(((place.clone(), Rank::Day), day));
            wanted.push(((place, Rank::Message), m.map(|m| self.message_row(prev, m, next))));
        }
        if let Some(new) = marker.as_ref().filter(|new| self.marker.as_ref() != Some(new)) {
            wanted.push(((new.before.clone(), Rank::Unread), Some(TimelineItem::unread(new.count))));
        }
        self.marker = marker;
        let (front_keys, front_rows): (Vec<RowKey>, Vec<TimelineItem>) = front.into_iter().unzip();
        for key in front_keys.into_iter().rev() {
            self.keys.push_front(key);
        }
        let mut ops: Vec<Op> = Vec::with_capacity(wanted.len());
        for (key, row) in wanted {
            let current = |i: usize| match before_ops(&ops, i) {
                None => None,
                Some(j) if j < front_rows.len() => front_rows.get(j),
                Some(j) => self.items.get(j - front_rows.len()),
            };
            if let Some(op) = plan(&mut self.keys, key, row, current) {
                ops.push(op);
            }
        }
        let mut txn = self.items.transaction();
        for row in front_rows.into_iter().rev() {
            txn.push_front(row);
        }
        let mut ops = coalesce(ops).into_iter().peekable();
        // Rows put in front (an older page), one after another from index
        // 0: pushed to the front in reverse, which is cheap, where inserting
        // near the front of a long list splits and joins its tree.
        let mut front = Vec::new();
        while let Some(Op::Insert(i, _)) = ops.peek() {
            if *i != front.len() {
                break;
            }
            let Some(Op::Insert(_, row)) = ops.next() else { unreachable!() };
            front.push(row);
        }
        for row in front.into_iter().rev() {
            txn.push_front(row);
        }
        for op in ops {
            match op {
                Op::Insert(i, row) => txn.insert(i, row),
                Op::Set(i, row) => {
                    txn.set(i, row);
                }
                Op::Remove(i) => {
                    txn.remove(i);
                }
            }
        }
        txn.commit();
    }

    /// Where the marker belongs and what it counts, from the messages now.
    fn wanted_marker(&self) -> Option<Marker> {
        let read = self.read_seq?;
        let mut first = None;
        let mut count: u32 = 0;
        let from = Place::Sent(read.saturating_add(1));
        for (place, m) in self.messages.range(from..Place::Unsent(Millis::MIN, String::new())) {
            if m.sender_id != self.me {
                first.get_or_insert_with(|| place.clone());
                count = count.saturating_add(1);
            }
        }
        first.map(|before| Marker { before, count })
    }

    fn starts_day(&self, prev: Option<&CachedMessage>, m: &CachedMessage) -> bool {
        prev.is_none_or(|p| self.calendar.day(p.send_time) != self.calendar.day(m.send_time))
    }

    fn joins(&self, a: Option<&CachedMessage>, b: Option<&CachedMessage>) -> bool {
        let (Some(a), Some(b)) = (a, b) else { return false };
        a.sender_id == b.sender_id
            && groupable(a)
            && groupable(b)
            && (b.send_time - a.send_time).abs() < GROUP_GAP_MS
            && self.calendar.day(a.send_time) == self.calendar.day(b.send_time)
    }

    fn message_row(
        &self,
        prev: Option<&CachedMessage>,
        m: &CachedMessage,
        next: Option<&CachedMessage>,
    ) -> TimelineItem {
        TimelineItem::Message(Arc::new(MessageItem {
            key: item::message_key(m),
            first_of_group: !self.joins(prev, Some(m)),
            last_of_group: !self.joins(Some(m), next),
            reactions: relations::reaction_counts(&m.changes),
            message: m.clone(),
        }))
    }
}

/// Splits relations (as the fold takes them) from the messages shown.
fn split_relations(messages: impl IntoIterator<Item = CachedMessage>) -> (Vec<Message>, Vec<CachedMessage>) {
    let mut relations = Vec::new();
    let mut shown = Vec::new();
    for m in messages {
        match (m.content.target(), m.seq) {
            (Some(_), Some(seq)) => relations.push(Message {
                conversation_id: m.conversation_id,
                seq,
                sender_id: m.sender_id,
                client_msg_id: String::new(),
                send_time: m.send_time,
                content: m.content,
                reply_to: None,
                changes: Default::default(),
                forwarded: false,
                mentions: Default::default(),
            }),
            (Some(_), None) => {}
            // The recalled message's own row says it was recalled, where it
            // was: the server's note of the recall would say it twice.
            (None, _) if matches!(m.content, MessageContent::System { event: SystemEvent::MessageRecalled { .. } }) => {
            }
            (None, _) => shown.push(m),
        }
    }
    (relations, shown)
}

/// System notes, call records and recalled messages stand alone.
fn groupable(m: &CachedMessage) -> bool {
    !matches!(m.content, MessageContent::System { .. } | MessageContent::Recalled | MessageContent::CallRecord { .. })
}

/// A change to the rows, planned before it is made.
#[derive(Debug)]
enum Op {
    Insert(usize, TimelineItem),
    Set(usize, TimelineItem),
    Remove(usize),
}

/// Where the row at `i` once `ops` are made stood before them (`None` for
/// a row one of them inserted or replaced: those are always new).
fn before_ops(ops: &[Op], mut i: usize) -> Option<usize> {
    for op in ops.iter().rev() {
        match op {
            Op::Insert(j, _) | Op::Set(j, _) if *j == i => return None,
            Op::Insert(j, _) if *j < i => i -= 1,
            Op::Remove(j) if *j <= i => i += 1,
            _ => {}
        }
    }
    Some(i)
}

/// Plans making the row at `key` be `row`: an insert, a replacement (if it
/// changed) or a removal, keeping `keys` in step. `current` reads a row as
/// the ops planned so far leave it.
fn plan<'a>(
    keys: &mut Vector<RowKey>,
    key: RowKey,
    row: Option<TimelineItem>,
    current: impl Fn(usize) -> Option<&'a TimelineItem>,
) -> Option<Op> {
    match (keys.binary_search(&key), row) {
        (Ok(i), Some(row)) => (current(i) != Some(&row)).then_some(Op::Set(i, row)),
        (Ok(i), None) => {
            keys.remove(i);
            Some(Op::Remove(i))
        }
        (Err(i), Some(row)) => {
            keys.insert(i, key);
            Some(Op::Insert(i, row))
        }
        (Err(_), None) => None,
    }
}

/// A row that left one place for the same index under the same key (a
/// local echo that got its seq, in place) is one replacement, not an insert
/// and a removal.
fn coalesce(ops: Vec<Op>) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops {
        match (out.last(), &op) {
            (Some(Op::Insert(i, row)), Op::Remove(j)) if *j == i + 1 => {
                let (i, row) = (*i, row.clone());
                out.pop();
                out.push(Op::Set(i, row));
            }
            (Some(Op::Remove(i)), Op::Insert(j, _)) if i == j => {
                let Op::Insert(j, row) = op else { unreachable!() };
                out.pop();
                out.push(Op::Set(j, row));
            }
            _ => out.push(op),
        }
    }
    out
}
