//! Cameras through nokhwa (V4L2 on Linux, AVFoundation on macOS, Media
//! Foundation on Windows). A camera lives on a thread of its own (its handle
//! is not `Send` everywhere) and hands pictures over a channel, converted to
//! I420. `VideoInput` chooses between a camera, the test pattern and a Y4M
//! file, as `AudioInput` does for sound.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
};

use crate::files::Y4mSource;
use crate::synthetic::TestPattern;
use crate::{CallError, CallResult, VideoFrame, VideoSource};

/// How long a camera may give nothing before it counts as gone.
const SILENT_CAMERA: Duration = Duration::from_secs(3);

/// A camera as listed for the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraDevice {
    /// What to pass to [`Camera::open`].
    pub id: String,
    /// Its name, for people.
    pub name: String,
}

/// The cameras the system lists (none where there are none, or no backend).
/// Listed is not usable: only a camera that gives a picture proves it.
pub fn cameras() -> Vec<CameraDevice> {
    let Some(backend) = nokhwa::native_api_backend() else { return Vec::new() };
    match nokhwa::query(backend) {
        Ok(list) => list
            .into_iter()
            .map(|info| CameraDevice { id: info.index().to_string(), name: info.human_name() })
            .collect(),
        Err(e) => {
            tracing::debug!(error = %e, "no cameras listed");
            Vec::new()
        }
    }
}

/// An open camera, giving I420 pictures.
pub struct Camera {
    name: String,
    fps: u32,
    frames: Receiver<CallResult<VideoFrame>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Camera {
    /// Opens a camera by id (`CameraDevice::id`), or the first one, asking
    /// for the format nearest `width`×`height` at `fps`; gives an error
    /// unless it starts streaming.
    pub fn open(id: Option<&str>, width: u32, height: u32, fps: u32) -> CallResult<Camera> {
        let index = match id {
            None => CameraIndex::Index(0),
            Some(id) => id.parse().map(CameraIndex::Index).unwrap_or_else(|_| CameraIndex::String(id.to_owned())),
        };
        let name = id.unwrap_or("camera").to_owned();
        let (frames_tx, frames) = std::sync::mpsc::sync_channel(2);
        let (ready_tx, ready) = std::sync::mpsc::channel::<CallResult<(String, u32)>>();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let wanted = CameraFormat::new(Resolution::new(width, height), FrameFormat::MJPEG, fps);
        let thread = std::thread::Builder::new()
            .name("ling-camera".into())
            .spawn(move || run_camera(index, wanted, frames_tx, ready_tx, stopping))
            .map_err(|e| unavailable(&name, e))?;
        let (name, fps) = match ready.recv_timeout(SILENT_CAMERA) {
            Ok(Ok(opened)) => opened,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                return Err(unavailable(&name, "it did not start"));
            }
        };
        Ok(Camera { name, fps, frames, stop, thread: Some(thread) })
    }
}

fn unavailable(device: &str, reason: impl std::fmt::Display) -> CallError {
    CallError::DeviceUnavailable { device: device.to_owned(), reason: reason.to_string() }
}

fn run_camera(
    index: CameraIndex,
    wanted: CameraFormat,
    frames: SyncSender<CallResult<VideoFrame>>,
    ready: std::sync::mpsc::Sender<CallResult<(String, u32)>>,
    stop: Arc<AtomicBool>,
) {
    let label = index.to_string();
    let requested = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
    let mut camera = match nokhwa::Camera::with_backend(index, requested, ApiBackend::Auto)
        .and_then(|mut c| c.open_stream().map(|()| c))
    {
        Ok(camera) => camera,
        Err(e) => {
            let _ = ready.send(Err(unavailable(&label, e)));
            return;
        }
    };
    let name = camera.info().human_name();
    let _ = ready.send(Ok((name.clone(), camera.frame_rate().max(1))));
    while !stop.load(Ordering::Relaxed) {
        let picture = camera
            .frame()
            .and_then(|buffer| buffer.decode_image::<RgbFormat>())
            .map_err(|e| unavailable(&name, e))
            .and_then(|rgb| rgb_to_i420(rgb.width() as usize, rgb.height() as usize, rgb.as_raw()));
        let failed = picture.is_err();
        if frames.send(picture).is_err() || failed {
            break;
        }
    }
    let _ = camera.stop_stream();
}

impl VideoSource for Camera {
    fn name(&self) -> &str {
        &self.name
    }

    fn frame_rate(&self) -> u32 {
        self.fps
    }

