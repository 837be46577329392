//! A logged-in account's life in the shell: start its `Client`, forward its
//! events to the UI (`ling://event`), keep the tray's unread count, notify
//! about new messages while the window is in the background, stop it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ling_client::account::{self, LoggedIn};
use ling_client::cache::CachedMessage;
use ling_client::calls::{CallPhase, CallView};
use ling_client::{CancellationToken, Client, ConnectionState, Event};
use ling_proto::Millis;
use ling_proto::messages::{CallMedia, MessageContent};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppResult;
use crate::state::{AppState, Session};

/// Every client event, as the `Event` type says.
pub const EVENT: &str = "ling://event";
/// The events were too many to forward one by one: re-read everything.
pub const RESYNC_EVENT: &str = "ling://resync";
/// Upload progress (`UploadProgress`).
pub const UPLOAD_EVENT: &str = "ling://upload";
/// A notification was clicked: open this conversation (its id).
pub const OPEN_CONVERSATION_EVENT: &str = "ling://open-conversation";
/// The key of a notification's extra data that names its conversation.
const NOTIFIED_CONVERSATION: &str = "conversation_id";

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or_default()
}

/// Starts the account's client and the shell's work for it; returns the
/// connection state to show first.
pub async fn start(app: &AppHandle, state: &AppState, logged_in: LoggedIn) -> AppResult<ConnectionState> {
    if let Some(old) = state.set_session(None) {
        old.stop.cancel();
    }
    let client = Client::start(logged_in.clone()).await?;
    let events = client.events();
    let stop = CancellationToken::new();
    let devices = crate::devices::DesktopDevices::new(client.account_dir());
    let calls = client.calls(devices.clone(), ling_client::calls::bind_ip_from_env());
    let session = Arc::new(Session { logged_in, client, stop: stop.clone(), calls, devices });
    state.set_session(Some(session.clone()));
    tokio::spawn(forward(app.clone(), session.clone(), events, stop));
    refresh_tray(app, &session).await;
    Ok(session.client.state())
}

/// Stops the account's client; with `forget`, logs out on the server and
/// forgets the remembered token.
pub async fn stop(app: &AppHandle, state: &AppState, forget: bool) -> AppResult<()> {
    let Some(session) = state.set_session(None) else { return Ok(()) };
    session.stop.cancel();
    app.state::<crate::timeline::Timelines>().close(None);
    app.state::<crate::conversation_list::Lists>().close(None);
    // Leaving the account leaves its call.
    let _ = session.calls.hang_up().await;
    let result = if forget { account::logout(&state.profile, &session.logged_in).await } else { Ok(()) };
    crate::tray::set_unread(app, 0);
    result.map_err(Into::into)
}

async fn forward(
    app: AppHandle,
    session: Arc<Session>,
    mut events: tokio::sync::broadcast::Receiver<Event>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            _ = stop.cancelled() => return,
            e = events.recv() => e,
        };
        match event {
            Ok(event) => {
                if for_the_ui(&event) {
                    let _ = app.emit(EVENT, &event);
                }
                react(&app, &session, &event).await;
            }
            Err(RecvError::Lagged(n)) => {
                tracing::debug!(skipped = n, "the UI fell behind the event stream; asking it to re-read");
                let _ = app.emit(RESYNC_EVENT, ());
                refresh_tray(&app, &session).await;
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Whether the UI acts on `event` itself. Messages and conversations reach
/// it as the timeline's and the list's diffs instead (`views.rs`), so their
/// events stay here: one IPC event per change, not two or three. (A kind
/// added later goes to the UI until it is placed here.)
fn for_the_ui(event: &Event) -> bool {
    !matches!(
        event,
        Event::MessageNew { .. }
            | Event::MessageUpdated { .. }
            | Event::MessageRecalled { .. }
            | Event::ConversationUpdated { .. }
            | Event::ConversationsChanged
            | Event::GroupJoinRequest { .. }
            | Event::Read { .. }
    )
}

/// The shell's own reactions: tray count, notifications, a session the
/// server ended.
async fn react(app: &AppHandle, session: &Arc<Session>, event: &Event) {
    match event {
        Event::ConversationUpdated { .. } | Event::ConversationsChanged | Event::Synced => {
            refresh_tray(app, session).await;
        }
        Event::MessageNew { message } => notify(app, session, message).await,
        Event::CallChanged { call } if call.phase == CallPhase::Incoming => ring(app, session, call).await,
        Event::Connection { state: ConnectionState::LoggedOut } => {
            // The token is no longer good: forget it, so the next start asks
            // for the password. The UI shows the login screen.
            let state = app.state::<AppState>();
            let _guard = state.transition.lock().await;
            if state.current().is_some_and(|s| Arc::ptr_eq(&s, session))
                && let Err(e) = stop(app, &state, true).await
            {
                tracing::warn!(error = %e, "could not forget the ended session");
            }
        }
        _ => {}
    }
}

async fn refresh_tray(app: &AppHandle, session: &Session) {
    match session.client.unread_total().await {
        Ok(unread) => crate::tray::set_unread(app, unread),
        Err(e) => tracing::warn!(error = %e, "could not count unread messages"),
    }
}

/// How old a message may be and still be notified. Older ones reach the
/// cache in a catch-up after time away, and the chat list shows them: a night
/// offline does not end in a flood of notifications.
const NOTIFY_WITHIN_MS: Millis = 10 * 60 * 1000;

/// Whether a message sent at `send_time` is news at `now`.
fn is_fresh(send_time: Millis, now: Millis) -> bool {
    now.saturating_sub(send_time) <= NOTIFY_WITHIN_MS
}

/// A desktop notification for a fresh message from someone else, unless
/// turned off in the settings, the conversation is muted or read, or the
/// window is focused.
async fn notify(app: &AppHandle, session: &Session, message: &CachedMessage) {
    if message.sender_id == session.client.me().id || message.seq.is_none() || !is_fresh(message.send_time, now_ms()) {
        return;
    }
    if !session.client.notifications_enabled().await.unwrap_or(true) {
        return;
    }
    let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if focused {
        return;
    }
    let Ok(Some(conversation)) = session.client.conversation(message.conversation_id).await else { return };
    if conversation.muted || conversation.read_seq >= message.seq.unwrap_or_default() {
        return;
    }
    let title = if conversation.title.is_empty() { "Ling".to_owned() } else { conversation.title.clone() };
    let body = preview(&message.content);
    let shown =
        app.notification().builder().title(title).body(body).extra(NOTIFIED_CONVERSATION, conversation.id).show();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no notification");
    }
}

/// An incoming call brings the window up, and says who calls in a
/// notification when the window is in the background.
async fn ring(app: &AppHandle, session: &Session, call: &CallView) {
    let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if focused {
        return;
    }
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
    }
    let caller = match session.client.user(call.caller).await {
        Ok(Some(user)) if !user.display_name.is_empty() => user.display_name,
        Ok(Some(user)) => user.username,
        _ => "Ling".to_owned(),
    };
    let body = match call.media {
        CallMedia::Video => "Incoming video call",
        CallMedia::Audio => "Incoming voice call",
    };
    let shown =
        app.notification().builder().title(caller).body(body).extra(NOTIFIED_CONVERSATION, call.conversation_id).show();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no notification");
    }
}

