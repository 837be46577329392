//! The bench's HTTP and WebSocket clients.

use anyhow::{Context, Result, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use ling_proto::auth::RegisterResponse;
use ling_proto::contacts::{Friend, FriendRequest};
use ling_proto::groups::Group;
use ling_proto::ws::{ClientFrame, ServerFrame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A registered account.
#[derive(Clone)]
pub struct Account {
    pub id: i64,
    pub token: String,
}

/// HTTP calls the bench needs.
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api { http: reqwest::Client::new(), base: base.to_owned() }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/v1/ws", self.base.replacen("http", "ws", 1))
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        token: Option<&str>,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T> {
        let mut r = self.http.post(format!("{}{}", self.base, path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            bail!("{path}: {status} {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(if bytes.is_empty() { b"{}" } else { &bytes })?)
    }

    /// Registers `n` accounts, a few at a time.
    pub async fn register_many(&self, n: usize) -> Result<Vec<Account>> {
        let run = uuid::Uuid::now_v7().simple().to_string();
        let mut out = Vec::with_capacity(n);
        for chunk in (0..n).collect::<Vec<_>>().chunks(8) {
            let futs = chunk.iter().map(|i| {
                let name = format!("b{}_{i}", &run[run.len() - 8..]);
                async move {
                    let r: RegisterResponse = self
                        .post(
                            None,
                            "/v1/auth/register",
                            serde_json::json!({"username": name, "password": "bench-password", "device_name": "bench"}),
                        )
                        .await?;
                    Ok::<_, anyhow::Error>(Account { id: r.user.id, token: r.session.token })
                }
            });
            for a in futures_util::future::join_all(futs).await {
                out.push(a?);
            }
        }
        Ok(out)
    }

    /// Makes two accounts friends; returns their conversation.
    pub async fn befriend(&self, a: &Account, b: &Account) -> Result<i64> {
        let req: FriendRequest =
            self.post(Some(&a.token), "/v1/friend-requests", serde_json::json!({"user_id": b.id})).await?;
        let _: FriendRequest =
            self.post(Some(&b.token), &format!("/v1/friend-requests/{}/accept", req.id), serde_json::json!({})).await?;
        let friends: Vec<Friend> =
            self.http.get(format!("{}/v1/friends", self.base)).bearer_auth(&a.token).send().await?.json().await?;
        friends.into_iter().find(|f| f.user.id == b.id).map(|f| f.conversation_id).context("friendship")
    }

    /// `a`'s conversation with the server's assistant.
    pub async fn assistant_chat(&self, a: &Account) -> Result<i64> {
        let chat: serde_json::Value = self.post(Some(&a.token), "/v1/assistant/chat", serde_json::json!({})).await?;
        chat["conversation_id"].as_i64().context("a conversation id")
    }

    /// An open group of `owner` that `members` join; returns its conversation.
    pub async fn open_group(&self, owner: &Account, members: &[Account]) -> Result<i64> {
        let g: Group = self
            .post(Some(&owner.token), "/v1/groups", serde_json::json!({"name": "bench", "join_policy": "open"}))
            .await?;
        for chunk in members.chunks(16) {
            let path = format!("/v1/groups/{}/join", g.id);
            let futs =
                chunk.iter().map(|m| self.post::<serde_json::Value>(Some(&m.token), &path, serde_json::json!({})));
            for r in futures_util::future::join_all(futs).await {
                r?;
            }
        }
        Ok(g.conversation_id)
    }
}

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An open WebSocket, hello read.
pub struct Conn(Stream);

/// Opens a WebSocket with `token`.
pub async fn connect(url: &str, token: &str) -> Result<Conn> {
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    match ws.next().await {
        Some(Ok(Message::Text(_))) => Ok(Conn(ws)),
        other => bail!("no hello: {other:?}"),
    }
}

impl Conn {
    pub fn split(self) -> (Sender, Receiver) {
        let (tx, rx) = self.0.split();
        (Sender(tx), Receiver(rx))
    }
}

/// The writing half.
pub struct Sender(SplitSink<Stream, Message>);

impl Sender {
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<()> {
        self.0.send(Message::text(serde_json::to_string(frame)?)).await?;
        Ok(())
    }
}

/// The reading half.
pub struct Receiver(SplitStream<Stream>);

impl Receiver {
    /// The next server frame; `None` when closed.
    pub async fn next_frame(&mut self) -> Option<ServerFrame> {
        loop {
            match self.0.next().await? {
                Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }
}
