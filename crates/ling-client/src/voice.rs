//! Voice notes: recording one from the chosen microphone (through
//! `ling-call`'s devices; `LING_MEDIA` swaps in a tone or a WAV file) into an
//! Ogg Opus file staged for sending, at most [`VOICE_MAX_MS`]; and playing
//! one from the file cache through the chosen speaker, with pause, seek
//! and speed (the pitch kept: [`ling_call::voice::stretch`]).
//!
//! Both run on a thread of their own (devices block); what they decide —
//! where a recording stands, which frame plays when — is small and pure.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ling_call::devices::{AudioInput, Speaker};
use ling_call::media::AudioSink;
use ling_call::processing::{AudioProcessor, Processing};
use ling_call::record::Discard;
use ling_call::voice::{VoiceSummary, VoiceWriter, decode, stretch};
use ling_call::{AudioFrame, FRAME_SAMPLES, SAMPLE_RATE};
use ling_proto::messages::{FileRef, VOICE_MAX_MS, WAVEFORM_BARS};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::Client;
use crate::error::{ClientError, ClientResult};
use crate::prefs::Prefs;
use crate::profile::create_private_dir;
use crate::uploads::{OUTGOING, staged_dir};

/// A voice note recorded and staged, ready to send or to throw away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordedVoice {
    /// The Ogg Opus file, in the account's `outgoing/` (removed once sent).
    pub path: String,
    /// How long it plays.
    pub duration_ms: u64,
    /// Its loudness over time.
    pub waveform: Vec<u8>,
}

/// Where a recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordingLevel {
    /// Recorded so far.
    pub elapsed_ms: u64,
    /// The latest loudness, 0 to 255.
    pub level: u8,
    /// It stopped by itself: the longest a note may be, or the microphone
    /// failed. Stop it to keep what it has.
    pub done: bool,
}

/// A recording in progress ([`Client::record_voice`]). Dropped, it stops
/// and its file goes.
pub struct VoiceRecording {
    /// Its own directory in `outgoing/` (removed with it unless sent on),
    /// and the file there.
    dir: PathBuf,
    path: PathBuf,
    stop: Arc<AtomicBool>,
    elapsed_ms: Arc<AtomicU64>,
    level: Arc<AtomicU8>,
    thread: Option<JoinHandle<ClientResult<VoiceSummary>>>,
}

/// Frames from an input at the pace of real time: a microphone sets its
/// own; a tone or a file, which answer at once, are slowed to it. A
/// microphone's sound goes through `processing` (noise and gain: nothing
/// plays while one records, so there is no echo to take out).
struct Paced {
    source: Box<dyn ling_call::media::AudioSource>,
    live: bool,
    processor: Option<AudioProcessor>,
    started: Instant,
    frames: u32,
}

impl Paced {
    fn open(input: &AudioInput, processing: Processing) -> ClientResult<Paced> {
        let live = matches!(input, AudioInput::Microphone(_));
        Ok(Paced::new(input.open()?, live, processing))
    }

    fn new(source: Box<dyn ling_call::media::AudioSource>, live: bool, processing: Processing) -> Paced {
        let processor = source.in_room().then(|| AudioProcessor::new(processing.without_echo()));
        Paced { source, live, processor, started: Instant::now(), frames: 0 }
    }

