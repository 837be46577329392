//! Every transition of the call machine, with no server, no engine and a
//! clock that is a number.

use ling_call::{PeerSignal, PeerState};
use ling_proto::ErrorCode;
use ling_proto::messages::CallMedia;
use ling_proto::ws::CallSignal;

use super::*;

const ME: UserId = 1;
const BOB: UserId = 2;
const CAROL: UserId = 3;
const MY_OTHER_DEVICE: SessionId = 11;
const BOBS_PHONE: SessionId = 20;
const CAROLS_LAPTOP: SessionId = 30;
const CONV: ConversationId = 100;
const T0: Millis = 1_700_000_000_000;

fn placing(others: Vec<UserId>, group: bool, media: CallMedia) -> Placing {
    Placing { call_id: "c1".into(), conversation_id: CONV, media, others, group }
}

/// The view the step published last.
fn published(step: &Step) -> CallView {
    step.iter()
        .rev()
        .find_map(|e| match e {
            Effect::Publish(v) => Some(v.clone()),
            _ => None,
        })
        .expect("the step published a view")
}

/// The signals the step sends, as (to, device, signal).
fn sent(step: &Step) -> Vec<(UserId, Option<SessionId>, CallSignal)> {
    step.iter()
        .filter_map(|e| match e {
            Effect::Send { to, device, signal, .. } => Some((*to, *device, signal.clone())),
            _ => None,
        })
        .collect()
}

fn engine_ops(step: &Step) -> Vec<EngineOp> {
    step.iter()
        .filter_map(|e| match e {
            Effect::Engine(op) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

fn member(view: &CallView, user: UserId) -> MemberState {
    view.members.iter().find(|m| m.user_id == user).expect("a member").state
}

fn signaled(
    call_id: &str,
    conversation_id: ConversationId,
    from: UserId,
    device: SessionId,
    signal: CallSignal,
) -> PeerSignaled {
    PeerSignaled { call_id: call_id.into(), conversation_id, from, device, signal }
}

fn from(machine: &mut CallMachine, user: UserId, device: SessionId, signal: CallSignal) -> Step {
    machine.signal(signaled("c1", CONV, user, device, signal), false, T0 + 5_000)
}

/// Me calling Bob, his phone answered, the engine running.
fn in_a_call_with_bob() -> CallMachine {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
    m.engine_started("c1", false, None);
    from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept);
    m
}

/// Bob calling me, ringing here.
fn rung_by_bob(group: bool) -> CallMachine {
    let mut m = CallMachine::new(ME);
    m.signal(signaled("c1", CONV, BOB, BOBS_PHONE, CallSignal::Invite { media: CallMedia::Video }), group, T0);
    m
}

#[test]
fn placing_a_call_rings_everyone_and_starts_the_engine_for_the_self_view() {
    let mut m = CallMachine::new(ME);
    let step = m.place(placing(vec![BOB, CAROL], true, CallMedia::Video)).unwrap();
    let invite = CallSignal::Invite { media: CallMedia::Video };
    assert_eq!(sent(&step), vec![(BOB, None, invite.clone()), (CAROL, None, invite)]);
    assert!(step.contains(&Effect::StartEngine { call_id: "c1".into(), video: true }));
    let view = published(&step);
    assert_eq!((view.phase, view.caller, view.camera_on, view.revision), (CallPhase::Calling, ME, true, 1));
    assert_eq!((member(&view, BOB), member(&view, CAROL)), (MemberState::Invited, MemberState::Invited));
}

#[test]
fn a_call_needs_someone_else_at_most_six_people_and_no_call_in_progress() {
    let mut m = CallMachine::new(ME);
    let nobody = m.place(placing(vec![], false, CallMedia::Audio)).unwrap_err();
    assert_eq!(nobody.code(), "invalid_input");
    let crowd = m.place(placing((2..8).collect(), true, CallMedia::Audio)).unwrap_err();
    assert_eq!(crowd.code(), "call_too_large");
    m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
    assert_eq!(m.place(placing(vec![CAROL], false, CallMedia::Audio)).unwrap_err().code(), "invalid_input");
    // Once it is over, another may be placed.
    m.hang_up().unwrap();
    assert!(m.place(placing(vec![CAROL], false, CallMedia::Audio)).is_ok());
}

#[test]
fn ringing_shows_once_for_an_invited_member() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
    let step = from(&mut m, BOB, BOBS_PHONE, CallSignal::Ringing);
    assert_eq!(member(&published(&step), BOB), MemberState::Ringing);
    assert_eq!(from(&mut m, BOB, BOBS_PHONE, CallSignal::Ringing), vec![], "already ringing");
}

#[test]
fn an_answer_before_the_engine_runs_connects_once_it_does() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
    let step = from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept);
    assert_eq!(engine_ops(&step), vec![], "no engine yet");
    let view = published(&step);
    assert_eq!(
        (view.phase, view.answered_at, member(&view, BOB)),
        (CallPhase::Active, Some(T0 + 5_000), MemberState::Joining)
    );
    let (keep, step) = m.engine_started("c1", false, None);
    assert!(keep);
    assert_eq!(step[0], Effect::Engine(EngineOp::Connect { peer: BOB, offer: true }));
    assert!(matches!(step.last(), Some(Effect::Publish(_))));
}

