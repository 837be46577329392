//! Files end to end: sent through the send queue (listed at once, uploaded
//! with progress, through a restart, refused, retried, discarded), download
//! into the file cache, resume after an interruption, thumbnails, cancel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ling_client::cache::{CachedMessage, SendStatus};
use ling_client::{ConnectionState, Event};
use ling_proto::messages::MessageContent;
use ling_testing::eventually;
use tokio_util::sync::CancellationToken;

use crate::harness::{Person, TestServer, amy_and_bob};
use crate::session::has_text;

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn test_a_file_and_an_image_go_both_ways_with_progress_and_resume() {
    let server = TestServer::start().await;
    let (mut amy, mut bob, conv) = amy_and_bob(&server).await;
    let dir = tempfile::tempdir().unwrap();

    // Amy sends a 3 MB file: listed at once, uploading; progress reaches
    // the size; then it is sent.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let path = dir.path().join("报告 final.bin");
    std::fs::write(&path, &data).unwrap();
    let echo = amy.client.send_queue().send_file(conv, &path).await.unwrap();
    assert_eq!((echo.status, echo.seq), (SendStatus::Uploading, None));
    let MessageContent::File { file } = &echo.content else { panic!("a file message: {:?}", echo.content) };
    assert_eq!((file.id.as_str(), file.name.as_str(), file.size), ("", "报告 final.bin", data.len() as u64));
    let mut told = Vec::new();
    let sent = loop {
        match amy.wait_for(|e| matches!(e, Event::UploadProgress { .. } | Event::MessageUpdated { .. })).await {
            Event::UploadProgress { client_msg_id, sent, total, .. }
                if Some(&client_msg_id) == echo.client_msg_id.as_ref() =>
            {
                assert_eq!(total, data.len() as u64);
                told.push(sent);
            }
            Event::MessageUpdated { message } if message.status == SendStatus::Sent => break message,
            _ => {}
        }
    };
    assert_eq!((told.first(), told.last()), (Some(&0), Some(&(data.len() as u64))), "from 0 to the size");
    assert!(told.len() <= 101 && told.windows(2).all(|w| w[0] < w[1]), "each percent once: {told:?}");
    assert_eq!(sent.client_msg_id, echo.client_msg_id, "the echo became the sent message");
    let MessageContent::File { file } = sent.content.clone() else { panic!("a file message: {:?}", sent.content) };
    assert_eq!((file.name.as_str(), file.size), ("报告 final.bin", data.len() as u64));
    assert!(!file.id.is_empty());

    // Bob receives it and downloads it, after an interruption left half of it.
    bob.wait_for(
        |e| matches!(e, Event::MessageNew { message } if matches!(message.content, MessageContent::File { .. })),
    )
    .await;
    let dest = bob.client.cached_file_path(&file).unwrap();
    let part = dest.parent().unwrap().join(format!("{}.part", file.id));
    std::fs::create_dir_all(part.parent().unwrap()).unwrap();
    std::fs::write(&part, &data[..1_234_567]).unwrap();
    let first = Arc::new(AtomicU64::new(u64::MAX));
    let f = first.clone();
    let progress: ling_client::files::OnProgress = Arc::new(move |done, _| {
        let _ = f.compare_exchange(u64::MAX, done, Ordering::Relaxed, Ordering::Relaxed);
    });
    let got = bob.client.download(&file, Some(progress), &CancellationToken::new()).await.unwrap();
    assert_eq!(std::fs::read(&got).unwrap(), data, "resumed to the same bytes");
    assert!(first.load(Ordering::Relaxed) > 1_234_567, "it resumed where it stopped, not from zero");
    assert!(!part.exists());
    // A second download is the cached file.
    assert_eq!(bob.client.download(&file, None, &CancellationToken::new()).await.unwrap(), got);

    // Bob sends an image back; Amy gets it as an image with a thumbnail.
    let img = dir.path().join("pic.png");
    std::fs::write(&img, png(640, 480)).unwrap();
    bob.client.send_queue().send_file(conv, &img).await.unwrap();
    let sent = until_sent(&mut bob).await;
    let MessageContent::Image { file, width, height } = sent.content else { panic!("an image") };
    assert_eq!((width, height), (640, 480));
    amy.wait_for(
        |e| matches!(e, Event::MessageNew { message } if matches!(message.content, MessageContent::Image { .. })),
    )
    .await;
    let thumb = amy.client.thumbnail(&file.id).await.unwrap().expect("a thumbnail");
    let t = image::open(&thumb).unwrap();
    assert!(t.width() <= 320 && t.height() <= 320);
    assert_eq!(amy.client.thumbnail(&file.id).await.unwrap(), Some(thumb), "cached");
}

/// Waits until one of `p`'s messages is sent (or failed), and returns it.
async fn until_sent(p: &mut Person) -> CachedMessage {
    match p
        .wait_for(|e| {
            matches!(e, Event::MessageUpdated { message } if matches!(message.status, SendStatus::Sent | SendStatus::Failed))
        })
        .await
    {
        Event::MessageUpdated { message } => message,
        _ => unreachable!(),
    }
}

