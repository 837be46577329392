//! Calls on this device: the signaling states over the realtime session and
//! the [`CallEngine`] that carries the media. One call at a time; an invite
//! while in one is answered "busy".
//!
//! Who offers: whoever is already in the call offers to the one who accepts
//! (to the accepting device). In a group call the server tells everyone in
//! the call of each acceptance, so each pair connects once (a mesh).
//!
//! Every change is an [`Event::CallChanged`] carrying the whole [`CallView`], so a
//! window draws from the latest one.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ling_call::AudioSink;
use ling_call::camera::VideoInput;
use ling_call::devices::{AudioInput, Speaker};
use ling_call::engine::VideoSinkFactory;
use ling_call::record::Discard;
use ling_call::synthetic::Silence;
use ling_call::{
    CallEngine, CallError, EngineConfig, EngineEvent, IceServer, Media, PeerSignal, PeerState, VideoSource,
};
use ling_proto::messages::{CallMedia, ConversationKind};
use ling_proto::ws::CallSignal;
use ling_proto::{ConversationId, ErrorCode, SessionId, UserId};
use tokio::sync::{Mutex, broadcast, mpsc};
use tracing::{debug, info, warn};

use crate::error::{ClientError, ClientResult};
use crate::events::Event;
use crate::inner::{Inner, now_ms};

/// The most people in one call (the server's limit: a mesh of 6).
pub const MAX_CALL_MEMBERS: usize = 6;

pub use crate::call_view::{CallEnd, CallMember, CallPhase, CallQuality, CallView, MemberState};

/// What a call captures and plays, chosen by the app (devices, or synthetic
/// media where there are none).
pub trait CallDevices: Send + Sync {
    /// Opens the microphone and speaker, and the camera when `video`. A
    /// device that cannot be opened is left out (silence, no picture) and
    /// comes back as a problem; the call goes on without it.
    fn open(&self, video: bool, remote_video: VideoSinkFactory) -> (Media, Vec<CallError>);
    /// Opens the camera (turned on mid-call).
    fn camera(&self) -> Result<Box<dyn VideoSource>, CallError>;
    /// Where peers' pictures go.
    fn remote_video(&self) -> VideoSinkFactory;
}

