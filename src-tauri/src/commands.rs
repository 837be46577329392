//! The commands the UI invokes: thin adapters over `ling-client`. Each takes
//! plain arguments, calls the client core and returns its answer, or an
//! [`AppError`] the UI can say in the person's language.

use std::path::PathBuf;

use ling_client::account::{self, LoginOptions};
use ling_client::cache::{CachedMessage, ConversationSummary};
use ling_client::{ConnectionState, probe};
use ling_proto::contacts::{Friend, FriendRequest, FriendRequestList};
use ling_proto::groups::{Group, GroupMember};
use ling_proto::messages::{FileRef, MessageContent};
use ling_proto::users::{Me, UserProfile};
use ling_proto::{ConversationId, GroupId, Seq, UserId};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;
use ts_rs::TS;

use crate::error::{AppError, AppResult, ShellCode};
use crate::live;
use crate::state::AppState;
use ling_client::error::ClientCode;

/// Where the app stands at start-up (and after a reload of the UI).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Startup {
    /// First run: no server chosen yet.
    ChooseServer,
    /// A server is chosen; nobody is logged in.
    Login {
        /// The server.
        server: ServerView,
        /// The username last used here, to fill in.
        username: Option<String>,
    },
    /// Logged in (from the cache when the network has not answered yet).
    Ready {
        /// The server.
        server: ServerView,
        /// Who.
        me: Me,
        /// Where the realtime session stands.
        connection: ConnectionState,
    },
}

/// A server as the UI shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ServerView {
    /// The address that worked.
    pub url: String,
    /// The name its operator gave it.
    pub name: String,
    /// Whether new accounts may register (unknown, `true`, until probed).
    pub registration_open: bool,
}

/// A new account.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RegisteredView {
    /// Logged in as.
    pub me: Me,
    /// Shown once, to keep: it resets a forgotten password.
    pub recovery_code: String,
}

fn device_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("Ling on {h}"),
        None => format!("Ling desktop ({})", std::env::consts::OS),
    }
}

impl ServerView {
    fn new(url: &url::Url, name: &str, registration_open: bool) -> ServerView {
        ServerView { url: url.to_string(), name: name.to_owned(), registration_open }
    }
}

/// The server in use (whether it takes registrations is known only when
/// probed: assumed until then; the server refuses if not).
fn server_view(profile: &ling_client::profile::Profile) -> AppResult<Option<ServerView>> {
    let settings = profile.settings()?;
    Ok(settings.last_server().map(|s| ServerView::new(&s.url, &s.name, true)))
}

fn last_server_url(state: &AppState) -> AppResult<url::Url> {
    let settings = state.profile.settings()?;
    settings
        .last_server()
        .map(|s| s.url.clone())
        .ok_or_else(|| AppError::new(ShellCode::NoServer, "choose a server first"))
}

fn login_options(state: &AppState, remember: bool) -> LoginOptions {
    LoginOptions { device_name: device_name(), remember, token_policy: state.token_policy }
}

/// Where the app stands: opens the remembered account from its cache at once
/// (the network is not waited for), or says which screen to show.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn startup(app: AppHandle, state: State<'_, AppState>) -> AppResult<Startup> {
    let _guard = state.transition.lock().await;
    let Some(server) = server_view(&state.profile)? else { return Ok(Startup::ChooseServer) };
    if let Some(s) = state.current() {
        let connection = s.client.state();
        return Ok(Startup::Ready { server, me: s.client.me(), connection });
    }
    let remembered = match account::open_remembered(&state.profile, state.token_policy).await? {
        Some(l) => Some(l),
        None => account::auto_login(&state.profile, state.token_policy).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not log in with the remembered token");
            None
        }),
    };
    match remembered {
        Some(logged_in) => {
            let me = logged_in.me.clone();
            let connection = live::start(&app, &state, logged_in).await?;
            Ok(Startup::Ready { server, me, connection })
        }
        None => {
            let username = state.profile.settings()?.accounts.first().map(|a| a.username.clone());
            Ok(Startup::Login { server, username })
        }
    }
}

