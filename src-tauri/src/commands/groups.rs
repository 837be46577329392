//! Groups: the list, members, and what owners, admins and members change.

use ling_proto::groups::{Group, GroupMember, Role, UpdateGroupRequest};
use ling_proto::{GroupId, Patch, UserId};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// The account's groups, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn groups(state: State<'_, AppState>) -> AppResult<Vec<Group>> {
    Ok(state.session()?.client.groups().list().await?)
}

/// A group's members (cached; refreshed in the background).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn group_members(state: State<'_, AppState>, group_id: GroupId) -> AppResult<Vec<GroupMember>> {
    Ok(state.session()?.client.groups().group_members(group_id).await?)
}

/// Makes a group with friends in it.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create_group(state: State<'_, AppState>, name: String, member_ids: Vec<UserId>) -> AppResult<Group> {
    Ok(state.session()?.client.groups().create_group(&name, member_ids).await?)
}

/// Renames a group, changes its announcement, or (`clearAvatar`) removes its
/// avatar; what is `null` stays as it is.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn update_group(
    state: State<'_, AppState>,
    group_id: GroupId,
    name: Option<String>,
    announcement: Option<String>,
    clear_avatar: bool,
) -> AppResult<Group> {
    let req = UpdateGroupRequest {
        name: name.map(|n| n.trim().to_owned()),
        announcement: announcement.map(|a| a.trim().to_owned()),
        avatar: if clear_avatar { Patch::Clear } else { Patch::Keep },
        join_policy: None,
    };
    Ok(state.session()?.client.groups().update_group(group_id, &req).await?)
}

/// Uploads an image from disk and makes it the group's avatar.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_group_avatar(state: State<'_, AppState>, group_id: GroupId, path: String) -> AppResult<Group> {
    let session = state.session()?;
    let client = &session.client;
    let avatar = super::files::upload_image(client, path).await?;
    let req = UpdateGroupRequest { avatar: Patch::Set(avatar), ..Default::default() };
    Ok(client.groups().update_group(group_id, &req).await?)
}

/// Adds friends to a group; returns who was added.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn invite(state: State<'_, AppState>, group_id: GroupId, user_ids: Vec<UserId>) -> AppResult<Vec<UserId>> {
    Ok(state.session()?.client.groups().invite(group_id, &user_ids).await?)
}

/// Removes a member.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn kick(state: State<'_, AppState>, group_id: GroupId, user_id: UserId) -> AppResult<()> {
    Ok(state.session()?.client.groups().kick(group_id, user_id).await?)
}

/// Makes a member an admin, or an admin a member.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_member_role(
    state: State<'_, AppState>,
    group_id: GroupId,
    user_id: UserId,
    role: Role,
) -> AppResult<()> {
    Ok(state.session()?.client.groups().set_member_role(group_id, user_id, role).await?)
}

/// Hands the group to another member.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn transfer_group(state: State<'_, AppState>, group_id: GroupId, user_id: UserId) -> AppResult<()> {
    Ok(state.session()?.client.groups().transfer_group(group_id, user_id).await?)
}

/// Leaves a group.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn leave_group(state: State<'_, AppState>, group_id: GroupId) -> AppResult<()> {
    Ok(state.session()?.client.groups().leave_group(group_id).await?)
}

/// Ends a group for everyone.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn dissolve_group(state: State<'_, AppState>, group_id: GroupId) -> AppResult<()> {
    Ok(state.session()?.client.groups().dissolve_group(group_id).await?)
}
