//! Groups: create, find, join (open or by approval), invite friends, roles,
//! kick, leave, transfer, dissolve, edit, nicknames. Every change is also a
//! system message in the group's conversation.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use ling_proto::groups::{
    CreateGroupRequest, Group, GroupJoinRequest, GroupMember, GroupSummary, InviteRequest, JoinGroupRequest,
    JoinGroupResponse, JoinOutcome, JoinPolicy, Role, SetNicknameRequest, SetRoleRequest, TransferOwnershipRequest,
    UpdateGroupRequest,
};
use ling_proto::messages::SystemEvent;
use ling_proto::ws::ServerFrame;
use ling_proto::{ErrorCode, GroupId, Patch, UserId};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path, Query};
use crate::hub;
use crate::routes::messages::post_system;
use crate::state::{AppState, now_ms};
use crate::store::{GroupChange, NewGroup};
use crate::validate;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/groups", get(my_groups).post(create))
        .route("/v1/groups/search", get(search))
        .route("/v1/groups/{id}", get(get_group).patch(update))
        .route("/v1/groups/{id}/members", get(members).post(invite))
        .route("/v1/groups/{id}/members/{user_id}", delete(kick))
        .route("/v1/groups/{id}/members/{user_id}/role", put(set_role))
        .route("/v1/groups/{id}/leave", post(leave))
        .route("/v1/groups/{id}/transfer", post(transfer))
        .route("/v1/groups/{id}/dissolve", post(dissolve))
        .route("/v1/groups/{id}/nickname", put(set_nickname))
        .route("/v1/groups/{id}/join", post(join))
        .route("/v1/groups/{id}/join-requests", get(join_requests))
        .route("/v1/groups/{id}/join-requests/{request_id}/approve", post(approve))
        .route("/v1/groups/{id}/join-requests/{request_id}/reject", post(reject))
}

/// The group and the caller's role in it; non-members are refused.
async fn as_member(state: &AppState, user: UserId, id: GroupId) -> ApiResult<(Group, Role)> {
    let group = state.store.group(id).await?.ok_or_else(|| ApiError::not_found("group"))?;
    let role = state
        .store
        .role(id, user)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotAMember, "you are not in this group"))?;
    Ok((group, role))
}

/// Another member's role, refusing non-members.
async fn role_of(state: &AppState, id: GroupId, user: UserId) -> ApiResult<Role> {
    state
        .store
        .role(id, user)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotAMember, "that user is not in the group"))
}

/// Records `event` in the group's conversation and pushes it to the members.
async fn record(state: &AppState, group: &Group, by: UserId, event: SystemEvent) -> ApiResult<()> {
    post_system(state, group.conversation_id, by, event, &[]).await.map(|_| ())
}

fn require(role: Role, at_least: Role) -> ApiResult<()> {
    if role >= at_least {
        Ok(())
    } else {
        let who = if at_least == Role::Owner { "the owner" } else { "the owner or an admin" };
        Err(ApiError::new(ErrorCode::InsufficientRole, format!("only {who} may do this")))
    }
}

fn require_live(group: &Group) -> ApiResult<()> {
    if group.dissolved { Err(ApiError::new(ErrorCode::GroupDissolved, "the group was dissolved")) } else { Ok(()) }
}

/// Refuses `users` that are not the caller's friends (or are blocked either
/// way); the assistant needs no friendship.
async fn require_friends(state: &AppState, me: UserId, users: &[UserId]) -> ApiResult<()> {
    let assistant = state.assistant.as_ref().map(|a| a.user_id);
    for u in users.iter().filter(|u| **u != me && Some(**u) != assistant) {
        let rel = state.store.relation(me, *u).await?;
        if !rel.friends || rel.any_block() {
            return Err(ApiError::new(ErrorCode::NotFriends, format!("user {u} is not your friend")));
        }
    }
    Ok(())
}

async fn tell_members(state: &AppState, id: GroupId) -> ApiResult<()> {
    let members = state.store.member_ids(id).await?;
    hub::send(&*state.hub, &members, &ServerFrame::GroupChanged { group_id: id });
    Ok(())
}

fn check_capacity(state: &AppState, now: u32, adding: usize) -> ApiResult<()> {
    if now as usize + adding > state.config.max_group_members as usize {
        Err(ApiError::new(
            ErrorCode::GroupFull,
            format!("a group may have at most {} members", state.config.max_group_members),
        ))
    } else {
        Ok(())
    }
}

async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateGroupRequest>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    let me = auth.user_id;
    let name = validate::name("name", &req.name, 64)?;
    let announcement = validate::text("announcement", &req.announcement, 2000)?;
    let mut members: Vec<UserId> = req.member_ids.into_iter().filter(|u| *u != me).collect();
    members.sort_unstable();
    members.dedup();
    check_capacity(&state, 1, members.len())?;
    require_friends(&state, me, &members).await?;
    if let Some(avatar) = &req.avatar {
        crate::routes::files::use_as_avatar(&state, me, avatar).await?;
    }
    let group = state
        .store
        .create_group(NewGroup {
            name: name.clone(),
            avatar: req.avatar,
            announcement,
            join_policy: req.join_policy,
            owner: me,
            members: members.clone(),
            now: now_ms(),
        })
        .await?;
    record(&state, &group, me, SystemEvent::GroupCreated { by: me, name }).await?;
    if !members.is_empty() {
        record(&state, &group, me, SystemEvent::MembersJoined { by: Some(me), user_ids: members }).await?;
    }
    tell_members(&state, group.id).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

