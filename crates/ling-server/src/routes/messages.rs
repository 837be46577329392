//! Conversations and messages: send, history, read cursors, recall, typing.
//! The WebSocket's `send`, `read` and `typing` frames call the same functions.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ling_proto::messages::{
    ConversationKind, ConversationList, EditRequest, FileRef, HistoryPage, HistoryQuery, MarkReadRequest, Message,
    MessageContent, PinRequest, PreviewImage, ReactRequest, ReadCursor, SendAck, SendMessageRequest, SystemEvent,
};
use ling_proto::ws::ServerFrame;
use ling_proto::{ConversationId, ErrorCode, Seq, UserId, relations};
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use crate::config::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RECALL_WINDOW_SECS};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path, Query};
use crate::hub::{self, ConnRef};
use crate::state::{AppState, now_ms};
use crate::store::{
    self, Appended, HistoryBound, NewMessage, OnCommit, Pin, Recall, Relate, Relation, RelationRule, SendContext,
    SendFacts, SendRule, StoreError, StoreResult,
};
use crate::validate;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/conversations", get(conversations))
        .route("/v1/conversations/{id}/messages", get(history).post(send_http))
        .route("/v1/conversations/{id}/messages/{seq}", get(one_message))
        .route("/v1/conversations/{id}/messages/{seq}/recall", post(recall))
        .route("/v1/conversations/{id}/messages/{seq}/edit", post(edit))
        .route("/v1/conversations/{id}/messages/{seq}/reactions", post(react))
        .route("/v1/conversations/{id}/pins", post(pin))
        .route("/v1/conversations/{id}/read", post(read_http))
        .route("/v1/conversations/{id}/read-cursors", get(read_cursors))
}

/// The caller's facts in a conversation, refusing non-members.
pub async fn member_context(state: &AppState, user: UserId, conversation: ConversationId) -> ApiResult<SendContext> {
    let ctx = state.store.send_context(user, conversation).await?.ok_or_else(|| ApiError::not_found("conversation"))?;
    if !ctx.is_member {
        return Err(ApiError::not_a_member());
    }
    Ok(ctx)
}

/// The rule for writing into a conversation (sending, typing, calling): the
/// caller is a member; a direct conversation needs friends with no block; a
/// group must not be dissolved. Pure, so the store can apply it inside the
/// transaction that appends.
pub fn write_rule(ctx: &SendContext, relation: Option<&Relation>) -> ApiResult<()> {
    if !ctx.is_member {
        return Err(ApiError::not_a_member());
    }
    match ctx.kind {
        ConversationKind::Direct => {
            let rel = relation.ok_or_else(|| ApiError::not_found("conversation peer"))?;
            if rel.any_block() {
                return Err(ApiError::blocked());
            }
            if !rel.friends {
                return Err(ApiError::new(ErrorCode::NotFriends, "you are no longer friends"));
            }
        }
        ConversationKind::Group => {
            if ctx.group.is_some_and(|(_, dissolved)| dissolved) {
                return Err(ApiError::new(ErrorCode::GroupDissolved, "the group was dissolved"));
            }
        }
    }
    Ok(())
}

/// [`write_rule`] with the relation read from the store.
pub async fn check_can_write(state: &AppState, user: UserId, ctx: &SendContext) -> ApiResult<()> {
    let relation = match (ctx.kind, ctx.peer) {
        (ConversationKind::Direct, Some(peer)) => Some(state.store.relation(user, peer).await?),
        _ => None,
    };
    write_rule(ctx, relation.as_ref())
}

