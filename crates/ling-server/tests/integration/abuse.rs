//! Hostile and broken clients: password guessing and spraying, registration
//! floods, connection hoarding, requests that never finish, typing floods,
//! names that lie. Each limit answers with a code and leaves everyone else
//! (and everything stored) alone. Different client addresses come through
//! `X-Forwarded-For`, from a server that trusts 127.0.0.1 as its proxy.

use std::time::Duration;

use ling_proto::ErrorCode;
use ling_proto::auth::LoginResponse;
use ling_proto::messages::{MessageContent, SendMessageRequest};
use ling_proto::ws::{ClientFrame, ServerFrame};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::*;

/// A server behind a (pretend) proxy on 127.0.0.1, with `tweak` applied.
async fn behind_proxy(tweak: impl FnOnce(&mut ling_server::Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        tweak(c);
    })
    .await
}

/// Logs `name` in from the client address `from`.
async fn login_from(server: &TestServer, from: &str, name: &str, password: &str) -> Result<LoginResponse, ApiErr> {
    let resp = server
        .anon()
        .request(Method::POST, "/v1/auth/login")
        .header("x-forwarded-for", from)
        .json(&serde_json::json!({"username": name, "password": password, "device_name": "t"}))
        .send()
        .await
        .unwrap();
    decode(resp).await
}

#[tokio::test]
async fn test_wrong_passwords_from_one_address_slow_it_down_without_locking_the_owner_out() {
    let server = behind_proxy(|c| c.auth_attempts_per_minute = 5).await;
    server.user("alice").await;
    let attacker = "203.0.113.9";
    for _ in 0..5 {
        let e = login_from(&server, attacker, "alice", "guess-guess").await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    }
    let e = login_from(&server, attacker, "alice", "password1").await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (429, ErrorCode::RateLimited), "the attacker's address waits");
    assert!(e.body.message.contains("try again in"), "{}", e.body.message);
    login_from(&server, "198.51.100.7", "alice", "password1").await.expect("the owner elsewhere logs in");
}

#[tokio::test]
async fn test_spraying_one_guess_at_many_accounts_is_limited_per_address() {
    let server = behind_proxy(|c| c.auth_attempts_per_address_per_minute = 6).await;
    let sprayer = "203.0.113.50";
    for n in 0..6 {
        let e = login_from(&server, sprayer, &format!("victim{n}"), "password1").await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    }
    let e = login_from(&server, sprayer, "victim6", "password1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    // Another address is not affected.
    let e = login_from(&server, "203.0.113.51", "victim6", "password1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn test_a_distributed_guess_at_one_account_leaves_the_owners_address_in() {
    let server = behind_proxy(|c| c.auth_failures_per_account_per_hour = 6).await;
    server.user("alice").await;
    let home = "198.51.100.7";
    login_from(&server, home, "alice", "password1").await.unwrap();
    // One more failure than the hour allows, each from another address.
    for n in 0..7 {
        let e = login_from(&server, &format!("203.0.113.{n}"), "alice", "wrong-wrong").await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    }
    // A new address is refused even with the right password...
    let e = login_from(&server, "203.0.113.200", "alice", "password1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    // ...but the owner's address is not, and other accounts are not affected.
    login_from(&server, home, "alice", "password1").await.expect("the owner's address still logs in");
    server.user("bob").await;
    login_from(&server, "203.0.113.200", "bob", "password1").await.unwrap();
}

#[tokio::test]
async fn test_registrations_are_limited_per_address() {
    let server = behind_proxy(|c| c.registrations_per_hour = 3).await;
    let register = |from: &'static str, name: String| {
        let anon = server.anon();
        async move {
            let resp = anon
                .request(Method::POST, "/v1/auth/register")
                .header("x-forwarded-for", from)
                .json(&serde_json::json!({"username": name, "password": "password1", "device_name": "t"}))
                .send()
                .await
                .unwrap();
            decode::<serde_json::Value>(resp).await
        }
    };
    for n in 0..3 {
        register("203.0.113.7", format!("bulk{n}")).await.unwrap();
    }
    let e = register("203.0.113.7", "bulk3".into()).await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (429, ErrorCode::RateLimited));
    register("198.51.100.1", "someone".into()).await.expect("another address registers");
}

#[tokio::test]
async fn test_an_account_holds_at_most_so_many_connections() {
    let server = TestServer::start_with(|c| c.max_connections_per_account = 3).await;
    let alice = server.user("alice").await;
    let mut open = vec![alice.ws().await, alice.ws().await, alice.ws().await];
    let mut req = format!("ws://{}/v1/ws", server.addr).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", alice.token.as_ref().unwrap()).parse().unwrap());
    match tokio_tungstenite::connect_async(req.clone()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 429);
            let body: ling_proto::ErrorBody = serde_json::from_slice(resp.body().as_deref().unwrap()).unwrap();
            assert_eq!(body.code, ErrorCode::TooManyConnections);
        }
        other => panic!("a fourth connection is refused, got {other:?}"),
    }
    // Once one closes, there is room again.
    open.pop();
    ling_testing::eventually("a slot frees when a connection closes", async || {
        tokio_tungstenite::connect_async(req.clone()).await.map(drop)
    })
    .await;
}

