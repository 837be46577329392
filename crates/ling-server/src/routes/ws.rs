//! `GET /v1/ws`: one WebSocket per logged-in device.
//!
//! The connection task reads client frames one at a time (so a device's
//! sends are stored in the order it sent them) and writes whatever the hub
//! queues for it. It pings every heartbeat and closes a connection silent for
//! three heartbeats. Frames over the soft limit get an error frame; frames
//! over the hard limit, invalid UTF-8, revocation, shutdown or a full queue
//! close it.

use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use ling_proto::ErrorCode;
use ling_proto::messages::SendMessageRequest;
use ling_proto::ws::{ClientFrame, ServerFrame, close};
use serde::Deserialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{HARD_FRAME_BYTES, MAX_FRAME_BYTES};
use crate::error::ApiError;
use crate::extract::{AuthUser, Query, bearer};
use crate::hub::encode;
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
        Ok(WsAuth(AuthUser::from_token(state, &token).await?))
    }
}

async fn upgrade(State(state): State<AppState>, WsAuth(auth): WsAuth, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(HARD_FRAME_BYTES)
        .max_frame_size(HARD_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| connection_task(state, auth, socket))
}

#[tracing::instrument(skip_all, fields(user = auth.user_id, session = auth.session_id))]
async fn connection_task(state: AppState, auth: AuthUser, socket: WebSocket) {
    let mut sub = state.hub.subscribe(auth.user_id, auth.session_id);
    if sub.first {
        contacts::broadcast_presence(&state, auth.user_id, true).await;
    }
    let (mut sink, mut stream) = socket.split();
    let heartbeat = state.config.heartbeat();
    let hello = ServerFrame::Hello {
        user_id: auth.user_id,
        session_id: auth.session_id,
        server_time: now_ms(),
        heartbeat_secs: state.config.heartbeat_secs,
    };
    let mut close_code = close::SHUTTING_DOWN;
    let mut close_reason = "";
    if sink.send(Message::Text(encode(&hello))).await.is_ok() {
        let mut ticker = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        let mut last_heard = Instant::now();
        // Acks of queued sends, in the order the sends arrived.
        let mut in_flight: FuturesOrdered<JoinHandle<ServerFrame>> = FuturesOrdered::new();
        loop {
            tokio::select! {
                biased;
                _ = state.shutdown.cancelled() => {
                    close_code = close::SHUTTING_DOWN;
                    close_reason = "server shutting down";
                    break;
                }
                _ = sub.close.closed() => {
                    close_code = sub.close.code();
                    close_reason = match close_code {
                        close::SESSION_REVOKED => "session revoked",
                        close::TOO_SLOW => "too slow: reconnect and catch up",
                        _ => "closed",
                    };
                    break;
                }
                Some(frame) = sub.rx.recv() => {
                    if sink.send(Message::Text(frame)).await.is_err() {
                        close_code = 0;
                        break;
                    }
                }
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    let reply = match done {
                        Ok(reply) => reply,
                        Err(e) => error_frame(ApiError::internal(e), None, None),
                    };
                    if sink.send(Message::Text(encode(&reply))).await.is_err() {
                        close_code = 0;
                        break;
                    }
                }
                incoming = stream.next(), if in_flight.len() < MAX_IN_FLIGHT => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => {
                            let reply = match handle_text(&state, auth, &text).await {
                                Handled::Reply(reply) => Some(*reply),
                                Handled::Queued(ack) => {
                                    in_flight.push_back(ack);
                                    None
                                }
                                Handled::Nothing => None,
                            };
                            if let Some(reply) = reply
                                && sink.send(Message::Text(encode(&reply))).await.is_err()
                            {
                                close_code = 0;
                                break;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            let reply = error_frame(ApiError::new(ErrorCode::UnsupportedFrame, "frames are JSON text; binary frames are not used"), None, None);
                            if sink.send(Message::Text(encode(&reply))).await.is_err() {
                                close_code = 0;
                                break;
                            }
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) | None => {
                            close_code = 0;
                            break;
                        }
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "websocket read failed");
                            let text = e.to_string();
                            (close_code, close_reason) = if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
                                (close::TOO_BIG, "frame too large")
                            } else {
                                (1007, "invalid frame")
                            };
                            break;
                        }
                    }
                }
                _ = ticker.tick() => {
                    if last_heard.elapsed() > heartbeat * 3 {
                        close_code = close::IDLE_TIMEOUT;
                        close_reason = "idle timeout";
                        break;
                    }
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        close_code = 0;
                        break;
                    }
                }
            }
        }
    }
    if close_code != 0 {
        let frame = CloseFrame { code: close_code, reason: Utf8Bytes::from(close_reason) };
        let _ = tokio::time::timeout(Duration::from_secs(2), sink.send(Message::Close(Some(frame)))).await;
    }
    if state.hub.unsubscribe(auth.user_id, sub.conn_id) {
        contacts::broadcast_presence(&state, auth.user_id, false).await;
        calls::user_gone(&state, auth.user_id).await;
    }
}

