//! The decisions of calls on this device, without I/O (in the style of
//! str0m and the server's `CallBook`): the [`CallMachine`] is fed commands,
//! signals from other devices, what the media engine reports and the time,
//! and answers with the [`Effect`]s to carry out: signals to send, engine
//! operations, a new [`CallView`] for the window. `calls.rs` drives it.
//!
//! One call at a time; an invite while in one is answered "busy". Whoever is
//! already in the call offers to the one who accepts (to the accepting
//! device); in a group call the server tells everyone in the call of each
//! acceptance, so each pair connects once (a mesh).
//!
//! The engine starts in the background (it asks the server for ICE servers
//! and opens devices): what the engine should do meanwhile waits in order and
//! is handed over once it runs.

use std::collections::BTreeMap;

use ling_call::{PeerSignal, PeerState};
use ling_proto::messages::CallMedia;
use ling_proto::ws::CallSignal;
use ling_proto::{ConversationId, ErrorCode, SessionId, UserId};

use crate::call_view::{CallEnd, CallMember, CallPhase, CallQuality, CallView, MemberState};
use crate::error::{ClientCode, ClientError, ClientResult};

#[cfg(test)]
mod tests;

/// The most people in one call (the server's limit: a mesh of 6).
pub const MAX_CALL_MEMBERS: usize = 6;

/// Milliseconds since the epoch.
pub(crate) type Millis = i64;

/// What the driver must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Send a call signal (not always for the current call: "busy").
    Send { call_id: String, conversation_id: ConversationId, to: UserId, device: Option<SessionId>, signal: CallSignal },
    /// Start the media engine for the current call; answer with
    /// [`CallMachine::engine_started`] or [`CallMachine::engine_failed`].
    StartEngine { call_id: String, video: bool },
    /// Something for the current call's running engine.
    Engine(EngineOp),
    /// Close the current call's engine.
    CloseEngine,
    /// The call as the window should now show it.
    Publish(CallView),
}

/// What the engine is told to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EngineOp {
    /// Open a connection to `peer` (making the offer when `offer`).
    Connect {
        peer: UserId,
        offer: bool,
    },
    Disconnect {
        peer: UserId,
    },
    /// A peer's offer, answer or ICE candidate.
    Signal {
        peer: UserId,
        signal: PeerSignal,
    },
    Mute(bool),
    /// Turn the camera on (open it) or off.
    Camera(bool),
}

/// What a running engine reports, for the call it was started for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EngineReport {
    Signal { peer: UserId, signal: PeerSignal },
    PeerState { peer: UserId, state: PeerState },
    DeviceFailed { message: String },
}

/// A peer's link as the engine's statistics say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LinkStats {
    pub peer: UserId,
    pub quality: CallQuality,
    pub receiving_video: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Peer {
    device: Option<SessionId>,
    state: MemberState,
}

#[derive(Debug)]
enum Engine {
    /// None yet (a call ringing here).
    Off,
    /// Starting; what it should do waits here in order.
    Starting(Vec<EngineOp>),
    Running,
}

#[derive(Debug)]
struct Active {
    view: CallView,
    /// The device that invited this one (answers go there).
    inviter_device: Option<SessionId>,
    peers: BTreeMap<UserId, Peer>,
    engine: Engine,
    /// A group conversation's call (goes on while anyone else is in it).
    group: bool,
}

/// The calls of one account on this device.
#[derive(Debug)]
pub(crate) struct CallMachine {
    me: UserId,
    /// The call in progress, or the last one (ended).
    current: Option<Active>,
}

/// A signal from another device, as the server relayed it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeerSignaled {
    pub call_id: String,
    pub conversation_id: ConversationId,
    /// From whom (oneself, from another device).
    pub from: UserId,
    /// From which of their devices.
    pub device: SessionId,
    pub signal: CallSignal,
}

/// What calling someone needs to know of the conversation.
#[derive(Debug, Clone)]
pub(crate) struct Placing {
    pub call_id: String,
    pub conversation_id: ConversationId,
    pub media: CallMedia,
    /// Everyone else in the conversation.
    pub others: Vec<UserId>,
    pub group: bool,
}

/// The effects of one step, in order.
pub(crate) type Step = Vec<Effect>;

impl CallMachine {
    pub(crate) fn new(me: UserId) -> Self {
        CallMachine { me, current: None }
    }

    /// The call in progress or the last one.
    pub(crate) fn view(&self) -> Option<&CallView> {
        self.current.as_ref().map(|a| &a.view)
    }

