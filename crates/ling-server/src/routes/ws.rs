//! `GET /v1/ws`: one WebSocket per logged-in device.
//!
//! The connection task reads client frames one at a time (so a device's
//! sends are stored in the order it sent them) and writes whatever the hub
//! queues for it, the acks of its own sends among them, several frames per
//! flush when they queue up. It pings every heartbeat and closes a
//! connection silent for three heartbeats. Frames over the soft limit get an
//! error frame; frames over the hard limit, invalid UTF-8, revocation,
//! shutdown or a full queue close it. An account holds at most
//! `--max-connections-per-account` connections.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use ling_proto::ErrorCode;
use ling_proto::messages::SendMessageRequest;
use ling_proto::ws::{ClientFrame, ServerFrame, close};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use crate::config::{HARD_FRAME_BYTES, MAX_FRAME_BYTES};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Query, bearer};
use crate::hub::{ConnRef, encode};
use crate::routes::{calls, contacts, messages};
use crate::state::{AppState, now_ms};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/ws", get(upgrade))
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Header first; `?token=` for clients (browsers) that cannot set one.
struct WsAuth(AuthUser);

impl FromRequestParts<AppState> for WsAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match bearer(parts) {
            Some(t) => t.to_owned(),
            None => {
                let Query(q) = Query::<TokenQuery>::from_request_parts(parts, state).await?;
                q.token.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "log in first: no token"))?
            }
        };
        let auth = AuthUser::from_token(state, &token).await?;
        crate::extract::authenticated(parts);
        Ok(WsAuth(auth))
    }
}

async fn upgrade(State(state): State<AppState>, WsAuth(auth): WsAuth, ws: WebSocketUpgrade) -> ApiResult<Response> {
    let max = state.config.max_connections_per_account;
    if state.hub.connections_of(auth.user_id) >= max {
        return Err(ApiError::new(
            ErrorCode::TooManyConnections,
            format!("an account may hold at most {max} connections at once; close one (log out a device) first"),
        ));
    }
    Ok(ws
        .max_message_size(HARD_FRAME_BYTES)
        .max_frame_size(HARD_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| connection_task(state, auth, socket)))
}

/// Frames written to the socket before one flush, at most.
const WRITE_BATCH: usize = 64;

#[tracing::instrument(skip_all, fields(user = auth.user_id, session = auth.session_id))]
async fn connection_task(state: AppState, auth: AuthUser, socket: WebSocket) {
    let mut sub = state.hub.subscribe(auth.user_id, auth.session_id);
    let me = ConnRef { user: auth.user_id, conn_id: sub.conn_id };
    if sub.first {
        contacts::broadcast_presence(&state, auth.user_id, true).await;
    }
    let (sink, mut stream) = socket.split();
    let mut out = Outgoing(sink);
    let heartbeat = state.config.heartbeat();
    let hello = ServerFrame::Hello {
        user_id: auth.user_id,
        session_id: auth.session_id,
        server_time: now_ms(),
        heartbeat_secs: state.config.heartbeat_secs,
    };
    // Sends queued but not yet answered; the answer (through the hub, in
    // commit order) frees the permit. With none left, reading pauses.
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let closing = if out.send(&hello).await.is_err() {
        None
    } else {
        let mut ticker = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        let mut last_heard = Instant::now();
        loop {
            let wrote = tokio::select! {
                biased;
                _ = state.shutdown.cancelled() => break Some((close::SHUTTING_DOWN, "server shutting down")),
                _ = sub.close.closed() => {
                    let code = sub.close.code();
                    break Some((code, match code {
                        close::SESSION_REVOKED => "session revoked",
                        close::TOO_SLOW => "too slow: reconnect and catch up",
                        _ => "closed",
                    }));
                }
                Some(frame) = sub.rx.recv() => out.write_queued(frame, &mut sub.rx).await,
                incoming = stream.next(), if in_flight.available_permits() > 0 => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => match handle_text(&state, me, auth, &text, &in_flight).await {
                            Some(reply) => out.send(&reply).await,
                            None => Ok(()),
                        },
                        Some(Ok(Message::Binary(_))) => {
                            let e = ApiError::new(ErrorCode::UnsupportedFrame, "frames are JSON text; binary frames are not used");
                            out.send(&error_frame(e, None, None)).await
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                        Some(Ok(Message::Close(_))) | None => break None,
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "websocket read failed");
                            let text = e.to_string();
                            break Some(if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
                                (close::TOO_BIG, "frame too large")
                            } else {
                                (1007, "invalid frame")
                            });
                        }
                    }
                }
                _ = ticker.tick() => {
                    if last_heard.elapsed() > heartbeat * 3 {
                        break Some((close::IDLE_TIMEOUT, "idle timeout"));
                    }
                    out.ping().await
                }
            };
            if wrote.is_err() {
                break None;
            }
        }
    };
    if let Some((code, reason)) = closing {
        let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
        let _ = tokio::time::timeout(Duration::from_secs(2), out.0.send(Message::Close(Some(frame)))).await;
    }
    if state.hub.unsubscribe(auth.user_id, sub.conn_id) {
        contacts::broadcast_presence(&state, auth.user_id, false).await;
        calls::user_gone(&state, auth.user_id).await;
    }
}

