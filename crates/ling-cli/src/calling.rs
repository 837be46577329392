//! The CLI in a call: synthetic or default devices, sound received measured
//! instead of played, and the call followed as JSON lines.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};
use ling_call::camera::VideoInput;
use ling_call::devices::AudioInput;
use ling_call::engine::VideoSinkFactory;
use ling_call::record::{AudioRecorder, VideoRecorders};
use ling_call::synthetic::{Silence, dominant_frequency};
use ling_call::{CallError, Media, VideoSource};
use ling_client::Event;
use ling_client::calls::{CallDevices, CallPhase, CallView, Calls};
use tokio::sync::broadcast;

/// The devices of a CLI call.
pub struct Headless {
    heard: AudioRecorder,
    seen: VideoRecorders,
}

impl Headless {
    pub fn new() -> Headless {
        Headless { heard: AudioRecorder::new(2), seen: VideoRecorders::new() }
    }

    /// What is heard and seen now, as a JSON line.
    fn report(&self) -> serde_json::Value {
        let hz = dominant_frequency(&self.heard.last(9600)).map(|f| f.round());
        let pictures: BTreeMap<String, usize> =
            self.seen.counts().into_iter().map(|(p, n)| (p.to_string(), n)).collect();
        serde_json::json!({ "type": "media", "heard_hz": hz, "pictures": pictures })
    }
}

impl CallDevices for Headless {
    fn open(&self, video: bool, remote_video: VideoSinkFactory) -> (Media, Vec<CallError>) {
        let mut problems = Vec::new();
        let audio_in = AudioInput::from_env_or(AudioInput::Microphone(None)).open().unwrap_or_else(|e| {
            problems.push(e);
            Box::new(Silence)
        });
        let video_in = if video { self.camera().map_err(|e| problems.push(e)).ok() } else { None };
        let media =
            Media { audio_in, audio_out: Box::new(self.heard.clone()), video_in, self_view: None, remote_video };
        (media, problems)
    }

    fn camera(&self) -> Result<Box<dyn VideoSource>, CallError> {
        VideoInput::from_env_or(VideoInput::Camera(None)).open()
    }

    fn remote_video(&self) -> VideoSinkFactory {
        self.seen.factory()
    }
}

/// Waits for a call to ring here.
pub async fn wait_ring(events: &mut broadcast::Receiver<Event>, timeout: Duration) -> Result<CallView> {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(Event::CallChanged { call }) if call.phase == CallPhase::Incoming => return Ok(call),
                Err(broadcast::error::RecvError::Closed) => return Err(anyhow!("the client stopped")),
                _ => {}
            }
        }
    };
    tokio::time::timeout(timeout, wait).await.map_err(|_| anyhow!("no call within {} s", timeout.as_secs()))?
}

/// Prints the call's changes and, once a second, what is heard and seen;
/// hangs up `stay_secs` after the answer; ends when the call does. Fails if
/// nobody answers within `answer_within`.
pub async fn follow(
    calls: &Arc<Calls>,
    events: &mut broadcast::Receiver<Event>,
    media: &Headless,
    call_id: &str,
    stay_secs: u64,
    answer_within: Duration,
) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let started = tokio::time::Instant::now();
    let mut answered: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(Event::CallChanged { call }) if call.call_id == call_id => {
                    println!("{}", serde_json::to_string(&call)?);
                    if call.answered_at.is_some() && answered.is_none() {
                        answered = Some(tokio::time::Instant::now());
                    }
                    if call.phase == CallPhase::Ended {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return Err(anyhow!("the client stopped")),
                _ => {}
            },
            _ = tick.tick() => {
                println!("{}", media.report());
                match answered {
                    Some(at) if at.elapsed() >= Duration::from_secs(stay_secs) => {
                        calls.hang_up().await?;
                    }
                    None if started.elapsed() > answer_within => {
                        calls.hang_up().await?;
                        return Err(anyhow!("nobody answered"));
                    }
                    _ => {}
                }
            }
        }
    }
}
