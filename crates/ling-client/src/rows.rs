//! Rows handed out as a snapshot plus diffs (a timeline, the conversation
//! list): the diff as it crosses to a UI, and how a copy applies one.

use std::sync::{Arc, Mutex, PoisonError};

use eyeball_im::VectorDiff;
use serde::Serialize;
use tokio::sync::watch;

/// A change to the rows, as it crosses to a UI: [`VectorDiff`]
/// in a shape that has a TypeScript declaration. Applied in order, a
/// snapshot's changes keep a copy of the rows equal to the view's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RowDiff<T> {
    /// Rows added at the end.
    Append { values: Vec<T> },
    /// No rows.
    Clear,
    /// A row added at the start.
    PushFront { value: T },
    /// A row added at the end.
    PushBack { value: T },
    /// The first row removed.
    PopFront,
    /// The last row removed.
    PopBack,
    /// A row added before the one at `index`.
    Insert { index: u32, value: T },
    /// The row at `index` replaced.
    Set { index: u32, value: T },
    /// The row at `index` removed.
    Remove { index: u32 },
    /// Only the first `length` rows kept.
    Truncate { length: u32 },
    /// All rows replaced.
    Reset { values: Vec<T> },
}

impl<T: Clone> From<VectorDiff<T>> for RowDiff<T> {
    fn from(diff: VectorDiff<T>) -> RowDiff<T> {
        use VectorDiff as D;
        // Rows stay far below 2^32.
        let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        match diff {
            D::Append { values } => RowDiff::Append { values: values.into_iter().collect() },
            D::Clear => RowDiff::Clear,
            D::PushFront { value } => RowDiff::PushFront { value },
            D::PushBack { value } => RowDiff::PushBack { value },
            D::PopFront => RowDiff::PopFront,
            D::PopBack => RowDiff::PopBack,
            D::Insert { index, value } => RowDiff::Insert { index: at(index), value },
            D::Set { index, value } => RowDiff::Set { index: at(index), value },
            D::Remove { index } => RowDiff::Remove { index: at(index) },
            D::Truncate { length } => RowDiff::Truncate { length: at(length) },
            D::Reset { values } => RowDiff::Reset { values: values.into_iter().collect() },
        }
    }
}

/// How far a view has come through its client's events. A UI that shows
/// two views (a timeline and the list) hands over their changes of one
/// event together: when one view changed, it waits until each has folded
/// every event emitted by then, then takes what both have.
#[derive(Clone)]
pub struct Settled {
    folded: watch::Receiver<u64>,
    emitted: Arc<Mutex<u64>>,
}

impl Settled {
    /// Resolves once the view has folded every event the client had emitted
    /// when this was called (at once for a view that ended).
    pub async fn caught_up(&mut self) {
        let target = *self.emitted.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.folded.wait_for(|&n| n >= target).await;
    }
}

/// What a view starts from: the client's events from its subscription on,
/// with its count of them and the handle others wait on.
pub(crate) type ViewEvents<E> = (tokio::sync::broadcast::Receiver<E>, Folding, Settled);

/// A view's side of [`Settled`]: counts the events it took, and says so
/// once their changes are in its rows.
pub(crate) struct Folding {
    taken: u64,
    folded: watch::Sender<u64>,
}

impl Folding {
    /// For a view subscribed after `emitted` events of a client whose count
    /// is `count`.
    pub(crate) fn new(emitted: u64, count: Arc<Mutex<u64>>) -> (Folding, Settled) {
        let (folded, rx) = watch::channel(emitted);
        (Folding { taken: emitted, folded }, Settled { folded: rx, emitted: count })
    }

    /// `n` more events taken (or skipped, when the view lagged).
    pub(crate) fn took(&mut self, n: u64) {
        self.taken += n;
    }

    /// What was taken is in the rows.
    pub(crate) fn folded(&self) {
        self.folded.send_replace(self.taken);
    }
}

/// Applies one diff to a copy of the rows, as a view does (tests).
pub fn apply_diff<T: Clone>(rows: &mut Vec<T>, diff: VectorDiff<T>) {
    match diff {
        VectorDiff::Append { values } => rows.extend(values),
        VectorDiff::Clear => rows.clear(),
        VectorDiff::PushFront { value } => rows.insert(0, value),
        VectorDiff::PushBack { value } => rows.push(value),
        VectorDiff::PopFront => {
            rows.remove(0);
        }
        VectorDiff::PopBack => {
            rows.pop();
        }
        VectorDiff::Insert { index, value } => rows.insert(index, value),
        VectorDiff::Set { index, value } => rows[index] = value,
        VectorDiff::Remove { index } => {
            rows.remove(index);
        }
        VectorDiff::Truncate { length } => rows.truncate(length),
        VectorDiff::Reset { values } => *rows = values.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::FutureExt;

    use super::Folding;

    #[test]
    fn a_view_is_caught_up_once_it_has_folded_what_was_emitted_when_asked() {
        let emitted = Arc::new(Mutex::new(5));
        let (mut folding, settled) = Folding::new(5, emitted.clone());
        assert!(settled.clone().caught_up().now_or_never().is_some(), "nothing emitted since it subscribed");

        *emitted.lock().unwrap() = 7;
        let mut waiting = settled.clone();
        let mut caught_up = Box::pin(async move { waiting.caught_up().await });
        assert!(caught_up.as_mut().now_or_never().is_none(), "two events not taken yet");
        folding.took(2);
        assert!(caught_up.as_mut().now_or_never().is_none(), "taken, not yet folded");
        folding.folded();
        assert!(caught_up.as_mut().now_or_never().is_some());

        // Asked later, it waits for what was emitted by then; a view that
        // ended does not hold anyone up.
        *emitted.lock().unwrap() = 8;
        let mut later = settled.clone();
        assert!(later.caught_up().now_or_never().is_none());
        drop(folding);
        assert!(later.caught_up().now_or_never().is_some());
    }
}
