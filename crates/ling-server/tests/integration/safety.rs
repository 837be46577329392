//! Every route and frame, tried by people who may not use it: an anonymous
//! caller, a stranger, a non-member, a blocked user. Each gets 401/403/404 or
//! an error frame with a code, never data. And bad input of every kind.

use ling_proto::ErrorCode;
use ling_proto::contacts::{FriendGroup, FriendRequest, SendFriendRequest};
use ling_proto::files::FileInfo;
use ling_proto::groups::Group;
use ling_proto::messages::{CallMedia, FileRef, MessageContent, SendMessageRequest};
use ling_proto::ws::{CallSignal, ClientFrame, ServerFrame};
use reqwest::Method;

use crate::common::*;

/// A small world with things worth protecting.
struct World {
    server: TestServer,
    alice: Client,
    bob: Client,
    /// No relation to anyone.
    eve: Client,
    /// Alice's friend, outside the group and the direct conversation.
    dave: Client,
    /// Alice's ex-friend, whom she blocked.
    mallory: Client,
    direct: i64,
    with_mallory: i64,
    group: Group,
    file: FileInfo,
    pending_request: i64,
    friend_group: i64,
    join_request_group: Group,
}

async fn world() -> World {
    let server = TestServer::start().await;
    let (alice, bob, eve, dave, mallory) = (
        server.user("alice").await,
        server.user("bob").await,
        server.user("eve").await,
        server.user("dave").await,
        server.user("mallory").await,
    );
    let direct = befriend(&alice, &bob).await;
    befriend(&alice, &dave).await;
    let with_mallory = befriend(&alice, &mallory).await;
    send_text(&alice, direct, "secret plans").await.unwrap();
    let resp = alice.request(Method::POST, "/v1/files?name=secret.txt").body("secret file").send().await.unwrap();
    let file: FileInfo = decode(resp).await.unwrap();
    let _ = alice
        .post::<serde_json::Value>(
            &format!("/v1/conversations/{direct}/messages"),
            &SendMessageRequest {
                client_msg_id: new_id(),
                content: MessageContent::File {
                    file: FileRef { id: file.id.clone(), name: String::new(), size: 0, mime: String::new() },
                },
                reply_to: None,
                forwarded: false,
                mentions: Default::default(),
            },
        )
        .await
        .unwrap();
    let group: Group =
        alice.post("/v1/groups", &serde_json::json!({"name": "secret group", "member_ids": [bob.id()]})).await.unwrap();
    send_text(&bob, group.conversation_id, "secret group talk").await.unwrap();
    let join_request_group: Group =
        alice.post("/v1/groups", &serde_json::json!({"name": "approval", "join_policy": "approval"})).await.unwrap();
    let _: serde_json::Value =
        bob.post(&format!("/v1/groups/{}/join", join_request_group.id), &serde_json::json!({})).await.unwrap();
    let carol = server.user("carol").await;
    let req: FriendRequest = carol
        .post("/v1/friend-requests", &SendFriendRequest { user_id: alice.id(), message: "secret hello".into() })
        .await
        .unwrap();
    let fg: FriendGroup = alice.post("/v1/friend-groups", &serde_json::json!({"name": "secret circle"})).await.unwrap();
    let _: Empty = alice.put(&format!("/v1/blocks/{}", mallory.id()), &serde_json::json!({})).await.unwrap();
    World {
        server,
        alice,
        bob,
        eve,
        dave,
        mallory,
        direct,
        with_mallory,
        group,
        file,
        pending_request: req.id,
        friend_group: fg.id,
        join_request_group,
    }
}

