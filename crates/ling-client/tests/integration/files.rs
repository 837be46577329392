//! Files end to end: upload with progress, send, download into the file
//! cache, resume after an interruption, thumbnails, cancel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ling_client::Event;
use ling_proto::messages::MessageContent;
use tokio_util::sync::CancellationToken;

use crate::harness::{Person, TestServer, befriend};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn test_a_file_and_an_image_go_both_ways_with_progress_and_resume() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let dir = tempfile::tempdir().unwrap();

    // Amy sends a 3 MB file; progress reaches the size.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let path = dir.path().join("报告 final.bin");
    std::fs::write(&path, &data).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let progress: ling_client::files::OnProgress = Arc::new(move |done, _total| s.store(done, Ordering::Relaxed));
    let sent = amy.client.send_file(conv, &path, Some(progress), &CancellationToken::new()).await.unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), data.len() as u64);
    let MessageContent::File { file } = sent.content.clone() else { panic!("a file message: {:?}", sent.content) };
    assert_eq!((file.name.as_str(), file.size), ("报告 final.bin", data.len() as u64));

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
    let sent = bob.client.send_file(conv, &img, None, &CancellationToken::new()).await.unwrap();
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