/// Clicking a message's notification brings the window back with that
/// conversation open.
pub fn on_notification_clicked(app: &AppHandle) -> tauri_plugin_notification::Result<()> {
    let handle = app.clone();
    app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let conversation = performed
            .notification()
            .and_then(|n| n.extra().get(NOTIFIED_CONVERSATION))
            .and_then(serde_json::Value::as_i64);
        crate::tray::show_main_window(&handle);
        if let Some(id) = conversation {
            let _ = handle.emit(OPEN_CONVERSATION_EVENT, id);
        }
    })
}

/// A one-line preview of a message for a notification.
pub fn preview(content: &MessageContent) -> String {
    match content {
        MessageContent::Text { text } => {
            let line: String = text.chars().take(120).collect();
            line.replace('\n', " ")
        }
        MessageContent::Image { .. } => "[image]".into(),
        MessageContent::File { file } => format!("[file] {}", file.name),
        MessageContent::CallRecord { .. } => "[call]".into(),
        MessageContent::System { .. } | MessageContent::Recalled => String::new(),
    }
}

// --- uploads in flight ---------------------------------------------------------------

fn uploads() -> &'static Mutex<HashMap<String, CancellationToken>> {
    static UPLOADS: OnceLock<Mutex<HashMap<String, CancellationToken>>> = OnceLock::new();
    UPLOADS.get_or_init(Default::default)
}

/// A fresh id for an upload (or a staged file).
pub fn next_upload_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("u{}-{}", now_ms(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Records an upload so it can be cancelled.
pub fn register_upload(id: &str) -> CancellationToken {
    let token = CancellationToken::new();
    uploads().lock().expect("uploads lock").insert(id.to_owned(), token.clone());
    token
}

/// Forgets a finished upload.
pub fn finish_upload(id: &str) {
    uploads().lock().expect("uploads lock").remove(id);
}

/// Cancels an upload in flight.
pub fn cancel_upload(id: &str) {
    if let Some(t) = uploads().lock().expect("uploads lock").remove(id) {
        t.cancel();
    }
}

#[cfg(test)]
mod tests {
    use ling_proto::messages::FileRef;

    use super::*;

    #[test]
    fn messages_and_conversations_reach_the_ui_as_diffs_not_events() {
        assert!(!for_the_ui(&Event::ConversationUpdated { conversation_id: 1 }));
        assert!(!for_the_ui(&Event::ConversationsChanged));
        assert!(!for_the_ui(&Event::MessageRecalled { conversation_id: 1, seq: 2 }));
        assert!(!for_the_ui(&Event::Read { conversation_id: 1, user_id: 2, seq: 3 }));
        assert!(for_the_ui(&Event::Synced));
        assert!(for_the_ui(&Event::Typing { conversation_id: 1, user_id: 2 }));
        assert!(for_the_ui(&Event::Presence { user_id: 2, online: true }));
    }

    #[test]
    fn only_fresh_messages_are_notified() {
        let now = 1_800_000_000_000;
        assert!(is_fresh(now, now));
        assert!(is_fresh(now - NOTIFY_WITHIN_MS, now));
        assert!(!is_fresh(now - NOTIFY_WITHIN_MS - 1, now), "caught up after time away");
        assert!(is_fresh(now + 5_000, now), "a server clock a little ahead");
    }

    #[test]
    fn a_preview_is_one_short_line() {
        let long = format!("first line\nsecond {}", "字".repeat(200));
        let line = preview(&MessageContent::Text { text: long });
        assert!(line.starts_with("first line second 字"));
        assert!(!line.contains('\n'));
        assert_eq!(line.chars().count(), 120);
        let file = FileRef { id: "f1".into(), name: "report.pdf".into(), size: 1, mime: "application/pdf".into() };
        assert_eq!(preview(&MessageContent::File { file }), "[file] report.pdf");
    }
}