/// Where call media sockets bind: all interfaces, or `LING_CALL_BIND` (an
/// IP address; tests use loopback).
pub fn bind_ip_from_env() -> IpAddr {
    std::env::var("LING_CALL_BIND")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The system's devices as the person chose them in the settings (the
/// default ones where they chose none); `LING_MEDIA` swaps in synthetic
/// media (a tone, the test pattern) on machines without devices.
pub struct SystemDevices {
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    pub camera: Option<String>,
    /// Where peers' pictures go (the app's video tiles).
    pub remote_video: VideoSinkFactory,
}

impl CallDevices for SystemDevices {
    fn open(&self, video: bool, remote_video: VideoSinkFactory) -> (Media, Vec<CallError>) {
        let mut problems = Vec::new();
        let audio_in =
            AudioInput::from_env_or(AudioInput::Microphone(self.microphone.clone())).open().unwrap_or_else(|e| {
                problems.push(e);
                Box::new(Silence)
            });
        let audio_out: Box<dyn AudioSink> = match Speaker::open(self.speaker.as_deref()) {
            Ok(speaker) => Box::new(speaker),
            Err(e) => {
                problems.push(e);
                Box::new(Discard)
            }
        };
        let video_in = if video { self.camera().map_err(|e| problems.push(e)).ok() } else { None };
        // Peer 0 is oneself: the self view goes where the tiles go.
        let self_view = Some(remote_video(0));
        (Media { audio_in, audio_out, video_in, self_view, remote_video }, problems)
    }

    fn camera(&self) -> Result<Box<dyn VideoSource>, CallError> {
        VideoInput::from_env_or(VideoInput::Camera(self.camera.clone())).open()
    }

    fn remote_video(&self) -> VideoSinkFactory {
        self.remote_video.clone()
    }
}

struct Peer {
    device: Option<SessionId>,
    state: MemberState,
}

struct Active {
    view: CallView,
    /// The device that invited this one (answers go there).
    inviter_device: Option<SessionId>,
    peers: BTreeMap<UserId, Peer>,
    engine: Option<Arc<CallEngine>>,
    /// A group conversation's call (goes on while anyone else is in it).
    group: bool,
}

/// An engine just started, with what it could open.
struct Started {
    engine: Arc<CallEngine>,
    camera_on: bool,
    problem: Option<String>,
}

impl Started {
    fn apply(self, active: &mut Active) {
        active.engine = Some(self.engine);
        active.view.camera_on = self.camera_on;
        active.view.device_problem = self.problem;
    }
}

/// The calls of one client.
pub struct Calls {
    inner: Arc<Inner>,
    devices: Arc<dyn CallDevices>,
    bind_ip: IpAddr,
    current: Mutex<Option<Active>>,
}

impl Calls {
    /// Starts following call signals for `inner`'s account.
    pub(crate) fn start(inner: Arc<Inner>, devices: Arc<dyn CallDevices>, bind_ip: IpAddr) -> Arc<Calls> {
        let calls = Arc::new(Calls { inner: inner.clone(), devices, bind_ip, current: Mutex::new(None) });
        let events = inner.subscribe();
        tokio::spawn(listen(Arc::downgrade(&calls), events));
        tokio::spawn(watch_quality(Arc::downgrade(&calls)));
        calls
    }

    /// The call in progress, if any.
    pub async fn current(&self) -> Option<CallView> {
        self.current.lock().await.as_ref().map(|a| a.view.clone())
    }

    /// Calls everyone else in a conversation.
    pub async fn call(self: &Arc<Self>, conversation_id: ConversationId, media: CallMedia) -> ClientResult<CallView> {
        let conversation = self
            .inner
            .db(move |c| c.conversation(conversation_id))
            .await?
            .ok_or_else(|| ClientError::InvalidInput("no such conversation".into()))?;
        let me = self.inner.own_id();
        let others: Vec<UserId> = match (conversation.kind, conversation.peer_id, conversation.group_id) {
            (ConversationKind::Direct, Some(peer), _) => vec![peer],
            (ConversationKind::Group, _, Some(group)) => {
                if let Err(e) = self.inner.refresh_group(group).await {
                    warn!(error = %e, group, "calling with the cached member list");
                }
                self.inner
                    .db(move |c| c.group_members(group))
                    .await?
                    .into_iter()
                    .map(|m| m.user.id)
                    .filter(|u| *u != me)
                    .collect()
            }
            _ => return Err(ClientError::InvalidInput("this conversation cannot be called".into())),
        };
        if others.is_empty() {
            return Err(ClientError::InvalidInput("nobody else is in this conversation".into()));
        }
        if others.len() >= MAX_CALL_MEMBERS {
            return Err(ClientError::Call {
                code: "call_too_large",
                message: format!("a call has at most {MAX_CALL_MEMBERS} people; this group has {}", others.len() + 1),
            });
        }
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|a| a.view.phase != CallPhase::Ended) {
            return Err(ClientError::InvalidInput("already in a call".into()));
        }
        let call_id = uuid::Uuid::now_v7().simple().to_string();
        info!(call_id, conversation_id, ?media, "calling");
        let view = CallView::new(call_id, conversation_id, me, media, CallPhase::Calling);
        let group = conversation.kind == ConversationKind::Group;
        let mut active = Active { view, inviter_device: None, peers: BTreeMap::new(), engine: None, group };
        for user in others {
            active.peers.insert(user, Peer { device: None, state: MemberState::Invited });
            self.send(&active.view, user, None, CallSignal::Invite { media })?;
        }
        // Capture starts now: the self view shows while it rings.
        self.start_engine(&active.view).await?.apply(&mut active);
        self.publish(&mut active);
        let view = active.view.clone();
        *current = Some(active);
        Ok(view)
    }

    /// Answers the ringing call.
    pub async fn accept(self: &Arc<Self>, call_id: &str) -> ClientResult<CallView> {
        let mut current = self.current.lock().await;
        let active = ringing(&mut current, call_id)?;
        let caller = active.view.caller;
        info!(call_id, "answering");
        self.send(&active.view, caller, active.inviter_device, CallSignal::Accept)?;
        active.view.phase = CallPhase::Active;
        active.view.answered_at = Some(now_ms());
        if let Some(p) = active.peers.get_mut(&caller) {
            p.state = MemberState::Joining;
        }
        self.start_engine(&active.view).await?.apply(active);
        self.publish(active);
        Ok(active.view.clone())
    }

    /// Turns the ringing call down.
    pub async fn decline(&self, call_id: &str) -> ClientResult<()> {
        let mut current = self.current.lock().await;
        let active = ringing(&mut current, call_id)?;
        self.send(&active.view, active.view.caller, active.inviter_device, CallSignal::Decline)?;
        self.finish(active, CallEnd::Declined).await;
        Ok(())
    }

    /// Leaves the call (cancels it while it still rings).
    pub async fn hang_up(&self) -> ClientResult<()> {
        let mut current = self.current.lock().await;
        let Some(active) = current.as_mut().filter(|a| a.view.phase != CallPhase::Ended) else {
            return Err(no_call());
        };
        match active.view.phase {
            CallPhase::Incoming => {
                self.send(&active.view, active.view.caller, active.inviter_device, CallSignal::Decline)?;
                self.finish(active, CallEnd::Declined).await;
            }
            CallPhase::Calling => {
                // One cancel reaches everyone rung.
                if let Some((&user, _)) = active.peers.iter().find(|(_, p)| p.state != MemberState::Left) {
                    self.send(&active.view, user, None, CallSignal::Cancel)?;
                }
                self.finish(active, CallEnd::Cancelled).await;
            }
            _ => {
                let in_call: Vec<(UserId, Option<SessionId>)> = active
                    .peers
                    .iter()
                    .filter(|(_, p)| matches!(p.state, MemberState::Joining | MemberState::Connected))
                    .map(|(u, p)| (*u, p.device))
                    .collect();
                for (user, device) in in_call {
                    self.send(&active.view, user, device, CallSignal::Hangup)?;
                }
                self.finish(active, CallEnd::Completed).await;
            }
        }
        Ok(())
    }

    /// Rings someone else of the conversation into the call in progress
    /// (in a group call: someone who declined, missed it or left).
    pub async fn invite(&self, user_id: UserId) -> ClientResult<CallView> {
        let mut current = self.current.lock().await;
        let active =
            current.as_mut().filter(|a| a.view.phase == CallPhase::Active || a.view.phase == CallPhase::Calling);
        let active = active.ok_or_else(no_call)?;
        if active.peers.get(&user_id).is_some_and(|p| p.state != MemberState::Left) {
            return Err(ClientError::InvalidInput("they are in the call already".into()));
        }
        self.send(&active.view, user_id, None, CallSignal::Invite { media: active.view.media })?;
        active.peers.insert(user_id, Peer { device: None, state: MemberState::Invited });
        self.publish(active);
        Ok(active.view.clone())
    }

    /// Mutes or unmutes the microphone.
    pub async fn set_muted(&self, muted: bool) -> ClientResult<CallView> {
        let mut current = self.current.lock().await;
        let active = current.as_mut().filter(|a| a.view.phase != CallPhase::Ended).ok_or_else(no_call)?;
        if let Some(engine) = &active.engine {
            engine.set_muted(muted);
        }
        active.view.muted = muted;
        self.publish(active);
        Ok(active.view.clone())
    }

    /// Turns the camera on or off.
    pub async fn set_camera(&self, on: bool) -> ClientResult<CallView> {
        let mut current = self.current.lock().await;
        let active = current.as_mut().filter(|a| a.view.phase != CallPhase::Ended).ok_or_else(no_call)?;
        if let Some(engine) = &active.engine {
            let source = if on { Some(self.devices.camera().map_err(ClientError::from)?) } else { None };
            engine.set_video_source(source);
        }
        active.view.camera_on = on;
        self.publish(active);
        Ok(active.view.clone())
    }

    fn send(&self, view: &CallView, to: UserId, device: Option<SessionId>, signal: CallSignal) -> ClientResult<()> {
        self.inner.send_call_frame(&view.call_id, view.conversation_id, to, device, signal)
    }

    async fn start_engine(self: &Arc<Self>, view: &CallView) -> ClientResult<Started> {
        let ice_servers = match self.inner.api.info().await {
            Ok(info) => info
                .ice_servers
                .into_iter()
                .map(|s| IceServer { urls: s.urls, username: s.username, credential: s.credential })
                .collect(),
            Err(e) => {
                warn!(error = %e, "no ICE servers from the server; host candidates only");
                Vec::new()
            }
        };
        let config = EngineConfig { ice_servers, bind_ip: self.bind_ip, ..EngineConfig::default() };
        let (media, problems) = self.devices.open(view.media == CallMedia::Video, self.devices.remote_video());
        if let Some(problem) = problems.first() {
            warn!(error = %problem, "a call device is missing");
        }
        let started = Started {
            camera_on: media.video_in.is_some(),
            problem: problems.into_iter().map(|p| p.to_string()).reduce(|a, b| format!("{a}; {b}")),
            engine: Arc::new({
                let (engine, events) = CallEngine::start(config, media)?;
                tokio::spawn(engine_events(view.call_id.clone(), events, Arc::downgrade(self)));
                engine
            }),
        };
        Ok(started)
    }

    fn publish(&self, active: &mut Active) {
        active.view.members = active
            .peers
            .iter()
            .map(|(&user_id, p)| {
                let old = active.view.members.iter().find(|m| m.user_id == user_id);
                CallMember {
                    user_id,
                    state: p.state,
                    quality: old.and_then(|m| m.quality),
                    video: old.is_some_and(|m| m.video),
                }
            })
            .collect();
        self.emit(active);
    }

    /// Tells the window of a change to the call, as a newer revision.
    fn emit(&self, active: &mut Active) {
        active.view.revision = active.view.revision.wrapping_add(1);
        self.inner.emit(Event::CallChanged { call: active.view.clone() });
    }

    async fn finish(&self, active: &mut Active, end: CallEnd) {
        info!(call_id = active.view.call_id, ?end, "a call ended");
        active.view.phase = CallPhase::Ended;
        active.view.end = Some(end);
        for p in active.peers.values_mut() {
            p.state = MemberState::Left;
        }
        if let Some(engine) = active.engine.take() {
            engine.close().await;
        }
        self.publish(active);
    }

    /// A signal from someone else (or from one's own other device).
    async fn on_signal(
        &self,
        call_id: String,
        conversation_id: ConversationId,
        from: UserId,
        device: SessionId,
        signal: CallSignal,
    ) {
        let me = self.inner.own_id();
        let mut current = self.current.lock().await;
        let busy_elsewhere =
            current.as_ref().is_some_and(|a| a.view.phase != CallPhase::Ended && a.view.call_id != call_id);
        if let CallSignal::Invite { media } = signal {
            if busy_elsewhere {
                let _ = self.inner.send_call_frame(&call_id, conversation_id, from, Some(device), CallSignal::Busy);
                return;
            }
            if current.as_ref().is_some_and(|a| a.view.call_id == call_id && a.view.phase != CallPhase::Ended) {
                return; // already ringing here
            }
            info!(call_id, from, ?media, "a call rings");
            let view = CallView::new(call_id.clone(), conversation_id, from, media, CallPhase::Incoming);
            let mut peers = BTreeMap::new();
            peers.insert(from, Peer { device: Some(device), state: MemberState::Connected });
            let group = self.is_group(conversation_id).await;
            let mut active = Active { view, inviter_device: Some(device), peers, engine: None, group };
            let _ = self.send(&active.view, from, Some(device), CallSignal::Ringing);
            // The caller is shown as waiting for us, not yet connected.
            if let Some(p) = active.peers.get_mut(&from) {
                p.state = MemberState::Joining;
            }
            self.publish(&mut active);
            *current = Some(active);
            return;
        }
        let Some(active) = current.as_mut().filter(|a| a.view.call_id == call_id && a.view.phase != CallPhase::Ended)
        else {
            debug!(call_id, ?signal, "a signal for a call not in progress here");
            return;
        };
        if from == me {
            // One's own other device answered.
            match signal {
                CallSignal::Accept if active.view.phase == CallPhase::Incoming => {
                    self.finish(active, CallEnd::AnsweredElsewhere).await
                }
                CallSignal::Decline | CallSignal::Busy if active.view.phase == CallPhase::Incoming => {
                    self.finish(active, CallEnd::DeclinedElsewhere).await
                }
                _ => {}
            }
            return;
        }
        match signal {
            CallSignal::Invite { .. } => {}
            CallSignal::Ringing => {
                if let Some(p) = active.peers.get_mut(&from).filter(|p| p.state == MemberState::Invited) {
                    p.state = MemberState::Ringing;
                    self.publish(active);
                }
            }
            CallSignal::Accept => {
                info!(call_id, from, "they answered");
                // Someone joined: whoever is in the call offers to them.
                let joined_here = active.view.phase == CallPhase::Active || active.view.caller == me;
                let peer = active.peers.entry(from).or_insert(Peer { device: None, state: MemberState::Invited });
                peer.device = Some(device);
                peer.state = MemberState::Joining;
                if active.view.phase == CallPhase::Calling {
                    active.view.phase = CallPhase::Active;
                    active.view.answered_at = Some(now_ms());
                }
                if joined_here && let Some(engine) = active.engine.clone() {
                    if let Err(e) = engine.connect(from, true).await {
                        warn!(error = %e, "could not connect to a peer");
                    }
                }
                self.publish(active);
            }
            CallSignal::Decline | CallSignal::Busy | CallSignal::NoAnswer => {
                if let Some(p) = active.peers.get_mut(&from) {
                    p.state = MemberState::Left;
                }
                let end = match signal {
                    CallSignal::Decline => CallEnd::Declined,
                    CallSignal::Busy => CallEnd::Busy,
                    _ => CallEnd::NoAnswer,
                };
                self.end_if_alone(active, end).await;
            }
            CallSignal::Cancel => {
                if active.view.phase == CallPhase::Incoming {
                    self.finish(active, CallEnd::Cancelled).await;
                }
            }
            CallSignal::Hangup => {
                if let Some(engine) = &active.engine {
                    engine.disconnect(from).await;
                }
                if let Some(p) = active.peers.get_mut(&from) {
                    p.state = MemberState::Left;
                }
                self.end_if_alone(active, CallEnd::Completed).await;
            }
            CallSignal::Offer { sdp } => self.to_engine(active, from, device, PeerSignal::Offer(sdp)).await,
            CallSignal::Answer { sdp } => self.to_engine(active, from, device, PeerSignal::Answer(sdp)).await,
            CallSignal::Ice { candidate, sdp_mid, sdp_mline_index } => {
                self.to_engine(active, from, device, PeerSignal::Ice { candidate, sdp_mid, sdp_mline_index }).await
            }
        }
    }

    async fn is_group(&self, conversation_id: ConversationId) -> bool {
        matches!(
            self.inner.db(move |c| c.conversation(conversation_id)).await,
            Ok(Some(c)) if c.kind == ConversationKind::Group
        )
    }

    async fn to_engine(&self, active: &mut Active, from: UserId, device: SessionId, signal: PeerSignal) {
        let Some(engine) = active.engine.clone() else { return };
        let peer = active.peers.entry(from).or_insert(Peer { device: None, state: MemberState::Joining });
        peer.device = Some(device);
        if peer.state != MemberState::Connected {
            peer.state = MemberState::Joining;
        }
        if let Err(e) = engine.signal(from, signal).await {
            warn!(error = %e, "a call signal could not be used");
        }
    }

    /// Ends the call when nobody else is in it or still ringing.
    async fn end_if_alone(&self, active: &mut Active, end: CallEnd) {
        let someone_left = active.peers.values().any(|p| p.state != MemberState::Left);
        if !someone_left || !active.group {
            let end =
                if active.view.answered_at.is_some() && end != CallEnd::Failed { CallEnd::Completed } else { end };
            self.finish(active, end).await;
        } else {
            self.publish(active);
        }
    }

    async fn on_engine(&self, call_id: &str, event: EngineEvent) {
        let mut current = self.current.lock().await;
        let Some(active) = current.as_mut().filter(|a| a.view.call_id == call_id && a.view.phase != CallPhase::Ended)
        else {
            return;
        };
        match event {
            EngineEvent::Signal { peer, signal } => {
                let device = active.peers.get(&peer).and_then(|p| p.device);
                let signal = match signal {
                    PeerSignal::Offer(sdp) => CallSignal::Offer { sdp },
                    PeerSignal::Answer(sdp) => CallSignal::Answer { sdp },
                    PeerSignal::Ice { candidate, sdp_mid, sdp_mline_index } => {
                        CallSignal::Ice { candidate, sdp_mid, sdp_mline_index }
                    }
                };
                if let Err(e) = self.send(&active.view, peer, device, signal) {
                    warn!(error = %e, "a call signal could not be sent");
                }
            }
            EngineEvent::PeerState { peer, state } => {
                info!(call_id, peer, ?state, "a call's connection to a peer");
                let Some(p) = active.peers.get_mut(&peer) else { return };
                match state {
                    PeerState::Connected => p.state = MemberState::Connected,
                    PeerState::Failed => {
                        let device = p.device;
                        p.state = MemberState::Left;
                        let _ = self.send(&active.view, peer, device, CallSignal::Hangup);
                        if let Some(engine) = &active.engine {
                            engine.disconnect(peer).await;
                        }
                        self.end_if_alone(active, CallEnd::Failed).await;
                        return;
                    }
                    _ => {}
                }
                self.publish(active);
            }
            EngineEvent::DeviceFailed { message, .. } => {
                active.view.device_problem = Some(message);
                self.publish(active);
            }
        }
    }

    async fn refresh_quality(&self) {
        let mut current = self.current.lock().await;
        let Some(active) = current.as_mut().filter(|a| a.view.phase == CallPhase::Active) else { return };
        let Some(engine) = active.engine.clone() else { return };
        let stats = engine.stats().await;
        let mut changed = false;
        for member in &mut active.view.members {
            if let Some(s) = stats.iter().find(|s| s.peer == member.user_id) {
                let quality = Some(CallQuality::from(s.quality));
                if member.quality != quality || member.video != s.receiving_video {
                    member.quality = quality;
                    member.video = s.receiving_video;
                    changed = true;
                }
            }
        }
        if changed {
            self.emit(active);
        }
    }
}

