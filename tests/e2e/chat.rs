//! Two people befriend, chat and exchange files; one goes offline and back;
//! the server is killed and restarted mid-conversation; a client restarts with
//! unsent messages in its outbox. Every message arrives exactly once, in seq
//! order, on both sides.

use std::time::Duration;

use ling_client::CancellationToken;
use ling_client::account::{self, LoginOptions};
use ling_client::cache::{CachedMessage, SendStatus};
use ling_client::profile::Profile;
use ling_client::tokens::TokenStorePolicy;
use ling_client::{Client, ConnectionState, Event};
use ling_e2e::{Cli, ServerProcess};
use ling_proto::messages::MessageContent;
use tokio::sync::broadcast;

fn text_of(m: &CachedMessage) -> Option<String> {
    match &m.content {
        MessageContent::Text { text, .. } => Some(text.clone()),
        MessageContent::File { file } | MessageContent::Image { file, .. } => Some(format!("[file] {}", file.name)),
        _ => None,
    }
}

fn cli_text(v: &serde_json::Value) -> Option<String> {
    let c = &v["content"];
    match c["kind"].as_str()? {
        "text" => c["text"].as_str().map(str::to_owned),
        "file" | "image" => Some(format!("[file] {}", c["file"]["name"].as_str()?)),
        _ => None,
    }
}

async fn wait_for(events: &mut broadcast::Receiver<Event>, mut pick: impl FnMut(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(e)) if pick(&e) => return e,
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("events closed: {e}"),
            Err(_) => panic!("timed out waiting for an event"),
        }
    }
}

