//! Ling's desktop app: a thin Tauri 2 shell over `ling-client`.
//!
//! - [`commands`]: what the UI invokes, a module per domain (account, chats,
//!   files, contacts, groups, profile, settings, window), each command an
//!   adapter over the client core;
//! - [`live`]: a logged-in account's client, its events forwarded to the UI,
//!   notifications and the tray's unread count;
//! - [`scheme`]: `ling-file:` serves images and files from the cache;
//! - [`tray`]: the tray icon; closing the window keeps the app there;
//! - [`updates`]: updates from the configured endpoint (off without one);
//! - [`bindings`]: the TypeScript types of the IPC seam, generated.

pub mod bindings;
pub mod calls;
pub mod commands;
pub mod conversation_list;
pub mod devices;
pub mod error;
pub mod live;
pub mod notices;
pub mod scheme;
pub mod state;
pub mod timeline;
pub mod tray;
pub mod updates;
pub mod views;
pub mod voice;
pub mod voice_notes;

use ling_client::profile::Profile;
use ling_client::tokens::TokenStorePolicy;
use tauri::{Manager, WindowEvent};

use crate::state::AppState;

/// How the app was started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A named profile (`--profile NAME`): its own data directory, login and
    /// single-instance lock.
    pub profile: Option<String>,
}

/// The launch-at-login plugin: the entry is named after the profile, so each
/// profile has its own.
fn autostart(profile: Option<&str>) -> tauri::plugin::TauriPlugin<tauri::Wry> {
    // On macOS a LaunchAgent (the builder's default).
    let mut builder = tauri_plugin_autostart::Builder::new();
    if let Some(name) = profile.filter(|p| !p.is_empty() && *p != "default") {
        builder = builder.args(["--profile", name]).app_name(format!("Ling ({name})"));
    }
    builder.build()
}

/// The app's identifier for a profile: one instance per profile.
fn identifier(base: &str, profile: Option<&str>) -> String {
    match profile {
        None | Some("") | Some("default") => base.to_owned(),
        Some(name) => format!("{base}.profile-{}", name.replace('_', "-")),
    }
}

