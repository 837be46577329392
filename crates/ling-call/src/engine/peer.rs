//! One WebRTC peer connection to one other person in the call: Opus and
//! H.264 (constrained baseline, what browsers also decode), NACK and
//! receiver reports, transport-wide congestion control with GCC, keyframe
//! requests forwarded to the encoder, and trickle ICE.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtc::interceptor::{Gcc, Registry, Slot};
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::{
    CongestionFeedback, configure_congestion_control, register_default_interceptors,
};
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_H264, MIME_TYPE_OPUS, MediaEngine};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::{RTCIceCandidateInit, RTCIceServer};
use rtc::rtp_transceiver::PayloadType;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::{broadcast, mpsc};
use webrtc::media_stream::Track;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState,
};
use webrtc::rtp_transceiver::RtpSender;
use webrtc::runtime::TokioRuntime;

use super::feedback::{KeyframeRequests, PublishedEstimate, is_keyframe_request};
use super::pipeline::{Encoded, Pipeline, RemoteAudio};
use super::reorder::VideoPacket;
use super::{EngineEvent, IceServer, PeerId, PeerSignal, PeerState};
use crate::{CallError, CallResult, lock};

/// Opus as WebRTC names it: 48 kHz, "2 channels" (RFC 7587), in-band FEC.
const OPUS_PT: PayloadType = 111;
/// H.264 constrained baseline 3.1, packetization mode 1.
const H264_PT: PayloadType = 102;
pub(crate) const H264_FMTP: &str = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
/// Where the bandwidth estimate starts and stays within (bits per second).
pub(crate) const START_BPS: f64 = 600_000.0;
const MIN_BPS: f64 = 100_000.0;
pub(crate) const MAX_BPS: f64 = 4_000_000.0;
/// Keyframe requests for a peer's video at most this often.
const PLI_INTERVAL: Duration = Duration::from_millis(300);

fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

fn h264() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_H264.to_owned(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: H264_FMTP.to_owned(),
        rtcp_feedback: vec![],
    }
}

pub(crate) fn connection_error(e: impl std::fmt::Display) -> CallError {
    CallError::Connection(e.to_string())
}

/// The figures kept for one peer.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) video_frames: AtomicU64,
    pub(crate) video_lost: AtomicU64,
    pub(crate) last_video_us: AtomicU64,
}

/// One peer connection and what runs for it.
pub(crate) struct Peer {
    pub(crate) pc: Arc<dyn PeerConnection>,
    pub(crate) estimate: Arc<AtomicU64>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) audio: Arc<RemoteAudio>,
    /// Media flows only while connected: written before that (the DTLS
    /// handshake still running) it is refused packet by packet.
    connected: Arc<AtomicBool>,
    tracks_added: AtomicBool,
    remote_described: AtomicBool,
    pending_ice: Mutex<Vec<RTCIceCandidateInit>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

struct Handler {
    peer: PeerId,
    events: mpsc::UnboundedSender<EngineEvent>,
    pipeline: Arc<Pipeline>,
    counters: Arc<Counters>,
    audio: Arc<RemoteAudio>,
    connected: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => {
                let signal = PeerSignal::Ice {
                    candidate: init.candidate,
                    sdp_mid: init.sdp_mid,
                    sdp_mline_index: init.sdp_mline_index,
                };
                let _ = self.events.send(EngineEvent::Signal { peer: self.peer, signal });
            }
            Err(e) => tracing::warn!(peer = self.peer, error = %e, "an ICE candidate could not be written"),
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let state = match state {
            RTCPeerConnectionState::Connected => {
                // The new receiver starts from a keyframe.
                self.pipeline.keyframe_flag().store(true, Ordering::Relaxed);
                PeerState::Connected
            }
            RTCPeerConnectionState::Disconnected => PeerState::Disconnected,
            RTCPeerConnectionState::Failed => PeerState::Failed,
            RTCPeerConnectionState::Closed => PeerState::Closed,
            _ => PeerState::Connecting,
        };
        // Media flows from here on, after the keyframe was asked for.
        self.connected.store(state == PeerState::Connected, Ordering::Release);
        let _ = self.events.send(EngineEvent::PeerState { peer: self.peer, state });
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let kind = track.kind().await;
        let peer = self.peer;
        match kind {
            RtpCodecKind::Audio => {
                let audio = self.audio.clone();
                tokio::spawn(async move {
                    while let Some(event) = track.poll().await {
                        if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                            audio.push(packet.header.sequence_number, packet.payload);
                        }
                    }
                });
            }
            RtpCodecKind::Video => {
                let (packets, keyframe_wanted) = self.pipeline.receive_video(peer, self.counters.clone());
                tokio::spawn(request_keyframes(track.clone(), keyframe_wanted));
                tokio::spawn(async move {
                    while let Some(event) = track.poll().await {
                        if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                            let packet = VideoPacket {
                                seq: packet.header.sequence_number,
                                timestamp: packet.header.timestamp,
                                marker: packet.header.marker,
                                payload: packet.payload,
                            };
                            if packets.send(packet).is_err() {
                                break;
                            }
                        }
                    }
                });
            }
            _ => {}
        }
    }
}

