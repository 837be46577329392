//! The realtime session end to end: befriending, chatting, acks, unread,
//! read receipts, offline sends, reconnects.

use std::time::Duration;

use ling_client::cache::{CachedMessage, SendStatus};
use ling_client::{ConnectionState, Event};
use ling_proto::messages::MessageContent;

use ling_testing::eventually;

use crate::harness::{Person, TestServer, amy_and_bob, befriend};

fn text_of(m: &ling_client::cache::CachedMessage) -> String {
    match &m.content {
        MessageContent::Text { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}

/// Waits until `p` has a sent message with `text` in `conv`.
pub async fn has_text(p: &Person, conv: i64, text: &str) -> bool {
    let has = async || {
        let page = p.client.history(conv, None, 200).await.unwrap();
        page.iter().any(|m| text_of(m) == text && m.status == SendStatus::Sent)
    };
    ling_testing::poll(ling_testing::PATIENCE, has).await.is_ok()
}

/// `p`'s newest page of `conv` as (seq, text), newest first, once every
/// message in it is acknowledged.
async fn seq_texts(p: &Person, conv: i64) -> Vec<(Option<i64>, String)> {
    eventually("every message is acknowledged", async || {
        let page = p.client.history(conv, None, 200).await.unwrap();
        page.iter().all(|m| m.status == SendStatus::Sent).then(|| page.iter().map(|m| (m.seq, text_of(m))).collect())
    })
    .await
}

#[tokio::test]
async fn test_two_people_befriend_and_chat_with_acks_unread_and_receipts() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;

    // Given friends, when Amy sends, then the message is cached as sending,
    // then acked with a seq, and Bob gets it live.
    let sent = amy.client.send_queue().send_text(conv, "你好 Bob").await.unwrap();
    assert_eq!(sent.status, SendStatus::Sending);
    let acked = amy
        .wait_for(|e| matches!(e, Event::MessageUpdated { message } if message.client_msg_id == sent.client_msg_id))
        .await;
    let Event::MessageUpdated { message: acked } = acked else { unreachable!() };
    assert_eq!(acked.status, SendStatus::Sent);
    let seq = acked.seq.expect("a seq");
    let got = bob.wait_for(|e| matches!(e, Event::MessageNew { message } if message.seq == Some(seq))).await;
    let Event::MessageNew { message } = got else { unreachable!() };
    assert_eq!(text_of(&message), "你好 Bob");

    let row = bob.client.conversation(conv).await.unwrap().unwrap();
    assert_eq!((row.unread, row.title.as_str()), (1, "amy"));
    assert_eq!(row.last_message.unwrap().seq, Some(seq));

    // Bob reads: his unread clears and Amy sees the receipt.
    bob.client.mark_read(conv, seq).await.unwrap();
    assert_eq!(bob.client.conversation(conv).await.unwrap().unwrap().unread, 0);
    amy.wait_for(|e| matches!(e, Event::Read { seq: s, .. } if *s == seq)).await;
    assert_eq!(amy.client.conversation(conv).await.unwrap().unwrap().peer_read_seq, Some(seq));

    // Typing is relayed.
    bob.client.typing(conv);
    amy.wait_for(|e| matches!(e, Event::Typing { .. })).await;
}

#[tokio::test]
async fn test_messages_sent_while_the_server_is_down_arrive_once_after_it_returns() {
    let mut server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    amy.client.send_queue().send_text(conv, "before").await.unwrap();
    assert!(has_text(&bob, conv, "before").await);

    server.stop().await;
    amy.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;
    // Offline: the sends wait in the outbox, and reading works from the cache.
    for i in 0..5 {
        amy.client.send_queue().send_text(conv, &format!("offline {i}")).await.unwrap();
    }
    let cached = amy.client.history(conv, None, 50).await.unwrap();
    assert!(cached.iter().any(|m| text_of(m) == "before"));

    server.start_again().await;
    amy.client.reconnect_now();
    bob.client.reconnect_now();
    amy.connected().await;
    for i in 0..5 {
        assert!(has_text(&bob, conv, &format!("offline {i}")).await, "offline {i} arrives");
    }
    // Exactly once, in seq order, the same on both sides.
    let (a, b) = (seq_texts(&amy, conv).await, seq_texts(&bob, conv).await);
    assert_eq!(a, b);
    let texts: Vec<_> = a.iter().rev().map(|(_, t)| t.as_str()).filter(|t| !t.starts_with("System")).collect();
    assert_eq!(texts, ["before", "offline 0", "offline 1", "offline 2", "offline 3", "offline 4"]);
}

#[tokio::test]
async fn test_a_client_restarted_with_unsent_messages_sends_each_once_in_order() {
    let mut server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;

    // Given messages in Amy's outbox while the server is away,
    server.stop().await;
    amy.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;
    for i in 0..3 {
        amy.client.send_queue().send_text(conv, &format!("queued {i}")).await.unwrap();
    }
    // when Amy's app quits and starts again (auto-login, offline at first),
    let mut amy = amy.restarted().await;
    assert_eq!(amy.client.history(conv, None, 10).await.unwrap().len(), 4, "the outbox survived the restart");
    server.start_again().await;
    bob.client.reconnect_now();
    amy.connected().await;
    // then each arrives exactly once, in order, on both sides.
    for i in 0..3 {
        assert!(has_text(&bob, conv, &format!("queued {i}")).await);
    }
    let (a, b) = (seq_texts(&amy, conv).await, seq_texts(&bob, conv).await);
    assert_eq!(a, b);
    assert_eq!(a.len(), 4, "friends_connected and three messages: {a:?}");
    assert_eq!(a[0].1, "queued 2");
    assert_eq!(a[2].1, "queued 0");
}

/// More queued messages than one read of the outbox takes (500 a page) all
/// go out when the connection returns, with no new message to wake it.
#[tokio::test]
async fn test_a_queue_longer_than_an_outbox_page_is_sent_whole_after_reconnecting() {
    let mut server = TestServer::start().await;
    let (mut amy, mut bob, conv) = amy_and_bob(&server).await;
    server.stop().await;
    amy.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;
    for i in 0..1100 {
        amy.client.send_queue().send_text(conv, &format!("queued {i}")).await.unwrap();
    }
    server.start_again().await;
    amy.client.reconnect_now();
    bob.client.reconnect_now();
    amy.connected().await;
    bob.connected().await;
    assert!(has_text(&bob, conv, "queued 1099").await);
    // Each stored once: seq 1 is friends_connected, then the 1,100.
    let newest = seq_texts(&amy, conv).await;
    assert_eq!(newest[0], (Some(1101), "queued 1099".to_owned()));
}

/// Removes seqs `from..=to` of `conv` from `p`'s cache file, as if they had never arrived.
fn forget(p: &Person, conv: i64, from: i64, to: i64) {
    let db = rusqlite::Connection::open(p.client.account_dir().join("cache.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let n = db
        .execute("DELETE FROM messages WHERE conversation_id = ?1 AND seq BETWEEN ?2 AND ?3", (conv, from, to))
        .unwrap();
    assert_eq!(n as i64, to - from + 1);
}

/// Amy and Bob, friends, with `n` messages from Bob that Amy has (seq 1 is `friends_connected`).
async fn chatted(server: &TestServer, n: usize) -> (Person, Person, i64) {
    let mut amy = Person::register(server, "amy").await;
    let mut bob = Person::register(server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    for i in 0..n {
        bob.client.send_queue().send_text(conv, &format!("m{i}")).await.unwrap();
    }
    assert!(has_text(&amy, conv, &format!("m{}", n - 1)).await);
    (amy, bob, conv)
}

#[tokio::test]
async fn test_a_hole_in_the_cached_history_is_fetched_when_read() {
    let server = TestServer::start().await;
    let (amy, _bob, conv) = chatted(&server, 30).await;
    forget(&amy, conv, 6, 10);
    let page = amy.client.history(conv, Some(11), 5).await.unwrap();
    let seqs: Vec<_> = page.iter().map(|m| m.seq.unwrap()).collect();
    assert_eq!(seqs, [10, 9, 8, 7, 6], "the hole is fetched from the server");
    assert_eq!(text_of(&page[0]), "m8");
}

#[tokio::test]
async fn test_a_seq_gap_seen_live_is_fetched_before_the_new_message_is_stored() {
    let server = TestServer::start().await;
    let (mut amy, bob, conv) = chatted(&server, 30).await;
    // Amy's cache ends at seq 28 while the conversation is at 31.
    forget(&amy, conv, 29, 31);
    amy.events = amy.client.events();
    bob.client.send_queue().send_text(conv, "after the gap").await.unwrap();
    let mut seen = Vec::new();
    amy.wait_for(|e| match e {
        Event::MessageNew { message } => {
            seen.push(message.seq.unwrap());
            message.seq == Some(32)
        }
        _ => false,
    })
    .await;
    assert_eq!(seen, [29, 30, 31, 32], "the gap first, then the message");
    let page = amy.client.history(conv, None, 5).await.unwrap();
    assert_eq!(page.iter().map(|m| m.seq.unwrap()).collect::<Vec<_>>(), [32, 31, 30, 29, 28]);
}

#[tokio::test]
async fn test_a_new_group_a_recall_search_and_presence_reach_the_other_side() {
    let server = TestServer::start().await;
    let (mut amy, mut bob, conv) = chatted(&server, 1).await;
    let bob_id = bob.id();

    // A group Amy makes with Bob shows up in Bob's list under its name.
    let req = ling_proto::groups::CreateGroupRequest {
        name: "Team 翎".into(),
        member_ids: vec![bob_id],
        avatar: None,
        announcement: String::new(),
        join_policy: Default::default(),
    };
    let group = amy.client.api().create_group(&req).await.unwrap();
    bob.wait_for(|e| matches!(e, Event::GroupChanged { group_id } if *group_id == group.id)).await;
    eventually("the group is listed by its name", async || {
        let listed = bob.client.conversation(group.conversation_id).await.unwrap();
        listed.is_some_and(|c| c.title == "Team 翎")
    })
    .await;

    // Bob can search what Amy wrote within seconds; after she recalls it, he cannot.
    let sent = amy.client.send_queue().send_text(conv, "the secret plan 开会").await.unwrap();
    let id = sent.client_msg_id.clone();
    let acked = amy
        .wait_for(
            |e| matches!(e, Event::MessageUpdated { message } if message.client_msg_id == id && message.seq.is_some()),
        )
        .await;
    let Event::MessageUpdated { message } = acked else { unreachable!() };
    let seq = message.seq.unwrap();
    let hits = eventually("Bob finds it", async || {
        Some(bob.client.search("开会", Some(conv), 10).await.unwrap()).filter(|hits| !hits.is_empty())
    })
    .await;
    assert_eq!(hits.iter().map(|m| m.seq).collect::<Vec<_>>(), [Some(seq)], "indexed in the background");
    amy.client.recall(conv, seq).await.unwrap();
    bob.wait_for(|e| matches!(e, Event::MessageRecalled { seq: s, .. } if *s == seq)).await;
    let page = bob.client.history(conv, Some(seq + 1), 1).await.unwrap();
    assert_eq!(page[0].content, MessageContent::Recalled);
    assert!(bob.client.search("secret", Some(conv), 10).await.unwrap().is_empty());

    // When Bob's last device goes, Amy sees him offline.
    bob.client.stop().await;
    amy.wait_for(|e| matches!(e, Event::Presence { user_id, online: false } if *user_id == bob_id)).await;
    assert!(!amy.client.contacts().friends().await.unwrap().iter().any(|f| f.user.id == bob_id && f.online));
}

/// Amy and Bob as friends, Bob blocking Amy, and Amy's text `text` refused
/// for it (failed, for good): the conversation and the failed message.
async fn refused_by_a_block(server: &TestServer, text: &str) -> (Person, Person, i64, CachedMessage) {
    let (mut amy, bob, conv) = amy_and_bob(server).await;
    bob.client.api().set_blocked(amy.id(), true).await.unwrap();
    let sent = amy.client.send_queue().send_text(conv, text).await.unwrap();
    let failed = amy
        .wait_for(|e| {
            matches!(e, Event::MessageUpdated { message }
                if message.client_msg_id == sent.client_msg_id && message.status == SendStatus::Failed)
        })
        .await;
    let Event::MessageUpdated { message } = failed else { unreachable!() };
    (amy, bob, conv, message)
}

#[tokio::test]
async fn test_a_refused_send_is_failed_with_the_servers_code_and_a_retry_after_the_cause_is_gone_delivers_it() {
    let server = TestServer::start().await;
    // Bob blocks Amy: her next message is refused for good, not retried forever.
    let (amy, bob, conv, message) = refused_by_a_block(&server, "are you there?").await;
    assert_eq!(message.error_code.as_deref(), Some("blocked"));
    // Unblocked, the person presses retry: it goes out once.
    bob.client.api().set_blocked(amy.id(), false).await.unwrap();
    let id = message.client_msg_id.as_deref().unwrap();
    amy.client.send_queue().retry(id).await.unwrap();
    assert!(has_text(&bob, conv, "are you there?").await);
    assert_eq!(amy.client.send_queue().retry(id).await.unwrap_err().code(), "invalid_input");
}

/// A failed message discarded leaves its row number to the next message
/// (SQLite reuses the newest row's): that message is still sent.
#[tokio::test]
async fn test_a_message_sent_after_discarding_a_failed_one_is_delivered() {
    let server = TestServer::start().await;
    let (amy, bob, conv, refused) = refused_by_a_block(&server, "not this one").await;
    amy.client.send_queue().discard(refused.client_msg_id.as_deref().unwrap()).await.unwrap();
    bob.client.api().set_blocked(amy.id(), false).await.unwrap();
    amy.client.send_queue().send_text(conv, "this one").await.unwrap();
    assert!(has_text(&bob, conv, "this one").await);
}

#[tokio::test]
async fn test_changing_the_password_ends_the_other_devices_sessions() {
    let server = TestServer::start().await;
    let mut phone = Person::register(&server, "amy").await;
    let dir = tempfile::tempdir().unwrap();
    let profile = ling_client::profile::Profile::open(dir.path()).unwrap();
    let laptop =
        ling_client::account::login(&profile, &server.url(), "amy", "password1", &crate::harness::options(false))
            .await
            .unwrap();
    let laptop = ling_client::Client::start(laptop).await.unwrap();
    let req =
        ling_proto::auth::ChangePasswordRequest { old_password: "password1".into(), new_password: "password2".into() };
    laptop.api().change_password(&req).await.unwrap();
    // The phone's session is revoked: it stops reconnecting and says so.
    phone.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::LoggedOut })).await;
    assert_eq!(phone.client.state(), ConnectionState::LoggedOut);
    let wrong =
        ling_client::account::login(&profile, &server.url(), "amy", "password1", &crate::harness::options(false))
            .await
            .unwrap_err();
    assert_eq!(wrong.code(), "invalid_credentials");
    laptop.stop().await;
}

/// Passes bytes from `from` to `to` except while `frozen`.
async fn pump(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let thawed = || async {
        while frozen.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        thawed().await;
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        thawed().await;
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A TCP relay to `target` that can be frozen: it stops passing bytes
/// without closing anything, as a dead Wi-Fi or a stuck NAT would.
async fn freezable_relay(target: std::net::SocketAddr) -> (url::Url, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
    let f = frozen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(target).await.unwrap();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pump(cr, sw, f.clone()));
            tokio::spawn(pump(sr, cw, f.clone()));
        }
    });
    (url, frozen)
}

