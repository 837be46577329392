//! The machine's microphones and speakers (cpal), as sources and sinks, and
//! the choice between them and the synthetic ones.
//!
//! A cpal stream lives on a thread of its own (it is not `Send` everywhere);
//! the source and sink talk to it through channels. Audio is converted to
//! and from 48 kHz mono on the way.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat, SizedSample, StreamConfig};

use crate::files::WavSource;
use crate::media::{AudioSink, AudioSource};
use crate::resample::Resampler;
use crate::synthetic::Tone;
use crate::{AudioFrame, CallError, CallResult, FRAME_SAMPLES, SAMPLE_RATE, lock};

/// An audio device as a settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioDevice {
    /// What `Microphone::open` / `Speaker::open` take (stable across runs).
    pub id: String,
    /// What to show.
    pub name: String,
    pub is_default: bool,
}

/// The audio devices of the machine: empty lists where there are none.
#[derive(Debug, Clone, Default)]
pub struct AudioDevices {
    pub microphones: Vec<AudioDevice>,
    pub speakers: Vec<AudioDevice>,
}

/// Lists the microphones and speakers. A device only listed may still fail
/// to open: only a stream that starts proves it.
pub fn audio_devices() -> AudioDevices {
    let host = cpal::default_host();
    let id_of = |d: &cpal::Device| d.id().map(|id| id.to_string()).ok();
    let describe = |devices: Option<Vec<cpal::Device>>, default: Option<String>| -> Vec<AudioDevice> {
        devices
            .unwrap_or_default()
            .iter()
            .filter_map(|d| {
                let id = id_of(d)?;
                let name = d.description().map(|n| n.to_string()).unwrap_or_else(|_| id.clone());
                Some(AudioDevice { is_default: default.as_deref() == Some(id.as_str()), id, name })
            })
            .collect()
    };
    AudioDevices {
        microphones: describe(
            host.input_devices().ok().map(Iterator::collect),
            host.default_input_device().as_ref().and_then(id_of),
        ),
        speakers: describe(
            host.output_devices().ok().map(Iterator::collect),
            host.default_output_device().as_ref().and_then(id_of),
        ),
    }
}

fn find_device(id: Option<&str>, input: bool) -> CallResult<cpal::Device> {
    let host = cpal::default_host();
    let what = if input { "microphone" } else { "speaker" };
    let unavailable = |reason: String| CallError::DeviceUnavailable {
        device: id.unwrap_or(if input { "the default microphone" } else { "the default speaker" }).to_owned(),
        reason,
    };
    match id {
        None => if input { host.default_input_device() } else { host.default_output_device() }
            .ok_or_else(|| unavailable(format!("there is no {what}"))),
        Some(id) => {
            let parsed = id.parse().map_err(|e| unavailable(format!("not a device id: {e}")))?;
            host.device_by_id(&parsed).ok_or_else(|| unavailable(format!("no such {what}")))
        }
    }
}

/// Builds a stream for the device's sample format: `$build::<T>(args)` with
/// `T` the format's sample type.
macro_rules! by_sample_format {
    ($format:expr, $build:ident($($arg:expr),*)) => {
        match $format {
            SampleFormat::F32 => $build::<f32>($($arg),*),
            SampleFormat::I16 => $build::<i16>($($arg),*),
            SampleFormat::U16 => $build::<u16>($($arg),*),
            SampleFormat::I32 => $build::<i32>($($arg),*),
            other => Err(format!("its sample format {other} is not handled")),
        }
    };
}

/// How long `Microphone::read` waits for audio before it says the device
/// stopped.
const SILENT_DEVICE: Duration = Duration::from_secs(2);

/// A microphone: 20 ms frames at 48 kHz mono, whatever the device runs at.
pub struct Microphone {
    name: String,
    frames: Receiver<Vec<i16>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    opened: Instant,
}

impl Microphone {
    /// Opens a microphone by id (`AudioDevice::id`), or the default one.
    pub fn open(id: Option<&str>) -> CallResult<Microphone> {
        let device = find_device(id, true)?;
        let name = device.description().map(|d| d.to_string()).unwrap_or_else(|_| "microphone".into());
        let (frames_tx, frames) = std::sync::mpsc::sync_channel::<Vec<i16>>(50);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = run_stream(name.clone(), stop.clone(), move || {
            let supported = device.default_input_config().map_err(|e| e.to_string())?;
            let config: StreamConfig = supported.config();
            let mut resampler = Resampler::new(config.sample_rate, SAMPLE_RATE).map_err(|e| e.to_string())?;
            let mut frame: Vec<i16> = Vec::with_capacity(FRAME_SAMPLES);
            let on_samples = move |mono: &[f32]| {
                for s in resampler.push(mono) {
                    frame.push((s.clamp(-1.0, 1.0) * 32767.0) as i16);
                    if frame.len() == FRAME_SAMPLES {
                        let full = std::mem::replace(&mut frame, Vec::with_capacity(FRAME_SAMPLES));
                        send_frame(&frames_tx, full);
                    }
                }
            };
            by_sample_format!(supported.sample_format(), input_stream(&device, config, on_samples))
        })?;
        Ok(Microphone { name, frames, stop, thread: Some(thread), opened: Instant::now() })
    }
}