/// Checks what a client wants to send and fills in file details from the upload.
async fn prepare_content(state: &AppState, user: UserId, content: MessageContent) -> ApiResult<MessageContent> {
    match content {
        MessageContent::Text { text, preview } => {
            validate::message_text(&text, state.config.max_text_chars)?;
            let preview = match preview {
                Some(mut preview) => {
                    validate::link_preview(&text, &preview)?;
                    if let Some(image) = preview.image.take() {
                        let bad_image = |_| {
                            ApiError::new(ErrorCode::InvalidPreview, "a link preview's image must be an uploaded image")
                        };
                        let (file, width, height) =
                            readable_image(state, user, &image.file).await.map_err(bad_image)?;
                        preview.image = Some(PreviewImage { file, width, height });
                    }
                    Some(preview)
                }
                None => None,
            };
            Ok(MessageContent::Text { text, preview })
        }
        MessageContent::Image { file, .. } => {
            let (file, width, height) = readable_image(state, user, &file).await?;
            Ok(MessageContent::Image { file, width, height })
        }
        MessageContent::File { file } => {
            let info = readable_file(state, user, &file).await?;
            Ok(MessageContent::File { file: file_ref(&info) })
        }
        MessageContent::Voice { file, duration_ms, waveform } => {
            validate::voice(duration_ms, &waveform)?;
            let info = readable_file(state, user, &file).await?;
            if info.mime != "audio/opus" {
                return Err(ApiError::new(ErrorCode::InvalidContent, "a voice note must be Opus in an Ogg file"));
            }
            Ok(MessageContent::Voice { file: file_ref(&info), duration_ms, waveform })
        }
        _ => {
            Err(ApiError::new(ErrorCode::InvalidContent, "clients may send text, image, file and voice messages only"))
        }
    }
}

/// An uploaded image the caller may read, with its details and size.
async fn readable_image(state: &AppState, user: UserId, file: &FileRef) -> ApiResult<(FileRef, u32, u32)> {
    let info = readable_file(state, user, file).await?;
    match (info.width, info.height) {
        (Some(width), Some(height)) => Ok((file_ref(&info), width, height)),
        _ => Err(crate::routes::files::not_an_image()),
    }
}

async fn readable_file(state: &AppState, user: UserId, file: &FileRef) -> ApiResult<ling_proto::files::FileInfo> {
    let missing = || ApiError::new(ErrorCode::InvalidContent, "the message refers to a file that does not exist");
    if file.id.is_empty() || file.id.len() > 64 {
        return Err(missing());
    }
    let (info, _) = state.store.file(file.id.clone()).await?.ok_or_else(missing)?;
    if !state.store.can_read_file(user, file.id.clone()).await? {
        return Err(missing());
    }
    Ok(info)
}

fn file_ref(info: &ling_proto::files::FileInfo) -> FileRef {
    FileRef { id: info.id.clone(), name: info.name.clone(), size: info.size, mime: info.mime.clone() }
}

/// Sends a message: checks, stores (idempotently) and fans out; answers
/// once it is committed.
pub async fn send_message(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
    req: SendMessageRequest,
) -> ApiResult<SendAck> {
    let (tx, rx) = oneshot::channel();
    queue_send(state, user, conversation, req, Answer::Caller(tx)).await?;
    rx.await.map_err(|_| ApiError::new(ErrorCode::ShuttingDown, "the server is shutting down"))?
}

/// Where the outcome of a queued send goes.
pub enum Answer {
    /// Into the sending connection's queue (the WebSocket): in commit order
    /// with everything else it receives, so its ack for seq n comes before
    /// any message n+1. The permit counts the send as in flight until then.
    Connection { from: ConnRef, permit: OwnedSemaphorePermit },
    /// To a caller waiting for it (HTTP); all the sender's connections get
    /// the message.
    Caller(oneshot::Sender<ApiResult<SendAck>>),
}

impl Answer {
    /// The connection that gets the ack rather than the message.
    fn connection(&self) -> Option<ConnRef> {
        match self {
            Answer::Connection { from, .. } => Some(*from),
            Answer::Caller(_) => None,
        }
    }

    fn give(self, hub: &dyn hub::Hub, client_msg_id: String, outcome: ApiResult<SendAck>) {
        match self {
            Answer::Connection { from, permit } => {
                // Freed first, so a connection woken by the ack may read its next send.
                drop(permit);
                let frame = match outcome {
                    Ok(ack) => ServerFrame::Ack(ack),
                    Err(e) => ServerFrame::Error {
                        code: e.code,
                        message: e.message,
                        client_msg_id: Some(client_msg_id),
                        call_id: None,
                    },
                };
                hub.send_to_conn(from, hub::encode(&frame));
            }
            Answer::Caller(tx) => {
                let _ = tx.send(outcome);
            }
        }
    }
}