/// Every route that needs a login, with a body where it takes one.
fn protected_routes(w: &World) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let (d, g, gc, f, a) = (w.direct, w.group.id, w.group.conversation_id, &w.file.id, w.alice.id());
    let empty = Some(serde_json::json!({}));
    vec![
        (Method::POST, "/v1/auth/logout".into(), empty.clone()),
        (Method::GET, "/v1/me".into(), None),
        (Method::PATCH, "/v1/me".into(), empty.clone()),
        (
            Method::POST,
            "/v1/me/password".into(),
            Some(serde_json::json!({"old_password": "password1", "new_password": "password2"})),
        ),
        (Method::POST, "/v1/me/recovery-code".into(), Some(serde_json::json!({"password": "password1"}))),
        (Method::GET, "/v1/sessions".into(), None),
        (Method::DELETE, format!("/v1/sessions/{}", w.alice.session_id), None),
        (Method::GET, "/v1/users?q=alice".into(), None),
        (Method::GET, format!("/v1/users/{a}"), None),
        (Method::GET, "/v1/friend-requests".into(), None),
        (Method::POST, "/v1/friend-requests".into(), Some(serde_json::json!({"user_id": a}))),
        (Method::POST, format!("/v1/friend-requests/{}/accept", w.pending_request), empty.clone()),
        (Method::POST, format!("/v1/friend-requests/{}/decline", w.pending_request), empty.clone()),
        (Method::GET, "/v1/friends".into(), None),
        (Method::PATCH, format!("/v1/friends/{a}"), Some(serde_json::json!({"remark": "x"}))),
        (Method::DELETE, format!("/v1/friends/{a}"), None),
        (Method::GET, "/v1/friend-groups".into(), None),
        (Method::POST, "/v1/friend-groups".into(), Some(serde_json::json!({"name": "x"}))),
        (Method::PATCH, format!("/v1/friend-groups/{}", w.friend_group), Some(serde_json::json!({"name": "x"}))),
        (Method::DELETE, format!("/v1/friend-groups/{}", w.friend_group), None),
        (Method::GET, "/v1/blocks".into(), None),
        (Method::PUT, format!("/v1/blocks/{a}"), empty.clone()),
        (Method::DELETE, format!("/v1/blocks/{a}"), None),
        (Method::GET, "/v1/groups".into(), None),
        (Method::POST, "/v1/groups".into(), Some(serde_json::json!({"name": "x"}))),
        (Method::GET, "/v1/groups/search?q=secret".into(), None),
        (Method::GET, format!("/v1/groups/{g}"), None),
        (Method::PATCH, format!("/v1/groups/{g}"), Some(serde_json::json!({"name": "pwned"}))),
        (Method::GET, format!("/v1/groups/{g}/members"), None),
        (Method::POST, format!("/v1/groups/{g}/members"), Some(serde_json::json!({"user_ids": [a]}))),
        (Method::DELETE, format!("/v1/groups/{g}/members/{}", w.bob.id()), None),
        (
            Method::PUT,
            format!("/v1/groups/{g}/members/{}/role", w.bob.id()),
            Some(serde_json::json!({"role": "admin"})),
        ),
        (Method::POST, format!("/v1/groups/{g}/leave"), empty.clone()),
        (Method::POST, format!("/v1/groups/{g}/transfer"), Some(serde_json::json!({"user_id": w.bob.id()}))),
        (Method::POST, format!("/v1/groups/{g}/dissolve"), empty.clone()),
        (Method::PUT, format!("/v1/groups/{g}/nickname"), Some(serde_json::json!({"nickname": "x"}))),
        (Method::POST, format!("/v1/groups/{g}/join"), empty.clone()),
        (Method::GET, format!("/v1/groups/{}/join-requests", w.join_request_group.id), None),
        (Method::POST, format!("/v1/groups/{}/join-requests/1/approve", w.join_request_group.id), empty.clone()),
        (Method::POST, format!("/v1/groups/{}/join-requests/1/reject", w.join_request_group.id), empty.clone()),
        (Method::GET, "/v1/conversations".into(), None),
        (Method::GET, format!("/v1/conversations/{d}/messages"), None),
        (
            Method::POST,
            format!("/v1/conversations/{d}/messages"),
            Some(serde_json::json!({"client_msg_id": "x1", "content": {"kind": "text", "text": "hi"}})),
        ),
        (Method::GET, format!("/v1/conversations/{d}/messages/2"), None),
        (Method::POST, format!("/v1/conversations/{d}/messages/2/recall"), empty.clone()),
        (Method::POST, format!("/v1/conversations/{d}/read"), Some(serde_json::json!({"seq": 1}))),
        (Method::GET, format!("/v1/conversations/{d}/read-cursors"), None),
        (Method::GET, format!("/v1/conversations/{gc}/messages"), None),
        (
            Method::POST,
            format!("/v1/conversations/{gc}/messages"),
            Some(serde_json::json!({"client_msg_id": "x2", "content": {"kind": "text", "text": "hi"}})),
        ),
        (Method::GET, format!("/v1/conversations/{gc}/messages/2"), None),
        (Method::POST, format!("/v1/conversations/{gc}/read"), Some(serde_json::json!({"seq": 1}))),
        (Method::GET, format!("/v1/conversations/{gc}/read-cursors"), None),
        (Method::POST, "/v1/files?name=x.txt".into(), None),
        (Method::GET, format!("/v1/files/{f}"), None),
        (Method::GET, format!("/v1/files/{f}/info"), None),
        (Method::GET, format!("/v1/files/{f}/thumbnail"), None),
        (Method::GET, "/v1/ws".into(), None),
    ]
}

