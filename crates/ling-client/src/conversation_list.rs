//! The conversation list as the chat list draws it: pinned first, then the
//! most recently active, then by id (a stable order); a snapshot plus a
//! stream of diffs ([`eyeball_im::VectorDiff`]), so a UI neither sorts nor
//! pulls conversations back.
//!
//! [`ConversationList`] is pure: it is given what the cache says, one
//! conversation or all of them, and moves, changes, adds or removes just the
//! rows that differ. [`ConversationListView`] keeps one up to date from the
//! client's events.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

use eyeball_im::{ObservableVector, VectorSubscriberBatchedStream};
use futures_util::future::BoxFuture;
use ling_proto::ConversationId;
use tokio::sync::broadcast;

use crate::cache::ConversationSummary;
use crate::error::ClientResult;
use crate::rows::{Folding, Settled, ViewEvents};

/// The list's order: pinned first, then by last activity (newest first),
/// then by id (highest first).
pub fn list_order(a: &ConversationSummary, b: &ConversationSummary) -> Ordering {
    b.pinned.cmp(&a.pinned).then(b.last_activity.cmp(&a.last_activity)).then(b.id.cmp(&a.id))
}

/// The conversations in list order (see the module's documentation).
#[derive(Debug)]
pub struct ConversationList {
    rows: ObservableVector<ConversationSummary>,
}

impl Default for ConversationList {
    fn default() -> Self {
        ConversationList::new()
    }
}

impl ConversationList {
    /// An empty list.
    pub fn new() -> ConversationList {
        ConversationList { rows: ObservableVector::with_capacity(256) }
    }

    /// The rows now.
    pub fn items(&self) -> Vec<ConversationSummary> {
        self.rows.iter().cloned().collect()
    }

    /// The rows now and every later change, in batches.
    pub fn subscribe(&self) -> (Vec<ConversationSummary>, VectorSubscriberBatchedStream<ConversationSummary>) {
        let (values, stream) = self.rows.subscribe().into_values_and_batched_stream();
        (values.into_iter().collect(), stream)
    }

    fn position(&self, id: ConversationId) -> Option<usize> {
        self.rows.iter().position(|c| c.id == id)
    }

    /// One conversation as the cache has it now (`None`: gone).
    pub fn upsert(&mut self, id: ConversationId, now: Option<ConversationSummary>) {
        let old = self.position(id);
        let Some(now) = now else {
            if let Some(i) = old {
                self.rows.remove(i);
            }
            return;
        };
        if let Some(i) = old {
            if self.rows[i] == now {
                return;
            }
            // Where it goes among the others: in place if the order allows.
            let fits_after = i == 0 || list_order(&self.rows[i - 1], &now) == Ordering::Less;
            let fits_before = i + 1 == self.rows.len() || list_order(&now, &self.rows[i + 1]) == Ordering::Less;
            if fits_after && fits_before {
                self.rows.set(i, now);
                return;
            }
            self.rows.remove(i);
        }
        let at = self.rows.iter().take_while(|c| list_order(c, &now) == Ordering::Less).count();
        self.rows.insert(at, now);
    }

    /// The whole list as the cache has it now: only the rows that differ
    /// change (a catch-up that changed two conversations moves two rows).
    pub fn reset(&mut self, all: Vec<ConversationSummary>) {
        let gone: Vec<ConversationId> =
            self.rows.iter().map(|c| c.id).filter(|id| !all.iter().any(|c| c.id == *id)).collect();
        for id in gone {
            self.upsert(id, None);
        }
        for c in all {
            self.upsert(c.id, Some(c));
        }
    }
}

/// Reads the cache: one conversation, or (for `None`) all of them.
pub(crate) type Source =
    Arc<dyn Fn(Option<ConversationId>) -> BoxFuture<'static, ClientResult<Vec<ConversationSummary>>> + Send + Sync>;

/// What an event means for the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListChange {
    /// One conversation changed (or went).
    One(ConversationId),
    /// Any may have: read them all.
    All,
}

/// Changes waiting to be read, folded: everything, or some conversations.
#[derive(Debug, Default, PartialEq, Eq)]
struct Pending {
    all: bool,
    ids: Vec<ConversationId>,
}