#[test]
fn an_answer_with_the_engine_running_connects_at_once_to_the_answering_device() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB, CAROL], true, CallMedia::Audio)).unwrap();
    m.engine_started("c1", false, None);
    let step = from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept);
    assert_eq!(engine_ops(&step), vec![EngineOp::Connect { peer: BOB, offer: true }]);
    // What the engine says for Bob goes to the device that answered.
    let offer = m.engine_report("c1", EngineReport::Signal { peer: BOB, signal: PeerSignal::Offer("sdp".into()) });
    assert_eq!(sent(&offer), vec![(BOB, Some(BOBS_PHONE), CallSignal::Offer { sdp: "sdp".into() })]);
}

#[test]
fn an_invite_rings_here_and_says_so_to_the_calling_device() {
    let mut m = CallMachine::new(ME);
    let step =
        m.signal(signaled("c1", CONV, BOB, BOBS_PHONE, CallSignal::Invite { media: CallMedia::Video }), false, T0);
    assert_eq!(sent(&step), vec![(BOB, Some(BOBS_PHONE), CallSignal::Ringing)]);
    let view = published(&step);
    assert_eq!((view.phase, view.caller, member(&view, BOB)), (CallPhase::Incoming, BOB, MemberState::Joining));
    assert!(!step.iter().any(|e| matches!(e, Effect::StartEngine { .. })), "no capture while it rings");
    // The same invite again (another of Bob's devices, a retry) changes nothing.
    assert_eq!(from(&mut m, BOB, BOBS_PHONE, CallSignal::Invite { media: CallMedia::Video }), vec![]);
}

#[test]
fn an_invite_while_in_another_call_is_answered_busy() {
    let mut m = in_a_call_with_bob();
    let step =
        m.signal(signaled("c2", 200, CAROL, CAROLS_LAPTOP, CallSignal::Invite { media: CallMedia::Audio }), false, T0);
    let busy = Effect::Send {
        call_id: "c2".into(),
        conversation_id: 200,
        to: CAROL,
        device: Some(CAROLS_LAPTOP),
        signal: CallSignal::Busy,
    };
    assert_eq!(step, vec![busy]);
    assert_eq!(m.view().unwrap().call_id, "c1");
}

#[test]
fn answering_tells_the_inviting_device_and_starts_the_engine() {
    let mut m = rung_by_bob(false);
    assert_eq!(m.accept("other", T0).unwrap_err().code(), "no_call");
    let step = m.accept("c1", T0 + 2_000).unwrap();
    assert_eq!(sent(&step), vec![(BOB, Some(BOBS_PHONE), CallSignal::Accept)]);
    assert!(step.contains(&Effect::StartEngine { call_id: "c1".into(), video: true }));
    let view = published(&step);
    assert_eq!((view.phase, view.answered_at), (CallPhase::Active, Some(T0 + 2_000)));
    assert_eq!(m.accept("c1", T0).unwrap_err().code(), "no_call", "no longer ringing");
}

#[test]
fn an_offer_before_the_engine_runs_waits_for_it_in_order() {
    let mut m = rung_by_bob(false);
    m.accept("c1", T0).unwrap();
    let offer = CallSignal::Offer { sdp: "offer".into() };
    let ice = CallSignal::Ice { candidate: "cand".into(), sdp_mid: Some("0".into()), sdp_mline_index: Some(0) };
    assert_eq!(engine_ops(&from(&mut m, BOB, BOBS_PHONE, offer)), vec![]);
    assert_eq!(engine_ops(&from(&mut m, BOB, BOBS_PHONE, ice)), vec![]);
    let (_, step) = m.engine_started("c1", true, None);
    assert_eq!(
        engine_ops(&step),
        vec![
            EngineOp::Signal { peer: BOB, signal: PeerSignal::Offer("offer".into()) },
            EngineOp::Signal {
                peer: BOB,
                signal: PeerSignal::Ice {
                    candidate: "cand".into(),
                    sdp_mid: Some("0".into()),
                    sdp_mline_index: Some(0)
                }
            },
        ]
    );
}

