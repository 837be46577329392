//! The live timeline against the real server: what a chat view draws, kept
//! up to date by diffs alone.

use ling_client::cache::SendStatus;
use ling_client::timeline::{PAGE, TimelineItem};
use ling_proto::messages::MessageContent;

use crate::harness::{Person, Rows, TestServer, befriend};

/// The message rows' texts, in order (`~` for a recalled one).
fn texts(rows: &[TimelineItem]) -> Vec<String> {
    rows.iter()
        .filter_map(TimelineItem::as_message)
        .map(|m| match &m.message.content {
            MessageContent::Text { text, .. } => text.clone(),
            MessageContent::Recalled => "~".to_owned(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn test_a_live_timeline_follows_sends_acks_arrivals_and_recalls() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let view = amy.client.timeline(conv).await.unwrap();
    let mut rows = Rows::new(view.subscribe());

    // Bob's messages arrive as rows, grouped as one burst.
    for text in ["one", "two", "three"] {
        bob.client.send_queue().send_text(conv, text).await.unwrap();
    }
    rows.until("Bob's three", |r| texts(r).ends_with(&["one".into(), "two".into(), "three".into()])).await;
    let bobs: Vec<_> = rows
        .rows
        .iter()
        .filter_map(TimelineItem::as_message)
        .filter(|m| matches!(m.message.content, MessageContent::Text { .. }))
        .collect();
    let edges: Vec<_> = bobs.iter().map(|m| (m.first_of_group, m.last_of_group)).collect();
    assert_eq!(edges, [(true, false), (false, false), (false, true)], "one group");

    // Amy's own message shows at once as sending, then the same row turns sent.
    let sent = amy.client.send_queue().send_text(conv, "mine").await.unwrap();
    let key = format!("c:{}", sent.client_msg_id.clone().unwrap());
    rows.until("the echo", |r| r.iter().any(|i| i.key() == key)).await;
    rows.until("the ack", |r| {
        r.iter().filter_map(TimelineItem::as_message).any(|m| m.key == key && m.message.status == SendStatus::Sent)
    })
    .await;
    assert_eq!(rows.rows.iter().filter(|i| i.key() == key).count(), 1, "one row, kept");

    // Bob recalls "two": Amy's row says so, in place.
    let page = bob.client.history(conv, None, 10).await.unwrap();
    let two = page.iter().find(|m| matches!(&m.content, MessageContent::Text { text, .. } if text == "two")).unwrap();
    bob.client.recall(conv, two.seq.unwrap()).await.unwrap();
    rows.until("the recall", |r| texts(r).contains(&"~".to_owned())).await;
    let shown = texts(&rows.rows);
    // Recalled in place; the server's note of it adds no row.
    assert_eq!(shown[1..], ["one", "~", "three", "mine"], "{shown:?}");
    // The copy the diffs built is what the timeline holds.
    assert_eq!(rows.rows, view.items());
}

/// Waits until the newest message `who` has cached in `conv` is `text`.
async fn newest_is(who: &Person, conv: ling_proto::ConversationId, text: &str) {
    ling_testing::eventually(&format!("the newest message is {text}"), async || {
        let page = who.client.history(conv, None, 1).await.unwrap();
        page.first().is_some_and(|m| matches!(&m.content, MessageContent::Text { text: t, .. } if t == text))
    })
    .await
}

#[tokio::test]
async fn test_a_long_conversation_opens_on_its_newest_page_and_scrolls_back_to_its_start() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let total = PAGE as usize + 20;
    for i in 0..total {
        bob.client.send_queue().send_text(conv, &format!("m{i}")).await.unwrap();
    }
    let last = format!("m{}", total - 1);
    newest_is(&amy, conv, &last).await;

    let view = amy.client.timeline(conv).await.unwrap();
    let mut rows = Rows::new(view.subscribe());
    let shown = texts(&rows.rows);
    assert_eq!(shown.len(), PAGE as usize, "the newest page");
    assert_eq!(shown.last(), Some(&last));
    // Unread: the marker stands before the first message Amy has not read.
    assert!(rows.rows.iter().any(|i| matches!(i, TimelineItem::Unread { .. })));

    let mut reached = false;
    for _ in 0..5 {
        if view.paginate_back().await.unwrap() {
            reached = true;
            break;
        }
    }
    assert!(reached, "the start is reached");
    rows.until("every message", |r| texts(r).iter().filter(|t| t.starts_with('m')).count() == total).await;
    let shown: Vec<String> = texts(&rows.rows).into_iter().filter(|t| t.starts_with('m')).collect();
    let expected: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(shown, expected, "in order, once each");
    assert_eq!(rows.rows, view.items());
}

#[tokio::test]
async fn test_a_chat_opens_at_its_first_unread_message_while_it_is_scrolled_back() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let read = amy.client.history(conv, None, 1).await.unwrap()[0].seq.unwrap();
    amy.client.mark_read(conv, read).await.unwrap();
    let unread = 2 * PAGE as usize + 10;
    for i in 0..unread {
        bob.client.send_queue().send_text(conv, &format!("u{i}")).await.unwrap();
    }
    newest_is(&amy, conv, &format!("u{}", unread - 1)).await;

    // Loading back to the first unread message while the view scrolls up
    // (two paginations at once): each page once, the marker over them all.
    let view = amy.client.timeline(conv).await.unwrap();
    assert!(!view.reached_start().await);
    let (to_unread, scrolled) = tokio::join!(view.paginate_back_to_unread(500), view.paginate_back());
    assert!(to_unread.unwrap(), "the first unread message is reached");
    scrolled.unwrap();
    let rows = view.items();
    let shown: Vec<String> = texts(&rows).into_iter().filter(|t| t.starts_with('u')).collect();
    let expected: Vec<String> = (0..unread).map(|i| format!("u{i}")).collect();
    assert_eq!(shown, expected, "in order, once each");
    let marker = rows.iter().position(|i| matches!(i, TimelineItem::Unread { .. })).expect("the marker");
    assert!(
        matches!(rows[marker], TimelineItem::Unread { count, .. } if count as usize == unread),
        "{:?}",
        rows[marker]
    );
    let first_unread = rows[marker + 1].as_message().expect("a message under the marker");
    assert_eq!(first_unread.message.seq, Some(read + 1));

    // Far enough back, the start; a limit stops short of it.
    let limited = amy.client.timeline(conv).await.unwrap();
    assert!(!limited.paginate_back_to(1, PAGE as usize + 1).await.unwrap(), "stopped at the limit");
    assert!(view.paginate_back_to(1, 10_000).await.unwrap());
    assert!(view.reached_start().await);

    // Read to the end, the chat has no unread message to open at.
    let last = rows.iter().rev().find_map(|i| i.as_message()?.message.seq).unwrap();
    amy.client.mark_read(conv, last).await.unwrap();
    let read = amy.client.timeline(conv).await.unwrap();
    assert!(!read.paginate_back_to_unread(500).await.unwrap(), "nothing unread");
}

#[tokio::test]
async fn test_a_chat_opened_with_nothing_unread_marks_nothing_new_as_it_arrives() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    // Amy has read the note that they are friends.
    amy.client.set_reading(Some(conv)).await.unwrap();
    amy.client.set_reading(None).await.unwrap();
    let view = amy.client.timeline(conv).await.unwrap();
    let mut rows = Rows::new(view.subscribe());
    for text in ["one", "two"] {
        bob.client.send_queue().send_text(conv, text).await.unwrap();
    }
    rows.until("Bob's two", |r| texts(r).ends_with(&["one".into(), "two".into()])).await;
    assert!(!rows.rows.iter().any(|i| matches!(i, TimelineItem::Unread { .. })), "no marker: {:?}", texts(&rows.rows));
}