    fn read(&mut self) -> ClientResult<AudioFrame> {
        let mut frame = self.source.read()?;
        if let Some(p) = &self.processor {
            p.capture(&mut frame);
        }
        self.frames += 1;
        if !self.live {
            let due = self.started + Duration::from_millis(20) * self.frames;
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        Ok(frame)
    }
}

/// Whether a recording goes on: not asked to stop, and shorter than a note
/// may be.
fn goes_on(elapsed_ms: u64, stop: bool) -> bool {
    !stop && elapsed_ms < VOICE_MAX_MS
}

impl VoiceRecording {
    /// Starts recording `input` into a new file in `dir`, a microphone's
    /// sound through `processing`. A live microphone sets the pace; a tone
    /// or a file is paced to real time.
    pub fn start(input: AudioInput, dir: &Path, processing: Processing) -> ClientResult<VoiceRecording> {
        create_private_dir(dir)?;
        let path = dir.join("voice-note.ogg");
        let file = std::fs::File::create(&path).map_err(|e| crate::error::io_error("could not create", &path, e))?;
        let mut source = Paced::open(&input, processing)?;
        let stop = Arc::new(AtomicBool::new(false));
        let elapsed_ms = Arc::new(AtomicU64::new(0));
        let level = Arc::new(AtomicU8::new(0));
        let (s, e, l) = (stop.clone(), elapsed_ms.clone(), level.clone());
        let thread = std::thread::Builder::new()
            .name("voice-record".into())
            .spawn(move || {
                let mut writer = VoiceWriter::new(std::io::BufWriter::new(file))?;
                while goes_on(writer.duration_ms(), s.load(Ordering::Relaxed)) {
                    writer.push(&source.read()?)?;
                    e.store(writer.duration_ms(), Ordering::Relaxed);
                    l.store(writer.level(), Ordering::Relaxed);
                }
                let (out, summary) = writer.finish(WAVEFORM_BARS)?;
                out.into_inner().map_err(|e| ClientError::Storage(e.to_string()))?.sync_all().ok();
                Ok(summary)
            })
            .map_err(|e| ClientError::Storage(e.to_string()))?;
        Ok(VoiceRecording { dir: dir.to_path_buf(), path, stop, elapsed_ms, level, thread: Some(thread) })
    }

    /// How far it got.
    pub fn level(&self) -> RecordingLevel {
        RecordingLevel {
            elapsed_ms: self.elapsed_ms.load(Ordering::Relaxed),
            level: self.level.load(Ordering::Relaxed),
            done: self.thread.as_ref().is_none_or(JoinHandle::is_finished),
        }
    }

    /// Stops; the note, ready to send (or to preview, or to discard).
    pub async fn stop(mut self) -> ClientResult<RecordedVoice> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("a recording has its thread until stopped");
        let summary = crate::account::blocking(move || {
            thread.join().map_err(|_| ClientError::Storage("the recording thread failed".into()))?
        })
        .await?;
        // Kept: it is the caller's now, to send or to discard.
        self.dir = PathBuf::new();
        let path = std::mem::take(&mut self.path);
        Ok(RecordedVoice {
            path: path.to_string_lossy().into_owned(),
            duration_ms: summary.duration_ms,
            waveform: summary.waveform,
        })
    }
}

impl Drop for VoiceRecording {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The microphone the settings chose (`LING_MEDIA` overrides it).
fn chosen_microphone(prefs: &Prefs) -> AudioInput {
    AudioInput::from_env_or(AudioInput::Microphone(prefs.devices.microphone.clone()))
}

/// Removes a recording staged in the `outgoing/` of the account at
/// `account_dir`, with its directory; whether it was one (anything else
/// stays).
pub fn discard_staged(account_dir: &Path, path: &Path) -> bool {
    let Some(dir) = staged_dir(account_dir, path) else { return false };
    let _ = std::fs::remove_dir_all(dir);
    true
}

impl Client {
    /// Starts recording a voice note from the chosen microphone, into the
    /// account's `outgoing/`.
    pub async fn record_voice(&self) -> ClientResult<VoiceRecording> {
        let prefs = self.prefs().await?;
        let (input, processing) = (chosen_microphone(&prefs), prefs.sound.into());
        let dir = self.account_dir().join(OUTGOING).join(uuid::Uuid::now_v7().to_string());
        crate::account::blocking(move || VoiceRecording::start(input, &dir, processing)).await
    }

    /// `path`, when it is a recording staged for this account (nothing
    /// else is played, sent or removed by a path the app was handed).
    pub fn staged_recording(&self, path: &str) -> ClientResult<PathBuf> {
        let path = PathBuf::from(path);
        staged_dir(self.account_dir(), &path)
            .map(|_| path)
            .ok_or_else(|| ClientError::InvalidInput("not a recorded voice note".into()))
    }

    /// Throws away a recording staged for this account.
    pub fn discard_recording(&self, path: &str) -> ClientResult<()> {
        let path = self.staged_recording(path)?;
        discard_staged(self.account_dir(), &path);
        Ok(())
    }

