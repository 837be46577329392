//! Conversations and messages: sending, reading, recalling, the list's local settings, search.

use std::path::PathBuf;

use ling_client::cache::{CachedMessage, ConversationSummary};
use ling_client::send_queue::TextToSend;
use ling_proto::messages::{LinkPreview, Mentions};
use ling_proto::{ConversationId, Seq};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// One conversation's row.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn conversation(state: State<'_, AppState>, id: ConversationId) -> AppResult<Option<ConversationSummary>> {
    Ok(state.session()?.client.conversation(id).await?)
}

/// Sends text, optionally as a reply to `reply_to`, mentioning `mentions`,
/// with the link preview `preview` (from `link_preview`).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_text(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    text: String,
    reply_to: Option<Seq>,
    mentions: Option<Mentions>,
    preview: Option<LinkPreview>,
) -> AppResult<CachedMessage> {
    let client = &state.session()?.client;
    let text = TextToSend { text, reply_to, mentions: mentions.unwrap_or_default(), preview };
    Ok(client.send_queue().send_text_with(conversation_id, text).await?)
}

/// A preview of `url`, a link in the text being written, to send with it:
/// fetched by the core within its limits, its picture uploaded. Refused with
/// `previews_off` when previews are switched off.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn link_preview(state: State<'_, AppState>, url: String) -> AppResult<LinkPreview> {
    Ok(state.session()?.client.link_preview(&url).await?)
}

/// Sends files (images inline): each is listed at once and uploaded by
/// the core's send queue (progress as `upload_progress` events). Returns
/// their messages.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_files(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    paths: Vec<String>,
) -> AppResult<Vec<CachedMessage>> {
    let client = &state.session()?.client;
    let mut sent = Vec::with_capacity(paths.len());
    for path in paths {
        sent.push(client.send_queue().send_file(conversation_id, &PathBuf::from(path)).await?);
    }
    Ok(sent)
}

/// Removes a message that was not sent (failed, or its file uploading).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn discard(state: State<'_, AppState>, client_msg_id: String) -> AppResult<()> {
    Ok(state.session()?.client.send_queue().discard(&client_msg_id).await?)
}

/// Sends a failed message again.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn retry(state: State<'_, AppState>, client_msg_id: String) -> AppResult<()> {
    Ok(state.session()?.client.send_queue().retry(&client_msg_id).await?)
}

/// Moves the read cursor.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn mark_read(state: State<'_, AppState>, conversation_id: ConversationId, seq: Seq) -> AppResult<()> {
    Ok(state.session()?.client.mark_read(conversation_id, seq).await?)
}

/// Says which conversation the person reads live (`None`: none): what
/// arrives in it is read as it is stored.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_reading(state: State<'_, AppState>, conversation_id: Option<ConversationId>) -> AppResult<()> {
    Ok(state.session()?.client.set_reading(conversation_id).await?)
}

/// Says "typing…" to the others.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn typing(state: State<'_, AppState>, conversation_id: ConversationId) -> AppResult<()> {
    state.session()?.client.typing(conversation_id);
    Ok(())
}

/// Recalls an own message.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn recall(state: State<'_, AppState>, conversation_id: ConversationId, seq: Seq) -> AppResult<()> {
    Ok(state.session()?.client.recall(conversation_id, seq).await?)
}

/// Edits an own text message.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn edit_message(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    seq: Seq,
    text: String,
) -> AppResult<()> {
    Ok(state.session()?.client.edit(conversation_id, seq, &text).await?)
}

/// Adds (`on`) or takes back a reaction.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn react(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    seq: Seq,
    emoji: String,
    on: bool,
) -> AppResult<()> {
    Ok(state.session()?.client.react(conversation_id, seq, &emoji, on).await?)
}

/// Forwards sent messages (each `[conversation, seq]`) to each of `to`.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn forward(
    state: State<'_, AppState>,
    messages: Vec<(ConversationId, Seq)>,
    to: Vec<ConversationId>,
) -> AppResult<()> {
    let session = state.session()?;
    let client = &session.client;
    let mut found = Vec::with_capacity(messages.len());
    for (conversation_id, seq) in messages {
        let page = client.history(conversation_id, Some(seq + 1), 1).await?;
        let m = page.into_iter().find(|m| m.seq == Some(seq));
        found.push(
            m.ok_or(ling_client::ClientError::MessageNotFound { conversation_id, client_msg_id: format!("#{seq}") })?,
        );
    }
    Ok(client.send_queue().forward(&found, &to).await?)
}

/// Deletes a message on this device only.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn delete_for_me(state: State<'_, AppState>, conversation_id: ConversationId, seq: Seq) -> AppResult<()> {
    Ok(state.session()?.client.delete_for_me(conversation_id, seq).await?)
}

/// Pins or unpins a message in its conversation, for everyone in it.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn pin_message(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    seq: Seq,
    pinned: bool,
) -> AppResult<()> {
    Ok(state.session()?.client.pin_message(conversation_id, seq, pinned).await?)
}

/// Pins or unpins a conversation.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_pinned(state: State<'_, AppState>, conversation_id: ConversationId, pinned: bool) -> AppResult<()> {
    Ok(state.session()?.client.set_pinned(conversation_id, pinned).await?)
}

/// Mutes or unmutes a conversation.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_muted(state: State<'_, AppState>, conversation_id: ConversationId, muted: bool) -> AppResult<()> {
    Ok(state.session()?.client.set_muted(conversation_id, muted).await?)
}

/// Keeps the composer's unsent text.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_draft(state: State<'_, AppState>, conversation_id: ConversationId, draft: String) -> AppResult<()> {
    Ok(state.session()?.client.set_draft(conversation_id, &draft).await?)
}

/// Full-text search of the cached history (one conversation, or all).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn search_messages(
    state: State<'_, AppState>,
    query: String,
    conversation_id: Option<ConversationId>,
) -> AppResult<Vec<CachedMessage>> {
    Ok(state.session()?.client.search(&query, conversation_id, 100).await?)
}
