//! The assistant at work (see `crate::assistant`): the questions it hears
//! answered by asking the model, the reply streamed to the members and
//! stored; its routes: a one-to-one conversation with it, and in a
//! conversation it is in, stop, regenerate and a new topic.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use ling_proto::assistant::{AssistantChat, AssistantQuestion};
use ling_proto::messages::{ConversationKind, HistoryPage, Message, MessageContent, ReplyEnd, SystemEvent};
use ling_proto::ws::ServerFrame;
use ling_proto::{ConversationId, ErrorCode, Seq, UserId};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;

use crate::assistant::reply::{Ending, Reply};
use crate::assistant::{Assistant, Heard, context, upstream};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path};
use crate::hub;
use crate::routes::messages::{member_context, post_reply, post_system};
use crate::state::{AppState, now_ms};
use crate::store::HistoryBound;

/// Messages read back from the question to build the context (the token
/// budget usually stops earlier).
const HISTORY_READ: u32 = 200;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/assistant/chat", post(chat))
        .route("/v1/conversations/{id}/assistant/stop", post(stop_http))
        .route("/v1/conversations/{id}/assistant/regenerate", post(regenerate))
        .route("/v1/conversations/{id}/assistant/new-topic", post(new_topic))
}

/// The caller's conversation with the assistant, made on first use: they
/// become "friends" without a request (it shows among their contacts; they
/// may remove or block it like anyone).
async fn chat(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<AssistantChat>> {
    let a = on(&state)?;
    let (conversation_id, _new) = state.store.befriend(auth.user_id, a.user_id, now_ms()).await?;
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    Ok(Json(AssistantChat { conversation_id }))
}

async fn stop_http(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<AssistantQuestion>,
) -> ApiResult<StatusCode> {
    stop_reply(&state, auth.user_id, id, req.question)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn regenerate(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<AssistantQuestion>,
) -> ApiResult<StatusCode> {
    regenerate_reply(&state, auth.user_id, id, req.question).await?;
    Ok(StatusCode::ACCEPTED)
}

/// From here on the assistant reads nothing said before: a `new_topic` note.
async fn new_topic(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<Json<Message>> {
    let a = on(&state)?;
    let ctx = member_context(&state, auth.user_id, id).await?;
    if !ctx.member_ids.contains(&a.user_id) {
        return Err(ApiError::invalid("the assistant is not in this conversation"));
    }
    crate::routes::messages::check_can_write(&state, auth.user_id, &ctx).await?;
    Ok(Json(post_system(&state, id, auth.user_id, SystemEvent::NewTopic { by: auth.user_id }, &[]).await?))
}

/// Answers the questions the assistant hears, each on a task of its own,
/// until the server stops.
pub async fn drive(state: AppState, mut heard: mpsc::UnboundedReceiver<Heard>) {
    loop {
        let heard = tokio::select! {
            h = heard.recv() => match h { Some(h) => h, None => return },
            _ = state.shutdown.cancelled() => return,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let Some(a) = &state.assistant else { return };
            let ctx = match state.store.send_context(a.user_id, heard.message.conversation_id).await {
                Ok(Some(ctx)) if ctx.is_member => ctx,
                _ => return,
            };
            let group = ctx.kind == ConversationKind::Group;
            if group && !heard.mentioned {
                return;
            }
            answer(&state, heard.message, group, ctx.member_ids).await;
        });
    }
}

/// Asks again for a reply to `question` (the caller's own question).
async fn regenerate_reply(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
    question: Seq,
) -> ApiResult<()> {
    let a = on(state)?;
    let ctx = member_context(state, user, conversation).await?;
    if !ctx.member_ids.contains(&a.user_id) {
        return Err(ApiError::invalid("the assistant is not in this conversation"));
    }
    // As for asking anew: not in a dissolved group, nor past a block.
    crate::routes::messages::check_can_write(state, user, &ctx).await?;
    let message = state.store.message(conversation, question).await?.ok_or_else(|| ApiError::not_found("message"))?;
    if message.sender_id != user {
        return Err(ApiError::new(ErrorCode::NotOwnMessage, "only who asked may ask again"));
    }
    if !matches!(message.content, MessageContent::Text { .. }) {
        return Err(ApiError::invalid("only a text message is a question"));
    }
    if a.is_writing(conversation, question) {
        return Err(ApiError::new(ErrorCode::AssistantBusy, "the assistant is still answering it"));
    }
    let state = state.clone();
    let group = ctx.kind == ConversationKind::Group;
    tokio::spawn(async move { answer(&state, message, group, ctx.member_ids).await });
    Ok(())
}

/// The assistant, or `assistant_off`.
fn on(state: &AppState) -> ApiResult<&Assistant> {
    state.assistant.as_deref().ok_or_else(|| ApiError::new(ErrorCode::AssistantOff, "this server has no assistant"))
}

/// Ends the replies a stopped server left running, each with an
/// `assistant_interrupted` note (at startup).
pub async fn recover(state: &AppState) -> anyhow::Result<()> {
    let Some(a) = &state.assistant else { return Ok(()) };
    for (conversation, question, started_at) in state.store.open_replies().await? {
        // Stored just before the stop, but not yet forgotten: nothing to add.
        let after = state.store.history(conversation, HistoryBound::AfterSeq(question), HISTORY_READ).await?;
        let stored = after
            .messages
            .iter()
            .any(|m| m.sender_id == a.user_id && m.reply_to == Some(question) && m.send_time >= started_at);
        if stored {
            state.store.end_reply(conversation, question).await?;
            continue;
        }
        let note = MessageContent::Assistant {
            text: String::new(),
            end: ReplyEnd::Failed,
            code: Some(ErrorCode::AssistantInterrupted),
        };
        post_reply(state, conversation, a.user_id, note, question)
            .await
            .map_err(|e| anyhow::anyhow!("ending a reply cut short: {}", e.message))?;
        state.store.end_reply(conversation, question).await?;
        tracing::info!(conversation, question, "ended a reply the last run cut short");
    }
    Ok(())
}

/// Answers `question`: within the asker's limits, streams the reply to
/// `members` and stores it.
async fn answer(state: &AppState, question: Message, group: bool, members: Vec<UserId>) {
    let Some(a) = &state.assistant else { return };
    let (conversation, seq, asker) = (question.conversation_id, question.seq, question.sender_id);
    let refuse =
        |code: ErrorCode| MessageContent::Assistant { text: String::new(), end: ReplyEnd::Failed, code: Some(code) };
    let slot = match a.limits.admit(asker) {
        Ok(slot) => slot,
        Err(code) => {
            if let Err(e) = post_reply(state, conversation, a.user_id, refuse(code), seq).await {
                tracing::warn!(error = %e.message, "could not store a refusal");
            }
            return;
        }
    };
    match state.store.begin_reply(conversation, seq, asker, now_ms()).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not record a reply");
            return;
        }
    }
    let stop = a.writing(conversation, seq, asker);
    let (text, end, code) = write(state, a, &question, group, &members, &stop).await;
    // Done writing: nothing left to stop, and it may be asked again. The
    // slot is free before the reply is seen, so the asker's next question,
    // sent the moment the reply arrives, is not refused as busy.
    a.written(conversation, seq);
    drop(slot);
    if state.shutdown.is_cancelled() && code == Some(ErrorCode::AssistantInterrupted) {
        // The server is stopping: the store may close before this reply is
        // stored; it stays recorded and the next start ends it (`recover`).
        return;
    }
    let content = MessageContent::Assistant { text, end, code };
    match post_reply(state, conversation, a.user_id, content, seq).await {
        Ok(_) => {
            if let Err(e) = state.store.end_reply(conversation, seq).await {
                tracing::warn!(error = %e, "could not forget a finished reply");
            }
        }
        // Left recorded: the next start ends it with a note.
        Err(e) => tracing::warn!(error = %e.message, "could not store a reply"),
    }
}

