//! The assistant, against a stand-in OpenAI-compatible model (real HTTP,
//! server-sent events) through the real server: one-to-one, a group with a
//! mention, stop, regenerate, every failure, a restart mid-reply, limits.

use std::time::Duration;

use ling_proto::ErrorCode;
use ling_proto::assistant::{AssistantChat, AssistantQuestion};
use ling_proto::groups::{CreateGroupRequest, Group, InviteRequest, JoinPolicy};
use ling_proto::info::ServerInfo;
use ling_proto::messages::{HistoryPage, Message, MessageContent, ReplyEnd, SystemEvent};
use ling_proto::ws::{ClientFrame, ServerFrame};
use ling_server::Config;
use ling_testing::model::{Model, Reply};

use crate::common::*;

/// A server whose assistant asks `model` (with an API key from a file).
async fn server_with(model: &Model, tweak: impl FnOnce(&mut Config)) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "sk-test-123\n").unwrap();
    let prompt = dir.path().join("prompt.txt");
    std::fs::write(&prompt, "You are Ling's helpful assistant.").unwrap();
    let url = model.url();
    let server = TestServer::start_with(move |c| {
        c.assistant_endpoint = Some(url);
        c.assistant_model = Some("standin-1".into());
        c.assistant_api_key_file = Some(key);
        c.assistant_system_prompt_file = Some(prompt);
        tweak(c);
    })
    .await;
    (server, dir)
}

/// `user`'s conversation with the assistant.
async fn chat(user: &Client) -> i64 {
    let chat: AssistantChat = user.post("/v1/assistant/chat", &serde_json::json!({})).await.unwrap();
    chat.conversation_id
}

/// The assistant's stored reply to `question`, as the next such `message` frame.
async fn reply_to(ws: &mut Ws, question: i64) -> Message {
    match ws.recv_until(|f| matches!(f, ServerFrame::Message { message } if message.reply_to == Some(question))).await {
        ServerFrame::Message { message } => message,
        _ => unreachable!(),
    }
}

fn ended(m: &Message) -> (&str, ReplyEnd, Option<ErrorCode>) {
    match &m.content {
        MessageContent::Assistant { text, end, code } => (text.as_str(), *end, *code),
        other => panic!("not an assistant reply: {other:?}"),
    }
}

/// The streamed text of the reply to `question`, up to its first `n` frames with text.
async fn streamed(ws: &mut Ws, question: i64, n: usize) -> String {
    let mut text = String::new();
    let mut frames = 0;
    while frames < n {
        if let ServerFrame::AssistantStream { question: q, offset, text: t, .. } =
            ws.recv_until(|f| matches!(f, ServerFrame::AssistantStream { .. })).await
        {
            assert_eq!(q, question);
            // Each frame is the reply from `offset` on: the next piece, or
            // (offset 0) the whole text so far.
            assert!(offset as usize <= text.chars().count(), "frames carry their place");
            if !t.is_empty() {
                frames += 1;
            }
            text = text.chars().take(offset as usize).collect::<String>() + &t;
        }
    }
    text
}

#[tokio::test]
async fn test_a_one_to_one_question_streams_then_is_stored_as_one_reply() {
    let model = Model::start().await;
    model.then(Reply::text(&["你好", ", Amy", "!"]));
    let (server, _dir) = server_with(&model, |_| {}).await;
    let info: ServerInfo = server.anon().get("/v1/info").await.unwrap();
    let assistant = info.assistant.expect("the server says it has an assistant");
    assert_eq!(assistant.name, None, "no name configured: the apps name it");

    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    assert_eq!(chat(&amy).await, conv, "the same conversation every time");
    let friends: Vec<ling_proto::contacts::Friend> = amy.get("/v1/friends").await.unwrap();
    assert!(friends.iter().any(|f| f.user.id == assistant.user_id), "it shows among her contacts");

    let mut ws = amy.ws().await;
    let q = send_text(&amy, conv, "Say hello").await.unwrap().seq;
    assert_eq!(streamed(&mut ws, q, 3).await, "你好, Amy!");
    let reply = reply_to(&mut ws, q).await;
    assert_eq!(reply.sender_id, assistant.user_id);
    assert_eq!(ended(&reply), ("你好, Amy!", ReplyEnd::Finished, None));
    assert_eq!(reply.seq, q + 1, "an ordinary stored message with its seq");

    let seen = model.seen();
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test-123"));
    assert_eq!(seen[0].body["model"], "standin-1");
    assert_eq!(seen[0].body["stream"], true);
    assert_eq!(
        seen[0].body["messages"],
        serde_json::json!([
            {"role": "system", "content": "You are Ling's helpful assistant."},
            {"role": "user", "content": "Say hello"},
        ])
    );
    // The history has it for whoever catches up.
    let page: HistoryPage = amy.get(&format!("/v1/conversations/{conv}/messages")).await.unwrap();
    assert_eq!(page.messages.last().unwrap(), &reply);

    // The next question reads the conversation so far.
    let q2 = send_text(&amy, conv, "Again?").await.unwrap().seq;
    reply_to(&mut ws, q2).await;
    let roles: Vec<_> = model.seen()[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap().to_owned(), m["content"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        roles[1..],
        [
            ("user".into(), "Say hello".into()),
            ("assistant".into(), "你好, Amy!".into()),
            ("user".into(), "Again?".into())
        ]
    );
}

#[tokio::test]
async fn test_the_assistant_cannot_log_in() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |_| {}).await;
    for password in ["", "password1", "assistant"] {
        let Err(e) = server.login(ling_server::assistant::USERNAME, password).await else { panic!("logged in") };
        assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    }
}