    fn live(&mut self) -> Option<&mut Active> {
        self.current.as_mut().filter(|a| a.view.phase != CallPhase::Ended)
    }

    fn live_call(&mut self, call_id: &str) -> Option<&mut Active> {
        self.live().filter(|a| a.view.call_id == call_id)
    }

    /// Calls everyone else in a conversation.
    pub(crate) fn place(&mut self, placing: Placing) -> ClientResult<Step> {
        let Placing { call_id, conversation_id, media, others, group } = placing;
        if others.is_empty() {
            return Err(ClientError::InvalidInput("nobody else is in this conversation".into()));
        }
        if others.len() >= MAX_CALL_MEMBERS {
            return Err(ClientError::Call {
                code: ClientCode::CallTooLarge,
                message: format!("a call has at most {MAX_CALL_MEMBERS} people; this group has {}", others.len() + 1),
            });
        }
        if self.live().is_some() {
            return Err(ClientError::InvalidInput("already in a call".into()));
        }
        let view = CallView::new(call_id.clone(), conversation_id, self.me, media, CallPhase::Calling);
        let mut active =
            Active { view, inviter_device: None, peers: BTreeMap::new(), engine: Engine::Starting(Vec::new()), group };
        let mut out = Vec::new();
        for user in others {
            active.peers.insert(user, Peer { device: None, state: MemberState::Invited });
            out.push(active.send(user, None, CallSignal::Invite { media }));
        }
        // Capture starts now: the self view shows while it rings.
        out.push(Effect::StartEngine { call_id, video: media == CallMedia::Video });
        out.push(active.publish());
        self.current = Some(active);
        Ok(out)
    }

    /// Answers the ringing call.
    pub(crate) fn accept(&mut self, call_id: &str, now: Millis) -> ClientResult<Step> {
        let active = self.ringing(call_id)?;
        let caller = active.view.caller;
        let mut out = vec![active.send(caller, active.inviter_device, CallSignal::Accept)];
        active.view.phase = CallPhase::Active;
        active.view.answered_at = Some(now);
        if let Some(p) = active.peers.get_mut(&caller) {
            p.state = MemberState::Joining;
        }
        active.engine = Engine::Starting(Vec::new());
        out.push(Effect::StartEngine { call_id: call_id.to_owned(), video: active.view.media == CallMedia::Video });
        out.push(active.publish());
        Ok(out)
    }

    /// Turns the ringing call down.
    pub(crate) fn decline(&mut self, call_id: &str) -> ClientResult<Step> {
        let active = self.ringing(call_id)?;
        let mut out = vec![active.send(active.view.caller, active.inviter_device, CallSignal::Decline)];
        active.finish(CallEnd::Declined, &mut out);
        Ok(out)
    }

    /// Leaves the call (cancels it while it still rings).
    pub(crate) fn hang_up(&mut self) -> ClientResult<Step> {
        let active = self.live().ok_or_else(no_call)?;
        let mut out = Vec::new();
        let end = active.leave(&mut out);
        active.finish(end, &mut out);
        Ok(out)
    }

    /// Rings someone else of the conversation into the call in progress
    /// (in a group call: someone who declined, missed it or left).
    pub(crate) fn invite(&mut self, user: UserId) -> ClientResult<Step> {
        let active = self
            .live()
            .filter(|a| matches!(a.view.phase, CallPhase::Active | CallPhase::Calling))
            .ok_or_else(no_call)?;
        if active.peers.get(&user).is_some_and(|p| p.state != MemberState::Left) {
            return Err(ClientError::InvalidInput("they are in the call already".into()));
        }
        let out = vec![active.send(user, None, CallSignal::Invite { media: active.view.media })];
        active.peers.insert(user, Peer { device: None, state: MemberState::Invited });
        Ok([out, vec![active.publish()]].concat())
    }

    /// Mutes or unmutes the microphone.
    pub(crate) fn set_muted(&mut self, muted: bool) -> ClientResult<Step> {
        self.steer(EngineOp::Mute(muted))
    }

    /// Turns the camera on or off.
    pub(crate) fn set_camera(&mut self, on: bool) -> ClientResult<Step> {
        self.steer(EngineOp::Camera(on))
    }

