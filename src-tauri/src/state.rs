//! What the shell keeps between commands: the profile, and the logged-in
//! account's running `Client` (at most one per window).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use ling_client::account::LoggedIn;
use ling_client::profile::Profile;
use ling_client::tokens::TokenStorePolicy;
use ling_client::{CancellationToken, Client};
use ling_proto::ConversationId;

use crate::error::{AppError, AppResult};

/// A logged-in account.
pub struct Session {
    /// As logged in (for logging out).
    pub logged_in: LoggedIn,
    /// Its cache, realtime session and events.
    pub client: Client,
    /// Stops the tasks the shell runs for it (event forwarding).
    pub stop: CancellationToken,
}

/// The shell's state, managed by Tauri.
pub struct AppState {
    /// This window's profile directory.
    pub profile: Profile,
    /// Where remembered tokens may go.
    pub token_policy: TokenStorePolicy,
    session: RwLock<Option<Arc<Session>>>,
    /// Serializes log in / log out, so two clicks cannot start two clients.
    pub transition: tokio::sync::Mutex<()>,
    /// The conversation the UI shows (0: none): no notifications for it while
    /// the window has focus.
    open_conversation: AtomicI64,
}

impl AppState {
    /// Nobody logged in yet.
    pub fn new(profile: Profile, token_policy: TokenStorePolicy) -> AppState {
        AppState {
            profile,
            token_policy,
            session: RwLock::new(None),
            transition: tokio::sync::Mutex::new(()),
            open_conversation: AtomicI64::new(0),
        }
    }

    /// The logged-in account, or `not_logged_in`.
    pub fn session(&self) -> AppResult<Arc<Session>> {
        self.session.read().expect("session lock").clone().ok_or_else(AppError::not_logged_in)
    }

    /// The logged-in account, if any.
    pub fn current(&self) -> Option<Arc<Session>> {
        self.session.read().expect("session lock").clone()
    }

    /// Replaces the logged-in account; returns the previous one.
    pub fn set_session(&self, session: Option<Arc<Session>>) -> Option<Arc<Session>> {
        std::mem::replace(&mut *self.session.write().expect("session lock"), session)
    }

    /// The conversation the UI shows.
    pub fn open_conversation(&self) -> Option<ConversationId> {
        Some(self.open_conversation.load(Ordering::Relaxed)).filter(|&c| c != 0)
    }

    /// Records which conversation the UI shows.
    pub fn set_open_conversation(&self, id: Option<ConversationId>) {
        self.open_conversation.store(id.unwrap_or(0), Ordering::Relaxed);
    }
}
