//! What a test of your own handlers needs, in one import:
//!
//! ```
//! use dcb_sim::prelude::*;
//! ```
//!
//! The handler API (`Handler`, `Ctx`, `Outcome`), the store types
//! (`EventStore`, `Event`, `Query`, …, `MemoryStore`), the retry policy and
//! clock, the seeded RNG and its sampling methods, and — in a `--cfg madsim`
//! build — the simulator's entry points (`Workload`, `Scenario`, `Check`,
//! `Catch`, `run`, …).

pub use crate::handler::{Ctx, Handler, NoHooks, Outcome};
pub use crate::rand::RngExt;
pub use crate::rand_chacha::ChaCha8Rng;
pub use crate::retry::{Classify, ErrorKind, Jitter, RetryPolicy, RuntimeSleeper, Sleeper};
pub use crate::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, QueryItem, ReadOptions, SequencedEvent, StoreError, Tag};

#[cfg(madsim)]
pub use crate::explore::{Catch, Check};
#[cfg(madsim)]
pub use crate::sim::{History, Latency, RaceOptions, RunResult, Scenario, Scheduled, Scheduler, Violation, WithStoreExt, Workload, exhaustive, run};