/// Keeps the newest audio when the reader falls behind.
fn send_frame(tx: &SyncSender<Vec<i16>>, frame: Vec<i16>) {
    if let Err(TrySendError::Full(_)) = tx.try_send(frame) {
        tracing::debug!("microphone frames not read in time; one dropped");
    }
}

fn input_stream<T>(
    device: &cpal::Device,
    config: StreamConfig,
    mut on_samples: impl FnMut(&[f32]) + Send + 'static,
) -> Result<cpal::Stream, String>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    // Kept across callbacks: the audio thread does not allocate once warm.
    let mut mono: Vec<f32> = Vec::new();
    device
        .build_input_stream::<T, _, _>(
            config,
            move |data: &[T], _| {
                mono.clear();
                mono.extend(
                    data.chunks(channels).map(|c| c.iter().map(|&s| f32::from_sample(s)).sum::<f32>() / c.len() as f32),
                );
                on_samples(&mono);
            },
            |e| tracing::warn!(error = %e, "microphone stream error"),
            None,
        )
        .map_err(|e| e.to_string())
}

/// Builds a device stream (`build`) on a thread of its own, starts it and
/// keeps it until `stop`; returns once the stream plays, or with why it
/// could not.
fn run_stream(
    device: String,
    stop: Arc<AtomicBool>,
    build: impl FnOnce() -> Result<cpal::Stream, String> + Send + 'static,
) -> CallResult<JoinHandle<()>> {
    let start = move || {
        let stream = build()?;
        stream.play().map_err(|e| e.to_string())?;
        Ok::<_, String>(stream)
    };
    let (started_tx, started) = std::sync::mpsc::channel::<Result<(), String>>();
    let thread = std::thread::Builder::new()
        .name("ling-audio".into())
        .spawn(move || match start() {
            Ok(stream) => {
                let _ = started_tx.send(Ok(()));
                while !stop.load(Ordering::Relaxed) {
                    std::thread::park_timeout(Duration::from_millis(100));
                }
                drop(stream);
            }
            Err(reason) => {
                let _ = started_tx.send(Err(reason));
            }
        })
        .map_err(|e| CallError::DeviceUnavailable { device: device.clone(), reason: e.to_string() })?;
    match started.recv() {
        Ok(Ok(())) => Ok(thread),
        Ok(Err(reason)) => {
            let _ = thread.join();
            Err(CallError::DeviceUnavailable { device, reason })
        }
        Err(_) => Err(CallError::DeviceUnavailable { device, reason: "its stream thread ended".into() }),
    }
}

fn stop_stream(stop: &AtomicBool, thread: &mut Option<JoinHandle<()>>) {
    stop.store(true, Ordering::Relaxed);
    if let Some(t) = thread.take() {
        t.thread().unpark();
        let _ = t.join();
    }
}

impl AudioSource for Microphone {
    fn name(&self) -> &str {
        &self.name
    }

    fn in_room(&self) -> bool {
        true
    }

    fn read(&mut self) -> CallResult<AudioFrame> {
        match self.frames.recv_timeout(SILENT_DEVICE) {
            Ok(samples) => Ok(AudioFrame { samples, capture_us: self.opened.elapsed().as_micros() as u64 }),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Err(CallError::DeviceUnavailable {
                device: self.name.clone(),
                reason: "it stopped giving audio".into(),
            }),
        }
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        stop_stream(&self.stop, &mut self.thread);
    }
}

/// The most audio a speaker holds before the oldest is dropped (latency
/// stays bounded when the network delivers in bursts).
const SPEAKER_QUEUE_MS: usize = 200;

/// A speaker: takes 48 kHz mono frames and plays them at the device's rate
/// on all its channels.
pub struct Speaker {
    name: String,
    queue: Arc<Mutex<VecDeque<f32>>>,
    resampler: Resampler,
    /// The device's rate.
    rate: u32,
    capacity: usize,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Speaker {
    /// Opens a speaker by id (`AudioDevice::id`), or the default one.
    pub fn open(id: Option<&str>) -> CallResult<Speaker> {
        let device = find_device(id, false)?;
        let name = device.description().map(|d| d.to_string()).unwrap_or_else(|_| "speaker".into());
        let supported = device
            .default_output_config()
            .map_err(|e| CallError::DeviceUnavailable { device: name.clone(), reason: e.to_string() })?;
        let rate = supported.sample_rate();
        let queue: Arc<Mutex<VecDeque<f32>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = queue.clone();
        let thread = run_stream(name.clone(), stop.clone(), move || {
            let config: StreamConfig = supported.config();
            by_sample_format!(supported.sample_format(), output_stream(&device, config, shared))
        })?;
        Ok(Speaker {
            name,
            queue,
            resampler: Resampler::new(SAMPLE_RATE, rate)?,
            rate,
            capacity: rate as usize * SPEAKER_QUEUE_MS / 1000,
            stop,
            thread: Some(thread),
        })
    }
}

fn output_stream<T>(
    device: &cpal::Device,
    config: StreamConfig,
    queue: Arc<Mutex<VecDeque<f32>>>,
) -> Result<cpal::Stream, String>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels.max(1));
    device
        .build_output_stream::<T, _, _>(
            config,
            move |data: &mut [T], _| {
                let mut q = lock(&queue);
                for frame in data.chunks_mut(channels) {
                    // Silence when nothing is queued.
                    let s = T::from_sample(q.pop_front().unwrap_or(0.0));
                    frame.fill(s);
                }
            },
            |e| tracing::warn!(error = %e, "speaker stream error"),
            None,
        )
        .map_err(|e| e.to_string())
}

