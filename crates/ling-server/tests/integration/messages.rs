use ling_proto::ErrorCode;
use ling_proto::messages::{
    ConversationList, HistoryPage, MarkReadRequest, Message, MessageContent, ReadCursor, SendAck, SendMessageRequest,
    SystemEvent,
};
use ling_proto::ws::{ClientFrame, ServerFrame};
use ling_server::store::sqlite::SqliteStore;
use ling_server::store::{MessageStore, NewMessage, Recall, StoreError, awaited};

use crate::common::*;

fn text(t: &str) -> MessageContent {
    MessageContent::text(t)
}

#[tokio::test]
async fn test_a_message_sent_over_the_websocket_is_acked_and_reaches_every_device_of_both() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let alice_phone = server.login("alice", "password1").await.unwrap();
    let mut a = alice.ws().await;
    let mut a2 = alice_phone.ws().await;
    let mut b = bob.ws().await;

    let id = new_id();
    a.send(&ClientFrame::Send {
        client_msg_id: id.clone(),
        conversation_id: conv,
        content: text("你好 👋"),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    })
    .await;
    let ack = match a.recv_until(|f| matches!(f, ServerFrame::Ack(_))).await {
        ServerFrame::Ack(ack) => ack,
        _ => unreachable!(),
    };
    assert_eq!(
        (ack.client_msg_id.as_str(), ack.conversation_id, ack.seq),
        (id.as_str(), conv, 2),
        "seq 1 is the friends-connected notice"
    );
    for ws in [&mut b, &mut a2] {
        match ws.recv_until(|f| matches!(f, ServerFrame::Message { .. })).await {
            ServerFrame::Message { message } => {
                assert_eq!((message.seq, message.sender_id, message.send_time), (2, alice.id(), ack.send_time));
                assert_eq!(message.content, text("你好 👋"));
            }
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn test_resending_the_same_client_msg_id_returns_the_first_ack_and_stores_once() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let req = SendMessageRequest {
        client_msg_id: new_id(),
        content: text("once"),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    };
    let first: SendAck = alice.post(&format!("/v1/conversations/{conv}/messages"), &req).await.unwrap();
    let mut ws = alice.ws().await;
    ws.send(&ClientFrame::Send {
        client_msg_id: req.client_msg_id.clone(),
        conversation_id: conv,
        content: text("once"),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    })
    .await;
    match ws.recv_until(|f| matches!(f, ServerFrame::Ack(_))).await {
        ServerFrame::Ack(again) => assert_eq!(again, first),
        _ => unreachable!(),
    }
    let page: HistoryPage = bob.get(&format!("/v1/conversations/{conv}/messages")).await.unwrap();
    assert_eq!(page.messages.iter().filter(|m| m.content == text("once")).count(), 1);
}

#[tokio::test]
async fn test_concurrent_senders_get_gap_free_increasing_seqs() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let c = if i % 2 == 0 { alice.clone() } else { bob.clone() };
        tasks.push(tokio::spawn(async move { send_text(&c, conv, &format!("m{i}")).await.unwrap().seq }));
    }
    let mut seqs: Vec<i64> = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (2..42).collect::<Vec<_>>());
    let page: HistoryPage =
        alice.get(&format!("/v1/conversations/{conv}/messages?after_seq=0&limit=200")).await.unwrap();
    let got: Vec<i64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(got, (1..42).collect::<Vec<_>>());
    let times: Vec<i64> = page.messages.iter().map(|m| m.send_time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "send_time never decreases along seq");
}

