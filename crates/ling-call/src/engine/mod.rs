//! The call engine: WebRTC peer connections to everyone in a call (a mesh),
//! fed by one capture pipeline and played through one mixer.
//!
//! It knows nothing of Ling's signaling: it gives [`EngineEvent::Signal`]s
//! (SDP offers and answers, trickled ICE candidates) for the caller to carry
//! to the named peer, and takes theirs with [`CallEngine::signal`]. Who
//! offers is the caller's choice ([`CallEngine::connect`]).

mod feedback;
mod jitter;
mod peer;
mod pipeline;
mod reorder;
mod seq;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rtc::peer_connection::transport::RTCIceCandidateInit;
use tokio::sync::{Mutex, mpsc};

use crate::processing::Processing;
use crate::{CallError, CallResult, VideoSource};
use peer::Peer;
pub use pipeline::{Media, VideoSinkFactory};
use pipeline::{Pipeline, now_us};

/// Who a peer is (the caller's numbering: Ling uses user ids).
pub type PeerId = i64;

/// A STUN or TURN server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// From the server's `/v1/info`.
    pub ice_servers: Vec<IceServer>,
    /// The address the media sockets bind to (all interfaces; loopback in
    /// tests).
    pub bind_ip: IpAddr,
    /// Opus bitrate.
    pub audio_bitrate: u32,
    /// What the microphone's sound goes through (all on by default).
    pub processing: Processing,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            ice_servers: Vec::new(),
            bind_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            audio_bitrate: 32_000,
            processing: Processing::default(),
        }
    }
}

/// What passes between two engines through the signaling server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerSignal {
    Offer(String),
    Answer(String),
    Ice { candidate: String, sdp_mid: Option<String>, sdp_mline_index: Option<u16> },
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Audio,
    Video,
}

/// Where a peer connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    Connecting,
    Connected,
    /// Lost for now; ICE may bring it back.
    Disconnected,
    Failed,
    Closed,
}

/// What the engine tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// Carry this to `peer`.
    Signal { peer: PeerId, signal: PeerSignal },
    /// A peer connection changed state.
    PeerState { peer: PeerId, state: PeerState },
    /// A device stopped working; the call goes on without it.
    DeviceFailed { kind: MediaKind, code: String, message: String },
}

/// How a peer's connection is doing, for the quality indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quality {
    Poor,
    Fair,
    Good,
}

/// One peer's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerStats {
    pub peer: PeerId,
    /// Audio turns concealed, in per cent of all played so far.
    pub audio_loss_pct: f64,
    /// Pictures decoded and given up so far.
    pub video_frames: u64,
    pub video_lost: u64,
    /// A picture arrived in the last second.
    pub receiving_video: bool,
    /// What congestion control allows towards this peer (bits per second).
    pub send_estimate_bps: u64,
    pub quality: Quality,
}

/// A call in progress on this device.
pub struct CallEngine {
    config: EngineConfig,
    pipeline: Arc<Pipeline>,
    peers: Mutex<BTreeMap<PeerId, Arc<Peer>>>,
    events: mpsc::UnboundedSender<EngineEvent>,
}

impl CallEngine {
    /// Starts capturing and playing; peers come with [`connect`](Self::connect)
    /// and [`signal`](Self::signal). Call inside a Tokio runtime.
    pub fn start(config: EngineConfig, media: Media) -> CallResult<(CallEngine, mpsc::UnboundedReceiver<EngineEvent>)> {
        let (events, rx) = mpsc::unbounded_channel();
        let pipeline = Pipeline::start(media, config.audio_bitrate, config.processing, events.clone())?;
        Ok((CallEngine { config, pipeline, peers: Mutex::default(), events }, rx))
    }

    /// Opens a connection to `peer`. The offering side sends its offer at
    /// once (as an event); the other waits for it.
    pub async fn connect(&self, peer: PeerId, offer: bool) -> CallResult<()> {
        let connection = self.peer_or_new(peer).await?;
        if offer {
            connection.add_tracks(&self.pipeline).await?;
            let sdp = connection.offer().await?;
            self.emit_signal(peer, PeerSignal::Offer(sdp));
        }
        Ok(())
    }

