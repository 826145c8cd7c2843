//! The simulator: many concurrent command handlers against one store, on
//! madsim's virtual time, with seeded scheduling and simulated latency on
//! every store call; invariants checked over the recorded [`History`]; every
//! failure reported with the seed (and scenario) that replays it exactly.
//!
//! The simulator is generic: a domain plugs in through [`Workload`]
//! (a [`Decider`](crate::handler::Decider), a seeded scenario generator and
//! its own invariant checks). The generic checks (attempt counts, delays,
//! retry classification, success ⇔ events in the log, serializability) run
//! for every workload.
//!
//! ```
//! use dcb_sim::handler::{Decider, Decision};
//! use dcb_sim::sim::{run, Scenario, Scheduled, Violation, Workload, History};
//! use dcb_sim::store::{Event, Query, QueryItem, SequencedEvent};
//! use rand_chacha::ChaCha8Rng;
//!
//! /// Your own handler: claim a username at most once.
//! #[derive(Clone)]
//! struct Usernames;
//! impl Decider for Usernames {
//!     type Command = String;
//!     fn command_type(&self, _: &String) -> &'static str { "ClaimUsername" }
//!     fn query(&self, name: &String) -> Query {
//!         Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([format!("username:{name}")])).unwrap()
//!     }
//!     fn decide(&self, name: &String, events: &[SequencedEvent]) -> Decision {
//!         if events.is_empty() {
//!             Decision::Append(vec![Event::new("UsernameClaimed", [format!("username:{name}")], "").unwrap()])
//!         } else {
//!             Decision::Reject { reason: "Username is taken.".into(), events: vec![] }
//!         }
//!     }
//! }
//!
//! /// Your workload: who claims what, and your invariant.
//! struct Claims;
//! impl Workload for Claims {
//!     type Decider = Usernames;
//!     fn name(&self) -> &'static str { "claims" }
//!     fn decider(&self) -> Usernames { Usernames }
//!     fn generate(&self, _rng: &mut ChaCha8Rng) -> Scenario<String> {
//!         let commands = (0..4).map(|c| Scheduled::at_ms(c, 0, "ada".to_string())).collect();
//!         Scenario::new(vec![], commands)
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

mod calls;
pub mod check;
mod config;
pub mod derive;
mod determinism;
mod engine_store;
pub mod enrollment;
pub mod library;
mod explore;
mod faults;
mod harness;
mod history;
pub mod html;
pub mod metrics;
pub mod plants;
mod regression;
mod report;
mod runner;
mod scenario;
mod shell_handler;
mod shrink;
mod swarm;
mod timeline;
pub mod tune;
mod violation;
mod workload;

pub use calls::{AppendResult, CallOp, ReadResult, StoreCall, covered};
pub use config::SimConfig;
pub use engine_store::EngineStore;
pub use faults::{FaultKind, FaultPlan, FaultPlanError, FaultRecord};
pub use harness::{CommandStore, Harness};
pub use shell_handler::ShellHandler;
pub use determinism::{Divergence, check_determinism, first_difference};
pub use explore::{CHUNK, ExploreOptions, SCENARIO_STREAM, Summary, assert_no_violations, explore, explore_parallel, shard_range};
pub use history::{CommandRecord, GhostWrite, History};
pub use regression::{Expect, Regression, RegressionError};
pub use report::{FailureReport, ShrunkReport};
pub use runner::{FAULT_STREAM, LATENCY_STREAM, RunResult, run, run_unchecked};
pub use scenario::{Engine, Latency, Scenario, ScenarioError, Scheduled};
pub use shrink::{Shrunk, shrink};
pub use swarm::swarm_faults;
pub use timeline::{timeline, timeline_with};
pub use tune::{PolicyStats, TuneError, TuneReport, parse_policies, tune};
pub use violation::Violation;
pub use workload::{Cmd, HARNESS_PLANTS, Workload};
