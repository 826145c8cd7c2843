//! Error classification: which failures may be retried.

use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// What kind of failure an attempt ended with. The policy retries
/// [`ErrorKind::Conflict`] always, [`ErrorKind::Transient`] when enabled,
/// and never the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The append condition failed (optimistic concurrency conflict).
    Conflict,
    /// The store was unavailable but said a retry may succeed.
    Transient,
    /// The command's deadline passed.
    DeadlineExceeded,
    /// The command was cancelled (e.g. its client went away).
    Canceled,
    /// A business rule rejected the command: a result, not a failure.
    Business,
    /// Anything else (invalid input, permanent store errors).
    Other,
}

impl ErrorKind {
    /// The metrics label of the Go design (`error_type`).
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Conflict => "concurrency_conflict",
            ErrorKind::Transient => "transient",
            ErrorKind::DeadlineExceeded => "context_deadline_exceeded",
            ErrorKind::Canceled => "context_canceled",
            ErrorKind::Business => "business",
            ErrorKind::Other => "other",
        }
    }
}

/// Errors the engine can classify.
pub trait Classify {
    /// This error's kind.
    fn kind(&self) -> ErrorKind;
}

/// The retry classification of store errors: only
/// [`StoreError::ConditionFailed`] is a [`Conflict`](ErrorKind::Conflict)
/// and only `Unavailable { retryable: true }` is
/// [`Transient`](ErrorKind::Transient). [`StoreError::InvalidInput`] and
/// [`StoreError::Rejected`] (the engine's own rejection of the input) are
/// [`Other`](ErrorKind::Other), never retried: the same input is rejected
/// again, so a retry only spends the budget.
impl Classify for StoreError {
    fn kind(&self) -> ErrorKind {
        match self {
            StoreError::ConditionFailed { .. } => ErrorKind::Conflict,
            StoreError::Unavailable { retryable: true, .. } => ErrorKind::Transient,
            StoreError::Timeout(_) => ErrorKind::DeadlineExceeded,
            StoreError::Canceled(_) => ErrorKind::Canceled,
            StoreError::Unavailable { retryable: false, .. } | StoreError::InvalidInput(_) | StoreError::Rejected { .. } => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_go_design_error_types() {
        let labels: Vec<_> = [
            ErrorKind::Conflict,
            ErrorKind::Transient,
            ErrorKind::DeadlineExceeded,
            ErrorKind::Canceled,
            ErrorKind::Business,
            ErrorKind::Other,
        ]
        .into_iter()
        .map(ErrorKind::label)
        .collect();
        assert_eq!(labels, ["concurrency_conflict", "transient", "context_deadline_exceeded", "context_canceled", "business", "other"]);
    }
}
