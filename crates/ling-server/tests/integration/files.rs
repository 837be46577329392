use ling_proto::ErrorCode;
use ling_proto::files::FileInfo;
use ling_proto::messages::{FileRef, MessageContent, SendAck, SendMessageRequest};
use ling_proto::users::Me;
use reqwest::{Method, StatusCode};

use crate::common::*;

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn upload(c: &Client, name: &str, body: Vec<u8>) -> Result<FileInfo, ApiErr> {
    let resp = c.request(Method::POST, &format!("/v1/files?name={}", urlencode(name))).body(body).send().await.unwrap();
    decode(resp).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn send_file(c: &Client, conv: i64, content: MessageContent) -> Result<SendAck, ApiErr> {
    c.post(
        &format!("/v1/conversations/{conv}/messages"),
        &SendMessageRequest {
            client_msg_id: new_id(),
            content,
            reply_to: None,
            forwarded: false,
            mentions: Default::default(),
        },
    )
    .await
}

fn file_ref(id: &str) -> FileRef {
    FileRef { id: id.into(), name: String::new(), size: 0, mime: String::new() }
}

#[tokio::test]
async fn test_an_image_is_uploaded_measured_thumbnailed_and_sent() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let bytes = png(800, 600);
    let info = upload(&alice, "照片.png", bytes.clone()).await.unwrap();
    assert_eq!(
        (info.mime.as_str(), info.width, info.height, info.size),
        ("image/png", Some(800), Some(600), bytes.len() as u64)
    );
    assert!(info.has_thumbnail);
    assert_eq!(info.name, "照片.png");

    // Before it is sent, only the uploader may read it.
    let e = decode::<serde_json::Value>(
        bob.request(Method::GET, &format!("/v1/files/{}/info", info.id)).send().await.unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    send_file(&alice, conv, MessageContent::Image { file: file_ref(&info.id), width: 0, height: 0 }).await.unwrap();
    let page: ling_proto::messages::HistoryPage = bob.get(&format!("/v1/conversations/{conv}/messages")).await.unwrap();
    match &page.messages.last().unwrap().content {
        MessageContent::Image { file, width, height } => {
            assert_eq!(
                (file.name.as_str(), file.size, file.mime.as_str(), *width, *height),
                ("照片.png", bytes.len() as u64, "image/png", 800, 600)
            );
        }
        other => panic!("expected an image, got {other:?}"),
    }
    let resp = bob.request(Method::GET, &format!("/v1/files/{}", info.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), bytes);
    let thumb = bob.request(Method::GET, &format!("/v1/files/{}/thumbnail", info.id)).send().await.unwrap();
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let t = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((t.width(), t.height()), (320, 240));
}

#[tokio::test]
async fn test_downloads_honour_range_requests() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    // Larger than the JSON body limit: uploads are streamed, not limited like JSON.
    let data: Vec<u8> = (0..1_200_000u32).map(|i| (i % 251) as u8).collect();
    let info = upload(&alice, "data.bin", data.clone()).await.unwrap();
    assert_eq!(info.mime, "application/octet-stream");
    assert!(!info.has_thumbnail && info.width.is_none());
    send_file(&alice, conv, MessageContent::File { file: file_ref(&info.id) }).await.unwrap();
    let resp = bob
        .request(Method::GET, &format!("/v1/files/{}", info.id))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-range"], "bytes 1000-1999/1200000");
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data[1000..2000].to_vec());
    let resp = bob
        .request(Method::GET, &format!("/v1/files/{}", info.id))
        .header("range", "bytes=1199990-")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data[1_199_990..].to_vec());
    let whole = bob.request(Method::GET, &format!("/v1/files/{}", info.id)).send().await.unwrap();
    assert_eq!(whole.bytes().await.unwrap().len(), data.len());
}

#[tokio::test]
async fn test_the_same_content_is_stored_once() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let a = upload(&alice, "a.txt", b"same bytes".to_vec()).await.unwrap();
    let b = upload(&bob, "b.txt", b"same bytes".to_vec()).await.unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.sha256, b.sha256);
    let dir = server.data_dir().join("blobs/files").join(&a.sha256[..2]);
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
}

