//! Edits and reactions: relation messages that fold into their target.

use ling_proto::ErrorCode;
use ling_proto::groups::Group;
use ling_proto::messages::{ConversationList, HistoryPage, Message, MessageContent};
use ling_proto::relations::{ReactionCount, reaction_counts};
use ling_proto::ws::ServerFrame;

use crate::common::*;

fn edit_path(conversation: i64, seq: i64) -> String {
    format!("/v1/conversations/{conversation}/messages/{seq}/edit")
}

fn react_path(conversation: i64, seq: i64) -> String {
    format!("/v1/conversations/{conversation}/messages/{seq}/reactions")
}

async fn react(c: &Client, conversation: i64, seq: i64, emoji: &str, on: bool) -> Result<Option<Message>, ApiErr> {
    c.post(&react_path(conversation, seq), &serde_json::json!({"emoji": emoji, "on": on})).await
}

#[tokio::test]
async fn test_an_edit_changes_the_text_for_everyone_keeps_the_old_one_and_counts_nowhere() {
    let mut server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let sent = send_text(&alice, conv, "see you at 5").await.unwrap();
    let mut b = bob.ws().await;

    let edit: Message =
        alice.post(&edit_path(conv, sent.seq), &serde_json::json!({"text": "see you at 6"})).await.unwrap();
    assert_eq!(edit.content, MessageContent::Edit { target: sent.seq, text: "see you at 6".into() });
    assert_eq!(edit.seq, sent.seq + 1, "a relation takes the next seq, so catch-up brings it");
    match b.recv_until(|f| matches!(f, ServerFrame::Message { .. })).await {
        ServerFrame::Message { message } => assert_eq!(message, edit),
        _ => unreachable!(),
    }
    // The target as stored now says the new text and knows it was edited.
    let target: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", sent.seq)).await.unwrap();
    assert_eq!(target.content, MessageContent::text("see you at 6"));
    assert_eq!(target.changes.edited.map(|e| e.seq), Some(edit.seq));
    // Bob's list: one unread (the text, not its edit); the last message is the text, edited.
    let list: ConversationList = bob.get("/v1/conversations").await.unwrap();
    let c = list.conversations.iter().find(|c| c.id == conv).unwrap();
    assert_eq!((c.unread, c.last_seq), (1, edit.seq));
    assert_eq!(c.last_message.as_ref().map(|m| (m.seq, m.content.clone())), Some((sent.seq, target.content.clone())));

    // Refusals, each with its code; nothing changes.
    let refused = |r: Result<Message, ApiErr>| r.unwrap_err().code();
    let body = serde_json::json!({"text": "mine now"});
    assert_eq!(refused(bob.post(&edit_path(conv, sent.seq), &body).await), ErrorCode::NotOwnMessage);
    let same = serde_json::json!({"text": "see you at 6"});
    assert_eq!(refused(alice.post(&edit_path(conv, sent.seq), &same).await), ErrorCode::EditUnchanged);
    assert_eq!(
        refused(alice.post(&edit_path(conv, sent.seq), &serde_json::json!({"text": "  "})).await),
        ErrorCode::InvalidContent
    );
    assert_eq!(refused(alice.post(&edit_path(conv, 999), &body).await), ErrorCode::NotFound);
    let outsider = server.user("mallory").await;
    assert_eq!(refused(outsider.post(&edit_path(conv, sent.seq), &body).await), ErrorCode::NotAMember);
    let _: Message = alice
        .post(&format!("/v1/conversations/{conv}/messages/{}/recall", sent.seq), &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(refused(alice.post(&edit_path(conv, sent.seq), &body).await), ErrorCode::NotEditable);

    // The text the edit replaced is kept on the server.
    server.stop().await;
    let db = rusqlite::Connection::open(server.data_dir().join("ling.db")).unwrap();
    let kept: String = db
        .query_row(
            "SELECT content FROM message_versions WHERE conversation_id = ?1 AND seq = ?2",
            [conv, sent.seq],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(serde_json::from_str::<MessageContent>(&kept).unwrap(), MessageContent::text("see you at 5"));
}

#[tokio::test]
async fn test_reactions_add_take_back_count_and_reach_people_who_were_offline() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let sent = send_text(&alice, conv, "ship it?").await.unwrap();
    let _: serde_json::Value =
        alice.post(&format!("/v1/conversations/{conv}/read"), &serde_json::json!({"seq": sent.seq})).await.unwrap();

    let thumbs = react(&bob, conv, sent.seq, "👍", true).await.unwrap().expect("a reaction");
    assert_eq!(thumbs.content, MessageContent::Reaction { target: sent.seq, emoji: "👍".into(), on: true });
    assert_eq!(react(&bob, conv, sent.seq, "👍", true).await.unwrap(), None, "added twice changes nothing");
    let _ = react(&alice, conv, sent.seq, "🎉", true).await.unwrap().unwrap();
    let _ = react(&alice, conv, sent.seq, "👍", true).await.unwrap().unwrap();
    let _ = react(&alice, conv, sent.seq, "🎉", false).await.unwrap().unwrap();
    assert_eq!(react(&alice, conv, sent.seq, "🎉", false).await.unwrap(), None);

    let target: Message = alice.get(&format!("/v1/conversations/{conv}/messages/{}", sent.seq)).await.unwrap();
    assert_eq!(
        reaction_counts(&target.changes),
        vec![ReactionCount { emoji: "👍".into(), user_ids: vec![bob.id(), alice.id()] }]
    );
    // Bob's reaction is not unread for Alice, nor her list's last message.
    let list: ConversationList = alice.get("/v1/conversations").await.unwrap();
    let c = list.conversations.iter().find(|c| c.id == conv).unwrap();
    assert_eq!(c.unread, 0);
    assert_eq!(c.last_message.as_ref().map(|m| m.seq), Some(sent.seq));
    // Catch-up by seq brings every relation, in order, to someone who was away.
    let page: HistoryPage =
        alice.get(&format!("/v1/conversations/{conv}/messages?after_seq={}", sent.seq)).await.unwrap();
    let kinds: Vec<&str> = page.messages.iter().map(|m| m.content.kind()).collect();
    assert_eq!(kinds, ["reaction"; 4]);

    // Refusals.
    let code = |r: Result<Option<Message>, ApiErr>| r.unwrap_err().code();
    assert_eq!(code(react(&bob, conv, sent.seq, "ok", true).await), ErrorCode::InvalidReaction);
    assert_eq!(code(react(&bob, conv, sent.seq, "👍👍", true).await), ErrorCode::InvalidReaction);
    assert_eq!(code(react(&bob, conv, 1, "👍", true).await), ErrorCode::InvalidReaction, "a notice takes none");
    assert_eq!(code(react(&bob, conv, 999, "👍", true).await), ErrorCode::NotFound);
    let outsider = server.user("mallory").await;
    assert_eq!(code(react(&outsider, conv, sent.seq, "👍", true).await), ErrorCode::NotAMember);
    // At most 20 different emoji on one message.
    let many = [
        "😀", "😂", "😍", "🤔", "😢", "😡", "🙏", "👏", "🔥", "💯", "✅", "❌", "🚀", "👀", "🤝", "💪", "🎂", "🌟",
        "☕",
    ];
    for e in many {
        react(&bob, conv, sent.seq, e, true).await.unwrap().unwrap();
    }
    assert_eq!(code(react(&bob, conv, sent.seq, "🍕", true).await), ErrorCode::TooManyReactions);
    // One already there can still be added by someone else.
    react(&alice, conv, sent.seq, "🔥", true).await.unwrap().unwrap();
}

#[tokio::test]
async fn test_people_who_left_a_group_cannot_react_or_edit_there() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    befriend(&alice, &bob).await;
    let g: Group = alice.post("/v1/groups", &serde_json::json!({"name": "g", "member_ids": [bob.id()]})).await.unwrap();
    let conv = g.conversation_id;
    let said = send_text(&bob, conv, "hello all").await.unwrap();
    react(&alice, conv, said.seq, "👋", true).await.unwrap().unwrap();
    let _: serde_json::Value = bob.post(&format!("/v1/groups/{}/leave", g.id), &serde_json::json!({})).await.unwrap();
    assert_eq!(react(&bob, conv, said.seq, "👍", true).await.unwrap_err().code(), ErrorCode::NotAMember);
    let e = bob.post::<Message>(&edit_path(conv, said.seq), &serde_json::json!({"text": "bye"})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAMember);
    // A dissolved group takes no more reactions.
    let _: serde_json::Value =
        alice.post(&format!("/v1/groups/{}/dissolve", g.id), &serde_json::json!({})).await.unwrap();
    assert_eq!(react(&alice, conv, said.seq, "👍", true).await.unwrap_err().code(), ErrorCode::GroupDissolved);
}