#[test]
fn media_signals_for_a_call_only_ringing_here_are_ignored() {
    let mut m = rung_by_bob(false);
    assert_eq!(from(&mut m, BOB, BOBS_PHONE, CallSignal::Offer { sdp: "early".into() }), vec![]);
}

#[test]
fn declining_tells_the_inviting_device_and_ends_here() {
    let mut m = rung_by_bob(false);
    let step = m.decline("c1").unwrap();
    assert_eq!(sent(&step), vec![(BOB, Some(BOBS_PHONE), CallSignal::Decline)]);
    assert!(!step.contains(&Effect::CloseEngine), "there was no engine");
    let view = published(&step);
    assert_eq!(
        (view.phase, view.end, member(&view, BOB)),
        (CallPhase::Ended, Some(CallEnd::Declined), MemberState::Left)
    );
    assert_eq!(m.decline("c1").unwrap_err().code(), "no_call");
}

#[test]
fn hanging_up_while_it_rings_here_declines() {
    let mut m = rung_by_bob(false);
    let step = m.hang_up().unwrap();
    assert_eq!(sent(&step), vec![(BOB, Some(BOBS_PHONE), CallSignal::Decline)]);
    assert_eq!(published(&step).end, Some(CallEnd::Declined));
}

#[test]
fn hanging_up_before_an_answer_cancels_with_one_signal_for_all() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB, CAROL], true, CallMedia::Audio)).unwrap();
    let step = m.hang_up().unwrap();
    assert_eq!(sent(&step), vec![(BOB, None, CallSignal::Cancel)]);
    assert_eq!(published(&step).end, Some(CallEnd::Cancelled));
    assert!(!step.contains(&Effect::CloseEngine), "the engine never ran");
    // An engine that finishes starting for a call that is over is closed.
    assert_eq!(m.engine_started("c1", false, None), (false, vec![]));
    assert_eq!(m.hang_up().unwrap_err().code(), "no_call");
}

#[test]
fn hanging_up_a_call_tells_everyone_in_it_and_closes_the_engine() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB, CAROL], true, CallMedia::Audio)).unwrap();
    m.engine_started("c1", false, None);
    from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept);
    let step = m.hang_up().unwrap();
    // Carol never answered: only Bob is told.
    assert_eq!(sent(&step), vec![(BOB, Some(BOBS_PHONE), CallSignal::Hangup)]);
    assert!(step.contains(&Effect::CloseEngine));
    assert_eq!(published(&step).end, Some(CallEnd::Completed));
}

#[test]
fn my_other_device_answering_or_declining_ends_the_ringing_here() {
    let mut m = rung_by_bob(false);
    let step = from(&mut m, ME, MY_OTHER_DEVICE, CallSignal::Accept);
    assert_eq!(published(&step).end, Some(CallEnd::AnsweredElsewhere));
    let mut m = rung_by_bob(false);
    let step = from(&mut m, ME, MY_OTHER_DEVICE, CallSignal::Decline);
    assert_eq!(published(&step).end, Some(CallEnd::DeclinedElsewhere));
    // Once answered here, my other devices' signals change nothing.
    let mut m = rung_by_bob(false);
    m.accept("c1", T0).unwrap();
    assert_eq!(from(&mut m, ME, MY_OTHER_DEVICE, CallSignal::Accept), vec![]);
}

#[test]
fn a_one_to_one_call_ends_with_the_other_sides_no() {
    for (signal, end) in [
        (CallSignal::Decline, CallEnd::Declined),
        (CallSignal::Busy, CallEnd::Busy),
        (CallSignal::NoAnswer, CallEnd::NoAnswer),
    ] {
        let mut m = CallMachine::new(ME);
        m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
        let view = published(&from(&mut m, BOB, BOBS_PHONE, signal));
        assert_eq!((view.phase, view.end), (CallPhase::Ended, Some(end)));
    }
}

