//! The live conversation list against the real server: kept in list order
//! by diffs alone, as the chat list draws it.

use ling_client::cache::ConversationSummary;
use ling_proto::messages::MessageContent;

use crate::harness::{Person, Rows, TestServer, amy_and_bob, befriend};

fn ids(rows: &[ConversationSummary]) -> Vec<i64> {
    rows.iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn test_the_list_follows_arrivals_reads_pins_and_drafts_in_order() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let mut cat = Person::register(&server, "cat").await;
    let with_bob = befriend(&mut amy, &mut bob).await;
    let with_cat = befriend(&mut amy, &mut cat).await;
    let view = amy.client.conversation_list().await.unwrap();
    let mut list = Rows::new(view.subscribe());
    list.until("both chats", |r| r.len() == 2).await;
    assert_eq!(ids(&list.rows), [with_cat, with_bob], "the newest first");

    // Bob writes: his chat moves to the top, unread.
    bob.client.send_queue().send_text(with_bob, "hello").await.unwrap();
    let says_hello =
        |c: &ConversationSummary| c.last_message.as_ref().is_some_and(|m| m.content == MessageContent::text("hello"));
    list.until("Bob's chat on top, unread", |r| r[0].id == with_bob && says_hello(&r[0]) && r[0].unread > 0).await;
    assert_eq!(ids(&list.rows), [with_bob, with_cat]);

    // Read, pinned, a draft: each changes the row where it stands (or moves it).
    let seq = list.rows[0].last_seq;
    amy.client.mark_read(with_bob, seq).await.unwrap();
    list.until("read", |r| r[0].unread == 0).await;
    amy.client.set_pinned(with_cat, true).await.unwrap();
    list.until("Cat's chat pinned on top", |r| r[0].id == with_cat && r[0].pinned).await;
    amy.client.set_draft(with_bob, "half a thought").await.unwrap();
    list.until("the draft", |r| r[1].draft == "half a thought").await;
    assert_eq!(ids(&list.rows), [with_cat, with_bob]);
    // Sent, the draft is gone (in the same write as the message).
    amy.client.send_queue().send_text(with_bob, "a whole thought").await.unwrap();
    list.until("the draft gone", |r| r[1].draft.is_empty()).await;
    // The copy the diffs built is what the list holds, in its order.
    assert_eq!(list.rows, view.items());
}

#[tokio::test]
async fn test_a_chat_read_live_takes_arrivals_read_in_one_change() {
    let server = TestServer::start().await;
    let (amy, bob, with_bob) = amy_and_bob(&server).await;
    let (amys_view, bobs_view) =
        (amy.client.conversation_list().await.unwrap(), bob.client.conversation_list().await.unwrap());
    let (mut list, mut bobs) = (Rows::new(amys_view.subscribe()), Rows::new(bobs_view.subscribe()));
    list.until("the chat", |r| r.len() == 1).await;
    let says = |c: &ConversationSummary, text: &str| {
        c.last_message.as_ref().is_some_and(|m| m.content == MessageContent::text(text))
    };

    // Amy reads the chat live: Bob's line arrives read, never unread on the way.
    amy.client.set_reading(Some(with_bob)).await.unwrap();
    list.until("read on looking", |r| r[0].unread == 0).await;
    bob.client.send_queue().send_text(with_bob, "hello").await.unwrap();
    list.until("hello, read", |r| {
        assert_eq!(r[0].unread, 0, "an arrival in the chat read live is never unread: {r:?}");
        says(&r[0], "hello")
    })
    .await;
    let seq = list.rows[0].last_seq;
    assert_eq!(list.rows[0].read_seq, seq);
    // The server heard: Bob sees it read.
    bobs.until("Amy read hello", |r| r.first().is_some_and(|c| c.peer_read_seq == Some(seq))).await;

    // Not read live any more: the next one is unread until she looks again.
    amy.client.set_reading(None).await.unwrap();
    bob.client.send_queue().send_text(with_bob, "later").await.unwrap();
    list.until("later, unread", |r| says(&r[0], "later") && r[0].unread == 1).await;
    amy.client.set_reading(Some(with_bob)).await.unwrap();
    list.until("later, read on looking", |r| r[0].unread == 0 && r[0].read_seq == r[0].last_seq).await;
}

#[tokio::test]
async fn test_both_views_have_an_arrival_once_each_has_caught_up() {
    use futures_util::{FutureExt, StreamExt};
    let server = TestServer::start().await;
    let (amy, bob, with_bob) = amy_and_bob(&server).await;
    let list = amy.client.conversation_list().await.unwrap();
    let timeline = amy.client.timeline(with_bob).await.unwrap();
    let (_, mut list_diffs) = list.subscribe();
    let (_, mut timeline_diffs) = timeline.subscribe();

    // As the shell's feed does: the first view that changes, then both caught up.
    bob.client.send_queue().send_text(with_bob, "hello").await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(20), timeline_diffs.next()).await.unwrap().unwrap();
    let (mut t, mut l) = (timeline.settled(), list.settled());
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        t.caught_up().await;
        l.caught_up().await;
    })
    .await
    .expect("both views fold what was emitted");
    let batch = list_diffs.next().now_or_never().flatten().expect("the list's change is there as well");
    assert!(!batch.is_empty());
}