/// Sends a PLI for the remote video whenever its decoder asks, at most
/// every `PLI_INTERVAL`.
async fn request_keyframes(track: Arc<dyn TrackRemote>, mut wanted: mpsc::UnboundedReceiver<()>) {
    use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
    let mut last: Option<Instant> = None;
    while wanted.recv().await.is_some() {
        if last.is_some_and(|t| t.elapsed() < PLI_INTERVAL) {
            continue;
        }
        last = Some(Instant::now());
        let media_ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
        let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc };
        if track.write_rtcp(vec![Box::new(pli)]).await.is_err() {
            break;
        }
    }
}

impl Peer {
    /// Makes the connection with an audio and a video track (video flows
    /// only while there is a picture to send).
    pub(crate) async fn new(
        peer: PeerId,
        ice_servers: &[IceServer],
        bind_ip: IpAddr,
        events: mpsc::UnboundedSender<EngineEvent>,
        pipeline: Arc<Pipeline>,
    ) -> CallResult<Arc<Peer>> {
        let mut media = MediaEngine::default();
        media
            .register_codec(RTCRtpCodecParameters { rtp_codec: opus(), payload_type: OPUS_PT }, RtpCodecKind::Audio)
            .map_err(connection_error)?;
        media
            .register_codec(RTCRtpCodecParameters { rtp_codec: h264(), payload_type: H264_PT }, RtpCodecKind::Video)
            .map_err(connection_error)?;
        let (estimator, estimate) = PublishedEstimate::new(Gcc::new(START_BPS, MIN_BPS, MAX_BPS));
        let registry = configure_congestion_control(Registry::new(), estimator, CongestionFeedback::Twcc, &mut media)
            .map_err(connection_error)?;
        let registry = register_default_interceptors(registry, &mut media).map_err(connection_error)?;
        let registry = registry.with(Slot::from(14_000), KeyframeRequests::default());

        let config = RTCConfigurationBuilder::new()
            .with_ice_servers(
                ice_servers
                    .iter()
                    .map(|s| RTCIceServer {
                        urls: s.urls.clone(),
                        username: s.username.clone().unwrap_or_default(),
                        credential: s.credential.clone().unwrap_or_default(),
                    })
                    .collect(),
            )
            .build();
        let counters = Arc::new(Counters::default());
        let audio = pipeline.add_peer(peer, estimate.clone());
        let connected = Arc::new(AtomicBool::new(false));
        let handler = Handler {
            peer,
            events: events.clone(),
            pipeline: pipeline.clone(),
            counters: counters.clone(),
            audio: audio.clone(),
            connected: connected.clone(),
        };
        let pc = Box::pin(
            PeerConnectionBuilder::new()
                .with_configuration(config)
                .with_media_engine(media)
                .with_interceptor_registry(registry)
                .with_handler(Arc::new(handler))
                .with_runtime(Arc::new(TokioRuntime))
                .with_udp_addrs(vec![format!("{bind_ip}:0")])
                .build(),
        )
        .await
        .map_err(connection_error)?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let peer = Arc::new(Peer {
            pc,
            estimate,
            counters,
            audio,
            connected,
            tracks_added: AtomicBool::new(false),
            remote_described: AtomicBool::new(false),
            pending_ice: Mutex::default(),
            tasks: Mutex::default(),
        });
        Ok(peer)
    }

    /// Adds the local tracks (after the remote offer, for the answering
    /// side, so they take its transceivers) and starts feeding them.
    pub(crate) async fn add_tracks(self: &Arc<Self>, pipeline: &Arc<Pipeline>) -> CallResult<()> {
        if self.tracks_added.swap(true, Ordering::AcqRel) {
            return Ok(()); // a renegotiation
        }
        let audio = local_track(RtpCodecKind::Audio, opus())?;
        let video = local_track(RtpCodecKind::Video, h264())?;
        let audio_sender = self.pc.add_track(audio.clone() as Arc<dyn TrackLocal>).await.map_err(connection_error)?;
        let video_sender = self.pc.add_track(video.clone() as Arc<dyn TrackLocal>).await.map_err(connection_error)?;
        let encoded = pipeline.subscribe();
        let keyframes = pipeline.keyframe_flag();
        let mut tasks = lock(&self.tasks);
        tasks.push(tokio::spawn(send_media(
            audio,
            audio_sender,
            video.clone(),
            video_sender,
            encoded,
            pipeline.clone(),
            self.connected.clone(),
        )));
        tasks.push(tokio::spawn(async move {
            while let Some(event) = video.poll().await {
                if let TrackLocalEvent::OnRtcpPacket(packets) = event
                    && packets.iter().any(|p| is_keyframe_request(p.as_ref()))
                {
                    keyframes.store(true, Ordering::Relaxed);
                }
            }
        }));
        Ok(())
    }