impl Pending {
    fn add(&mut self, change: Option<ListChange>) {
        match change {
            Some(ListChange::All) => self.all = true,
            Some(ListChange::One(id)) if !self.ids.contains(&id) => self.ids.push(id),
            _ => {}
        }
    }

    /// What to read from the cache: `None` for the whole list.
    fn reads(self) -> Vec<Option<ConversationId>> {
        if self.all { vec![None] } else { self.ids.into_iter().map(Some).collect() }
    }
}

/// The conversation list, kept up to date while it lives (see
/// [`crate::Client::conversation_list`]). Dropping it stops the updates.
pub struct ConversationListView {
    list: Arc<Mutex<ConversationList>>,
    task: tokio::task::JoinHandle<()>,
    settled: Settled,
}

impl Drop for ConversationListView {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for ConversationListView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConversationListView").finish_non_exhaustive()
    }
}

impl ConversationListView {
    /// Reads the list and follows `events` from then on, each read by
    /// `change` (the client's events, without this module knowing them).
    pub(crate) async fn start<E: Clone + Send + 'static>(
        (mut events, mut folding, settled): ViewEvents<E>,
        change: fn(&E) -> Option<ListChange>,
        source: Source,
    ) -> ClientResult<ConversationListView> {
        // Subscribed before the list is read, so nothing falls between.
        let list = Arc::new(Mutex::new(ConversationList::new()));
        let all = source(None).await?;
        lock(&list).reset(all);
        let task = {
            let list = list.clone();
            tokio::spawn(async move {
                loop {
                    let mut pending = Pending::default();
                    let got = match events.recv().await {
                        Ok(event) => Ok(event),
                        Err(broadcast::error::RecvError::Lagged(n)) => Err(n),
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    take(got, change, &mut folding, &mut pending);
                    // What came meanwhile is read in the same go.
                    loop {
                        let got = match events.try_recv() {
                            Ok(event) => Ok(event),
                            Err(broadcast::error::TryRecvError::Lagged(n)) => Err(n),
                            Err(_) => break,
                        };
                        take(got, change, &mut folding, &mut pending);
                    }
                    for id in pending.reads() {
                        match source(id).await {
                            Ok(rows) => match id {
                                Some(id) => lock(&list).upsert(id, rows.into_iter().next()),
                                None => lock(&list).reset(rows),
                            },
                            Err(e) => tracing::warn!(error = %e, "the conversation list could not be read"),
                        }
                    }
                    folding.folded();
                }
            })
        };
        Ok(ConversationListView { list, task, settled })
    }

    /// The rows now.
    pub fn items(&self) -> Vec<ConversationSummary> {
        lock(&self.list).items()
    }

    /// The rows now and every later change, in batches.
    pub fn subscribe(&self) -> (Vec<ConversationSummary>, VectorSubscriberBatchedStream<ConversationSummary>) {
        lock(&self.list).subscribe()
    }

    /// How far the list has come through the client's events.
    pub fn settled(&self) -> Settled {
        self.settled.clone()
    }
}

/// One event taken from the stream (`Err(n)`: `n` skipped, the view having
/// lagged, so the whole list is read again).
fn take<E>(got: Result<E, u64>, change: fn(&E) -> Option<ListChange>, folding: &mut Folding, pending: &mut Pending) {
    match got {
        Ok(event) => {
            folding.took(1);
            pending.add(change(&event));
        }
        Err(n) => {
            folding.took(n);
            pending.add(Some(ListChange::All));
        }
    }
}

