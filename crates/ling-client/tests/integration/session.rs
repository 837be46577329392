//! The realtime session end to end: befriending, chatting, acks, unread,
//! read receipts, offline sends, reconnects.

use std::time::Duration;

use ling_client::cache::SendStatus;
use ling_client::{ConnectionState, Event};
use ling_proto::messages::MessageContent;

use crate::harness::{Person, TestServer, befriend};

fn text_of(m: &ling_client::cache::CachedMessage) -> String {
    match &m.content {
        MessageContent::Text { text } => text.clone(),
        other => format!("{other:?}"),
    }
}

/// Waits until `p` has a sent message with `text` in `conv`.
async fn has_text(p: &Person, conv: i64, text: &str) -> bool {
    for _ in 0..200 {
        let page = p.client.history(conv, None, 200).await.unwrap();
        if page.iter().any(|m| text_of(m) == text && m.status == SendStatus::Sent) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn test_two_people_befriend_and_chat_with_acks_unread_and_receipts() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;

    // Given friends, when Amy sends, then the message is cached as sending,
    // then acked with a seq, and Bob gets it live.
    let sent = amy.client.send_text(conv, "你好 Bob").await.unwrap();
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
    amy.client.send_text(conv, "before").await.unwrap();
    assert!(has_text(&bob, conv, "before").await);

    server.stop().await;
    amy.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;
    // Offline: the sends wait in the outbox, and reading works from the cache.
    for i in 0..5 {
        amy.client.send_text(conv, &format!("offline {i}")).await.unwrap();
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
    let a: Vec<_> = amy.client.history(conv, None, 200).await.unwrap().iter().map(|m| (m.seq, text_of(m))).collect();
    let b: Vec<_> = bob.client.history(conv, None, 200).await.unwrap().iter().map(|m| (m.seq, text_of(m))).collect();
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
        amy.client.send_text(conv, &format!("queued {i}")).await.unwrap();
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
    let a: Vec<_> = amy.client.history(conv, None, 200).await.unwrap().iter().map(|m| (m.seq, text_of(m))).collect();
    let b: Vec<_> = bob.client.history(conv, None, 200).await.unwrap().iter().map(|m| (m.seq, text_of(m))).collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 4, "friends_connected and three messages: {a:?}");
    assert_eq!(a[0].1, "queued 2");
    assert_eq!(a[2].1, "queued 0");
}

#[tokio::test]
async fn test_a_gap_seen_live_is_fetched_and_a_hole_in_history_is_filled_when_read() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    // Bob sends over HTTP from "another device" path too: plain sends from
    // his client reach Amy live, in order.
    for i in 0..30 {
        bob.client.send_text(conv, &format!("m{i}")).await.unwrap();
    }
    assert!(has_text(&amy, conv, "m29").await);
    // A fresh device of Amy's (an empty cache) reads history: the newest page
    // comes from catch-up, older pages are fetched when scrolled to.
    let dir = tempfile::tempdir().unwrap();
    let profile = ling_client::profile::Profile::open(dir.path()).unwrap();
    let session =
        ling_client::account::login(&profile, &server.url(), "amy", "password1", &crate::harness::options(false))
            .await
            .unwrap();
    let fresh = ling_client::Client::start(session).await.unwrap();
    let page = fresh.history(conv, Some(11), 5).await.unwrap();
    let seqs: Vec<_> = page.iter().map(|m| m.seq.unwrap()).collect();
    assert_eq!(seqs, [10, 9, 8, 7, 6], "a hole is fetched when read");
    fresh.stop().await;
}

#[tokio::test]
async fn test_a_refused_send_is_failed_with_the_servers_code_and_a_retry_after_the_cause_is_gone_delivers_it() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    // Bob blocks Amy: her next message is refused for good, not retried forever.
    bob.client.api().set_blocked(amy.id(), true).await.unwrap();
    let sent = amy.client.send_text(conv, "are you there?").await.unwrap();
    let failed = amy
        .wait_for(|e| {
            matches!(e, Event::MessageUpdated { message }
                if message.client_msg_id == sent.client_msg_id && message.status == SendStatus::Failed)
        })
        .await;
    let Event::MessageUpdated { message } = failed else { unreachable!() };
    assert_eq!(message.error_code.as_deref(), Some("blocked"));
    // Unblocked, the person presses retry: it goes out once.
    bob.client.api().set_blocked(amy.id(), false).await.unwrap();
    amy.client.retry(sent.client_msg_id.as_deref().unwrap()).await.unwrap();
    assert!(has_text(&bob, conv, "are you there?").await);
    assert_eq!(amy.client.retry(sent.client_msg_id.as_deref().unwrap()).await.unwrap_err().code(), "invalid_input");
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
