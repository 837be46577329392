//! The live conversation list against the real server: kept in list order
//! by diffs alone, as the chat list draws it.

use ling_client::cache::ConversationSummary;
use ling_proto::messages::MessageContent;

use crate::harness::{Person, Rows, TestServer, befriend};

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
    bob.client.send_text(with_bob, "hello").await.unwrap();
    let says_hello = |c: &ConversationSummary| {
        c.last_message.as_ref().is_some_and(|m| m.content == MessageContent::Text { text: "hello".into() })
    };
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
    amy.client.send_text(with_bob, "a whole thought").await.unwrap();
    list.until("the draft gone", |r| r[1].draft.is_empty()).await;
    // The copy the diffs built is what the list holds, in its order.
    assert_eq!(list.rows, view.items());
}
