//! [`Scenario`]: everything one simulated run needs besides its seed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::plant::Plant;
use crate::retry::{PolicyError, RetryPolicy};
use super::faults::{FaultPlan, FaultPlanError, ScriptedFault, ScriptedFaultError};
use super::sched::Scheduler;

/// A command issued by `client` at virtual time `start` (after setup).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scheduled<C> {
    /// The client that runs it; a client runs its commands one at a time,
    /// in order of `start`.
    pub client: u32,
    /// Earliest start, measured from the end of setup.
    #[serde(rename = "start_us", with = "crate::util::duration_us")]
    pub start: Duration,
    /// The command.
    pub command: C,
}

impl<C> Scheduled<C> {
    /// A command of `client` starting at `start_ms` milliseconds.
    pub fn at_ms(client: u32, start_ms: u64, command: C) -> Self {
        Scheduled { client, start: Duration::from_millis(start_ms), command }
    }
}

/// Simulated latency of store calls: each call sleeps a uniform random
/// time in `min..=max` before it takes effect and another after it.
///
/// The simulated clock (like tokio's) sleeps at least 1 ms, so a range is
/// either all zero (no latency) or has `min >= 1 ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Latency {
    /// Shortest read.
    #[serde(rename = "read_min_us", with = "crate::util::duration_us")]
    pub read_min: Duration,
    /// Longest read.
    #[serde(rename = "read_max_us", with = "crate::util::duration_us")]
    pub read_max: Duration,
    /// Shortest append.
    #[serde(rename = "append_min_us", with = "crate::util::duration_us")]
    pub append_min: Duration,
    /// Longest append.
    #[serde(rename = "append_max_us", with = "crate::util::duration_us")]
    pub append_max: Duration,
}

impl Default for Latency {
    /// 1–3 ms before and after each read and append.
    fn default() -> Self {
        Latency {
            read_min: Duration::from_millis(1),
            read_max: Duration::from_millis(3),
            append_min: Duration::from_millis(1),
            append_max: Duration::from_millis(3),
        }
    }
}