#[tokio::test]
async fn test_history_pages_by_seq_and_by_time_with_has_more() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    for i in 0..24 {
        send_text(&alice, conv, &format!("m{i}")).await.unwrap();
    }
    let path = |q: &str| format!("/v1/conversations/{conv}/messages?{q}");
    // Newest page.
    let newest: HistoryPage = bob.get(&path("limit=10")).await.unwrap();
    assert_eq!(newest.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), (16..=25).collect::<Vec<_>>());
    assert!(newest.has_more);
    // Older, by keyset.
    let older: HistoryPage = bob.get(&path("before_seq=16&limit=10")).await.unwrap();
    assert_eq!(older.messages.first().unwrap().seq, 6);
    assert_eq!(older.messages.last().unwrap().seq, 15);
    let oldest: HistoryPage = bob.get(&path("before_seq=6&limit=10")).await.unwrap();
    assert_eq!(oldest.messages.len(), 5);
    assert!(!oldest.has_more);
    // Catch-up forward.
    let after: HistoryPage = bob.get(&path("after_seq=20&limit=10")).await.unwrap();
    assert_eq!(after.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![21, 22, 23, 24, 25]);
    assert!(!after.has_more);
    let empty: HistoryPage = bob.get(&path("after_seq=25")).await.unwrap();
    assert!(empty.messages.is_empty() && !empty.has_more, "an empty page is not an error");
    // By time.
    let t = newest.messages[5].send_time;
    let before_t: HistoryPage = bob.get(&path(&format!("before_time={t}&limit=200"))).await.unwrap();
    assert!(before_t.messages.iter().all(|m| m.send_time < t));
    let after_t: HistoryPage = bob.get(&path(&format!("after_time={}&limit=3", t - 1))).await.unwrap();
    assert!(after_t.messages.iter().all(|m| m.send_time >= t));
    assert!(after_t.messages.windows(2).all(|w| w[0].seq < w[1].seq));
    // Bad queries.
    let e = bob.get::<HistoryPage>(&path("after_seq=1&before_seq=5")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let e = bob.get::<HistoryPage>(&path("limit=0")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let e = bob.get::<HistoryPage>(&path("limit=201")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let one: Message = bob.get(&format!("/v1/conversations/{conv}/messages/7")).await.unwrap();
    assert_eq!(one.seq, 7);
    let e = bob.get::<Message>(&format!("/v1/conversations/{conv}/messages/99")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn test_unread_counts_read_cursors_and_read_receipts() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    for i in 0..3 {
        send_text(&alice, conv, &format!("m{i}")).await.unwrap();
    }
    let list: ConversationList = bob.get("/v1/conversations").await.unwrap();
    let c = &list.conversations[0];
    assert_eq!(
        (c.id, c.last_seq, c.unread, c.peer_id),
        (conv, 4, 3, Some(alice.id())),
        "bob's own notice is not unread"
    );
    let list: ConversationList = alice.get("/v1/conversations").await.unwrap();
    assert_eq!(
        (list.conversations[0].unread, list.conversations[0].read_seq),
        (0, 4),
        "sending reads the conversation"
    );

    let mut a = alice.ws().await;
    let mut b2 = server.login("bob", "password1").await.unwrap().ws().await;
    let r: MarkReadRequest =
        bob.post(&format!("/v1/conversations/{conv}/read"), &MarkReadRequest { seq: 3 }).await.unwrap();
    assert_eq!(r.seq, 3);
    for ws in [&mut a, &mut b2] {
        match ws.recv_until(|f| matches!(f, ServerFrame::Read { .. })).await {
            ServerFrame::Read { conversation_id, user_id, seq } => {
                assert_eq!((conversation_id, user_id, seq), (conv, bob.id(), 3))
            }
            _ => unreachable!(),
        }
    }
    let list: ConversationList = bob.get("/v1/conversations").await.unwrap();
    assert_eq!((list.conversations[0].read_seq, list.conversations[0].unread), (3, 1));
    let list: ConversationList = alice.get("/v1/conversations").await.unwrap();
    assert_eq!(list.conversations[0].peer_read_seq, Some(3));
    // A cursor never moves back, and is clamped to the end.
    let back: MarkReadRequest =
        bob.post(&format!("/v1/conversations/{conv}/read"), &MarkReadRequest { seq: 1 }).await.unwrap();
    assert_eq!(back.seq, 3);
    let far: MarkReadRequest =
        bob.post(&format!("/v1/conversations/{conv}/read"), &MarkReadRequest { seq: 1000 }).await.unwrap();
    assert_eq!(far.seq, 4);
    let cursors: Vec<ReadCursor> = alice.get(&format!("/v1/conversations/{conv}/read-cursors")).await.unwrap();
    assert_eq!(cursors.iter().find(|c| c.user_id == bob.id()).unwrap().seq, 4);
}

#[tokio::test]
async fn test_conversations_are_listed_newest_activity_first() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let with_bob = befriend(&alice, &bob).await;
    let with_carol = befriend(&alice, &carol).await;
    send_text(&bob, with_bob, "newer").await.unwrap();
    let list: ConversationList = alice.get("/v1/conversations").await.unwrap();
    assert_eq!(list.conversations.iter().map(|c| c.id).collect::<Vec<_>>(), vec![with_bob, with_carol]);
    assert_eq!(list.conversations[0].last_message.as_ref().unwrap().content, text("newer"));
}

#[tokio::test]
async fn test_content_is_validated() {
    let server = TestServer::start_with(|c| c.max_text_chars = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let send = |content: MessageContent, id: &str| {
        let alice = alice.clone();
        let id = id.to_owned();
        async move {
            alice
                .post::<SendAck>(
                    &format!("/v1/conversations/{conv}/messages"),
                    &SendMessageRequest {
                        client_msg_id: id,
                        content,
                        reply_to: None,
                        forwarded: false,
                        mentions: Default::default(),
                    },
                )
                .await
        }
    };
    assert_eq!(send(text("   "), "a1").await.unwrap_err().code(), ErrorCode::InvalidContent);
    assert_eq!(send(text("字字字字字字字字字字字"), "a2").await.unwrap_err().code(), ErrorCode::TextTooLong);
    assert!(send(text("字字字字字字字字字字"), "a3").await.is_ok(), "limits count characters, not bytes");
    let system = MessageContent::System { event: SystemEvent::GroupDissolved { by: 1 } };
    assert_eq!(send(system, "a4").await.unwrap_err().code(), ErrorCode::InvalidContent);
    assert_eq!(send(MessageContent::Recalled, "a5").await.unwrap_err().code(), ErrorCode::InvalidContent);
    let file = MessageContent::File {
        file: ling_proto::messages::FileRef { id: "nope".into(), name: String::new(), size: 0, mime: String::new() },
    };
    assert_eq!(send(file, "a6").await.unwrap_err().code(), ErrorCode::InvalidContent);
    assert_eq!(send(text("ok"), "bad id!").await.unwrap_err().code(), ErrorCode::InvalidClientMsgId);
    let e = alice
        .post::<SendAck>(
            &format!("/v1/conversations/{conv}/messages"),
            &SendMessageRequest {
                client_msg_id: new_id(),
                content: text("re"),
                reply_to: Some(99),
                forwarded: false,
                mentions: Default::default(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let ok: SendAck = alice
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            &SendMessageRequest {
                client_msg_id: new_id(),
                content: text("re"),
                reply_to: Some(2),
                forwarded: false,
                mentions: Default::default(),
            },
        )
        .await
        .unwrap();
    let m: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ok.seq)).await.unwrap();
    assert_eq!(m.reply_to, Some(2));
}

#[tokio::test]
async fn test_recall_replaces_the_message_and_leaves_a_notice_for_catch_up() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let ack = send_text(&alice, conv, "oops").await.unwrap();
    let mut b = bob.ws().await;
    let e = bob
        .post::<Message>(&format!("/v1/conversations/{conv}/messages/{}/recall", ack.seq), &serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotOwnMessage);
    let notice: Message = alice
        .post(&format!("/v1/conversations/{conv}/messages/{}/recall", ack.seq), &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(
        notice.content,
        MessageContent::System { event: SystemEvent::MessageRecalled { by: alice.id(), seq: ack.seq } }
    );
    assert_eq!(notice.seq, ack.seq + 1);
    match b.recv_until(|f| matches!(f, ServerFrame::Message { .. })).await {
        ServerFrame::Message { message } => assert_eq!(message, notice),
        _ => unreachable!(),
    }
    let original: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    assert_eq!(original.content, MessageContent::Recalled, "the text is gone from the server");
    let e = alice
        .post::<Message>(&format!("/v1/conversations/{conv}/messages/{}/recall", ack.seq), &serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyRecalled);
    let e = alice
        .post::<Message>(&format!("/v1/conversations/{conv}/messages/1/recall"), &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e.code(), ErrorCode::NotOwnMessage | ErrorCode::InvalidRequest));
}

#[tokio::test]
async fn test_recall_is_refused_after_the_window() {
    // The window is two minutes: drive the store with a clock past it.
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ling.db")).unwrap();
    use ling_server::store::{AccountStore, ContactStore};
    let a = store
        .create_user(ling_server::store::NewUser {
            username: "a".into(),
            display_name: "a".into(),
            password_hash: "x".into(),
            recovery_hash: "y".into(),
            now: 0,
        })
        .await
        .unwrap();
    let b = store
        .create_user(ling_server::store::NewUser {
            username: "b".into(),
            display_name: "b".into(),
            password_hash: "x".into(),
            recovery_hash: "y".into(),
            now: 0,
        })
        .await
        .unwrap();
    let req = store.create_friend_request(a.id, b.id, String::new(), 0).await.unwrap();
    let conv = store.accept_friend_request(req.id, 0).await.unwrap().conversation_id;
    let message = NewMessage {
        sender: a.id,
        client_msg_id: "m1".into(),
        content: text("late"),
        reply_to: None,
        now: 1_000_000,
        forwarded: false,
        mentions: Default::default(),
    };
    let (on_commit, committed) = awaited(|_| {});
    store.append(conv, message, on_commit).await.unwrap();
    let sent = committed.await.unwrap().0.message;
    let late =
        Recall { conversation: conv, seq: sent.seq, by: a.id, now: sent.send_time + 120_001, window_ms: 120_000 };
    let recall = |r: Recall| {
        let store = store.clone();
        async move {
            let (on_commit, committed) = awaited(|_| {});
            store.recall(r, on_commit).await?;
            committed.await
        }
    };
    match recall(late).await {
        Err(StoreError::Rejected(code, _)) => assert_eq!(code, ErrorCode::RecallWindowPassed),
        other => panic!("expected recall_window_passed, got {other:?}"),
    }
    let in_time =
        Recall { conversation: conv, seq: sent.seq, by: a.id, now: sent.send_time + 119_000, window_ms: 120_000 };
    assert!(recall(in_time).await.is_ok());
    store.close().await;
}

#[tokio::test]
async fn test_pipelined_sends_from_one_connection_keep_their_order() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let mut a = alice.ws().await;
    // 150 sends without waiting for acks: more than a connection may have in flight.
    let ids: Vec<String> = (0..150).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        a.send(&ClientFrame::Send {
            client_msg_id: id.clone(),
            conversation_id: conv,
            content: text(&format!("n{i}")),
            reply_to: None,
            forwarded: false,
            mentions: Default::default(),
        })
        .await;
    }
    let mut acks = Vec::new();
    while acks.len() < ids.len() {
        if let ServerFrame::Ack(ack) =
            a.recv_until(|f| matches!(f, ServerFrame::Ack(_) | ServerFrame::Error { .. })).await
        {
            acks.push(ack);
        } else {
            panic!("a send failed");
        }
    }
    assert_eq!(acks.iter().map(|a| a.client_msg_id.clone()).collect::<Vec<_>>(), ids, "acks come in send order");
    assert!(acks.windows(2).all(|w| w[1].seq == w[0].seq + 1), "seqs follow send order without gaps");
    let page: HistoryPage = bob.get(&format!("/v1/conversations/{conv}/messages?after_seq=1&limit=200")).await.unwrap();
    let texts: Vec<MessageContent> = page.messages.into_iter().map(|m| m.content).collect();
    assert_eq!(texts, (0..150).map(|i| text(&format!("n{i}"))).collect::<Vec<_>>());
}

