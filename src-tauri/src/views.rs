//! Views the UI keeps a copy of (the open chat's timeline, the conversation
//! list): opened by a command that returns a snapshot, then changed by
//! batches of diffs on an event, each batch tagged with the view number the
//! UI chose when it opened it (so that diffs which beat the snapshot can wait
//! for it, and a closed view's late ones are told apart).

use std::sync::{Arc, Mutex};

use eyeball_im::VectorSubscriberBatchedStream;
use futures_util::StreamExt;
use ling_client::rows::RowDiff;
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;

use crate::error::{AppError, AppResult, ShellCode};

/// A batch of changes to an open view's rows, in order.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ViewDiffs<T> {
    /// Which opening they belong to (the number the UI chose).
    pub view: u32,
    /// Applied in order.
    pub diffs: Vec<RowDiff<T>>,
}

/// One open view of kind `V` per window: opening another closes it.
pub struct OpenView<V> {
    slot: Mutex<Slot<V>>,
}

impl<V> Default for OpenView<V> {
    fn default() -> Self {
        OpenView { slot: Mutex::new(Slot { opening: 0, open: None }) }
    }
}

struct Slot<V> {
    /// Counts openings begun: one that ends after a later one began is not
    /// kept (two chats clicked in quick succession).
    opening: u64,
    open: Option<Open<V>>,
}

struct Open<V> {
    view: u32,
    inner: Arc<V>,
    forward: tokio::task::JoinHandle<()>,
}

impl<V> Drop for Open<V> {
    fn drop(&mut self) {
        self.forward.abort();
    }
}

impl<V: Send + Sync + 'static> OpenView<V> {
    /// The open view, if it is `view`.
    pub fn get(&self, view: u32) -> AppResult<Arc<V>> {
        let slot = self.lock();
        match slot.open.as_ref() {
            Some(o) if o.view == view => Ok(o.inner.clone()),
            _ => Err(AppError::new(ShellCode::ViewClosed, "that view is no longer open")),
        }
    }

    /// Closes the open view; the number of the opening begun.
    pub fn begin(&self) -> u64 {
        let (opening, old) = {
            let mut slot = self.lock();
            slot.opening += 1;
            (slot.opening, slot.open.take())
        };
        // Dropped (its forwarding aborted) outside the lock.
        drop(old);
        opening
    }

    /// Keeps `inner` as view `view` and forwards `diffs` on `event`, unless
    /// a later opening began since `opening`.
    pub fn finish<T: Clone + Serialize + Send + Sync + 'static>(
        &self,
        app: &AppHandle,
        event: &'static str,
        opening: u64,
        view: u32,
        inner: Arc<V>,
        mut diffs: VectorSubscriberBatchedStream<T>,
    ) {
        let mut slot = self.lock();
        if slot.opening != opening {
            return;
        }
        let app = app.clone();
        let forward = tokio::spawn(async move {
            while let Some(batch) = diffs.next().await {
                let diffs = batch.into_iter().map(RowDiff::from).collect();
                let _ = app.emit(event, ViewDiffs { view, diffs });
            }
        });
        let old = slot.open.replace(Open { view, inner, forward });
        drop(slot);
        drop(old);
    }

    /// Closes view `view` (any, for `None`), if it is the open one.
    pub fn close(&self, view: Option<u32>) {
        let old = {
            let mut slot = self.lock();
            slot.open.take_if(|o| view.is_none_or(|v| o.view == v))
        };
        drop(old);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot<V>> {
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