    /// A change of the person's own media: shown at once, handed to the
    /// engine (or kept until it runs).
    fn steer(&mut self, op: EngineOp) -> ClientResult<Step> {
        let active = self.live().ok_or_else(no_call)?;
        match op {
            EngineOp::Mute(muted) => active.view.muted = muted,
            EngineOp::Camera(on) => active.view.camera_on = on,
            EngineOp::Connect { .. } | EngineOp::Disconnect { .. } | EngineOp::Signal { .. } => {}
        }
        let mut out = Vec::new();
        active.engine(op, &mut out);
        out.push(active.publish());
        Ok(out)
    }

    /// The engine for `call_id` runs, with the camera on or not and what it
    /// could not open. `false`: that call is over here; close the engine.
    pub(crate) fn engine_started(&mut self, call_id: &str, camera_on: bool, problem: Option<String>) -> (bool, Step) {
        let Some(active) = self.live_call(call_id) else { return (false, Vec::new()) };
        let waiting = match &mut active.engine {
            Engine::Starting(waiting) => std::mem::take(waiting),
            Engine::Off | Engine::Running => return (false, Vec::new()),
        };
        active.engine = Engine::Running;
        // Unless the person turned the camera on or off meanwhile, it is on
        // when it could be opened.
        if !waiting.iter().any(|op| matches!(op, EngineOp::Camera(_))) {
            active.view.camera_on = camera_on;
        }
        active.view.device_problem = problem;
        let mut out: Step = waiting.into_iter().map(Effect::Engine).collect();
        out.push(active.publish());
        (true, out)
    }

    /// The engine for `call_id` could not start: the call ends here.
    pub(crate) fn engine_failed(&mut self, call_id: &str, message: String) -> Step {
        let Some(active) = self.live_call(call_id).filter(|a| matches!(a.engine, Engine::Starting(_))) else {
            return Vec::new();
        };
        active.engine = Engine::Off;
        active.view.device_problem = Some(message);
        let mut out = Vec::new();
        active.leave(&mut out);
        active.finish(CallEnd::Failed, &mut out);
        out
    }

    /// A device (the camera, the microphone) failed during the call.
    pub(crate) fn device_failed(&mut self, message: String, camera: bool) -> Step {
        let Some(active) = self.live() else { return Vec::new() };
        active.view.device_problem = Some(message);
        if camera {
            active.view.camera_on = false;
        }
        vec![active.publish()]
    }

    /// A signal from someone else (or from one's own other device).
    pub(crate) fn signal(&mut self, signal: PeerSignaled, group: bool, now: Millis) -> Step {
        let PeerSignaled { call_id, conversation_id, from, device, signal } = signal;
        let call_id = call_id.as_str();
        let me = self.me;
        if let CallSignal::Invite { media } = signal {
            if let Some(active) = self.live() {
                if active.view.call_id == call_id {
                    return Vec::new(); // already ringing here
                }
                let busy = CallSignal::Busy;
                let (call_id, to, device) = (call_id.to_owned(), from, Some(device));
                return vec![Effect::Send { call_id, conversation_id, to, device, signal: busy }];
            }
            let view = CallView::new(call_id.to_owned(), conversation_id, from, media, CallPhase::Incoming);
            let mut peers = BTreeMap::new();
            // The caller is shown as waiting for us, not yet connected.
            peers.insert(from, Peer { device: Some(device), state: MemberState::Joining });
            let mut active = Active { view, inviter_device: Some(device), peers, engine: Engine::Off, group };
            let out = vec![active.send(from, Some(device), CallSignal::Ringing), active.publish()];
            self.current = Some(active);
            return out;
        }
        let Some(active) = self.live_call(call_id) else { return Vec::new() };
        let mut out = Vec::new();
        if from == me {
            // One's own other device answered.
            match signal {
                CallSignal::Accept if active.view.phase == CallPhase::Incoming => {
                    active.finish(CallEnd::AnsweredElsewhere, &mut out)
                }
                CallSignal::Decline | CallSignal::Busy if active.view.phase == CallPhase::Incoming => {
                    active.finish(CallEnd::DeclinedElsewhere, &mut out)
                }
                _ => {}
            }
            return out;
        }
        match signal {
            CallSignal::Invite { .. } => {}
            CallSignal::Ringing => {
                if let Some(p) = active.peers.get_mut(&from).filter(|p| p.state == MemberState::Invited) {
                    p.state = MemberState::Ringing;
                    out.push(active.publish());
                }
            }
            CallSignal::Accept => {
                // Someone joined: whoever is in the call offers to them.
                let joined_here = active.view.phase == CallPhase::Active || active.view.caller == me;
                let peer = active.peers.entry(from).or_insert(Peer { device: None, state: MemberState::Invited });
                peer.device = Some(device);
                peer.state = MemberState::Joining;
                if active.view.phase == CallPhase::Calling {
                    active.view.phase = CallPhase::Active;
                    active.view.answered_at = Some(now);
                }
                if joined_here {
                    active.engine(EngineOp::Connect { peer: from, offer: true }, &mut out);
                }
                out.push(active.publish());
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
                active.end_if_alone(end, &mut out);
            }
            CallSignal::Cancel => {
                if active.view.phase == CallPhase::Incoming {
                    active.finish(CallEnd::Cancelled, &mut out);
                }
            }
            CallSignal::Hangup => {
                active.engine(EngineOp::Disconnect { peer: from }, &mut out);
                if let Some(p) = active.peers.get_mut(&from) {
                    p.state = MemberState::Left;
                }
                active.end_if_alone(CallEnd::Completed, &mut out);
            }
            CallSignal::Offer { sdp } => active.hand_to_engine(from, device, PeerSignal::Offer(sdp), &mut out),
            CallSignal::Answer { sdp } => active.hand_to_engine(from, device, PeerSignal::Answer(sdp), &mut out),
            CallSignal::Ice { candidate, sdp_mid, sdp_mline_index } => {
                let signal = PeerSignal::Ice { candidate, sdp_mid, sdp_mline_index };
                active.hand_to_engine(from, device, signal, &mut out)
            }
        }
        out
    }

