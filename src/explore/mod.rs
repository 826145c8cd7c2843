//! Exploration: the tools that run a workload over many seeds and turn a
//! failure into something a person can act on.
//!
//! - [`Check`]: the one-call test (`Check::new(&workload).seeds(5_000).run()`),
//!   with regression files, race mode and replay lines;
//! - [`explore`] / [`explore_parallel`]: many seeds, a [`Summary`];
//! - [`shrink`]: the smallest scenario that still fails;
//! - [`Catch`]: proof that a check catches a planted bug;
//! - [`check_determinism`]: a seed run twice gives the same history;
//! - [`Regression`]: failure files that replay in every later run;
//! - [`FailureReport`]: what a failure prints (seed, scenario, replay lines);
//! - [`first_catch`]: seeds and CPU time to the first catch of a bug;
//! - `RealtimeCheck` (feature `tokio`): the workload on real OS threads
//!   over your real store, and `reusing`: one store reset between its runs.
//!
//! Everything here stands on the run's core ([`crate::sim`]) and the
//! checkers ([`crate::check`]); nothing below imports it.

pub mod catch;
pub(crate) mod coverage;
pub(crate) mod determinism;
pub(crate) mod explorer;
pub(crate) mod first_catch;
pub(crate) mod gate;
pub mod guided;
pub(crate) mod mutate;
#[cfg(feature = "tokio")]
pub(crate) mod realtime;
pub(crate) mod regression;
pub(crate) mod report;
#[cfg(feature = "tokio")]
pub(crate) mod reuse;
pub(crate) mod shrink;
pub(crate) mod test_target;
#[cfg(test)]
pub(crate) mod wrapped;

pub use catch::{Catch, CatchError, Caught};
pub use coverage::{Coverage, Probe};
pub use determinism::{Determinism, Divergence, check_determinism, check_determinism_with, first_difference};
pub use explorer::{CHUNK, ExhaustiveTally, ExploreOptions, FAULTS_STREAM, RaceTally, SCENARIO_STREAM, Summary, assert_no_violations, explore, explore_parallel, scenario_for, shard_range};
pub use first_catch::{FirstCatch, GENERIC_INVARIANTS, first_catch};
pub use gate::{Check, DEFAULT_RACE_EVERY, DEFAULT_RACES, SCENARIO_ENV, SCHEDULE_ENV, TestTarget};
#[cfg(feature = "tokio")]
pub use realtime::RealtimeCheck;
pub use regression::{Expect, Regression, RegressionError};
#[cfg(feature = "tokio")]
pub use reuse::reusing;
pub use report::{DEFAULT_REPLAY_PROGRAM, FailureReport, ShrunkReport, replay_program, set_replay_program};
pub use shrink::{Shrunk, shrink};
