//! Friends, friend requests, remarks, friend groups and blocks.

use ling_proto::contacts::{BlockedUser, Friend, FriendGroup, FriendRequest, FriendRequestList};
use ling_proto::users::UserProfile;
use ling_proto::{FriendGroupId, UserId};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// Friends, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn friends(state: State<'_, AppState>) -> AppResult<Vec<Friend>> {
    Ok(state.session()?.client.contacts().friends().await?)
}

/// Pending friend requests both ways, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn friend_requests(state: State<'_, AppState>) -> AppResult<FriendRequestList> {
    Ok(state.session()?.client.contacts().friend_requests().await?)
}

/// Finds users by username or name (on the server).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn search_users(state: State<'_, AppState>, query: String) -> AppResult<Vec<UserProfile>> {
    Ok(state.session()?.client.contacts().search_users(query.trim()).await?)
}

/// Asks someone to be friends.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_friend_request(
    state: State<'_, AppState>,
    user_id: UserId,
    message: String,
) -> AppResult<FriendRequest> {
    Ok(state.session()?.client.contacts().send_friend_request(user_id, &message).await?)
}

/// Accepts a friend request.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn accept_friend_request(state: State<'_, AppState>, id: i64) -> AppResult<FriendRequest> {
    Ok(state.session()?.client.contacts().accept_friend_request(id).await?)
}

/// Declines a friend request.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn decline_friend_request(state: State<'_, AppState>, id: i64) -> AppResult<FriendRequest> {
    Ok(state.session()?.client.contacts().decline_friend_request(id).await?)
}

/// A user as cached.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn user(state: State<'_, AppState>, id: UserId) -> AppResult<Option<UserProfile>> {
    Ok(state.session()?.client.contacts().user(id).await?)
}

/// Sets the private name shown for a friend (`null` or blank clears it).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_remark(state: State<'_, AppState>, user_id: UserId, remark: Option<String>) -> AppResult<()> {
    Ok(state.session()?.client.contacts().set_remark(user_id, remark).await?)
}

/// Files a friend under a friend group (`null`: none).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_friend_group(
    state: State<'_, AppState>,
    user_id: UserId,
    group_id: Option<FriendGroupId>,
) -> AppResult<()> {
    Ok(state.session()?.client.contacts().set_friend_group(user_id, group_id).await?)
}

/// Ends a friendship (the history stays).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn remove_friend(state: State<'_, AppState>, user_id: UserId) -> AppResult<()> {
    Ok(state.session()?.client.contacts().remove_friend(user_id).await?)
}

/// The account's friend groups, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn friend_groups(state: State<'_, AppState>) -> AppResult<Vec<FriendGroup>> {
    Ok(state.session()?.client.contacts().friend_groups().await?)
}

/// Makes a friend group.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create_friend_group(state: State<'_, AppState>, name: String) -> AppResult<FriendGroup> {
    Ok(state.session()?.client.contacts().create_friend_group(&name).await?)
}

/// Renames a friend group.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn rename_friend_group(
    state: State<'_, AppState>,
    id: FriendGroupId,
    name: String,
) -> AppResult<FriendGroup> {
    Ok(state.session()?.client.contacts().rename_friend_group(id, &name).await?)
}

/// Deletes a friend group (its friends stay, ungrouped).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn delete_friend_group(state: State<'_, AppState>, id: FriendGroupId) -> AppResult<()> {
    Ok(state.session()?.client.contacts().delete_friend_group(id).await?)
}

/// The block list, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn blocks(state: State<'_, AppState>) -> AppResult<Vec<BlockedUser>> {
    Ok(state.session()?.client.contacts().blocks().await?)
}

/// Blocks or unblocks someone.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_blocked(state: State<'_, AppState>, user_id: UserId, blocked: bool) -> AppResult<()> {
    Ok(state.session()?.client.contacts().set_blocked(user_id, blocked).await?)
}
