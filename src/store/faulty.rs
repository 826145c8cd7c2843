//! [`FaultyStore`]: injects storage faults around any [`EventStore`], every
//! decision drawn from a seeded RNG, every fault written to a journal.
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
//! Every injected error's message starts with `[fault #<id>]`, the id of
//! its [`FaultRecord`]; the simulator's checkers use the journal to know
//! which writes happened behind an error (appends stay atomic: an applied
//! append is applied whole).

use std::sync::Mutex;
use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::query::{AppendCondition, Query, ReadOptions};
use super::traits::EventStore;
use super::types::{Event, Position, SequencedEvent};
use crate::retry::{RuntimeSleeper, Sleeper};

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
}

impl FaultRecord {
    /// The tag injected error messages start with.
    pub fn tag(id: u64) -> String {
        format!("[fault #{id}]")
    }
}

/// Wraps a store and injects the faults of a [`FaultPlan`].
#[derive(Debug)]
pub struct FaultyStore<S> {
    inner: S,
    plan: FaultPlan,
    rng: Mutex<ChaCha8Rng>,
    journal: Mutex<Vec<FaultRecord>>,
    clock: RuntimeSleeper,
}

impl<S> FaultyStore<S> {
    /// Wraps `inner`; draws from `rng`. Must be created inside a runtime
    /// (its clock starts now).
    pub fn new(inner: S, plan: FaultPlan, rng: ChaCha8Rng) -> Self {
        FaultyStore { inner, plan, rng: Mutex::new(rng), journal: Mutex::new(Vec::new()), clock: RuntimeSleeper::new() }
    }

    /// The faults injected so far.
    pub fn journal(&self) -> Vec<FaultRecord> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn chance(&self, p: f64) -> bool {
        p > 0.0 && self.rng.lock().unwrap_or_else(|e| e.into_inner()).random_bool(p)
    }

    fn record(&self, kind: FaultKind, applied: Option<(Position, Position)>) -> String {
        let mut journal = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        let id = journal.len() as u64 + 1;
        journal.push(FaultRecord { id, at: self.clock.now(), kind, applied });
        FaultRecord::tag(id)
    }

    async fn maybe_spike(&self) {
        if self.chance(self.plan.spike_probability) {
            let max = self.plan.spike_max.as_nanos() as u64;
            let min = RuntimeSleeper::MIN_SLEEP.as_nanos() as u64;
            let d = Duration::from_nanos(self.rng.lock().unwrap_or_else(|e| e.into_inner()).random_range(min..=max.max(min)));
            self.record(FaultKind::Spike, None);
            madsim::time::sleep(d).await;
        }
    }

    fn unavailable(&self) -> StoreError {
        let tag = self.record(FaultKind::Unavailable, None);
        StoreError::Unavailable { retryable: self.plan.unavailable_retryable, reason: format!("{tag} store unavailable") }
    }
}

fn written(last: Position, n: usize) -> (Position, Position) {
    (last + 1 - n as u64, last)
}

impl<S: EventStore> EventStore for FaultyStore<S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        if self.plan.is_none() {
            return self.inner.read(query, options).await;
        }
        self.maybe_spike().await;
        if self.chance(self.plan.unavailable_probability) {
            return Err(self.unavailable());
        }
        if self.chance(self.plan.timeout_probability) {
            let tag = self.record(FaultKind::TimeoutBefore, None);
            madsim::time::sleep(self.plan.call_timeout).await;
            return Err(StoreError::Timeout(format!("{tag} read timed out after {:?}", self.plan.call_timeout)));
        }
        self.inner.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        if self.plan.is_none() {
            return self.inner.append(events, condition).await;
        }
        self.maybe_spike().await;
        if self.chance(self.plan.crash_probability) {
            let tag = self.record(FaultKind::Crash, None);
            return Err(StoreError::Canceled(format!("{tag} client crashed between read and append")));
        }
        if self.chance(self.plan.unavailable_probability) {
            return Err(self.unavailable());
        }
        let n = events.len();
        if self.chance(self.plan.timeout_probability) {
            let apply = self.chance(0.5);
            let applied = if apply { self.inner.append(events, condition).await.ok().map(|last| written(last, n)) } else { None };
            let kind = if applied.is_some() { FaultKind::TimeoutAfter } else { FaultKind::TimeoutBefore };
            let tag = self.record(kind, applied);
            madsim::time::sleep(self.plan.call_timeout).await;
            return Err(StoreError::Timeout(format!("{tag} append timed out after {:?}", self.plan.call_timeout)));
        }
        if self.chance(self.plan.ambiguous_probability) {
            let applied = self.inner.append(events, condition).await.ok().map(|last| written(last, n));
            let tag = self.record(FaultKind::Ambiguous, applied);
            return Err(StoreError::Unavailable { retryable: true, reason: format!("{tag} connection lost after commit (outcome unknown)") });
        }
        self.inner.append(events, condition).await
    }
}
