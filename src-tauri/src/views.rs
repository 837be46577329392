//! Views the UI keeps a copy of (the open chat's timeline, the conversation
//! list): opened by a command that returns a snapshot, then changed by
//! batches of diffs, each tagged with the view number the UI chose when it
//! opened it (so that diffs which beat the snapshot can wait for it, and a
//! closed view's late ones are told apart). One task, the [`Feed`], hands
//! both views' changes of the same events over together, as one
//! `ling://views` event: a message that arrives is one event for its row
//! and its chat's entry in the list.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use eyeball_im::VectorSubscriberBatchedStream;
use futures_util::{FutureExt, StreamExt};
use ling_client::cache::ConversationSummary;
use ling_client::rows::{RowDiff, Settled};
use ling_client::timeline::TimelineItem;
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::mpsc;
use ts_rs::TS;

use crate::error::{AppError, AppResult, ShellCode};

/// The open views' changes (`ViewsChanged`).
pub const VIEWS_EVENT: &str = "ling://views";

/// How long the feed waits at most for the other view to fold the events
/// that changed one (a list read from the cache takes well under a
/// millisecond; the wait ends as soon as both have). 100 ms split one
/// arrival into two events once in a fresh-clone CI run, where the two
/// cores are shared by several app windows and their servers.
const SETTLE: Duration = Duration::from_millis(300);

/// A batch of changes to an open view's rows, in order.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ViewDiffs<T> {
    /// Which opening they belong to (the number the UI chose).
    pub view: u32,
    /// Applied in order.
    pub diffs: Vec<RowDiff<T>>,
}

/// One batch of the open views' changes, of the same events.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ViewsChanged {
    /// The open timeline's.
    pub timeline: Option<ViewDiffs<TimelineItem>>,
    /// The conversation list's.
    pub conversations: Option<ViewDiffs<ConversationSummary>>,
}

/// A view's changes as the feed follows them.
pub struct Follow<T> {
    view: u32,
    diffs: VectorSubscriberBatchedStream<T>,
    settled: Settled,
}

impl<T> Follow<T> {
    pub fn new(view: u32, diffs: VectorSubscriberBatchedStream<T>, settled: Settled) -> Follow<T> {
        Follow { view, diffs, settled }
    }
}

enum Attach {
    Timeline(Follow<TimelineItem>),
    List(Follow<ConversationSummary>),
}

/// The window's one forwarder of view changes (see the module's note).
#[derive(Default)]
pub struct Feed {
    tx: OnceLock<mpsc::UnboundedSender<Attach>>,
}

impl Feed {
    /// Follows the open timeline's changes from now on (the one before stops).
    pub fn timeline(&self, app: &AppHandle, follow: Follow<TimelineItem>) {
        self.send(app, Attach::Timeline(follow));
    }

    /// Follows the conversation list's changes from now on.
    pub fn list(&self, app: &AppHandle, follow: Follow<ConversationSummary>) {
        self.send(app, Attach::List(follow));
    }

    fn send(&self, app: &AppHandle, attach: Attach) {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(feed(app.clone(), rx));
            tx
        });
        let _ = tx.send(attach);
    }
}

/// The next batch of a followed view; pending while none is followed. A
/// view whose rows are gone (closed) is no longer followed.
async fn next_batch<T: Clone + Send + Sync + 'static>(follow: &mut Option<Follow<T>>) -> Vec<RowDiff<T>> {
    loop {
        let Some(f) = follow.as_mut() else { return std::future::pending().await };
        match f.diffs.next().await {
            Some(batch) => return batch.into_iter().map(RowDiff::from).collect(),
            None => *follow = None,
        }
    }
}

/// What a followed view has ready now, after `first`, tagged with its view.
fn drain<T: Clone + Send + Sync + 'static>(
    follow: &mut Option<Follow<T>>,
    mut diffs: Vec<RowDiff<T>>,
) -> Option<ViewDiffs<T>> {
    let f = follow.as_mut()?;
    while let Some(Some(batch)) = f.diffs.next().now_or_never() {
        diffs.extend(batch.into_iter().map(RowDiff::from));
    }
    (!diffs.is_empty()).then_some(ViewDiffs { view: f.view, diffs })
}

async fn caught_up<T>(follow: &Option<Follow<T>>) {
    if let Some(f) = follow {
        f.settled.clone().caught_up().await;
    }
}

/// Waits for a change to either view; then, once both have folded every
/// event emitted by then (or `SETTLE` passed), emits all they have as one.
async fn feed(app: AppHandle, mut attach: mpsc::UnboundedReceiver<Attach>) {
    let mut timeline: Option<Follow<TimelineItem>> = None;
    let mut list: Option<Follow<ConversationSummary>> = None;
    loop {
        let (first_timeline, first_list) = tokio::select! {
            a = attach.recv() => {
                match a {
                    Some(Attach::Timeline(f)) => timeline = Some(f),
                    Some(Attach::List(f)) => list = Some(f),
                    None => return,
                }
                continue;
            }
            d = next_batch(&mut timeline) => (d, Vec::new()),
            d = next_batch(&mut list) => (Vec::new(), d),
        };
        let _ = tokio::time::timeout(SETTLE, async {
            caught_up(&timeline).await;
            caught_up(&list).await;
        })
        .await;
        let changed = ViewsChanged {
            timeline: drain(&mut timeline, first_timeline),
            conversations: drain(&mut list, first_list),
        };
        if changed.timeline.is_some() || changed.conversations.is_some() {
            let _ = app.emit(VIEWS_EVENT, changed);
        }
    }
}

/// One open view of kind `V` per window: opening another closes it.
pub struct OpenView<V> {
    slot: Mutex<Slot<V>>,
}

impl<V> Default for OpenView<V> {
    fn default() -> Self {
        OpenView { slot: Mutex::new(Slot { opening: 0, open: None }) }
    }
}

struct Slot<V> {
    /// Counts openings begun: one that ends after a later one began is not
    /// kept (two chats clicked in quick succession).
    opening: u64,
    open: Option<Open<V>>,
}

struct Open<V> {
    view: u32,
    inner: Arc<V>,
}

impl<V: Send + Sync + 'static> OpenView<V> {
    /// The open view, if it is `view`.
    pub fn get(&self, view: u32) -> AppResult<Arc<V>> {
        let slot = self.lock();
        match slot.open.as_ref() {
            Some(o) if o.view == view => Ok(o.inner.clone()),
            _ => Err(AppError::new(ShellCode::ViewClosed, "that view is no longer open")),
        }
    }

    /// Closes the open view; the number of the opening begun.
    pub fn begin(&self) -> u64 {
        let (opening, old) = {
            let mut slot = self.lock();
            slot.opening += 1;
            (slot.opening, slot.open.take())
        };
        // Dropped (its rows, and so the feed's following) outside the lock.
        drop(old);
        opening
    }

    /// Keeps `inner` as view `view` and has `follow` start following its
    /// changes, unless a later opening began since `opening`.
    pub fn finish(&self, opening: u64, view: u32, inner: Arc<V>, follow: impl FnOnce()) {
        let mut slot = self.lock();
        if slot.opening != opening {
            return;
        }
        // Under the lock: a later opening follows after this one.
        follow();
        let old = slot.open.replace(Open { view, inner });
        drop(slot);
        drop(old);
    }

    /// Closes view `view` (any, for `None`), if it is the open one.
    pub fn close(&self, view: Option<u32>) {
        let old = {
            let mut slot = self.lock();
            slot.open.take_if(|o| view.is_none_or(|v| o.view == v))
        };
        drop(old);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot<V>> {
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
