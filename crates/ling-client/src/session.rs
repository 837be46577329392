//! The realtime session: one WebSocket per account, kept open. It says
//! hello, catches up by seq, resends the outbox, applies what is pushed to
//! the cache and turns it into [`Event`]s; it sends a ping every heartbeat
//! and gives up on a connection it has heard nothing from for three; after
//! a loss it reconnects with exponential backoff and jitter.
//!
//! Sends are idempotent on the server (deduplicated by `client_msg_id`), so
//! everything unacknowledged is resent after every connect; within one
//! connection a message goes on the wire once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ling_proto::Seq;
use ling_proto::messages::Message;
use ling_proto::ws::{ClientFrame, ServerFrame, close};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, instrument, warn};

use crate::backoff::Backoff;
use crate::call_signals::Inbound;
use crate::error::{ClientError, ClientResult, is_transient};
use crate::events::{ConnectionState, Event};
use crate::inner::Inner;
use crate::sync::{Fills, LiveStep};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the server has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// How a connection ended.
enum End {
    /// The client is stopping.
    Stopped,
    /// The server ended the session (4001): log in again.
    LoggedOut,
    /// Lost (network, server restart, idle, too slow): reconnect.
    Lost,
}

/// Keeps the account connected until stopped or logged out.
#[instrument(skip_all)]
pub(crate) async fn session_task(
    inner: Arc<Inner>,
    mut control: mpsc::UnboundedReceiver<ClientFrame>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        inner.set_state(ConnectionState::Connecting);
        let connected = tokio::select! {
            _ = cancel.cancelled() => break,
            c = connect(&inner) => c,
        };
        match connected {
            Ok(ws) => match run_connection(&inner, ws, &mut control, &cancel, &mut backoff).await {
                End::Stopped => break,
                End::LoggedOut => {
                    inner.set_state(ConnectionState::LoggedOut);
                    return;
                }
                End::Lost => {}
            },
            Err(ClientError::LoggedOut) => {
                inner.set_state(ConnectionState::LoggedOut);
                return;
            }
            Err(e) => debug!(error = %e, "could not connect"),
        }
        let delay = backoff.next_delay();
        inner.set_state(ConnectionState::Waiting { retry_in_ms: delay.as_millis() as u64 });
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
            _ = inner.reconnect_now().notified() => {}
        }
    }
    inner.set_state(ConnectionState::Offline);
}

/// Opens the WebSocket with the session token.
async fn connect(inner: &Inner) -> ClientResult<Ws> {
    let mut url = inner.api().base().clone();
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    url.set_scheme(scheme).map_err(|()| ClientError::InvalidInput(format!("cannot open a WebSocket to {url}")))?;
    url.set_path("/v1/ws");
    let mut req = url
        .as_str()
        .into_client_request()
        .map_err(|e| ClientError::InvalidInput(format!("cannot open a WebSocket to {url}: {e}")))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", inner.api().token().unwrap_or_default()))
        .map_err(|_| ClientError::LoggedOut)?;
    req.headers_mut().insert("authorization", bearer);
    let config = WebSocketConfig::default().max_message_size(Some(4 << 20));
    let connector = (scheme == "wss").then(|| Connector::Rustls(crate::tls::client_config()));
    let address = inner.api().base().to_string();
    match tokio_tungstenite::connect_async_tls_with_config(req, Some(config), true, connector).await {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(resp)) if resp.status() == 401 => Err(ClientError::LoggedOut),
        Err(e) => Err(ClientError::Unreachable { address, detail: e.to_string() }),
    }
}

