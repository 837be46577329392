//! The tray icon: the unread count, a menu (open, quit), and a click that
//! brings the window back. Closing the window hides it here instead of
//! quitting.

use std::sync::Mutex;

use serde::Deserialize;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager};
use ts_rs::TS;

use crate::error::AppResult;

const TRAY_ID: &str = "main";

/// The tray's words, in the UI's language (`{n}`: the unread count).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct TrayLabels {
    /// The menu item that shows the window.
    pub open: String,
    /// The menu item that quits.
    pub quit: String,
    /// The tooltip with nothing unread.
    pub idle: String,
    /// The tooltip with unread messages (`{n}` is replaced).
    pub unread: String,
}

struct TrayState {
    labels: TrayLabels,
    unread: u64,
    open: MenuItem<tauri::Wry>,
    quit: MenuItem<tauri::Wry>,
}

static TRAY: Mutex<Option<TrayState>> = Mutex::new(None);

/// Builds the tray icon.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let labels = TrayLabels {
        open: "Open Ling".into(),
        quit: "Quit".into(),
        idle: "Ling".into(),
        unread: "Ling: {n} unread".into(),
    };
    let open = MenuItem::with_id(app, "open", &labels.open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", &labels.quit, true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip(&labels.idle)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    *TRAY.lock().expect("tray lock") = Some(TrayState { labels, unread: 0, open, quit });
    Ok(())
}

/// Shows the unread count (tooltip, and the label beside the icon where the
/// desktop shows one).
pub fn set_unread(app: &AppHandle, unread: u64) {
    let mut guard = TRAY.lock().expect("tray lock");
    let Some(t) = guard.as_mut() else { return };
    t.unread = unread;
    apply(app, t);
}

/// Sets the tray's words.
pub fn set_labels(app: &AppHandle, labels: TrayLabels) -> AppResult<()> {
    let mut guard = TRAY.lock().expect("tray lock");
    let Some(t) = guard.as_mut() else { return Ok(()) };
    t.open.set_text(&labels.open)?;
    t.quit.set_text(&labels.quit)?;
    t.labels = labels;
    apply(app, t);
    Ok(())
}

fn apply(app: &AppHandle, t: &TrayState) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let (tooltip, title) = match t.unread {
        0 => (t.labels.idle.clone(), None),
        n => {
            let shown = if n > 99 { "99+".to_owned() } else { n.to_string() };
            (t.labels.unread.replace("{n}", &shown), Some(shown))
        }
    };
    let _ = tray.set_tooltip(Some(&tooltip));
    let _ = tray.set_title(title.as_deref());
}

/// Brings the main window to the front.
pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}
