use ling_proto::ErrorCode;
use ling_proto::info::ServerInfo;

use crate::common::*;

#[tokio::test]
async fn test_info_describes_the_server_without_login() {
    let server = TestServer::start_with(|c| {
        c.name = "ACME chat".into();
        c.ice_servers = vec!["stun:stun.example.org:3478".into(), "turn:turn.example.org:3478".into()];
        c.turn_username = Some("u".into());
        c.turn_credential = Some("p".into());
    })
    .await;
    let info: ServerInfo = server.anon().get("/v1/info").await.unwrap();
    assert_eq!(info.server, "ling");
    assert_eq!(info.name, "ACME chat");
    assert_eq!(info.protocol, ling_proto::PROTOCOL_VERSION);
    assert!(info.registration_open);
    assert_eq!(info.limits.max_file_bytes, 50 * 1024 * 1024);
    assert_eq!(info.ice_servers.len(), 2);
    assert_eq!(info.ice_servers[1].username.as_deref(), Some("u"));
}

#[tokio::test]
async fn test_healthz_answers_ok() {
    let server = TestServer::start().await;
    let v: serde_json::Value = server.anon().get("/healthz").await.unwrap();
    assert_eq!(v["status"], "ok");
}

#[tokio::test]
async fn test_unknown_paths_and_methods_get_error_codes() {
    let server = TestServer::start().await;
    let e = server.anon().get::<serde_json::Value>("/v1/nope").await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (404, ErrorCode::NotFound));
    let e = server.anon().delete("/v1/info").await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (405, ErrorCode::MethodNotAllowed));
}

#[tokio::test]
async fn test_the_server_creates_its_data_directory_with_a_wal_database() {
    let server = TestServer::start().await;
    server.user("alice").await;
    let dir = server.data_dir();
    assert!(dir.join("ling.db").exists());
    assert!(dir.join("ling.db-wal").exists(), "WAL mode");
    assert!(dir.join("blobs").is_dir());
}
