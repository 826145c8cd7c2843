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
//! # madsim::runtime::Runtime::new().block_on(async {
//! use dcb_sim::conformance;
//! use dcb_sim::store::MemoryStore;
//!
//! let report = conformance::check(|| async { MemoryStore::new() }).await;
//! println!("{report}"); // DCB conformance: 33 of 33 cases passed
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
//! # Concurrency: the race case
//!
//! [`cases::concurrent_conditional_appends_one_wins`] sends
//! [`cases::RACE_WRITERS`] (8) appends with the same condition at once and
//! requires exactly one to win. It runs them with a small join on the
//! calling task instead of spawning tasks: every append starts, and runs
//! to its first `.await` that is not ready, before any of them resumes.
//! This choice keeps the suite runtime-neutral (no spawner to pass, no
//! tokio or madsim dependency in the case: it runs unchanged in a madsim
//! simulation and in a tokio runtime) and deterministic under madsim, and
//! it is the worst case for the classic adapter bug: an adapter that
//! checks the condition with a read and then inserts, with an `.await` in
//! between, lets all 8 appends pass the check, every run. An engine on
//! real I/O (PostgreSQL) has all 8 transactions in flight on the server
//! at once. What a join cannot do is run code that blocks the thread
//! inside the store's future on two threads at once: test the thread
//! safety of such a store with real threads as well.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | [`cases`] | one `async fn <name><S: EventStore>(store: S) -> Result<(), CaseFailure>` per case |
//! | [`fixtures`] | event/query builders and the standard 8-event log the cases seed |
//! | [`Case`], [`CASES`] | the list: each case's name, rule and function |
//! | [`check`], [`check_cases`], [`check_in_madsim`] | running the cases, one fresh store each |
//! | [`ConformanceReport`], [`CaseResult`], [`CaseFailure`] | typed results |
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
mod report;
mod runner;
mod suite;

pub use report::{CaseFailure, CaseResult, ConformanceReport};
#[cfg(madsim)]
pub use runner::check_in_madsim;
pub use runner::{check, check_cases};
pub use erased::ErasedStore;
pub use suite::{CASES, Case};