    /// A voice note's sound: from the file cache, downloaded first when
    /// it is not there yet (so it plays offline once played, or once
    /// fetched), or from the staged file of one being previewed.
    pub async fn voice_samples(&self, file: &FileRef) -> ClientResult<Arc<[i16]>> {
        let path = self.download(file, None, &CancellationToken::new()).await?;
        read_samples(path).await
    }
}

/// The samples of an Ogg Opus file on disk.
pub async fn read_samples(path: PathBuf) -> ClientResult<Arc<[i16]>> {
    crate::account::blocking(move || {
        let bytes = std::fs::read(&path).map_err(crate::error::unreadable(&path))?;
        let frames = decode(&bytes)?;
        Ok(frames.into_iter().flat_map(|f| f.samples).collect::<Vec<i16>>().into())
    })
    .await
}

/// The chosen microphone's loudness, for a level meter in the settings:
/// the device stays open until this is dropped.
pub struct MicLevel {
    stop: Arc<AtomicBool>,
    level: Arc<AtomicU8>,
    failed: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MicLevel {
    /// Opens `input` and follows its loudness (a tone or a file paced to
    /// real time).
    pub fn start(input: AudioInput) -> ClientResult<MicLevel> {
        let mut source = Paced::open(&input, Processing::OFF)?; // the microphone as it is
        let stop = Arc::new(AtomicBool::new(false));
        let level = Arc::new(AtomicU8::new(0));
        let failed = Arc::new(AtomicBool::new(false));
        let (s, l, f) = (stop.clone(), level.clone(), failed.clone());
        let thread = std::thread::Builder::new()
            .name("mic-level".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    match source.read() {
                        Ok(frame) => {
                            l.store(ling_call::voice::loudness(ling_call::voice::peak(&frame)), Ordering::Relaxed)
                        }
                        Err(e) => {
                            tracing::info!(error = %e, "the microphone stopped");
                            f.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            })
            .map_err(|e| ClientError::Storage(e.to_string()))?;
        Ok(MicLevel { stop, level, failed, thread: Some(thread) })
    }

    /// The latest loudness, 0 to 255; `None` once the device failed.
    pub fn level(&self) -> Option<u8> {
        (!self.failed.load(Ordering::Relaxed)).then(|| self.level.load(Ordering::Relaxed))
    }
}

impl Drop for MicLevel {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A short two-note chime at a comfortable level, to test a speaker with.
pub fn test_sound() -> Arc<[i16]> {
    let rate = SAMPLE_RATE as f32;
    let note = |hz: f32, seconds: f32| {
        let n = (seconds * rate) as usize;
        (0..n).map(move |i| {
            let t = i as f32 / rate;
            // A soft attack and a long fade, so it does not click.
            let envelope = (t / 0.01).min(1.0) * (1.0 - i as f32 / n as f32).powi(2);
            (8000.0 * envelope * (2.0 * std::f32::consts::PI * hz * t).sin()) as i16
        })
    };
    note(660.0, 0.25).chain(note(880.0, 0.45)).collect::<Vec<_>>().into()
}

impl Client {
    /// Follows the loudness of the chosen microphone, for a level meter.
    pub async fn mic_level(&self) -> ClientResult<MicLevel> {
        let input = chosen_microphone(&self.prefs().await?);
        crate::account::blocking(move || MicLevel::start(input)).await
    }
}

/// What a player is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Playback {
    /// What is loaded (the app's name for it: a file id, or a staged path).
    pub key: String,
    /// Where it is, in the note's own time.
    pub position_ms: u64,
    /// How long the note is.
    pub duration_ms: u64,
    /// Playing, or paused (or ended: paused at its end, which is then
    /// position 0 again).
    pub playing: bool,
    /// 1, 1.5 or 2 (0.5 to 2 taken).
    pub speed: f32,
}

enum Command {
    Load { key: String, samples: Arc<[i16]>, from_ms: u64 },
    Pause,
    Resume,
    Seek(u64),
    Speed(f32),
    Stop,
}

/// Plays voice notes, one at a time, through a speaker; tells `on_change`
/// what it does (on each change, and about four times a second while
/// playing).
pub struct VoicePlayer {
    commands: mpsc::Sender<Command>,
    state: Arc<Mutex<Option<Playback>>>,
    thread: Option<JoinHandle<()>>,
}

/// Frames written ahead of time (the speaker holds 200 ms).
const LEAD: Duration = Duration::from_millis(80);

fn ms_to_samples(ms: u64) -> usize {
    (ms * u64::from(SAMPLE_RATE) / 1000) as usize
}

/// Where `ms` into a note is among its samples played at `speed`.
fn stretched_at(ms: u64, speed: f32) -> usize {
    (ms_to_samples(ms) as f32 / speed) as usize
}

fn samples_to_ms(n: usize) -> u64 {
    n as u64 * 1000 / u64::from(SAMPLE_RATE)
}

impl VoicePlayer {
    /// A player writing to the speaker `speaker` (the default one with
    /// `None`; nowhere, paced as if, where none opens).
    pub fn new(speaker: Option<String>, on_change: impl Fn(&Playback) + Send + 'static) -> VoicePlayer {
        Self::with_sink(
            move || match Speaker::open(speaker.as_deref()) {
                Ok(s) => Box::new(s),
                Err(e) => {
                    tracing::info!(error = %e, "voice notes play nowhere: no speaker");
                    Box::new(Discard)
                }
            },
            on_change,
        )
    }

    /// A player writing to what `open` opens (on the player's thread).
    pub fn with_sink(
        open: impl FnOnce() -> Box<dyn AudioSink> + Send + 'static,
        on_change: impl Fn(&Playback) + Send + 'static,
    ) -> VoicePlayer {
        let (commands, rx) = mpsc::channel();
        let state: Arc<Mutex<Option<Playback>>> = Arc::default();
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("voice-play".into())
            .spawn(move || run_player(open(), rx, shared, on_change))
            .expect("a thread starts");
        VoicePlayer { commands, state, thread: Some(thread) }
    }

    /// Loads `samples` as `key` and plays from `from_ms`.
    pub fn play(&self, key: String, samples: Arc<[i16]>, from_ms: u64) {
        let _ = self.commands.send(Command::Load { key, samples, from_ms });
    }

    /// Pauses.
    pub fn pause(&self) {
        let _ = self.commands.send(Command::Pause);
    }

    /// Goes on where it paused.
    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    /// Moves to `ms` in the note.
    pub fn seek(&self, ms: u64) {
        let _ = self.commands.send(Command::Seek(ms));
    }

    /// Plays faster or slower, the pitch kept.
    pub fn set_speed(&self, speed: f32) {
        let _ = self.commands.send(Command::Speed(speed));
    }

    /// What it is doing.
    pub fn state(&self) -> Option<Playback> {
        self.state.lock().ok().and_then(|s| s.clone())
    }
}

impl Drop for VoicePlayer {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The player's loop: commands between frames; frames written on time.
fn run_player(
    mut sink: Box<dyn AudioSink>,
    rx: mpsc::Receiver<Command>,
    shared: Arc<Mutex<Option<Playback>>>,
    on_change: impl Fn(&Playback),
) {
    let mut note: Option<(Arc<[i16]>, Vec<i16>)> = None; // the note, and at the current speed
    let mut state: Option<Playback> = None;
    // The speed chosen, kept from note to note.
    let mut speed = 1.0f32;
    // Where playing is, in the stretched samples; when it (re)started, and from where.
    let mut at = 0usize;
    let mut clock: Option<(Instant, usize)> = None;
    let mut last_told = Instant::now();
    let publish = |state: &Option<Playback>| {
        if let Ok(mut s) = shared.lock() {
            s.clone_from(state);
        }
        if let Some(p) = state {
            on_change(p);
        }
    };
    loop {
        let playing = state.as_ref().is_some_and(|s| s.playing);
        let command = if playing {
            match rx.try_recv() {
                Ok(c) => Some(c),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            }
        };
        if let Some(command) = command {
            match command {
                Command::Stop => return,
                Command::Load { key, samples, from_ms } => {
                    let stretched = stretch(&samples, speed);
                    let duration_ms = samples_to_ms(samples.len());
                    let from = from_ms.min(duration_ms);
                    at = stretched_at(from, speed);
                    note = Some((samples, stretched));
                    state = Some(Playback { key, position_ms: from, duration_ms, playing: true, speed });
                    clock = None;
                }
                Command::Pause => {
                    if let Some(s) = state.as_mut() {
                        s.playing = false;
                    }
                    clock = None;
                }
                Command::Resume => {
                    if let Some(s) = state.as_mut() {
                        s.playing = note.is_some();
                    }
                    clock = None;
                }
                Command::Seek(ms) => {
                    if let Some(s) = state.as_mut() {
                        s.position_ms = ms.min(s.duration_ms);
                        at = stretched_at(s.position_ms, s.speed);
                    }
                    clock = None;
                }
                Command::Speed(new) => {
                    let new = new.clamp(0.5, 2.0);
                    speed = new;
                    if let (Some(s), Some((samples, stretched))) = (state.as_mut(), note.as_mut()) {
                        *stretched = stretch(samples, new);
                        at = stretched_at(s.position_ms, new);
                        s.speed = new;
                    }
                    clock = None;
                }
            }
            publish(&state);
            last_told = Instant::now();
            continue;
        }
        // Playing: the next frame, on time.
        let (Some(s), Some((_, stretched))) = (state.as_mut(), note.as_ref()) else { continue };
        if at >= stretched.len() {
            s.playing = false;
            s.position_ms = 0;
            at = 0;
            clock = None;
            publish(&state);
            continue;
        }
        let (started, from) = *clock.get_or_insert((Instant::now(), at));
        let due = started + Duration::from_micros(((at - from) as u64 * 1_000_000) / u64::from(SAMPLE_RATE));
        std::thread::sleep(due.saturating_duration_since(Instant::now() + LEAD));
        let end = (at + FRAME_SAMPLES).min(stretched.len());
        let mut samples = stretched[at..end].to_vec();
        samples.resize(FRAME_SAMPLES, 0);
        if let Err(e) = sink.write(&AudioFrame { samples, capture_us: 0 }) {
            tracing::warn!(error = %e, "voice note: the speaker failed; playing nowhere");
            sink = Box::new(Discard);
        }
        at = end;
        s.position_ms = (samples_to_ms(at) as f32 * s.speed) as u64;
        if last_told.elapsed() >= Duration::from_millis(250) {
            publish(&state);
            last_told = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A microphone in a room with a fan running and nobody talking.
    struct Fan(Vec<f32>, usize);

    impl ling_call::media::AudioSource for Fan {
        fn name(&self) -> &str {
            "fan"
        }
        fn in_room(&self) -> bool {
            true
        }
        fn read(&mut self) -> ling_call::CallResult<AudioFrame> {
            let samples = self.0[self.1..self.1 + 960].iter().map(|&s| (s * 32767.0) as i16).collect();
            self.1 += 960;
            Ok(AudioFrame { samples, capture_us: 0 })
        }
    }

    #[test]
    fn test_a_microphone_is_recorded_through_the_sound_processing_and_a_tone_as_it_is() {
        let fan = ling_call::room::Room { noise_db: -40.0, ..ling_call::room::Room::LAPTOP }.noise(48_000 * 3);
        let last_second = |processing: Processing| {
            let mut paced = Paced::new(Box::new(Fan(fan.clone(), 0)), true, processing);
            let heard: Vec<f32> =
                (0..150).flat_map(|_| paced.read().unwrap().samples).map(|s| f32::from(s) / 32768.0).collect();
            ling_call::room::level_db(&heard[48_000 * 2..])
        };
        let processed = last_second(Processing::default());
        let raw = last_second(Processing::OFF);
        assert!((raw + 40.0).abs() < 0.5, "{raw}");
        assert!(processed < raw - 10.0, "the fan is turned down: {processed:.1} against {raw:.1} dBFS");
        let tone = Paced::open(&AudioInput::Tone(440.0), Processing::default()).unwrap();
        assert!(tone.processor.is_none(), "a tone is not a microphone");
    }

    #[test]
    fn test_a_note_plays_faster_without_a_higher_pitch_seeks_and_ends() {
        use ling_call::media::AudioSource;
        let mut tone = ling_call::synthetic::Tone::new(440.0);
        let note: Arc<[i16]> = (0..50).flat_map(|_| tone.read().unwrap().samples).collect::<Vec<_>>().into();
        let heard = ling_call::record::AudioRecorder::new(5);
        let sink = heard.clone();
        let (tx, told) = mpsc::channel();
        let player = VoicePlayer::with_sink(move || Box::new(sink), move |p| drop(tx.send(p.clone())));
        player.set_speed(2.0);
        player.play("note".into(), note.clone(), 0);
        let ended = loop {
            let p = told.recv_timeout(Duration::from_secs(10)).expect("the player tells");
            if !p.playing {
                break p;
            }
            assert_eq!((p.key.as_str(), p.duration_ms), ("note", 1000));
        };
        assert_eq!(ended.position_ms, 0, "ended, it starts over");
        let played = heard.samples();
        assert!((23_500..=24_500).contains(&played.len()), "1 s at 2x is 0.5 s: {}", played.len());
        let hz = ling_call::synthetic::dominant_frequency(&played[4800..19200]).unwrap();
        assert!((hz - 440.0).abs() < 10.0, "{hz} Hz");
        // A seek to 800 ms at 1x plays the last 200 ms.
        player.set_speed(1.0);
        player.play("note".into(), note, 800);
        let mut started = false;
        loop {
            let p = told.recv_timeout(Duration::from_secs(10)).unwrap();
            if p.playing && !started {
                assert_eq!((p.position_ms, p.speed), (800, 1.0));
                started = true;
            } else if started && !p.playing {
                break;
            }
        }
        let more = heard.samples().len() - played.len();
        assert!((9_000..=10_560).contains(&more), "{more}");
    }

    #[test]
    fn test_the_level_meter_follows_the_microphone_and_the_test_sound_is_a_chime() {
        let meter = MicLevel::start(AudioInput::Tone(440.0)).unwrap();
        let started = Instant::now();
        while meter.level() == Some(0) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(meter.level().is_some_and(|l| l > 100), "{:?}", meter.level());
        drop(meter);
        let chime = test_sound();
        assert_eq!(chime.len(), 33_600, "0.7 s");
        let first = ling_call::synthetic::dominant_frequency(&chime[1000..10_000]).unwrap();
        let second = ling_call::synthetic::dominant_frequency(&chime[13_000..25_000]).unwrap();
        assert!((first - 660.0).abs() < 10.0 && (second - 880.0).abs() < 10.0, "{first} {second}");
        assert!(chime.iter().all(|s| s.unsigned_abs() <= 8000));
    }

    #[test]
    fn test_a_recording_stops_when_asked_or_at_five_minutes() {
        assert!(goes_on(0, false));
        assert!(goes_on(VOICE_MAX_MS - 20, false));
        assert!(!goes_on(VOICE_MAX_MS, false), "five minutes at most");
        assert!(!goes_on(1000, true));
    }

    #[test]
    fn test_a_tone_recorded_is_staged_as_a_note_and_a_dropped_one_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let staged = dir.path().join(OUTGOING).join("one");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let rec = VoiceRecording::start(AudioInput::Tone(440.0), &staged, Processing::default()).unwrap();
        while rec.level().elapsed_ms < 300 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let level = rec.level();
        assert!(level.level > 100 && !level.done, "{level:?}");
        let note = rt.block_on(rec.stop()).unwrap();
        assert!(note.duration_ms >= 300 && note.duration_ms < 2000, "{note:?}");
        assert!(!note.waveform.is_empty());
        let samples = rt.block_on(read_samples(PathBuf::from(&note.path))).unwrap();
        assert!(samples.len() as u64 >= (note.duration_ms - 20) * 48, "{}", samples.len());
        assert!(discard_staged(dir.path(), Path::new(&note.path)));
        assert!(!staged.exists(), "its directory goes with it");

        let other = dir.path().join(OUTGOING).join("two");
        drop(VoiceRecording::start(AudioInput::Tone(440.0), &other, Processing::default()).unwrap());
        assert!(!other.exists(), "a recording dropped (cancelled) leaves nothing");
    }
}
