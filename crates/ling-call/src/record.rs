//! Sinks that keep what they are given, for tests, benchmarks and anything
//! that looks at a call's output rather than playing it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::engine::{PeerId, VideoSinkFactory};

use crate::lock;
use crate::synthetic::frame_index;
use crate::{AudioFrame, AudioSink, CallResult, VideoFrame, VideoSink};

/// Keeps the audio it plays (the most recent `capacity` samples).
#[derive(Clone)]
pub struct AudioRecorder {
    samples: Arc<Mutex<Vec<i16>>>,
    capacity: usize,
}

impl AudioRecorder {
    /// Keeps up to `seconds` of audio.
    pub fn new(seconds: u32) -> AudioRecorder {
        AudioRecorder { samples: Arc::default(), capacity: (crate::SAMPLE_RATE * seconds) as usize }
    }

    /// The samples kept so far.
    pub fn samples(&self) -> Vec<i16> {
        lock(&self.samples).clone()
    }

    /// The last `n` samples (fewer if not as many were played).
    pub fn last(&self, n: usize) -> Vec<i16> {
        let samples = lock(&self.samples);
        samples[samples.len().saturating_sub(n)..].to_vec()
    }
}

impl AudioSink for AudioRecorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn write(&mut self, frame: &AudioFrame) -> CallResult<()> {
        let mut samples = lock(&self.samples);
        samples.extend_from_slice(&frame.samples);
        let excess = samples.len().saturating_sub(self.capacity);
        samples.drain(..excess);
        Ok(())
    }
}

/// What a [`VideoRecorder`] saw of one picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenFrame {
    pub width: usize,
    pub height: usize,
    /// The test pattern's frame index, when it could be read.
    pub index: Option<u32>,
    pub capture_us: u64,
}

/// Notes every picture it is given (size, test-pattern index) and keeps the
/// latest whole.
#[derive(Clone, Default)]
pub struct VideoRecorder {
    seen: Arc<Mutex<Vec<SeenFrame>>>,
    latest: Arc<Mutex<Option<VideoFrame>>>,
}

impl VideoRecorder {
    pub fn new() -> VideoRecorder {
        VideoRecorder::default()
    }

    pub fn seen(&self) -> Vec<SeenFrame> {
        lock(&self.seen).clone()
    }

    pub fn latest(&self) -> Option<VideoFrame> {
        lock(&self.latest).clone()
    }
}

impl VideoSink for VideoRecorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn write(&mut self, frame: &VideoFrame) -> CallResult<()> {
        let seen = SeenFrame {
            width: frame.width,
            height: frame.height,
            index: frame_index(frame),
            capture_us: frame.capture_us,
        };
        lock(&self.seen).push(seen);
        *lock(&self.latest) = Some(frame.clone());
        Ok(())
    }
}

/// A `VideoRecorder` per peer, made as the engine asks for each peer's tile.
#[derive(Clone, Default)]
pub struct VideoRecorders {
    tiles: Arc<Mutex<BTreeMap<PeerId, VideoRecorder>>>,
}

impl VideoRecorders {
    pub fn new() -> VideoRecorders {
        VideoRecorders::default()
    }

    /// The factory to give the engine (`Media::remote_video`).
    pub fn factory(&self) -> VideoSinkFactory {
        let tiles = self.tiles.clone();
        Arc::new(move |peer| {
            let recorder = VideoRecorder::new();
            lock(&tiles).insert(peer, recorder.clone());
            Box::new(recorder) as Box<dyn VideoSink>
        })
    }

    /// What `peer`'s tile was given (nothing yet: an empty recorder).
    pub fn of(&self, peer: PeerId) -> VideoRecorder {
        lock(&self.tiles).get(&peer).cloned().unwrap_or_default()
    }

    /// Pictures each tile was given so far.
    pub fn counts(&self) -> BTreeMap<PeerId, usize> {
        lock(&self.tiles).iter().map(|(p, r)| (*p, r.seen().len())).collect()
    }
}

/// Plays nothing: where there is no speaker.
pub struct Discard;

impl AudioSink for Discard {
    fn name(&self) -> &str {
        "no speaker"
    }

    fn write(&mut self, _frame: &AudioFrame) -> CallResult<()> {
        Ok(())
    }
}
