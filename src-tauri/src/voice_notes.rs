//! A session's voice notes in the shell: the recording in progress and the
//! player, whose reports go to the UI as `ling://voice`
//! (the commands are in `voice.rs`).

use std::sync::{Mutex, MutexGuard};

use ling_client::voice::{Playback, VoicePlayer, VoiceRecording};
use tauri::{AppHandle, Emitter};

/// The event the player's changes go out as.
pub const EVENT: &str = "ling://voice";

/// A session's voice notes: the recording in progress and the player.
#[derive(Default)]
pub struct VoiceNotes {
    recording: Mutex<Option<VoiceRecording>>,
    player: Mutex<Option<VoicePlayer>>,
}

impl VoiceNotes {
    /// Runs `f` with the player, made on first use (through the speaker
    /// the settings chose; its changes go to the UI).
    pub fn with_player<T>(&self, app: &AppHandle, speaker: Option<String>, f: impl FnOnce(&VoicePlayer) -> T) -> T {
        let mut player = self.player.lock().expect("player lock");
        let app = app.clone();
        let player = player.get_or_insert_with(|| {
            VoicePlayer::new(speaker, move |p: &Playback| {
                let _ = app.emit(EVENT, p);
            })
        });
        f(player)
    }
}

impl VoiceNotes {
    /// The recording in progress, if any.
    pub fn recording(&self) -> MutexGuard<'_, Option<VoiceRecording>> {
        self.recording.lock().expect("recording lock")
    }
}