fn no_call() -> ClientError {
    ClientError::Call { code: "no_call", message: "there is no call in progress".into() }
}

fn ringing<'a>(current: &'a mut Option<Active>, call_id: &str) -> ClientResult<&'a mut Active> {
    current
        .as_mut()
        .filter(|a| a.view.call_id == call_id && a.view.phase == CallPhase::Incoming)
        .ok_or_else(|| ClientError::Call { code: "no_call", message: "that call is not ringing here".into() })
}

async fn listen(calls: std::sync::Weak<Calls>, mut events: broadcast::Receiver<Event>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                warn!(skipped = n, "call signals were missed");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(calls) = calls.upgrade() else { return };
        match event {
            Event::Call { call_id, conversation_id, from_user, from_device, signal } => {
                calls.on_signal(call_id, conversation_id, from_user, from_device, signal).await;
            }
            Event::CallRefused { call_id, code, message } => {
                warn!(call_id, %message, "a call signal was refused");
                let mut current = calls.current.lock().await;
                if let Some(active) =
                    current.as_mut().filter(|a| a.view.call_id == call_id && a.view.phase == CallPhase::Calling)
                {
                    // The invite itself was refused (not friends, blocked…).
                    if matches!(
                        code,
                        ErrorCode::InvalidCallSignal
                            | ErrorCode::NotAMember
                            | ErrorCode::Blocked
                            | ErrorCode::NotFriends
                    ) {
                        calls.finish(active, CallEnd::Failed).await;
                    }
                }
            }
            _ => {}
        }
    }
}

async fn engine_events(
    call_id: String,
    mut events: mpsc::UnboundedReceiver<EngineEvent>,
    calls: std::sync::Weak<Calls>,
) {
    while let Some(event) = events.recv().await {
        let Some(calls) = calls.upgrade() else { return };
        calls.on_engine(&call_id, event).await;
    }
}

async fn watch_quality(calls: std::sync::Weak<Calls>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(calls) = calls.upgrade() else { return };
        calls.refresh_quality().await;
    }
}

impl From<CallError> for ClientError {
    fn from(e: CallError) -> Self {
        ClientError::Call { code: e.code(), message: e.to_string() }
    }
}
