use ling_proto::ErrorCode;
use ling_proto::contacts::{
    BlockedUser, Friend, FriendGroup, FriendRequest, FriendRequestList, FriendRequestStatus, SendFriendRequest,
};
use ling_proto::messages::{ConversationList, MessageContent, SystemEvent};
use ling_proto::ws::ServerFrame;

use crate::common::*;

fn ask(to: i64) -> SendFriendRequest {
    SendFriendRequest { user_id: to, message: "hi, it's me".into() }
}

#[tokio::test]
async fn test_a_friend_request_is_pushed_listed_both_ways_and_accepted() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mut bob_ws = bob.ws().await;
    let req: FriendRequest = alice.post("/v1/friend-requests", &ask(bob.id())).await.unwrap();
    assert_eq!(req.status, FriendRequestStatus::Pending);
    match bob_ws.recv_until(|f| matches!(f, ServerFrame::FriendRequest { .. })).await {
        ServerFrame::FriendRequest { request } => assert_eq!(request.message, "hi, it's me"),
        _ => unreachable!(),
    }
    let a: FriendRequestList = alice.get("/v1/friend-requests").await.unwrap();
    let b: FriendRequestList = bob.get("/v1/friend-requests").await.unwrap();
    assert_eq!((a.outgoing.len(), a.incoming.len(), b.incoming.len()), (1, 0, 1));

    let again = alice.post::<FriendRequest>("/v1/friend-requests", &ask(bob.id())).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::RequestPending);
    // Only the person asked may answer.
    let e = alice
        .post::<FriendRequest>(&format!("/v1/friend-requests/{}/accept", req.id), &serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    let accepted: FriendRequest =
        bob.post(&format!("/v1/friend-requests/{}/accept", req.id), &serde_json::json!({})).await.unwrap();
    assert_eq!(accepted.status, FriendRequestStatus::Accepted);
    let friends: Vec<Friend> = alice.get("/v1/friends").await.unwrap();
    assert_eq!(friends.len(), 1);
    assert_eq!(friends[0].user.id, bob.id());
    assert!(friends[0].online, "bob has a live connection");
    // The conversation opens with a system message.
    let convs: ConversationList = bob.get("/v1/conversations").await.unwrap();
    let last = convs.conversations[0].last_message.as_ref().unwrap();
    assert_eq!(last.content, MessageContent::System { event: SystemEvent::FriendsConnected });
    let e = bob
        .post::<FriendRequest>(&format!("/v1/friend-requests/{}/decline", req.id), &serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RequestClosed);
    let e = alice.post::<FriendRequest>("/v1/friend-requests", &ask(bob.id())).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyFriends);
}

#[tokio::test]
async fn test_asking_someone_who_already_asked_you_makes_you_friends() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let _: FriendRequest = alice.post("/v1/friend-requests", &ask(bob.id())).await.unwrap();
    let back: FriendRequest = bob.post("/v1/friend-requests", &ask(alice.id())).await.unwrap();
    assert_eq!(back.status, FriendRequestStatus::Accepted);
    let friends: Vec<Friend> = bob.get("/v1/friends").await.unwrap();
    assert_eq!(friends.len(), 1);
}

#[tokio::test]
async fn test_declined_requests_leave_no_friendship_and_can_be_asked_again() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let req: FriendRequest = alice.post("/v1/friend-requests", &ask(bob.id())).await.unwrap();
    let d: FriendRequest =
        bob.post(&format!("/v1/friend-requests/{}/decline", req.id), &serde_json::json!({})).await.unwrap();
    assert_eq!(d.status, FriendRequestStatus::Declined);
    assert!(alice.get::<Vec<Friend>>("/v1/friends").await.unwrap().is_empty());
    let again: FriendRequest = alice.post("/v1/friend-requests", &ask(bob.id())).await.unwrap();
    assert_eq!(again.status, FriendRequestStatus::Pending);
}