#[tokio::test]
async fn test_mentions_name_members_and_everyone_only_for_admins() {
    use ling_proto::messages::Mentions;
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    befriend(&alice, &bob).await;
    befriend(&alice, &carol).await;
    let g: ling_proto::groups::Group = alice
        .post("/v1/groups", &serde_json::json!({"name": "g", "member_ids": [bob.id(), carol.id()]}))
        .await
        .unwrap();
    let conv = g.conversation_id;
    async fn send_in(c: &Client, conv: i64, content: MessageContent, mentions: Mentions) -> Result<SendAck, ApiErr> {
        let req = SendMessageRequest { client_msg_id: new_id(), content, reply_to: None, forwarded: false, mentions };
        c.post::<SendAck>(&format!("/v1/conversations/{conv}/messages"), &req).await
    }
    let mut b = bob.ws().await;
    let naming_bob = Mentions { user_ids: vec![bob.id()], all: false };
    let ack = send_in(&carol, conv, text("@Bob look"), naming_bob.clone()).await.unwrap();
    match b.recv_until(|f| matches!(f, ServerFrame::Message { .. })).await {
        ServerFrame::Message { message } => assert_eq!((message.seq, message.mentions), (ack.seq, naming_bob.clone())),
        _ => unreachable!(),
    }
    let stored: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    assert!(stored.mentions.includes(bob.id()) && !stored.mentions.includes(alice.id()));

    let code = |r: Result<SendAck, ApiErr>| r.unwrap_err().code();
    let naming_dave = Mentions { user_ids: vec![dave.id()], all: false };
    assert_eq!(
        code(send_in(&carol, conv, text("@Dave"), naming_dave).await),
        ErrorCode::InvalidRequest,
        "not in the group"
    );
    let twice = Mentions { user_ids: vec![bob.id(), bob.id()], all: false };
    assert_eq!(code(send_in(&carol, conv, text("@Bob @Bob"), twice).await), ErrorCode::InvalidRequest);
    let everyone = Mentions { user_ids: vec![], all: true };
    assert_eq!(code(send_in(&carol, conv, text("@all"), everyone.clone()).await), ErrorCode::InsufficientRole);
    send_in(&alice, conv, text("@all meeting"), everyone.clone()).await.unwrap();
    // Only text mentions.
    let file = ling_proto::messages::FileRef { id: "nope".into(), name: String::new(), size: 0, mime: String::new() };
    assert!(send_in(&carol, conv, MessageContent::File { file }, naming_bob).await.is_err());
}