async fn run_connection(
    inner: &Arc<Inner>,
    ws: Ws,
    control: &mut mpsc::UnboundedReceiver<ClientFrame>,
    cancel: &CancellationToken,
    backoff: &mut Backoff,
) -> End {
    let (mut sink, mut stream) = ws.split();
    let heartbeat = match tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await {
        Ok(Some(Ok(WsMessage::Text(t)))) => match serde_json::from_str::<ServerFrame>(&t) {
            Ok(ServerFrame::Hello { heartbeat_secs, .. }) => Duration::from_secs(u64::from(heartbeat_secs.max(1))),
            _ => return End::Lost,
        },
        _ => return End::Lost,
    };
    backoff.reset();
    inner.set_state(ConnectionState::Connected);
    info!("connected");
    // Catch-up runs beside the frame loop: live messages keep flowing, and
    // the cache takes both idempotently.
    let sync = tokio::spawn(crate::catch_up::catch_up_task(inner.clone()));
    let _abort_sync = AbortOnDrop(sync);

    let mut in_flight: HashSet<String> = HashSet::new();
    // The row of the last message sent on this connection (0: none yet).
    let mut sent_through = 0;
    // Gap fills run off this loop; live messages of a conversation being
    // filled wait for its fill.
    let fills = Arc::new(Mutex::new(Fills::default()));
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    if send_outbox(inner, &mut sink, &mut in_flight, &mut sent_through).await.is_err() {
        return End::Lost;
    }
    loop {
        tokio::select! {
            _ = cancel.cancelled() => {
                let _ = sink.send(WsMessage::Close(None)).await;
                return End::Stopped;
            }
            msg = stream.next() => {
                last_heard = Instant::now();
                match msg {
                    Some(Ok(WsMessage::Text(t))) => match serde_json::from_str::<ServerFrame>(&t) {
                        Ok(frame) => handle_frame(inner, &fills, frame, &mut in_flight).await,
                        Err(e) => warn!(error = %e, "a frame this client does not understand"),
                    },
                    Some(Ok(WsMessage::Ping(_))) => {
                        // The pong is queued by tungstenite; flushing sends it.
                        if sink.flush().await.is_err() {
                            return End::Lost;
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code));
                        info!(?code, "the server closed the connection");
                        return if code == Some(close::SESSION_REVOKED) { End::LoggedOut } else { End::Lost };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        debug!(error = %e, "connection lost");
                        return End::Lost;
                    }
                    None => return End::Lost,
                }
            }
            Some(frame) = control.recv() => {
                if send_frame(&mut sink, &frame).await.is_err() {
                    return End::Lost;
                }
            }
            _ = inner.outbox().notified() => {
                if send_outbox(inner, &mut sink, &mut in_flight, &mut sent_through).await.is_err() {
                    return End::Lost;
                }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > heartbeat * 3 {
                    info!("heard nothing for three heartbeats; reconnecting");
                    return End::Lost;
                }
                if sink.send(WsMessage::Ping(Default::default())).await.is_err() {
                    return End::Lost;
                }
            }
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Sink = futures_util::stream::SplitSink<Ws, WsMessage>;

async fn send_frame(sink: &mut Sink, frame: &ClientFrame) -> Result<(), tungstenite::Error> {
    let json = serde_json::to_string(frame).expect("client frames serialize");
    sink.send(WsMessage::text(json)).await
}

/// Messages read from the outbox at a time.
const OUTBOX_PAGE: usize = 500;

/// Sends every unacknowledged message not yet sent on this connection, oldest
/// first: those written after the row `sent_through` (which it moves on), or
/// the whole outbox when a message written earlier is due again.
async fn send_outbox(
    inner: &Inner,
    sink: &mut Sink,
    in_flight: &mut HashSet<String>,
    sent_through: &mut i64,
) -> Result<(), ()> {
    if inner.outbox().take_from_start() {
        *sent_through = 0;
    }
    loop {
        let after = *sent_through;
        let page = match inner.db(move |c| c.outbox_after(after, OUTBOX_PAGE)).await {
            Ok(page) => page,
            Err(e) => {
                warn!(error = %e, "could not read the outbox");
                break;
            }
        };
        let full = page.len() == OUTBOX_PAGE;
        for (row, m) in page {
            *sent_through = row;
            let Some(id) = m.client_msg_id else { continue };
            if in_flight.contains(&id) {
                continue;
            }
            let frame = ClientFrame::Send {
                client_msg_id: id.clone(),
                conversation_id: m.conversation_id,
                content: m.content,
                reply_to: m.reply_to,
                forwarded: m.forwarded,
                mentions: m.mentions,
            };
            sink.feed(WsMessage::text(serde_json::to_string(&frame).expect("client frames serialize")))
                .await
                .map_err(drop)?;
            in_flight.insert(id);
        }
        if !full {
            break;
        }
    }
    sink.flush().await.map_err(drop)
}

/// Applies one pushed frame.
async fn handle_frame(
    inner: &Arc<Inner>,
    fills: &Arc<Mutex<Fills>>,
    frame: ServerFrame,
    in_flight: &mut HashSet<String>,
) {
    let result = match frame {
        ServerFrame::Ack(ack) => {
            in_flight.remove(&ack.client_msg_id);
            let conversation_id = ack.conversation_id;
            inner.db(move |c| c.apply_ack(&ack)).await.map(|m| {
                if let Some(message) = m {
                    inner.emit(Event::MessageUpdated { message });
                    inner.emit(Event::ConversationUpdated { conversation_id });
                }
            })
        }
        ServerFrame::Error { code, message, client_msg_id: Some(id), .. } => {
            in_flight.remove(&id);
            if is_transient(code) {
                // Try again shortly; the message stays in the outbox.
                let inner = inner.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    inner.outbox().again();
                });
                Ok(())
            } else {
                warn!(%code, %message, "the server refused a message");
                inner.fail_send(id, code.into()).await
            }
        }
        ServerFrame::Error { code, message, call_id: Some(call_id), .. } => {
            inner.call_inbox().deliver(Inbound::Refused { call_id, code, message });
            Ok(())
        }
        ServerFrame::Error { code, message, .. } => {
            warn!(%code, %message, "the server refused a frame");
            Ok(())
        }
        ServerFrame::Message { message } => live_message(inner, fills, message).await,
        ServerFrame::Read { conversation_id, user_id, seq } => {
            inner.db(move |c| c.apply_read(conversation_id, user_id, seq)).await.map(|()| {
                inner.emit(Event::Read { conversation_id, user_id, seq });
                inner.emit(Event::ConversationUpdated { conversation_id });
            })
        }
        ServerFrame::Presence { user_id, online } => inner.db(move |c| c.set_online(user_id, online)).await.map(|_| {
            inner.emit(Event::Presence { user_id, online });
        }),
        ServerFrame::Typing { conversation_id, user_id } => {
            inner.emit(Event::Typing { conversation_id, user_id });
            Ok(())
        }
        ServerFrame::AssistantStream { conversation_id, user_id, question, offset, text } => {
            inner.emit(Event::AssistantStream { conversation_id, user_id, question, offset, text });
            Ok(())
        }
        ServerFrame::FriendRequest { request } => {
            spawn_refresh(inner, move |inner| async move {
                inner.refresh_contacts().await?;
                inner.emit(Event::FriendRequest { request });
                Ok(())
            });
            Ok(())
        }
        ServerFrame::ContactsChanged => {
            spawn_refresh(inner, |inner| async move {
                inner.refresh_contacts().await?;
                inner.refresh_conversations().await
            });
            Ok(())
        }
        ServerFrame::GroupChanged { group_id } => {
            spawn_refresh(inner, move |inner| async move { inner.refresh_group(group_id).await });
            Ok(())
        }
        ServerFrame::GroupRemoved { group_id } => inner.db(move |c| c.remove_group(group_id)).await.map(|()| {
            inner.emit(Event::GroupRemoved { group_id });
        }),
        ServerFrame::GroupJoinRequest { group_id } => {
            inner.emit(Event::GroupJoinRequest { group_id });
            Ok(())
        }
        ServerFrame::ProfileChanged { user } => {
            let u = user.clone();
            inner.db(move |c| c.upsert_users(std::slice::from_ref(&u))).await.map(|()| {
                inner.emit(Event::ProfileChanged { user });
            })
        }
        ServerFrame::Call { call_id, conversation_id, from_user, from_device, signal } => {
            let (from, device) = (from_user, from_device);
            inner.call_inbox().deliver(Inbound::Signal { call_id, conversation_id, from, device, signal });
            Ok(())
        }
        ServerFrame::Hello { .. } | ServerFrame::Pong { .. } => Ok(()),
    };
    if let Err(e) = result {
        warn!(error = %e, "could not apply a pushed frame");
    }
}