/// A message row's reactions as `emoji×count`.
fn reactions(rows: &[TimelineItem], text: &str) -> Vec<String> {
    rows.iter()
        .filter_map(TimelineItem::as_message)
        .find(|m| matches!(&m.message.content, MessageContent::Text { text: t, .. } if t == text))
        .map(|m| m.reactions.iter().map(|r| format!("{}×{}", r.emoji, r.user_ids.len())).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn test_edits_and_reactions_reach_open_views_search_and_someone_who_was_offline() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let bobs_view = bob.client.timeline(conv).await.unwrap();
    let mut bobs_rows = Rows::new(bobs_view.subscribe());
    let amys_view = amy.client.timeline(conv).await.unwrap();
    let mut amys_rows = Rows::new(amys_view.subscribe());

    amy.client.send_queue().send_text(conv, "see you at 5").await.unwrap();
    bobs_rows.until("the text", |r| texts(r).contains(&"see you at 5".to_owned())).await;
    let seq = bob.client.history(conv, None, 1).await.unwrap()[0].seq.unwrap();
    let unread = bob.client.conversation(conv).await.unwrap().unwrap().unread;

    // Amy edits it: Bob's row changes in place and says it was edited.
    amy.client.edit(conv, seq, "see you at 6").await.unwrap();
    bobs_rows.until("the edit", |r| texts(r).contains(&"see you at 6".to_owned())).await;
    let row = bobs_rows.rows.iter().filter_map(TimelineItem::as_message).find(|m| m.message.seq == Some(seq)).unwrap();
    assert!(row.message.changes.edited.is_some());
    assert!(!texts(&bobs_rows.rows).contains(&"see you at 5".to_owned()), "one row, no relation row");
    // Bob reacts; both views show it; it counts nowhere as unread.
    bob.client.react(conv, seq, "👍", true).await.unwrap();
    amy.client.react(conv, seq, "👍", true).await.unwrap();
    amys_rows.until("two thumbs", |r| reactions(r, "see you at 6") == ["👍×2"]).await;
    bobs_rows.until("two thumbs", |r| reactions(r, "see you at 6") == ["👍×2"]).await;
    assert_eq!(bob.client.conversation(conv).await.unwrap().unwrap().unread, unread);
    // Search finds the new text and not the old one.
    ling_testing::eventually("Bob finds the new text", async || {
        !bob.client.search("6", Some(conv), 10).await.unwrap().is_empty()
    })
    .await;
    assert!(bob.client.search("5", Some(conv), 10).await.unwrap().is_empty());

    // Bob goes offline; meanwhile Amy edits again, takes her 👍 back and adds 🎉.
    drop((bobs_view, bobs_rows));
    let mut bob = bob
        .restarted_after(async {
            amy.client.edit(conv, seq, "see you at 7").await.unwrap();
            amy.client.react(conv, seq, "👍", false).await.unwrap();
            amy.client.react(conv, seq, "🎉", true).await.unwrap();
        })
        .await;
    bob.connected().await;
    let view = bob.client.timeline(conv).await.unwrap();
    let mut rows = Rows::new(view.subscribe());
    rows.until("caught up", |r| {
        texts(r).contains(&"see you at 7".to_owned()) && reactions(r, "see you at 7") == ["👍×1", "🎉×1"]
    })
    .await;
    assert_eq!(texts(&rows.rows).iter().filter(|t| t.starts_with("see you")).count(), 1);
    assert_eq!(bob.client.conversation(conv).await.unwrap().unwrap().unread, unread, "relations are never unread");
}

#[tokio::test]
async fn test_a_pin_reaches_the_other_side_and_a_view_jumps_back_to_it() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    bob.client.send_queue().send_text(conv, "the address: 1 Main St").await.unwrap();
    for i in 0..PAGE + 10 {
        bob.client.send_queue().send_text(conv, &format!("chatter {i}")).await.unwrap();
    }
    newest_is(&amy, conv, &format!("chatter {}", PAGE + 9)).await;
    let page = amy.client.history(conv, None, 200).await.unwrap();
    let address = page
        .iter()
        .find(|m| matches!(&m.content, MessageContent::Text { text, .. } if text.starts_with("the address")))
        .unwrap();
    let seq = address.seq.unwrap();

    amy.client.pin_message(conv, seq, true).await.unwrap();
    let bob_ref = &bob;
    ling_testing::eventually("Bob sees the pin", async || {
        bob_ref.client.conversation(conv).await.unwrap().is_some_and(|c| c.pins == [seq])
    })
    .await;
    // The pinned message lies before the newest page: the view loads back to it.
    let view = bob.client.timeline(conv).await.unwrap();
    assert!(!texts(&view.items()).iter().any(|t| t.starts_with("the address")));
    assert!(view.paginate_back_to(seq, 1000).await.unwrap());
    let mut rows = Rows::new(view.subscribe());
    rows.until("the pinned message loaded", |r| texts(r).iter().any(|t| t.starts_with("the address"))).await;
    bob.client.pin_message(conv, seq, false).await.unwrap();
    let amy_ref = &amy;
    ling_testing::eventually("Amy sees it unpinned", async || {
        amy_ref.client.conversation(conv).await.unwrap().is_some_and(|c| c.pins.is_empty())
    })
    .await;
}
