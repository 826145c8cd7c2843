//! The simulator: many concurrent command handlers against one store, on
//! madsim's virtual time, with seeded scheduling and simulated latency on
//! every store call; invariants checked over the recorded [`History`]; every
//! failure reported with the seed (and scenario) that replays it exactly.
//!
//! The simulator is generic: a domain plugs in through [`Workload`] — any
//! [`Handler`](crate::handler::Handler) (imperative code with its own retry
//! loop, or the [`Decider`](crate::handler::Decider) shell), any
//! [`EventStore`](crate::store::EventStore) (a fresh one per run from the
//! workload's factory), a seeded scenario generator and its own invariant
//! checks. The runner wraps the store in its [`Harness`] (latency, faults,
//! recording of every call), derives attempts and delays from the recorded
//! calls ([`derive`](mod@derive)), and hands the [`History`] to the generic
//! checkers ([`crate::check`]: attempt counts, delays, retry classification,
//! success ⇔ events in the log, DCB soundness, serializability by
//! re-execution) and to the workload's own.
//!
//! This module is the run's core: scenario, workload, harness, calls,
//! derive, history, runner, real-time runner, faults, plants and the
//! schedulers ([`sched`]). What judges a run is in [`crate::check`]; what
//! runs many seeds and reports ([`Check`](crate::explore::Check),
//! [`Catch`](crate::explore::Catch), shrinking, regression files) in
//! [`crate::explore`]; views in [`crate::view`]; the tuning lab in
//! [`crate::tune`]; the built-in workloads beside their domains in
//! [`crate::domain`]. The one call from here up is the runner handing each
//! finished history to [`crate::check`].
//!
//! ```
//! use dcb_sim::handler::{Ctx, Handler, Outcome};
//! use dcb_sim::rand_chacha::ChaCha8Rng;
//! use dcb_sim::retry::{Classify, RetryPolicy};
//! use dcb_sim::sim::{run, History, Scenario, Scheduled, Violation, Workload};
//! use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, Query, QueryItem, ReadOptions, StoreError};
//!
//! /// Your own handler, imperative: claim a username at most once.
//! struct Claim;
//! impl Handler<String> for Claim {
//!     async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, name: &String) -> Outcome {
//!         let tag = format!("username:{name}");
//!         let query = Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([tag.as_str()])).unwrap();
//!         let seen = match ctx.store().read(&query, ReadOptions::default()).await {
//!             Ok(seen) => seen,
//!             Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
//!         };
//!         if !seen.is_empty() {
//!             return Outcome::Rejected { reason: "Username is taken.".into() };
//!         }
//!         let claimed = Event::new("UsernameClaimed", [tag.as_str()], "").unwrap();
//!         let condition = AppendCondition::new(query, seen.last().map(|e| e.position));
//!         match ctx.store().append(vec![claimed], Some(condition)).await {
//!             Ok(_) => Outcome::Succeeded,
//!             Err(StoreError::ConditionFailed { .. }) => Outcome::Exhausted { attempts: 1 },
//!             Err(e) => Outcome::Failed { error: e.kind(), message: e.to_string() },
//!         }
//!     }
//! }
//!
//! /// Your workload: your store, your handler, who claims what, your invariant.
//! struct Claims;
//! impl Workload for Claims {
//!     type Command = String;
//!     type Store = MemoryStore;
//!     type Handler = Claim;
//!     fn name(&self) -> &'static str { "claims" }
//!     fn store(&self, _: &Scenario<String>) -> Result<MemoryStore, StoreError> { Ok(MemoryStore::new()) }
//!     fn handler(&self, _: &Scenario<String>) -> Claim { Claim }
//!     fn generate(&self, _rng: &mut ChaCha8Rng) -> Scenario<String> {
//!         let commands = (0..4).map(|c| Scheduled::at_ms(c, 0, "ada".to_string())).collect();
//!         Scenario::new(vec![], commands)
//!     }
//!     /// This handler tries once: the attempts checker judges it by that.
//!     fn policy(&self) -> Option<RetryPolicy> {
//!         RetryPolicy::builder().max_attempts(1).build().ok()
//!     }
//!     fn check(&self, _: &Scenario<String>, history: &History<String>, out: &mut Vec<Violation>) {
//!         if history.log.len() > 1 {
//!             out.push(Violation::safety("unique-username", None, "username claimed twice"));
//!         }
//!     }
//! }
//!
//! let scenario = Claims.generate(&mut dcb_sim::rng::seeded(1));
//! for seed in 0..100 {
//!     let result = run(&Claims, &scenario, seed);
//!     assert!(result.violations.is_empty(), "{:?}", result.violations);
//!     assert_eq!(result.history.log.len(), 1);
//! }
//! ```

pub(crate) mod calls;
pub(crate) mod config;
pub mod derive;
pub(crate) mod engine_store;
pub(crate) mod faults;
pub(crate) mod harness;
pub(crate) mod history;
pub mod metrics;
#[cfg(feature = "postgres")]
pub mod nemesis;
pub mod plants;
#[cfg(feature = "tokio")]
pub(crate) mod realtime;
pub(crate) mod runner;
pub mod sched;
pub(crate) mod scenario;
pub(crate) mod shell_handler;
pub(crate) mod swarm;
pub(crate) mod user_probes;
pub(crate) mod violation;
pub(crate) mod with_store;
pub(crate) mod workload;

pub use calls::{AppendResult, CallOp, ReadResult, StoreCall, covered};
pub use config::SimConfig;
pub use engine_store::EngineStore;
pub use faults::{CallKind, CallTarget, FaultKind, FaultPlan, FaultPlanError, FaultRecord, ScriptedFault, ScriptedFaultError, ScriptedKind};
pub use harness::{CommandStore, Harness};
pub use shell_handler::ShellHandler;
pub use history::{CommandRecord, GhostWrite, History};
#[cfg(feature = "postgres")]
pub use nemesis::{NemesisError, PgCommitNemesis};
#[cfg(feature = "tokio")]
pub use realtime::run_realtime;
pub use runner::{FAULT_STREAM, LATENCY_STREAM, RunResult, run, run_unchecked};
pub use scenario::{Engine, Latency, Scenario, ScenarioError, Scheduled};
pub use sched::{Choice, ExhaustiveError, ExhaustiveFailure, ExhaustiveOptions, ExhaustiveReport, PCT_STREAM, Race, RaceOptions, RacesReport, Schedule, ScheduleError, ScheduleRecord, Scheduler, check_races, exhaustive, races};
pub use swarm::{SWARM_FAULT_PROBES, swarm_faults};
pub use user_probes::{UserProbe, collect_probes};
pub use violation::Violation;
pub use with_store::{WithStore, WithStoreExt};
pub use workload::{Cmd, HARNESS_PLANTS, Workload};