    /// The server refused one of this device's signals for `call_id`.
    pub(crate) fn refused(&mut self, call_id: &str, code: ErrorCode) -> Step {
        let mut out = Vec::new();
        if let Some(active) = self.live_call(call_id).filter(|a| a.view.phase == CallPhase::Calling) {
            // The invite itself was refused (not friends, blocked…).
            if matches!(
                code,
                ErrorCode::InvalidCallSignal | ErrorCode::NotAMember | ErrorCode::Blocked | ErrorCode::NotFriends
            ) {
                active.finish(CallEnd::Failed, &mut out);
            }
        }
        out
    }

    /// What the engine of `call_id` reports.
    pub(crate) fn engine_report(&mut self, call_id: &str, report: EngineReport) -> Step {
        let Some(active) = self.live_call(call_id) else { return Vec::new() };
        let mut out = Vec::new();
        match report {
            EngineReport::Signal { peer, signal } => {
                let device = active.peers.get(&peer).and_then(|p| p.device);
                let signal = match signal {
                    PeerSignal::Offer(sdp) => CallSignal::Offer { sdp },
                    PeerSignal::Answer(sdp) => CallSignal::Answer { sdp },
                    PeerSignal::Ice { candidate, sdp_mid, sdp_mline_index } => {
                        CallSignal::Ice { candidate, sdp_mid, sdp_mline_index }
                    }
                };
                out.push(active.send(peer, device, signal));
            }
            EngineReport::PeerState { peer, state } => {
                let Some(p) = active.peers.get_mut(&peer) else { return out };
                match state {
                    PeerState::Connected => p.state = MemberState::Connected,
                    PeerState::Failed => {
                        let device = p.device;
                        p.state = MemberState::Left;
                        out.push(active.send(peer, device, CallSignal::Hangup));
                        active.engine(EngineOp::Disconnect { peer }, &mut out);
                        active.end_if_alone(CallEnd::Failed, &mut out);
                        return out;
                    }
                    PeerState::Connecting | PeerState::Disconnected | PeerState::Closed => {}
                }
                out.push(active.publish());
            }
            EngineReport::DeviceFailed { message } => {
                active.view.device_problem = Some(message);
                out.push(active.publish());
            }
        }
        out
    }

    /// The engine's figures per peer (about once a second).
    pub(crate) fn stats(&mut self, stats: &[LinkStats]) -> Step {
        let Some(active) = self.live().filter(|a| a.view.phase == CallPhase::Active) else { return Vec::new() };
        let mut changed = false;
        for member in &mut active.view.members {
            if let Some(s) = stats.iter().find(|s| s.peer == member.user_id) {
                if member.quality != Some(s.quality) || member.video != s.receiving_video {
                    member.quality = Some(s.quality);
                    member.video = s.receiving_video;
                    changed = true;
                }
            }
        }
        if changed { vec![active.emit()] } else { Vec::new() }
    }