async fn pin(c: &Client, conversation: i64, seq: i64, pinned: bool) -> Result<Option<Message>, ApiErr> {
    c.post(&format!("/v1/conversations/{conversation}/pins"), &serde_json::json!({"seq": seq, "pinned": pinned})).await
}

#[tokio::test]
async fn test_pins_say_who_pinned_what_list_with_the_chat_and_follow_the_roles() {
    use ling_proto::messages::SystemEvent;
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let conv = befriend(&alice, &bob).await;
    let first = send_text(&alice, conv, "the plan").await.unwrap();
    let second = send_text(&bob, conv, "the address").await.unwrap();

    // Either person pins in a direct chat; a note says who pinned what.
    let mut a = alice.ws().await;
    let note = pin(&bob, conv, first.seq, true).await.unwrap().expect("a note");
    assert_eq!(
        note.content,
        MessageContent::System { event: SystemEvent::MessagePinned { by: bob.id(), seq: first.seq } }
    );
    match a.recv_until(|f| matches!(f, ServerFrame::Message { .. })).await {
        ServerFrame::Message { message } => assert_eq!(message, note),
        _ => unreachable!(),
    }
    assert_eq!(pin(&bob, conv, first.seq, true).await.unwrap(), None, "pinned already");
    pin(&alice, conv, second.seq, true).await.unwrap().unwrap();
    let list: ConversationList = alice.get("/v1/conversations").await.unwrap();
    assert_eq!(list.conversations.iter().find(|c| c.id == conv).unwrap().pins, [first.seq, second.seq]);
    let off = pin(&alice, conv, first.seq, false).await.unwrap().unwrap();
    assert!(matches!(off.content, MessageContent::System { event: SystemEvent::MessageUnpinned { .. } }));
    let list: ConversationList = bob.get("/v1/conversations").await.unwrap();
    assert_eq!(list.conversations.iter().find(|c| c.id == conv).unwrap().pins, [second.seq]);
    // Notes and strangers cannot.
    assert_eq!(pin(&alice, conv, note.seq, true).await.unwrap_err().code(), ErrorCode::InvalidRequest);
    assert_eq!(pin(&alice, conv, 999, true).await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(pin(&carol, conv, first.seq, true).await.unwrap_err().code(), ErrorCode::NotAMember);

    // In a group, only the owner and admins pin.
    befriend(&alice, &carol).await;
    let g: Group = alice
        .post("/v1/groups", &serde_json::json!({"name": "g", "member_ids": [bob.id(), carol.id()]}))
        .await
        .unwrap();
    let said = send_text(&carol, g.conversation_id, "hello").await.unwrap();
    assert_eq!(pin(&carol, g.conversation_id, said.seq, true).await.unwrap_err().code(), ErrorCode::InsufficientRole);
    pin(&alice, g.conversation_id, said.seq, true).await.unwrap().unwrap();

    // At most 50 pins in one conversation.
    for i in 0..49 {
        let m = send_text(&alice, conv, &format!("m{i}")).await.unwrap();
        pin(&alice, conv, m.seq, true).await.unwrap().unwrap();
    }
    let one_more = send_text(&alice, conv, "one too many").await.unwrap();
    assert_eq!(pin(&alice, conv, one_more.seq, true).await.unwrap_err().code(), ErrorCode::TooManyPins);
    let list: ConversationList = alice.get("/v1/conversations").await.unwrap();
    assert_eq!(list.conversations.iter().find(|c| c.id == conv).unwrap().pins.len(), 50, "nothing half done");
}