#[tokio::test]
async fn test_in_a_group_it_answers_mentions_only_and_only_an_admin_brings_it_in() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |c| c.assistant_name = Some("Lingo".into())).await;
    let info: ServerInfo = server.anon().get("/v1/info").await.unwrap();
    let ai = info.assistant.unwrap();
    assert_eq!(ai.name.as_deref(), Some("Lingo"));
    let (amy, bob, eve) = (server.user("amy").await, server.user("bob").await, server.user("eve").await);
    befriend(&amy, &bob).await;
    let group: Group = amy
        .post(
            "/v1/groups",
            &CreateGroupRequest {
                name: "team".into(),
                member_ids: vec![bob.id()],
                avatar: None,
                announcement: String::new(),
                join_policy: JoinPolicy::Open,
            },
        )
        .await
        .unwrap();
    let invite = InviteRequest { user_ids: vec![ai.user_id] };
    let path = format!("/v1/groups/{}/members", group.id);
    let Err(e) = bob.post::<Vec<i64>>(&path, &invite).await else { panic!("a member may not") };
    assert_eq!(e.code(), ErrorCode::InsufficientRole);
    let added: Vec<i64> = amy.post(&path, &invite).await.unwrap();
    assert_eq!(added, vec![ai.user_id], "the owner may, without being its friend");

    let conv = group.conversation_id;
    let (mut bob_ws, mut eve_ws) = (bob.ws().await, eve.ws().await);
    model.then(Reply::text(&["Sure."]));
    let plain = send_text(&bob, conv, "lunch at noon?").await.unwrap().seq;
    let asked = send_text(&bob, conv, "@lingo what is 2+2?").await.unwrap().seq;
    let reply = reply_to(&mut bob_ws, asked).await;
    assert_eq!(ended(&reply).0, "Sure.");
    assert_eq!(model.seen().len(), 1, "the message without a mention asked nothing");
    assert_eq!(reply.seq, asked + 1, "nothing answered {plain}");
    let last = model.seen()[0].body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"], "bob: lunch at noon?\n\nbob: @lingo what is 2+2?", "speakers named");
    // Eve is not in the group: no stream, no reply.
    eve_ws.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn test_stop_keeps_what_was_written_and_regenerate_asks_again() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |_| {}).await;
    let (amy, bob) = (server.user("amy").await, server.user("bob").await);
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    let slow: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
    model.then(Reply::Stream { chunks: slow, gap: Duration::from_millis(50), finish: true });
    let q = send_text(&amy, conv, "Tell me a long story").await.unwrap().seq;
    let first = streamed(&mut ws, q, 1).await;
    assert_eq!(first, "w0 ");

    // Someone else may not stop it.
    let e = bob
        .post::<Empty>(&format!("/v1/conversations/{conv}/assistant/stop"), &AssistantQuestion { question: q })
        .await
        .err()
        .unwrap();
    assert!(matches!(e.code(), ErrorCode::NotOwnMessage | ErrorCode::NotFound), "{:?}", e.code());
    ws.send(&ClientFrame::AssistantStop { conversation_id: conv, question: q }).await;
    let reply = reply_to(&mut ws, q).await;
    let (text, end, code) = ended(&reply);
    assert_eq!((end, code), (ReplyEnd::Stopped, None));
    assert!(text.starts_with("w0 ") && text.len() < 200 * 3, "kept what was written: {text:?}");

    // Nothing runs now: stopping again is not_found.
    let e = amy
        .post::<Empty>(&format!("/v1/conversations/{conv}/assistant/stop"), &AssistantQuestion { question: q })
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), ErrorCode::NotFound);

    model.then(Reply::text(&["Once upon a time."]));
    let _: Empty = amy
        .post(&format!("/v1/conversations/{conv}/assistant/regenerate"), &AssistantQuestion { question: q })
        .await
        .unwrap();
    let again = reply_to(&mut ws, q).await;
    assert_eq!(ended(&again), ("Once upon a time.", ReplyEnd::Finished, None));
    assert!(again.seq > reply.seq, "a second reply to the same question; the first stays");
    // The model read the question, not the stopped answer after it.
    let last = model.seen().last().unwrap().body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"], "Tell me a long story");
}

