use std::time::Duration;

use futures_util::StreamExt;
use ling_proto::ErrorCode;
use ling_proto::ws::{ClientFrame, ServerFrame, close};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::*;

fn error_code(f: &ServerFrame) -> Option<ErrorCode> {
    match f {
        ServerFrame::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn test_presence_goes_to_friends_when_the_first_device_connects_and_the_last_leaves() {
    let server = TestServer::start().await;
    let (alice, bob, stranger) = (server.user("alice").await, server.user("bob").await, server.user("stranger").await);
    befriend(&alice, &bob).await;
    let mut b = bob.ws().await;
    let mut s = stranger.ws().await;
    let a1 = alice.ws().await;
    match b.recv_until(|f| matches!(f, ServerFrame::Presence { .. })).await {
        ServerFrame::Presence { user_id, online } => {
            assert_eq!((user_id, online), (alice.id(), true))
        }
        _ => unreachable!(),
    }
    let a2 = server.login("alice", "password1").await.unwrap().ws().await;
    drop(a1);
    b.expect_silence(Duration::from_millis(300)).await;
    drop(a2);
    match b.recv_until(|f| matches!(f, ServerFrame::Presence { .. })).await {
        ServerFrame::Presence { user_id, online } => {
            assert_eq!((user_id, online), (alice.id(), false))
        }
        _ => unreachable!(),
    }
    s.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn test_typing_is_relayed_to_the_other_members_only() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let mut a = alice.ws().await;
    let mut b = bob.ws().await;
    a.send(&ClientFrame::Typing { conversation_id: conv }).await;
    match b.recv().await {
        ServerFrame::Typing { conversation_id, user_id } => assert_eq!((conversation_id, user_id), (conv, alice.id())),
        other => panic!("{other:?}"),
    }
    a.send(&ClientFrame::Ping { nonce: 5 }).await;
    assert_eq!(
        a.recv_until(|f| !matches!(f, ServerFrame::Presence { .. })).await,
        ServerFrame::Pong { nonce: 5 },
        "no typing echo to oneself"
    );
}

#[tokio::test]
async fn test_a_read_frame_moves_the_cursor() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    send_text(&alice, conv, "x").await.unwrap();
    let mut b = bob.ws().await;
    b.send(&ClientFrame::Read { conversation_id: conv, seq: 2 }).await;
    match b.recv_until(|f| matches!(f, ServerFrame::Read { .. })).await {
        ServerFrame::Read { seq, user_id, .. } => assert_eq!((seq, user_id), (2, bob.id())),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn test_bad_frames_get_error_codes_and_the_connection_stays_open() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let mut a = alice.ws().await;
    a.send_raw(Message::text("{not json")).await;
    assert_eq!(error_code(&a.recv().await), Some(ErrorCode::InvalidJson));
    a.send_raw(Message::text(r#"{"type":"teleport"}"#)).await;
    assert_eq!(error_code(&a.recv().await), Some(ErrorCode::UnknownFrame));
    a.send_raw(Message::text(r#"{"type":"send","client_msg_id":"abc","conversation_id":"seven"}"#)).await;
    match a.recv().await {
        ServerFrame::Error { code, client_msg_id, .. } => {
            assert_eq!((code, client_msg_id.as_deref()), (ErrorCode::InvalidJson, Some("abc")))
        }
        other => panic!("{other:?}"),
    }
    a.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(error_code(&a.recv().await), Some(ErrorCode::UnsupportedFrame));
    let big = format!(r#"{{"type":"typing","conversation_id":1,"pad":"{}"}}"#, "x".repeat(70 * 1024));
    a.send_raw(Message::text(big)).await;
    assert_eq!(error_code(&a.recv().await), Some(ErrorCode::FrameTooLarge));
    a.send(&ClientFrame::Send {
        client_msg_id: "k1".into(),
        conversation_id: 9999,
        content: ling_proto::messages::MessageContent::text("x"),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    })
    .await;
    match a.recv().await {
        ServerFrame::Error { code, client_msg_id, .. } => {
            assert_eq!((code, client_msg_id.as_deref()), (ErrorCode::NotFound, Some("k1")))
        }
        other => panic!("{other:?}"),
    }
    // Still working.
    a.send(&ClientFrame::Send {
        client_msg_id: new_id(),
        conversation_id: conv,
        content: ling_proto::messages::MessageContent::text("fine"),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    })
    .await;
    assert!(matches!(a.recv_until(|f| matches!(f, ServerFrame::Ack(_))).await, ServerFrame::Ack(_)));
}

#[tokio::test]
async fn test_frames_over_the_hard_limit_close_the_connection_but_not_the_server() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut a = alice.ws().await;
    a.send_raw(Message::text("x".repeat(2 * 1024 * 1024))).await;
    let close = a.closed().await;
    if let Some(f) = close {
        assert_eq!(u16::from(f.code), close::TOO_BIG);
    }
    let mut again = alice.ws().await;
    again.send(&ClientFrame::Ping { nonce: 1 }).await;
    assert_eq!(again.recv().await, ServerFrame::Pong { nonce: 1 });
}

#[tokio::test]
async fn test_invalid_utf8_in_a_text_frame_closes_only_that_connection() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut a = alice.ws().await;
    // A text frame whose payload is not UTF-8 (sent as a raw frame).
    use tokio_tungstenite::tungstenite::protocol::frame::{
        Frame,
        coding::{Data, OpCode},
    };
    let frame = Frame::message(vec![0xff, 0xfe, 0xfd], OpCode::Data(Data::Text), true);
    a.send_raw(Message::Frame(frame)).await;
    let _ = a.closed().await;
    let mut again = alice.ws().await;
    again.send(&ClientFrame::Ping { nonce: 2 }).await;
    assert_eq!(again.recv().await, ServerFrame::Pong { nonce: 2 });
}

#[tokio::test]
async fn test_the_websocket_needs_a_valid_token_in_the_header_or_the_query() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let url = format!("ws://{}/v1/ws", server.addr);
    assert!(tokio_tungstenite::connect_async(url.as_str().into_client_request().unwrap()).await.is_err());
    assert!(tokio_tungstenite::connect_async(format!("{url}?token=forged")).await.is_err());
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{url}?token={}", alice.token.as_ref().unwrap())).await.unwrap();
    let first = ws.next().await.unwrap().unwrap();
    assert!(first.to_text().unwrap().contains(r#""type":"hello""#));
}

#[tokio::test]
async fn test_a_silent_client_is_pinged_and_then_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start_with(|c| c.heartbeat_secs = 1).await;
    let alice = server.user("alice").await;
    // A raw client that completes the handshake and then never says anything:
    // a WebSocket library would answer the server's pings for us.
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let handshake = format!(
        "GET /v1/ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {}\r\n\r\n",
        server.addr,
        alice.token.as_ref().unwrap()
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), tcp.read_to_end(&mut bytes))
        .await
        .expect("the server hangs up")
        .unwrap();
    let body_at = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer") + 4;
    assert!(bytes.starts_with(b"HTTP/1.1 101"), "upgraded");
    let frames = parse_frames(&bytes[body_at..]);
    assert!(frames.iter().any(|(op, _)| *op == 0x9), "the server pings: {frames:?}");
    let close = frames.iter().find(|(op, _)| *op == 0x8).expect("a close frame");
    assert_eq!(u16::from_be_bytes([close.1[0], close.1[1]]), close::IDLE_TIMEOUT);
}

/// Unmasked server frames as (opcode, payload).
fn parse_frames(mut b: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while b.len() >= 2 {
        let op = b[0] & 0x0f;
        let (len, head) = match b[1] & 0x7f {
            126 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 => (u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize, 10),
            n => (n as usize, 2),
        };
        if b.len() < head + len {
            break;
        }
        out.push((op, b[head..head + len].to_vec()));
        b = &b[head + len..];
    }
    out
}

#[tokio::test]
async fn test_a_client_that_does_not_read_is_disconnected_not_buffered() {
    let server = TestServer::start_with(|c| c.ws_queue = 8).await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    // Bob connects with a tiny receive buffer and then stops reading.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(server.addr).await.unwrap();
    let mut req = format!("ws://{}/v1/ws", server.addr).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", bob.token.as_ref().unwrap()).parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    // Alice sends far more than his queue and the socket buffers hold (~24 KB a message).
    let big = "字".repeat(8000);
    for _ in 0..400 {
        send_text(&alice, conv, &big).await.unwrap();
    }
    let (_sink, mut stream) = ws.split();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(f))) => break f,
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(close.map(|f| u16::from(f.code)), Some(close::TOO_SLOW));
    // Reconnecting and catching up by seq loses nothing.
    let page: ling_proto::messages::HistoryPage =
        bob.get(&format!("/v1/conversations/{conv}/messages?after_seq=1&limit=200")).await.unwrap();
    assert_eq!(page.messages.len(), 200);
    assert!(page.has_more);
}