/// Checks a typed server address and, if a Ling server answers, makes it the
/// server to log in to.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_server(state: State<'_, AppState>, address: String, allow_insecure: bool) -> AppResult<ServerView> {
    let probed = probe::probe(&address, allow_insecure).await?;
    state.profile.use_server(&probed, live::now_ms())?;
    Ok(ServerView::new(&probed.base, &probed.info.name, probed.info.registration_open))
}

/// Logs in with a password (`remember`: log in by itself next time).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn login(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
    remember: bool,
) -> AppResult<Me> {
    let _guard = state.transition.lock().await;
    let server = last_server_url(&state)?;
    let logged_in =
        account::login(&state.profile, &server, username.trim(), &password, &login_options(&state, remember)).await?;
    let me = logged_in.me.clone();
    live::start(&app, &state, logged_in).await?;
    Ok(me)
}

/// Registers an account and logs it in (remembered).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn register(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
    display_name: Option<String>,
) -> AppResult<RegisteredView> {
    let _guard = state.transition.lock().await;
    let server = last_server_url(&state)?;
    let display_name = display_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let registered = account::register(
        &state.profile,
        &server,
        username.trim(),
        &password,
        display_name,
        &login_options(&state, true),
    )
    .await?;
    let me = registered.session.me.clone();
    live::start(&app, &state, registered.session).await?;
    Ok(RegisteredView { me, recovery_code: registered.recovery_code })
}

/// Sets a new password with the recovery code; returns the new recovery code.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn reset_password(
    state: State<'_, AppState>,
    username: String,
    recovery_code: String,
    new_password: String,
) -> AppResult<String> {
    let server = last_server_url(&state)?;
    Ok(account::reset_password(&server, username.trim(), recovery_code.trim(), &new_password).await?)
}

/// Logs out: ends the session on the server and forgets the remembered token.
/// The cache stays for the next login.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn logout(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    let _guard = state.transition.lock().await;
    live::stop(&app, &state, true).await
}

/// Forgets the chosen server (logging out first), back to the first screen.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn switch_server(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    let _guard = state.transition.lock().await;
    live::stop(&app, &state, true).await?;
    let mut settings = state.profile.settings()?;
    settings.servers.clear();
    state.profile.save_settings(&settings)?;
    Ok(())
}

/// Who is logged in.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn me(state: State<'_, AppState>) -> AppResult<Me> {
    Ok(state.session()?.client.me())
}

/// The realtime session's state now.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn connection(state: State<'_, AppState>) -> AppResult<ConnectionState> {
    Ok(state.session()?.client.state())
}

/// Tries to connect now instead of waiting for the next attempt.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn reconnect_now(state: State<'_, AppState>) -> AppResult<()> {
    state.session()?.client.reconnect_now();
    Ok(())
}

// --- conversations and messages -------------------------------------------------

/// One conversation's row.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn conversation(state: State<'_, AppState>, id: ConversationId) -> AppResult<Option<ConversationSummary>> {
    Ok(state.session()?.client.conversation(id).await?)
}

/// Sends text, optionally as a reply to `reply_to`.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_text(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    text: String,
    reply_to: Option<Seq>,
) -> AppResult<CachedMessage> {
    let client = &state.session()?.client;
    Ok(client.send(conversation_id, MessageContent::Text { text }, reply_to).await?)
}

/// Sends files (images inline): each is listed at once and uploaded by
/// the core's send queue (progress as `upload_progress` events). Returns
/// their messages.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_files(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    paths: Vec<String>,
) -> AppResult<Vec<CachedMessage>> {
    let client = &state.session()?.client;
    let mut sent = Vec::with_capacity(paths.len());
    for path in paths {
        sent.push(client.send_file(conversation_id, &PathBuf::from(path)).await?);
    }
    Ok(sent)
}

/// Removes a message that was not sent (failed, or its file uploading).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn discard(state: State<'_, AppState>, client_msg_id: String) -> AppResult<()> {
    Ok(state.session()?.client.discard(&client_msg_id).await?)
}

