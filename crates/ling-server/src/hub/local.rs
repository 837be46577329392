//! In-process fan-out: a map from user to their live connections.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use axum::extract::ws::Utf8Bytes;
use ling_proto::ws::{ServerFrame, close};
use ling_proto::{SessionId, UserId};
use parking_lot::RwLock;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::{CloseSignal, ConnRef, Hub, Subscription, encode};

struct Conn {
    id: u64,
    session: SessionId,
    tx: mpsc::Sender<Utf8Bytes>,
    close: Arc<CloseSignal>,
}

impl Conn {
    fn deliver(&self, frame: Utf8Bytes) {
        match self.tx.try_send(frame) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(_)) => {
                tracing::info!(conn = self.id, "client too slow; disconnecting it");
                self.close.close(close::TOO_SLOW);
            }
        }
    }
}

/// The in-process hub.
pub struct LocalHub {
    conns: RwLock<HashMap<UserId, Vec<Conn>>>,
    next_id: AtomicU64,
    count: AtomicUsize,
    queue: usize,
}

impl LocalHub {
    /// A hub whose connections queue at most `queue` frames.
    pub fn new(queue: usize) -> Self {
        LocalHub {
            conns: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            count: AtomicUsize::new(0),
            queue: queue.max(1),
        }
    }
}

impl LocalHub {
    /// Sends to the connections of `user` that `which` picks, encoding once.
    fn send_where(&self, user: UserId, frame: &ServerFrame, which: impl Fn(&Conn) -> bool) {
        let conns = self.conns.read();
        let mut encoded = None;
        for conn in conns.get(&user).into_iter().flatten().filter(|c| which(c)) {
            conn.deliver(encoded.get_or_insert_with(|| encode(frame)).clone());
        }
    }
}

impl Hub for LocalHub {
    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        let (tx, rx) = mpsc::channel(self.queue);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(CloseSignal::default());
        let mut conns = self.conns.write();
        let list = conns.entry(user).or_default();
        let first = list.is_empty();
        list.push(Conn { id, session, tx, close: close.clone() });
        self.count.fetch_add(1, Ordering::Relaxed);
        Subscription { conn_id: id, rx, close, first }
    }

    fn unsubscribe(&self, user: UserId, conn_id: u64) -> bool {
        let mut conns = self.conns.write();
        let Some(list) = conns.get_mut(&user) else {
            return false;
        };
        let before = list.len();
        list.retain(|c| c.id != conn_id);
        if list.len() < before {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        if list.is_empty() {
            conns.remove(&user);
            before > 0
        } else {
            false
        }
    }

    fn send_raw_except(&self, users: &[UserId], except: Option<ConnRef>, frame: Utf8Bytes) {
        let conns = self.conns.read();
        for user in users {
            for conn in conns.get(user).into_iter().flatten() {
                if except.is_some_and(|e| e.user == *user && e.conn_id == conn.id) {
                    continue;
                }
                conn.deliver(frame.clone());
            }
        }
    }

    fn send_to_conn(&self, to: ConnRef, frame: Utf8Bytes) {
        let conns = self.conns.read();
        if let Some(conn) = conns.get(&to.user).into_iter().flatten().find(|c| c.id == to.conn_id) {
            conn.deliver(frame);
        }
    }

    fn send_to_session(&self, user: UserId, session: SessionId, frame: &ServerFrame) {
        self.send_where(user, frame, |c| c.session == session);
    }

    fn send_to_other_sessions(&self, user: UserId, except: SessionId, frame: &ServerFrame) {
        self.send_where(user, frame, |c| c.session != except);
    }

    fn close_sessions(&self, user: UserId, sessions: &[SessionId], code: u16) {
        let conns = self.conns.read();
        for conn in conns.get(&user).into_iter().flatten().filter(|c| sessions.contains(&c.session)) {
            conn.close.close(code);
        }
    }

    fn is_online(&self, user: UserId) -> bool {
        self.conns.read().contains_key(&user)
    }

    fn connections_of(&self, user: UserId) -> usize {
        self.conns.read().get(&user).map_or(0, Vec::len)
    }

    fn connection_count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn test_every_device_of_a_user_gets_the_frame() {
        let hub = LocalHub::new(8);
        let mut a1 = hub.subscribe(1, 10);
        let mut a2 = hub.subscribe(1, 11);
        assert!(a1.first && !a2.first);
        hub.send_raw(&[1, 2], Utf8Bytes::from_static("x"));
        assert_eq!(a1.rx.recv().await.unwrap().as_str(), "x");
        assert_eq!(a2.rx.recv().await.unwrap().as_str(), "x");
        assert!(!hub.unsubscribe(1, a1.conn_id));
        assert!(hub.unsubscribe(1, a2.conn_id));
        assert!(!hub.is_online(1));
    }

    #[tokio::test]
    async fn test_the_sending_connection_can_be_left_out_and_reached_alone() {
        let hub = LocalHub::new(8);
        let mut a1 = hub.subscribe(1, 10);
        let mut a2 = hub.subscribe(1, 11);
        let sender = ConnRef { user: 1, conn_id: a1.conn_id };
        hub.send_raw_except(&[1], Some(sender), Utf8Bytes::from_static("message"));
        hub.send_to_conn(sender, Utf8Bytes::from_static("ack"));
        assert_eq!(a1.rx.recv().await.unwrap().as_str(), "ack");
        assert_eq!(a2.rx.recv().await.unwrap().as_str(), "message");
        assert!(a2.rx.try_recv().is_err(), "the other device gets the message once and no ack");
    }

    #[tokio::test]
    async fn test_fanout_delivers_in_the_order_pushed() {
        let hub: Arc<dyn Hub> = Arc::new(LocalHub::new(2048));
        let mut sub = hub.subscribe(1, 10);
        let fanout = super::super::Fanout::start(hub.clone());
        for i in 0..1000 {
            fanout.push(move |hub| hub.send_raw(&[1], Utf8Bytes::from(i.to_string())));
        }
        for i in 0..1000 {
            assert_eq!(sub.rx.recv().await.unwrap().as_str(), i.to_string());
        }
    }

    #[tokio::test]
    async fn test_a_full_queue_closes_the_connection_instead_of_growing() {
        let hub = LocalHub::new(2);
        let sub = hub.subscribe(1, 10);
        for _ in 0..3 {
            hub.send_raw(&[1], Utf8Bytes::from_static("x"));
        }
        sub.close.closed().await;
        assert_eq!(sub.close.code(), close::TOO_SLOW);
    }

    #[tokio::test]
    async fn test_close_sessions_closes_only_those() {
        let hub = LocalHub::new(2);
        let keep = hub.subscribe(1, 10);
        let gone = hub.subscribe(1, 11);
        hub.close_sessions(1, &[11], close::SESSION_REVOKED);
        gone.close.closed().await;
        assert_eq!(gone.close.code(), close::SESSION_REVOKED);
        assert_eq!(keep.close.code(), 0);
    }
}