async fn try_route(c: &Client, method: Method, path: &str, body: Option<serde_json::Value>) -> (u16, String) {
    let mut r = c.request(method, path);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn assert_refused(who: &str, route: &str, status: u16, body: &str) {
    assert!(matches!(status, 401 | 403 | 404), "{who} {route}: expected 401/403/404, got {status}: {body}");
    let parsed: ling_proto::ErrorBody =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("{who} {route}: not an error body: {body}"));
    assert_ne!(parsed.code, ErrorCode::Internal);
    assert!(!body.contains("secret"), "{who} {route} leaked data: {body}");
}

#[tokio::test]
async fn test_every_protected_route_refuses_an_anonymous_caller() {
    let w = world().await;
    let anon = w.server.anon();
    for (method, path, body) in protected_routes(&w) {
        let (status, text) = try_route(&anon, method.clone(), &path, body).await;
        assert_eq!(status, 401, "{method} {path}: {text}");
        assert_refused("anonymous", &format!("{method} {path}"), status, &text);
    }
}

#[tokio::test]
async fn test_strangers_non_members_and_blocked_users_get_no_one_elses_data() {
    let w = world().await;
    let (d, g, gc, f) = (w.direct, w.group.id, w.group.conversation_id, w.file.id.clone());
    // Routes naming things that belong to others (routes about oneself are fine for anyone).
    let foreign: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/v1/conversations/{d}/messages"), None),
        (Method::GET, format!("/v1/conversations/{d}/messages/2"), None),
        (
            Method::POST,
            format!("/v1/conversations/{d}/messages"),
            Some(serde_json::json!({"client_msg_id": "y1", "content": {"kind": "text", "text": "hi"}})),
        ),
        (Method::POST, format!("/v1/conversations/{d}/messages/2/recall"), Some(serde_json::json!({}))),
        (Method::POST, format!("/v1/conversations/{d}/read"), Some(serde_json::json!({"seq": 1}))),
        (Method::GET, format!("/v1/conversations/{d}/read-cursors"), None),
        (Method::GET, format!("/v1/conversations/{gc}/messages"), None),
        (Method::GET, format!("/v1/conversations/{gc}/messages/2"), None),
        (
            Method::POST,
            format!("/v1/conversations/{gc}/messages"),
            Some(serde_json::json!({"client_msg_id": "y2", "content": {"kind": "text", "text": "hi"}})),
        ),
        (Method::POST, format!("/v1/conversations/{gc}/read"), Some(serde_json::json!({"seq": 1}))),
        (Method::GET, format!("/v1/conversations/{gc}/read-cursors"), None),
        (Method::GET, format!("/v1/groups/{g}"), None),
        (Method::PATCH, format!("/v1/groups/{g}"), Some(serde_json::json!({"name": "pwned"}))),
        (Method::GET, format!("/v1/groups/{g}/members"), None),
        (Method::POST, format!("/v1/groups/{g}/members"), Some(serde_json::json!({"user_ids": [w.alice.id()]}))),
        (Method::DELETE, format!("/v1/groups/{g}/members/{}", w.bob.id()), None),
        (
            Method::PUT,
            format!("/v1/groups/{g}/members/{}/role", w.bob.id()),
            Some(serde_json::json!({"role": "admin"})),
        ),
        (Method::POST, format!("/v1/groups/{g}/leave"), Some(serde_json::json!({}))),
        (Method::POST, format!("/v1/groups/{g}/transfer"), Some(serde_json::json!({"user_id": w.bob.id()}))),
        (Method::POST, format!("/v1/groups/{g}/dissolve"), Some(serde_json::json!({}))),
        (Method::PUT, format!("/v1/groups/{g}/nickname"), Some(serde_json::json!({"nickname": "x"}))),
        (Method::GET, format!("/v1/groups/{}/join-requests", w.join_request_group.id), None),
        (
            Method::POST,
            format!("/v1/groups/{}/join-requests/1/approve", w.join_request_group.id),
            Some(serde_json::json!({})),
        ),
        (
            Method::POST,
            format!("/v1/groups/{}/join-requests/1/reject", w.join_request_group.id),
            Some(serde_json::json!({})),
        ),
        (Method::GET, format!("/v1/files/{f}"), None),
        (Method::GET, format!("/v1/files/{f}/info"), None),
        (Method::GET, format!("/v1/files/{f}/thumbnail"), None),
        (Method::POST, format!("/v1/friend-requests/{}/accept", w.pending_request), Some(serde_json::json!({}))),
        (Method::POST, format!("/v1/friend-requests/{}/decline", w.pending_request), Some(serde_json::json!({}))),
        (Method::DELETE, format!("/v1/sessions/{}", w.alice.session_id), None),
        (Method::PATCH, format!("/v1/friend-groups/{}", w.friend_group), Some(serde_json::json!({"name": "x"}))),
        (Method::DELETE, format!("/v1/friend-groups/{}", w.friend_group), None),
    ];
    for (who, c) in [("stranger", &w.eve), ("non-member", &w.dave), ("blocked", &w.mallory)] {
        for (method, path, body) in &foreign {
            let (status, text) = try_route(c, method.clone(), path, body.clone()).await;
            assert_refused(who, &format!("{method} {path}"), status, &text);
        }
    }
    // The blocked user, in the conversation they share with the blocker.
    for (method, path, body) in [
        (
            Method::POST,
            format!("/v1/conversations/{}/messages", w.with_mallory),
            Some(serde_json::json!({"client_msg_id": "z1", "content": {"kind": "text", "text": "hi"}})),
        ),
        (Method::GET, format!("/v1/users/{}", w.alice.id()), None),
        (Method::POST, "/v1/friend-requests".into(), Some(serde_json::json!({"user_id": w.alice.id()}))),
    ] {
        let (status, text) = try_route(&w.mallory, method.clone(), &path, body).await;
        assert_refused("blocked", &format!("{method} {path}"), status, &text);
    }
    // Nothing changed.
    let g: Group = w.alice.get(&format!("/v1/groups/{g}")).await.unwrap();
    assert_eq!((g.name.as_str(), g.member_count, g.dissolved), ("secret group", 2, false));
    assert!(w.alice.get::<ling_proto::users::Me>("/v1/me").await.is_ok());
}

