//! Storage faults: the [`FaultPlan`] a scenario asks for and the
//! [`FaultRecord`]s of what was injected. The simulator's store harness
//! injects them around **any** [`EventStore`](crate::store::EventStore) (the
//! built-in engines or your adapter), every decision drawn from a seeded RNG,
//! every fault written to a journal with the command and store call it hit.
//!
//! | fault | what the caller sees | what happened |
//! |---|---|---|
//! | latency spike | a slow call | extra virtual latency before the call |
//! | unavailable | [`StoreError::Unavailable`] (`retryable` per plan) | nothing |
//! | timeout (before) | [`StoreError::Timeout`] after `call_timeout` | nothing |
//! | timeout (after) | [`StoreError::Timeout`] after `call_timeout` | the append **was applied** |
//! | ambiguous commit | [`StoreError::Unavailable`] (retryable) | the append **was applied** |
//! | client crash | [`StoreError::Canceled`] | the client died between its read and its append: nothing |
//!
//! Every injected error's message starts with `[fault #<id>]` for people;
//! the checkers use the structured records instead (the call that got the
//! fault carries its id, see [`StoreCall::fault`](crate::sim::StoreCall::fault))
//! to know which writes happened behind an error (appends stay atomic: an
//! applied append is applied whole).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::retry::RuntimeSleeper;
use crate::store::Position;

/// Probabilities (per store call) and sizes of each fault; all zero by
/// default (no faults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// Chance of an extra latency spike.
    #[serde(default)]
    pub spike_probability: f64,
    /// Longest spike (≥ 1 ms when spikes are on).
    #[serde(rename = "spike_max_us", with = "crate::util::duration_us", default)]
    pub spike_max: Duration,
    /// Chance a call fails with "unavailable" before doing anything.
    #[serde(default)]
    pub unavailable_probability: f64,
    /// Whether "unavailable" says a retry may succeed.
    #[serde(default)]
    pub unavailable_retryable: bool,
    /// Chance a call hangs for `call_timeout` and then fails with a timeout
    /// (an append is applied or not, half each).
    #[serde(default)]
    pub timeout_probability: f64,
    /// How long a timed-out call hangs (≥ 1 ms when timeouts are on).
    #[serde(rename = "call_timeout_us", with = "crate::util::duration_us", default)]
    pub call_timeout: Duration,
    /// Chance an append is applied but the caller gets a retryable error.
    #[serde(default)]
    pub ambiguous_probability: f64,
    /// Chance the client crashes between its read and its append.
    #[serde(default)]
    pub crash_probability: f64,
}

/// What was wrong with a fault plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultPlanError {
    /// A probability outside `0..=1`.
    #[error("fault probability {name} = {value} must be between 0.0 and 1.0")]
    Probability {
        /// Which one.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A duration below the clock's 1 ms resolution while its fault is on.
    #[error("{name} must be at least 1000 µs when its fault is enabled (the simulated clock sleeps at least 1 ms)")]
    Duration {
        /// Which one.
        name: &'static str,
    },
}

impl FaultPlan {
    /// True when no fault can happen.
    pub fn is_none(&self) -> bool {
        self.probabilities().iter().all(|(_, p)| *p == 0.0)
    }

    fn probabilities(&self) -> [(&'static str, f64); 5] {
        [
            ("spike_probability", self.spike_probability),
            ("unavailable_probability", self.unavailable_probability),
            ("timeout_probability", self.timeout_probability),
            ("ambiguous_probability", self.ambiguous_probability),
            ("crash_probability", self.crash_probability),
        ]
    }

    /// Checks probabilities and durations.
    ///
    /// # Errors
    /// [`FaultPlanError`].
    pub fn validate(&self) -> Result<(), FaultPlanError> {
        for (name, value) in self.probabilities() {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultPlanError::Probability { name, value });
            }
        }
        let min = RuntimeSleeper::MIN_SLEEP;
        if self.spike_probability > 0.0 && self.spike_max < min {
            return Err(FaultPlanError::Duration { name: "spike_max_us" });
        }
        if self.timeout_probability > 0.0 && self.call_timeout < min {
            return Err(FaultPlanError::Duration { name: "call_timeout_us" });
        }
        Ok(())
    }
}

/// The kind of an injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Extra latency.
    Spike,
    /// Failed before doing anything.
    Unavailable,
    /// Timed out; nothing applied.
    TimeoutBefore,
    /// Timed out after the append was applied.
    TimeoutAfter,
    /// Applied, but the caller got an error.
    Ambiguous,
    /// The client crashed before appending.
    Crash,
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultRecord {
    /// Id, as in the error message's `[fault #id]`.
    pub id: u64,
    /// Virtual time of the fault.
    pub at: Duration,
    /// What kind.
    pub kind: FaultKind,
    /// Positions written despite the error (`None`: nothing was written).
    pub applied: Option<(Position, Position)>,
    /// The command (index into [`History::commands`](crate::sim::History::commands))
    /// whose store call got the fault.
    #[serde(default)]
    pub command: usize,
    /// The index of that call in the command's [`CommandRecord::calls`](crate::sim::CommandRecord::calls).
    #[serde(default)]
    pub call: usize,
}