/// The writing half of a connection.
struct Outgoing(SplitSink<WebSocket, Message>);

impl Outgoing {
    /// Writes one frame and flushes.
    async fn send(&mut self, frame: &ServerFrame) -> Result<(), axum::Error> {
        self.0.send(Message::Text(encode(frame))).await
    }

    async fn ping(&mut self) -> Result<(), axum::Error> {
        self.0.send(Message::Ping(Default::default())).await
    }

    /// Writes `first` and whatever else is already queued (up to
    /// [`WRITE_BATCH`]), then flushes once: under load one write to the
    /// socket carries many frames instead of one each.
    async fn write_queued(&mut self, first: Utf8Bytes, rx: &mut mpsc::Receiver<Utf8Bytes>) -> Result<(), axum::Error> {
        self.0.feed(Message::Text(first)).await?;
        for _ in 1..WRITE_BATCH {
            match rx.try_recv() {
                Ok(frame) => self.0.feed(Message::Text(frame)).await?,
                Err(_) => break,
            }
        }
        self.0.flush().await
    }
}

fn error_frame(e: ApiError, client_msg_id: Option<String>, call_id: Option<String>) -> ServerFrame {
    ServerFrame::Error { code: e.code, message: e.message, client_msg_id, call_id }
}

const KNOWN_TYPES: &[&str] = &["send", "typing", "read", "call", "ping"];

/// Sends one connection may have queued but not yet committed; past this the
/// connection stops reading until some commit (backpressure).
const MAX_IN_FLIGHT: usize = 64;

/// Handles one text frame; returns the direct reply, if any. A send's answer
/// (ack or error) comes through the hub once it commits.
async fn handle_text(
    state: &AppState,
    me: ConnRef,
    auth: AuthUser,
    text: &str,
    in_flight: &Arc<Semaphore>,
) -> Option<ServerFrame> {
    if text.len() > MAX_FRAME_BYTES as usize {
        let e = ApiError::new(ErrorCode::FrameTooLarge, format!("frames may be at most {MAX_FRAME_BYTES} bytes"));
        return Some(error_frame(e, None, None));
    }
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(f) => f,
        Err(e) => return Some(parse_error(text, e)),
    };
    match frame {
        ClientFrame::Send { client_msg_id, conversation_id, content, reply_to, forwarded, mentions } => {
            // The connection reads only while a permit is left.
            let permit = in_flight.clone().try_acquire_owned().ok()?;
            let id = client_msg_id.clone();
            let req = SendMessageRequest { client_msg_id, content, reply_to, forwarded, mentions };
            let answer = messages::Answer::Connection { from: me, permit };
            messages::queue_send(state, auth.user_id, conversation_id, req, answer)
                .await
                .err()
                .map(|e| error_frame(e, Some(id), None))
        }
        ClientFrame::Typing { conversation_id } => {
            messages::typing(state, auth.user_id, conversation_id).await.err().map(|e| error_frame(e, None, None))
        }
        ClientFrame::Read { conversation_id, seq } => messages::mark_read(state, auth.user_id, conversation_id, seq)
            .await
            .err()
            .map(|e| error_frame(e, None, None)),
        ClientFrame::Call { call_id, conversation_id, to_user, to_device, signal } => {
            let id = call_id.clone();
            let signal = calls::Signal { call_id, conversation_id, to_user, to_device, signal };
            calls::relay(state, auth, signal).await.err().map(|e| error_frame(e, None, Some(id)))
        }
        ClientFrame::AssistantStop { conversation_id, question } => {
            crate::routes::assistant::stop_reply(state, auth.user_id, conversation_id, question)
                .err()
                .map(|e| error_frame(e, None, None))
        }
        ClientFrame::Ping { nonce } => Some(ServerFrame::Pong { nonce }),
    }
}

/// An unknown `type` is `unknown_frame`; anything else malformed is
/// `invalid_json`, echoing the `client_msg_id` / `call_id` if one is readable.
fn parse_error(text: &str, e: serde_json::Error) -> ServerFrame {
    let value: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let field = |name: &str| value.as_ref().and_then(|v| v.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
    let kind = field("type");
    let e = match kind.as_deref() {
        Some(t) if !KNOWN_TYPES.contains(&t) => {
            ApiError::new(ErrorCode::UnknownFrame, format!("unknown frame type `{t}`"))
        }
        _ => ApiError::new(ErrorCode::InvalidJson, format!("malformed frame: {e}")),
    };
    error_frame(e, field("client_msg_id"), field("call_id"))
}
