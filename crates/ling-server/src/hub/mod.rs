//! Fan-out of realtime frames to connected devices, behind a trait so a
//! message bus (NATS, PostgreSQL LISTEN/NOTIFY) can carry it between nodes
//! later. [`local::LocalHub`] does it in process.
//!
//! Each connection has a bounded queue. A client that does not drain it is
//! disconnected rather than buffered without bound: it reconnects and
//! catches up by seq, so nothing is lost.
//!
//! What a commit produces (a conversation's messages, the acks of its sends)
//! goes out through [`Fanout`], one task that delivers in the order it was
//! handed things, which is commit order (see `store::OnCommit`). Before
//! (2026-12), each send fanned out in a task of its own after its commit, and
//! the tasks woken by one group commit raced: under load receivers saw seq
//! n+1 before n thousands of times a run, and fetched the "gap" over HTTP.

pub mod local;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::extract::ws::Utf8Bytes;
use ling_proto::ws::ServerFrame;
use ling_proto::{SessionId, UserId};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One live connection: its user and its [`Subscription::conn_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnRef {
    /// Whose connection.
    pub user: UserId,
    /// Which of their connections.
    pub conn_id: u64,
}

/// A connection's registration with the hub.
pub struct Subscription {
    /// Identifies this connection to [`Hub::unsubscribe`].
    pub conn_id: u64,
    /// Frames for this connection, already serialized.
    pub rx: mpsc::Receiver<Utf8Bytes>,
    /// Fires when the hub wants the connection closed; its code says why.
    pub close: Arc<CloseSignal>,
    /// Whether the user had no other connection (they just came online).
    pub first: bool,
}

/// A request to close one connection, with a WebSocket close code.
#[derive(Debug, Default)]
pub struct CloseSignal {
    token: CancellationToken,
    code: AtomicU16,
}

impl CloseSignal {
    /// Asks for the close; the first code given wins.
    pub fn close(&self, code: u16) {
        let _ = self.code.compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire);
        self.token.cancel();
    }

    /// Resolves once a close was asked for.
    pub async fn closed(&self) {
        self.token.cancelled().await
    }

    /// The code asked for (0 if none).
    pub fn code(&self) -> u16 {
        self.code.load(Ordering::Acquire)
    }
}

/// Delivers frames to users' live connections.
pub trait Hub: Send + Sync {
    /// Registers a connection of `user`'s device `session`.
    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription;
    /// Forgets a connection; true if it was the user's last (they went offline).
    fn unsubscribe(&self, user: UserId, conn_id: u64) -> bool;
    /// Sends a serialized frame to every connection of each user.
    fn send_raw(&self, users: &[UserId], frame: Utf8Bytes) {
        self.send_raw_except(users, None, frame)
    }
    /// Sends a serialized frame to every connection of each user but the
    /// connection `except` (the one a message was sent from: it gets the ack).
    fn send_raw_except(&self, users: &[UserId], except: Option<ConnRef>, frame: Utf8Bytes);
    /// Sends a serialized frame to one connection, if it is still there.
    fn send_to_conn(&self, conn: ConnRef, frame: Utf8Bytes);
    /// Sends a frame to one device.
    fn send_to_session(&self, user: UserId, session: SessionId, frame: &ServerFrame);
    /// Sends a frame to every device of `user` but `except`.
    fn send_to_other_sessions(&self, user: UserId, except: SessionId, frame: &ServerFrame);
    /// Closes the connections of these sessions (revoked, logged out).
    fn close_sessions(&self, user: UserId, sessions: &[SessionId], code: u16);
    /// Whether the user has a live connection.
    fn is_online(&self, user: UserId) -> bool;
    /// How many live connections the user has.
    fn connections_of(&self, user: UserId) -> usize;
    /// Live connections, for metrics.
    fn connection_count(&self) -> usize;
}

/// Serializes a frame once for many recipients.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(frame).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not serialize a frame");
        String::from("{}")
    }))
}

/// Convenience over [`Hub::send_raw`].
pub fn send(hub: &dyn Hub, users: &[UserId], frame: &ServerFrame) {
    if !users.is_empty() {
        hub.send_raw(users, encode(frame));
    }
}

/// A delivery handed to [`Fanout`].
type Delivery = Box<dyn FnOnce(&dyn Hub) + Send>;

/// Delivers through the hub in the order deliveries were pushed, from one task.
///
/// `push` never waits, so it may be called on the store's commit path. The
/// queue is unbounded, but what feeds it is bounded upstream (the writer's
/// queue, each connection's sends in flight) and a delivery does no I/O: it
/// only queues frames into connections' bounded queues.
#[derive(Clone)]
pub struct Fanout {
    tx: mpsc::UnboundedSender<Delivery>,
}

impl Fanout {
    /// Starts the delivering task; it ends when the last `Fanout` is dropped.
    pub fn start(hub: Arc<dyn Hub>) -> Fanout {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(fanout_task(hub, rx));
        Fanout { tx }
    }

    /// Queues `delivery` behind everything pushed before it.
    pub fn push(&self, delivery: impl FnOnce(&dyn Hub) + Send + 'static) {
        if self.tx.send(Box::new(delivery)).is_err() {
            tracing::debug!("fan-out stopped; a delivery was dropped");
        }
    }
}

/// Runs deliveries in order, a batch per wake-up.
#[tracing::instrument(skip_all)]
async fn fanout_task(hub: Arc<dyn Hub>, mut rx: mpsc::UnboundedReceiver<Delivery>) {
    let mut batch = Vec::with_capacity(256);
    while rx.recv_many(&mut batch, 256).await > 0 {
        for delivery in batch.drain(..) {
            delivery(&*hub);
        }
    }
    tracing::debug!("fan-out stopped");
}
