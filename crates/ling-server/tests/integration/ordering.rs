//! Live delivery keeps each conversation's order: every member's connection
//! sees a conversation's seqs one after another, with the sender's own acks
//! in their place, however many senders pipeline at once.

use futures_util::future::join_all;
use ling_proto::messages::MessageContent;
use ling_proto::ws::{ClientFrame, ServerFrame};

use crate::common::*;

/// Sends pipelined on each connection, without waiting for acks.
const SENDS: usize = 150;

fn text_frame(conversation_id: i64, i: usize) -> ClientFrame {
    ClientFrame::Send {
        client_msg_id: new_id(),
        conversation_id,
        content: MessageContent::text(format!("m{i}")),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    }
}

/// What one connection saw of a conversation, in arrival order: the seq of
/// each `message` frame and of each of its own acks.
async fn seen(ws: &mut Ws, conversation: i64, own: usize, others: usize) -> Vec<i64> {
    let (mut acks, mut messages, mut seqs) = (0, 0, Vec::new());
    while acks < own || messages < others {
        match ws.recv().await {
            ServerFrame::Ack(a) if a.conversation_id == conversation => {
                acks += 1;
                seqs.push(a.seq);
            }
            ServerFrame::Message { message } if message.conversation_id == conversation => {
                messages += 1;
                seqs.push(message.seq);
            }
            ServerFrame::Error { code, message, .. } => panic!("refused: {code:?} {message}"),
            _ => {}
        }
    }
    seqs
}

/// Asserts `seqs` run one after another with nothing missing or repeated.
fn assert_consecutive(who: &str, seqs: &[i64]) {
    let out_of_order: Vec<(i64, i64)> = seqs.windows(2).filter(|w| w[1] != w[0] + 1).map(|w| (w[0], w[1])).collect();
    assert!(
        out_of_order.is_empty(),
        "{who}: {} jumps, first {:?}",
        out_of_order.len(),
        &out_of_order[..3.min(out_of_order.len())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_many_pipelining_senders_in_one_group_reach_every_member_in_seq_order() {
    let server = TestServer::start().await;
    let owner = server.user("owner").await;
    let mut people = vec![owner.clone()];
    for i in 0..7 {
        let p = server.user(&format!("member{i}")).await;
        befriend(&owner, &p).await;
        people.push(p);
    }
    let ids: Vec<i64> = people[1..].iter().map(|p| p.id()).collect();
    let group: ling_proto::groups::Group =
        owner.post("/v1/groups", &serde_json::json!({"name": "load", "member_ids": ids})).await.unwrap();
    let conv = group.conversation_id;
    let mut conns = Vec::new();
    for p in &people {
        conns.push(p.ws().await);
    }
    for ws in &mut conns {
        for i in 0..SENDS {
            ws.send(&text_frame(conv, i)).await;
        }
    }
    let n = people.len();
    let seen_by = join_all(conns.iter_mut().map(|ws| seen(ws, conv, SENDS, SENDS * (n - 1)))).await;
    for (p, seqs) in people.iter().zip(&seen_by) {
        assert_eq!(seqs.len(), SENDS * n);
        assert_consecutive(&p.me.as_ref().unwrap().username, seqs);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_pairs_sending_both_ways_at_once_each_see_their_conversation_in_seq_order() {
    let server = TestServer::start().await;
    let mut pairs = Vec::new();
    for i in 0..12 {
        let (a, b) = (server.user(&format!("pair{i}a")).await, server.user(&format!("pair{i}b")).await);
        let conv = befriend(&a, &b).await;
        pairs.push((conv, a.ws().await, b.ws().await));
    }
    for (conv, a, b) in &mut pairs {
        for i in 0..SENDS {
            a.send(&text_frame(*conv, i)).await;
            b.send(&text_frame(*conv, i)).await;
        }
    }
    let checks = pairs.iter_mut().map(|(conv, a, b)| async move {
        let (sa, sb) = tokio::join!(seen(a, *conv, SENDS, SENDS), seen(b, *conv, SENDS, SENDS));
        (*conv, sa, sb)
    });
    for (conv, sa, sb) in join_all(checks).await {
        assert_consecutive(&format!("a in {conv}"), &sa);
        assert_consecutive(&format!("b in {conv}"), &sb);
    }
}

#[tokio::test]
async fn test_the_sending_connection_gets_the_ack_and_the_senders_other_devices_the_message() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let mut phone = alice.ws().await;
    let mut laptop = server.login("alice", "password1").await.unwrap().ws().await;
    let mut b = bob.ws().await;
    phone.send(&text_frame(conv, 0)).await;
    let ack = match phone.recv_until(|f| matches!(f, ServerFrame::Ack(_) | ServerFrame::Message { .. })).await {
        ServerFrame::Ack(ack) => ack,
        other => panic!("the sending connection gets the ack first, got {other:?}"),
    };
    assert_eq!(next_message_seq(&mut laptop).await, ack.seq);
    assert_eq!(next_message_seq(&mut b).await, ack.seq);
    // Nothing else comes to the phone for that send: the next frame answers a ping.
    phone.send(&ClientFrame::Ping { nonce: 7 }).await;
    loop {
        match phone.recv().await {
            ServerFrame::Pong { nonce: 7 } => break,
            ServerFrame::Message { message } => panic!("an echo of its own message: {message:?}"),
            _ => {}
        }
    }
}

async fn next_message_seq(ws: &mut Ws) -> i64 {
    match ws.recv_until(|f| matches!(f, ServerFrame::Message { .. })).await {
        ServerFrame::Message { message } => message.seq,
        _ => unreachable!(),
    }
}
