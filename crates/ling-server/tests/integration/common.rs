//! The harness: a real server on 127.0.0.1:0 over a temp data directory, and
//! real clients (reqwest for HTTP, tokio-tungstenite for the WebSocket).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ling_proto::auth::{LoginResponse, RegisterRequest, RegisterResponse};
use ling_proto::users::Me;
use ling_proto::ws::{ClientFrame, ServerFrame};
use ling_proto::{ErrorBody, ErrorCode};
use ling_server::Config;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A server with default settings in a fresh directory.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose settings `tweak` adjusts.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path().join("data"));
        tweak(&mut config);
        let mut server = Self::start_config(config).await;
        server._dir = Some(dir);
        server
    }

    /// A server on exactly this configuration (its data dir is kept).
    pub async fn start_config(config: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(ling_server::run(listener, config.clone(), async move {
            let _ = rx.await;
        }));
        TestServer { addr, config, stop: Some(tx), task: Some(task), _dir: None }
    }

    /// Shuts down gracefully (as on SIGTERM) and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task).await.expect("server stops in time").unwrap().unwrap();
        }
    }

    /// Stops and starts again on the same data directory (a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        let dir = self._dir.take();
        let mut next = Self::start_config(self.config.clone()).await;
        next._dir = dir;
        *self = next;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data.clone()
    }

    /// An HTTP client with no login.
    pub fn anon(&self) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: self.url(""),
            token: None,
            me: None,
            session_id: 0,
            ws_base: format!("ws://{}", self.addr),
        }
    }

    /// Registers `name` (password "password1") and returns the logged-in client.
    pub async fn user(&self, name: &str) -> Client {
        let mut c = self.anon();
        let r: RegisterResponse = c
            .post(
                "/v1/auth/register",
                &RegisterRequest {
                    username: name.into(),
                    password: "password1".into(),
                    display_name: None,
                    device_name: "test".into(),
                },
            )
            .await
            .unwrap();
        c.token = Some(r.session.token);
        c.session_id = r.session.id;
        c.me = Some(r.user);
        c
    }

    /// Logs `name` in again: a second device.
    pub async fn login(&self, name: &str, password: &str) -> Result<Client, ApiErr> {
        let mut c = self.anon();
        let r: LoginResponse = c
            .post(
                "/v1/auth/login",
                &serde_json::json!({"username": name, "password": password, "device_name": "second"}),
            )
            .await?;
        c.token = Some(r.session.token);
        c.session_id = r.session.id;
        c.me = Some(r.user);
        Ok(c)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// An error answer: status and body.
#[derive(Debug)]
pub struct ApiErr {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiErr {
    pub fn code(&self) -> ErrorCode {
        self.body.code
    }
}

/// An HTTP client, maybe logged in.
#[derive(Clone, Debug)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    pub me: Option<Me>,
    pub session_id: i64,
    pub ws_base: String,
}

impl Client {
    pub fn id(&self) -> i64 {
        self.me.as_ref().expect("logged in").id
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Sends a request and decodes a success body, or returns the error answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ApiErr> {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b);
        }
        decode(r.send().await.expect("request sent")).await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiErr> {
        self.call(Method::GET, path, None).await
    }
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, ApiErr> {
        self.call(Method::POST, path, Some(serde_json::to_string(body).unwrap())).await
    }
    pub async fn patch<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, ApiErr> {
        self.call(Method::PATCH, path, Some(serde_json::to_string(body).unwrap())).await
    }
    pub async fn put<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, ApiErr> {
        self.call(Method::PUT, path, Some(serde_json::to_string(body).unwrap())).await
    }
    pub async fn delete(&self, path: &str) -> Result<(), ApiErr> {
        self.call::<Empty>(Method::DELETE, path, None).await.map(|_| ())
    }

    /// Opens this device's WebSocket and reads the `hello`.
    pub async fn ws(&self) -> Ws {
        let mut req = format!("{}/v1/ws", self.ws_base).into_client_request().unwrap();
        let token = self.token.as_ref().expect("logged in");
        req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(req).await.expect("websocket connects");
        let mut ws = Ws { stream };
        match ws.recv().await {
            ServerFrame::Hello { .. } => ws,
            other => panic!("expected hello, got {other:?}"),
        }
    }
}

/// An empty or ignored success body.
#[derive(Debug, serde::Deserialize)]
pub struct Empty {}

/// Decodes a response: 2xx into `T` (an empty body reads as `{}`), else into [`ApiErr`].
pub async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, ApiErr> {
    let status = resp.status();
    let bytes = resp.bytes().await.expect("body read");
    if status.is_success() {
        let bytes = if bytes.is_empty() { &b"{}"[..] } else { &bytes[..] };
        Ok(serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("bad success body ({e}): {}", String::from_utf8_lossy(bytes))))
    } else {
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("error {status} without an error body ({e}): {}", String::from_utf8_lossy(&bytes))
        });
        Err(ApiErr { status, body })
    }
}

/// A WebSocket connection.
pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How long a test waits for an expected frame.
pub const WAIT: Duration = Duration::from_secs(10);

impl Ws {
    pub async fn send(&mut self, frame: &ClientFrame) {
        self.stream.send(Message::text(serde_json::to_string(frame).unwrap())).await.unwrap();
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.stream.send(msg).await.unwrap();
    }

    /// The next application frame (pings are skipped).
    pub async fn recv(&mut self) -> ServerFrame {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame in time")
                .expect("stream open")
                .expect("frame ok");
            match msg {
                Message::Text(t) => {
                    return serde_json::from_str(t.as_str()).unwrap_or_else(|e| panic!("bad frame {t}: {e}"));
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Frames until one matches, skipping the rest.
    pub async fn recv_until(&mut self, mut want: impl FnMut(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let f = self.recv().await;
            if want(&f) {
                return f;
            }
        }
    }

    /// Asserts nothing but pings arrives for `d`.
    pub async fn expect_silence(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Reads until the server closes; returns its close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            match tokio::time::timeout(WAIT, self.stream.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(f))) => return f,
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// Makes `a` and `b` friends; returns their conversation.
pub async fn befriend(a: &Client, b: &Client) -> i64 {
    use ling_proto::contacts::{FriendRequest, SendFriendRequest};
    let req: FriendRequest =
        a.post("/v1/friend-requests", &SendFriendRequest { user_id: b.id(), message: "hi".into() }).await.unwrap();
    let _: FriendRequest =
        b.post(&format!("/v1/friend-requests/{}/accept", req.id), &serde_json::json!({})).await.unwrap();
    let friends: Vec<ling_proto::contacts::Friend> = a.get("/v1/friends").await.unwrap();
    friends.iter().find(|f| f.user.id == b.id()).expect("friends now").conversation_id
}

/// Sends a text over HTTP; returns the ack.
pub async fn send_text(c: &Client, conversation: i64, text: &str) -> Result<ling_proto::messages::SendAck, ApiErr> {
    c.post(
        &format!("/v1/conversations/{conversation}/messages"),
        &ling_proto::messages::SendMessageRequest {
            client_msg_id: new_id(),
            content: ling_proto::messages::MessageContent::text(text),
            reply_to: None,
            forwarded: false,
            mentions: Default::default(),
        },
    )
    .await
}

/// A fresh client_msg_id (UUIDv7, as clients make them).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
