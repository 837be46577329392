//! Link previews against a web site of the test's own (real HTTP on
//! loopback): what a page says, its picture uploaded and sent with the
//! text, and the fences: a redirect to an address that is not public, too
//! many redirects, a huge page, a slow page, what is not a web page, the
//! setting that turns previews off.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ling_client::Event;
use ling_client::link_preview::{PreviewLimits, USER_AGENT, fetch};
use ling_client::send_queue::TextToSend;
use ling_proto::messages::MessageContent;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::{TestServer, amy_and_bob};

/// What the site saw: each request's path and user agent, and how many
/// bytes of the huge page it managed to write.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, String)>,
    huge_written: usize,
    huge_done: bool,
}

/// A web site on 127.0.0.1 (and a "private" one on 127.0.0.2 that nobody
/// should reach).
struct Site {
    addr: SocketAddr,
    private: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    private_hits: Arc<Mutex<usize>>,
}

const HUGE: usize = 64 * 1024 * 1024;

impl Site {
    async fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let private_listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
        let site = Site {
            addr: listener.local_addr().unwrap(),
            private: private_listener.local_addr().unwrap(),
            seen: Arc::default(),
            private_hits: Arc::default(),
        };
        let hits = site.private_hits.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = private_listener.accept().await {
                *hits.lock().unwrap() += 1;
                let _ = s.write_all(page("<title>the router's admin page</title>").as_bytes()).await;
            }
        });
        let (seen, private) = (site.seen.clone(), site.private);
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn(serve(s, seen.clone(), private));
            }
        });
        site
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requested(&self, path: &str) -> bool {
        self.seen.lock().unwrap().requests.iter().any(|(p, _)| p == path)
    }
}

fn page(html: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
        html.len()
    )
}

fn redirect(to: &str) -> String {
    format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn serve(mut s: TcpStream, seen: Arc<Mutex<Seen>>, private: SocketAddr) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let agent = head
        .lines()
        .find_map(|l| l.strip_prefix("user-agent: ").or_else(|| l.strip_prefix("User-Agent: ")))
        .unwrap_or_default()
        .to_owned();
    seen.lock().unwrap().requests.push((path.clone(), agent));
    let reply = match path.as_str() {
        "/article" => page(
            r#"<html><head><title>ignored</title>
               <meta property="og:title" content="Ling 1.0 is out">
               <meta property="og:description" content="A chat app that is light, fast and yours.">
               <meta property="og:site_name" content="Ling News">
               <meta property="og:image" content="/cover.png"></head><body>…</body></html>"#,
        ),
        "/cover.png" => {
            let body = png(240, 126);
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body).await;
            return;
        }
        "/moved" => redirect("/article"),
        "/to-private" => redirect(&format!("http://{private}/admin")),
        "/to-metadata" => redirect("http://169.254.169.254/latest/meta-data/"),
        p if p.starts_with("/loop") => redirect(&format!("{p}x")),
        "/json" => "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}".into(),
        "/empty" => page("<html><body><p>no head to speak of</p></body></html>"),
        "/missing" => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".into(),
        "/gbk" => {
            let (body, _, _) = encoding_rs::GBK.encode("<html><head><title>翎：聊天</title></head></html>");
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=gbk\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body).await;
            return;
        }
        "/huge" => {
            let start = "<html><head><title>A huge page</title></head><body>";
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {HUGE}\r\n\r\n{start}");
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut written = start.len();
            while written < HUGE {
                if s.write_all(&chunk).await.is_err() {
                    break;
                }
                written += chunk.len();
                seen.lock().unwrap().huge_written = written;
            }
            seen.lock().unwrap().huge_done = true;
            return;
        }
        "/slow" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<html><head>").await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".into(),
    };
    let _ = s.write_all(reply.as_bytes()).await;
}

/// The defaults, but this site's address allowed (it is on loopback) and a
/// deadline short enough for a test.
fn limits() -> PreviewLimits {
    PreviewLimits {
        deadline: Duration::from_millis(1500),
        allowed: vec!["127.0.0.1/32".parse().unwrap()].into(),
        ..PreviewLimits::default()
    }
}

fn code(r: Result<impl std::fmt::Debug, ling_client::error::ClientError>) -> String {
    r.unwrap_err().code().as_str().to_owned()
}

#[tokio::test]
async fn test_a_page_is_read_for_its_preview_within_limits() {
    let site = Site::start().await;
    let got = fetch(&site.url("/moved"), &limits()).await.unwrap();
    assert_eq!(got.url.as_str(), site.url("/article"), "a redirect is followed");
    assert_eq!(
        (got.meta.title.as_str(), got.meta.description.as_str(), got.meta.site.as_str()),
        ("Ling 1.0 is out", "A chat app that is light, fast and yours.", "Ling News")
    );
    let (bytes, media) = got.image.expect("the picture");
    assert_eq!((bytes.len(), media.as_str()), (png(240, 126).len(), "image/png"));
    let agents: Vec<String> = site.seen.lock().unwrap().requests.iter().map(|(_, a)| a.clone()).collect();
    assert!(agents.iter().all(|a| a == USER_AGENT), "every request says what asks: {agents:?}");
    assert_eq!(fetch(&site.url("/gbk"), &limits()).await.unwrap().meta.title, "翎：聊天", "decoded from GBK");
}

