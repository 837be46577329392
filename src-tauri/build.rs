//! Declares the app's own commands, so each must be allowed by a capability
//! (`capabilities/default.json`) before the UI may call it.

const COMMANDS: &[&str] = &[
    "startup",
    "set_server",
    "login",
    "register",
    "reset_password",
    "logout",
    "switch_server",
    "me",
    "connection",
    "reconnect_now",
    "conversations",
    "conversation",
    "history",
    "send_text",
    "send_files",
    "cancel_upload",
    "retry",
    "mark_read",
    "typing",
    "recall",
    "set_pinned",
    "set_muted",
    "set_draft",
    "search_messages",
    "download_file",
    "open_file",
    "show_in_folder",
    "save_file_as",
    "pick_files",
    "stage_bytes",
    "open_url",
    "friends",
    "friend_requests",
    "search_users",
    "send_friend_request",
    "accept_friend_request",
    "decline_friend_request",
    "user",
    "groups",
    "group_members",
    "set_tray_labels",
    "close_window",
    "ui_ready",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