/// Checks what needs no store and queues the append; returns once it is
/// queued. One trip to the store: the facts are read and [`write_rule`]
/// applied in the transaction that appends, so nothing can change between
/// the check and the write. Sends queued one after another are stored in that
/// order, so a connection can queue its next send before the last one
/// commits (see docs/benchmarks.md). After the commit, in commit order, the
/// message goes to the members' connections and the outcome to `answer`; a
/// refusal found before queueing is returned here instead.
pub async fn queue_send(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
    req: SendMessageRequest,
    answer: Answer,
) -> ApiResult<()> {
    validate::client_msg_id(&req.client_msg_id)?;
    let content = match req.content {
        MessageContent::Text { .. } => prepare_content(state, user, req.content).await?,
        other => {
            // Files are checked against the store first: refuse non-members before looking.
            member_context(state, user, conversation).await?;
            prepare_content(state, user, other).await?
        }
    };
    let reply_to = req.reply_to;
    if req.mentions.all {
        // `@all`: a group's owner or admins.
        let ctx = member_context(state, user, conversation).await?;
        let role = match ctx.group {
            Some((group, _)) => state.store.role(group, user).await?,
            None => None,
        };
        if role.is_none_or(|r| r < ling_proto::groups::Role::Admin) {
            return Err(ApiError::new(
                ErrorCode::InsufficientRole,
                "only a group's owner or admins may mention everyone",
            ));
        }
    }
    let mentions = req.mentions.clone();
    let is_text = matches!(content, MessageContent::Text { .. });
    let rule: SendRule = Box::new(move |facts: &SendFacts| {
        write_rule(&facts.context, facts.relation.as_ref()).map_err(|e| StoreError::Rejected(e.code, e.message))?;
        mention_rule(&mentions, is_text, &facts.context.member_ids)?;
        if let Some(r) = reply_to
            && !(1..=facts.context.last_seq).contains(&r)
        {
            return Err(StoreError::Rejected(
                ErrorCode::InvalidRequest,
                "reply_to is not a message of this conversation".into(),
            ));
        }
        Ok(())
    });
    let client_msg_id = req.client_msg_id.clone();
    let message = NewMessage {
        sender: user,
        client_msg_id: req.client_msg_id,
        content,
        reply_to,
        now: now_ms(),
        forwarded: req.forwarded,
        mentions: req.mentions,
    };
    let fanout = state.fanout.clone();
    // The assistant, if any, hears what is stored.
    let assistant = state.assistant.clone();
    let on_commit: OnCommit<(Appended, Vec<UserId>)> = Box::new(move |outcome| {
        fanout.push(move |hub| {
            let except = answer.connection();
            let outcome = outcome
                .map(|(appended, members)| {
                    let m = appended.message;
                    if let Some(assistant) = &assistant
                        && !appended.duplicate
                    {
                        assistant.heard(&m, &members);
                    }
                    let ack = SendAck {
                        client_msg_id: m.client_msg_id.clone(),
                        conversation_id: m.conversation_id,
                        seq: m.seq,
                        send_time: m.send_time,
                    };
                    if !appended.duplicate {
                        hub.send_raw_except(&members, except, hub::encode(&ServerFrame::Message { message: m }));
                    }
                    ack
                })
                .map_err(|e| match e {
                    StoreError::NotFound => ApiError::not_found("conversation"),
                    other => other.into(),
                });
            answer.give(hub, client_msg_id, outcome);
        })
    });
    state.store.append_checked(conversation, message, rule, on_commit).await?;
    Ok(())
}

/// Writes a server message into a conversation and fans it out to its
/// members and to `also` (people just removed, who should see why).
pub async fn post_system(
    state: &AppState,
    conversation: ConversationId,
    by: UserId,
    event: SystemEvent,
    also: &[UserId],
) -> ApiResult<Message> {
    post_by_server(state, conversation, by, MessageContent::System { event }, also).await
}

/// Writes a message the server makes (a system event, a call record) in
/// `by`'s name and fans it out as `post_system` does, in commit order with
/// the conversation's other messages; returns it once committed.
pub async fn post_by_server(
    state: &AppState,
    conversation: ConversationId,
    by: UserId,
    content: MessageContent,
    also: &[UserId],
) -> ApiResult<Message> {
    post_as(state, conversation, by, content, None, also).await
}

