//! The assistant through the client core: its conversation, a reply that
//! streams into the timeline as one row growing by diffs, then the stored
//! reply in its place; stop and a new topic (a stand-in model behind the
//! real server).

use std::time::Duration;

use ling_client::cache::SendStatus;
use ling_client::timeline::TimelineItem;
use ling_proto::messages::{MessageContent, ReplyEnd, SystemEvent};
use ling_testing::model::{Model, Reply};

use crate::harness::{Person, Rows, TestServer};

/// The assistant's row answering `question`: its status and text.
fn answer(rows: &[TimelineItem], question: i64) -> Option<(SendStatus, String)> {
    rows.iter().filter_map(TimelineItem::as_message).rev().find(|m| m.message.reply_to == Some(question)).and_then(
        |m| match &m.message.content {
            MessageContent::Assistant { text, .. } => Some((m.message.status, text.clone())),
            _ => None,
        },
    )
}

#[tokio::test]
async fn test_a_reply_streams_into_the_timeline_then_the_stored_reply_takes_its_row() {
    let model = Model::start().await;
    let url = model.url();
    let server = TestServer::start_with(|c| {
        c.assistant_endpoint = Some(url);
        c.assistant_model = Some("standin".into());
    })
    .await;
    let amy = Person::register(&server, "amy").await;
    let conv = amy.client.assistant().chat().await.unwrap();
    let listed = amy.client.conversations().await.unwrap();
    assert!(listed.iter().any(|c| c.id == conv), "listed at once");
    let view = amy.client.timeline(conv).await.unwrap();
    let mut rows = Rows::new(view.subscribe());

    let chunks: Vec<String> = ["Once", " upon", " a", " time", "."].iter().map(|s| s.to_string()).collect();
    model.then(Reply::Stream { chunks, gap: Duration::from_millis(150), finish: true });
    amy.client.send_queue().send_text(conv, "A story, please").await.unwrap();
    let question = ling_testing::eventually("the question's seq", async || {
        amy.client.history(conv, None, 5).await.unwrap().iter().find_map(|m| m.seq)
    })
    .await;
    rows.until("the reply growing", |r| {
        answer(r, question).is_some_and(|(s, t)| s == SendStatus::Streaming && t.starts_with("Once upon"))
    })
    .await;
    rows.until("the stored reply", |r| answer(r, question).is_some_and(|(s, _)| s == SendStatus::Sent)).await;
    assert_eq!(answer(&rows.rows, question), Some((SendStatus::Sent, "Once upon a time.".into())));
    assert_eq!(
        rows.rows.iter().filter_map(TimelineItem::as_message).filter(|m| m.message.reply_to == Some(question)).count(),
        1,
        "the streaming row went"
    );

    // Stop: what was written stays, marked stopped.
    let slow: Vec<String> = (0..100).map(|i| format!("{i} ")).collect();
    model.then(Reply::Stream { chunks: slow, gap: Duration::from_millis(50), finish: true });
    amy.client.send_queue().send_text(conv, "Count").await.unwrap();
    let q2 = ling_testing::eventually("the second question", async || {
        amy.client
            .history(conv, None, 5)
            .await
            .unwrap()
            .iter()
            .filter_map(|m| m.seq)
            .max()
            .filter(|s| *s > question + 1)
    })
    .await;
    rows.until("counting", |r| answer(r, q2).is_some_and(|(_, t)| t.starts_with("0 1 "))).await;
    amy.client.assistant().stop(conv, q2).await.unwrap();
    rows.until("stopped", |r| answer(r, q2).is_some_and(|(s, _)| s == SendStatus::Sent)).await;
    let stored = amy.client.history(conv, None, 10).await.unwrap();
    let reply = stored.iter().find(|m| m.reply_to == Some(q2)).unwrap();
    assert!(
        matches!(&reply.content, MessageContent::Assistant { end: ReplyEnd::Stopped, text, .. } if text.starts_with("0 1 "))
    );

    // A new topic shows in the timeline as its note.
    amy.client.assistant().new_topic(conv).await.unwrap();
    rows.until("the new topic's note", |r| {
        r.iter()
            .filter_map(TimelineItem::as_message)
            .any(|m| matches!(m.message.content, MessageContent::System { event: SystemEvent::NewTopic { .. } }))
    })
    .await;
}
