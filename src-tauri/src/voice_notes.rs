//! A session's voice notes in the shell: the recording in progress, the
//! player and the microphone meter of the settings; the player's reports go to the UI as `ling://voice`
//! (the commands are in `voice.rs`).

use std::sync::{Mutex, MutexGuard};

use ling_client::voice::{MicLevel, Playback, VoicePlayer, VoiceRecording};
use tauri::{AppHandle, Emitter};

/// The event the player's changes go out as.
pub const EVENT: &str = "ling://voice";

/// A session's voice notes: the recording in progress, the player (with
/// the speaker it plays through), and the settings' microphone meter.
#[derive(Default)]
pub struct VoiceNotes {
    recording: Mutex<Option<VoiceRecording>>,
    player: Mutex<Option<(Option<String>, VoicePlayer)>>,
    meter: Mutex<Option<MicLevel>>,
}

impl VoiceNotes {
    /// Runs `f` with the player for `speaker` (the one the settings chose
    /// now): made on first use, and made anew when the choice changed. Its
    /// changes go to the UI.
    pub fn with_player<T>(&self, app: &AppHandle, speaker: Option<String>, f: impl FnOnce(&VoicePlayer) -> T) -> T {
        let mut player = self.player.lock().expect("player lock");
        if player.as_ref().is_some_and(|(chosen, _)| *chosen != speaker) {
            *player = None;
        }
        let app = app.clone();
        let (_, player) = player.get_or_insert_with(|| {
            let made = VoicePlayer::new(speaker.clone(), move |p: &Playback| {
                let _ = app.emit(EVENT, p);
            });
            (speaker, made)
        });
        f(player)
    }

    /// The recording in progress, if any.
    pub fn recording(&self) -> MutexGuard<'_, Option<VoiceRecording>> {
        self.recording.lock().expect("recording lock")
    }

    /// The microphone meter, while the settings show it.
    pub fn meter(&self) -> MutexGuard<'_, Option<MicLevel>> {
        self.meter.lock().expect("meter lock")
    }
}