    fn read(&mut self) -> CallResult<VideoFrame> {
        match self.frames.recv_timeout(SILENT_CAMERA) {
            Ok(frame) => frame,
            Err(RecvTimeoutError::Timeout) => Err(unavailable(&self.name, "it stopped giving pictures")),
            Err(RecvTimeoutError::Disconnected) => Err(unavailable(&self.name, "it went away")),
        }
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Unblock a thread waiting to hand over a picture.
        while self.frames.try_recv().is_ok() {}
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Packed RGB (8 bits each) to I420 (BT.601, studio range), cropped to even
/// dimensions.
pub fn rgb_to_i420(width: usize, height: usize, rgb: &[u8]) -> CallResult<VideoFrame> {
    if rgb.len() < width * height * 3 {
        return Err(CallError::Unsupported(format!("{} bytes for a {width}×{height} RGB picture", rgb.len())));
    }
    let (w, h) = (width & !1, height & !1);
    let mut frame = VideoFrame::black(w, h)?;
    let px = |x: usize, y: usize| {
        let i = (y * width + x) * 3;
        (i32::from(rgb[i]), i32::from(rgb[i + 1]), i32::from(rgb[i + 2]))
    };
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            frame.y[y * w + x] = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16).clamp(0, 255) as u8;
        }
    }
    let cw = w / 2;
    for y in 0..h / 2 {
        for x in 0..cw {
            let (mut r, mut g, mut b) = (0, 0, 0);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (pr, pg, pb) = px(2 * x + dx, 2 * y + dy);
                r += pr;
                g += pg;
                b += pb;
            }
            let (r, g, b) = (r / 4, g / 4, b / 4);
            frame.u[y * cw + x] = (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
            frame.v[y * cw + x] = (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
        }
    }
    frame.capture_us = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0);
    Ok(frame)
}

/// Where a call's pictures come from.
#[derive(Debug, Clone, PartialEq)]
pub enum VideoInput {
    /// A camera by id, or the first one.
    Camera(Option<String>),
    /// The moving test pattern (machines without cameras, tests).
    TestPattern,
    /// A Y4M file (8-bit 4:2:0).
    File(PathBuf),
}

impl VideoInput {
    /// What `LING_MEDIA` says, over the person's choice: `synthetic` gives
    /// the test pattern; `video:PATH` a Y4M file.
    pub fn from_env_or(chosen: VideoInput) -> VideoInput {
        Self::from_setting(std::env::var("LING_MEDIA").ok().as_deref()).unwrap_or(chosen)
    }

    fn from_setting(value: Option<&str>) -> Option<VideoInput> {
        let value = value?.trim();
        if value == "synthetic" || value.starts_with("tone:") {
            return Some(VideoInput::TestPattern);
        }
        value.strip_prefix("video:").map(|p| VideoInput::File(PathBuf::from(p)))
    }

    /// Opens it (640×480 at 30 pictures a second, or the nearest a camera has).
    pub fn open(&self) -> CallResult<Box<dyn VideoSource>> {
        Ok(match self {
            VideoInput::Camera(id) => Box::new(Camera::open(id.as_deref(), 640, 480, 30)?),
            VideoInput::TestPattern => Box::new(TestPattern::new(640, 480, 30)?),
            VideoInput::File(path) => Box::new(Y4mSource::open(path)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_colours_convert_to_their_yuv() {
        // Red, green, blue and white 2×2 blocks side by side.
        let colours = [(255u8, 0u8, 0u8), (0, 255, 0), (0, 0, 255), (255, 255, 255)];
        let (w, h) = (8, 2);
        let mut rgb = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let (r, g, b) = colours[x / 2];
                rgb[(y * w + x) * 3..][..3].copy_from_slice(&[r, g, b]);
            }
        }
        let f = rgb_to_i420(w + 1, h, &{
            // An odd width is cropped: add a column.
            let mut wide = Vec::new();
            for row in rgb.chunks(w * 3) {
                wide.extend_from_slice(row);
                wide.extend_from_slice(&[9, 9, 9]);
            }
            wide
        })
        .unwrap();
        assert_eq!((f.width, f.height), (8, 2));
        let luma: Vec<u8> = (0..4).map(|i| f.y[i * 2]).collect();
        assert_eq!(luma, [82, 144, 41, 235]);
        assert_eq!(f.u, [90, 54, 240, 128]);
        assert_eq!(f.v, [240, 34, 110, 128]);
        assert_eq!(rgb_to_i420(4, 4, &[0; 10]).err().unwrap().code(), "unsupported_media");
    }

    #[test]
    fn a_missing_camera_says_so_and_listing_never_fails() {
        for cam in cameras() {
            assert!(!cam.id.is_empty(), "{cam:?}");
        }
        let err = Camera::open(Some("/dev/no-such-camera"), 640, 480, 30).err().expect("no such camera");
        assert_eq!(err.code(), "device_unavailable", "{err}");
        // The first camera: where there is one it gives pictures, elsewhere a clear error.
        match Camera::open(None, 640, 480, 30) {
            Ok(mut cam) => match cam.read() {
                Ok(frame) => assert!(frame.width > 0),
                Err(e) => assert_eq!(e.code(), "device_unavailable"),
            },
            Err(e) => assert_eq!(e.code(), "device_unavailable", "{e}"),
        }
    }

    #[test]
    fn the_environment_chooses_the_test_pattern() {
        assert_eq!(VideoInput::from_setting(Some("synthetic")), Some(VideoInput::TestPattern));
        assert_eq!(VideoInput::from_setting(Some("video:/tmp/a.y4m")), Some(VideoInput::File("/tmp/a.y4m".into())));
        assert_eq!(VideoInput::from_setting(Some("devices")), None);
        let mut pattern = VideoInput::TestPattern.open().unwrap();
        assert_eq!(pattern.read().unwrap().width, 640);
        assert_eq!(VideoInput::File("/nonexistent.y4m".into()).open().err().unwrap().code(), "media_file");
    }
}