#[tokio::test]
async fn test_a_connection_that_goes_silent_is_given_up_after_three_heartbeats_and_reopened() {
    use std::sync::atomic::Ordering;
    let server = TestServer::start_with(|c| c.heartbeat_secs = 1).await;
    let (url, frozen) = freezable_relay(server.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let profile = ling_client::profile::Profile::open(dir.path()).unwrap();
    let reg = ling_client::account::register(&profile, &url, "amy", "password1", None, &crate::harness::options(false))
        .await
        .unwrap();
    let client = ling_client::Client::start(reg.session).await.unwrap();
    let mut state = client.watch_state();
    state.wait_for(|s| *s == ConnectionState::Connected).await.unwrap();

    // The network goes silent without closing anything: the client notices by itself.
    frozen.store(true, Ordering::Relaxed);
    let lost = tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| matches!(s, ConnectionState::Waiting { .. } | ConnectionState::Connecting)),
    )
    .await
    .map(|r| r.map(|_| ()));
    assert!(lost.is_ok(), "silence was noticed within a few heartbeats");
    // It comes back: the client reconnects.
    frozen.store(false, Ordering::Relaxed);
    client.reconnect_now();
    tokio::time::timeout(Duration::from_secs(20), state.wait_for(|s| *s == ConnectionState::Connected))
        .await
        .expect("reconnected")
        .unwrap();
    client.stop().await;
}

