//! [`Workload`]: how a domain — yours or a built-in one — plugs into the
//! simulator: its command type, a store factory, a handler, a scenario
//! generator and its own invariants.

use std::fmt::{Debug, Display};
use std::hash::Hash;

use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::history::History;
use super::scenario::Scenario;
use super::violation::Violation;
use std::borrow::Cow;

use crate::handler::Handler;
use crate::retry::RetryPolicy;
use crate::plant::Plant;
use crate::store::{Event, EventStore, StoreError};

/// The command type of a workload.
pub type Cmd<W> = <W as Workload>::Command;

/// The plants the harness applies to any workload: the store wrappers
/// (over any store) and the policy edit.
pub const HARNESS_PLANTS: [Plant; 3] = [Plant::NonAtomicStore, Plant::AfterEquality, Plant::IgnoreCap];

/// A domain under simulation.
///
/// The runner builds a fresh store ([`Workload::store`]) and handler
/// ([`Workload::handler`]) for every run, wraps the store in its harness
/// (latency, faults, recording), runs the scenario's commands on their
/// clients, and checks the generic invariants over the recorded store
/// calls, then yours ([`Workload::check`]).
pub trait Workload: Send + Sync {
    /// The domain's command type.
    type Command: Clone + Debug + Display + PartialEq + Eq + Hash + Send + Sync + Serialize + DeserializeOwned + 'static;
    /// Your store (adapter); a fresh one per run.
    type Store: EventStore + 'static;
    /// Your command handler.
    type Handler: Handler<Self::Command> + 'static;

    /// Short name used in reports and on the command line.
    fn name(&self) -> &'static str;

    /// A fresh, empty store for one run (called inside the run's runtime).
    ///
    /// # Errors
    /// When the store cannot be opened; the run ends with a harness error.
    fn store(&self, scenario: &Scenario<Self::Command>) -> Result<Self::Store, StoreError>;

    /// The handler for one run. `scenario.plant` names a planted bug; return
    /// the buggy variant for the handler-level plants you list in
    /// [`Workload::plants`].
    fn handler(&self, scenario: &Scenario<Self::Command>) -> Self::Handler;

    /// The planted bugs this workload can run: by default the ones the
    /// harness applies to any store and handler ([`HARNESS_PLANTS`]).
    fn plants(&self) -> &[Plant] {
        &HARNESS_PLANTS
    }

    /// A scenario drawn from `rng` (swarm: client count, capacities and ids
    /// from a small hot set are drawn too, so that conflicts happen).
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Self::Command>;

    /// Domain invariants over a finished run; push what breaks onto `out`.
    fn check(&self, scenario: &Scenario<Self::Command>, history: &History<Self::Command>, out: &mut Vec<Violation>);

    /// Whether [`Workload::store`] opens the engine [`Scenario::engine`]
    /// names (the built-in workloads do, through
    /// [`EngineStore`](crate::sim::EngineStore)). A workload with a store
    /// of its own leaves this `false`, and the runner refuses a scenario
    /// that asks for another engine than the default instead of silently
    /// running on the workload's store.
    fn follows_engine(&self) -> bool {
        false
    }

    /// Whether `alone`, an event the handler appended when the
    /// [`serializability`](crate::check::serializable) checker re-ran
    /// its command alone, is the same as `in_run`, the event it appended in
    /// the concurrent run. Equality by default; override it when your
    /// handler stamps events with wall time, random ids or anything else a
    /// re-run cannot reproduce (compare the rest).
    fn same_event(&self, in_run: &Event, alone: &Event) -> bool {
        in_run == alone
    }

    /// The retry policy your handler follows, when it runs a retry loop of
    /// its own instead of reading [`Ctx::policy`](crate::handler::Ctx::policy).
    ///
    /// The `attempts`, `delays` and `retry-classification` checkers judge
    /// every command by its scenario's `policy`, which [`Scenario::new`]
    /// sets to the C# policy (3 attempts, 0 / 50 / 100 ms). A handler that
    /// follows another one declares it here, once: every run then uses it,
    /// for generated and hand-written scenarios alike (and hands it to
    /// [`Ctx::policy`](crate::handler::Ctx::policy)). A scenario that sets
    /// any other policy than [`Scenario::new`]'s keeps its own.
    /// `None` (the default): the scenario's policy.
    ///
    /// ```
    /// # use dcb_sim::retry::{Jitter, RetryPolicy};
    /// # use std::time::Duration;
    /// // In `impl Workload for YourWorkload`:
    /// fn policy() -> Option<RetryPolicy> {
    ///     // your handler: 4 attempts, waits 20, 40, 80 ms
    ///     RetryPolicy::builder().max_attempts(4).base_delay(Duration::from_millis(20)).multiplier(2.0).jitter(Jitter::None).build().ok()
    /// }
    /// assert_eq!(policy().unwrap().max_attempts, 4);
    /// ```
    fn policy(&self) -> Option<RetryPolicy> {
        None
    }

    /// Your coverage probes over a finished run: call `hit` with a probe's
    /// name each time something your tests must reach happened (e.g.
    /// "a course reached capacity"). Summed with the built-in ones
    /// ([`check::coverage`](crate::check::coverage)) over an exploration;
    /// none by default.
    fn probes(&self, scenario: &Scenario<Self::Command>, history: &History<Self::Command>, hit: &mut dyn FnMut(&str)) {
        let _ = (scenario, history, hit);
    }

    /// The probes a run of this workload must reach: a
    /// [`Check`](crate::explore::Check) (and
    /// [`assert_no_violations`](crate::explore::assert_no_violations)) whose
    /// seeds never fire one of them fails, naming it, instead of passing
    /// vacuously. Built-in probe names are listed in
    /// [`check::coverage`](crate::check::coverage); yours come from
    /// [`Workload::probes`]. None by default.
    fn required_probes(&self) -> Vec<&'static str> {
        Vec::new()
    }
}

/// `scenario` with the policy `workload` declares ([`Workload::policy`]),
/// unless the scenario set one of its own (any other than
/// [`Scenario::new`]'s). Borrows when nothing changes.
pub(crate) fn with_declared_policy<'s, W: Workload>(workload: &W, scenario: &'s Scenario<Cmd<W>>) -> Cow<'s, Scenario<Cmd<W>>> {
    match workload.policy() {
        Some(declared) if declared != scenario.policy && scenario.policy == RetryPolicy::csharp() => {
            let mut own = scenario.clone();
            own.policy = declared;
            Cow::Owned(own)
        }
        _ => Cow::Borrowed(scenario),
    }
}