#[tokio::test]
async fn test_friend_requests_to_oneself_or_nobody_are_refused() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    assert_eq!(
        alice.post::<FriendRequest>("/v1/friend-requests", &ask(alice.id())).await.unwrap_err().code(),
        ErrorCode::InvalidTarget
    );
    assert_eq!(
        alice.post::<FriendRequest>("/v1/friend-requests", &ask(9999)).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn test_remarks_and_friend_groups() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    befriend(&alice, &bob).await;
    let work: FriendGroup = alice.post("/v1/friend-groups", &serde_json::json!({"name": "Work"})).await.unwrap();
    let family: FriendGroup = alice.post("/v1/friend-groups", &serde_json::json!({"name": "家人"})).await.unwrap();
    assert_eq!((work.position, family.position), (0, 1));
    let dup = alice.post::<FriendGroup>("/v1/friend-groups", &serde_json::json!({"name": "Work"})).await.unwrap_err();
    assert_eq!(dup.code(), ErrorCode::InvalidRequest);

    let _: Empty = alice
        .patch(&format!("/v1/friends/{}", bob.id()), &serde_json::json!({"remark": "老鲍", "group_id": work.id}))
        .await
        .unwrap();
    let f: Vec<Friend> = alice.get("/v1/friends").await.unwrap();
    assert_eq!((f[0].remark.as_deref(), f[0].group_id), (Some("老鲍"), Some(work.id)));
    // Bob's view of Alice is his own.
    let g: Vec<Friend> = bob.get("/v1/friends").await.unwrap();
    assert_eq!((g[0].remark.as_deref(), g[0].group_id), (None, None));

    let renamed: FriendGroup = alice
        .patch(&format!("/v1/friend-groups/{}", work.id), &serde_json::json!({"name": "Colleagues"}))
        .await
        .unwrap();
    assert_eq!(renamed.name, "Colleagues");
    // Someone else's group cannot be used or touched.
    let e = bob
        .patch::<Empty>(&format!("/v1/friends/{}", alice.id()), &serde_json::json!({"group_id": work.id}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    assert_eq!(bob.delete(&format!("/v1/friend-groups/{}", work.id)).await.unwrap_err().code(), ErrorCode::NotFound);

    alice.delete(&format!("/v1/friend-groups/{}", work.id)).await.unwrap();
    let f: Vec<Friend> = alice.get("/v1/friends").await.unwrap();
    assert_eq!(f[0].group_id, None, "friends in a deleted group become uncategorized");
    let _: Empty =
        alice.patch(&format!("/v1/friends/{}", bob.id()), &serde_json::json!({"remark": null})).await.unwrap();
    let f: Vec<Friend> = alice.get("/v1/friends").await.unwrap();
    assert_eq!(f[0].remark, None);
    let groups: Vec<FriendGroup> = alice.get("/v1/friend-groups").await.unwrap();
    assert_eq!(groups.len(), 1);
}

#[tokio::test]
async fn test_deleting_a_friend_ends_messaging_but_keeps_history() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    send_text(&alice, conv, "before").await.unwrap();
    alice.delete(&format!("/v1/friends/{}", bob.id())).await.unwrap();
    assert!(bob.get::<Vec<Friend>>("/v1/friends").await.unwrap().is_empty());
    assert_eq!(send_text(&bob, conv, "after").await.unwrap_err().code(), ErrorCode::NotFriends);
    let page: ling_proto::messages::HistoryPage = bob.get(&format!("/v1/conversations/{conv}/messages")).await.unwrap();
    assert_eq!(page.messages.len(), 2);
    // Friends again: the same conversation continues.
    assert_eq!(befriend(&alice, &bob).await, conv);
}

#[tokio::test]
async fn test_a_blocked_user_cannot_message_request_or_see_presence() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let mut bob_ws = bob.ws().await;
    let _alice_ws = alice.ws().await;
    bob_ws.recv_until(|f| matches!(f, ServerFrame::Presence { online: true, .. })).await;

    let _: Empty = alice.put(&format!("/v1/blocks/{}", bob.id()), &serde_json::json!({})).await.unwrap();
    match bob_ws.recv_until(|f| matches!(f, ServerFrame::Presence { .. })).await {
        ServerFrame::Presence { user_id, online } => {
            assert_eq!((user_id, online), (alice.id(), false))
        }
        _ => unreachable!(),
    }
    assert_eq!(send_text(&bob, conv, "hello?").await.unwrap_err().code(), ErrorCode::Blocked);
    assert_eq!(send_text(&alice, conv, "bye").await.unwrap_err().code(), ErrorCode::Blocked);
    let bf: Vec<Friend> = bob.get("/v1/friends").await.unwrap();
    assert!(!bf[0].online, "alice looks offline to bob");
    assert_eq!(
        bob.get::<serde_json::Value>(&format!("/v1/users/{}", alice.id())).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    let found: ling_proto::users::UserSearchResponse = bob.get("/v1/users?q=alice").await.unwrap();
    assert!(found.users.is_empty(), "search hides people who blocked you");

    let carol = server.user("carol").await;
    let _: Empty = carol.put(&format!("/v1/blocks/{}", bob.id()), &serde_json::json!({})).await.unwrap();
    let e = bob.post::<FriendRequest>("/v1/friend-requests", &ask(carol.id())).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Blocked);

    let blocked: Vec<BlockedUser> = alice.get("/v1/blocks").await.unwrap();
    assert_eq!(blocked.iter().map(|b| b.user.id).collect::<Vec<_>>(), vec![bob.id()]);
    alice.delete(&format!("/v1/blocks/{}", bob.id())).await.unwrap();
    send_text(&bob, conv, "friends again").await.unwrap();
    assert_eq!(alice.delete(&format!("/v1/blocks/{}", bob.id())).await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(
        alice.put::<Empty>(&format!("/v1/blocks/{}", alice.id()), &serde_json::json!({})).await.unwrap_err().code(),
        ErrorCode::InvalidTarget
    );
}