#[tokio::test]
async fn test_open_remembered_starts_from_the_cache_without_the_network_and_a_revoked_token_logs_out() {
    use ling_client::account;
    use ling_client::tokens::TokenStorePolicy;

    let mut server = TestServer::start().await;
    let amy = Person::register(&server, "amy").await;
    let me = amy.client.me();
    let Person { profile, client, .. } = amy;
    client.stop().await;

    // With the server down, the remembered account opens at once from its cache.
    server.stop().await;
    let opened = tokio::time::timeout(
        Duration::from_millis(500),
        account::open_remembered(&profile, TokenStorePolicy::FileOnly),
    )
    .await
    .expect("no network wait")
    .unwrap()
    .expect("remembered");
    assert!(!opened.confirmed);
    assert_eq!(opened.me, me);
    server.start_again().await;

    // A token the server no longer accepts: the session says LoggedOut.
    let client = ling_client::Client::start(opened.clone()).await.unwrap();
    let mut events = client.events();
    client.api().logout().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await.expect("LoggedOut in time") {
            Ok(Event::Connection { state: ConnectionState::LoggedOut }) => break,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(e) => panic!("events closed: {e}"),
        }
    }
    client.stop().await;

    // Nothing remembered: nothing opens.
    account::logout(&profile, &opened).await.unwrap();
    assert!(account::open_remembered(&profile, TokenStorePolicy::FileOnly).await.unwrap().is_none());
}
