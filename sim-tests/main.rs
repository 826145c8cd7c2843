//! The simulation tests of dcb-sim: one integration-test binary, `sim`,
//! with one module per file of `sim-tests/` (issue 24: one binary links the
//! crate once, so a change in `src/` rebuilds one test binary, not twenty).
//!
//! Run them all with `cargo test --release --test sim`, one file's with its
//! module path as the filter, e.g. `cargo test --release --test sim --
//! planted::`. Each module's docs say what it covers.
//!
//! Every module shares this process with the others (tests run in parallel
//! threads): a test must not change process-wide state (environment
//! variables, the current directory, the replay program, a global metrics
//! recorder) without a lock every other reader of that state takes too.

#[cfg(not(madsim))]
compile_error!("sim-tests need --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

mod support;

#[cfg(feature = "cli")]
mod cli;
mod coverage;
mod csharp_scenarios;
mod determinism;
#[cfg(feature = "postgres")]
mod engines_postgres;
#[cfg(feature = "sqlite")]
mod engines_sim;
#[cfg(feature = "sqlite")]
mod engines_sqlite;
mod enrollment_sim;
mod faults;
mod guided;
#[cfg(feature = "cli")]
mod hotkey;
mod library_domain;
mod library_sim;
mod open_runner;
#[cfg(feature = "postgres")]
mod pg_nemesis;
mod planted;
mod realtime_check;
#[cfg(feature = "postgres")]
mod realtime_postgres;
mod reexecution;
mod regressions;
mod retry_policy;
mod schedulers;
mod store_conformance;
#[cfg(all(feature = "sqlite", feature = "postgres"))]
mod stress_engines;
mod timeline;
mod tune;
mod user_probes;