async fn file_messages(p: &Person, conv: i64) -> Vec<CachedMessage> {
    let page = p.client.history(conv, None, 50).await.unwrap();
    page.into_iter()
        .filter(|m| matches!(m.content, MessageContent::File { .. } | MessageContent::Image { .. }))
        .collect()
}

#[tokio::test]
async fn test_a_file_sent_offline_waits_through_a_restart_and_is_sent_once() {
    let mut server = TestServer::start().await;
    let (mut amy, bob, conv) = amy_and_bob(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("while away.png");
    std::fs::write(&img, png(64, 48)).unwrap();

    // Given a file sent while the server is away, and a pasted image,
    server.stop().await;
    amy.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;
    let echo = amy.client.send_queue().send_file(conv, &img).await.unwrap();
    let staged = amy.client.send_queue().stage_bytes("../clip.png", png(10, 10)).await.unwrap();
    assert!(staged.starts_with(amy.client.account_dir()) && staged.ends_with("clip.png"), "{}", staged.display());
    let pasted = amy.client.send_queue().send_file(conv, &staged).await.unwrap();
    amy.client.send_queue().send_text(conv, "after the files").await.unwrap();
    // when Amy's app quits and starts again, offline at first,
    let mut amy = amy.restarted().await;
    let waiting = file_messages(&amy, conv).await;
    assert_eq!(waiting.iter().map(|m| m.status).collect::<Vec<_>>(), [SendStatus::Uploading; 2], "kept");
    server.start_again().await;
    bob.client.reconnect_now();
    amy.connected().await;
    // then both are uploaded and sent, once each, as images; the pasted copy is gone.
    eventually("both files sent", async || {
        file_messages(&amy, conv).await.iter().all(|m| m.status == SendStatus::Sent)
    })
    .await;
    eventually("Bob has both", async || file_messages(&bob, conv).await.len() == 2).await;
    let got = file_messages(&bob, conv).await;
    assert!(got.iter().all(|m| matches!(m.content, MessageContent::Image { .. })), "{got:?}");
    let ids: Vec<_> = file_messages(&amy, conv).await.into_iter().map(|m| m.client_msg_id).collect();
    assert!(ids.contains(&echo.client_msg_id) && ids.contains(&pasted.client_msg_id));
    assert!(!staged.exists(), "the staged copy is removed once sent");
    assert!(img.exists(), "a file of the person's own stays where it was");
    assert!(has_text(&bob, conv, "after the files").await);
}

#[tokio::test]
async fn test_a_refused_upload_fails_with_the_servers_code_and_can_be_retried_or_discarded() {
    let mut server = TestServer::start().await;
    let (mut amy, _bob, conv) = amy_and_bob(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.txt");
    std::fs::write(&path, b"").unwrap();

    let echo = amy.client.send_queue().send_file(conv, &path).await.unwrap();
    let failed = until_sent(&mut amy).await;
    assert_eq!((failed.status, failed.error_code.as_deref()), (SendStatus::Failed, Some("empty_file")));
    // Retried once the file has something in it: sent.
    std::fs::write(&path, b"now with words").unwrap();
    amy.client.send_queue().retry(echo.client_msg_id.as_deref().unwrap()).await.unwrap();
    let sent = until_sent(&mut amy).await;
    assert_eq!((sent.status, sent.client_msg_id.as_ref()), (SendStatus::Sent, echo.client_msg_id.as_ref()));

    // A file that is gone when its turn comes (the server was away until
    // then) fails with its own code; discarded, it leaves.
    let gone = dir.path().join("gone.txt");
    std::fs::write(&gone, b"soon gone").unwrap();
    server.stop().await;
    amy.wait_for(|e| matches!(e, Event::Connection { state: ConnectionState::Waiting { .. } })).await;
    let echo = amy.client.send_queue().send_file(conv, &gone).await.unwrap();
    std::fs::remove_file(&gone).unwrap();
    server.start_again().await;
    amy.client.reconnect_now();
    let failed = until_sent(&mut amy).await;
    assert_eq!(failed.error_code.as_deref(), Some("file_unreadable"));
    let id = echo.client_msg_id.clone().unwrap();
    amy.client.send_queue().discard(&id).await.unwrap();
    amy.wait_for(|e| matches!(e, Event::MessageRemoved { client_msg_id, .. } if *client_msg_id == id)).await;
    assert_eq!(file_messages(&amy, conv).await.len(), 1, "only the one sent is left");
    assert_eq!(amy.client.send_queue().discard(&id).await.unwrap_err().code(), "invalid_input");
    let sent_id = sent.client_msg_id.unwrap();
    assert_eq!(
        amy.client.send_queue().discard(&sent_id).await.unwrap_err().code(),
        "invalid_input",
        "a sent one stays"
    );
}

/// `p` sends a file of `size` bytes (written in `dir`) to `conv`; returns its
/// message once its upload has begun.
async fn uploading(p: &mut Person, conv: i64, dir: &std::path::Path, size: usize) -> CachedMessage {
    let path = dir.join("big.bin");
    std::fs::write(&path, vec![7u8; size]).unwrap();
    let echo = p.client.send_queue().send_file(conv, &path).await.unwrap();
    p.wait_for(|e| matches!(e, Event::UploadProgress { sent, .. } if *sent > 0)).await;
    echo
}

#[tokio::test]
async fn test_a_file_discarded_while_uploading_stops_and_is_never_sent() {
    let server = TestServer::start().await;
    let (mut amy, bob, conv) = amy_and_bob(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let echo = uploading(&mut amy, conv, dir.path(), 40_000_000).await;
    let id = echo.client_msg_id.clone().unwrap();
    amy.client.send_queue().discard(&id).await.unwrap();
    assert!(file_messages(&amy, conv).await.is_empty());
    // What is sent next goes, and the discarded file never does.
    amy.client.send_queue().send_text(conv, "instead").await.unwrap();
    assert!(has_text(&bob, conv, "instead").await);
    assert!(file_messages(&bob, conv).await.is_empty());
}

/// A text sent while a file uploads goes at once; the file, written before
/// it, follows when its upload ends (the outbox looks back for it).
#[tokio::test]
async fn test_a_text_sent_during_an_upload_goes_first_and_the_file_follows() {
    let server = TestServer::start().await;
    let (mut amy, bob, conv) = amy_and_bob(&server).await;
    let dir = tempfile::tempdir().unwrap();
    uploading(&mut amy, conv, dir.path(), 10_000_000).await;
    amy.client.send_queue().send_text(conv, "meanwhile").await.unwrap();
    assert!(has_text(&bob, conv, "meanwhile").await);
    eventually("Bob has the file", async || file_messages(&bob, conv).await.len() == 1).await;
}

#[tokio::test]
async fn test_a_cancelled_upload_stops_and_sends_nothing() {
    let server = TestServer::start().await;
    let amy = Person::register(&server, "amy").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, vec![7u8; 8_000_000]).unwrap();
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    let progress: ling_client::files::OnProgress = Arc::new(move |done, _| {
        if done > 1_000_000 {
            c.cancel();
        }
    });
    let e = amy.client.upload(&path, Some(progress), &cancel).await.unwrap_err();
    assert_eq!(e.code(), "cancelled");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let e = amy.client.upload(&empty, None, &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.code(), "empty_file", "the server's code comes through");
}

#[tokio::test]
async fn test_messages_forwarded_to_two_chats_arrive_marked_in_order_without_a_second_upload() {
    let server = TestServer::start().await;
    let (mut amy, bob, with_bob) = amy_and_bob(&server).await;
    let mut cat = Person::register(&server, "cat").await;
    let with_cat = crate::harness::befriend(&mut amy, &mut cat).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.png");
    std::fs::write(&path, png(12, 8)).unwrap();

    // Bob sends Amy a text and a picture.
    bob.client.send_queue().send_text(with_bob, "look at this").await.unwrap();
    bob.client.send_queue().send_file(with_bob, &path).await.unwrap();
    let amy_ref = &amy;
    let page = eventually("Amy has both", async || {
        let page = amy_ref.client.history(with_bob, None, 5).await.unwrap();
        let image =
            page.iter().any(|m| matches!(&m.content, MessageContent::Image { file, .. } if !file.id.is_empty()));
        (image && page.iter().any(|m| says(m, "look at this"))).then_some(page)
    })
    .await;
    let mut both: Vec<CachedMessage> = page
        .into_iter()
        .filter(|m| says(m, "look at this") || matches!(m.content, MessageContent::Image { .. }))
        .collect();
    both.sort_by_key(|m| m.seq);
    let file_id = both[1].content.file().unwrap().id.clone();

    // Amy forwards both to Cat and back to Bob; a notice cannot be forwarded.
    let notice = amy.client.history(with_cat, None, 5).await.unwrap();
    let notice = notice.into_iter().find(|m| matches!(m.content, MessageContent::System { .. })).unwrap();
    assert!(amy.client.send_queue().forward(&[notice], &[with_bob]).await.is_err());
    amy.client.send_queue().forward(&both, &[with_cat, with_bob]).await.unwrap();
    let cat_ref = &cat;
    let got = eventually("Cat has both, forwarded", async || {
        let page = cat_ref.client.history(with_cat, None, 5).await.unwrap();
        let forwarded: Vec<CachedMessage> = page.into_iter().filter(|m| m.forwarded).collect();
        (forwarded.len() == 2).then_some(forwarded)
    })
    .await;
    let mut got = got;
    got.sort_by_key(|m| m.seq);
    assert!(says(&got[0], "look at this"), "in order: {got:?}");
    assert_eq!(got[1].content.file().map(|f| f.id.clone()), Some(file_id.clone()), "the same file, not uploaded again");
    assert_eq!(got[1].sender_id, amy.id());
    let bob_ref = &bob;
    eventually("Bob has them back, marked", async || {
        let page = bob_ref.client.history(with_bob, None, 6).await.unwrap();
        page.iter().filter(|m| m.forwarded && m.sender_id != bob_ref.id()).count() == 2
    })
    .await;
}

fn says(m: &CachedMessage, text: &str) -> bool {
    matches!(&m.content, MessageContent::Text { text: t, .. } if t == text)
}