async fn my_groups(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(state.store.groups_of(auth.user_id).await?))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Vec<GroupSummary>>> {
    let query = q.q.trim();
    if query.is_empty() || query.chars().count() > 64 {
        return Err(ApiError::invalid("q must be 1 to 64 characters"));
    }
    Ok(Json(state.store.search_groups(query.to_owned(), 20).await?))
}

async fn get_group(State(state): State<AppState>, auth: AuthUser, Path(id): Path<GroupId>) -> ApiResult<Json<Group>> {
    Ok(Json(as_member(&state, auth.user_id, id).await?.0))
}

async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
    Json(req): Json<UpdateGroupRequest>,
) -> ApiResult<Json<Group>> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    require(role, Role::Admin)?;
    if req.join_policy.is_some() {
        require(role, Role::Owner)?;
    }
    let change = GroupChange {
        name: req.name.as_deref().map(|n| validate::name("name", n, 64)).transpose()?,
        announcement: req.announcement.as_deref().map(|a| validate::text("announcement", a, 2000)).transpose()?,
        join_policy: req.join_policy,
        avatar: req.avatar,
    };
    if let Patch::Set(avatar) = &change.avatar {
        crate::routes::files::use_as_avatar(&state, me, avatar).await?;
    }
    let mut events = Vec::new();
    if let Some(name) = change.name.clone().filter(|n| *n != group.name) {
        events.push(SystemEvent::GroupRenamed { by: me, name });
    }
    if let Some(a) = change.announcement.clone().filter(|a| *a != group.announcement) {
        events.push(SystemEvent::AnnouncementChanged { by: me, announcement: a });
    }
    if !change.avatar.is_keep() {
        events.push(SystemEvent::GroupAvatarChanged { by: me });
    }
    if let Some(p) = change.join_policy.filter(|p| *p != group.join_policy) {
        events.push(SystemEvent::JoinPolicyChanged { by: me, join_policy: p });
    }
    let updated = state.store.update_group(id, change).await?;
    for event in events {
        record(&state, &group, me, event).await?;
    }
    tell_members(&state, id).await?;
    Ok(Json(updated))
}

async fn members(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
) -> ApiResult<Json<Vec<GroupMember>>> {
    as_member(&state, auth.user_id, id).await?;
    Ok(Json(state.store.members(id).await?))
}

async fn invite(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
    Json(req): Json<InviteRequest>,
) -> ApiResult<Json<Vec<UserId>>> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    if group.join_policy == JoinPolicy::Approval {
        require(role, Role::Admin)?;
    }
    let mut users = req.user_ids;
    users.sort_unstable();
    users.dedup();
    users.retain(|u| *u != me);
    if users.is_empty() {
        return Err(ApiError::invalid("user_ids names no one to invite"));
    }
    // The assistant answers to everyone in the group: an admin's call.
    if state.assistant.as_ref().is_some_and(|a| users.contains(&a.user_id)) {
        require(role, Role::Admin)?;
    }
    require_friends(&state, me, &users).await?;
    check_capacity(&state, group.member_count, users.len())?;
    let added = state.store.add_members(id, users, now_ms()).await?;
    if !added.is_empty() {
        record(&state, &group, me, SystemEvent::MembersJoined { by: Some(me), user_ids: added.clone() }).await?;
        tell_members(&state, id).await?;
    }
    Ok(Json(added))
}

