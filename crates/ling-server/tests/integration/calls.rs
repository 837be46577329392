use ling_proto::ErrorCode;
use ling_proto::groups::Group;
use ling_proto::messages::{CallMedia, CallOutcome, MessageContent};
use ling_proto::ws::{CallSignal, ClientFrame, ServerFrame};

use crate::common::*;

fn call(conv: i64, to: i64, signal: CallSignal) -> ClientFrame {
    ClientFrame::Call { call_id: "call-1".into(), conversation_id: conv, to_user: to, to_device: None, signal }
}

fn call_error(f: &ServerFrame) -> Option<(ErrorCode, Option<String>)> {
    match f {
        ServerFrame::Error { code, call_id, .. } => Some((*code, call_id.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn test_an_invite_rings_every_device_and_the_answer_reaches_the_caller_and_silences_the_rest() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let bob_phone = server.login("bob", "password1").await.unwrap();
    let mut a = alice.ws().await;
    let mut b1 = bob.ws().await;
    let mut b2 = bob_phone.ws().await;

    a.send(&call(conv, bob.id(), CallSignal::Invite { media: CallMedia::Video })).await;
    for b in [&mut b1, &mut b2] {
        match b.recv_until(|f| matches!(f, ServerFrame::Call { .. })).await {
            ServerFrame::Call { call_id, from_user, from_device, signal, .. } => {
                assert_eq!((call_id.as_str(), from_user, from_device), ("call-1", alice.id(), alice.session_id));
                assert_eq!(signal, CallSignal::Invite { media: CallMedia::Video });
            }
            _ => unreachable!(),
        }
    }
    // Bob answers on his phone: Alice hears it; his laptop stops ringing.
    b2.send(&ClientFrame::Call {
        call_id: "call-1".into(),
        conversation_id: conv,
        to_user: alice.id(),
        to_device: Some(alice.session_id),
        signal: CallSignal::Accept,
    })
    .await;
    for ws in [&mut a, &mut b1] {
        match ws.recv_until(|f| matches!(f, ServerFrame::Call { .. })).await {
            ServerFrame::Call { signal, from_device, .. } => {
                assert_eq!((signal, from_device), (CallSignal::Accept, bob_phone.session_id))
            }
            _ => unreachable!(),
        }
    }
    // SDP and ICE go device to device.
    a.send(&ClientFrame::Call {
        call_id: "call-1".into(),
        conversation_id: conv,
        to_user: bob.id(),
        to_device: Some(bob_phone.session_id),
        signal: CallSignal::Offer { sdp: "v=0 offer".into() },
    })
    .await;
    match b2.recv_until(|f| matches!(f, ServerFrame::Call { .. })).await {
        ServerFrame::Call { signal, .. } => assert_eq!(signal, CallSignal::Offer { sdp: "v=0 offer".into() }),
        _ => unreachable!(),
    }
    b2.send(&ClientFrame::Call {
        call_id: "call-1".into(),
        conversation_id: conv,
        to_user: alice.id(),
        to_device: Some(alice.session_id),
        signal: CallSignal::Ice {
            candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        },
    })
    .await;
    assert!(matches!(
        a.recv_until(|f| matches!(f, ServerFrame::Call { .. })).await,
        ServerFrame::Call { signal: CallSignal::Ice { .. }, .. }
    ));
    b1.expect_silence(std::time::Duration::from_millis(200)).await;
}

#[tokio::test]
async fn test_strangers_ex_friends_and_blocked_users_cannot_signal() {
    let server = TestServer::start().await;
    let (alice, bob, eve) = (server.user("alice").await, server.user("bob").await, server.user("eve").await);
    let conv = befriend(&alice, &bob).await;
    let mut b = bob.ws().await;
    let mut e = eve.ws().await;

    e.send(&call(conv, bob.id(), CallSignal::Invite { media: CallMedia::Audio })).await;
    assert_eq!(call_error(&e.recv().await), Some((ErrorCode::NotAMember, Some("call-1".into()))));

    let _: Empty = alice.put(&format!("/v1/blocks/{}", bob.id()), &serde_json::json!({})).await.unwrap();
    b.send(&call(conv, alice.id(), CallSignal::Invite { media: CallMedia::Audio })).await;
    assert_eq!(
        call_error(&b.recv_until(|f| matches!(f, ServerFrame::Error { .. })).await).map(|e| e.0),
        Some(ErrorCode::Blocked)
    );
    alice.delete(&format!("/v1/blocks/{}", bob.id())).await.unwrap();

    alice.delete(&format!("/v1/friends/{}", bob.id())).await.unwrap();
    b.send(&call(conv, alice.id(), CallSignal::Invite { media: CallMedia::Audio })).await;
    assert_eq!(
        call_error(&b.recv_until(|f| matches!(f, ServerFrame::Error { .. })).await).map(|e| e.0),
        Some(ErrorCode::NotFriends)
    );

    b.send(&ClientFrame::Call {
        call_id: "bad id!".into(),
        conversation_id: conv,
        to_user: alice.id(),
        to_device: None,
        signal: CallSignal::Hangup,
    })
    .await;
    assert_eq!(
        call_error(&b.recv_until(|f| matches!(f, ServerFrame::Error { .. })).await).map(|e| e.0),
        Some(ErrorCode::InvalidCallSignal)
    );
    b.send(&call(conv, bob.id(), CallSignal::Hangup)).await;
    assert_eq!(
        call_error(&b.recv_until(|f| matches!(f, ServerFrame::Error { .. })).await).map(|e| e.0),
        Some(ErrorCode::InvalidTarget)
    );
}

#[tokio::test]
async fn test_group_members_signal_each_other_but_not_outsiders() {
    let server = TestServer::start().await;
    let (alice, bob, carol, dave) =
        (server.user("alice").await, server.user("bob").await, server.user("carol").await, server.user("dave").await);
    befriend(&alice, &bob).await;
    befriend(&alice, &carol).await;
    befriend(&alice, &dave).await;
    let g: Group = alice
        .post("/v1/groups", &serde_json::json!({"name": "g", "member_ids": [bob.id(), carol.id()]}))
        .await
        .unwrap();
    let mut b = bob.ws().await;
    let mut c = carol.ws().await;
    b.send(&call(g.conversation_id, carol.id(), CallSignal::Invite { media: CallMedia::Audio })).await;
    assert!(
        matches!(c.recv_until(|f| matches!(f, ServerFrame::Call { .. })).await, ServerFrame::Call { from_user, .. } if from_user == bob.id())
    );
    b.send(&call(g.conversation_id, dave.id(), CallSignal::Invite { media: CallMedia::Audio })).await;
    assert_eq!(
        call_error(&b.recv_until(|f| matches!(f, ServerFrame::Error { .. })).await).map(|e| e.0),
        Some(ErrorCode::NotAMember)
    );
}

fn signal_to(id: &str, conv: i64, to: i64, signal: CallSignal) -> ClientFrame {
    ClientFrame::Call { call_id: id.into(), conversation_id: conv, to_user: to, to_device: None, signal }
}

/// Waits for the next `call` frame with `signal`; returns who it is from
/// and from which device.
async fn expect_signal(ws: &mut Ws, id: &str, want: CallSignal) -> (i64, i64) {
    match ws
        .recv_until(|f| matches!(f, ServerFrame::Call { call_id, signal, .. } if call_id == id && *signal == want))
        .await
    {
        ServerFrame::Call { from_user, from_device, .. } => (from_user, from_device),
        _ => unreachable!(),
    }
}

/// Waits for the next call record; returns its outcome, duration and sender.
async fn expect_record(ws: &mut Ws) -> (CallOutcome, u64, i64) {
    let is_record = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if matches!(message.content, MessageContent::CallRecord { .. }));
    match ws.recv_until(is_record).await {
        ServerFrame::Message { message } => match message.content {
            MessageContent::CallRecord { outcome, duration_ms, .. } => (outcome, duration_ms, message.sender_id),
            _ => unreachable!(),
        },
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn test_each_call_ends_in_a_record_completed_declined_missed_busy_or_cancelled() {
    let server = TestServer::start_with(|c| c.ring_secs = 1).await;
    let (alice, bob, carol) = (server.user("alice").await, server.user("bob").await, server.user("carol").await);
    let ab = befriend(&alice, &bob).await;
    let cb = befriend(&carol, &bob).await;
    let mut a = alice.ws().await;
    let mut b = bob.ws().await;
    let mut c = carol.ws().await;
    let video = CallSignal::Invite { media: CallMedia::Video };

    // Answered, talked, hung up: completed, with the talk time.
    a.send(&signal_to("c1", ab, bob.id(), video.clone())).await;
    expect_signal(&mut b, "c1", video.clone()).await;
    b.send(&signal_to("c1", ab, alice.id(), CallSignal::Accept)).await;
    expect_signal(&mut a, "c1", CallSignal::Accept).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    a.send(&signal_to("c1", ab, bob.id(), CallSignal::Hangup)).await;
    expect_signal(&mut b, "c1", CallSignal::Hangup).await;
    let (outcome, duration, sender) = expect_record(&mut b).await;
    assert_eq!((outcome, sender), (CallOutcome::Completed, alice.id()));
    assert!((250..5_000).contains(&duration), "{duration} ms");
    assert_eq!(expect_record(&mut a).await.0, CallOutcome::Completed);

    // Declined.
    // (Each answer waits for its invite: the two arrive on different
    // connections, and an answer to a call not yet known is refused.)
    a.send(&signal_to("c2", ab, bob.id(), video.clone())).await;
    expect_signal(&mut b, "c2", video.clone()).await;
    b.send(&signal_to("c2", ab, alice.id(), CallSignal::Decline)).await;
    expect_signal(&mut a, "c2", CallSignal::Decline).await;
    assert_eq!(expect_record(&mut a).await, (CallOutcome::Declined, 0, alice.id()));

    // Nobody answers within the ringing time (1 s here): Bob's devices stop
    // ringing, Alice hears "no answer", and it is a missed call.
    a.send(&signal_to("c3", ab, bob.id(), CallSignal::Invite { media: CallMedia::Audio })).await;
    assert_eq!(expect_signal(&mut b, "c3", CallSignal::Cancel).await, (alice.id(), 0));
    assert_eq!(expect_signal(&mut a, "c3", CallSignal::NoAnswer).await, (bob.id(), 0));
    assert_eq!(expect_record(&mut b).await.0, CallOutcome::Missed);

    // Bob is in a call with Alice: Carol hears "busy" from him, his devices
    // do not ring, and her conversation with him says so.
    a.send(&signal_to("c4", ab, bob.id(), video.clone())).await;
    expect_signal(&mut b, "c4", video.clone()).await;
    b.send(&signal_to("c4", ab, alice.id(), CallSignal::Accept)).await;
    expect_signal(&mut a, "c4", CallSignal::Accept).await;
    c.send(&signal_to("c5", cb, bob.id(), video.clone())).await;
    assert_eq!(expect_signal(&mut c, "c5", CallSignal::Busy).await, (bob.id(), 0));
    let record = c.recv_until(|f| matches!(f, ServerFrame::Message { message } if message.conversation_id == cb)).await;
    assert!(
        matches!(record, ServerFrame::Message { message } if matches!(message.content, MessageContent::CallRecord { outcome: CallOutcome::Busy, .. }))
    );

    // Bob's only device goes away mid-call: Alice hears him hang up, and
    // the call is recorded.
    drop(b);
    assert_eq!(expect_signal(&mut a, "c4", CallSignal::Hangup).await, (bob.id(), 0));
    assert_eq!(expect_record(&mut a).await.0, CallOutcome::Completed);

    // Cancelled before an answer.
    let mut b = bob.ws().await;
    a.send(&signal_to("c6", ab, bob.id(), video.clone())).await;
    expect_signal(&mut b, "c6", video.clone()).await;
    a.send(&signal_to("c6", ab, bob.id(), CallSignal::Cancel)).await;
    expect_signal(&mut b, "c6", CallSignal::Cancel).await;
    assert_eq!(expect_record(&mut b).await.0, CallOutcome::Cancelled);

    // Signals that make no sense in a call's state are refused.
    for bad in [CallSignal::Accept, CallSignal::NoAnswer, CallSignal::Offer { sdp: "v=0".into() }] {
        b.send(&signal_to("c9", ab, alice.id(), bad)).await;
        let refused = b.recv_until(|f| matches!(f, ServerFrame::Error { .. })).await;
        assert_eq!(call_error(&refused), Some((ErrorCode::InvalidCallSignal, Some("c9".into()))));
    }
    // The records are in the history for later, in order.
    let history: serde_json::Value = alice.get(&format!("/v1/conversations/{ab}/messages?count=50")).await.unwrap();
    let outcomes: Vec<&str> =
        history["messages"].as_array().unwrap().iter().filter_map(|m| m["content"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["completed", "declined", "missed", "completed", "cancelled"]);
}
