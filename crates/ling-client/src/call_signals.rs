//! Call signals from the realtime session to this device's calls, on a
//! channel of their own: they never ride the public event stream, so a
//! window that lags behind its events cannot make a call miss a signal.

use ling_proto::ws::CallSignal;
use ling_proto::{ConversationId, ErrorCode, SessionId, UserId};
use tokio::sync::mpsc;
use tracing::warn;

/// How many signals may wait for the calls' task (a call's offer, answer and
/// ICE candidates are a few dozen).
pub(crate) const INBOX: usize = 1024;

/// What the session hands the calls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    /// Signaling from another device (someone else's, or one's own).
    Signal { call_id: String, conversation_id: ConversationId, from: UserId, device: SessionId, signal: CallSignal },
    /// The server refused one of this device's signals.
    Refused { call_id: String, code: ErrorCode, message: String },
}

/// Where the session puts call signals: the calls' task once calls are
/// started on this device (until then there is nobody to ring, and signals
/// are dropped as they were never meant for this device's UI).
#[derive(Default)]
pub(crate) struct CallInbox {
    to: std::sync::Mutex<Option<mpsc::Sender<Inbound>>>,
}

impl CallInbox {
    /// From now on signals go to the returned receiver.
    pub(crate) fn open(&self) -> mpsc::Receiver<Inbound> {
        let (tx, rx) = mpsc::channel(INBOX);
        *self.to.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    pub(crate) fn deliver(&self, inbound: Inbound) {
        let to = self.to.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(to) = to else { return };
        match to.try_send(inbound) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(dropped)) => {
                warn!(?dropped, limit = INBOX, "the calls fell behind their signals; one was dropped");
            }
        }
    }
}