/// Which kind of store call a [`ScriptedFault`] hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// A read.
    Read,
    /// An append.
    Append,
}

/// A store call, addressed by the command that makes it, the attempt (as
/// [`derive`](super::derive) numbers attempts: a new one starts after an
/// append, a failed call, or a wait), the kind of call and, for a handler
/// that reads more than once per attempt, which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallTarget {
    /// The command's index (setup commands first, as in [`History::commands`](crate::sim::History::commands)).
    pub command: usize,
    /// The attempt, from 1.
    pub attempt: u32,
    /// Read or append.
    pub kind: CallKind,
    /// The `nth` call of that kind in the attempt, from 1.
    #[serde(default = "one")]
    pub nth: u32,
}

fn one() -> u32 {
    1
}

impl CallTarget {
    /// The first call of `kind` in `attempt` of `command`.
    pub fn new(command: usize, attempt: u32, kind: CallKind) -> Self {
        CallTarget { command, attempt, kind, nth: 1 }
    }
}

/// The fault a [`ScriptedFault`] injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum ScriptedKind {
    /// Extra latency before the call, which then runs normally.
    Spike {
        /// How long (≥ 1 ms).
        #[serde(rename = "duration_us", with = "crate::util::duration_us")]
        duration: Duration,
    },
    /// [`StoreError::Unavailable`](crate::store::StoreError::Unavailable) before doing anything.
    Unavailable {
        /// Whether the error says a retry may succeed.
        retryable: bool,
    },
    /// The call hangs for `after`, then fails with a timeout; an append is
    /// applied first when `applied`.
    Timeout {
        /// The append was applied before the timeout (appends only).
        applied: bool,
        /// How long the call hangs (≥ 1 ms).
        #[serde(rename = "after_us", with = "crate::util::duration_us")]
        after: Duration,
    },
    /// The append is applied, the caller gets a retryable error (appends only).
    Ambiguous,
    /// The client crashes between its read and this append (appends only).
    Crash,
}

/// A fault aimed at one store call, injected whatever the seed (in
/// addition to the plan's random faults, which it replaces for that call).
///
/// ```
/// use dcb_sim::sim::{CallKind, CallTarget, ScriptedFault, ScriptedKind};
///
/// // An ambiguous commit on the second append of command #3.
/// let f = ScriptedFault { at: CallTarget::new(3, 2, CallKind::Append), fault: ScriptedKind::Ambiguous };
/// assert!(f.validate().is_ok());
/// let bad = ScriptedFault { at: CallTarget::new(3, 1, CallKind::Read), fault: ScriptedKind::Crash };
/// assert!(bad.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScriptedFault {
    /// The call it hits.
    pub at: CallTarget,
    /// What happens to it.
    #[serde(flatten)]
    pub fault: ScriptedKind,
}

/// What was wrong with a scripted fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptedFaultError {
    /// Attempts and `nth` count from 1.
    #[error("scripted fault on command #{command}: attempt and nth count from 1 (got attempt {attempt}, nth {nth})")]
    ZeroIndex {
        /// The command.
        command: usize,
        /// The attempt given.
        attempt: u32,
        /// The nth given.
        nth: u32,
    },
    /// A fault that only an append can have, aimed at a read.
    #[error("scripted fault on command #{command}: {fault} only happens to an append; aim it at `kind: append`")]
    AppendOnly {
        /// The command.
        command: usize,
        /// The fault.
        fault: &'static str,
    },
    /// A duration below the clock's 1 ms resolution.
    #[error("scripted fault on command #{command}: its duration must be at least 1000 µs (the simulated clock sleeps at least 1 ms)")]
    Duration {
        /// The command.
        command: usize,
    },
}

impl ScriptedFault {
    /// Checks the target and the fault fit together.
    ///
    /// # Errors
    /// [`ScriptedFaultError`].
    pub fn validate(&self) -> Result<(), ScriptedFaultError> {
        let (command, t) = (self.at.command, self.at);
        if t.attempt == 0 || t.nth == 0 {
            return Err(ScriptedFaultError::ZeroIndex { command, attempt: t.attempt, nth: t.nth });
        }
        let append_only = match self.fault {
            ScriptedKind::Timeout { applied: true, .. } => Some("a timeout after the write"),
            ScriptedKind::Ambiguous => Some("an ambiguous commit"),
            ScriptedKind::Crash => Some("a crash between read and append"),
            _ => None,
        };
        if let (Some(fault), CallKind::Read) = (append_only, t.kind) {
            return Err(ScriptedFaultError::AppendOnly { command, fault });
        }
        match self.fault {
            ScriptedKind::Spike { duration: d } | ScriptedKind::Timeout { after: d, .. } if d < RuntimeSleeper::MIN_SLEEP => Err(ScriptedFaultError::Duration { command }),
            _ => Ok(()),
        }
    }
}

impl FaultRecord {
    /// The tag injected error messages start with.
    pub fn tag(id: u64) -> String {
        format!("[fault #{id}]")
    }
}