#[test]
fn a_group_call_goes_on_while_anyone_else_is_in_it_or_ringing() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB, CAROL], true, CallMedia::Audio)).unwrap();
    let step = from(&mut m, CAROL, CAROLS_LAPTOP, CallSignal::Decline);
    let view = published(&step);
    assert_eq!((view.phase, member(&view, CAROL)), (CallPhase::Calling, MemberState::Left));
    m.engine_started("c1", false, None);
    from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept);
    // Carol is rung again, then Bob leaves: Carol still rings, so it goes on.
    assert_eq!(m.invite(BOB).unwrap_err().code(), "invalid_input", "Bob is in it");
    let step = m.invite(CAROL).unwrap();
    assert_eq!(sent(&step), vec![(CAROL, None, CallSignal::Invite { media: CallMedia::Audio })]);
    let step = from(&mut m, BOB, BOBS_PHONE, CallSignal::Hangup);
    assert_eq!(engine_ops(&step), vec![EngineOp::Disconnect { peer: BOB }]);
    assert_eq!(published(&step).phase, CallPhase::Active);
    // Carol does not answer: nobody is left, and a call that was answered
    // ended as completed.
    let step = from(&mut m, CAROL, CAROLS_LAPTOP, CallSignal::NoAnswer);
    let view = published(&step);
    assert_eq!((view.phase, view.end), (CallPhase::Ended, Some(CallEnd::Completed)));
    assert!(step.contains(&Effect::CloseEngine));
}

#[test]
fn inviting_needs_a_call_that_is_placed_or_answered() {
    let mut m = CallMachine::new(ME);
    assert_eq!(m.invite(CAROL).unwrap_err().code(), "no_call");
    let mut m = rung_by_bob(true);
    assert_eq!(m.invite(CAROL).unwrap_err().code(), "no_call", "still ringing here");
}

#[test]
fn a_cancel_is_a_missed_call_only_while_it_rings() {
    let mut m = rung_by_bob(false);
    assert_eq!(published(&from(&mut m, BOB, BOBS_PHONE, CallSignal::Cancel)).end, Some(CallEnd::Cancelled));
    let mut m = rung_by_bob(false);
    m.accept("c1", T0).unwrap();
    assert_eq!(from(&mut m, BOB, BOBS_PHONE, CallSignal::Cancel), vec![]);
}

#[test]
fn the_other_side_hanging_up_ends_a_one_to_one_call() {
    let mut m = in_a_call_with_bob();
    let step = from(&mut m, BOB, BOBS_PHONE, CallSignal::Hangup);
    assert_eq!(engine_ops(&step), vec![EngineOp::Disconnect { peer: BOB }]);
    assert!(step.contains(&Effect::CloseEngine));
    assert_eq!(published(&step).end, Some(CallEnd::Completed));
    // Signals for a call that is over are ignored.
    assert_eq!(from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept), vec![]);
}

#[test]
fn a_connection_that_comes_up_shows_and_one_that_fails_ends_the_call() {
    let mut m = in_a_call_with_bob();
    let step = m.engine_report("c1", EngineReport::PeerState { peer: BOB, state: PeerState::Connected });
    assert_eq!(member(&published(&step), BOB), MemberState::Connected);
    let step = m.engine_report("c1", EngineReport::PeerState { peer: CAROL, state: PeerState::Connected });
    assert_eq!(step, vec![], "not a member");
    let step = m.engine_report("c1", EngineReport::PeerState { peer: BOB, state: PeerState::Failed });
    assert_eq!(sent(&step), vec![(BOB, Some(BOBS_PHONE), CallSignal::Hangup)]);
    assert_eq!(engine_ops(&step), vec![EngineOp::Disconnect { peer: BOB }]);
    assert_eq!(published(&step).end, Some(CallEnd::Failed));
    // Reports from an engine of another call are ignored.
    assert_eq!(m.engine_report("old", EngineReport::DeviceFailed { message: "x".into() }), vec![]);
}

#[test]
fn an_engine_that_cannot_start_ends_the_call_and_says_why() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
    let step = m.engine_failed("c1", "no sound device".into());
    assert_eq!(sent(&step), vec![(BOB, None, CallSignal::Cancel)]);
    let view = published(&step);
    assert_eq!((view.end, view.device_problem.as_deref()), (Some(CallEnd::Failed), Some("no sound device")));
    assert!(!step.contains(&Effect::CloseEngine));
    // Answered here, it tells the caller it hangs up.
    let mut m = rung_by_bob(false);
    m.accept("c1", T0).unwrap();
    assert_eq!(sent(&m.engine_failed("c1", "no".into())), vec![(BOB, Some(BOBS_PHONE), CallSignal::Hangup)]);
}