#[tokio::test]
async fn test_every_frame_refuses_strangers_non_members_and_blocked_users() {
    let w = world().await;
    let text = MessageContent::text("hi");
    for (who, c, conv) in [
        ("stranger", &w.eve, w.direct),
        ("non-member", &w.dave, w.group.conversation_id),
        ("blocked", &w.mallory, w.with_mallory),
    ] {
        let mut ws = c.ws().await;
        let frames = vec![
            ClientFrame::Send {
                client_msg_id: new_id(),
                conversation_id: conv,
                content: text.clone(),
                reply_to: None,
                forwarded: false,
                mentions: Default::default(),
            },
            ClientFrame::Typing { conversation_id: conv },
            ClientFrame::Call {
                call_id: "c".into(),
                conversation_id: conv,
                to_user: w.alice.id(),
                to_device: None,
                signal: CallSignal::Invite { media: CallMedia::Audio },
            },
        ];
        for frame in frames {
            ws.send(&frame).await;
            match ws.recv_until(|f| !matches!(f, ServerFrame::Presence { .. })).await {
                ServerFrame::Error { code, message, .. } => {
                    assert!(
                        matches!(code, ErrorCode::NotAMember | ErrorCode::Blocked | ErrorCode::NotFound),
                        "{who}: {code}"
                    );
                    assert!(!message.contains("secret"));
                }
                other => panic!("{who} {frame:?}: expected an error, got {other:?}"),
            }
        }
        if who != "blocked" {
            ws.send(&ClientFrame::Read { conversation_id: conv, seq: 1 }).await;
            assert!(
                matches!(
                    ws.recv_until(|f| !matches!(f, ServerFrame::Presence { .. })).await,
                    ServerFrame::Error { .. }
                ),
                "{who} read"
            );
        }
    }
}