/// Writes the assistant's reply to `question` as [`post_by_server`] writes
/// its messages.
pub async fn post_reply(
    state: &AppState,
    conversation: ConversationId,
    assistant: UserId,
    content: MessageContent,
    question: Seq,
) -> ApiResult<Message> {
    post_as(state, conversation, assistant, content, Some(question), &[]).await
}

async fn post_as(
    state: &AppState,
    conversation: ConversationId,
    by: UserId,
    content: MessageContent,
    reply_to: Option<Seq>,
    also: &[UserId],
) -> ApiResult<Message> {
    let fanout = state.fanout.clone();
    let also = also.to_vec();
    let (on_commit, committed) = store::awaited(move |outcome: &StoreResult<(Appended, Vec<UserId>)>| {
        if let Ok((appended, members)) = outcome {
            let mut audience = members.clone();
            audience.extend(also.into_iter().filter(|u| !members.contains(u)));
            let frame = ServerFrame::Message { message: appended.message.clone() };
            fanout.push(move |hub| hub::send(hub, &audience, &frame));
        }
    });
    let message = NewMessage {
        sender: by,
        client_msg_id: String::new(),
        content,
        reply_to,
        now: now_ms(),
        forwarded: false,
        mentions: Default::default(),
    };
    state.store.append(conversation, message, on_commit).await?;
    Ok(committed.await?.0.message)
}

/// Moves the caller's read cursor and tells their devices (and, in a direct
/// conversation, the peer, for read receipts).
pub async fn mark_read(state: &AppState, user: UserId, conversation: ConversationId, seq: Seq) -> ApiResult<Seq> {
    if seq < 0 {
        return Err(ApiError::invalid("seq may not be negative"));
    }
    let ctx = member_context(state, user, conversation).await?;
    let (cursor, moved) = state.store.mark_read(user, conversation, seq).await?;
    if !moved {
        return Ok(cursor);
    }
    let mut audience = vec![user];
    if let Some(peer) = ctx.peer
        && !state.store.relation(user, peer).await?.any_block()
    {
        audience.push(peer);
    }
    hub::send(&*state.hub, &audience, &ServerFrame::Read { conversation_id: conversation, user_id: user, seq: cursor });
    Ok(cursor)
}

/// Relays "typing" to the other members, at most once per
/// `TYPING_RELAY_EVERY` per sender and conversation. The throttle is asked
/// first, so a flood costs no store reads; what it drops gets no error.
pub async fn typing(state: &AppState, user: UserId, conversation: ConversationId) -> ApiResult<()> {
    if !state.typing_throttle.allow(user, conversation) {
        return Ok(());
    }
    let ctx = member_context(state, user, conversation).await?;
    check_can_write(state, user, &ctx).await?;
    let others: Vec<UserId> = ctx.member_ids.into_iter().filter(|u| *u != user).collect();
    hub::send(&*state.hub, &others, &ServerFrame::Typing { conversation_id: conversation, user_id: user });
    Ok(())
}

async fn conversations(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<ConversationList>> {
    Ok(Json(ConversationList { conversations: state.store.conversations(auth.user_id).await? }))
}

fn history_bound(q: &HistoryQuery) -> ApiResult<HistoryBound> {
    let given = [q.after_seq.is_some(), q.before_seq.is_some(), q.after_time.is_some(), q.before_time.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(ApiError::invalid("give at most one of after_seq, before_seq, after_time, before_time"));
    }
    Ok(match (q.after_seq, q.before_seq, q.after_time, q.before_time) {
        (Some(s), ..) => HistoryBound::AfterSeq(s),
        (_, Some(s), ..) => HistoryBound::BeforeSeq(s),
        (_, _, Some(t), _) => HistoryBound::AfterTime(t),
        (.., Some(t)) => HistoryBound::BeforeTime(t),
        _ => HistoryBound::Latest,
    })
}

async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<HistoryPage>> {
    let bound = history_bound(&q)?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be 1 to {MAX_PAGE_SIZE}")));
    }
    member_context(&state, auth.user_id, id).await?;
    Ok(Json(state.store.history(id, bound, limit).await?))
}

