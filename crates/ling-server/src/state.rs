//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::blobs::BlobStore;
use crate::config::Config;
use crate::hub::{Fanout, Hub};
use crate::store::Store;
use crate::throttle::{AuthThrottle, TypingThrottle};

/// The shared state: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    /// Persistent data.
    pub store: Arc<dyn Store>,
    /// Realtime fan-out.
    pub hub: Arc<dyn Hub>,
    /// Delivery through `hub` in commit order (messages and acks).
    pub fanout: Fanout,
    /// Uploaded files' bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Settings.
    pub config: Config,
    /// Limits password guessing per account.
    pub auth_throttle: AuthThrottle,
    /// Limits how often `typing` is relayed.
    pub typing_throttle: TypingThrottle,
    /// Fires when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// The calls in progress.
    pub calls: std::sync::Mutex<crate::calls::CallBook>,
    /// The AI assistant, if the server has one.
    pub assistant: Option<Arc<crate::assistant::Assistant>>,
}

impl AppState {
    /// Bundles the parts.
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