#[tokio::test]
async fn test_uploads_over_the_limit_empty_or_with_path_like_names_are_refused() {
    let server = TestServer::start_with(|c| c.max_file_bytes = 64 * 1024).await;
    let alice = server.user("alice").await;
    let e = upload(&alice, "big.bin", vec![7u8; 64 * 1024 + 1]).await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (413, ErrorCode::FileTooLarge));
    // A streamed body without a length is cut off at the limit too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..20).map(|_| Ok(vec![1u8; 8 * 1024])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let resp = alice.request(Method::POST, "/v1/files?name=stream.bin").body(body).send().await.unwrap();
    assert_eq!(decode::<FileInfo>(resp).await.unwrap_err().code(), ErrorCode::FileTooLarge);
    assert!(upload(&alice, "exact.bin", vec![7u8; 64 * 1024]).await.is_ok());
    assert_eq!(upload(&alice, "empty.txt", vec![]).await.unwrap_err().code(), ErrorCode::EmptyFile);
    for name in ["../../etc/passwd", "a/b.txt", "a\\b.txt", "..", "bad\u{1}name"] {
        assert_eq!(
            upload(&alice, name, b"x".to_vec()).await.unwrap_err().code(),
            ErrorCode::InvalidFileName,
            "{name:?}"
        );
    }
    let staging = server.data_dir().join("blobs/staging");
    assert_eq!(std::fs::read_dir(staging).unwrap().count(), 0, "refused uploads leave nothing behind");
}

#[tokio::test]
async fn test_a_non_image_cannot_be_sent_as_an_image_or_used_as_an_avatar() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let txt = upload(&alice, "notes.txt", b"hello".to_vec()).await.unwrap();
    assert_eq!(txt.mime, "text/plain");
    let e = send_file(&alice, conv, MessageContent::Image { file: file_ref(&txt.id), width: 1, height: 1 })
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAnImage);
    let e = alice.patch::<Me>("/v1/me", &serde_json::json!({"avatar": txt.id})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAnImage);
    // Someone else's upload cannot be sent either.
    let e = send_file(&bob, conv, MessageContent::File { file: file_ref(&txt.id) }).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidContent);
}

