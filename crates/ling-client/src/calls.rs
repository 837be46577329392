//! Calls on this device: one task drives the [`CallMachine`] (the
//! decisions, in `call_machine`) with commands, the call signals the session
//! hands it on a channel of their own, what the [`CallEngine`] reports and a
//! clock tick, and carries out what the machine answers: signals to send,
//! the engine to start, steer and close, and the view to publish. Nothing
//! holds a lock across the engine's awaits; the engine starts in a task of
//! its own.
//!
//! Every change is an [`Event::CallChanged`] carrying the whole [`CallView`], so a
//! window draws from the latest one.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ling_call::AudioSink;
use ling_call::camera::VideoInput;
use ling_call::devices::{AudioInput, Speaker};
use ling_call::engine::VideoSinkFactory;
use ling_call::processing::Processing;
use ling_call::record::Discard;
use ling_call::synthetic::Silence;
use ling_call::{CallEngine, CallError, EngineConfig, EngineEvent, IceServer, Media, VideoSource};
use ling_proto::messages::{CallMedia, ConversationKind};
use ling_proto::{ConversationId, UserId};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{info, warn};

use crate::call_machine::{CallMachine, Effect, EngineOp, EngineReport, LinkStats, PeerSignaled, Placing, Step};
use crate::call_signals::Inbound;
use crate::error::{ClientCode, ClientError, ClientResult};
use crate::events::Event;
use crate::inner::{Inner, now_ms};

pub use crate::call_machine::MAX_CALL_MEMBERS;
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

/// What a person asks of the call.
enum Command {
    Place(Placing),
    Accept(String),
    Decline(String),
    HangUp,
    Invite(UserId),
    SetMuted(bool),
    SetCamera(bool),
}

type Reply = oneshot::Sender<ClientResult<CallView>>;

/// What the engine's tasks tell the driver.
enum FromEngine {
    Started { call_id: String, engine: Arc<CallEngine>, camera_on: bool, problem: Option<String> },
    Failed { call_id: String, message: String },
    Event { call_id: String, event: EngineEvent },
}

/// The calls of one client.
pub struct Calls {
    inner: Arc<Inner>,
    commands: mpsc::UnboundedSender<(Command, Reply)>,
    view: watch::Receiver<Option<CallView>>,
}

impl Calls {
    /// Starts following call signals for `inner`'s account (in place of
    /// any calls started before on this client).
    pub(crate) fn start(inner: Arc<Inner>, devices: Arc<dyn CallDevices>, bind_ip: IpAddr) -> Arc<Calls> {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (view_tx, view) = watch::channel(None);
        let (engine_tx, engine_rx) = mpsc::unbounded_channel();
        let driver = Driver {
            machine: CallMachine::new(inner.own_id()),
            inner: inner.clone(),
            devices,
            bind_ip,
            engine: None,
            view: view_tx,
            engine_tx,
        };
        let signals = inner.call_inbox().open();
        tokio::spawn(driver.run(commands_rx, signals, engine_rx));
        Arc::new(Calls { inner, commands, view })
    }

    /// The call in progress, or the last one.
    pub async fn current(&self) -> Option<CallView> {
        self.view.borrow().clone()
    }

