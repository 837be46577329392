//! A logged-in account's life in the shell: start its `Client`, forward its
//! events to the UI (`ling://event`), keep the tray's unread count, notify
//! about new messages while the window is in the background, stop it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ling_client::account::{self, LoggedIn};
use ling_client::cache::CachedMessage;
use ling_client::calls::{CallPhase, CallView};
use ling_client::notices;
use ling_client::{CancellationToken, Client, ConnectionState, Event};
use ling_proto::Millis;
use ling_proto::messages::MessageContent;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppResult;
use crate::state::{AppState, Session};

/// Every client event, as the `Event` type says.
pub const EVENT: &str = "ling://event";
/// The events were too many to forward one by one: re-read everything.
pub const RESYNC_EVENT: &str = "ling://resync";

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
    let chosen = client.prefs().await.map(|p| p.devices).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the account's preferences could not be read; the default call devices");
        Default::default()
    });
    let devices = crate::devices::DesktopDevices::new(chosen);
    let calls = client.calls(devices.clone(), ling_client::calls::bind_ip_from_env());
    let session =
        Arc::new(Session { logged_in, client, stop: stop.clone(), calls, devices, voice: Default::default() });
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
            | Event::MessageRemoved { .. }
            | Event::ConversationUpdated { .. }
            | Event::ConversationsChanged
            | Event::GroupJoinRequest { .. }
            | Event::Read { .. }
            | Event::AssistantStream { .. }
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

/// A desktop notification for a new message, if the core's rule says so
/// (from someone else, fresh, unread, not muted, notifications on, the
/// window in the background).
async fn notify(app: &AppHandle, session: &Session, message: &CachedMessage) {
    let focused = crate::notices::window_focused(app);
    // Most messages arrive while the window has the focus: the rule would
    // say no, so the cache is not asked.
    if focused {
        return;
    }
    let prefs = session.client.prefs().await.ok();
    let enabled = prefs.as_ref().is_none_or(|p| p.notifications);
    let Ok(Some(conversation)) = session.client.conversation(message.conversation_id).await else { return };
    let at = notices::Situation { me: session.client.me().id, enabled, focused, now: now_ms() };
    let notice = match &message.content {
        MessageContent::Reaction { target, on: true, .. } if prefs.as_ref().is_some_and(|p| p.notify_reactions) => {
            // Whose message it was, and who reacted, as the person calls them.
            let Ok(page) = session.client.history(message.conversation_id, Some(target + 1), 1).await else { return };
            let Some(author) = page.iter().find(|m| m.seq == Some(*target)).map(|m| m.sender_id) else { return };
            let name = match session.client.contacts().user(message.sender_id).await {
                Ok(Some(u)) if !u.display_name.is_empty() => u.display_name,
                Ok(Some(u)) => u.username,
                _ => String::new(),
            };
            notices::for_reaction(message, author, &name, true, &conversation, at)
        }
        _ => notices::for_message(message, &conversation, at),
    };
    if let Some(notice) = notice {
        crate::notices::show(app, &notice);
    }
}

/// An incoming call brings the window up, and says who calls in a
/// notification, when the window is in the background.
async fn ring(app: &AppHandle, session: &Session, call: &CallView) {
    let caller = match session.client.contacts().user(call.caller).await {
        Ok(Some(user)) if !user.display_name.is_empty() => Some(user.display_name),
        Ok(Some(user)) => Some(user.username),
        _ => None,
    };
    if let Some(notice) = notices::for_call(call, caller.as_deref(), crate::notices::window_focused(app)) {
        crate::notices::show(app, &notice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_conversations_reach_the_ui_as_diffs_not_events() {
        assert!(!for_the_ui(&Event::ConversationUpdated { conversation_id: 1 }));
        assert!(!for_the_ui(&Event::ConversationsChanged));
        assert!(!for_the_ui(&Event::MessageRecalled { conversation_id: 1, seq: 2 }));
        assert!(!for_the_ui(&Event::MessageRemoved { conversation_id: 1, client_msg_id: "c".into() }));
        let progress = Event::UploadProgress { conversation_id: 1, client_msg_id: "c".into(), sent: 1, total: 2 };
        assert!(for_the_ui(&progress), "progress has no view of its own");
        assert!(!for_the_ui(&Event::Read { conversation_id: 1, user_id: 2, seq: 3 }));
        assert!(for_the_ui(&Event::Synced));
        assert!(for_the_ui(&Event::Typing { conversation_id: 1, user_id: 2 }));
        assert!(for_the_ui(&Event::Presence { user_id: 2, online: true }));
    }
}