#[tokio::test]
async fn test_each_failure_ends_the_reply_with_its_code_and_keeps_the_question() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |c| {
        c.assistant_first_token_timeout_secs = 0.5;
        c.assistant_requests_per_minute = 100;
    })
    .await;
    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    let cases = [
        (Reply::Status(429), "", ErrorCode::AssistantRateLimited),
        (Reply::Status(500), "", ErrorCode::AssistantUnavailable),
        (Reply::Status(401), "", ErrorCode::AssistantUnavailable),
        (Reply::Garbage, "", ErrorCode::AssistantInterrupted),
        (
            Reply::Stream { chunks: vec!["half a".into(), " sentence".into()], gap: Duration::ZERO, finish: false },
            "half a sentence",
            ErrorCode::AssistantInterrupted,
        ),
        (Reply::Silent, "", ErrorCode::AssistantTimeout),
    ];
    for (reply, kept, code) in cases {
        model.then(reply.clone());
        let q = send_text(&amy, conv, "a question").await.unwrap().seq;
        let answer = reply_to(&mut ws, q).await;
        assert_eq!(ended(&answer), (kept, ReplyEnd::Failed, Some(code)), "after {reply:?}");
        let question: Message = amy.get(&format!("/v1/conversations/{conv}/messages/{q}")).await.unwrap();
        assert_eq!(question.content, MessageContent::text("a question"), "the question stays");
    }
}

#[tokio::test]
async fn test_an_unreachable_model_is_unavailable() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let server = TestServer::start_with(move |c| {
        c.assistant_endpoint = Some(format!("http://{closed}/v1"));
        c.assistant_model = Some("m".into());
    })
    .await;
    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    let q = send_text(&amy, conv, "anyone there?").await.unwrap().seq;
    assert_eq!(ended(&reply_to(&mut ws, q).await), ("", ReplyEnd::Failed, Some(ErrorCode::AssistantUnavailable)));
}

#[tokio::test]
async fn test_a_reply_cut_by_a_restart_ends_with_a_note_when_the_server_is_back() {
    let model = Model::start().await;
    let (mut server, _dir) = server_with(&model, |_| {}).await;
    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    model.then(Reply::Silent);
    let q = send_text(&amy, conv, "still there?").await.unwrap().seq;
    ws.recv_until(|f| matches!(f, ServerFrame::AssistantStream { .. })).await;
    server.restart().await;
    let amy = server.login("amy", "password1").await.unwrap();
    let reply = ling_testing::eventually("the interrupted reply's note", async || {
        let page: HistoryPage = amy.get(&format!("/v1/conversations/{conv}/messages")).await.unwrap();
        page.messages.into_iter().find(|m| m.reply_to == Some(q))
    })
    .await;
    assert_eq!(ended(&reply).1, ReplyEnd::Failed);
    assert_eq!(ended(&reply).2, Some(ErrorCode::AssistantInterrupted));
    // Exactly one note, also after another restart.
    server.restart().await;
    let amy = server.login("amy", "password1").await.unwrap();
    let page: HistoryPage = amy.get(&format!("/v1/conversations/{conv}/messages")).await.unwrap();
    assert_eq!(page.messages.iter().filter(|m| m.reply_to == Some(q)).count(), 1);
}

