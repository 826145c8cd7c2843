//! What a handled command reports: its outcome and every attempt.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::retry::ErrorKind;
use crate::store::Position;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The decision's events were appended.
    Succeeded,
    /// The effect was already there; nothing was appended.
    Idempotent,
    /// A business rule rejected the command (never retried).
    Rejected {
        /// The rule's message.
        reason: String,
    },
    /// Every attempt hit a retryable error ("failed after N attempts").
    Exhausted {
        /// Attempts made.
        attempts: u32,
    },
    /// A non-retryable error, the deadline or the retry budget ended it.
    Failed {
        /// The last error's kind.
        error: ErrorKind,
        /// What happened.
        message: String,
    },
}

impl Outcome {
    /// A short label for summaries: `succeeded`, `idempotent`, `rejected`, `exhausted`, `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Idempotent => "idempotent",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Exhausted { .. } => "exhausted",
            Outcome::Failed { .. } => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Succeeded => f.write_str("succeeded"),
            Outcome::Idempotent => f.write_str("succeeded (idempotent, nothing appended)"),
            Outcome::Rejected { reason } => write!(f, "rejected: {reason}"),
            Outcome::Exhausted { attempts } => write!(f, "failed after {attempts} attempts due to concurrent updates"),
            Outcome::Failed { error, message } => write!(f, "failed ({}): {message}", error.label()),
        }
    }
}

/// The decision of one attempt, without its events.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionRecord {
    /// Append `events` events.
    Append {
        /// How many.
        events: u32,
    },
    /// Nothing to do.
    Idempotent,
    /// Rejected, appending `events` failure events.
    Reject {
        /// The message.
        reason: String,
        /// How many failure events.
        events: u32,
    },
}

/// What the append of one attempt did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppendRecord {
    /// No append (read failed, or nothing to write).
    NotAttempted,
    /// Written at `first..=last`.
    Written {
        /// First position.
        first: Position,
        /// Last position.
        last: Position,
    },
    /// The condition failed.
    Conflict {
        /// The conflicting position, when the store reported it.
        conflicting: Option<Position>,
    },
    /// Another error.
    Error {
        /// Its kind.
        error: ErrorKind,
        /// The error's message.
        detail: String,
    },
}

/// One read → decide → append cycle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// 1-based attempt number.
    pub attempt: u32,
    /// Delay slept before this attempt (zero for the first).
    pub delay_before: Duration,
    /// Clock time when the attempt started (sleeper's clock).
    pub started_at: Duration,
    /// Clock time when it ended.
    pub ended_at: Duration,
    /// The last position among the events read (`None`: nothing matched,
    /// or the read failed); the append condition's `after`.
    pub read_after: Option<Position>,
    /// Events read (0 when the read failed).
    pub read_events: u32,
    /// The decision (`None` when the read failed).
    pub decision: Option<DecisionRecord>,
    /// The append.
    pub append: AppendRecord,
    /// The error this attempt ended with, if any (business rejections are
    /// [`ErrorKind::Business`]).
    pub error: Option<ErrorKind>,
}

/// Everything [`CommandHandler::handle`](super::CommandHandler::handle) reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HandleReport {
    /// How the command ended.
    pub outcome: Outcome,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptRecord>,
    /// Sum of delays slept.
    pub total_delay: Duration,
}
