//! A timeline kept live: the thin task that feeds a [`Timeline`] from the
//! client's events and pages, so that the folding stays pure.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use ling_proto::{ConversationId, Seq, UserId};
use tokio::sync::broadcast;

use super::{Timeline, TimelineItem};
use crate::cache::CachedMessage;
use crate::error::ClientResult;
use crate::rows::{Settled, ViewEvents};

/// Fetches a page of history: up to `count` messages with seq below
/// `before`, or the newest page (with the unsent ones) for `None`.
pub(crate) type Pages =
    Arc<dyn Fn(Option<Seq>, u32) -> BoxFuture<'static, ClientResult<Vec<CachedMessage>>> + Send + Sync>;

/// Messages a page holds.
pub const PAGE: u32 = 50;

/// One conversation's timeline, kept up to date while it lives (see
/// [`crate::Client::timeline`]). Dropping it stops the updates.
pub struct TimelineView {
    conversation_id: ConversationId,
    timeline: Arc<Mutex<Timeline>>,
    pages: Pages,
    /// One pagination at a time (a second one waits, then goes on from
    /// where the first ended); it holds the lowest seq known to have
    /// nothing before it, once a page came back short.
    floor: tokio::sync::Mutex<Option<Seq>>,
    task: tokio::task::JoinHandle<()>,
    settled: Settled,
}

impl Drop for TimelineView {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TimelineView {
    /// Loads the newest page into `timeline` and follows `events` from then
    /// on, each read by `change` (the client's events, without this module
    /// knowing them).
    pub(crate) async fn start<E: Clone + Send + 'static>(
        conversation_id: ConversationId,
        timeline: Timeline,
        (mut events, mut folding, settled): ViewEvents<E>,
        change: fn(ConversationId, E) -> Option<Change>,
        pages: Pages,
    ) -> ClientResult<TimelineView> {
        // Subscribed before the page is read, so nothing falls between;
        // what arrives twice folds once.
        let newest = pages(None, PAGE).await?;
        let floor = short_page_floor(&newest);
        let timeline = Arc::new(Mutex::new(timeline));
        {
            let mut t = lock(&timeline);
            t.reset(newest);
            // Nothing unread when it opened: what arrives while it is open
            // is seen as it comes (or counted by the view's jump button),
            // not marked "new".
            if t.marker.is_none() {
                t.set_read_seq(None);
            }
        }
        let task = {
            let (timeline, pages) = (timeline.clone(), pages.clone());
            tokio::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            folding.took(1);
                            if let Some(change) = change(conversation_id, event) {
                                change.apply(&timeline, &pages).await;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            // Changes were missed: start again from the cache.
                            folding.took(n);
                            Change::Reload.apply(&timeline, &pages).await;
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                    folding.folded();
                }
            })
        };
        Ok(TimelineView { conversation_id, timeline, pages, floor: tokio::sync::Mutex::new(floor), task, settled })
    }

    /// How far the timeline has come through the client's events.
    pub fn settled(&self) -> Settled {
        self.settled.clone()
    }

    /// Which conversation.
    pub fn conversation_id(&self) -> ConversationId {
        self.conversation_id
    }

    /// The rows now.
    pub fn items(&self) -> Vec<TimelineItem> {
        lock(&self.timeline).items()
    }

    /// The rows now and every later change, in batches.
    pub fn subscribe(&self) -> (Vec<TimelineItem>, eyeball_im::VectorSubscriberBatchedStream<TimelineItem>) {
        lock(&self.timeline).subscribe()
    }

    /// Whether the conversation's start is loaded (nothing older is left).
    pub async fn reached_start(&self) -> bool {
        let floor = *self.floor.lock().await;
        self.start_within(floor)
    }

    fn start_within(&self, floor: Option<Seq>) -> bool {
        lock(&self.timeline).first_seq().is_none_or(|first| first <= 1 || floor.is_some_and(|f| first <= f))
    }

    /// Loads the page before the oldest message loaded; whether the
    /// conversation's start is reached (nothing older is left).
    pub async fn paginate_back(&self) -> ClientResult<bool> {
        let mut floor = self.floor.lock().await;
        self.paginate_back_locked(&mut floor).await
    }

    /// Loads older pages until message `seq` is loaded, or the start, or
    /// `max` messages in all; whether `seq` (or the start) was reached. A
    /// chat opens at its first unread message this way.
    pub async fn paginate_back_to(&self, seq: Seq, max: usize) -> ClientResult<bool> {
        let mut floor = self.floor.lock().await;
        loop {
            let (first, len) = {
                let t = lock(&self.timeline);
                (t.first_seq(), t.len())
            };
            if self.start_within(*floor) || first.is_some_and(|f| f <= seq) {
                return Ok(true);
            }
            if len >= max {
                return Ok(false);
            }
            self.paginate_back_locked(&mut floor).await?;
        }
    }

    /// Loads older pages back to the first unread message, within `max`
    /// messages in all; whether it is loaded (the chat then opens at the
    /// marker). False when nothing is unread.
    pub async fn paginate_back_to_unread(&self, max: usize) -> ClientResult<bool> {
        let first_unread = {
            let t = lock(&self.timeline);
            t.marker.as_ref().and(t.read_seq).map(|read| read + 1)
        };
        match first_unread {
            Some(seq) => self.paginate_back_to(seq, max).await,
            None => Ok(false),
        }
    }

    async fn paginate_back_locked(&self, floor: &mut Option<Seq>) -> ClientResult<bool> {
        if self.start_within(*floor) {
            return Ok(true);
        }
        let Some(first) = lock(&self.timeline).first_seq() else { return Ok(true) };
        let page = (self.pages)(Some(first), PAGE).await?;
        if let Some(f) = short_page_floor(&page) {
            *floor = Some(f);
        } else if page.iter().all(|m| m.seq.is_none()) {
            *floor = Some(first);
        }
        lock(&self.timeline).upsert(page);
        Ok(self.start_within(*floor))
    }

    /// Moves the read marker (`None` hides it): the conversation was read.
    pub fn set_read_marker(&self, read_seq: Option<Seq>) {
        lock(&self.timeline).set_read_seq(read_seq);
    }
}

