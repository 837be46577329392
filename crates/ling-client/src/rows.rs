//! Rows handed out as a snapshot plus diffs (a timeline, the conversation
//! list): the diff as it crosses to a UI, and how a copy applies one.

use eyeball_im::VectorDiff;
use serde::Serialize;

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