#[tokio::test]
async fn test_avatars_are_readable_by_anyone_logged_in() {
    let server = TestServer::start().await;
    let (alice, stranger) = (server.user("alice").await, server.user("stranger").await);
    let img = upload(&alice, "me.png", png(64, 64)).await.unwrap();
    let me: Me = alice.patch("/v1/me", &serde_json::json!({"avatar": img.id})).await.unwrap();
    assert_eq!(me.avatar.as_deref(), Some(img.id.as_str()));
    let resp = stranger.request(Method::GET, &format!("/v1/files/{}", img.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = server.anon().request(Method::GET, &format!("/v1/files/{}", img.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn test_a_group_avatar_is_set_recorded_and_readable_by_members() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    befriend(&alice, &bob).await;
    let g: ling_proto::groups::Group =
        alice.post("/v1/groups", &serde_json::json!({"name": "g", "member_ids": [bob.id()]})).await.unwrap();
    let img = upload(&alice, "group.png", png(96, 96)).await.unwrap();
    let updated: ling_proto::groups::Group =
        alice.patch(&format!("/v1/groups/{}", g.id), &serde_json::json!({"avatar": img.id})).await.unwrap();
    assert_eq!(updated.avatar.as_deref(), Some(img.id.as_str()));
    let resp = bob.request(Method::GET, &format!("/v1/files/{}/thumbnail", img.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page: ling_proto::messages::HistoryPage =
        bob.get(&format!("/v1/conversations/{}/messages", g.conversation_id)).await.unwrap();
    assert!(page.messages.iter().any(|m| matches!(
        m.content,
        MessageContent::System { event: ling_proto::messages::SystemEvent::GroupAvatarChanged { .. } }
    )));
    let txt = upload(&alice, "x.txt", b"not an image".to_vec()).await.unwrap();
    let e = alice
        .patch::<ling_proto::groups::Group>(&format!("/v1/groups/{}", g.id), &serde_json::json!({"avatar": txt.id}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAnImage);
}

/// A PNG whose header claims `w`x`h` pixels, cut off after 100 bytes.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png(2, 2);
    bytes.truncate(33);
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    // The header chunk's CRC, so a decoder believes the claim.
    let mut crc = !0u32;
    for &b in &bytes[12..29] {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    bytes[29..33].copy_from_slice(&(!crc).to_be_bytes());
    bytes.resize(100, 0);
    bytes
}

#[tokio::test]
async fn test_an_image_bomb_is_stored_as_a_plain_file_and_refused_as_an_image_and_an_avatar() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let bomb = upload(&alice, "bomb.png", png_bomb(30_000, 30_000)).await.unwrap();
    assert_eq!(
        (bomb.mime.as_str(), bomb.width, bomb.height, bomb.has_thumbnail),
        ("application/octet-stream", None, None, false)
    );
    let e = send_file(&alice, conv, MessageContent::Image { file: file_ref(&bomb.id), width: 1, height: 1 })
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code()), (StatusCode::BAD_REQUEST, ErrorCode::NotAnImage));
    let e = alice.patch::<Me>("/v1/me", &serde_json::json!({"avatar": bomb.id})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAnImage);
    // It can still be sent as a file, and is served as bytes, not as an image.
    send_file(&alice, conv, MessageContent::File { file: file_ref(&bomb.id) }).await.unwrap();
    let resp = bob.request(Method::GET, &format!("/v1/files/{}", bomb.id)).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    // A real image of the same name is an image.
    let real = upload(&alice, "bomb.png", png(40, 30)).await.unwrap();
    assert_eq!((real.width, real.height), (Some(40), Some(30)));
}

#[tokio::test]
async fn test_a_forwarded_image_is_marked_and_needs_no_second_upload() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let with_bob = befriend(&alice, &bob).await;
    let with_carol = befriend(&bob, &carol).await;
    let info = upload(&alice, "cat.png", png(8, 6)).await.unwrap();
    let file = FileRef { id: info.id.clone(), name: String::new(), size: 0, mime: String::new() };
    let image = MessageContent::Image { file, width: 0, height: 0 };
    send_file(&alice, with_bob, image.clone()).await.unwrap();

    // Bob forwards Alice's picture to Carol: the same file, marked forwarded.
    let mut c = carol.ws().await;
    let req = SendMessageRequest {
        client_msg_id: new_id(),
        content: image.clone(),
        reply_to: None,
        forwarded: true,
        mentions: Default::default(),
    };
    let ack: SendAck = bob.post(&format!("/v1/conversations/{with_carol}/messages"), &req).await.unwrap();
    let got = match c.recv_until(|f| matches!(f, ling_proto::ws::ServerFrame::Message { .. })).await {
        ling_proto::ws::ServerFrame::Message { message } => message,
        _ => unreachable!(),
    };
    assert_eq!((got.seq, got.forwarded), (ack.seq, true));
    assert_eq!(got.content.file().map(|f| (f.id.as_str(), f.name.as_str())), Some((info.id.as_str(), "cat.png")));
    let stored: ling_proto::messages::Message =
        carol.get(&format!("/v1/conversations/{with_carol}/messages/{}", ack.seq)).await.unwrap();
    assert!(stored.forwarded);
    // Carol may read the file now.
    let resp = carol.request(Method::GET, &format!("/v1/files/{}", info.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Someone who never saw it cannot forward it by its id.
    let dave = server.user("dave").await;
    let with_dave = befriend(&dave, &alice).await;
    let req = SendMessageRequest {
        client_msg_id: new_id(),
        content: image,
        reply_to: None,
        forwarded: true,
        mentions: Default::default(),
    };
    let e = dave.post::<SendAck>(&format!("/v1/conversations/{with_dave}/messages"), &req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidContent);
}

fn with_preview(text: &str, preview: ling_proto::messages::LinkPreview) -> SendMessageRequest {
    SendMessageRequest {
        client_msg_id: new_id(),
        content: MessageContent::Text { text: text.into(), preview: Some(preview) },
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    }
}

#[tokio::test]
async fn test_a_link_preview_travels_with_its_text_and_its_image_is_an_upload_the_reader_may_fetch() {
    use ling_proto::messages::{LinkPreview, Message, PreviewImage};
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    let img = upload(&alice, "preview.png", png(120, 63)).await.unwrap();
    let text = "look: https://example.com/post/1 新";
    let preview = LinkPreview {
        url: "https://example.com/post/1".into(),
        title: "A post".into(),
        description: "What it says".into(),
        site: "Example".into(),
        image: Some(PreviewImage {
            file: FileRef { id: img.id.clone(), name: String::new(), size: 0, mime: String::new() },
            width: 0,
            height: 0,
        }),
    };
    let path = format!("/v1/conversations/{conv}/messages");
    let ack: SendAck = alice.post(&path, &with_preview(text, preview.clone())).await.unwrap();
    let got: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    let MessageContent::Text { preview: Some(stored), .. } = &got.content else {
        panic!("no preview: {:?}", got.content)
    };
    let image = stored.image.as_ref().unwrap();
    assert_eq!(
        (image.file.name.as_str(), image.file.mime.as_str(), image.width, image.height),
        ("preview.png", "image/png", 120, 63),
        "the server fills the image's details as for an image message"
    );
    assert_eq!((stored.title.as_str(), stored.site.as_str()), ("A post", "Example"));
    // Bob reads the picture through the usual file path (he never fetches the page).
    let thumb = bob.request(Method::GET, &format!("/v1/files/{}/thumbnail", img.id)).send().await.unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);

    // Refusals, with their code.
    let refused = |r: Result<SendAck, ApiErr>| r.unwrap_err().code();
    let elsewhere = LinkPreview { url: "https://example.org/".into(), ..preview.clone() };
    assert_eq!(refused(alice.post(&path, &with_preview(text, elsewhere)).await), ErrorCode::InvalidPreview);
    let not_image = upload(&alice, "notes.txt", b"just words".to_vec()).await.unwrap();
    let mut fake = preview.clone();
    fake.image.as_mut().unwrap().file.id = not_image.id.clone();
    assert_eq!(refused(alice.post(&path, &with_preview(text, fake)).await), ErrorCode::InvalidPreview);
    let carol = server.user("carol").await;
    let hers = upload(&carol, "hers.png", png(10, 10)).await.unwrap();
    let mut theirs = preview.clone();
    theirs.image.as_mut().unwrap().file.id = hers.id.clone();
    assert_eq!(
        refused(alice.post(&path, &with_preview(text, theirs)).await),
        ErrorCode::InvalidPreview,
        "an image the sender may not read"
    );
    let long = LinkPreview { title: "t".repeat(201), ..preview.clone() };
    assert_eq!(refused(alice.post(&path, &with_preview(text, long)).await), ErrorCode::InvalidPreview);

    // An edit that keeps the link keeps the preview; one that drops it drops it.
    let edit = format!("/v1/conversations/{conv}/messages/{}/edit", ack.seq);
    let _: Message = alice.post(&edit, &serde_json::json!({"text": "still https://example.com/post/1"})).await.unwrap();
    let got: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    assert!(matches!(&got.content, MessageContent::Text { preview: Some(_), .. }));
    let _: Message = alice.post(&edit, &serde_json::json!({"text": "no link now"})).await.unwrap();
    let got: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    assert_eq!(got.content, MessageContent::text("no link now"));
}

#[tokio::test]
async fn test_a_voice_note_is_an_ogg_opus_upload_of_at_most_five_minutes() {
    use ling_proto::messages::Message;
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let conv = befriend(&alice, &bob).await;
    // What the server sniffs: an Ogg page whose first packet is an Opus head.
    let mut ogg = b"OggS".to_vec();
    ogg.extend_from_slice(&[0; 24]);
    ogg.extend_from_slice(b"OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0");
    let note = upload(&alice, "note.ogg", ogg).await.unwrap();
    assert_eq!(note.mime, "audio/opus");
    let voice = |id: &str, duration_ms: u64, bars: usize| SendMessageRequest {
        client_msg_id: new_id(),
        content: MessageContent::Voice {
            file: FileRef { id: id.into(), name: String::new(), size: 0, mime: String::new() },
            duration_ms,
            waveform: vec![200; bars],
        },
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    };
    let path = format!("/v1/conversations/{conv}/messages");
    let ack: SendAck = alice.post(&path, &voice(&note.id, 4200, 64)).await.unwrap();
    let got: Message = bob.get(&format!("/v1/conversations/{conv}/messages/{}", ack.seq)).await.unwrap();
    let MessageContent::Voice { file, duration_ms, waveform } = got.content else { panic!("{:?}", got.content) };
    assert_eq!(
        (file.name.as_str(), file.mime.as_str(), duration_ms, waveform.len()),
        ("note.ogg", "audio/opus", 4200, 64)
    );
    let bytes = bob.request(Method::GET, &format!("/v1/files/{}", note.id)).send().await.unwrap();
    assert_eq!(bytes.status(), StatusCode::OK, "the reader downloads it as any file");

    let refused = |r: Result<SendAck, ApiErr>| r.unwrap_err().code();
    assert_eq!(refused(alice.post(&path, &voice(&note.id, 0, 10)).await), ErrorCode::InvalidContent);
    assert_eq!(refused(alice.post(&path, &voice(&note.id, 300_001, 10)).await), ErrorCode::InvalidContent);
    assert_eq!(refused(alice.post(&path, &voice(&note.id, 1000, 65)).await), ErrorCode::InvalidContent);
    let text = upload(&alice, "note.txt", b"not audio".to_vec()).await.unwrap();
    assert_eq!(refused(alice.post(&path, &voice(&text.id, 1000, 10)).await), ErrorCode::InvalidContent);
}