fn error_frame(e: ApiError, client_msg_id: Option<String>, call_id: Option<String>) -> ServerFrame {
    ServerFrame::Error { code: e.code, message: e.message, client_msg_id, call_id }
}

const KNOWN_TYPES: &[&str] = &["send", "typing", "read", "call", "ping"];

/// Handles one text frame; returns the direct reply, if any.
/// What handling one client frame produced.
enum Handled {
    /// Nothing to answer.
    Nothing,
    /// An answer to send now.
    Reply(Box<ServerFrame>),
    /// A send whose answer (ack or error) comes once it commits.
    Queued(JoinHandle<ServerFrame>),
}

impl From<Option<ServerFrame>> for Handled {
    fn from(reply: Option<ServerFrame>) -> Self {
        reply.map_or(Handled::Nothing, |r| Handled::Reply(Box::new(r)))
    }
}

/// Sends one connection may have queued but not yet committed; past this the
/// connection stops reading until some commit (backpressure).
const MAX_IN_FLIGHT: usize = 64;

async fn handle_text(state: &AppState, auth: AuthUser, text: &str) -> Handled {
    if text.len() > MAX_FRAME_BYTES as usize {
        return Handled::Reply(Box::new(error_frame(
            ApiError::new(ErrorCode::FrameTooLarge, format!("frames may be at most {MAX_FRAME_BYTES} bytes")),
            None,
            None,
        )));
    }
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(f) => f,
        Err(e) => return Handled::Reply(Box::new(parse_error(text, e))),
    };
    match frame {
        ClientFrame::Send { client_msg_id, conversation_id, content, reply_to } => {
            let id = client_msg_id.clone();
            let req = SendMessageRequest { client_msg_id, content, reply_to };
            match messages::queue_send(state, auth.user_id, conversation_id, req).await {
                // The commit, the fan-out and the ack go on in their own task, so the
                // connection reads its next frame meanwhile.
                Ok(queued) => Handled::Queued(tokio::spawn(async move {
                    match queued.finish().await {
                        Ok(ack) => ServerFrame::Ack(ack),
                        Err(e) => error_frame(e, Some(id), None),
                    }
                })),
                Err(e) => Handled::Reply(Box::new(error_frame(e, Some(id), None))),
            }
        }
        ClientFrame::Typing { conversation_id } => messages::typing(state, auth.user_id, conversation_id)
            .await
            .err()
            .map(|e| error_frame(e, None, None))
            .into(),
        ClientFrame::Read { conversation_id, seq } => messages::mark_read(state, auth.user_id, conversation_id, seq)
            .await
            .err()
            .map(|e| error_frame(e, None, None))
            .into(),
        ClientFrame::Call { call_id, conversation_id, to_user, to_device, signal } => {
            let id = call_id.clone();
            let signal = calls::Signal { call_id, conversation_id, to_user, to_device, signal };
            calls::relay(state, auth, signal).await.err().map(|e| error_frame(e, None, Some(id))).into()
        }
        ClientFrame::Ping { nonce } => Handled::Reply(Box::new(ServerFrame::Pong { nonce })),
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