    pub(crate) async fn offer(&self) -> CallResult<String> {
        let offer = self.pc.create_offer(None).await.map_err(connection_error)?;
        let sdp = offer.sdp.clone();
        self.pc.set_local_description(offer).await.map_err(connection_error)?;
        Ok(sdp)
    }

    pub(crate) async fn accept_offer(&self, sdp: String) -> CallResult<()> {
        let offer = RTCSessionDescription::offer(sdp).map_err(connection_error)?;
        self.pc.set_remote_description(offer).await.map_err(connection_error)?;
        self.flush_ice().await
    }

    pub(crate) async fn answer(&self) -> CallResult<String> {
        let answer = self.pc.create_answer(None).await.map_err(connection_error)?;
        let sdp = answer.sdp.clone();
        self.pc.set_local_description(answer).await.map_err(connection_error)?;
        Ok(sdp)
    }

    pub(crate) async fn accept_answer(&self, sdp: String) -> CallResult<()> {
        let answer = RTCSessionDescription::answer(sdp).map_err(connection_error)?;
        self.pc.set_remote_description(answer).await.map_err(connection_error)?;
        self.flush_ice().await
    }

    /// A remote candidate; held until the remote description is set.
    pub(crate) async fn add_ice(&self, candidate: RTCIceCandidateInit) -> CallResult<()> {
        if candidate.candidate.is_empty() {
            return Ok(()); // end of candidates
        }
        if !self.remote_described.load(Ordering::Acquire) {
            lock(&self.pending_ice).push(candidate);
            return Ok(());
        }
        self.pc.add_ice_candidate(candidate).await.map_err(connection_error)
    }

    async fn flush_ice(&self) -> CallResult<()> {
        self.remote_described.store(true, Ordering::Release);
        let pending = std::mem::take(&mut *lock(&self.pending_ice));
        for candidate in pending {
            if let Err(e) = self.pc.add_ice_candidate(candidate).await {
                tracing::warn!(error = %e, "a remote ICE candidate was refused");
            }
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if let Err(e) = self.pc.close().await {
            tracing::debug!(error = %e, "closing a peer connection");
        }
    }
}

fn local_track(kind: RtpCodecKind, codec: RTCRtpCodec) -> CallResult<Arc<TrackLocalStaticSample>> {
    let ssrc = rand::random::<u32>();
    let track = MediaStreamTrack::new(
        "ling".to_owned(),
        format!("ling-{kind}"),
        format!("ling-{kind}"),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
            codec,
            ..Default::default()
        }],
    );
    Ok(Arc::new(TrackLocalStaticSample::new(Instant::now(), track).map_err(connection_error)?))
}

async fn payload_type(sender: &Arc<dyn RtpSender>) -> Option<PayloadType> {
    sender.get_parameters().await.ok()?.rtp_parameters.codecs.first().map(|c| c.payload_type)
}

/// Writes what the encoders make to this peer's tracks while the connection
/// is up, once it has negotiated its payload types.
async fn send_media(
    audio: Arc<TrackLocalStaticSample>,
    audio_sender: Arc<dyn RtpSender>,
    video: Arc<TrackLocalStaticSample>,
    video_sender: Arc<dyn RtpSender>,
    mut encoded: broadcast::Receiver<Encoded>,
    pipeline: Arc<Pipeline>,
    connected: Arc<AtomicBool>,
) {
    let audio_ssrc = audio.ssrcs().await.first().copied().unwrap_or_default();
    let video_ssrc = video.ssrcs().await.first().copied().unwrap_or_default();
    let (mut audio_pt, mut video_pt) = (None, None);
    loop {
        let item = match encoded.recv().await {
            Ok(item) => item,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::debug!(skipped = n, "a peer's sender fell behind");
                pipeline.keyframe_flag().store(true, Ordering::Relaxed);
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        };
        if !connected.load(Ordering::Acquire) {
            // Dropped like a lost frame; connecting asks for a keyframe.
            continue;
        }
        let (track, ssrc, pt, sender) = match item.kind {
            RtpCodecKind::Audio => (&audio, audio_ssrc, &mut audio_pt, &audio_sender),
            _ => (&video, video_ssrc, &mut video_pt, &video_sender),
        };
        if pt.is_none() {
            *pt = payload_type(sender).await;
        }
        let Some(pt) = *pt else { continue };
        let sample = Sample { data: item.data, duration: item.duration, ..Sample::new(item.captured) };
        // Closing: the frame is dropped like a lost one.
        let _ = track.sample_writer(ssrc, pt).write_sample(&sample).await;
    }
}
