//! The devices calls use on this machine: the microphone, speaker and
//! camera chosen in the settings (kept with the account's preferences,
//! `ling_client::prefs`), and the store of the latest picture of each call
//! tile, which `calls.rs` serves to the UI.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use ling_call::engine::VideoSinkFactory;
use ling_call::{CallError, CallResult, Media, VideoFrame, VideoSink, VideoSource};
use ling_client::calls::{CallDevices, SystemDevices};
use serde::Serialize;

pub use ling_client::prefs::DeviceChoice;

/// One device in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DeviceView {
    pub id: String,
    pub name: String,
    pub is_default: bool,
}

/// What the settings offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CallDeviceList {
    pub microphones: Vec<DeviceView>,
    pub speakers: Vec<DeviceView>,
    pub cameras: Vec<DeviceView>,
    pub chosen: DeviceChoice,
}

/// The latest picture of each tile.
#[derive(Default)]
pub struct FrameStore {
    tiles: Mutex<HashMap<i64, (u64, Arc<VideoFrame>)>>,
}

impl FrameStore {
    fn put(&self, peer: i64, frame: &VideoFrame) {
        let mut tiles = self.tiles.lock().unwrap_or_else(|p| p.into_inner());
        let seq = tiles.get(&peer).map(|(s, _)| s + 1).unwrap_or(1);
        tiles.insert(peer, (seq, Arc::new(frame.clone())));
    }

    /// The tile's picture if newer than `after`.
    pub(crate) fn newer(&self, peer: i64, after: u64) -> Option<(u64, Arc<VideoFrame>)> {
        let tiles = self.tiles.lock().unwrap_or_else(|p| p.into_inner());
        tiles.get(&peer).filter(|(seq, _)| *seq > after).cloned()
    }

    fn clear(&self) {
        self.tiles.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub(crate) fn sinks(self: &Arc<Self>) -> VideoSinkFactory {
        let store = self.clone();
        Arc::new(move |peer| Box::new(Tile { peer, store: store.clone() }) as Box<dyn VideoSink>)
    }
}

struct Tile {
    peer: i64,
    store: Arc<FrameStore>,
}

impl VideoSink for Tile {
    fn name(&self) -> &str {
        "tile"
    }

    fn write(&mut self, frame: &VideoFrame) -> CallResult<()> {
        self.store.put(self.peer, frame);
        Ok(())
    }
}

/// The system's devices as chosen in the settings (read at each call).
pub struct DesktopDevices {
    choice: RwLock<DeviceChoice>,
    pub frames: Arc<FrameStore>,
}

impl DesktopDevices {
    /// Devices as the account's preferences chose them.
    pub fn new(choice: DeviceChoice) -> Arc<DesktopDevices> {
        Arc::new(DesktopDevices { choice: RwLock::new(choice), frames: Arc::default() })
    }

    fn system(&self) -> SystemDevices {
        let choice = self.choice.read().unwrap_or_else(|p| p.into_inner()).clone();
        SystemDevices {
            microphone: choice.microphone,
            speaker: choice.speaker,
            camera: choice.camera,
            remote_video: self.frames.sinks(),
        }
    }

    /// The devices chosen now.
    pub fn choice(&self) -> DeviceChoice {
        self.choice.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Uses `choice` for the next calls (the caller keeps it in the
    /// account's preferences).
    pub fn choose(&self, choice: DeviceChoice) {
        *self.choice.write().unwrap_or_else(|p| p.into_inner()) = choice;
    }
}

impl CallDevices for DesktopDevices {
    fn open(&self, video: bool, remote_video: VideoSinkFactory) -> (Media, Vec<CallError>) {
        self.frames.clear();
        self.system().open(video, remote_video)
    }

    fn camera(&self) -> Result<Box<dyn VideoSource>, CallError> {
        self.system().camera()
    }

    fn remote_video(&self) -> VideoSinkFactory {
        self.frames.sinks()
    }
}