/// Sends a failed message again.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn retry(state: State<'_, AppState>, client_msg_id: String) -> AppResult<()> {
    Ok(state.session()?.client.retry(&client_msg_id).await?)
}

/// Moves the read cursor.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn mark_read(state: State<'_, AppState>, conversation_id: ConversationId, seq: Seq) -> AppResult<()> {
    Ok(state.session()?.client.mark_read(conversation_id, seq).await?)
}

/// Says "typing…" to the others.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn typing(state: State<'_, AppState>, conversation_id: ConversationId) -> AppResult<()> {
    state.session()?.client.typing(conversation_id);
    Ok(())
}

/// Recalls an own message.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn recall(state: State<'_, AppState>, conversation_id: ConversationId, seq: Seq) -> AppResult<()> {
    Ok(state.session()?.client.recall(conversation_id, seq).await?)
}

/// Pins or unpins a conversation.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_pinned(state: State<'_, AppState>, conversation_id: ConversationId, pinned: bool) -> AppResult<()> {
    Ok(state.session()?.client.set_pinned(conversation_id, pinned).await?)
}

/// Mutes or unmutes a conversation.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_muted(state: State<'_, AppState>, conversation_id: ConversationId, muted: bool) -> AppResult<()> {
    Ok(state.session()?.client.set_muted(conversation_id, muted).await?)
}

/// Keeps the composer's unsent text.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_draft(state: State<'_, AppState>, conversation_id: ConversationId, draft: String) -> AppResult<()> {
    Ok(state.session()?.client.set_draft(conversation_id, &draft).await?)
}

/// Full-text search of the cached history (one conversation, or all).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn search_messages(
    state: State<'_, AppState>,
    query: String,
    conversation_id: Option<ConversationId>,
) -> AppResult<Vec<CachedMessage>> {
    Ok(state.session()?.client.search(&query, conversation_id, 100).await?)
}

// --- files ------------------------------------------------------------------------

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
    let path = state.session()?.client.stage_bytes(&name, bytes).await?;
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

// --- contacts and groups ----------------------------------------------------------

/// Friends, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn friends(state: State<'_, AppState>) -> AppResult<Vec<Friend>> {
    Ok(state.session()?.client.friends().await?)
}

/// Pending friend requests both ways, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn friend_requests(state: State<'_, AppState>) -> AppResult<FriendRequestList> {
    Ok(state.session()?.client.friend_requests().await?)
}

/// Finds users by username or name (on the server).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn search_users(state: State<'_, AppState>, query: String) -> AppResult<Vec<UserProfile>> {
    Ok(state.session()?.client.search_users(query.trim()).await?)
}

/// Asks someone to be friends.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_friend_request(
    state: State<'_, AppState>,
    user_id: UserId,
    message: String,
) -> AppResult<FriendRequest> {
    Ok(state.session()?.client.send_friend_request(user_id, &message).await?)
}

/// Accepts a friend request.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn accept_friend_request(state: State<'_, AppState>, id: i64) -> AppResult<FriendRequest> {
    Ok(state.session()?.client.accept_friend_request(id).await?)
}

/// Declines a friend request.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn decline_friend_request(state: State<'_, AppState>, id: i64) -> AppResult<FriendRequest> {
    Ok(state.session()?.client.decline_friend_request(id).await?)
}

/// A user as cached.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn user(state: State<'_, AppState>, id: UserId) -> AppResult<Option<UserProfile>> {
    Ok(state.session()?.client.user(id).await?)
}

/// The account's groups, from the cache.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn groups(state: State<'_, AppState>) -> AppResult<Vec<Group>> {
    Ok(state.session()?.client.groups().await?)
}

/// A group's members (cached; refreshed in the background).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn group_members(state: State<'_, AppState>, group_id: GroupId) -> AppResult<Vec<GroupMember>> {
    Ok(state.session()?.client.group_members(group_id).await?)
}

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
