//! Where media comes from and where it goes. Devices, synthetic signals and
//! files all stand behind these traits, so a call (or a test) takes any of
//! them.

use crate::{AudioFrame, CallResult, VideoFrame};

/// Gives 20 ms audio frames, one per `read`.
pub trait AudioSource: Send {
    /// What to call it in a device list or an error.
    fn name(&self) -> &str;
    /// The next frame. A live source (a microphone) waits until it has been
    /// captured; a synthetic or file source answers at once and the caller
    /// keeps time. A file that has ended gives `CallError::Ended`.
    fn read(&mut self) -> CallResult<AudioFrame>;
    /// Whether this is a microphone in a room, whose sound goes through
    /// echo cancellation, noise suppression and gain. A tone or a file is
    /// sent as it is.
    fn in_room(&self) -> bool {
        false
    }
}

/// Takes 20 ms audio frames: a speaker, a file, a recorder.
pub trait AudioSink: Send {
    fn name(&self) -> &str;
    fn write(&mut self, frame: &AudioFrame) -> CallResult<()>;
    /// How long until a frame written now is heard (a speaker's queue; the
    /// echo canceller aligns its reference with it). Nothing by default.
    fn latency(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

/// Gives pictures, one per `read`, at `frame_rate`.
pub trait VideoSource: Send {
    fn name(&self) -> &str;
    /// Pictures a second.
    fn frame_rate(&self) -> u32;
    /// The next picture (as `AudioSource::read` for waiting and ending).
    fn read(&mut self) -> CallResult<VideoFrame>;
}

/// Takes pictures: a tile in the call window, a file, a recorder.
pub trait VideoSink: Send {
    fn name(&self) -> &str;
    fn write(&mut self, frame: &VideoFrame) -> CallResult<()>;
}