/// Amy's sent history (seq, text), oldest first, once everything is acked.
async fn settled_history(client: &Client, conv: i64) -> Vec<(i64, String)> {
    for _ in 0..300 {
        let page = client.history(conv, None, 200).await.unwrap();
        if page.iter().all(|m| m.status == SendStatus::Sent) {
            let mut out: Vec<_> = page.iter().filter_map(|m| Some((m.seq?, text_of(m)?))).collect();
            out.reverse();
            return out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("messages still unsent");
}

fn cli_history(bob: &Cli) -> Vec<(i64, String)> {
    bob.history("amy", 200).iter().filter_map(|v| Some((v["seq"].as_i64()?, cli_text(v)?))).collect()
}

fn options() -> LoginOptions {
    LoginOptions { device_name: "e2e".into(), remember: true, token_policy: TokenStorePolicy::FileOnly }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_chat_files_offline_crash_and_restart_deliver_every_message_once_in_order() {
    let mut server = ServerProcess::start();
    let work = tempfile::tempdir().unwrap();

    // Amy on the client core; Bob on ling-cli.
    let amy_dir = tempfile::tempdir().unwrap();
    let profile = Profile::open(amy_dir.path()).unwrap();
    let found = ling_client::probe::probe(&server.address(), false).await.unwrap();
    assert_eq!(found.info.name, "E2E");
    profile.use_server(&found, 1).unwrap();
    let reg = account::register(&profile, &found.base, "amy", "password1", Some("Amy"), &options()).await.unwrap();
    assert_eq!(reg.recovery_code.len(), 23);
    let mut amy = Client::start(reg.session).await.unwrap();
    let mut events = amy.events();
    let bob = Cli::new();
    assert!(bob.ok(&["server", &server.address()]).contains("E2E"));
    assert!(bob.ok(&["register", "bob"]).contains("recovery code:"));

    // Befriend: Amy asks, Bob accepts from the terminal.
    let bob_id = amy.contacts().search_users("bob").await.unwrap()[0].id;
    amy.contacts().send_friend_request(bob_id, "hi, it's Amy").await.unwrap();
    assert!(bob.ok(&["requests"]).contains("amy"));
    bob.ok(&["accept", "amy"]);
    wait_for(&mut events, |e| matches!(e, Event::ContactsChanged)).await;
    let conv = loop {
        if let Some(c) = amy.conversation_with(bob_id).await.unwrap() {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Text both ways: Bob tails, Amy writes.
    let mut tail = bob.spawn(&["tail", "--count", "1", "--timeout", "20"]);
    let mut stderr = std::io::BufReader::new(tail.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    assert_eq!(line.trim(), "tailing");
    amy.send_queue().send_text(conv, "hello Bob 👋").await.unwrap();
    let out = tail.wait_with_output().unwrap();
    assert!(out.status.success());
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli_text(&got).as_deref(), Some("hello Bob 👋"));
    bob.ok(&["send", "amy", "你好 Amy，明天开会"]);
    wait_for(
        &mut events,
        |e| matches!(e, Event::MessageNew { message } if text_of(message).as_deref() == Some("你好 Amy，明天开会")),
    )
    .await;

    // Files both ways, byte for byte.
    let amy_file = work.path().join("notes.bin");
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&amy_file, &bytes).unwrap();
    let sent = amy.send_queue().send_file(conv, &amy_file).await.unwrap();
    let id = sent.client_msg_id.clone();
    let acked = wait_for(
        &mut events,
        |e| matches!(e, Event::MessageUpdated { message } if message.client_msg_id == id && message.seq.is_some()),
    )
    .await;
    let Event::MessageUpdated { message } = acked else { unreachable!() };
    let got_dir = work.path().join("bob-downloads");
    let path = bob.ok(&["download", &format!("#{conv}:{}", message.seq.unwrap()), "--to", got_dir.to_str().unwrap()]);
    assert_eq!(std::fs::read(path.trim()).unwrap(), bytes);
    let bob_file = work.path().join("from-bob.txt");
    std::fs::write(&bob_file, "Bob's file 文件").unwrap();
    bob.ok(&["send-file", "amy", bob_file.to_str().unwrap()]);
    let got = wait_for(&mut events, |e| {
        matches!(e, Event::MessageNew { message } if matches!(message.content, MessageContent::File { .. }) && message.sender_id == bob_id)
    })
    .await;
    let Event::MessageNew { message } = got else { unreachable!() };
    let file = message.content.file().unwrap().clone();
    let local = amy.download(&file, None, &CancellationToken::new()).await.unwrap();
    assert_eq!(std::fs::read_to_string(local).unwrap(), "Bob's file 文件");

    // Amy goes offline; Bob writes; Amy comes back and catches up.
    amy.stop().await;
    for i in 0..3 {
        bob.ok(&["send", "amy", &format!("while you were away {i}")]);
    }
    let session = account::auto_login(&profile, TokenStorePolicy::FileOnly).await.unwrap().expect("remembered");
    amy = Client::start(session).await.unwrap();
    events = amy.events();
    wait_for(&mut events, |e| matches!(e, Event::Synced)).await;
    let h = amy.history(conv, None, 50).await.unwrap();
    assert!(h.iter().any(|m| text_of(m).as_deref() == Some("while you were away 2")));

    // The server is killed mid-conversation: some sends are acked before, some
    // are in flight, some are written while it is down.
    for i in 0..5 {
        amy.send_queue().send_text(conv, &format!("burst {i}")).await.unwrap();
    }
    server.kill();
    for i in 5..8 {
        amy.send_queue().send_text(conv, &format!("burst {i}")).await.unwrap();
    }
    wait_for(&mut events, |e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;

    // And Amy's app restarts with those in its outbox, before the server is back.
    amy.stop().await;
    let session = account::auto_login(&profile, TokenStorePolicy::FileOnly).await.unwrap().expect("offline auto-login");
    assert!(!session.confirmed, "opened from the cache while the server is down");
    amy = Client::start(session).await.unwrap();
    events = amy.events();
    amy.send_queue().send_text(conv, "burst 8").await.unwrap();
    server.start_again();
    amy.reconnect_now();
    wait_for(&mut events, |e| matches!(e, Event::Synced)).await;

    // Every message exactly once, in seq order, the same on both sides.
    let a = settled_history(&amy, conv).await;
    let b = cli_history(&bob);
    assert_eq!(a, b, "both sides agree");
    let seqs: Vec<i64> = a.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in seq order: {seqs:?}");
    let bursts: Vec<&str> = a.iter().map(|(_, t)| t.as_str()).filter(|t| t.starts_with("burst")).collect();
    let want: Vec<String> = (0..9).map(|i| format!("burst {i}")).collect();
    assert_eq!(bursts, want.iter().map(String::as_str).collect::<Vec<_>>(), "each once, in the order sent");
    amy.stop().await;
}