#[tokio::test]
async fn test_no_preview_reaches_an_address_that_is_not_public() {
    let site = Site::start().await;
    // Loopback itself, unless allowed.
    assert_eq!(code(fetch(&site.url("/article"), &PreviewLimits::default()).await), "link_blocked");
    let by_name = format!("http://localhost:{}/article", site.addr.port());
    assert_eq!(code(fetch(&by_name, &PreviewLimits::default()).await), "link_blocked", "nor by a name for it");
    // A redirect to a private address (here 127.0.0.2, which answers) or to
    // the cloud's metadata address is refused before connecting.
    assert_eq!(code(fetch(&site.url("/to-private"), &limits()).await), "link_blocked");
    assert_eq!(*site.private_hits.lock().unwrap(), 0, "the private address was never connected to");
    assert_eq!(code(fetch(&site.url("/to-metadata"), &limits()).await), "link_blocked");
    assert!(site.requested("/to-private") && site.requested("/to-metadata"));
    // Other schemes and credentials.
    assert_eq!(code(fetch("file:///etc/passwd", &limits()).await), "link_blocked");
    assert_eq!(code(fetch(&format!("http://me:pw@{}/article", site.addr), &limits()).await), "link_blocked");
}

#[tokio::test]
async fn test_huge_slow_endless_and_odd_pages_are_cut_short() {
    let site = Site::start().await;
    // A 64 MiB page: its head is read, the rest is not downloaded.
    let got = fetch(&site.url("/huge"), &limits()).await.unwrap();
    assert_eq!(got.meta.title, "A huge page");
    ling_testing::until("the site stops writing the huge page", || site.seen.lock().unwrap().huge_done).await;
    let written = site.seen.lock().unwrap().huge_written;
    assert!(written < HUGE / 4, "the site could write only {written} of {HUGE} bytes before the reader left");
    // A page that never ends its head: the deadline.
    let started = std::time::Instant::now();
    assert_eq!(code(fetch(&site.url("/slow"), &limits()).await), "link_timeout");
    assert!(started.elapsed() < Duration::from_secs(5), "gave up at the deadline: {:?}", started.elapsed());
    // Redirects without end: at most three followed.
    assert_eq!(code(fetch(&site.url("/loop"), &limits()).await), "link_failed");
    let hops = site.seen.lock().unwrap().requests.iter().filter(|(p, _)| p.starts_with("/loop")).count();
    assert_eq!(hops, 4, "the link and three redirects");
    // Not a web page; a page with nothing to say; an error status.
    assert_eq!(code(fetch(&site.url("/json"), &limits()).await), "link_unsupported");
    assert_eq!(code(fetch(&site.url("/empty"), &limits()).await), "link_unsupported");
    assert_eq!(code(fetch(&site.url("/missing"), &limits()).await), "link_failed");
}

#[tokio::test]
async fn test_the_sender_previews_a_link_and_the_reader_gets_it_without_fetching() {
    let site = Site::start().await;
    let server = TestServer::start().await;
    let (amy, mut bob, conv) = amy_and_bob(&server).await;
    let link = site.url("/article");
    let preview = amy.client.link_preview_with(&link, &limits()).await.unwrap();
    assert_eq!((preview.url.as_str(), preview.title.as_str()), (link.as_str(), "Ling 1.0 is out"));
    let image = preview.image.clone().expect("the picture, uploaded");
    assert_eq!((image.width, image.height, image.file.mime.as_str()), (240, 126, "image/png"));
    let requests = site.seen.lock().unwrap().requests.len();

    let text = format!("have you seen {link} ?");
    let to_send = TextToSend { text: text.clone(), preview: Some(preview.clone()), ..TextToSend::default() };
    amy.client.send_queue().send_text_with(conv, to_send).await.unwrap();
    let got = match bob
        .wait_for(
            |e| matches!(e, Event::MessageNew { message } if matches!(message.content, MessageContent::Text { .. })),
        )
        .await
    {
        Event::MessageNew { message } => message,
        _ => unreachable!(),
    };
    let MessageContent::Text { text: said, preview: Some(theirs) } = &got.content else { panic!("{:?}", got.content) };
    assert_eq!((said, theirs.title.as_str()), (&text, "Ling 1.0 is out"));
    let thumb = bob.client.thumbnail(&theirs.image.as_ref().unwrap().file.id).await.unwrap();
    assert!(thumb.is_some_and(|p| p.exists()), "the picture through the usual file path");
    assert_eq!(site.seen.lock().unwrap().requests.len(), requests, "the reader fetched nothing from the site");

    // Switched off, no preview is made.
    let mut prefs = amy.client.prefs().await.unwrap();
    prefs.link_previews = false;
    amy.client.set_prefs(prefs).await.unwrap();
    assert_eq!(code(amy.client.link_preview_with(&link, &limits()).await), "previews_off");
}
