//! The media threads of a call. Codec work never runs on the async tasks
//! that carry packets (a track's receive queue drops when it is not drained):
//!
//! - audio capture: 20 ms frames from the source → Opus → every peer;
//! - video capture: pictures from the source (while there is one) → the self
//!   view and H.264 → every peer, at the bitrate the slowest peer's estimate
//!   allows, with a keyframe whenever a peer asks for one;
//! - playout: every 20 ms, one turn of each peer's jitter buffer, decoded (or
//!   concealed), mixed, to the sink;
//! - one video decoder per peer: reordered packets → whole pictures →
//!   H.264 → the peer's tile.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use tokio::sync::{broadcast, mpsc};

use super::feedback::read_estimate;
use super::jitter::{JitterBuffer, Turn};
use super::peer::{Counters, MAX_BPS, START_BPS};
use super::reorder::{FrameAssembler, VideoPacket};
use super::{EngineEvent, MediaKind, PeerId};
use crate::codec::{H264Decoder, H264Encoder, OpusDecoder, OpusEncoder};
use crate::lock;
use crate::processing::{AudioProcessor, Processing};
use crate::{AudioFrame, AudioSink, AudioSource, CallError, FRAME_MS, FRAME_SAMPLES, VideoSink, VideoSource};

const FRAME: Duration = Duration::from_millis(FRAME_MS as u64);
/// The share of a peer's estimate left for video (the rest is audio and
/// headroom).
const VIDEO_SHARE: f64 = 0.85;
/// The encoder's bitrate changes at most this often (each change restarts
/// it with a keyframe).
const BITRATE_STEP_EVERY: Duration = Duration::from_secs(2);

/// One encoded frame on its way to every peer.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub(crate) kind: RtpCodecKind,
    pub(crate) data: Bytes,
    pub(crate) duration: Duration,
    pub(crate) captured: Instant,
}

/// A peer's audio, waiting for its turn.
#[derive(Debug, Default)]
pub(crate) struct RemoteAudio {
    buffer: Mutex<JitterBuffer>,
}

impl RemoteAudio {
    pub(crate) fn push(&self, seq: u16, payload: Bytes) {
        lock(&self.buffer).push(seq, payload);
    }

    /// Turns played and turns missing so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let jb = lock(&self.buffer);
        (jb.played, jb.missing)
    }
}

/// Microseconds since the UNIX epoch on this machine.
pub(crate) fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Makes the sink for a peer's video tile.
pub type VideoSinkFactory = Arc<dyn Fn(PeerId) -> Box<dyn VideoSink> + Send + Sync>;

/// What a call plays and captures.
pub struct Media {
    /// The microphone (or a tone, a file).
    pub audio_in: Box<dyn AudioSource>,
    /// The speaker (or a recorder).
    pub audio_out: Box<dyn AudioSink>,
    /// The camera (or a test pattern, a file), when video starts on.
    pub video_in: Option<Box<dyn VideoSource>>,
    /// Where one's own picture is shown.
    pub self_view: Option<Box<dyn VideoSink>>,
    /// Where each peer's pictures go.
    pub remote_video: VideoSinkFactory,
}

pub(crate) struct Pipeline {
    encoded: broadcast::Sender<Encoded>,
    keyframe: Arc<AtomicBool>,
    muted: AtomicBool,
    video_source: Mutex<Option<Box<dyn VideoSource>>>,
    remote_audio: Mutex<BTreeMap<PeerId, Arc<RemoteAudio>>>,
    estimates: Mutex<BTreeMap<PeerId, Arc<AtomicU64>>>,
    remote_video: VideoSinkFactory,
    events: mpsc::UnboundedSender<EngineEvent>,
    stop: Arc<AtomicBool>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    audio_bitrate: u32,
    /// Echo cancellation (the mix is its reference), noise, gain.
    pub(crate) processor: AudioProcessor,
}