/// Reads until the server closes the connection; what it sent.
async fn read_until_closed(tcp: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut bytes)).await.expect("the server hangs up in time").unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn test_headers_that_never_finish_and_idle_connections_are_closed() {
    let server = TestServer::start_with(|c| c.header_timeout_secs = 1).await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET /v1/info HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let answer = read_until_closed(&mut tcp).await;
    assert!(!answer.contains("200 OK"), "no answer to half a request: {answer}");
    // A kept-alive connection that sends no next request is closed too.
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut tcp).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn test_bodies_that_never_finish_get_request_timeout() {
    let server = TestServer::start_with(|c| c.body_timeout_secs = 1).await;
    let alice = server.user("alice").await;
    let token = alice.token.clone().unwrap();
    for (path, auth) in
        [("/v1/auth/login", String::new()), ("/v1/files?name=a.bin", format!("Authorization: Bearer {token}\r\n"))]
    {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"user"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut tcp).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("request_timeout"), "{path}: {answer}");
    }
    let staging = server.data_dir().join("blobs/staging");
    assert_eq!(std::fs::read_dir(staging).unwrap().count(), 0, "the stalled upload left nothing behind");
}

/// Whether `tcp` gets an answer to `GET /healthz` within `d`.
async fn answered_within(tcp: &mut TcpStream, d: Duration) -> bool {
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(d, tcp.read(&mut buf)).await, Ok(Ok(n)) if n > 0)
}

