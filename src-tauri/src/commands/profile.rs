//! The account itself: name, signature, avatar, password and signed-in devices.

use ling_proto::auth::SessionInfo;
use ling_proto::users::{Me, UpdateProfileRequest};
use ling_proto::{Patch, SessionId};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

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
    let avatar = super::files::upload_image(client, path).await?;
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
