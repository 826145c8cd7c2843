//! # dcb-sim
//!
//! Deterministic simulation testing for event-sourced command handlers that
//! use **Dynamic Consistency Boundaries** ([DCB](https://dcb.events)) and
//! retry on concurrency conflicts. You bring your handlers and your event
//! store adapter; dcb-sim runs thousands of concurrent schedules of them on
//! [madsim](https://docs.rs/madsim)'s virtual time, checks every recorded
//! history, and turns each failure into a seed that replays it exactly.
//!
//! # Tutorial: your handler under the simulator
//!
//! **1. Write a handler** the way you would in production: plain async code
//! that reads a consistency boundary, decides, and appends under a condition,
//! with its own retry loop. It is generic over the store, so the simulator
//! can hand it a recording view of yours.
//!
//! ```
//! use dcb_sim::handler::{Ctx, Handler, Outcome};
//! use dcb_sim::retry::{Classify, Sleeper};
//! use dcb_sim::store::{AppendCondition, Event, EventStore, Query, QueryItem, ReadOptions, StoreError};
//!
//! /// Claim a username at most once.
//! pub struct Claim;
//!
//! impl Handler<String> for Claim {
//!     async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, name: &String) -> Outcome {
//!         let tag = format!("username:{name}");
//!         let query = Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([tag.as_str()])).unwrap();
//!         let attempts = ctx.policy().max_attempts;
//!         for attempt in 1..=attempts {
//!             if attempt > 1 {
//!                 ctx.clock().sleep(ctx.policy().base_delay * 2u32.pow(attempt - 2)).await;
//!             }
//!             let seen = match ctx.store().read(&query, ReadOptions::default()).await {
//!                 Ok(seen) => seen,
//!                 Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
//!             };
//!             if !seen.is_empty() {
//!                 return Outcome::Rejected { reason: "Username is taken.".into() };
//!             }
//!             let claimed = Event::new("UsernameClaimed", [tag.as_str()], "").unwrap();
//!             // The condition: nothing matching what we read, after what we read.
//!             let condition = AppendCondition::new(query.clone(), seen.last().map(|e| e.position));
//!             match ctx.store().append(vec![claimed], Some(condition)).await {
//!                 Ok(_) => return Outcome::Succeeded,
//!                 Err(StoreError::ConditionFailed { .. }) => continue, // someone was faster: retry
//!                 Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
//!             }
//!         }
//!         Outcome::Exhausted { attempts }
//!     }
//! }
//! ```
//!
//! **2. Describe a workload**: your command type, a fresh store per run (your
//! adapter; here the in-memory one), your handler, a seeded generator of
//! scenarios (who sends which command when), and your invariants. The
//! generic checkers — attempt bounds, delays against the scenario's retry
//! policy, retry classification, log consistency under faults, and **DCB
//! soundness** (no append missed an event its own read should have seen) —
//! run on every workload without any of your code.
//!
//! ```
//! # use dcb_sim::handler::{Ctx, Handler, Outcome};
//! # use dcb_sim::retry::{Classify, Sleeper};
//! # use dcb_sim::store::{AppendCondition, Event, EventStore, Query, QueryItem, ReadOptions};
//! #
//! # /// Claim a username at most once.
//! # pub struct Claim;
//! #
//! # impl Handler<String> for Claim {
//! #     async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, name: &String) -> Outcome {
//! #         let tag = format!("username:{name}");
//! #         let query = Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([tag.as_str()])).unwrap();
//! #         let attempts = ctx.policy().max_attempts;
//! #         for attempt in 1..=attempts {
//! #             if attempt > 1 {
//! #                 ctx.clock().sleep(ctx.policy().base_delay * 2u32.pow(attempt - 2)).await;
//! #             }
//! #             let seen = match ctx.store().read(&query, ReadOptions::default()).await {
//! #                 Ok(seen) => seen,
//! #                 Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
//! #             };
//! #             if !seen.is_empty() {
//! #                 return Outcome::Rejected { reason: "Username is taken.".into() };
//! #             }
//! #             let claimed = Event::new("UsernameClaimed", [tag.as_str()], "").unwrap();
//! #             // The condition: nothing matching what we read, after what we read.
//! #             let condition = AppendCondition::new(query.clone(), seen.last().map(|e| e.position));
//! #             match ctx.store().append(vec![claimed], Some(condition)).await {
//! #                 Ok(_) => return Outcome::Succeeded,
//! #                 Err(StoreError::ConditionFailed { .. }) => continue, // someone was faster: retry
//! #                 Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
//! #             }
//! #         }
//! #         Outcome::Exhausted { attempts }
//! #     }
//! # }
//! use dcb_sim::rand_chacha::ChaCha8Rng;
//! use dcb_sim::rand::RngExt;
//! use dcb_sim::sim::{History, Scenario, Scheduled, Violation, Workload};
//! use dcb_sim::store::{MemoryStore, StoreError};
//!
//! pub struct Claims;
//!
//! impl Workload for Claims {
//!     type Command = String;
//!     type Store = MemoryStore;     // your adapter goes here
//!     type Handler = Claim;
//!     fn name(&self) -> &'static str { "claims" }
//!     fn store(&self, _: &Scenario<String>) -> Result<MemoryStore, StoreError> { Ok(MemoryStore::new()) }
//!     fn handler(&self, _: &Scenario<String>) -> Claim { Claim }
//!     fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<String> {
//!         let names = ["ada", "bob"];
//!         let commands = (0..rng.random_range(2..=5))
//!             .map(|client| Scheduled::at_ms(client, rng.random_range(0..5), names[rng.random_range(0..2)].to_string()))
//!             .collect();
//!         Scenario::new(vec![], commands)
//!     }
//!     fn check(&self, _: &Scenario<String>, history: &History<String>, out: &mut Vec<Violation>) {
//!         let mut claimed = std::collections::BTreeSet::new();
//!         for e in &history.log {
//!             if !claimed.insert(e.event.tags.clone()) {
//!                 out.push(Violation::safety("unique-username", None, format!("position {}: claimed twice", e.position)));
//!             }
//!         }
//!     }
//! }
//! #
//! # // Step 3, run here as a doctest (in your crate: inside a #[test]):
//! # dcb_sim::explore::Check::new(&Claims).seeds(300).jobs(1).run();
//! ```
//!
//! **3. Test it** from your crate's tests (built with `--cfg madsim`; the
//! example above runs exactly this call as a doctest):
//!
//! ```ignore
//! #[test]
//! fn usernames_are_claimed_once() {
//!     dcb_sim::explore::Check::new(&Claims).seeds(5_000).run();
//! }
//! ```
//!
//! A passing check returns its [`Summary`](crate::explore::Summary), whose
//! text ends with the coverage table: what the schedules exercised, and
//! the first seed that reached each probe (here the built-in enrollment
//! workload over 2,000 seeds, a few rows):
//!
//! ```text
//!   coverage (probe, hits, share of schedules, first seed)
//!     boundary shared by 2+ commands                            1994   99.7%  seed 0
//!     conflict on attempt 2                                      620   21.5%  seed 1  (required)
//!     outcome exhausted                                           18    0.6%  seed 103  (required)
//!     …
//! ```
//!
//! Make a run that never races fail instead of passing: require what it
//! must reach, `Check::new(&Claims).require(["conflict on attempt 1"])`
//! (or once for the workload, in `Workload::required_probes`). A handler
//! adds probes of its own, named as you like:
//! `ctx.sometimes("the name was already taken", !seen.is_empty())` or
//! `ctx.reachable("claimed")` ([`Ctx::sometimes`](crate::handler::Ctx::sometimes));
//! they show in the same table and can be required the same way, and cost
//! nothing in production.
//!
//! **4. See a failure.** Break the handler — say, append with a condition on
//! a narrower query than the one it read — and the test fails with the
//! invariant, the minimal scenario the shrinker found, its timeline, and two
//! lines that replay it verbatim:
//!
//! ```text
//! failure 1 of 3:
//!   [dcb-soundness] seed 12: command #1: position 1: missed dependency: …
//!   minimal: 2 commands (from 4), 0 setup (from 0), 2 clients (from 4); seed 3
//!   | …timeline…
//!   replay:
//!     DCB_SEED=12 cargo test --release -p my-crate --test claims -- usernames_are_claimed_once --exact --include-ignored
//!     DCB_SCENARIO=/…/target/dcb-failures/usernames_are_claimed_once-claims-12-min.json cargo test --release -p my-crate --test claims -- usernames_are_claimed_once --exact --include-ignored
//! ```
//!
//! **5. Replay it** with either line: the same seed and scenario give the
//! same history, byte for byte, and print the timeline.
//!
//! The `seats/` crate in dcb-sim's repository is a complete example written
//! only against this public API: seat reservations with imperative handlers,
//! an own store adapter, and four concurrency bugs the simulator catches.
//!
//! # Map
//!
//! - [`store`]: DCB types, the [`EventStore`](store::EventStore) trait and
//!   the engines (memory, SQLite, PostgreSQL).
//! - [`retry`]: the retry policy, backoff and jitter, the engine, metrics.
//! - [`handler`]: the [`Handler`](handler::Handler) trait and its
//!   [`Ctx`](handler::Ctx), and the pure-decision shell ([`Decider`](handler::Decider)).
//! - `sim` (with `--cfg madsim`): the run's core: workloads, scenarios, the
//!   harness, the runner, faults, schedulers.
//! - `check`: the generic checkers and the coverage probes.
//! - `explore`: `Check`, explore, shrink, `Catch`, regression files, reports.
//! - `view`: text timelines and the HTML report. `tune`: the tuning lab.
//! - [`domain`]: the two built-in domains (course enrollment, library).

#[cfg(all(madsim, feature = "cli"))]
pub mod cli;
pub mod conformance;
pub mod domain;
pub mod handler;
pub mod plant;
pub mod prelude;
pub mod retry;
pub mod rng;
#[cfg(madsim)]
pub mod sim;
#[cfg(madsim)]
pub mod check;
#[cfg(madsim)]
pub mod explore;
#[cfg(madsim)]
pub mod view;
#[cfg(madsim)]
pub mod tune;
pub mod store;
pub(crate) mod util;

/// The `rand` version dcb-sim's API uses (`RngExt` for drawing in a
/// scenario generator), re-exported so your crate need not pin it.
pub use rand;
/// The `rand_chacha` version dcb-sim's API uses ([`ChaCha8Rng`](rand_chacha::ChaCha8Rng)
/// in [`Workload::generate`](crate::sim::Workload::generate) and [`Ctx::rng`](crate::handler::Ctx::rng)),
/// re-exported so your crate need not pin it.
pub use rand_chacha;