#[tokio::test]
async fn test_limits_refuse_with_codes() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |c| {
        c.assistant_replies_per_person = 1;
        c.assistant_requests_per_minute = 2;
        c.assistant_max_reply_chars = 10;
    })
    .await;
    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    // One reply at a time: the second question while the first streams.
    model.then(Reply::Stream { chunks: vec!["a".into(); 40], gap: Duration::from_millis(50), finish: true });
    let q1 = send_text(&amy, conv, "one").await.unwrap().seq;
    streamed(&mut ws, q1, 1).await;
    let q2 = send_text(&amy, conv, "two").await.unwrap().seq;
    assert_eq!(ended(&reply_to(&mut ws, q2).await), ("", ReplyEnd::Failed, Some(ErrorCode::AssistantBusy)));
    // The first is cut at 10 characters.
    assert_eq!(ended(&reply_to(&mut ws, q1).await), ("aaaaaaaaaa", ReplyEnd::Cut, None));
    // Two questions a minute: the busy one did not count, the third does not pass.
    model.then(Reply::text(&["ok"]));
    let q3 = send_text(&amy, conv, "three").await.unwrap().seq;
    assert_eq!(ended(&reply_to(&mut ws, q3).await).1, ReplyEnd::Finished);
    let q4 = send_text(&amy, conv, "four").await.unwrap().seq;
    assert_eq!(ended(&reply_to(&mut ws, q4).await), ("", ReplyEnd::Failed, Some(ErrorCode::AssistantRequestLimit)));
}

#[tokio::test]
async fn test_a_new_topic_forgets_what_came_before() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |_| {}).await;
    let (amy, bob) = (server.user("amy").await, server.user("bob").await);
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    let q = send_text(&amy, conv, "the old subject").await.unwrap().seq;
    reply_to(&mut ws, q).await;
    let note: Message =
        amy.post(&format!("/v1/conversations/{conv}/assistant/new-topic"), &serde_json::json!({})).await.unwrap();
    assert_eq!(note.content, MessageContent::System { event: SystemEvent::NewTopic { by: amy.id() } });
    let q = send_text(&amy, conv, "the new one").await.unwrap().seq;
    reply_to(&mut ws, q).await;
    let messages = model.seen().last().unwrap().body["messages"].clone();
    assert_eq!(messages.as_array().unwrap().len(), 2, "the prompt and the new question: {messages}");
    // Not Bob's to do: he is not in the conversation.
    let e = bob
        .post::<Message>(&format!("/v1/conversations/{conv}/assistant/new-topic"), &serde_json::json!({}))
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), ErrorCode::NotAMember);
}

#[tokio::test]
async fn test_without_an_assistant_its_routes_say_so() {
    let server = TestServer::start().await;
    let info: ServerInfo = server.anon().get("/v1/info").await.unwrap();
    assert!(info.assistant.is_none());
    let amy = server.user("amy").await;
    let e = amy.post::<AssistantChat>("/v1/assistant/chat", &serde_json::json!({})).await.err().unwrap();
    assert_eq!(e.code(), ErrorCode::AssistantOff);
}

#[tokio::test]
async fn test_a_reply_past_the_whole_reply_timeout_ends_with_what_it_wrote() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |c| c.assistant_reply_timeout_secs = 0.6).await;
    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    let slow: Vec<String> = (0..50).map(|i| format!("p{i} ")).collect();
    model.then(Reply::Stream { chunks: slow, gap: Duration::from_millis(100), finish: true });
    let q = send_text(&amy, conv, "take your time").await.unwrap().seq;
    let reply = reply_to(&mut ws, q).await;
    let (text, end, code) = ended(&reply);
    assert_eq!((end, code), (ReplyEnd::Failed, Some(ErrorCode::AssistantTimeout)));
    assert!(text.starts_with("p0 p1 ") && !text.contains("p49"), "kept what came in time: {text:?}");
}

#[tokio::test]
async fn test_a_blocked_assistant_is_not_asked_again() {
    let model = Model::start().await;
    let (server, _dir) = server_with(&model, |_| {}).await;
    let info: ServerInfo = server.anon().get("/v1/info").await.unwrap();
    let ai = info.assistant.unwrap().user_id;
    let amy = server.user("amy").await;
    let conv = chat(&amy).await;
    let mut ws = amy.ws().await;
    let q = send_text(&amy, conv, "hello").await.unwrap().seq;
    reply_to(&mut ws, q).await;
    let _: Empty = amy.put(&format!("/v1/blocks/{ai}"), &serde_json::json!({})).await.unwrap();
    let e = amy
        .post::<Empty>(&format!("/v1/conversations/{conv}/assistant/regenerate"), &AssistantQuestion { question: q })
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), ErrorCode::Blocked);
    assert_eq!(model.seen().len(), 1, "the model was asked once");
}
