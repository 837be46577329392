//! The open chat's timeline, handed to the UI as rows plus diffs: the UI
//! opens one (a snapshot of its rows), then applies the `ling://timeline`
//! events that change it; it neither merges, sorts nor pulls messages back.
//! One per window: opening another closes the last.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use ling_client::timeline::{RowDiff, TimelineItem, TimelineView};
use ling_proto::ConversationId;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The open timeline's changes (`TimelineDiffs`).
pub const TIMELINE_EVENT: &str = "ling://timeline";

/// How far back a chat may open at its first unread message: past this
/// many messages it opens at the newest.
pub const UNREAD_REACH: usize = 500;

/// The timeline as opened.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TimelineSnapshot {
    /// The rows now; the view's diffs apply to them.
    pub items: Vec<TimelineItem>,
    /// Whether the conversation's start is loaded.
    pub reached_start: bool,
    /// Whether the first unread message is loaded (the marker stands over
    /// it), so the chat opens there; false when it lies further back than
    /// [`UNREAD_REACH`] messages, or nothing is unread.
    pub at_unread: bool,
}

/// A batch of changes to the open timeline's rows, in order.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TimelineDiffs {
    /// Which opening they belong to (the one the UI chose).
    pub view: u32,
    /// Applied in order.
    pub diffs: Vec<RowDiff>,
}

/// The window's open timeline.
#[derive(Default)]
pub struct Timelines {
    open: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    /// Counts openings begun: one that ends after a later one began is
    /// not kept (two chats clicked in quick succession).
    opening: u64,
    open: Option<Open>,
}

struct Open {
    view: u32,
    timeline: Arc<TimelineView>,
    forward: tokio::task::JoinHandle<()>,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.forward.abort();
    }
}

impl Timelines {
    fn get(&self, view: u32) -> AppResult<Arc<TimelineView>> {
        let slot = self.open.lock().expect("timeline lock");
        match slot.open.as_ref() {
            Some(o) if o.view == view => Ok(o.timeline.clone()),
            _ => Err(AppError::new("timeline_closed", "that chat is no longer open")),
        }
    }

    /// Closes the open one; the number of the opening begun.
    fn begin(&self) -> u64 {
        let mut slot = self.open.lock().expect("timeline lock");
        slot.opening += 1;
        let opening = slot.opening;
        let old = slot.open.take();
        drop(slot);
        drop(old);
        opening
    }

    /// Keeps `open` if no later opening began since `opening`.
    fn finish(&self, opening: u64, open: Open) {
        let mut slot = self.open.lock().expect("timeline lock");
        if slot.opening == opening {
            slot.open = Some(open);
        }
    }

    /// Closes view `view` (any view, for `None`), if it is the open one.
    pub fn close(&self, view: Option<u32>) {
        let mut slot = self.open.lock().expect("timeline lock");
        if slot.open.as_ref().is_some_and(|o| view.is_none_or(|v| o.view == v)) {
            let old = slot.open.take();
            drop(slot);
            drop(old);
        }
    }
}

/// Opens conversation `conversation_id`'s timeline as view `view` (a
/// number the UI chose, which its diffs carry): its newest page, loaded
/// back to the first unread message when that is within reach.
#[tauri::command]
pub async fn timeline_open(
    app: AppHandle,
    state: State<'_, AppState>,
    timelines: State<'_, Timelines>,
    view: u32,
    conversation_id: ConversationId,
) -> AppResult<TimelineSnapshot> {
    let opening = timelines.begin();
    let client = &state.session()?.client;
    let read_seq = client.conversation(conversation_id).await?.map(|c| c.read_seq);
    let timeline = Arc::new(client.timeline(conversation_id).await?);
    let unread = timeline.items().iter().any(|i| matches!(i, TimelineItem::Unread { .. }));
    let at_unread = match read_seq {
        Some(read) if unread => timeline.paginate_back_to(read + 1, UNREAD_REACH).await?,
        _ => false,
    };
    let (items, mut diffs) = timeline.subscribe();
    let forward = tokio::spawn(async move {
        while let Some(batch) = diffs.next().await {
            let diffs = batch.into_iter().map(RowDiff::from).collect();
            let _ = app.emit(TIMELINE_EVENT, TimelineDiffs { view, diffs });
        }
    });
    let reached_start = timeline.reached_start().await;
    timelines.finish(opening, Open { view, timeline, forward });
    Ok(TimelineSnapshot { items, reached_start, at_unread })
}

/// Loads the open timeline's next older page (its rows arrive as diffs);
/// whether the conversation's start is reached.
#[tauri::command]
pub async fn timeline_paginate_back(timelines: State<'_, Timelines>, view: u32) -> AppResult<bool> {
    Ok(timelines.get(view)?.paginate_back().await?)
}

/// Closes view `view`, if it is the open one.
#[tauri::command]
pub fn timeline_close(timelines: State<'_, Timelines>, view: u32) {
    timelines.close(Some(view));
}
