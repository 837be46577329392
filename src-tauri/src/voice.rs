//! Voice notes in the desktop app: the commands over
//! `ling_client::voice` — recording (one at a time; level polled while it
//! runs), previewing, sending or throwing the recording away, and playing
//! notes through the speaker the settings chose, with what the player does
//! sent as `ling://voice` (`Playback`). A path from the UI is used only
//! when the core says it is a recording staged for the account.

use ling_client::cache::CachedMessage;
use ling_client::error::ClientError;
use ling_client::voice::{RecordedVoice, RecordingLevel, VoicePlayer};
use ling_proto::ConversationId;
use ling_proto::messages::FileRef;
use tauri::{AppHandle, State};

use crate::error::AppResult;
use crate::state::{AppState, Session};

fn invalid(what: &str) -> ClientError {
    ClientError::InvalidInput(what.into())
}

/// Runs `f` with the session's player (made on first use, through the
/// speaker the settings chose, as the session's devices hold it).
fn player(app: &AppHandle, session: &Session, f: impl FnOnce(&VoicePlayer)) {
    session.voice.with_player(app, session.devices.choice().speaker, f);
}

/// Starts recording from the chosen microphone (a recording already running
/// is thrown away).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_record_start(state: State<'_, AppState>) -> AppResult<()> {
    let session = state.session()?;
    let recording = session.client.record_voice().await?;
    *session.voice.recording() = Some(recording);
    Ok(())
}

/// Where the recording stands (polled while it runs).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_record_level(state: State<'_, AppState>) -> AppResult<RecordingLevel> {
    let session = state.session()?;
    let recording = session.voice.recording();
    Ok(recording.as_ref().ok_or_else(|| invalid("nothing is being recorded"))?.level())
}

/// Stops recording; the note, staged, to preview and send (or discard).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_record_stop(state: State<'_, AppState>) -> AppResult<RecordedVoice> {
    let session = state.session()?;
    let recording = session.voice.recording().take();
    Ok(recording.ok_or_else(|| invalid("nothing is being recorded"))?.stop().await?)
}

/// Throws away the recording in progress, or a recorded note (`path`).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_discard(state: State<'_, AppState>, path: Option<String>) -> AppResult<()> {
    let session = state.session()?;
    drop(session.voice.recording().take());
    if let Some(path) = path {
        session.client.discard_recording(&path)?;
    }
    Ok(())
}

/// Sends a recorded note.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn send_voice(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    note: RecordedVoice,
) -> AppResult<CachedMessage> {
    let session = state.session()?;
    session.client.staged_recording(&note.path)?;
    Ok(session.client.send_queue().send_voice(conversation_id, &note).await?)
}

/// Plays a note from `from_ms`: a message's (`file`, from the file cache,
/// fetched once) or a recording being previewed (`path`). `key` names it in
/// what the player tells.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_play(
    app: AppHandle,
    state: State<'_, AppState>,
    key: String,
    file: Option<FileRef>,
    path: Option<String>,
    from_ms: u64,
) -> AppResult<()> {
    let session = state.session()?;
    let samples = match (file, path) {
        (Some(file), _) => session.client.voice_samples(&file).await?,
        (None, Some(path)) => ling_client::voice::read_samples(session.client.staged_recording(&path)?).await?,
        (None, None) => return Err(invalid("which note?").into()),
    };
    player(&app, &session, |p| p.play(key, samples, from_ms));
    Ok(())
}

/// Pauses (`playing` false) or goes on.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_set_playing(app: AppHandle, state: State<'_, AppState>, playing: bool) -> AppResult<()> {
    player(&app, &*state.session()?, |p| if playing { p.resume() } else { p.pause() });
    Ok(())
}

/// Moves to `ms` in the note playing (or paused).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_seek(app: AppHandle, state: State<'_, AppState>, ms: u64) -> AppResult<()> {
    player(&app, &*state.session()?, |p| p.seek(ms));
    Ok(())
}

/// Plays notes at `speed` (1, 1.5 or 2), the pitch kept.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn voice_set_speed(app: AppHandle, state: State<'_, AppState>, speed: f32) -> AppResult<()> {
    player(&app, &*state.session()?, |p| p.set_speed(speed));
    Ok(())
}

/// Starts following the chosen microphone's loudness (the settings' meter).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn mic_test_start(state: State<'_, AppState>) -> AppResult<()> {
    let session = state.session()?;
    let meter = session.client.mic_level().await?;
    *session.voice.meter() = Some(meter);
    Ok(())
}

/// The microphone's loudness now, 0 to 255 (`device_unavailable` once it
/// failed).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn mic_test_level(state: State<'_, AppState>) -> AppResult<u8> {
    let session = state.session()?;
    let meter = session.voice.meter();
    let meter = meter.as_ref().ok_or_else(|| invalid("the microphone is not being tested"))?;
    meter.level().ok_or_else(|| {
        ClientError::from(ling_call::CallError::DeviceUnavailable {
            device: "microphone".into(),
            reason: "it stopped giving sound".into(),
        })
        .into()
    })
}

/// Closes the microphone the meter followed.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn mic_test_stop(state: State<'_, AppState>) -> AppResult<()> {
    drop(state.session()?.voice.meter().take());
    Ok(())
}

/// Plays a short chime through the chosen speaker (reported as the note
/// `speaker-test`).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn speaker_test(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    let sound = ling_client::voice::test_sound();
    player(&app, &*state.session()?, |p| p.play("speaker-test".into(), sound, 0));
    Ok(())
}