#[tokio::test]
async fn test_connections_that_never_authenticate_are_capped_and_authenticating_frees_a_slot() {
    let server = TestServer::start_with(|c| c.max_unauthenticated_connections = 3).await;
    // Registered over a connection that closes after it, so it holds no slot.
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let body = r#"{"username":"alice","password":"password1","device_name":"t"}"#;
    let req = format!(
        "POST /v1/auth/register HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut tcp).await;
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let registered: ling_proto::auth::RegisterResponse = serde_json::from_str(json).unwrap();
    let token = registered.session.token;
    let mut hoarders = Vec::new();
    for _ in 0..3 {
        hoarders.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut late = TcpStream::connect(server.addr).await.unwrap();
    assert!(!answered_within(&mut late, Duration::from_millis(500)).await, "a fourth waits to be accepted");
    // One of the three makes an authenticated request: it no longer counts.
    let me = format!("GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    hoarders[0].write_all(me.as_bytes()).await.unwrap();
    let mut buf = [0u8; 12];
    hoarders[0].read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    let mut answer = [0u8; 12];
    tokio::time::timeout(WAIT, late.read_exact(&mut answer)).await.expect("the waiting connection is served").unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
}

#[tokio::test]
async fn test_a_typing_flood_reaches_the_others_once() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let mut a = alice.ws().await;
    let mut b = bob.ws().await;
    for _ in 0..2000 {
        a.send(&ClientFrame::Typing { conversation_id: conv }).await;
    }
    send_text(&alice, conv, "done typing").await.unwrap();
    let mut typings = 0;
    loop {
        match b.recv().await {
            ServerFrame::Typing { .. } => typings += 1,
            ServerFrame::Message { .. } => break,
            _ => {}
        }
    }
    assert_eq!(typings, 1, "one relay per sender, conversation and 3 s");
    // The flood cost alice nothing else: her connection still answers.
    a.send(&ClientFrame::Ping { nonce: 3 }).await;
    assert_eq!(a.recv_until(|f| matches!(f, ServerFrame::Pong { .. })).await, ServerFrame::Pong { nonce: 3 });
}

#[tokio::test]
async fn test_names_with_direction_overrides_or_invisible_characters_are_refused_everywhere() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    befriend(&alice, &bob).await;
    let liar = "invoice\u{202E}fdp.exe";
    let resp =
        alice.request(Method::POST, &format!("/v1/files?name={}", urlencode(liar))).body("x").send().await.unwrap();
    assert_eq!(decode::<serde_json::Value>(resp).await.unwrap_err().code(), ErrorCode::InvalidFileName);
    let refusals = [
        alice.patch::<serde_json::Value>("/v1/me", &serde_json::json!({"display_name": "ad\u{200B}min"})).await,
        alice.post::<serde_json::Value>("/v1/groups", &serde_json::json!({"name": liar})).await,
        alice.patch::<serde_json::Value>(&format!("/v1/friends/{}", bob.id()), &serde_json::json!({"remark": "\u{2067}bob"})).await,
        alice.post::<serde_json::Value>("/v1/friend-groups", &serde_json::json!({"name": "a\u{FEFF}"})).await,
        server.anon().post::<serde_json::Value>(
            "/v1/auth/register",
            &serde_json::json!({"username": "carol", "password": "password1", "display_name": "\u{202D}carol", "device_name": "x"}),
        ).await,
    ];
    for r in refusals {
        assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidRequest);
    }
    // Nothing was changed; right-to-left letters and emoji joiners are fine.
    let me: ling_proto::users::Me =
        alice.patch("/v1/me", &serde_json::json!({"display_name": "عليس 👩\u{200D}💻"})).await.unwrap();
    assert_eq!(me.display_name, "عليس 👩\u{200D}💻");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn test_a_client_msg_id_names_one_message_of_its_sender() {
    let server = TestServer::start().await;
    let (alice, bob, carol) = (server.user("alice").await, server.user("bob").await, server.user("carol").await);
    let with_bob = befriend(&alice, &bob).await;
    let with_carol = befriend(&alice, &carol).await;
    let req = SendMessageRequest {
        client_msg_id: new_id(),
        content: MessageContent::text("hi"),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    };
    let first: ling_proto::messages::SendAck =
        alice.post(&format!("/v1/conversations/{with_bob}/messages"), &req).await.unwrap();
    let again: ling_proto::messages::SendAck =
        alice.post(&format!("/v1/conversations/{with_bob}/messages"), &req).await.unwrap();
    assert_eq!(first, again, "a resend in the same conversation gets the first ack");
    let e =
        alice.post::<serde_json::Value>(&format!("/v1/conversations/{with_carol}/messages"), &req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidClientMsgId, "not an ack for a message elsewhere");
    // Another sender may use the same id.
    let theirs: ling_proto::messages::SendAck =
        bob.post(&format!("/v1/conversations/{with_bob}/messages"), &req).await.unwrap();
    assert_eq!(theirs.seq, first.seq + 1);
}

#[tokio::test]
async fn test_an_image_is_sent_by_its_file_id_alone_and_a_string_nonce_is_invalid_json() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let mut png = Vec::new();
    image::RgbImage::from_pixel(8, 6, image::Rgb([9, 9, 9]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let resp = alice.request(Method::POST, "/v1/files?name=p.png").body(png).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let file: ling_proto::files::FileInfo = decode(resp).await.unwrap();
    // Exactly what the document shows a client sending.
    let body = serde_json::json!({"client_msg_id": new_id(), "content": {"kind": "image", "file": {"id": file.id}}});
    let ack: ling_proto::messages::SendAck =
        alice.post(&format!("/v1/conversations/{conv}/messages"), &body).await.unwrap();
    let m: ling_proto::messages::Message =
        bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    assert!(matches!(m.content, MessageContent::Image { width: 8, height: 6, .. }), "{:?}", m.content);
    let mut a = alice.ws().await;
    a.send_raw(tokio_tungstenite::tungstenite::Message::text(r#"{"type":"ping","nonce":"abc"}"#)).await;
    match a.recv_until(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::Pong { .. })).await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::InvalidJson),
        other => panic!("{other:?}"),
    }
}