/// Runs a refetch off the frame loop (it waits on HTTP).
fn spawn_refresh<F, Fut>(inner: &Arc<Inner>, f: F)
where
    F: FnOnce(Arc<Inner>) -> Fut + Send + 'static,
    Fut: Future<Output = ClientResult<()>> + Send + 'static,
{
    let inner = inner.clone();
    tokio::spawn(async move {
        if let Err(e) = f(inner).await {
            warn!(error = %e, "a refresh failed");
        }
    });
}

/// A message pushed live: stored, or (a new conversation, a gap before it)
/// handed to a fill that runs off the frame loop (it waits on HTTP).
async fn live_message(inner: &Arc<Inner>, fills: &Arc<Mutex<Fills>>, message: Message) -> ClientResult<()> {
    let conversation_id = message.conversation_id;
    let (known, have) =
        inner.db(move |c| Ok((c.has_conversation(conversation_id)?, c.max_seq(conversation_id)?))).await?;
    let step = lock(fills).on_live(known, have, message);
    match step {
        LiveStep::Store(message) => inner.store_messages(vec![message]).await,
        LiveStep::Wait => Ok(()),
        LiveStep::Fill { list, after, message } => {
            tokio::spawn(fill(inner.clone(), fills.clone(), list, after, message));
            Ok(())
        }
    }
}

/// Lists a new conversation, fetches a gap, then stores the message and
/// the ones that waited for it, in order, until none does.
async fn fill(inner: Arc<Inner>, fills: Arc<Mutex<Fills>>, list: bool, after: Option<Seq>, message: Message) {
    let conversation_id = message.conversation_id;
    if list && let Err(e) = inner.refresh_conversations().await {
        warn!(error = %e, "could not list a new conversation");
    }
    if let Some(after) = after {
        debug!(conversation_id, after, seq = message.seq, "gap seen live; fetching it");
        if let Err(e) = inner.fetch_after(conversation_id, after, Some(message.seq - 1)).await {
            warn!(error = %e, "could not fill a gap; it is filled when read");
        }
    }
    let mut next = vec![message];
    while !next.is_empty() {
        // Storing a recall notice recalls the message it names.
        if let Err(e) = inner.store_messages(next).await {
            warn!(error = %e, "could not store pushed messages");
        }
        next = lock(&fills).next(conversation_id);
    }
}

fn lock(fills: &Mutex<Fills>) -> std::sync::MutexGuard<'_, Fills> {
    fills.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
