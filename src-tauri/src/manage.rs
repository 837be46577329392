//! The commands that change contacts, groups and the account: thin adapters
//! over `ling-client`'s `Client` (which asks the server, then updates the
//! cache and reports the change as an event the UI already listens to).

use std::path::PathBuf;

use ling_client::CancellationToken;
use ling_client::prefs::Prefs;
use ling_proto::auth::SessionInfo;
use ling_proto::contacts::{BlockedUser, FriendGroup};
use ling_proto::groups::{Group, Role, UpdateGroupRequest};
use ling_proto::users::{Me, UpdateProfileRequest};
use ling_proto::{FileId, FriendGroupId, GroupId, Patch, SessionId, UserId};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{AppError, AppResult, ShellCode};
use crate::state::AppState;
use ling_client::error::ClientCode;

// --- contacts ----------------------------------------------------------------------

/// Sets the private name shown for a friend (`null` or blank clears it).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_remark(state: State<'_, AppState>, user_id: UserId, remark: Option<String>) -> AppResult<()> {
    Ok(state.session()?.client.set_remark(user_id, remark).await?)
}

/// Files a friend under a friend group (`null`: none).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_friend_group(
    state: State<'_, AppState>,
    user_id: UserId,
    group_id: Option<FriendGroupId>,
) -> AppResult<()> {
    Ok(state.session()?.client.set_friend_group(user_id, group_id).await?)
}

/// Ends a friendship (the history stays).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn remove_friend(state: State<'_, AppState>, user_id: UserId) -> AppResult<()> {
    Ok(state.session()?.client.remove_friend(user_id).await?)
}

/// The account's friend groups, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn friend_groups(state: State<'_, AppState>) -> AppResult<Vec<FriendGroup>> {
    Ok(state.session()?.client.friend_groups().await?)
}

/// Makes a friend group.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create_friend_group(state: State<'_, AppState>, name: String) -> AppResult<FriendGroup> {
    Ok(state.session()?.client.create_friend_group(&name).await?)
}

/// Renames a friend group.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn rename_friend_group(
    state: State<'_, AppState>,
    id: FriendGroupId,
    name: String,
) -> AppResult<FriendGroup> {
    Ok(state.session()?.client.rename_friend_group(id, &name).await?)
}

/// Deletes a friend group (its friends stay, ungrouped).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn delete_friend_group(state: State<'_, AppState>, id: FriendGroupId) -> AppResult<()> {
    Ok(state.session()?.client.delete_friend_group(id).await?)
}

/// The block list, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn blocks(state: State<'_, AppState>) -> AppResult<Vec<BlockedUser>> {
    Ok(state.session()?.client.blocks().await?)
}

/// Blocks or unblocks someone.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_blocked(state: State<'_, AppState>, user_id: UserId, blocked: bool) -> AppResult<()> {
    Ok(state.session()?.client.set_blocked(user_id, blocked).await?)
}

// --- groups ------------------------------------------------------------------------

/// Makes a group with friends in it.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create_group(state: State<'_, AppState>, name: String, member_ids: Vec<UserId>) -> AppResult<Group> {
    Ok(state.session()?.client.create_group(&name, member_ids).await?)
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
    Ok(state.session()?.client.update_group(group_id, &req).await?)
}

/// Uploads an image from disk and makes it the group's avatar.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_group_avatar(state: State<'_, AppState>, group_id: GroupId, path: String) -> AppResult<Group> {
    let session = state.session()?;
    let client = &session.client;
    let avatar = upload_image(client, path).await?;
    let req = UpdateGroupRequest { avatar: Patch::Set(avatar), ..Default::default() };
    Ok(client.update_group(group_id, &req).await?)
}

/// Adds friends to a group; returns who was added.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn invite(state: State<'_, AppState>, group_id: GroupId, user_ids: Vec<UserId>) -> AppResult<Vec<UserId>> {
    Ok(state.session()?.client.invite(group_id, &user_ids).await?)
}

/// Removes a member.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn kick(state: State<'_, AppState>, group_id: GroupId, user_id: UserId) -> AppResult<()> {
    Ok(state.session()?.client.kick(group_id, user_id).await?)
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
    Ok(state.session()?.client.set_member_role(group_id, user_id, role).await?)
}

