//! Fan-out of realtime frames to connected devices, behind a trait so a
//! message bus (NATS, PostgreSQL LISTEN/NOTIFY) can carry it between nodes
//! later. [`local::LocalHub`] does it in process.
//!
//! Each connection has a bounded queue. A client that does not drain it is
//! disconnected rather than buffered without bound: it reconnects and
//! catches up by seq, so nothing is lost.

pub mod local;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::extract::ws::Utf8Bytes;
use ling_proto::ws::ServerFrame;
use ling_proto::{SessionId, UserId};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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
    fn send_raw(&self, users: &[UserId], frame: Utf8Bytes);
    /// Sends a frame to one device.
    fn send_to_session(&self, user: UserId, session: SessionId, frame: &ServerFrame);
    /// Sends a frame to every device of `user` but `except`.
    fn send_to_other_sessions(&self, user: UserId, except: SessionId, frame: &ServerFrame);
    /// Closes the connections of these sessions (revoked, logged out).
    fn close_sessions(&self, user: UserId, sessions: &[SessionId], code: u16);
    /// Whether the user has a live connection.
    fn is_online(&self, user: UserId) -> bool;
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
