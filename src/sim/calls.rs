//! [`StoreCall`]: one store call of one command, as the simulator's harness
//! recorded it at the store boundary. Everything the checkers know about a
//! handler comes from these records (attempts and delays are derived from
//! them, see [`derive`](mod@super::derive)), so any handler — the decider shell
//! or your own imperative code — is checked without bookkeeping.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::retry::ErrorKind;
use crate::store::{Position, Query, ReadOptions};

/// One read or append a command made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StoreCall {
    /// Virtual time the handler made the call (since the run's start).
    pub started_at: Duration,
    /// Virtual time the call returned to the handler.
    pub ended_at: Duration,
    /// Sleeps the handler announced through its [`Clock`](crate::handler::Clock)
    /// since its previous call (zero when it slept some other way or not at all).
    pub slept_before: Duration,
    /// The id of the fault injected into this call, if any
    /// ([`FaultRecord::id`](crate::sim::FaultRecord::id)); spikes are left out
    /// (they only delay a call).
    pub fault: Option<u64>,
    /// What the call was and what it returned.
    pub op: CallOp,
}

/// The call and its result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallOp {
    /// A read.
    Read {
        /// The query (a cheap shared clone of the handler's).
        query: Query,
        /// The options.
        options: ReadOptions,
        /// Marked by the handler as not feeding its decision
        /// ([`Ctx::read_independent`](crate::handler::Ctx::read_independent)).
        independent: bool,
        /// The store's last position when the read took effect (the highest
        /// position of any append applied before it).
        head: Position,
        /// What it returned.
        result: ReadResult,
    },
    /// An append.
    Append {
        /// Events passed.
        events: u32,
        /// Whether a condition was given.
        conditional: bool,
        /// The condition's `after`.
        after: Option<Position>,
        /// What it returned.
        result: AppendResult,
    },
}

/// What a read returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReadResult {
    /// Events: how many, and the lowest and highest position among them.
    Events {
        /// How many.
        count: u32,
        /// Lowest position returned.
        lowest: Option<Position>,
        /// Highest position returned.
        highest: Option<Position>,
    },
    /// An error of this kind.
    Error {
        /// Its kind.
        error: ErrorKind,
    },
}

/// What an append returned (and, behind an error, what it did).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppendResult {
    /// Written at `first..=last`.
    Written {
        /// First position.
        first: Position,
        /// Last position.
        last: Position,
    },
    /// The condition failed at `conflicting`.
    Conflict {
        /// The first conflicting position, when the store reported it.
        conflicting: Option<Position>,
    },
    /// Another error; `applied` is set when the append was applied anyway
    /// (an injected ambiguous commit or a timeout after the write).
    Error {
        /// Its kind.
        error: ErrorKind,
        /// Positions written despite the error.
        applied: Option<(Position, Position)>,
        /// The error's message.
        message: String,
    },
}

impl StoreCall {
    /// True for a call that returned an error (a condition failure included).
    pub fn failed(&self) -> bool {
        match &self.op {
            CallOp::Read { result, .. } => matches!(result, ReadResult::Error { .. }),
            CallOp::Append { result, .. } => !matches!(result, AppendResult::Written { .. }),
        }
    }

    /// True for an append.
    pub fn is_append(&self) -> bool {
        matches!(self.op, CallOp::Append { .. })
    }

    /// The positions this call wrote: returned, or applied behind an error.
    pub fn wrote(&self) -> Option<(Position, Position)> {
        match &self.op {
            CallOp::Append { result: AppendResult::Written { first, last }, .. } => Some((*first, *last)),
            CallOp::Append { result: AppendResult::Error { applied, .. }, .. } => *applied,
            _ => None,
        }
    }
}

/// The positions a read with `options` covered, given the store's `head`
/// when it ran and what it returned: the range it scanned in full. A read
/// cut short by its `limit` covered only up to (forwards) or down to
/// (backwards) the last event it returned.
pub fn covered(options: &ReadOptions, head: Position, returned: u32, lowest: Option<Position>, highest: Option<Position>) -> (Position, Position) {
    let truncated = options.limit.is_some_and(|l| returned as usize >= l);
    if options.backwards {
        let top = options.from.map_or(head, |f| f.min(head));
        let bottom = if truncated { lowest.unwrap_or(top.saturating_add(1)) } else { 1 };
        (bottom, top)
    } else {
        let bottom = options.from.unwrap_or(1);
        let top = if truncated { highest.unwrap_or(bottom.saturating_sub(1)) } else { head.max(highest.unwrap_or(0)) };
        (bottom, top)
    }
}
