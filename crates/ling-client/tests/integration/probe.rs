use ling_client::probe::probe;
use ling_server::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A real server on 127.0.0.1:0; stops when the returned sender drops.
async fn server(
    tweak: impl FnOnce(&mut Config),
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_data_dir(dir.path().join("data"));
    config.name = "Team 翎".into();
    tweak(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(ling_server::run(listener, config, async move {
        let _ = rx.await;
    }));
    (addr, tx, dir)
}

#[tokio::test]
async fn test_a_local_address_typed_without_scheme_finds_the_plain_http_server() {
    let (addr, _stop, _dir) = server(|_| {}).await;
    let found = probe(&format!("127.0.0.1:{}", addr.port()), false).await.unwrap();
    assert_eq!(found.base.as_str(), format!("http://127.0.0.1:{}/", addr.port()));
    assert_eq!(found.info.name, "Team 翎");
    let found = probe(&format!("http://localhost:{}/", addr.port()), false).await.unwrap();
    assert_eq!(found.info.server, "ling");
}

#[tokio::test]
async fn test_nothing_listening_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = probe(&format!("127.0.0.1:{port}"), false).await.unwrap_err();
    assert_eq!(e.code(), "unreachable", "{e}");
    assert!(e.to_string().contains("did not answer"));
}

#[tokio::test]
async fn test_another_web_server_is_not_a_ling_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let body = "<html>hello</html>";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    let e = probe(&format!("http://127.0.0.1:{}", addr.port()), false).await.unwrap_err();
    assert_eq!(e.code(), "not_a_ling_server", "{e}");
}

#[tokio::test]
async fn test_an_untrusted_certificate_is_a_tls_failure() {
    let dir = tempfile::tempdir().unwrap();
    let rcgen::CertifiedKey { cert, signing_key: key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    let (addr, _stop, _data) = server(|c| {
        c.tls_cert = Some(cert_path.clone());
        c.tls_key = Some(key_path.clone());
    })
    .await;
    let e = probe(&format!("https://localhost:{}", addr.port()), false).await.unwrap_err();
    assert_eq!(e.code(), "tls_failure", "{e}");
    // The person can compare what the server showed with what their admin gave them.
    let ling_client::ClientError::Tls { fingerprint, .. } = e else { unreachable!() };
    assert_eq!(fingerprint.as_deref(), Some(ling_client::tls::fingerprint(cert.der()).as_str()));
}

#[tokio::test]
async fn test_plain_http_to_the_internet_is_refused_before_any_request() {
    let e = probe("http://chat.example.com", false).await.unwrap_err();
    assert_eq!(e.code(), "insecure_address");
}
