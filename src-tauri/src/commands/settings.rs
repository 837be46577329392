//! This device's settings: the account's preferences here, and launching at login.

use ling_client::prefs::Prefs;
use tauri::{AppHandle, State};

use crate::error::{AppError, AppResult, ShellCode};
use crate::state::AppState;

/// This device's preferences for the account (notifications, Enter sends,
/// call devices).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn prefs(state: State<'_, AppState>) -> AppResult<Prefs> {
    Ok(state.session()?.client.prefs().await?)
}

/// Keeps this device's preferences for the account (in its cache); the
/// call devices chosen serve the next call, the sound processing also the
/// call in progress.
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