/// Hands the group to another member.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn transfer_group(state: State<'_, AppState>, group_id: GroupId, user_id: UserId) -> AppResult<()> {
    Ok(state.session()?.client.transfer_group(group_id, user_id).await?)
}

/// Leaves a group.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn leave_group(state: State<'_, AppState>, group_id: GroupId) -> AppResult<()> {
    Ok(state.session()?.client.leave_group(group_id).await?)
}

/// Ends a group for everyone.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn dissolve_group(state: State<'_, AppState>, group_id: GroupId) -> AppResult<()> {
    Ok(state.session()?.client.dissolve_group(group_id).await?)
}

// --- the account -------------------------------------------------------------------

/// Changes the account's name or signature (`null` keeps it), or
/// (`clearAvatar`) removes its avatar.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn update_profile(
    state: State<'_, AppState>,
    display_name: Option<String>,
    signature: Option<String>,
    clear_avatar: bool,
) -> AppResult<Me> {
    let req = UpdateProfileRequest {
        display_name: display_name.map(|n| n.trim().to_owned()),
        signature: signature.map(|s| s.trim().to_owned()),
        avatar: if clear_avatar { Patch::Clear } else { Patch::Keep },
        phone: Patch::Keep,
    };
    Ok(state.session()?.client.update_profile(&req).await?)
}

/// Uploads an image from disk and makes it the account's avatar.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_avatar(state: State<'_, AppState>, path: String) -> AppResult<Me> {
    let session = state.session()?;
    let client = &session.client;
    let avatar = upload_image(client, path).await?;
    let req = UpdateProfileRequest { avatar: Patch::Set(avatar), ..Default::default() };
    Ok(client.update_profile(&req).await?)
}

/// Changes the password (the other devices are signed out).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn change_password(state: State<'_, AppState>, old_password: String, new_password: String) -> AppResult<()> {
    Ok(state.session()?.client.change_password(&old_password, &new_password).await?)
}

/// The devices signed in to the account.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn sessions(state: State<'_, AppState>) -> AppResult<Vec<SessionInfo>> {
    Ok(state.session()?.client.sessions().await?)
}

/// Signs a device out.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn revoke_session(state: State<'_, AppState>, id: SessionId) -> AppResult<()> {
    Ok(state.session()?.client.revoke_session(id).await?)
}

/// This device's preferences for the account (notifications, Enter sends,
/// call devices).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn prefs(state: State<'_, AppState>) -> AppResult<Prefs> {
    Ok(state.session()?.client.prefs().await?)
}

/// Keeps this device's preferences for the account (in its cache); the
/// call devices chosen serve the next call.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_prefs(state: State<'_, AppState>, prefs: Prefs) -> AppResult<()> {
    let session = state.session()?;
    let devices = prefs.devices.clone();
    session.client.set_prefs(prefs).await?;
    session.devices.choose(devices);
    Ok(())
}

/// Whether Ling starts when the person logs in to the computer.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn launch_at_login(app: AppHandle) -> AppResult<bool> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(|e| AppError::new(ShellCode::AutostartFailed, e.to_string()))
}

/// Turns launching at login on or off (the system's own mechanism: an XDG
/// autostart entry, a LaunchAgent, the Run registry key).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_launch_at_login(app: AppHandle, enabled: bool) -> AppResult<()> {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let result = if enabled { launcher.enable() } else { launcher.disable() };
    result.map_err(|e| AppError::new(ShellCode::AutostartFailed, e.to_string()))
}

/// Asks for one image (an avatar); its path, or `null` if cancelled.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn pick_image(app: AppHandle) -> AppResult<Option<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().add_filter("Images", &["png", "jpg", "jpeg", "gif", "webp"]).pick_file(move |path| {
        let _ = tx.send(path);
    });
    let path = rx.await.ok().flatten().and_then(|p| p.into_path().ok());
    Ok(path.map(|p| p.to_string_lossy().into_owned()))
}

/// Uploads an image for an avatar (the server checks that it is one).
async fn upload_image(client: &ling_client::Client, path: String) -> AppResult<FileId> {
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(AppError::new(ClientCode::InvalidInput, format!("{} is not a file", path.display())));
    }
    Ok(client.upload(&path, None, &CancellationToken::new()).await?.id)
}
