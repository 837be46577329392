//! A standard WebRTC peer takes part in a Ling call: a test page in headless
//! Chromium (Debian's chromium, its fake camera, a WAV file as its
//! microphone) logs in to the server's realtime session, calls a native
//! client (`ling-cli answer`, a 1000 Hz tone and the test pattern) over
//! Ling's signaling, and sound and pictures flow both ways: Chromium decodes
//! Ling's H.264 and Opus, Ling decodes Chromium's.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
use ling_e2e::{CallFollower, ServerProcess, friends_of_the_first, hears_and_sees};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAGE: &str = include_str!("webrtc-peer.html");

/// Serves the page on 127.0.0.1 (a secure context for getUserMedia).
async fn serve_page() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    PAGE.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(PAGE.as_bytes()).await;
            });
        }
    });
    port
}

/// A WAV of a steady tone (Chromium's fake microphone plays it in a loop).
fn tone_wav(path: &std::path::Path, hz: f64) {
    let rate = 48_000u32;
    let samples: Vec<i16> = (0..rate * 2)
        .map(|i| (10_000.0 * (std::f64::consts::TAU * hz * f64::from(i) / f64::from(rate)).sin()) as i16)
        .collect();
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for (v, n) in [(16u32, 4), (1, 2), (1, 2), (rate, 4), (rate * 2, 4), (2, 2), (16, 2)] {
        wav.extend_from_slice(&v.to_le_bytes()[..n]);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav).unwrap();
}

async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().error_for_status().unwrap().json().await.unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_browser_calls_a_native_client_and_media_flows_both_ways() {
    let server = ServerProcess::start();
    let people = friends_of_the_first(&server, &["amy", "bob"]);
    let [amy, bob] = &people[..] else { unreachable!() };

    // The page logs in as Amy with a token of its own.
    let http = reqwest::Client::new();
    let url = |path: &str| server.url().join(path).unwrap();
    let body = json!({"username": "amy", "password": amy.password, "device_name": "chromium"});
    let login = json_of(http.post(url("v1/auth/login")).json(&body)).await;
    let token = login["session"]["token"].as_str().unwrap().to_owned();
    let list = json_of(http.get(url("v1/conversations")).bearer_auth(&token)).await;
    let direct = &list["conversations"][0];
    let (conversation, bob_id) = (direct["id"].as_i64().unwrap(), direct["peer_id"].as_i64().unwrap());

    // Bob waits for a call in his terminal.
    let env = [("LING_MEDIA", "tone:1000"), ("LING_CALL_BIND", "127.0.0.1")];
    let mut bob_call = CallFollower::start(bob.spawn_with(&["answer", "--timeout", "60", "--seconds", "120"], &env));
    bob_call.wait_for("that it waits", |v| v["type"] == "waiting");

    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    tone_wav(&wav, 660.0);
    let page = serve_page().await;
    let port = free_port();
    let mut driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (apt: chromium-driver) starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                format!("--use-file-for-fake-audio-capture={}", wav.display()),
                "--allow-loopback-in-peer-connection",
                format!("--user-data-dir={}", dir.path().join("chromium").display()),
            ],
        }),
    );
    let browser = ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromedriver session");
    let url = format!(
        "http://127.0.0.1:{page}/#server={}&token={token}&conversation={conversation}&to={bob_id}",
        server.address().trim_start_matches("http://").trim_end_matches('/')
    );
    browser.goto(&url).await.unwrap();

    // Bob's side: rung by the browser, then hears its 660 Hz and sees its camera.
    bob_call.wait_for("the browser's ring", |v| v["phase"] == "incoming");
    bob_call.wait_for("the browser's sound and pictures", |v| hears_and_sees(v, 660.0));

    // The browser's side: Bob's pictures decoded (H.264, 640×480) and his 1000 Hz heard.
    let deadline = Instant::now() + Duration::from_secs(30);
    let report = loop {
        let report = browser.execute("return window.report", vec![]).await.unwrap();
        let hz = report["audioHz"].as_f64().unwrap_or(0.0);
        if report["framesDecoded"].as_u64().unwrap_or(0) >= 30 && report["width"] == 640 && (hz - 1000.0).abs() < 30.0 {
            break report;
        }
        assert!(Instant::now() < deadline, "the browser did not get Bob's media: {report:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(report["videoCodec"], "video/H264", "{report:#}");

    browser.execute("window.hangUp()", vec![]).await.unwrap();
    bob_call.wait_for("the end", |v| v["phase"] == "ended");
    bob_call.finished();
    let _ = browser.close().await;
    let _ = driver.kill();
    let _ = driver.wait();
}