/// For a page with fewer sent messages than asked: its lowest seq, below
/// which nothing is left.
fn short_page_floor(page: &[CachedMessage]) -> Option<Seq> {
    let seqs = page.iter().filter_map(|m| m.seq);
    if seqs.clone().count() < PAGE as usize { seqs.min() } else { None }
}

fn lock(t: &Mutex<Timeline>) -> std::sync::MutexGuard<'_, Timeline> {
    t.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What an event means for one timeline.
#[derive(Debug)]
pub(crate) enum Change {
    Upsert(Box<CachedMessage>),
    Recall(Seq),
    /// An unsent message was discarded (by client id).
    Remove(String),
    /// The assistant's reply to a question grew (see [`Timeline::stream`]).
    Stream {
        question: Seq,
        user: UserId,
        offset: u32,
        text: String,
    },
    /// The newest page again (after a resync, or missed events).
    Reload,
}

impl Change {
    async fn apply(self, timeline: &Mutex<Timeline>, pages: &Pages) {
        match self {
            Change::Upsert(m) => lock(timeline).upsert([*m]),
            Change::Recall(seq) => lock(timeline).recall(seq),
            Change::Remove(client_msg_id) => lock(timeline).remove_unsent(&client_msg_id),
            Change::Stream { question, user, offset, text } => lock(timeline).stream(question, user, offset, &text),
            Change::Reload => {
                let page = match pages(None, PAGE).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(error = %e, "the timeline's newest page could not be read");
                        return;
                    }
                };
                let mut t = lock(timeline);
                // Kept with what is loaded when it joins it; in its place
                // when a gap lies between (scrolling fills the gap).
                let oldest = page.iter().filter_map(|m| m.seq).min();
                let joins = match (oldest, t.last_seq()) {
                    (None, _) => true,
                    (Some(o), Some(last)) => o <= last + 1,
                    (Some(_), None) => t.is_empty(),
                };
                if joins {
                    t.upsert(page);
                } else {
                    t.reset(page);
                }
            }
        }
    }
}