/// Asks the model and streams its reply to `members`; its text, end and code.
async fn write(
    state: &AppState,
    a: &Assistant,
    question: &Message,
    group: bool,
    members: &[UserId],
    stop: &CancellationToken,
) -> (String, ReplyEnd, Option<ErrorCode>) {
    let conversation = question.conversation_id;
    let frame = |offset: u32, text: String| {
        let frame = ServerFrame::AssistantStream {
            conversation_id: conversation,
            user_id: a.user_id,
            question: question.seq,
            offset,
            text,
        };
        hub::send(&*state.hub, members, &frame);
    };
    frame(0, String::new());
    // Spread over the second by the question, so replies asked together
    // send their whole texts at different moments.
    let phase = (conversation as u64).wrapping_mul(7919).wrapping_add(question.seq as u64) % 1000;
    let mut reply = Reply::new(Instant::now(), a.max_chars, a.first_token, a.whole)
        .with_phase(std::time::Duration::from_millis(phase));
    let messages = match read_context(state, a, question, group).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e.message, "could not read the assistant's context");
            return reply.finish(Ending::Failed(ErrorCode::Internal));
        }
    };
    let body = upstream::CompletionRequest { model: &a.model, messages: &messages, stream: true };
    let mut request = a.http.post(&a.url).json(&body);
    if let Some(key) = &a.key {
        request = request.bearer_auth(&key.0);
    }
    // Stop, or the server stopping, ends the reply wherever it is.
    let halted = async {
        tokio::select! {
            _ = stop.cancelled() => Ending::Stopped,
            _ = state.shutdown.cancelled() => Ending::Failed(ErrorCode::AssistantInterrupted),
        }
    };
    tokio::pin!(halted);
    let response = tokio::select! {
        r = timeout_at(reply.deadline(), request.send()) => r,
        ending = &mut halted => return reply.finish(ending),
    };
    let response = match response {
        Err(_) => return reply.finish(Ending::Failed(ErrorCode::AssistantTimeout)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the assistant's model could not be reached");
            return reply.finish(Ending::Failed(ErrorCode::AssistantUnavailable));
        }
        Ok(Ok(r)) if !r.status().is_success() => {
            tracing::warn!(status = %r.status(), "the assistant's model refused");
            return reply.finish(Ending::Failed(upstream::status_code(r.status().as_u16())));
        }
        Ok(Ok(r)) => r,
    };
    let mut events = response.bytes_stream().eventsource();
    let ending = 'stream: loop {
        let next = tokio::select! {
            next = timeout_at(reply.deadline(), events.next()) => next,
            ending = &mut halted => break ending,
        };
        let event = match next {
            Err(_) => break Ending::Failed(ErrorCode::AssistantTimeout),
            // The stream ended before the model said it was done.
            Ok(None) | Ok(Some(Err(_))) => break Ending::Failed(ErrorCode::AssistantInterrupted),
            Ok(Some(Ok(event))) => event,
        };
        let Ok(parsed) = upstream::parse_event(&event.data) else {
            break Ending::Failed(ErrorCode::AssistantInterrupted);
        };
        for e in parsed {
            match e {
                upstream::Event::Delta(text) => {
                    let grown = reply.grow(&text, Instant::now());
                    if let Some((offset, text)) = grown.frame {
                        frame(offset, text);
                    }
                    if grown.full {
                        break 'stream Ending::Done;
                    }
                }
                upstream::Event::Done => break 'stream Ending::Done,
                upstream::Event::Failed => break 'stream Ending::Failed(ErrorCode::AssistantUnavailable),
            }
        }
    };
    reply.finish(ending)
}

/// The model's messages for a reply to `question`.
async fn read_context(
    state: &AppState,
    a: &Assistant,
    question: &Message,
    group: bool,
) -> ApiResult<Vec<context::ChatMessage>> {
    let HistoryPage { messages, .. } =
        state.store.history(question.conversation_id, HistoryBound::BeforeSeq(question.seq + 1), HISTORY_READ).await?;
    let mut names = HashMap::new();
    if group {
        let mut ids: Vec<UserId> = messages.iter().map(|m| m.sender_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for p in state.store.profiles(ids).await? {
            names.insert(p.id, p.display_name);
        }
    }
    let name = |id: UserId| names.get(&id).cloned().unwrap_or_else(|| format!("user {id}"));
    Ok(context::build(&messages, question.seq, a.user_id, &name, group, a.system_prompt.as_deref(), a.context_tokens))
}

/// Stops the reply to `question` (the WebSocket's `assistant_stop`).
pub fn stop_reply(state: &AppState, user: UserId, conversation: ConversationId, question: Seq) -> ApiResult<()> {
    on(state)?.stop(user, conversation, question)
}
