//! Stopping: a graceful stop loses nothing that was acknowledged, the real
//! binary stops on SIGTERM, and TLS serves from a certificate and key.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use ling_proto::info::ServerInfo;
use ling_proto::messages::{HistoryPage, MessageContent};
use ling_proto::ws::{ClientFrame, ServerFrame, close};

use crate::common::*;

#[tokio::test]
async fn test_a_graceful_stop_mid_conversation_loses_no_acknowledged_message() {
    let mut server = TestServer::start().await;
    let (alice, bob) = (server.user("alice").await, server.user("bob").await);
    let conv = befriend(&alice, &bob).await;
    let mut bob_ws = bob.ws().await;
    let mut a = alice.ws().await;

    // Alice keeps sending; the server stops while she does.
    let sender = tokio::spawn(async move {
        let mut acked = Vec::new();
        for i in 0.. {
            a.send(&ClientFrame::Send {
                client_msg_id: new_id(),
                conversation_id: conv,
                content: MessageContent::text(format!("m{i}")),
                reply_to: None,
                forwarded: false,
                mentions: Default::default(),
            })
            .await;
            loop {
                match tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut a.stream)).await {
                    Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                        if let Ok(ServerFrame::Ack(ack)) = serde_json::from_str(t.as_str()) {
                            acked.push((ack.seq, format!("m{i}")));
                            break;
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => return acked,
                }
            }
        }
        acked
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop().await;
    let acked = sender.await.unwrap();
    assert!(acked.len() > 5, "some messages went through before the stop ({})", acked.len());
    let close = bob_ws.closed().await;
    if let Some(f) = close {
        assert_eq!(u16::from(f.code), close::SHUTTING_DOWN);
    }

    server.restart().await;
    let mut bob2 = bob.clone();
    bob2.base = server.url("");
    let mut stored = Vec::new();
    loop {
        let after = stored.last().map_or(0, |m: &ling_proto::messages::Message| m.seq);
        let page: HistoryPage =
            bob2.get(&format!("/v1/conversations/{conv}/messages?after_seq={after}&limit=200")).await.unwrap();
        stored.extend(page.messages);
        if !page.has_more {
            break;
        }
    }
    for (seq, text) in &acked {
        let m = stored.iter().find(|m| m.seq == *seq).unwrap_or_else(|| panic!("acked seq {seq} lost"));
        assert_eq!(m.content, MessageContent::text(text.clone()));
    }
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gaps");
}

/// Starts the real binary configured only through `LING_*` environment
/// variables (no flags), with JSON logs if asked; returns it and the address
/// it logged.
fn spawn_binary(data: &std::path::Path, json_logs: bool) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ling-server"))
        .env("LING_LISTEN", "127.0.0.1:0")
        .env("LING_DATA", data)
        .env("LING_LOG", "info")
        .env("LING_LOG_JSON", json_logs.to_string())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the server logs where it listens").unwrap();
        if json_logs {
            let record: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
            if let Some(addr) = record["fields"]["addr"].as_str() {
                break addr.to_owned();
            }
        } else if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// Sends `signal` and waits up to 10 s for a clean exit.
async fn stop_with(mut child: std::process::Child, signal: &str) {
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exited = tokio::task::spawn_blocking(move || {
        for _ in 0..100 {
            if let Some(s) = child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        None
    })
    .await
    .unwrap();
    assert!(exited.expect("exits within 10 s").success(), "{signal} stops the server cleanly");
}

#[tokio::test]
async fn test_the_binary_reads_env_vars_stops_cleanly_on_sigterm_and_sigint_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, addr) = spawn_binary(&data, false);
    let http = reqwest::Client::new();
    let reg = http
        .post(format!("http://{addr}/v1/auth/register"))
        .json(&serde_json::json!({"username": "alice", "password": "password1", "device_name": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reg.status(), 201);
    assert!(data.join("ling.db").exists(), "LING_DATA chose the data directory");
    stop_with(child, "-TERM").await;

    // Again, with structured (JSON) logs, stopped by Ctrl-C.
    let (again, addr) = spawn_binary(&data, true);
    let login = http
        .post(format!("http://{addr}/v1/auth/login"))
        .json(&serde_json::json!({"username": "alice", "password": "password1", "device_name": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the account survived the restart");
    stop_with(again, "-INT").await;
}

#[tokio::test]
async fn test_tls_from_a_certificate_and_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let rcgen::CertifiedKey { cert, signing_key: key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    let server = TestServer::start_with(|c| {
        c.tls_cert = Some(cert_path.clone());
        c.tls_key = Some(key_path.clone());
    })
    .await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/v1/info", server.addr.port());
    let info: ServerInfo = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(info.server, "ling");
    // Plain HTTP on the TLS port is not served.
    assert!(
        reqwest::get(format!("http://{}/v1/info", server.addr)).await.map(|r| !r.status().is_success()).unwrap_or(true)
    );
}
