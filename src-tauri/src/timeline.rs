//! The open chat's timeline, handed to the UI as rows plus diffs (see
//! [`crate::views`]): the UI opens one, then applies the changes
//! `ling://views` carries for it; it neither merges, sorts nor pulls messages back.

use std::sync::Arc;

use ling_client::timeline::{TimelineItem, TimelineView};
use ling_proto::{ConversationId, Seq};
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;

use crate::error::AppResult;
use crate::state::AppState;
use crate::views::{Feed, Follow, OpenView};

/// How far back a chat may open at its first unread message: past this
/// many messages it opens at the newest.
pub const UNREAD_REACH: usize = 500;

/// The window's open timeline.
pub type Timelines = OpenView<TimelineView>;

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

/// Opens conversation `conversation_id`'s timeline as view `view` (a
/// number the UI chose, which its diffs carry): its newest page, loaded
/// back to the first unread message when that is within reach.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn timeline_open(
    app: AppHandle,
    state: State<'_, AppState>,
    timelines: State<'_, Timelines>,
    feed: State<'_, Feed>,
    view: u32,
    conversation_id: ConversationId,
) -> AppResult<TimelineSnapshot> {
    let opening = timelines.begin();
    let timeline = Arc::new(state.session()?.client.timeline(conversation_id).await?);
    let at_unread = timeline.paginate_back_to_unread(UNREAD_REACH).await?;
    let (items, diffs) = timeline.subscribe();
    let reached_start = timeline.reached_start().await;
    let follow = Follow::new(view, diffs, timeline.settled());
    timelines.finish(opening, view, timeline, || feed.timeline(&app, follow));
    Ok(TimelineSnapshot { items, reached_start, at_unread })
}

/// Loads the open timeline's next older page (its rows arrive as diffs);
/// whether the conversation's start is reached.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn timeline_paginate_back(timelines: State<'_, Timelines>, view: u32) -> AppResult<bool> {
    Ok(timelines.get(view)?.paginate_back().await?)
}

/// Loads older pages of the open timeline until message `seq` is in (a
/// pinned message, a search hit), within reach; whether it is.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn timeline_paginate_back_to(timelines: State<'_, Timelines>, view: u32, seq: Seq) -> AppResult<bool> {
    Ok(timelines.get(view)?.paginate_back_to(seq, JUMP_REACH).await?)
}

/// Messages loaded at most to reach one jumped to.
const JUMP_REACH: usize = 5_000;

/// Closes view `view`, if it is the open one.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all)]
pub fn timeline_close(timelines: State<'_, Timelines>, view: u32) {
    timelines.close(Some(view));
}