impl AudioSink for Speaker {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, frame: &AudioFrame) -> CallResult<()> {
        let samples: Vec<f32> = frame.samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let converted = self.resampler.push(&samples);
        let mut q = lock(&self.queue);
        q.extend(converted);
        let excess = q.len().saturating_sub(self.capacity);
        q.drain(..excess);
        Ok(())
    }

    fn latency(&self) -> Duration {
        let queued = lock(&self.queue).len() as u64;
        Duration::from_micros(queued * 1_000_000 / self.rate.max(1) as u64)
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        stop_stream(&self.stop, &mut self.thread);
    }
}

/// Where a call's sound comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioInput {
    /// A microphone by id, or the default one.
    Microphone(Option<String>),
    /// A sine tone (machines without devices, tests).
    Tone(f64),
    /// A WAV file (48 kHz, 16-bit).
    File(PathBuf),
}

impl AudioInput {
    /// What `LING_MEDIA` says, over the person's choice: `synthetic` (a
    /// 440 Hz tone), `tone:HZ` or `file:PATH`; anything else keeps `chosen`.
    pub fn from_env_or(chosen: AudioInput) -> AudioInput {
        Self::from_setting(std::env::var("LING_MEDIA").ok().as_deref()).unwrap_or(chosen)
    }

    fn from_setting(value: Option<&str>) -> Option<AudioInput> {
        let value = value?.trim();
        if value == "synthetic" {
            return Some(AudioInput::Tone(440.0));
        }
        if let Some(hz) = value.strip_prefix("tone:") {
            return hz.parse().ok().filter(|hz: &f64| (20.0..=20_000.0).contains(hz)).map(AudioInput::Tone);
        }
        value.strip_prefix("file:").map(|p| AudioInput::File(PathBuf::from(p)))
    }

    /// Opens it.
    pub fn open(&self) -> CallResult<Box<dyn AudioSource>> {
        Ok(match self {
            AudioInput::Microphone(id) => Box::new(Microphone::open(id.as_deref())?),
            AudioInput::Tone(hz) => Box::new(Tone::new(*hz)),
            AudioInput::File(path) => Box::new(WavSource::open(path)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_devices_never_fails() {
        let devices = audio_devices();
        for d in devices.microphones.iter().chain(&devices.speakers) {
            assert!(!d.id.is_empty() && !d.name.is_empty(), "{d:?}");
        }
        assert!(devices.microphones.iter().filter(|d| d.is_default).count() <= 1);
    }

    #[test]
    fn a_device_that_cannot_be_used_says_so() {
        for id in ["no such device", "alsa:no-such-device-here"] {
            let err = Microphone::open(Some(id)).err().expect("no such microphone");
            assert_eq!(err.code(), "device_unavailable", "{err}");
            let err = Speaker::open(Some(id)).err().expect("no such speaker");
            assert_eq!(err.code(), "device_unavailable", "{err}");
        }
        // The default microphone: where there is one it gives 20 ms frames,
        // elsewhere (CI, this kind of machine) a clear error.
        match Microphone::open(None) {
            Ok(mut mic) => match mic.read() {
                Ok(frame) => assert_eq!(frame.samples.len(), FRAME_SAMPLES),
                Err(e) => assert_eq!(e.code(), "device_unavailable"),
            },
            Err(e) => assert_eq!(e.code(), "device_unavailable", "{e}"),
        }
    }

    #[test]
    fn the_environment_chooses_synthetic_media() {
        assert_eq!(AudioInput::from_setting(Some("synthetic")), Some(AudioInput::Tone(440.0)));
        assert_eq!(AudioInput::from_setting(Some("tone:1000")), Some(AudioInput::Tone(1000.0)));
        assert_eq!(AudioInput::from_setting(Some("tone:5")), None);
        assert_eq!(AudioInput::from_setting(Some("file:/tmp/a.wav")), Some(AudioInput::File("/tmp/a.wav".into())));
        assert_eq!(AudioInput::from_setting(Some("devices")), None);
        assert_eq!(AudioInput::from_setting(None), None);
        let mut tone = AudioInput::Tone(440.0).open().unwrap();
        assert_eq!(tone.read().unwrap().samples.len(), FRAME_SAMPLES);
        assert_eq!(AudioInput::File("/nonexistent.wav".into()).open().err().unwrap().code(), "media_file");
    }
}