fn lock(l: &Mutex<ConversationList>) -> std::sync::MutexGuard<'_, ConversationList> {
    l.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use ling_proto::messages::ConversationKind;

    use super::*;
    use crate::rows::apply_diff;

    fn conv(id: ConversationId, last_activity: i64) -> ConversationSummary {
        ConversationSummary {
            id,
            kind: ConversationKind::Direct,
            peer_id: Some(id + 100),
            group_id: None,
            title: format!("c{id}"),
            avatar: None,
            last_seq: 0,
            read_seq: 0,
            peer_read_seq: None,
            unread: 0,
            last_activity,
            pinned: false,
            muted: false,
            draft: String::new(),
            last_message: None,
            pins: Vec::new(),
            unread_mentions: Vec::new(),
        }
    }

    fn ids(rows: &[ConversationSummary]) -> Vec<ConversationId> {
        rows.iter().map(|c| c.id).collect()
    }

    /// Applies what `list` emitted since `subscribed` to a copy.
    fn follow(
        copy: &mut Vec<ConversationSummary>,
        stream: &mut VectorSubscriberBatchedStream<ConversationSummary>,
    ) -> usize {
        use futures_util::FutureExt;
        let mut diffs = 0;
        while let Some(Some(batch)) = futures_util::StreamExt::next(stream).now_or_never() {
            diffs += batch.len();
            for d in batch {
                apply_diff(copy, d);
            }
        }
        diffs
    }

    #[test]
    fn changes_that_came_together_are_read_once() {
        let mut p = Pending::default();
        for c in [Some(ListChange::One(3)), None, Some(ListChange::One(1)), Some(ListChange::One(3))] {
            p.add(c);
        }
        assert_eq!(p.reads(), [Some(3), Some(1)]);
        let mut p = Pending::default();
        p.add(Some(ListChange::One(3)));
        p.add(Some(ListChange::All));
        assert_eq!(p.reads(), [None], "everything, once");
    }

    #[test]
    fn pinned_first_then_the_newest_activity_then_by_id() {
        let mut list = ConversationList::new();
        let mut pinned = conv(1, 10);
        pinned.pinned = true;
        list.reset(vec![conv(2, 30), pinned, conv(3, 30), conv(4, 20)]);
        assert_eq!(ids(&list.items()), [1, 3, 2, 4]);
    }

    #[test]
    fn a_new_message_moves_its_conversation_to_the_top_in_one_remove_and_insert() {
        let mut list = ConversationList::new();
        list.reset(vec![conv(1, 30), conv(2, 20), conv(3, 10)]);
        let (mut copy, mut stream) = list.subscribe();
        list.upsert(3, Some(conv(3, 40)));
        assert_eq!(follow(&mut copy, &mut stream), 2);
        assert_eq!(ids(&copy), [3, 1, 2]);
        // A change that keeps its place is one set.
        let mut read = conv(1, 30);
        read.unread = 0;
        read.draft = "hi".into();
        list.upsert(1, Some(read));
        assert_eq!(follow(&mut copy, &mut stream), 1);
        assert_eq!(copy, list.items());
        // The same again: nothing.
        list.upsert(1, list.items().into_iter().find(|c| c.id == 1));
        assert_eq!(follow(&mut copy, &mut stream), 0);
    }

    #[test]
    fn a_reset_changes_only_what_differs() {
        let mut list = ConversationList::new();
        list.reset(vec![conv(1, 30), conv(2, 20), conv(3, 10)]);
        let (mut copy, mut stream) = list.subscribe();
        list.reset(vec![conv(1, 30), conv(2, 20), conv(3, 10)]);
        assert_eq!(follow(&mut copy, &mut stream), 0, "nothing changed");
        // One gone, one new, one moved.
        list.reset(vec![conv(1, 30), conv(3, 50), conv(5, 5)]);
        assert!(follow(&mut copy, &mut stream) <= 4);
        assert_eq!(ids(&copy), [3, 1, 5]);
        assert_eq!(copy, list.items());
    }

    #[test]
    fn random_changes_keep_a_copy_equal_and_in_order() {
        // A small linear congruential generator: the same cases every run.
        let mut seed: u64 = 0x9e37_79b9;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut list = ConversationList::new();
        let (mut copy, mut stream) = list.subscribe();
        for _ in 0..2_000 {
            let id = next(12) as ConversationId;
            match next(10) {
                0 => list.upsert(id, None),
                1 => {
                    let mut all = Vec::new();
                    for i in 0..12 {
                        if next(3) > 0 {
                            all.push(conv(i, next(50) as i64));
                        }
                    }
                    list.reset(all);
                }
                _ => {
                    let mut c = conv(id, next(50) as i64);
                    c.pinned = next(4) == 0;
                    c.unread = next(3) as u32;
                    list.upsert(id, Some(c));
                }
            }
            follow(&mut copy, &mut stream);
            assert_eq!(copy, list.items());
            let mut sorted = copy.clone();
            sorted.sort_by(list_order);
            assert_eq!(copy, sorted, "in list order");
        }
    }
}