async fn kick(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> ApiResult<StatusCode> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    require(role, Role::Admin)?;
    if user == me {
        return Err(ApiError::new(ErrorCode::InvalidTarget, "leave the group instead of removing yourself"));
    }
    let target = role_of(&state, id, user).await?;
    if target >= role {
        return Err(ApiError::new(ErrorCode::InsufficientRole, "you may only remove members below your role"));
    }
    state.store.remove_member(id, user).await?;
    post_system(&state, group.conversation_id, me, SystemEvent::MemberKicked { by: me, user_id: user }, &[user])
        .await?;
    hub::send(&*state.hub, &[user], &ServerFrame::GroupRemoved { group_id: id });
    tell_members(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave(State(state): State<AppState>, auth: AuthUser, Path(id): Path<GroupId>) -> ApiResult<StatusCode> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    if role == Role::Owner && !group.dissolved {
        return Err(ApiError::new(ErrorCode::OwnerCannotLeave, "transfer ownership or dissolve the group first"));
    }
    state.store.remove_member(id, me).await?;
    if !group.dissolved {
        post_system(&state, group.conversation_id, me, SystemEvent::MemberLeft { user_id: me }, &[me]).await?;
    }
    hub::send(&*state.hub, &[me], &ServerFrame::GroupRemoved { group_id: id });
    tell_members(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_role(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, user)): Path<(GroupId, UserId)>,
    Json(req): Json<SetRoleRequest>,
) -> ApiResult<StatusCode> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    require(role, Role::Owner)?;
    if req.role == Role::Owner {
        return Err(ApiError::invalid("use /transfer to make someone the owner"));
    }
    if user == me {
        return Err(ApiError::new(ErrorCode::InvalidTarget, "the owner's role changes only by transfer"));
    }
    let current = role_of(&state, id, user).await?;
    if current != req.role {
        state.store.set_role(id, user, req.role).await?;
        record(&state, &group, me, SystemEvent::RoleChanged { by: me, user_id: user, role: req.role }).await?;
        tell_members(&state, id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn transfer(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
    Json(req): Json<TransferOwnershipRequest>,
) -> ApiResult<StatusCode> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    require(role, Role::Owner)?;
    if req.user_id == me {
        return Err(ApiError::new(ErrorCode::InvalidTarget, "you are the owner already"));
    }
    role_of(&state, id, req.user_id).await?;
    state.store.transfer_ownership(id, me, req.user_id).await?;
    record(&state, &group, me, SystemEvent::OwnershipTransferred { from: me, to: req.user_id }).await?;
    tell_members(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn dissolve(State(state): State<AppState>, auth: AuthUser, Path(id): Path<GroupId>) -> ApiResult<StatusCode> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    require(role, Role::Owner)?;
    record(&state, &group, me, SystemEvent::GroupDissolved { by: me }).await?;
    state.store.dissolve(id).await?;
    tell_members(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_nickname(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
    Json(req): Json<SetNicknameRequest>,
) -> ApiResult<StatusCode> {
    let (group, _) = as_member(&state, auth.user_id, id).await?;
    require_live(&group)?;
    let nickname = match req.nickname.as_deref() {
        Some(n) if !n.trim().is_empty() => Some(validate::name("nickname", n, 64)?),
        _ => None,
    };
    state.store.set_nickname(id, auth.user_id, nickname).await?;
    tell_members(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn join(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
    Json(req): Json<JoinGroupRequest>,
) -> ApiResult<Json<JoinGroupResponse>> {
    let me = auth.user_id;
    let group = state.store.group(id).await?.ok_or_else(|| ApiError::not_found("group"))?;
    require_live(&group)?;
    if state.store.role(id, me).await?.is_some() {
        return Err(ApiError::new(ErrorCode::AlreadyMember, "you are in this group already"));
    }
    let message = validate::text("message", &req.message, 200)?;
    match group.join_policy {
        JoinPolicy::Open => {
            check_capacity(&state, group.member_count, 1)?;
            state.store.add_members(id, vec![me], now_ms()).await?;
            record(&state, &group, me, SystemEvent::MembersJoined { by: None, user_ids: vec![me] }).await?;
            tell_members(&state, id).await?;
            Ok(Json(JoinGroupResponse { outcome: JoinOutcome::Joined }))
        }
        JoinPolicy::Approval => {
            state.store.create_join_request(id, me, message, now_ms()).await?;
            let approvers: Vec<UserId> = state
                .store
                .members(id)
                .await?
                .into_iter()
                .filter(|m| m.role >= Role::Admin)
                .map(|m| m.user.id)
                .collect();
            hub::send(&*state.hub, &approvers, &ServerFrame::GroupJoinRequest { group_id: id });
            Ok(Json(JoinGroupResponse { outcome: JoinOutcome::Pending }))
        }
    }
}

async fn join_requests(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<GroupId>,
) -> ApiResult<Json<Vec<GroupJoinRequest>>> {
    let (_, role) = as_member(&state, auth.user_id, id).await?;
    require(role, Role::Admin)?;
    Ok(Json(state.store.join_requests(id).await?))
}

async fn approve(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, request)): Path<(GroupId, i64)>,
) -> ApiResult<StatusCode> {
    let me = auth.user_id;
    let (group, role) = as_member(&state, me, id).await?;
    require_live(&group)?;
    require(role, Role::Admin)?;
    check_capacity(&state, group.member_count, 1)?;
    let user = state.store.take_join_request(id, request).await?.ok_or_else(|| ApiError::not_found("join request"))?;
    state.store.add_members(id, vec![user], now_ms()).await?;
    record(&state, &group, me, SystemEvent::MembersJoined { by: Some(me), user_ids: vec![user] }).await?;
    tell_members(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reject(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, request)): Path<(GroupId, i64)>,
) -> ApiResult<StatusCode> {
    let (_, role) = as_member(&state, auth.user_id, id).await?;
    require(role, Role::Admin)?;
    state.store.take_join_request(id, request).await?.ok_or_else(|| ApiError::not_found("join request"))?;
    Ok(StatusCode::NO_CONTENT)
}