/// When this process started (for the first-screen timing in the log).
pub(crate) static LAUNCHED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Runs the app until it quits.
pub fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    LAUNCHED.get_or_init(std::time::Instant::now);
    let root = match std::env::var_os("LING_PROFILE_DIR") {
        Some(dir) => dir.into(),
        None => Profile::default_root(options.profile.as_deref())?,
    };
    let profile = Profile::open(root)?;
    let mut context = tauri::generate_context!();
    let update_source = updates::configure(context.config_mut());
    let updates = updates::Updates::new(context.package_info().version.to_string(), &update_source);
    let id = identifier(&context.config().identifier, options.profile.as_deref());
    context.config_mut().identifier = id;
    // A second account's window says which profile it is (set in the config,
    // so the window is created with it).
    if let Some(name) = options.profile.as_deref().filter(|p| !p.is_empty() && *p != "default") {
        for window in &mut context.config_mut().app.windows {
            window.title = format!("Ling — {name}");
        }
    }

    tauri::Builder::default()
        // First: a second launch of the same profile focuses this window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| tray::show_main_window(app)))
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .level_for("tao", log::LevelFilter::Warn)
                .build(),
        )
        .plugin(tauri_plugin_window_state::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        // Launch at login (off until switched on in the settings); a named
        // profile starts as itself.
        .plugin(autostart(options.profile.as_deref()))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(AppState::new(profile, TokenStorePolicy::from_env()))
        .manage(updates)
        .manage(timeline::Timelines::default())
        .manage(conversation_list::Lists::default())
        .manage(views::Feed::default())
        .manage(notices::Notices::default())
        .register_asynchronous_uri_scheme_protocol(scheme::SCHEME, scheme::handle)
        .register_asynchronous_uri_scheme_protocol(calls::VIDEO_SCHEME, calls::handle_video)
        .setup(|app| {
            // Which build, which process: the first line a support request needs.
            log::info!("Ling {} started (pid {})", app.package_info().version, std::process::id());
            tray::create(app.handle())?;
            calls::allow_video_fetch(app.handle())?;
            notices::on_notification_clicked(app.handle())?;
            updates::spawn_checks(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Ling running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::account::startup,
            commands::account::set_server,
            commands::account::login,
            commands::account::register,
            commands::account::reset_password,
            commands::account::logout,
            commands::account::switch_server,
            commands::account::me,
            commands::account::connection,
            commands::account::reconnect_now,
            commands::chats::conversation,
            commands::chats::send_text,
            commands::chats::link_preview,
            commands::chats::send_files,
            commands::chats::discard,
            commands::chats::retry,
            commands::chats::mark_read,
            commands::chats::set_reading,
            commands::chats::typing,
            commands::chats::recall,
            commands::chats::edit_message,
            commands::chats::react,
            commands::chats::forward,
            commands::chats::pin_message,
            commands::chats::delete_for_me,
            commands::chats::set_pinned,
            commands::chats::set_muted,
            commands::chats::set_draft,
            commands::chats::search_messages,
            commands::assistant::assistant_info,
            commands::assistant::assistant_chat,
            commands::assistant::assistant_stop,
            commands::assistant::assistant_regenerate,
            commands::assistant::assistant_new_topic,
            conversation_list::conversation_list_open,
            timeline::timeline_open,
            timeline::timeline_paginate_back,
            timeline::timeline_paginate_back_to,
            timeline::timeline_close,
            commands::files::download_file,
            commands::files::open_file,
            commands::files::show_in_folder,
            commands::files::save_file_as,
            commands::files::pick_files,
            commands::files::stage_bytes,
            commands::files::open_url,
            commands::files::pick_image,
            commands::contacts::friends,
            commands::contacts::friend_requests,
            commands::contacts::search_users,
            commands::contacts::send_friend_request,
            commands::contacts::accept_friend_request,
            commands::contacts::decline_friend_request,
            commands::contacts::user,
            commands::contacts::set_remark,
            commands::contacts::set_friend_group,
            commands::contacts::remove_friend,
            commands::contacts::friend_groups,
            commands::contacts::create_friend_group,
            commands::contacts::rename_friend_group,
            commands::contacts::delete_friend_group,
            commands::contacts::blocks,
            commands::contacts::set_blocked,
            commands::groups::groups,
            commands::groups::group_members,
            commands::groups::create_group,
            commands::groups::update_group,
            commands::groups::set_group_avatar,
            commands::groups::invite,
            commands::groups::kick,
            commands::groups::set_member_role,
            commands::groups::transfer_group,
            commands::groups::leave_group,
            commands::groups::dissolve_group,
            commands::profile::update_profile,
            commands::profile::set_avatar,
            commands::profile::change_password,
            commands::profile::sessions,
            commands::profile::revoke_session,
            commands::settings::prefs,
            commands::settings::set_prefs,
            commands::settings::launch_at_login,
            commands::settings::set_launch_at_login,
            commands::window::set_tray_labels,
            commands::window::set_notice_labels,
            commands::window::close_window,
            commands::window::ui_ready,
            voice::voice_record_start,
            voice::voice_record_level,
            voice::voice_record_stop,
            voice::voice_discard,
            voice::send_voice,
            voice::voice_play,
            voice::voice_set_playing,
            voice::voice_seek,
            voice::voice_set_speed,
            voice::mic_test_start,
            voice::mic_test_level,
            voice::mic_test_stop,
            voice::speaker_test,
            calls::call_start,
            calls::call_accept,
            calls::call_decline,
            calls::call_hang_up,
            calls::call_invite,
            calls::call_set_muted,
            calls::call_set_camera,
            calls::call_current,
            calls::call_devices,
            updates::update_status,
            updates::check_for_update,
            updates::install_update,
        ])
        .build(context)?
        .run(|app, event| {
            if let tauri::RunEvent::ExitRequested { .. } = event {
                // Stop the session cleanly (the WebSocket closes with a goodbye).
                let state = app.state::<AppState>();
                if let Some(session) = state.set_session(None) {
                    session.stop.cancel();
                }
            }
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::identifier;

    /// The text of a file of this crate (or of the UI beside it).
    fn source(path: &str) -> String {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path)
    }

    /// The lines between `start` and `end` in `text`, trimmed, each
    /// stripped of `trim` characters.
    fn listed(text: &str, start: &str, end: &str, trim: &[char]) -> BTreeSet<String> {
        let from = text.find(start).expect(start) + start.len();
        let to = from + text[from..].find(end).expect(end);
        text[from..to].lines().map(|l| l.trim().trim_matches(trim).to_owned()).filter(|l| !l.is_empty()).collect()
    }

    /// The command list is written in four places (the permissions `build.rs`
    /// declares, the handler list, the capability that allows them, and the
    /// UI's `ipc.ts`); they must name the same commands.
    #[test]
    fn every_command_is_declared_handled_allowed_and_called() {
        let declared = listed(&source("build.rs"), "const COMMANDS: &[&str] = &[", "];", &['"', ',']);
        let handled: BTreeSet<String> = listed(&source("src/lib.rs"), "generate_handler![", "])", &[','])
            .into_iter()
            .map(|path| path.rsplit("::").next().unwrap_or_default().to_owned())
            .collect();
        let capability: serde_json::Value = serde_json::from_str(&source("capabilities/default.json")).unwrap();
        let allowed: BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        let called: BTreeSet<String> = source("../ui/src/lib/ipc.ts")
            .lines()
            .filter_map(|line| {
                let at = line.find("call<").or_else(|| line.find("call("))?;
                let rest = &line[at..];
                let name = &rest[rest.find("('")? + 2..];
                Some(name[..name.find('\'')?].to_owned())
            })
            .collect();
        assert!(!declared.is_empty() && declared.len() > 50, "{declared:?}");
        for (what, names) in [("handled in lib.rs", &handled), ("allowed", &allowed), ("called from ipc.ts", &called)] {
            let missing: Vec<_> = declared.difference(names).collect();
            let extra: Vec<_> = names.difference(&declared).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "declared but not {what}: {missing:?}; {what} but not declared: {extra:?}"
            );
        }
    }

    /// Every command runs in a span of its own, its failures logged with it
    /// (at debug level: a wrong password is no fault of the app).
    #[test]
    fn every_command_is_traced() {
        let mut files = Vec::new();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() { dirs.push(path) } else { files.push(path) }
            }
        }
        assert!(files.iter().any(|f| f.ends_with("commands/chats.rs")), "the commands' folder is read");
        let mut commands = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for after in text.split("#[tauri::command]\n").skip(1) {
                commands += 1;
                let name = after.lines().find(|l| l.contains("fn ")).unwrap_or_default();
                assert!(after.starts_with("#[tracing::instrument("), "{}: {name} is not traced", path.display());
            }
        }
        assert!(commands > 50, "{commands} commands found");
    }

    #[test]
    fn each_profile_has_its_own_identifier() {
        assert_eq!(identifier("app.ling.Ling", None), "app.ling.Ling");
        assert_eq!(identifier("app.ling.Ling", Some("default")), "app.ling.Ling");
        assert_eq!(identifier("app.ling.Ling", Some("alice_2")), "app.ling.Ling.profile-alice-2");
    }
}