impl Latency {
    /// No latency at all (store calls take effect at once).
    pub fn zero() -> Self {
        Latency { read_min: Duration::ZERO, read_max: Duration::ZERO, append_min: Duration::ZERO, append_max: Duration::ZERO }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The storage engine under a simulated run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// [`MemoryStore`](crate::store::MemoryStore), the reference model.
    #[default]
    Memory,
    /// [`SqliteStore`](crate::store::sqlite::SqliteStore) on an in-memory
    /// database per run (feature `sqlite`). It is synchronous, so the run
    /// stays deterministic; the simulation sees its query and condition
    /// semantics, not its locking, `SQLITE_BUSY`, fsync or crashes (the
    /// real-thread and crash tests in `sim-tests/engines_sqlite.rs` and
    /// `stress_engines.rs` cover those).
    Sqlite,
}

impl Engine {
    /// True for the default engine (kept out of scenario files).
    pub fn is_memory(&self) -> bool {
        *self == Engine::Memory
    }
}

/// What was wrong with a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The retry policy is invalid.
    #[error("invalid retry policy: {0}")]
    Policy(#[from] PolicyError),
    /// A latency range has min > max.
    #[error("latency {which}: min {min:?} is above max {max:?}; swap them")]
    LatencyOrder {
        /// `read` or `append`.
        which: &'static str,
        /// The minimum.
        min: Duration,
        /// The maximum.
        max: Duration,
    },
    /// A latency range reaches below the clock's 1 ms resolution.
    #[error("latency {which}: {min:?}..={max:?} reaches below 1 ms, which the simulated clock cannot sleep; use 0..=0 for no latency or a min of at least 1000 µs")]
    LatencyResolution {
        /// `read` or `append`.
        which: &'static str,
        /// The minimum.
        min: Duration,
        /// The maximum.
        max: Duration,
    },
    /// The fault plan is invalid.
    #[error("invalid fault plan: {0}")]
    Faults(#[from] FaultPlanError),
    /// A scripted fault is invalid.
    #[error("invalid scripted fault: {0}")]
    ScriptedFault(#[from] ScriptedFaultError),
    /// The engine was not compiled in.
    #[error("engine {0:?} is not available in this build; enable its cargo feature (e.g. --features sqlite)")]
    EngineUnavailable(Engine),
    /// The file could not be parsed.
    #[error("cannot parse scenario JSON: {0}; see `dcb-sim replay --help` for the format, or print one with `dcb-sim replay --seed 1 --print-scenario`")]
    Parse(String),
}

/// One simulated run's input: setup commands (run one by one before the
/// clients start, e.g. create courses and register students), concurrent
/// commands, the retry policy, store latency, injected faults, and an
/// optional planted bug.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario<C> {
    /// Run sequentially before any client starts.
    pub setup: Vec<C>,
    /// Run concurrently by their clients.
    pub commands: Vec<Scheduled<C>>,
    /// The retry policy every handler uses.
    pub policy: RetryPolicy,
    /// Store call latency.
    #[serde(default)]
    pub latency: Latency,
    /// Give each command a request id (idempotency key, see
    /// [`handler::request`](crate::handler::request)): its index. On by
    /// default; off, an ambiguous commit makes a retry reject or repeat its
    /// own write, which the checkers report.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub request_ids: bool,
    /// The storage engine (the in-memory model by default).
    #[serde(default, skip_serializing_if = "Engine::is_memory")]
    pub engine: Engine,
    /// Storage faults to inject (none by default).
    #[serde(default, skip_serializing_if = "FaultPlan::is_none")]
    pub faults: FaultPlan,
    /// Faults aimed at specific store calls, whatever the seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripted_faults: Vec<ScriptedFault>,
    /// A planted bug (negative control), or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<Plant>,
    /// Who orders the store steps (random latency by default; see
    /// [`sched`](super::sched)).
    #[serde(default, skip_serializing_if = "Scheduler::is_random")]
    pub scheduler: Scheduler,
}

impl<C> Scenario<C> {
    /// A scenario with the C# policy, default latency and no plant.
    pub fn new(setup: Vec<C>, commands: Vec<Scheduled<C>>) -> Self {
        Scenario { setup, commands, policy: RetryPolicy::csharp(), latency: Latency::default(), request_ids: true, engine: Engine::Memory, faults: FaultPlan::default(), scripted_faults: Vec::new(), plant: None, scheduler: Scheduler::Random }
    }

    /// Checks the policy and latency ranges.
    ///
    /// # Errors
    /// [`ScenarioError`].
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.policy.validate()?;
        self.faults.validate()?;
        for f in &self.scripted_faults {
            f.validate()?;
        }
        if self.engine == Engine::Sqlite && !cfg!(feature = "sqlite") {
            return Err(ScenarioError::EngineUnavailable(self.engine));
        }
        let l = &self.latency;
        for (which, min, max) in [("read", l.read_min, l.read_max), ("append", l.append_min, l.append_max)] {
            if min > max {
                return Err(ScenarioError::LatencyOrder { which, min, max });
            }
            if !max.is_zero() && min < crate::retry::RuntimeSleeper::MIN_SLEEP {
                return Err(ScenarioError::LatencyResolution { which, min, max });
            }
        }
        Ok(())
    }

    /// The request id of command `index` (setup first), if request ids are on.
    pub fn request_id(&self, index: usize) -> Option<String> {
        self.request_ids.then(|| index.to_string())
    }

    /// The number of distinct clients.
    pub fn clients(&self) -> usize {
        let mut ids: Vec<u32> = self.commands.iter().map(|c| c.client).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

impl<C: Serialize> Scenario<C> {
    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("scenarios serialize")
    }
}

impl<C: serde::de::DeserializeOwned> Scenario<C> {
    /// Parses and validates JSON.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] or a validation error.
    pub fn from_json(json: &str) -> Result<Self, ScenarioError> {
        let s: Self = serde_json::from_str(json).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }
}