#[test]
fn mute_and_camera_chosen_while_the_engine_starts_reach_it_once_it_runs() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Video)).unwrap();
    assert!(m.set_muted(true).unwrap().iter().all(|e| matches!(e, Effect::Publish(_))));
    let view = published(&m.set_camera(false).unwrap());
    assert!(view.muted && !view.camera_on);
    let (_, step) = m.engine_started("c1", true, None);
    assert_eq!(engine_ops(&step), vec![EngineOp::Mute(true), EngineOp::Camera(false)]);
    assert!(!published(&step).camera_on, "the person's choice stands");
    // With the engine running they reach it at once.
    assert_eq!(engine_ops(&m.set_muted(false).unwrap()), vec![EngineOp::Mute(false)]);
    assert_eq!(engine_ops(&m.set_camera(true).unwrap()), vec![EngineOp::Camera(true)]);
}

#[test]
fn the_camera_is_on_when_it_opened_and_a_missing_device_is_said() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Video)).unwrap();
    let (_, step) = m.engine_started("c1", false, Some("no camera".into()));
    let view = published(&step);
    assert_eq!((view.camera_on, view.device_problem.as_deref()), (false, Some("no camera")));
    let view = published(&m.set_camera(true).unwrap());
    assert!(view.camera_on);
    // The driver could not open it after all.
    let view = published(&m.device_failed("the camera is busy".into(), true));
    assert_eq!((view.camera_on, view.device_problem.as_deref()), (false, Some("the camera is busy")));
}

#[test]
fn mute_and_camera_need_a_call() {
    let mut m = CallMachine::new(ME);
    assert_eq!(m.set_muted(true).unwrap_err().code(), "no_call");
    assert_eq!(m.set_camera(true).unwrap_err().code(), "no_call");
    assert_eq!(m.device_failed("x".into(), true), vec![]);
}

#[test]
fn a_refused_invite_fails_the_call_and_other_refusals_do_not() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap();
    assert_eq!(m.refused("c1", ErrorCode::RateLimited), vec![]);
    assert_eq!(m.refused("other", ErrorCode::NotFriends), vec![]);
    assert_eq!(published(&m.refused("c1", ErrorCode::NotFriends)).end, Some(CallEnd::Failed));
    // Once answered, a refusal does not end it.
    let mut m = in_a_call_with_bob();
    assert_eq!(m.refused("c1", ErrorCode::Blocked), vec![]);
}

#[test]
fn statistics_publish_only_what_changed_while_the_call_is_answered() {
    let mut m = CallMachine::new(ME);
    m.place(placing(vec![BOB], false, CallMedia::Video)).unwrap();
    m.engine_started("c1", true, None);
    let fair = [LinkStats { peer: BOB, quality: CallQuality::Fair, receiving_video: true }];
    assert!(!m.engine_running(), "not answered yet");
    assert_eq!(m.stats(&fair), vec![]);
    from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept);
    assert!(m.engine_running());
    let before = m.view().unwrap().revision;
    let view = published(&m.stats(&fair));
    let bob = view.members.iter().find(|x| x.user_id == BOB).unwrap();
    assert_eq!((bob.quality, bob.video, view.revision), (Some(CallQuality::Fair), true, before + 1));
    assert_eq!(m.stats(&fair), vec![], "nothing changed");
    // The figures stay with the member across later changes.
    let view = published(&m.engine_report("c1", EngineReport::PeerState { peer: BOB, state: PeerState::Connected }));
    assert_eq!(view.members[0].quality, Some(CallQuality::Fair));
}

#[test]
fn every_published_view_is_a_newer_revision() {
    let mut m = CallMachine::new(ME);
    let mut revisions = Vec::new();
    let mut record = |step: Step| {
        revisions.extend(step.iter().filter_map(|e| match e {
            Effect::Publish(v) => Some(v.revision),
            _ => None,
        }))
    };
    record(m.place(placing(vec![BOB], false, CallMedia::Audio)).unwrap());
    record(m.engine_started("c1", false, None).1);
    record(from(&mut m, BOB, BOBS_PHONE, CallSignal::Ringing));
    record(from(&mut m, BOB, BOBS_PHONE, CallSignal::Accept));
    record(m.set_muted(true).unwrap());
    record(m.hang_up().unwrap());
    assert_eq!(revisions, (1..=6).collect::<Vec<u32>>());
}
