//! The conversation list, handed to the UI as rows plus diffs (see
//! [`crate::views`]): in list order (pinned, then the most recently active),
//! its changes on `ling://views`; the UI neither sorts nor pulls
//! conversations back.

use std::sync::Arc;

use ling_client::cache::ConversationSummary;
use ling_client::conversation_list::ConversationListView;
use tauri::{AppHandle, State};

use crate::error::AppResult;
use crate::state::AppState;
use crate::views::{Feed, Follow, OpenView};

/// The window's conversation list.
pub type Lists = OpenView<ConversationListView>;

/// Opens the logged-in account's conversation list as view `view` (a
/// number the UI chose, which its diffs carry): its rows now.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn conversation_list_open(
    app: AppHandle,
    state: State<'_, AppState>,
    lists: State<'_, Lists>,
    feed: State<'_, Feed>,
    view: u32,
) -> AppResult<Vec<ConversationSummary>> {
    let opening = lists.begin();
    let list = Arc::new(state.session()?.client.conversation_list().await?);
    let (rows, diffs) = list.subscribe();
    let follow = Follow::new(view, diffs, list.settled());
    lists.finish(opening, view, list, || feed.list(&app, follow));
    Ok(rows)
}