async fn one_message(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, seq)): Path<(ConversationId, Seq)>,
) -> ApiResult<Json<Message>> {
    member_context(&state, auth.user_id, id).await?;
    state.store.message(id, seq).await?.map(Json).ok_or_else(|| ApiError::not_found("message"))
}

async fn send_http(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<SendMessageRequest>,
) -> ApiResult<Json<SendAck>> {
    Ok(Json(send_message(&state, auth.user_id, id, req).await?))
}

async fn read_http(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<MarkReadRequest>,
) -> ApiResult<Json<MarkReadRequest>> {
    Ok(Json(MarkReadRequest { seq: mark_read(&state, auth.user_id, id, req.seq).await? }))
}

async fn read_cursors(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<Json<Vec<ReadCursor>>> {
    member_context(&state, auth.user_id, id).await?;
    Ok(Json(state.store.read_cursors(id).await?))
}

async fn recall(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, seq)): Path<(ConversationId, Seq)>,
) -> ApiResult<Json<Message>> {
    let ctx = member_context(&state, auth.user_id, id).await?;
    let fanout = state.fanout.clone();
    let (on_commit, committed) = store::awaited(move |outcome: &StoreResult<Message>| {
        if let Ok(notice) = outcome {
            let frame = ServerFrame::Message { message: notice.clone() };
            fanout.push(move |hub| hub::send(hub, &ctx.member_ids, &frame));
        }
    });
    let recall = Recall {
        conversation: id,
        seq,
        by: auth.user_id,
        now: now_ms(),
        window_ms: i64::from(RECALL_WINDOW_SECS) * 1000,
    };
    state.store.recall(recall, on_commit).await?;
    let notice = committed.await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("message"),
        other => other.into(),
    })?;
    Ok(Json(notice))
}

/// People one message may mention by name.
pub const MAX_MENTIONS: usize = 50;

/// Whether a message may mention whom it names: text only, members of
/// the conversation, each once, at most [`MAX_MENTIONS`]. Pure.
pub fn mention_rule(mentions: &ling_proto::messages::Mentions, is_text: bool, members: &[UserId]) -> StoreResult<()> {
    if mentions.is_empty() {
        return Ok(());
    }
    let refuse = |why: &str| Err(StoreError::Rejected(ErrorCode::InvalidRequest, why.into()));
    if !is_text {
        return refuse("only a text message mentions people");
    }
    if mentions.user_ids.len() > MAX_MENTIONS {
        return refuse("a message mentions at most 50 people");
    }
    let mut ids = mentions.user_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != mentions.user_ids.len() {
        return refuse("a message mentions each person once");
    }
    if !mentions.user_ids.iter().all(|u| members.contains(u)) {
        return refuse("a message mentions only people in its conversation");
    }
    Ok(())
}

/// Different emoji one message may have.
pub const MAX_REACTION_EMOJI: usize = 20;

/// Whether `by` may edit `target` to say `text` (checked already as a
/// text), and whether that changes it. Pure.
pub fn edit_rule(by: UserId, target: &Message, text: &str) -> StoreResult<bool> {
    if target.sender_id != by {
        return Err(StoreError::Rejected(ErrorCode::NotOwnMessage, "only the sender may edit a message".into()));
    }
    match &target.content {
        MessageContent::Text { text: now, .. } if now == text => {
            Err(StoreError::Rejected(ErrorCode::EditUnchanged, "the edit leaves the text as it was".into()))
        }
        MessageContent::Text { .. } => Ok(true),
        _ => Err(StoreError::Rejected(ErrorCode::NotEditable, "only text messages can be edited".into())),
    }
}

/// Whether `by`'s reaction with `emoji` (checked already) may be set `on`
/// on `target`, and whether that changes it. Pure.
pub fn reaction_rule(by: UserId, target: &Message, emoji: &str, on: bool) -> StoreResult<bool> {
    if !target.content.is_said() {
        return Err(StoreError::Rejected(ErrorCode::InvalidReaction, "this message takes no reactions".into()));
    }
    if relations::has_reacted(&target.changes, by, emoji) == on {
        return Ok(false);
    }
    let new_emoji = !relations::reaction_counts(&target.changes).iter().any(|c| c.emoji == emoji);
    if on && new_emoji && relations::emoji_in_use(&target.changes) >= MAX_REACTION_EMOJI {
        return Err(StoreError::Rejected(
            ErrorCode::TooManyReactions,
            format!("a message takes at most {MAX_REACTION_EMOJI} different emoji"),
        ));
    }
    Ok(true)
}