    /// Takes a signal from `peer`.
    pub async fn signal(&self, peer: PeerId, signal: PeerSignal) -> CallResult<()> {
        match signal {
            PeerSignal::Offer(sdp) => {
                let connection = self.peer_or_new(peer).await?;
                connection.accept_offer(sdp).await?;
                connection.add_tracks(&self.pipeline).await?;
                let answer = connection.answer().await?;
                self.emit_signal(peer, PeerSignal::Answer(answer));
            }
            PeerSignal::Answer(sdp) => self.existing(peer).await?.accept_answer(sdp).await?,
            PeerSignal::Ice { candidate, sdp_mid, sdp_mline_index } => {
                let init = RTCIceCandidateInit { candidate, sdp_mid, sdp_mline_index, ..Default::default() };
                self.existing(peer).await?.add_ice(init).await?;
            }
        }
        Ok(())
    }

    /// Closes the connection to `peer` (they left).
    pub async fn disconnect(&self, peer: PeerId) {
        let removed = self.peers.lock().await.remove(&peer);
        if let Some(connection) = removed {
            self.pipeline.remove_peer(peer);
            connection.close().await;
        }
    }

    /// The peers connected or connecting.
    pub async fn peers(&self) -> Vec<PeerId> {
        self.peers.lock().await.keys().copied().collect()
    }

    /// Mute: silence goes out instead of the microphone.
    pub fn set_muted(&self, muted: bool) {
        self.pipeline.set_muted(muted);
    }

    pub fn muted(&self) -> bool {
        self.pipeline.muted()
    }

    /// Turns echo cancellation, noise suppression and gain on or off.
    pub fn set_processing(&self, processing: Processing) {
        self.pipeline.processor.set(processing);
    }

    pub fn processing(&self) -> Processing {
        self.pipeline.processor.settings()
    }

    /// Turns video on with a source (a camera, a test pattern) or off.
    pub fn set_video_source(&self, source: Option<Box<dyn VideoSource>>) {
        self.pipeline.set_video_source(source);
    }

    pub fn video_on(&self) -> bool {
        self.pipeline.video_on()
    }

    /// Each peer's figures.
    pub async fn stats(&self) -> Vec<PeerStats> {
        let peers = self.peers.lock().await;
        let now = now_us();
        peers
            .iter()
            .map(|(&peer, c)| {
                let (played, missing) = c.audio.counts();
                let audio_loss_pct =
                    if played + missing == 0 { 0.0 } else { missing as f64 * 100.0 / (played + missing) as f64 };
                let last_video = c.counters.last_video_us.load(Ordering::Relaxed);
                let send_estimate_bps = feedback::read_estimate(&c.estimate) as u64;
                let quality = if audio_loss_pct > 10.0 || send_estimate_bps < 150_000 {
                    Quality::Poor
                } else if audio_loss_pct > 3.0 || send_estimate_bps < 400_000 {
                    Quality::Fair
                } else {
                    Quality::Good
                };
                PeerStats {
                    peer,
                    audio_loss_pct,
                    video_frames: c.counters.video_frames.load(Ordering::Relaxed),
                    video_lost: c.counters.video_lost.load(Ordering::Relaxed),
                    receiving_video: last_video > 0 && now.saturating_sub(last_video) < 1_000_000,
                    send_estimate_bps,
                    quality,
                }
            })
            .collect()
    }

    /// Hangs up: every connection closes and the devices are let go.
    pub async fn close(&self) {
        let peers = std::mem::take(&mut *self.peers.lock().await);
        for (peer, connection) in peers {
            self.pipeline.remove_peer(peer);
            connection.close().await;
        }
        let pipeline = self.pipeline.clone();
        let _ = tokio::task::spawn_blocking(move || pipeline.stop()).await;
    }

    async fn peer_or_new(&self, peer: PeerId) -> CallResult<Arc<Peer>> {
        let mut peers = self.peers.lock().await;
        if let Some(connection) = peers.get(&peer) {
            return Ok(connection.clone());
        }
        let connection = Box::pin(Peer::new(
            peer,
            &self.config.ice_servers,
            self.config.bind_ip,
            self.events.clone(),
            self.pipeline.clone(),
        ))
        .await?;
        peers.insert(peer, connection.clone());
        Ok(connection)
    }

    async fn existing(&self, peer: PeerId) -> CallResult<Arc<Peer>> {
        self.peers.lock().await.get(&peer).cloned().ok_or(CallError::UnknownPeer(peer))
    }

    fn emit_signal(&self, peer: PeerId, signal: PeerSignal) {
        let _ = self.events.send(EngineEvent::Signal { peer, signal });
    }
}

impl Drop for CallEngine {
    fn drop(&mut self) {
        // Threads notice and end on their own; nobody waits for them here.
        self.pipeline.signal_stop();
    }
}
