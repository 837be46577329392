//! Friend requests, friends, friend groups, blocks, and presence among friends.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use ling_proto::contacts::{
    BlockedUser, Friend, FriendGroup, FriendGroupRequest, FriendRequest, FriendRequestList, SendFriendRequest,
    UpdateFriendRequest,
};
use ling_proto::messages::SystemEvent;
use ling_proto::ws::ServerFrame;
use ling_proto::{ErrorCode, FriendGroupId, Patch, UserId};

use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path};
use crate::hub;
use crate::routes::messages::post_system;
use crate::state::{AppState, now_ms};
use crate::store::StoreError;
use crate::validate;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/friend-requests", get(list_requests).post(send_request))
        .route("/v1/friend-requests/{id}/accept", post(accept))
        .route("/v1/friend-requests/{id}/decline", post(decline))
        .route("/v1/friends", get(friends))
        .route("/v1/friends/{user_id}", patch(update_friend).delete(delete_friend))
        .route("/v1/friend-groups", get(friend_groups).post(create_friend_group))
        .route("/v1/friend-groups/{id}", patch(rename_friend_group).delete(delete_friend_group))
        .route("/v1/blocks", get(blocks))
        .route("/v1/blocks/{user_id}", put(block).delete(unblock))
}

/// Who is told about `user`'s presence: friends, less anyone on either side of a block.
pub async fn presence_audience(state: &AppState, user: UserId) -> ApiResult<Vec<UserId>> {
    let mut friends = state.store.friend_ids(user).await?;
    let blocked = state.store.block_peers(user).await?;
    friends.retain(|f| !blocked.contains(f));
    Ok(friends)
}

/// Tells `user`'s friends they came online or went offline.
pub async fn broadcast_presence(state: &AppState, user: UserId, online: bool) {
    match presence_audience(state, user).await {
        Ok(audience) => hub::send(&*state.hub, &audience, &ServerFrame::Presence { user_id: user, online }),
        Err(e) => tracing::warn!(user, error = %e, "could not broadcast presence"),
    }
}

async fn ensure_user_exists(state: &AppState, user: UserId) -> ApiResult<()> {
    if state.store.profiles(vec![user]).await?.is_empty() { Err(ApiError::not_found("user")) } else { Ok(()) }
}

async fn list_requests(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<FriendRequestList>> {
    Ok(Json(state.store.friend_requests(auth.user_id).await?))
}

async fn send_request(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<SendFriendRequest>,
) -> ApiResult<(StatusCode, Json<FriendRequest>)> {
    let me = auth.user_id;
    if req.user_id == me {
        return Err(ApiError::new(ErrorCode::InvalidTarget, "you cannot befriend yourself"));
    }
    let message = validate::text("message", &req.message, 200)?;
    ensure_user_exists(&state, req.user_id).await?;
    let rel = state.store.relation(me, req.user_id).await?;
    if rel.any_block() {
        return Err(ApiError::blocked());
    }
    if rel.friends {
        return Err(ApiError::new(ErrorCode::AlreadyFriends, "you are already friends"));
    }
    // They asked first: asking back accepts.
    if let Some(theirs) = state.store.pending_request(req.user_id, me).await? {
        let request = befriend(&state, theirs).await?;
        return Ok((StatusCode::OK, Json(request)));
    }
    let request = state.store.create_friend_request(me, req.user_id, message, now_ms()).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::new(ErrorCode::RequestPending, "you already asked; wait for an answer"),
        other => other.into(),
    })?;
    hub::send(&*state.hub, &[req.user_id, me], &ServerFrame::FriendRequest { request: request.clone() });
    Ok((StatusCode::CREATED, Json(request)))
}

/// Accepts request `id`, opens the conversation and tells both sides.
async fn befriend(state: &AppState, id: i64) -> ApiResult<FriendRequest> {
    let done = state.store.accept_friend_request(id, now_ms()).await?;
    let (a, b) = (done.request.from.id, done.request.to.id);
    post_system(state, done.conversation_id, b, SystemEvent::FriendsConnected, &[]).await?;
    hub::send(&*state.hub, &[a, b], &ServerFrame::FriendRequest { request: done.request.clone() });
    hub::send(&*state.hub, &[a, b], &ServerFrame::ContactsChanged);
    for (who, to) in [(a, b), (b, a)] {
        if state.hub.is_online(who) {
            hub::send(&*state.hub, &[to], &ServerFrame::Presence { user_id: who, online: true });
        }
    }
    Ok(done.request)
}

/// A request addressed to `user`; others' requests are not found.
async fn request_to(state: &AppState, id: i64, user: UserId) -> ApiResult<crate::store::FriendRequestRow> {
    state
        .store
        .friend_request(id)
        .await?
        .filter(|r| r.to_id == user)
        .ok_or_else(|| ApiError::not_found("friend request"))
}

