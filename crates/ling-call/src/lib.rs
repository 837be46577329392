//! Ling's calls, native in Rust (WebKitGTK, the Linux webview, has no
//! WebRTC). This first layer is the media: what a call captures and plays
//! and how it is compressed.
//!
//! - [`frame`]: 20 ms of mono 48 kHz audio ([`AudioFrame`]), a picture in
//!   I420 ([`VideoFrame`]);
//! - [`media`]: sources and sinks behind traits, so devices, synthetic
//!   signals and files are interchangeable;
//! - [`synthetic`]: a tone and a moving test pattern that carries its frame
//!   index, with the analyses that read them back (tests, benchmarks,
//!   machines without devices);
//! - [`files`]: WAV and Y4M sources and sinks;
//! - [`codec`]: Opus for audio and H.264 (constrained baseline, which
//!   browsers also speak) for video.
//! - [`processing`]: echo cancellation, noise suppression and gain on the
//!   microphone's sound; [`room`], the simulated room that measures them.
//!
//! - [`engine`]: the [`CallEngine`], WebRTC peer connections (webrtc-rs) to
//!   everyone in a call, fed by one capture pipeline and one mixer.

pub mod camera;
pub mod codec;
pub mod devices;
pub mod engine;
pub mod error;
pub mod files;
pub mod frame;
pub mod media;
pub mod processing;
pub mod record;
pub mod resample;
pub mod room;
pub mod synthetic;
pub mod voice;

pub use engine::{
    CallEngine, EngineConfig, EngineEvent, IceServer, Media, MediaKind, PeerId, PeerSignal, PeerState, PeerStats,
    Quality,
};
pub use error::{CallError, CallResult};
pub use frame::{AudioFrame, FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, VideoFrame};
pub use media::{AudioSink, AudioSource, VideoSink, VideoSource};

/// Locks `m`, going on with the data if a thread panicked while holding it
/// (media keeps flowing; a recorder keeps what it has).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
