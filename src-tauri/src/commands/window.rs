//! The window and what the UI tells the shell: tray and notification words, first paint, closing.

use tauri::{AppHandle, State};

use crate::error::AppResult;

/// The tray's words, in the UI's language.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn set_tray_labels(app: AppHandle, labels: crate::tray::TrayLabels) -> AppResult<()> {
    crate::tray::set_labels(&app, labels)
}

/// The words of notifications, in the UI's language.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all)]
pub fn set_notice_labels(notices: State<'_, crate::notices::Notices>, labels: crate::notices::NoticeLabels) {
    notices.set_labels(labels);
}

/// The UI painted its first screen: logs how long after launch, once (what
/// `make bench-desktop` measures the launch by).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all)]
pub fn ui_ready() {
    static LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !LOGGED.swap(true, std::sync::atomic::Ordering::Relaxed)
        && let Some(launched) = crate::LAUNCHED.get()
    {
        log::info!("first screen shown {} ms after launch", launched.elapsed().as_millis());
    }
}

/// Closes the window as its close button does (Ctrl+W): Ling keeps running
/// in the tray.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn close_window(window: tauri::WebviewWindow) -> AppResult<()> {
    Ok(window.close()?)
}