async fn accept(State(state): State<AppState>, auth: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<FriendRequest>> {
    let row = request_to(&state, id, auth.user_id).await?;
    if !row.pending {
        return Err(ApiError::new(ErrorCode::RequestClosed, "the request was already answered"));
    }
    if state.store.relation(row.to_id, row.from_id).await?.any_block() {
        return Err(ApiError::blocked());
    }
    Ok(Json(befriend(&state, row.id).await?))
}

async fn decline(State(state): State<AppState>, auth: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<FriendRequest>> {
    let row = request_to(&state, id, auth.user_id).await?;
    let request = state.store.decline_friend_request(row.id, now_ms()).await?;
    hub::send(&*state.hub, &[row.from_id, row.to_id], &ServerFrame::FriendRequest { request: request.clone() });
    Ok(Json(request))
}

async fn friends(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<Friend>>> {
    let mut list = state.store.friends(auth.user_id).await?;
    let blocked = state.store.block_peers(auth.user_id).await?;
    for f in &mut list {
        f.online = !blocked.contains(&f.user.id) && state.hub.is_online(f.user.id);
    }
    Ok(Json(list))
}

async fn update_friend(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(friend): Path<UserId>,
    Json(req): Json<UpdateFriendRequest>,
) -> ApiResult<StatusCode> {
    let remark = match req.remark {
        Patch::Set(r) if r.trim().is_empty() => Patch::Clear,
        Patch::Set(r) => Patch::Set(validate::name("remark", &r, 64)?),
        other => other,
    };
    state.store.update_friend(auth.user_id, friend, remark, req.group_id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::new(ErrorCode::NotFriends, "that user is not your friend"),
        other => other.into(),
    })?;
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_friend(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(friend): Path<UserId>,
) -> ApiResult<StatusCode> {
    if !state.store.delete_friend(auth.user_id, friend).await? {
        return Err(ApiError::new(ErrorCode::NotFriends, "that user is not your friend"));
    }
    hub::send(&*state.hub, &[auth.user_id, friend], &ServerFrame::ContactsChanged);
    hub::send(&*state.hub, &[friend], &ServerFrame::Presence { user_id: auth.user_id, online: false });
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::Presence { user_id: friend, online: false });
    Ok(StatusCode::NO_CONTENT)
}

async fn friend_groups(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<FriendGroup>>> {
    Ok(Json(state.store.friend_groups(auth.user_id).await?))
}

fn duplicate_group_name(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::invalid("you already have a friend group with that name"),
        StoreError::NotFound => ApiError::not_found("friend group"),
        other => other.into(),
    }
}

async fn create_friend_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<FriendGroupRequest>,
) -> ApiResult<(StatusCode, Json<FriendGroup>)> {
    let name = validate::name("name", &req.name, 32)?;
    let group = state.store.create_friend_group(auth.user_id, name).await.map_err(duplicate_group_name)?;
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    Ok((StatusCode::CREATED, Json(group)))
}

async fn rename_friend_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<FriendGroupId>,
    Json(req): Json<FriendGroupRequest>,
) -> ApiResult<Json<FriendGroup>> {
    let name = validate::name("name", &req.name, 32)?;
    let group = state.store.rename_friend_group(auth.user_id, id, name).await.map_err(duplicate_group_name)?;
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    Ok(Json(group))
}

async fn delete_friend_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<FriendGroupId>,
) -> ApiResult<StatusCode> {
    if !state.store.delete_friend_group(auth.user_id, id).await? {
        return Err(ApiError::not_found("friend group"));
    }
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    Ok(StatusCode::NO_CONTENT)
}

async fn blocks(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<BlockedUser>>> {
    Ok(Json(state.store.blocks(auth.user_id).await?))
}

async fn block(State(state): State<AppState>, auth: AuthUser, Path(user): Path<UserId>) -> ApiResult<StatusCode> {
    if user == auth.user_id {
        return Err(ApiError::new(ErrorCode::InvalidTarget, "you cannot block yourself"));
    }
    ensure_user_exists(&state, user).await?;
    state.store.block(auth.user_id, user, now_ms()).await?;
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    // From now on neither sees the other online.
    hub::send(&*state.hub, &[user], &ServerFrame::Presence { user_id: auth.user_id, online: false });
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::Presence { user_id: user, online: false });
    Ok(StatusCode::NO_CONTENT)
}

async fn unblock(State(state): State<AppState>, auth: AuthUser, Path(user): Path<UserId>) -> ApiResult<StatusCode> {
    if !state.store.unblock(auth.user_id, user).await? {
        return Err(ApiError::not_found("block"));
    }
    hub::send(&*state.hub, &[auth.user_id], &ServerFrame::ContactsChanged);
    let rel = state.store.relation(auth.user_id, user).await?;
    if rel.friends && !rel.any_block() {
        for (who, to) in [(auth.user_id, user), (user, auth.user_id)] {
            if state.hub.is_online(who) {
                hub::send(&*state.hub, &[to], &ServerFrame::Presence { user_id: who, online: true });
            }
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