/// Stores a relation (checked by `rule` against the target) and tells the
/// members; the relation, or `None` when it changed nothing.
async fn relate(
    state: &AppState,
    by: UserId,
    conversation: ConversationId,
    content: MessageContent,
    rule: impl FnOnce(&Message) -> StoreResult<bool> + Send + 'static,
) -> ApiResult<Option<Message>> {
    let fanout = state.fanout.clone();
    let (on_commit, committed) = store::awaited(move |outcome: &StoreResult<Option<(Message, Vec<UserId>)>>| {
        if let Ok(Some((relation, members))) = outcome {
            let frame = ServerFrame::Message { message: relation.clone() };
            let members = members.clone();
            fanout.push(move |hub| hub::send(hub, &members, &frame));
        }
    });
    let rule: RelationRule = Box::new(move |facts: &SendFacts, target: &Message| {
        write_rule(&facts.context, facts.relation.as_ref()).map_err(|e| StoreError::Rejected(e.code, e.message))?;
        rule(target)
    });
    state.store.relate(Relate { conversation, by, content, now: now_ms() }, rule, on_commit).await?;
    let stored = committed.await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("message"),
        other => other.into(),
    })?;
    Ok(stored.map(|(relation, _)| relation))
}

async fn edit(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, seq)): Path<(ConversationId, Seq)>,
    Json(req): Json<EditRequest>,
) -> ApiResult<Json<Message>> {
    validate::message_text(&req.text, state.config.max_text_chars)?;
    let by = auth.user_id;
    let text = req.text.clone();
    let content = MessageContent::Edit { target: seq, text: req.text };
    // An edit always changes its target (or is refused as unchanged).
    let edit = relate(&state, by, id, content, move |target| edit_rule(by, target, &text)).await?;
    Ok(Json(edit.ok_or_else(|| ApiError::new(ErrorCode::EditUnchanged, "the edit leaves the text as it was"))?))
}

async fn react(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, seq)): Path<(ConversationId, Seq)>,
    Json(req): Json<ReactRequest>,
) -> ApiResult<Json<Option<Message>>> {
    validate::emoji(&req.emoji)?;
    let by = auth.user_id;
    let (emoji, on) = (req.emoji.clone(), req.on);
    let content = MessageContent::Reaction { target: seq, emoji: req.emoji, on: req.on };
    Ok(Json(relate(&state, by, id, content, move |target| reaction_rule(by, target, &emoji, on)).await?))
}

/// Pinned messages one conversation keeps.
pub const MAX_PINS: usize = 50;

async fn pin(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<PinRequest>,
) -> ApiResult<Json<Option<Message>>> {
    let ctx = member_context(&state, auth.user_id, id).await?;
    check_can_write(&state, auth.user_id, &ctx).await?;
    // In a group, the owner and admins pin; in a direct chat, either person.
    if let Some((group, _)) = ctx.group {
        let role = state.store.role(group, auth.user_id).await?.ok_or_else(ApiError::not_a_member)?;
        if role < ling_proto::groups::Role::Admin {
            return Err(ApiError::new(ErrorCode::InsufficientRole, "only the owner or an admin may pin messages"));
        }
    }
    let fanout = state.fanout.clone();
    let members = ctx.member_ids.clone();
    let (on_commit, committed) = store::awaited(move |outcome: &StoreResult<Option<Message>>| {
        if let Ok(Some(note)) = outcome {
            let frame = ServerFrame::Message { message: note.clone() };
            fanout.push(move |hub| hub::send(hub, &members, &frame));
        }
    });
    let pin =
        Pin { conversation: id, seq: req.seq, by: auth.user_id, pinned: req.pinned, now: now_ms(), max: MAX_PINS };
    state.store.pin(pin, on_commit).await?;
    let note = committed.await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("message"),
        other => other.into(),
    })?;
    Ok(Json(note))
}
