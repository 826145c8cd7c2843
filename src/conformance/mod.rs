//! The DCB conformance suite, for **your** [`EventStore`]: one call runs
//! every case on a fresh store from your factory and reports which DCB
//! rule, if any, the store breaks and how.
//!
//! dcb-sim's own engines (memory, SQLite, PostgreSQL) are held to this
//! suite in `sim-tests/store_conformance.rs`; the rules are the ones
//! documented in [`store`](crate::store) (inclusive `from`, `limit:
//! Some(0)` = no events, OR of items / any-of types / all-of tags,
//! strictly-greater `after`, all-or-nothing appends, gap-free positions
//! from 1, typed [`InvalidInput`](crate::store::InvalidInput) errors
//! instead of panics).
//!
//! # Checking an adapter
//!
//! Pass a factory that returns a fresh, **empty** store (it is called once
//! per case) and await the report:
//!
//! ```
//! # let mut runtime = madsim::runtime::Runtime::new();
//! # runtime.set_allow_system_thread(true); // the race case may run on OS threads
//! # runtime.block_on(async {
//! use dcb_sim::conformance;
//! use dcb_sim::store::MemoryStore;
//!
//! let report = conformance::check(|| async { MemoryStore::new() }).await;
//! println!("{report}"); // DCB conformance: 33 of 33 cases passed (DCB specification: 22 of 22 passed; ...)
//! report.assert_all_passed(); // panics listing every failed case
//! # });
//! ```
//!
//! On a real database, run it inside the runtime your adapter needs, e.g.
//! a tokio test that gives every case its own schema or table:
//!
//! ```ignore
//! #[tokio::test(flavor = "multi_thread")]
//! async fn my_adapter_follows_the_dcb_rules() {
//!     dcb_sim::conformance::check(|| async { MyAdapter::connect_to_fresh_schema(URL).await.unwrap() })
//!         .await
//!         .assert_all_passed();
//! }
//! ```
//!
//! In a `--cfg madsim` build, a plain `#[test]` can use
//! [`check_in_madsim`], which blocks on a fresh madsim runtime (needed by
//! stores that sleep on madsim time).
//!
//! # What you get
//!
//! A [`ConformanceReport`]: one [`CaseResult`] per case of [`CASES`], in
//! order. A failed case carries a [`CaseFailure`] naming the check that
//! failed, what the rule requires, what the store returned, and where the
//! check is in `src/conformance/cases.rs`; its [`Case::rule`] says which
//! DCB rule that is. Cases return their first failed check instead of
//! panicking, and a panic inside the store (or the factory) is caught and
//! reported for that case, so **every case always runs**. To run some
//! cases only, use [`check_cases`] with [`Case::named`]; to run one on a
//! store you built, [`Case::run`].
//!
//! # Specification and profile
//!
//! Each case is labelled with its [`RuleSource`]: the DCB specification
//! (query matching, read options, conditions, atomicity, positions,
//! concurrency), which every DCB store must follow, or dcb-sim's input
//! profile (which input is rejected, and with which [`InvalidInput`](crate::store::InvalidInput):
//! empty append, empty tag or type, empty query or item, `from: 0`, name
//! length and characters), which the specification leaves open; the table
//! in [`store`](crate::store) gives the reason for each rule. The report
//! scores both ("DCB specification: 22 of 22 passed; dcb-sim input
//! profile: 0 of 11 passed"); [`Suite::waive_profile`] makes only the
//! specification count for pass/fail. An engine that rejects input by
//! rules of its own maps its error to
//! [`StoreError::Rejected`](crate::store::StoreError::Rejected).
//!
//! # Concurrency: the race case, on OS threads when needed
//!
//! [`cases::concurrent_conditional_appends_one_wins`] sends
//! [`cases::RACE_WRITERS`] (8) appends with the same condition at once and
//! requires exactly one to win. It first runs them with a small join on
//! the calling task: every append starts, and runs to its first `.await`
//! that is not ready, before any of them resumes. That keeps the case
//! runtime-neutral and deterministic under madsim, and it is the worst
//! case for an adapter that checks with a read and then inserts with an
//! `.await` in between; an engine on real I/O has all 8 transactions in
//! flight on the server at once.
//!
//! A store whose calls block the thread (an embedded engine, SQLite, a
//! mutex) completes each append in its first poll, so a join runs them one
//! at a time. The case measures this (how many calls were in flight at
//! once) and then runs the race on real OS threads:
//! [`race_on_threads`] ([`ThreadRace::default`]: 8 threads x 24 rounds,
//! started together, each thread driving its futures with [`ParkThread`]),
//! which fails on more than one winner in a round, and on a lost,
//! duplicated, misplaced or phantom write (every acknowledged append's
//! event must be in the log exactly once, at the position returned). If
//! no two calls overlapped there either, the case is reported as **not
//! exercised** ([`CaseFailure::NotExercised`]), which is not a pass. Call
//! [`race_on_threads`] yourself for more rounds, or with another executor
//! (a tokio runtime handle, feature `tokio`).
//!
//! # Surviving a crash
//!
//! A store that aborts the process (or a `panic = "abort"` build) ends the
//! run. Set [`PROGRESS_ENV`] (`DCB_CONFORMANCE_PROGRESS=<file>`) or
//! [`Suite::progress_file`]: before each case, `running: <case>` is
//! appended to the file and flushed, so the file names the case that
//! crashed. [`Suite::in_child_processes`] goes further: each case runs in
//! a child process (the test binary re-run with a filter), and a case that
//! kills its process is reported as [`CaseFailure::Crashed`] while the
//! others still run.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | [`cases`] | one `async fn <name><S: EventStore>(store: S) -> Result<(), CaseFailure>` per case |
//! | [`fixtures`] | event/query builders and the standard 8-event log the cases seed |
//! | [`Case`], [`CASES`] | the list: each case's name, rule and function |
//! | [`check`], [`check_cases`], [`check_in_madsim`], [`Suite`] | running the cases, one fresh store each; options (waive the profile, progress file, child processes) |
//! | [`race_on_threads`], [`ThreadRace`], [`RaceReport`] | the race on OS threads |
//! | [`ConformanceReport`], [`CaseResult`], [`CaseFailure`], [`RuleSource`] | typed results, scored per source |
//!
//! To add a case: write it in `cases.rs` and add `name: "rule"` to the
//! list in `suite.rs` (and to the per-engine test list in
//! `sim-tests/store_conformance.rs`, which checks that both lists agree).
//!
//! [`EventStore`]: crate::store::EventStore

#[macro_use]
mod ensure;

pub mod cases;
mod erased;
pub mod fixtures;
mod join;
mod race;
mod report;
mod runner;
mod suite;

pub use erased::ErasedStore;
pub use race::{BlockOn, MAX_BATCHES, ParkThread, RaceReport, RaceVerdict, ThreadRace, race_on_threads};
pub use report::{CaseFailure, CaseResult, ConformanceReport};
#[cfg(madsim)]
pub use runner::check_in_madsim;
pub use runner::{PROGRESS_ENV, Suite, check, check_cases};
pub use suite::{CASES, Case, RuleSource};
