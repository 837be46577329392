//! The server's AI assistant: who it is, the person's conversation with it,
//! stopping a reply, asking again, a new topic.

use ling_proto::info::AssistantInfo;
use ling_proto::{ConversationId, Seq};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// The server's assistant, if it has one (as last known when offline).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn assistant_info(state: State<'_, AppState>) -> AppResult<Option<AssistantInfo>> {
    Ok(state.session()?.client.assistant().info().await?)
}

/// The person's conversation with the assistant (made on first use).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn assistant_chat(state: State<'_, AppState>) -> AppResult<ConversationId> {
    Ok(state.session()?.client.assistant().chat().await?)
}

/// Stops the reply to `question`, keeping what it wrote.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn assistant_stop(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    question: Seq,
) -> AppResult<()> {
    Ok(state.session()?.client.assistant().stop(conversation_id, question).await?)
}

/// Asks again for a reply to the person's question.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn assistant_regenerate(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    question: Seq,
) -> AppResult<()> {
    Ok(state.session()?.client.assistant().regenerate(conversation_id, question).await?)
}

/// Starts a new topic: the assistant reads nothing said before.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn assistant_new_topic(state: State<'_, AppState>, conversation_id: ConversationId) -> AppResult<()> {
    Ok(state.session()?.client.assistant().new_topic(conversation_id).await?)
}
