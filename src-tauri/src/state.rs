//! What the shell keeps between commands: the profile, and the logged-in
//! account's running `Client` (at most one per window).

use std::sync::{Arc, RwLock};

use ling_client::account::LoggedIn;
use ling_client::profile::Profile;
use ling_client::tokens::TokenStorePolicy;
use std::path::PathBuf;

use ling_client::{CancellationToken, Client, ClientResult};
use ling_proto::messages::FileRef;

use crate::error::{AppError, AppResult};

/// A logged-in account.
pub struct Session {
    /// As logged in (for logging out).
    pub logged_in: LoggedIn,
    /// Its cache, realtime session and events.
    pub client: Client,
    /// Stops the tasks the shell runs for it (event forwarding).
    pub stop: CancellationToken,
    /// Its calls.
    pub calls: Arc<ling_client::calls::Calls>,
    /// The devices its calls use, and their pictures.
    pub devices: Arc<crate::devices::DesktopDevices>,
    /// Its voice notes: the recording, the player.
    pub voice: crate::voice_notes::VoiceNotes,
}

impl Session {
    /// A message's file on this machine: from the cache, downloaded once.
    pub async fn local_file(&self, file: &FileRef) -> ClientResult<PathBuf> {
        self.client.download(file, None, &CancellationToken::new()).await
    }
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
}

impl AppState {
    /// Nobody logged in yet.
    pub fn new(profile: Profile, token_policy: TokenStorePolicy) -> AppState {
        AppState { profile, token_policy, session: RwLock::new(None), transition: tokio::sync::Mutex::new(()) }
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
}
