//! The hot-key workload: `N` clients each take one number from the same
//! DCB sequence ([`domain::sequence`](crate::domain::sequence)) at the same
//! moment, retrying conflicts until they succeed or a generous attempt
//! limit ends them. No business rule rejects anything, so contention alone
//! decides the outcome: the set-up of the AWS Architecture Blog's
//! "Exponential Backoff And Jitter" study (N clients, one optimistic write
//! each to one key, every attempt a read then a conditional write), on the
//! open runner with the decider shell and the memory engine.
//!
//! Every client starts at virtual time 0 with one command; store calls
//! take the study's latency ([`study_latency`]); the retry policy is one of
//! the study's four ([`RetryPolicy::study`], drawn per seed, replaced by
//! `dcb-sim tune`). Its own invariant is the [`sequence`](mod@crate::domain::sequence::check)
//! checker (numbers 1, 2, 3, … without repeat or gap, one per client, held
//! exactly by the clients whose command took effect), besides the generic
//! checks (serializability by re-execution among them).
//!
//! ```
//! use dcb_sim::domain::sequence::HotKeyWorkload;
//! use dcb_sim::sim::{Workload, run};
//! let w = HotKeyWorkload::with_clients(5);
//! let scenario = w.generate(&mut dcb_sim::rng::seeded(1));
//! let result = run(&w, &scenario, 1);
//! assert!(result.violations.is_empty(), "{:?}", result.violations);
//! assert_eq!(result.history.log.len(), 5); // every client took a number
//! ```

use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::check;
use crate::sim::{EngineStore, History, Latency, Scenario, Scheduled, ShellHandler, Violation, Workload};
use crate::domain::sequence::{SequenceDecider, TakeNumber};
use crate::plant::Plant;
use crate::retry::{Jitter, RetryPolicy};
use crate::store::StoreError;

/// The study's per-message delay, `|normal(10 ms, 2 ms)|`, as the uniform
/// range the harness draws from with the same mean and standard deviation:
/// 6.536–13.464 ms (mean 10 ms, sd 6.928/√12 = 2.0 ms) before a store call
/// takes effect (the request) and again after (the response), for reads and
/// appends alike. The normal distribution's tails (below 4 ms or above
/// 16 ms, 0.3 % of messages) are missing.
pub fn study_latency() -> Latency {
    let (min, max) = (Duration::from_micros(6_536), Duration::from_micros(13_464));
    Latency { read_min: min, read_max: max, append_min: min, append_max: max }
}

/// The plants this workload runs: the harness's (any store) and a stale
/// decision (a retry that reuses its first number). The other shell plants
/// cannot show here: the query has one item (a narrower condition is the
/// same condition) and nothing is ever rejected (nothing to retry wrongly).
const PLANTS: [Plant; 4] = [Plant::NonAtomicStore, Plant::AfterEquality, Plant::IgnoreCap, Plant::StaleDecision];

/// Knobs of the generated scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotKeyWorkload {
    /// Fewest clients.
    pub clients_min: u32,
    /// Most clients.
    pub clients_max: u32,
    /// Draw a fault plan per seed (see [`swarm_faults`](crate::sim::swarm_faults)).
    pub faults: bool,
}

impl Default for HotKeyWorkload {
    /// 2 to 20 clients, no faults.
    fn default() -> Self {
        HotKeyWorkload { clients_min: 2, clients_max: 20, faults: false }
    }
}

impl HotKeyWorkload {
    /// Exactly `n` clients (each takes one number).
    pub fn with_clients(n: u32) -> Self {
        HotKeyWorkload { clients_min: n, clients_max: n, faults: false }
    }

    /// The same workload with injected faults.
    pub fn with_faults(self) -> Self {
        HotKeyWorkload { faults: true, ..self }
    }
}

impl Workload for HotKeyWorkload {
    type Command = TakeNumber;
    type Store = EngineStore;
    type Handler = ShellHandler<SequenceDecider>;

    fn name(&self) -> &'static str {
        "hotkey"
    }

    /// With 3 clients or more: conflicts on the first and second attempt
    /// and a sequence shared by 3 commands; with faults,
    /// [`SWARM_FAULT_PROBES`](crate::sim::SWARM_FAULT_PROBES).
    fn required_probes(&self) -> Vec<&'static str> {
        let mut required = Vec::new();
        if self.clients_min >= 3 {
            required.extend(["conflict on attempt 1", "conflict on attempt 2", "boundary shared by 3+ commands"]);
        }
        if self.faults {
            required.extend(crate::sim::SWARM_FAULT_PROBES);
        }
        required
    }

    fn follows_engine(&self) -> bool {
        true
    }

    fn store(&self, scenario: &Scenario<TakeNumber>) -> Result<EngineStore, StoreError> {
        EngineStore::open(scenario.engine)
    }

    fn handler(&self, scenario: &Scenario<TakeNumber>) -> ShellHandler<SequenceDecider> {
        ShellHandler::new(SequenceDecider, scenario.plant)
    }

    fn plants(&self) -> &[Plant] {
        &PLANTS
    }

    /// `clients_min..=clients_max` clients (drawn), one command each, all
    /// at virtual time 0; [`study_latency`]; one of the four study
    /// policies, drawn.
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<TakeNumber> {
        let clients = rng.random_range(self.clients_min..=self.clients_max.max(self.clients_min));
        let commands = (0..clients).map(|client| Scheduled { client, start: Duration::ZERO, command: TakeNumber { client } }).collect();
        let jitter = [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated][rng.random_range(0..4)];
        let mut scenario = Scenario { policy: RetryPolicy::study(jitter), latency: study_latency(), ..Scenario::new(Vec::new(), commands) };
        if self.faults {
            crate::sim::swarm_faults(rng, &mut scenario);
        }
        scenario
    }

    fn check(&self, scenario: &Scenario<TakeNumber>, history: &History<TakeNumber>, out: &mut Vec<Violation>) {
        crate::check::decider(&SequenceDecider, scenario, history, out);
        check::check(history, out);
    }
}