impl Pipeline {
    pub(crate) fn start(
        media: Media,
        audio_bitrate: u32,
        processing: Processing,
        events: mpsc::UnboundedSender<EngineEvent>,
    ) -> crate::CallResult<Arc<Pipeline>> {
        let (encoded, _) = broadcast::channel(256);
        let pipeline = Arc::new(Pipeline {
            encoded,
            keyframe: Arc::new(AtomicBool::new(true)),
            muted: AtomicBool::new(false),
            video_source: Mutex::new(media.video_in),
            remote_audio: Mutex::default(),
            estimates: Mutex::default(),
            remote_video: media.remote_video,
            events,
            stop: Arc::new(AtomicBool::new(false)),
            threads: Mutex::default(),
            audio_bitrate,
            processor: AudioProcessor::new(processing),
        });
        let encoder = OpusEncoder::new(audio_bitrate)?;
        let threads = vec![
            spawn("ling-audio-capture", {
                let p = pipeline.clone();
                move || p.capture_audio(media.audio_in, encoder)
            })?,
            spawn("ling-video-capture", {
                let p = pipeline.clone();
                move || p.capture_video(media.self_view)
            })?,
            spawn("ling-playout", {
                let p = pipeline.clone();
                move || p.play_out(media.audio_out)
            })?,
        ];
        lock(&pipeline.threads).extend(threads);
        Ok(pipeline)
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Encoded> {
        self.encoded.subscribe()
    }

    pub(crate) fn keyframe_flag(&self) -> Arc<AtomicBool> {
        self.keyframe.clone()
    }

    pub(crate) fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    pub(crate) fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    pub(crate) fn set_video_source(&self, source: Option<Box<dyn VideoSource>>) {
        *lock(&self.video_source) = source;
        self.keyframe.store(true, Ordering::Relaxed);
    }

    pub(crate) fn video_on(&self) -> bool {
        lock(&self.video_source).is_some()
    }

    /// Registers a peer: its audio joins the mix, its estimate the bitrate.
    pub(crate) fn add_peer(&self, peer: PeerId, estimate: Arc<AtomicU64>) -> Arc<RemoteAudio> {
        lock(&self.estimates).insert(peer, estimate);
        lock(&self.remote_audio).entry(peer).or_default().clone()
    }

    pub(crate) fn remove_peer(&self, peer: PeerId) {
        lock(&self.estimates).remove(&peer);
        lock(&self.remote_audio).remove(&peer);
    }

    fn device_failed(&self, kind: MediaKind, error: &CallError) {
        tracing::warn!(?kind, %error, "a call device stopped; the call goes on without it");
        let _ = self.events.send(EngineEvent::DeviceFailed {
            kind,
            code: error.code().to_owned(),
            message: error.to_string(),
        });
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn capture_audio(&self, mut source: Box<dyn AudioSource>, mut encoder: OpusEncoder) {
        let in_room = source.in_room();
        let mut failed = false;
        let mut deadline = Instant::now();
        while !self.stopped() {
            // Wait until the frame is due, then take it: what is captured
            // goes out at once (a device's read waits for it anyway).
            deadline = pace(deadline, FRAME);
            let frame = if failed {
                AudioFrame::silence(now_us())
            } else {
                match source.read() {
                    Ok(frame) => frame,
                    Err(CallError::Ended) => {
                        failed = true;
                        AudioFrame::silence(now_us())
                    }
                    Err(e) => {
                        self.device_failed(MediaKind::Audio, &e);
                        failed = true;
                        AudioFrame::silence(now_us())
                    }
                }
            };
            // Processed even when muted: the canceller keeps up with the room.
            let mut frame = frame;
            if in_room {
                self.processor.capture(&mut frame);
            }
            let frame = if self.muted() { AudioFrame::silence(frame.capture_us) } else { frame };
            if self.encoded.receiver_count() == 0 {
                continue;
            }
            match encoder.encode(&frame) {
                Ok(data) => {
                    let item = Encoded {
                        kind: RtpCodecKind::Audio,
                        data: Bytes::from(data),
                        duration: FRAME,
                        captured: Instant::now(),
                    };
                    let _ = self.encoded.send(item);
                }
                Err(e) => tracing::warn!(error = %e, "an audio frame could not be encoded"),
            }
        }
    }

    fn capture_video(&self, mut self_view: Option<Box<dyn VideoSink>>) {
        let mut encoder: Option<H264Encoder> = None;
        let mut deadline = Instant::now();
        let mut last_step = Instant::now();
        while !self.stopped() {
            let mut source = lock(&self.video_source);
            let Some(camera) = source.as_mut() else {
                drop(source);
                encoder = None;
                std::thread::sleep(Duration::from_millis(30));
                deadline = Instant::now();
                continue;
            };
            let fps = camera.frame_rate().clamp(1, 60);
            let interval = Duration::from_secs(1) / fps;
            deadline = pace(deadline, interval);
            let frame = match camera.read() {
                Ok(frame) => frame,
                Err(e) => {
                    if !matches!(e, CallError::Ended) {
                        self.device_failed(MediaKind::Video, &e);
                    }
                    *source = None;
                    continue;
                }
            };
            drop(source);
            if let Some(view) = self_view.as_mut()
                && let Err(e) = view.write(&frame)
            {
                tracing::debug!(error = %e, "the self view refused a picture");
            }
            if self.encoded.receiver_count() == 0 {
                continue;
            }
            let target = self.video_bitrate();
            let enc = match encoder.as_mut() {
                Some(enc) => enc,
                None => match H264Encoder::new(fps, target) {
                    Ok(enc) => encoder.insert(enc),
                    Err(e) => {
                        self.device_failed(MediaKind::Video, &e);
                        *lock(&self.video_source) = None;
                        continue;
                    }
                },
            };
            let current = f64::from(enc.bitrate());
            if last_step.elapsed() >= BITRATE_STEP_EVERY && (f64::from(target) - current).abs() > current * 0.2 {
                enc.set_bitrate(target);
                last_step = Instant::now();
            }
            if self.keyframe.swap(false, Ordering::Relaxed) {
                enc.request_keyframe();
            }
            match enc.encode(&frame) {
                Ok(data) if !data.is_empty() => {
                    let item = Encoded {
                        kind: RtpCodecKind::Video,
                        data: Bytes::from(data),
                        duration: interval,
                        captured: Instant::now(),
                    };
                    let _ = self.encoded.send(item);
                }
                Ok(_) => {} // skipped to hold the bitrate
                Err(e) => tracing::warn!(error = %e, "a picture could not be encoded"),
            }
        }
    }

    /// What the slowest peer's estimate leaves for video.
    fn video_bitrate(&self) -> u32 {
        let slowest = lock(&self.estimates).values().map(|e| read_estimate(e)).fold(MAX_BPS, f64::min);
        let slowest = if slowest.is_finite() { slowest } else { START_BPS };
        ((slowest - f64::from(self.audio_bitrate)).max(0.0) * VIDEO_SHARE).max(80_000.0) as u32
    }

    fn play_out(&self, mut sink: Box<dyn AudioSink>) {
        let mut decoders: BTreeMap<PeerId, OpusDecoder> = BTreeMap::new();
        let mut sink_failed = false;
        let mut deadline = Instant::now();
        while !self.stopped() {
            deadline = pace(deadline, FRAME);
            let remotes: Vec<(PeerId, Arc<RemoteAudio>)> =
                lock(&self.remote_audio).iter().map(|(p, a)| (*p, a.clone())).collect();
            decoders.retain(|p, _| remotes.iter().any(|(q, _)| q == p));
            let mut mix = vec![0i32; FRAME_SAMPLES];
            let now = now_us();
            for (peer, audio) in remotes {
                let turn = lock(&audio.buffer).next_turn();
                let decoder = match decoders.entry(peer) {
                    std::collections::btree_map::Entry::Occupied(d) => d.into_mut(),
                    std::collections::btree_map::Entry::Vacant(v) => match OpusDecoder::new() {
                        Ok(d) => v.insert(d),
                        Err(e) => {
                            tracing::warn!(error = %e, "no Opus decoder");
                            continue;
                        }
                    },
                };
                let frame = match turn {
                    Turn::Packet(packet) => decoder.decode(&packet, now),
                    Turn::Missing { next } => decoder.recover(next.as_deref(), now),
                    Turn::Silent => continue,
                };
                match frame {
                    Ok(frame) => {
                        for (m, s) in mix.iter_mut().zip(&frame.samples) {
                            *m += i32::from(*s);
                        }
                    }
                    Err(e) => tracing::debug!(peer, error = %e, "an audio packet could not be decoded"),
                }
            }
            if sink_failed {
                continue;
            }
            let samples = mix.into_iter().map(|s| s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16).collect();
            let mixed = AudioFrame { samples, capture_us: now };
            // What the speaker will play is what the echo canceller must
            // take out of the microphone.
            self.processor.render(&mixed, sink.latency());
            if let Err(e) = sink.write(&mixed) {
                self.device_failed(MediaKind::Audio, &e);
                sink_failed = true;
            }
        }
    }

    /// Starts the decoder of a peer's video; gives where its packets go and
    /// where its keyframe requests come out.
    pub(crate) fn receive_video(
        self: &Arc<Self>,
        peer: PeerId,
        counters: Arc<Counters>,
    ) -> (Sender<VideoPacket>, mpsc::UnboundedReceiver<()>) {
        let (packets_tx, packets) = std::sync::mpsc::channel();
        let (wanted_tx, wanted) = mpsc::unbounded_channel();
        let sink = (self.remote_video)(peer);
        let stop = self.stop.clone();
        let spawned = spawn("ling-video-decode", move || decode_video(peer, packets, sink, wanted_tx, counters, stop));
        match spawned {
            Ok(thread) => lock(&self.threads).push(thread),
            Err(e) => tracing::warn!(error = %e, "no video decoder thread"),
        }
        (packets_tx, wanted)
    }

    pub(crate) fn signal_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Stops the threads and waits for them.
    pub(crate) fn stop(&self) {
        self.signal_stop();
        let threads = std::mem::take(&mut *lock(&self.threads));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn decode_video(
    peer: PeerId,
    packets: Receiver<VideoPacket>,
    mut sink: Box<dyn VideoSink>,
    keyframe_wanted: mpsc::UnboundedSender<()>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut assembler = FrameAssembler::default();
    let mut decoder = match H264Decoder::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "no H.264 decoder");
            return;
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let out = match packets.recv_timeout(Duration::from_millis(50)) {
            Ok(packet) => assembler.push(packet, Instant::now()),
            Err(RecvTimeoutError::Timeout) => assembler.poll(Instant::now()),
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut want_keyframe = out.need_keyframe;
        for unit in out.units {
            // The capture time on the sender's media clock (90 kHz).
            let capture_us = u64::from(unit.timestamp) * 100 / 9;
            match decoder.decode(&unit.data, capture_us) {
                Ok(Some(frame)) => {
                    if counters.video_frames.fetch_add(1, Ordering::Relaxed) == 0 {
                        tracing::info!(peer, width = frame.width, height = frame.height, "a peer's first picture");
                    }
                    counters.last_video_us.store(now_us(), Ordering::Relaxed);
                    if let Err(e) = sink.write(&frame) {
                        tracing::debug!(error = %e, "a video tile refused a picture");
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "a picture could not be decoded");
                    want_keyframe = true;
                }
            }
        }
        counters.video_lost.store(assembler.lost_pictures, Ordering::Relaxed);
        if want_keyframe {
            let _ = keyframe_wanted.send(());
        }
    }
}

/// Sleeps until `deadline + interval` and gives that as the next deadline; a
/// source that blocks (a device) keeps its own time, and one far behind
/// starts afresh rather than racing to catch up.
fn pace(deadline: Instant, interval: Duration) -> Instant {
    let next = deadline + interval;
    let now = Instant::now();
    if next > now {
        std::thread::sleep(next - now);
        next
    } else if now - next > interval * 5 {
        now
    } else {
        next
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> crate::CallResult<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .map_err(|e| CallError::Connection(format!("cannot start the {name} thread: {e}")))
}