#[tokio::test]
async fn test_malformed_bodies_get_invalid_json_and_oversize_ones_payload_too_large() {
    let w = world().await;
    let routes: Vec<(Method, String)> = protected_routes(&w)
        .into_iter()
        .filter(|(_, _, body)| body.as_ref().is_some_and(|b| b.as_object().is_some_and(|o| !o.is_empty())))
        .map(|(m, p, _)| (m, p))
        .chain([
            (Method::POST, "/v1/auth/register".into()),
            (Method::POST, "/v1/auth/login".into()),
            (Method::POST, "/v1/auth/reset-password".into()),
        ])
        .collect();
    assert!(routes.len() > 15);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", b"{\"a\": ".to_vec()),
        ("invalid utf-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        (
            "wrong types",
            serde_json::to_vec(&serde_json::json!({
                "user_id": "seven", "seq": "x", "name": 5, "username": 5, "user_ids": 1, "role": 3, "client_msg_id": 1,
                "remark": 5, "group_id": "x", "nickname": 5, "announcement": 5, "display_name": 5, "password": 5,
                "old_password": 5, "new_password": 5, "recovery_code": 5, "message": 5, "content": 5
            }))
            .unwrap(),
        ),
        ("not an object", b"[1,2,3]".to_vec()),
    ];
    for (method, path) in &routes {
        for (what, body) in &bodies {
            let resp = w
                .alice
                .request(method.clone(), path)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let err: ling_proto::ErrorBody = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
            assert_eq!((status, err.code), (400, ErrorCode::InvalidJson), "{what} to {method} {path}");
        }
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
        let resp = w
            .alice
            .request(method.clone(), path)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let err: ling_proto::ErrorBody = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
        assert_eq!((status, err.code), (413, ErrorCode::PayloadTooLarge), "oversize to {method} {path}");
    }
    // A body without a JSON content type.
    let resp = w.server.anon().request(Method::POST, "/v1/auth/login").body("{}").send().await.unwrap();
    assert_eq!(decode::<serde_json::Value>(resp).await.unwrap_err().code(), ErrorCode::InvalidJson);
    // The server is fine and nothing was lost.
    let page: ling_proto::messages::HistoryPage =
        w.bob.get(&format!("/v1/conversations/{}/messages", w.direct)).await.unwrap();
    assert!(page.messages.iter().any(|m| m.content == MessageContent::text("secret plans")));
}

#[tokio::test]
async fn test_path_parameters_of_the_wrong_type_are_invalid_requests() {
    let w = world().await;
    for path in [
        "/v1/conversations/abc/messages",
        "/v1/groups/1.5",
        "/v1/users/%00",
        "/v1/conversations/99999999999999999999/messages",
    ] {
        let e = w.alice.get::<serde_json::Value>(path).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest, "{path}");
    }
}
