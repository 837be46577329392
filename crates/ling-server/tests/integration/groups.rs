use ling_proto::ErrorCode;
use ling_proto::groups::{Group, GroupJoinRequest, GroupMember, GroupSummary, JoinGroupResponse, JoinOutcome, Role};
use ling_proto::messages::{HistoryPage, MessageContent, SystemEvent};
use ling_proto::ws::ServerFrame;

use crate::common::*;

async fn group_of(owner: &Client, friends: &[&Client], policy: &str) -> Group {
    for f in friends {
        befriend(owner, f).await;
    }
    let ids: Vec<i64> = friends.iter().map(|f| f.id()).collect();
    owner.post("/v1/groups", &serde_json::json!({"name": "Team 翎", "member_ids": ids, "join_policy": policy, "announcement": "welcome"})).await.unwrap()
}

async fn events(c: &Client, g: &Group) -> Vec<SystemEvent> {
    let page: HistoryPage =
        c.get(&format!("/v1/conversations/{}/messages?limit=200", g.conversation_id)).await.unwrap();
    page.messages
        .into_iter()
        .filter_map(|m| match m.content {
            MessageContent::System { event } => Some(event),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn test_create_a_group_with_friends_and_chat_in_it() {
    let server = TestServer::start().await;
    let (alice, bob, carol) = (server.user("alice").await, server.user("bob").await, server.user("carol").await);
    let mut bob_ws = bob.ws().await;
    let g = group_of(&alice, &[&bob, &carol], "approval").await;
    assert_eq!((g.owner_id, g.member_count, g.announcement.as_str()), (alice.id(), 3, "welcome"));
    bob_ws.recv_until(|f| matches!(f, ServerFrame::GroupChanged { group_id } if *group_id == g.id)).await;
    let ev = events(&bob, &g).await;
    assert!(matches!(ev[0], SystemEvent::GroupCreated { by, .. } if by == alice.id()));
    assert!(
        matches!(&ev[1], SystemEvent::MembersJoined { by: Some(by), user_ids } if *by == alice.id() && user_ids.len() == 2)
    );

    send_text(&carol, g.conversation_id, "hi all").await.unwrap();
    match bob_ws.recv_until(|f| matches!(f, ServerFrame::Message { message } if message.sender_id == carol.id())).await
    {
        ServerFrame::Message { message } => assert_eq!(message.content, MessageContent::text("hi all")),
        _ => unreachable!(),
    }
    let members: Vec<GroupMember> = bob.get(&format!("/v1/groups/{}/members", g.id)).await.unwrap();
    assert_eq!(members[0].role, Role::Owner);
    assert_eq!(members.len(), 3);
    let mine: Vec<Group> = carol.get("/v1/groups").await.unwrap();
    assert_eq!(mine.len(), 1);
}

#[tokio::test]
async fn test_only_friends_can_be_put_into_a_group() {
    let server = TestServer::start().await;
    let (alice, stranger) = (server.user("alice").await, server.user("stranger").await);
    let e = alice
        .post::<Group>("/v1/groups", &serde_json::json!({"name": "g", "member_ids": [stranger.id()]}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFriends);
    let e = alice.post::<Group>("/v1/groups", &serde_json::json!({"name": "  "})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn test_groups_are_found_by_name_or_id_and_open_ones_are_joined_at_once() {
    let server = TestServer::start().await;
    let (alice, dave) = (server.user("alice").await, server.user("dave").await);
    let g: Group =
        alice.post("/v1/groups", &serde_json::json!({"name": "Rustaceans 中文", "join_policy": "open"})).await.unwrap();
    let by_name: Vec<GroupSummary> = dave.get("/v1/groups/search?q=rustac").await.unwrap();
    assert_eq!(by_name.iter().map(|s| s.id).collect::<Vec<_>>(), vec![g.id]);
    let by_id: Vec<GroupSummary> = dave.get(&format!("/v1/groups/search?q={}", g.id)).await.unwrap();
    assert_eq!(by_id[0].id, g.id);
    // Outsiders see the summary, not the group.
    assert_eq!(dave.get::<Group>(&format!("/v1/groups/{}", g.id)).await.unwrap_err().code(), ErrorCode::NotAMember);
    let r: JoinGroupResponse = dave.post(&format!("/v1/groups/{}/join", g.id), &serde_json::json!({})).await.unwrap();
    assert_eq!(r.outcome, JoinOutcome::Joined);
    let e =
        dave.post::<JoinGroupResponse>(&format!("/v1/groups/{}/join", g.id), &serde_json::json!({})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyMember);
    assert!(matches!(events(&dave, &g).await.last(), Some(SystemEvent::MembersJoined { by: None, .. })));
}

#[tokio::test]
async fn test_approval_groups_queue_join_requests_for_admins() {
    let server = TestServer::start().await;
    let (alice, bob, dave, erin) =
        (server.user("alice").await, server.user("bob").await, server.user("dave").await, server.user("erin").await);
    let g = group_of(&alice, &[&bob], "approval").await;
    let mut alice_ws = alice.ws().await;
    let r: JoinGroupResponse =
        dave.post(&format!("/v1/groups/{}/join", g.id), &serde_json::json!({"message": "let me in"})).await.unwrap();
    assert_eq!(r.outcome, JoinOutcome::Pending);
    alice_ws.recv_until(|f| matches!(f, ServerFrame::GroupJoinRequest { .. })).await;
    let _: JoinGroupResponse = erin.post(&format!("/v1/groups/{}/join", g.id), &serde_json::json!({})).await.unwrap();
    // Members cannot see or answer requests.
    assert_eq!(
        bob.get::<Vec<GroupJoinRequest>>(&format!("/v1/groups/{}/join-requests", g.id)).await.unwrap_err().code(),
        ErrorCode::InsufficientRole
    );
    let reqs: Vec<GroupJoinRequest> = alice.get(&format!("/v1/groups/{}/join-requests", g.id)).await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].message, "let me in");
    let _: Empty = alice
        .post(&format!("/v1/groups/{}/join-requests/{}/approve", g.id, reqs[0].id), &serde_json::json!({}))
        .await
        .unwrap();
    let _: Empty = alice
        .post(&format!("/v1/groups/{}/join-requests/{}/reject", g.id, reqs[1].id), &serde_json::json!({}))
        .await
        .unwrap();
    assert!(dave.get::<Group>(&format!("/v1/groups/{}", g.id)).await.is_ok());
    assert_eq!(erin.get::<Group>(&format!("/v1/groups/{}", g.id)).await.unwrap_err().code(), ErrorCode::NotAMember);
    // In an approval group plain members may not invite.
    let frank = server.user("frank").await;
    befriend(&bob, &frank).await;
    let e = bob
        .post::<Vec<i64>>(&format!("/v1/groups/{}/members", g.id), &serde_json::json!({"user_ids": [frank.id()]}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsufficientRole);
}

#[tokio::test]
async fn test_inviting_friends_and_the_member_limit() {
    let server = TestServer::start_with(|c| c.max_group_members = 3).await;
    let (alice, bob, carol, dave) =
        (server.user("alice").await, server.user("bob").await, server.user("carol").await, server.user("dave").await);
    let g = group_of(&alice, &[&bob], "open").await;
    befriend(&bob, &carol).await;
    befriend(&bob, &dave).await;
    let added: Vec<i64> = bob
        .post(&format!("/v1/groups/{}/members", g.id), &serde_json::json!({"user_ids": [carol.id()]}))
        .await
        .unwrap();
    assert_eq!(added, vec![carol.id()]);
    let e = bob
        .post::<Vec<i64>>(&format!("/v1/groups/{}/members", g.id), &serde_json::json!({"user_ids": [dave.id()]}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::GroupFull);
    let e = alice
        .post::<Vec<i64>>(&format!("/v1/groups/{}/members", g.id), &serde_json::json!({"user_ids": [dave.id()]}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFriends, "only one's own friends may be invited");
}

#[tokio::test]
async fn test_roles_kick_leave_transfer_and_dissolve() {
    let server = TestServer::start().await;
    let (alice, bob, carol) = (server.user("alice").await, server.user("bob").await, server.user("carol").await);
    let g = group_of(&alice, &[&bob, &carol], "approval").await;
    let gp = |p: &str| format!("/v1/groups/{}{}", g.id, p);

    // Only the owner appoints admins.
    let e = bob
        .put::<Empty>(&gp(&format!("/members/{}/role", carol.id())), &serde_json::json!({"role": "admin"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsufficientRole);
    let _: Empty =
        alice.put(&gp(&format!("/members/{}/role", bob.id())), &serde_json::json!({"role": "admin"})).await.unwrap();
    // An admin kicks members but not the owner or other admins.
    assert_eq!(
        bob.delete(&gp(&format!("/members/{}", alice.id()))).await.unwrap_err().code(),
        ErrorCode::InsufficientRole
    );
    let mut carol_ws = carol.ws().await;
    bob.delete(&gp(&format!("/members/{}", carol.id()))).await.unwrap();
    carol_ws.recv_until(|f| matches!(f, ServerFrame::GroupRemoved { group_id } if *group_id == g.id)).await;
    assert_eq!(send_text(&carol, g.conversation_id, "still here?").await.unwrap_err().code(), ErrorCode::NotAMember);
    assert_eq!(
        carol
            .get::<HistoryPage>(&format!("/v1/conversations/{}/messages", g.conversation_id))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotAMember
    );

    // The owner cannot leave without handing over.
    let e = alice.post::<Empty>(&gp("/leave"), &serde_json::json!({})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::OwnerCannotLeave);
    let _: Empty = alice.post(&gp("/transfer"), &serde_json::json!({"user_id": bob.id()})).await.unwrap();
    let group: Group = bob.get(&gp("")).await.unwrap();
    assert_eq!(group.owner_id, bob.id());
    let members: Vec<GroupMember> = bob.get(&gp("/members")).await.unwrap();
    assert_eq!(members.iter().find(|m| m.user.id == alice.id()).unwrap().role, Role::Admin);
    let _: Empty = alice.post(&gp("/leave"), &serde_json::json!({})).await.unwrap();

    // Only the owner dissolves; afterwards the group reads but does not write.
    let _: Empty = bob.post(&gp("/dissolve"), &serde_json::json!({})).await.unwrap();
    let group: Group = bob.get(&gp("")).await.unwrap();
    assert!(group.dissolved);
    assert_eq!(send_text(&bob, g.conversation_id, "echo").await.unwrap_err().code(), ErrorCode::GroupDissolved);
    assert!(bob.get::<HistoryPage>(&format!("/v1/conversations/{}/messages", g.conversation_id)).await.is_ok());
    let ev = events(&bob, &g).await;
    for want in ["role_changed", "member_kicked", "ownership_transferred", "member_left", "group_dissolved"] {
        assert!(ev.iter().any(|e| serde_json::to_value(e).unwrap()["event"] == want), "missing {want} in {ev:?}");
    }
}

#[tokio::test]
async fn test_rename_announcement_avatar_policy_and_nicknames() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let g = group_of(&alice, &[&bob], "approval").await;
    let gp = |p: &str| format!("/v1/groups/{}{}", g.id, p);
    let e = bob.patch::<Group>(&gp(""), &serde_json::json!({"name": "mine now"})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsufficientRole);
    let updated: Group = alice
        .patch(&gp(""), &serde_json::json!({"name": "Team 2", "announcement": "meeting at 3", "join_policy": "open"}))
        .await
        .unwrap();
    assert_eq!((updated.name.as_str(), updated.announcement.as_str()), ("Team 2", "meeting at 3"));
    let _: Empty =
        alice.put(&gp(&format!("/members/{}/role", bob.id())), &serde_json::json!({"role": "admin"})).await.unwrap();
    let e = bob.patch::<Group>(&gp(""), &serde_json::json!({"join_policy": "approval"})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsufficientRole, "the policy is the owner's choice");
    let _: Empty = bob.put(&gp("/nickname"), &serde_json::json!({"nickname": "Bobby"})).await.unwrap();
    let members: Vec<GroupMember> = alice.get(&gp("/members")).await.unwrap();
    assert_eq!(members.iter().find(|m| m.user.id == bob.id()).unwrap().nickname.as_deref(), Some("Bobby"));
    let ev = events(&alice, &g).await;
    assert!(ev.contains(&SystemEvent::GroupRenamed { by: alice.id(), name: "Team 2".into() }));
    assert!(ev.contains(&SystemEvent::AnnouncementChanged { by: alice.id(), announcement: "meeting at 3".into() }));
    assert!(ev.iter().any(|e| matches!(e, SystemEvent::JoinPolicyChanged { .. })));
}
