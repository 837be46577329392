//! Files: downloads into the cache, opening and saving them, picking and staging files to send, links.

use std::path::PathBuf;

use ling_client::CancellationToken;
use ling_client::error::ClientCode;
use ling_proto::FileId;
use ling_proto::messages::FileRef;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::error::{AppError, AppResult, ShellCode};
use crate::state::AppState;

/// Downloads a file into the cache (once) and returns its path.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn download_file(state: State<'_, AppState>, file: FileRef) -> AppResult<String> {
    let path = state.session()?.local_file(&file).await?;
    Ok(path.to_string_lossy().into_owned())
}

/// Opens a file with the system's app for it (downloading it first).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn open_file(app: AppHandle, state: State<'_, AppState>, file: FileRef) -> AppResult<()> {
    let path = state.session()?.local_file(&file).await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| AppError::new(ShellCode::OpenFailed, e.to_string()))
}

/// Shows a downloaded file in its folder.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn show_in_folder(app: AppHandle, state: State<'_, AppState>, file: FileRef) -> AppResult<()> {
    let path = state.session()?.local_file(&file).await?;
    app.opener().reveal_item_in_dir(path).map_err(|e| AppError::new(ShellCode::OpenFailed, e.to_string()))
}

/// Asks where to save a file, then copies it there. `false` if the person
/// cancelled.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn save_file_as(app: AppHandle, state: State<'_, AppState>, file: FileRef) -> AppResult<bool> {
    let path = state.session()?.local_file(&file).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_file_name(&file.name).save_file(move |dest| {
        let _ = tx.send(dest);
    });
    let Some(dest) = rx.await.ok().flatten() else { return Ok(false) };
    let dest = dest.into_path().map_err(|e| AppError::new(ShellCode::IoFailed, e.to_string()))?;
    tokio::fs::copy(&path, &dest)
        .await
        .map_err(|e| AppError::new(ShellCode::IoFailed, format!("saving {}: {e}", dest.display())))?;
    Ok(true)
}

/// Asks for files to send; returns their paths (empty if cancelled).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn pick_files(app: AppHandle) -> AppResult<Vec<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_files(move |paths| {
        let _ = tx.send(paths);
    });
    let paths = rx.await.ok().flatten().unwrap_or_default();
    Ok(paths.into_iter().filter_map(|p| p.into_path().ok()).map(|p| p.to_string_lossy().into_owned()).collect())
}

/// Keeps pasted or dropped bytes (an image from the clipboard) as a private
/// file, to send with `send_files`. Returns its path.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn stage_bytes(state: State<'_, AppState>, name: String, bytes: Vec<u8>) -> AppResult<String> {
    let path = state.session()?.client.send_queue().stage_bytes(&name, bytes).await?;
    Ok(path.to_string_lossy().into_owned())
}

/// Opens a link from a message in the system browser (http, https and mailto
/// only: nothing else in a message is acted on).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn open_url(app: AppHandle, url: String) -> AppResult<()> {
    let parsed = url::Url::parse(&url).map_err(|e| AppError::new(ClientCode::InvalidInput, e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        return Err(AppError::new(ClientCode::InvalidInput, format!("links with {}: are not opened", parsed.scheme())));
    }
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| AppError::new(ShellCode::OpenFailed, e.to_string()))
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
pub(super) async fn upload_image(client: &ling_client::Client, path: String) -> AppResult<FileId> {
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(AppError::new(ClientCode::InvalidInput, format!("{} is not a file", path.display())));
    }
    Ok(client.upload(&path, None, &CancellationToken::new()).await?.id)
}