    /// Whether the current call's engine runs (statistics are worth asking).
    pub(crate) fn engine_running(&self) -> bool {
        self.current.as_ref().is_some_and(|a| a.view.phase == CallPhase::Active && matches!(a.engine, Engine::Running))
    }

    fn ringing(&mut self, call_id: &str) -> ClientResult<&mut Active> {
        self.live_call(call_id).filter(|a| a.view.phase == CallPhase::Incoming).ok_or_else(|| ClientError::Call {
            code: ClientCode::NoCall,
            message: "that call is not ringing here".into(),
        })
    }
}

impl Active {
    fn send(&self, to: UserId, device: Option<SessionId>, signal: CallSignal) -> Effect {
        let (call_id, conversation_id) = (self.view.call_id.clone(), self.view.conversation_id);
        Effect::Send { call_id, conversation_id, to, device, signal }
    }

    /// Hands `op` to the engine, or keeps it until the engine runs; without
    /// an engine (ringing here) there is nothing to do.
    fn engine(&mut self, op: EngineOp, out: &mut Step) {
        match &mut self.engine {
            Engine::Off => {}
            Engine::Starting(waiting) => waiting.push(op),
            Engine::Running => out.push(Effect::Engine(op)),
        }
    }

    /// A peer's offer, answer or ICE candidate for the engine.
    fn hand_to_engine(&mut self, from: UserId, device: SessionId, signal: PeerSignal, out: &mut Step) {
        if matches!(self.engine, Engine::Off) {
            return;
        }
        let peer = self.peers.entry(from).or_insert(Peer { device: None, state: MemberState::Joining });
        peer.device = Some(device);
        if peer.state != MemberState::Connected {
            peer.state = MemberState::Joining;
        }
        self.engine(EngineOp::Signal { peer: from, signal }, out);
    }

    /// Tells the others this device leaves, and how the call ends for it.
    fn leave(&self, out: &mut Step) -> CallEnd {
        match self.view.phase {
            CallPhase::Incoming => {
                out.push(self.send(self.view.caller, self.inviter_device, CallSignal::Decline));
                CallEnd::Declined
            }
            CallPhase::Calling => {
                // One cancel reaches everyone rung.
                if let Some((&user, _)) = self.peers.iter().find(|(_, p)| p.state != MemberState::Left) {
                    out.push(self.send(user, None, CallSignal::Cancel));
                }
                CallEnd::Cancelled
            }
            CallPhase::Active | CallPhase::Ended => {
                for (&user, p) in &self.peers {
                    if matches!(p.state, MemberState::Joining | MemberState::Connected) {
                        out.push(self.send(user, p.device, CallSignal::Hangup));
                    }
                }
                CallEnd::Completed
            }
        }
    }

    /// Ends the call when nobody else is in it or still ringing (in a group
    /// call; a one-to-one call ends with the other side).
    fn end_if_alone(&mut self, end: CallEnd, out: &mut Step) {
        let someone_left = self.peers.values().any(|p| p.state != MemberState::Left);
        if !someone_left || !self.group {
            let end = if self.view.answered_at.is_some() && end != CallEnd::Failed { CallEnd::Completed } else { end };
            self.finish(end, out);
        } else {
            out.push(self.publish());
        }
    }

    fn finish(&mut self, end: CallEnd, out: &mut Step) {
        self.view.phase = CallPhase::Ended;
        self.view.end = Some(end);
        for p in self.peers.values_mut() {
            p.state = MemberState::Left;
        }
        if matches!(std::mem::replace(&mut self.engine, Engine::Off), Engine::Running) {
            out.push(Effect::CloseEngine);
        }
        out.push(self.publish());
    }

    /// The members from the peers (keeping what the statistics said), as a
    /// newer revision.
    fn publish(&mut self) -> Effect {
        let members = self
            .peers
            .iter()
            .map(|(&user_id, p)| {
                let old = self.view.members.iter().find(|m| m.user_id == user_id);
                CallMember {
                    user_id,
                    state: p.state,
                    quality: old.and_then(|m| m.quality),
                    video: old.is_some_and(|m| m.video),
                }
            })
            .collect();
        self.view.members = members;
        self.emit()
    }

    fn emit(&mut self) -> Effect {
        self.view.revision = self.view.revision.wrapping_add(1);
        Effect::Publish(self.view.clone())
    }
}

fn no_call() -> ClientError {
    ClientError::Call { code: ClientCode::NoCall, message: "there is no call in progress".into() }
}