    async fn ask(&self, command: Command) -> ClientResult<CallView> {
        let (reply, answer) = oneshot::channel();
        let stopped =
            || ClientError::Call { code: ClientCode::NoCall, message: "calls have stopped on this device".into() };
        self.commands.send((command, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
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
        let call_id = uuid::Uuid::now_v7().simple().to_string();
        let group = conversation.kind == ConversationKind::Group;
        self.ask(Command::Place(Placing { call_id, conversation_id, media, others, group })).await
    }

    /// Answers the ringing call.
    pub async fn accept(self: &Arc<Self>, call_id: &str) -> ClientResult<CallView> {
        self.ask(Command::Accept(call_id.to_owned())).await
    }

    /// Turns the ringing call down.
    pub async fn decline(&self, call_id: &str) -> ClientResult<()> {
        self.ask(Command::Decline(call_id.to_owned())).await.map(drop)
    }

    /// Leaves the call (cancels it while it still rings).
    pub async fn hang_up(&self) -> ClientResult<()> {
        self.ask(Command::HangUp).await.map(drop)
    }

    /// Rings someone else of the conversation into the call in progress
    /// (in a group call: someone who declined, missed it or left).
    pub async fn invite(&self, user_id: UserId) -> ClientResult<CallView> {
        self.ask(Command::Invite(user_id)).await
    }

    /// Mutes or unmutes the microphone.
    pub async fn set_muted(&self, muted: bool) -> ClientResult<CallView> {
        self.ask(Command::SetMuted(muted)).await
    }

    /// Turns the camera on or off.
    pub async fn set_camera(&self, on: bool) -> ClientResult<CallView> {
        self.ask(Command::SetCamera(on)).await
    }
}

/// The sound processing the account's preferences ask for (all of it
/// where they cannot be read).
async fn sound_processing(inner: &Arc<Inner>) -> Processing {
    let dir = inner.account_dir().to_owned();
    match inner.db(move |c| crate::prefs::load(c, &dir)).await {
        Ok(prefs) => prefs.sound.into(),
        Err(e) => {
            warn!(error = %e, "the preferences could not be read; the sound is processed");
            Processing::default()
        }
    }
}

/// The one task that owns the machine and the engine.
struct Driver {
    machine: CallMachine,
    inner: Arc<Inner>,
    devices: Arc<dyn CallDevices>,
    bind_ip: IpAddr,
    /// The current call's running engine.
    engine: Option<Arc<CallEngine>>,
    view: watch::Sender<Option<CallView>>,
    engine_tx: mpsc::UnboundedSender<FromEngine>,
}

impl Driver {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<(Command, Reply)>,
        mut signals: mpsc::Receiver<Inbound>,
        mut from_engine: mpsc::UnboundedReceiver<FromEngine>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prefs = self.inner.prefs_changes();
        loop {
            tokio::select! {
                command = commands.recv() => {
                    let Some((command, reply)) = command else { break };
                    let answer = self.command(command).await;
                    let _ = reply.send(answer);
                }
                inbound = signals.recv() => {
                    // None: calls were started again on this client.
                    let Some(inbound) = inbound else { break };
                    let step = self.inbound(inbound).await;
                    self.carry_out(step).await.ok();
                }
                Some(report) = from_engine.recv() => {
                    let step = self.on_engine(report);
                    self.carry_out(step).await.ok();
                }
                _ = tick.tick() => {
                    let step = self.stats().await;
                    self.carry_out(step).await.ok();
                }
                // The call in progress follows the sound settings; the next
                // one reads them as it starts.
                Ok(()) = prefs.changed() => {
                    if let Some(engine) = &self.engine {
                        engine.set_processing(sound_processing(&self.inner).await);
                    }
                }
            }
        }
        if let Some(engine) = self.engine.take() {
            engine.close().await;
        }
    }

    async fn command(&mut self, command: Command) -> ClientResult<CallView> {
        let step = match command {
            Command::Place(placing) => {
                info!(call_id = placing.call_id, placing.conversation_id, media = ?placing.media, "calling");
                self.machine.place(placing)?
            }
            Command::Accept(call_id) => {
                info!(call_id, "answering");
                self.machine.accept(&call_id, now_ms())?
            }
            Command::Decline(call_id) => self.machine.decline(&call_id)?,
            Command::HangUp => self.machine.hang_up()?,
            Command::Invite(user) => self.machine.invite(user)?,
            Command::SetMuted(muted) => self.machine.set_muted(muted)?,
            Command::SetCamera(on) => self.machine.set_camera(on)?,
        };
        self.carry_out(step).await?;
        self.machine.view().cloned().ok_or_else(|| ClientError::Call {
            code: ClientCode::NoCall,
            message: "there is no call in progress".into(),
        })
    }

    async fn inbound(&mut self, inbound: Inbound) -> Step {
        match inbound {
            Inbound::Signal { call_id, conversation_id, from, device, signal } => {
                let group = matches!(signal, ling_proto::ws::CallSignal::Invite { .. })
                    && is_group(&self.inner, conversation_id).await;
                let signaled = PeerSignaled { call_id, conversation_id, from, device, signal };
                self.machine.signal(signaled, group, now_ms())
            }
            Inbound::Refused { call_id, code, message } => {
                warn!(call_id, %code, %message, "a call signal was refused");
                self.machine.refused(&call_id, code)
            }
        }
    }

    fn on_engine(&mut self, report: FromEngine) -> Step {
        match report {
            FromEngine::Started { call_id, engine, camera_on, problem } => {
                if let Some(problem) = &problem {
                    warn!(error = %problem, "a call device is missing");
                }
                let (keep, step) = self.machine.engine_started(&call_id, camera_on, problem);
                if keep {
                    self.engine = Some(engine);
                } else {
                    tokio::spawn(async move { engine.close().await });
                }
                step
            }
            FromEngine::Failed { call_id, message } => {
                warn!(call_id, %message, "the call's media could not start");
                self.machine.engine_failed(&call_id, message)
            }
            FromEngine::Event { call_id, event } => {
                let report = match event {
                    EngineEvent::Signal { peer, signal } => EngineReport::Signal { peer, signal },
                    EngineEvent::PeerState { peer, state } => {
                        info!(call_id, peer, ?state, "a call's connection to a peer");
                        EngineReport::PeerState { peer, state }
                    }
                    EngineEvent::DeviceFailed { message, .. } => EngineReport::DeviceFailed { message },
                };
                self.machine.engine_report(&call_id, report)
            }
        }
    }

    async fn stats(&mut self) -> Step {
        let Some(engine) = self.engine.clone().filter(|_| self.machine.engine_running()) else { return Vec::new() };
        let stats: Vec<LinkStats> = engine
            .stats()
            .await
            .into_iter()
            .map(|s| LinkStats {
                peer: s.peer,
                quality: CallQuality::from(s.quality),
                receiving_video: s.receiving_video,
            })
            .collect();
        self.machine.stats(&stats)
    }

    /// Does what the machine said, in order. The first failure (a signal
    /// that could not be sent, a camera that would not open) is returned
    /// once the rest is done.
    async fn carry_out(&mut self, step: Step) -> ClientResult<()> {
        let mut first_error = None;
        let mut todo = VecDeque::from(step);
        while let Some(effect) = todo.pop_front() {
            match effect {
                Effect::Send { call_id, conversation_id, to, device, signal } => {
                    if let Err(e) = self.inner.send_call_frame(&call_id, conversation_id, to, device, signal) {
                        warn!(error = %e, "a call signal could not be sent");
                        first_error.get_or_insert(e);
                    }
                }
                Effect::StartEngine { call_id, video } => self.start_engine(call_id, video),
                Effect::Engine(op) => {
                    let Some(engine) = self.engine.clone() else { continue };
                    if let Err(e) = self.engine_op(&engine, op).await {
                        todo.extend(self.machine.device_failed(e.to_string(), true));
                        first_error.get_or_insert(e);
                    }
                }
                Effect::CloseEngine => {
                    if let Some(engine) = self.engine.take() {
                        engine.close().await;
                    }
                }
                Effect::Publish(call) => {
                    if call.phase == CallPhase::Ended {
                        info!(call_id = call.call_id, end = ?call.end, "a call ended");
                    }
                    self.view.send_replace(Some(call.clone()));
                    self.inner.emit(Event::CallChanged { call });
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// One engine operation; only a camera that will not open is an error.
    async fn engine_op(&self, engine: &CallEngine, op: EngineOp) -> ClientResult<()> {
        match op {
            EngineOp::Connect { peer, offer } => {
                if let Err(e) = engine.connect(peer, offer).await {
                    warn!(error = %e, "could not connect to a peer");
                }
            }
            EngineOp::Disconnect { peer } => engine.disconnect(peer).await,
            EngineOp::Signal { peer, signal } => {
                if let Err(e) = engine.signal(peer, signal).await {
                    warn!(error = %e, "a call signal could not be used");
                }
            }
            EngineOp::Mute(muted) => engine.set_muted(muted),
            EngineOp::Camera(on) => {
                let source = if on { Some(self.devices.camera()?) } else { None };
                engine.set_video_source(source);
            }
        }
        Ok(())
    }

    /// Starts the media engine in a task of its own (it asks the server for
    /// ICE servers and opens devices); it reports back on `engine_tx`.
    fn start_engine(&self, call_id: String, video: bool) {
        let (inner, devices, bind_ip, to_driver) =
            (self.inner.clone(), self.devices.clone(), self.bind_ip, self.engine_tx.clone());
        tokio::spawn(async move {
            let ice_servers = match inner.api().info().await {
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
            let processing = sound_processing(&inner).await;
            let config = EngineConfig { ice_servers, bind_ip, processing, ..EngineConfig::default() };
            let (media, problems) = devices.open(video, devices.remote_video());
            let camera_on = media.video_in.is_some();
            let problem = problems.into_iter().map(|p| p.to_string()).reduce(|a, b| format!("{a}; {b}"));
            match CallEngine::start(config, media) {
                Ok((engine, mut events)) => {
                    let engine = Arc::new(engine);
                    let started = FromEngine::Started { call_id: call_id.clone(), engine, camera_on, problem };
                    if to_driver.send(started).is_err() {
                        return;
                    }
                    while let Some(event) = events.recv().await {
                        if to_driver.send(FromEngine::Event { call_id: call_id.clone(), event }).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = to_driver.send(FromEngine::Failed { call_id, message: e.to_string() });
                }
            }
        });
    }
}

async fn is_group(inner: &Inner, conversation_id: ConversationId) -> bool {
    matches!(
        inner.db(move |c| c.conversation(conversation_id)).await,
        Ok(Some(c)) if c.kind == ConversationKind::Group
    )
}
