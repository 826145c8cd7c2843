//! [`WithStore`]: any workload over another store — your adapter, a
//! durable engine, a broken wrapper — without writing a second workload.

use rand_chacha::ChaCha8Rng;

use super::history::History;
use super::scenario::Scenario;
use super::violation::Violation;
use super::workload::{Cmd, Workload};
use crate::plant::Plant;
use crate::store::{Event, EventStore, StoreError};

/// `W` with its store replaced by what `factory` opens for each run; the
/// handler, generator, plants and invariants stay `W`'s. Build it with
/// [`WithStoreExt::with_store`].
///
/// ```
/// use dcb_sim::domain::enrollment::EnrollmentWorkload;
/// use dcb_sim::sim::{WithStoreExt, Workload, run};
/// use dcb_sim::store::MemoryStore;
///
/// // Your adapter goes where `MemoryStore::new()` is.
/// let w = EnrollmentWorkload::default().with_store(|_scenario| Ok(MemoryStore::new()));
/// let scenario = w.generate(&mut dcb_sim::rng::seeded(3));
/// assert!(run(&w, &scenario, 3).violations.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct WithStore<W, F> {
    inner: W,
    factory: F,
}

/// [`WithStore`] for every workload.
pub trait WithStoreExt: Workload + Sized {
    /// This workload over the stores `factory` opens (one per run, called
    /// inside the run's runtime).
    fn with_store<S, F>(self, factory: F) -> WithStore<Self, F>
    where
        S: EventStore + 'static,
        F: Fn(&Scenario<Cmd<Self>>) -> Result<S, StoreError> + Send + Sync,
    {
        WithStore { inner: self, factory }
    }
}

impl<W: Workload> WithStoreExt for W {}

impl<W, S, F> Workload for WithStore<W, F>
where
    W: Workload,
    S: EventStore + 'static,
    F: Fn(&Scenario<Cmd<W>>) -> Result<S, StoreError> + Send + Sync,
{
    type Command = Cmd<W>;
    type Store = S;
    type Handler = W::Handler;

    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn store(&self, scenario: &Scenario<Cmd<W>>) -> Result<S, StoreError> {
        (self.factory)(scenario)
    }
    fn handler(&self, scenario: &Scenario<Cmd<W>>) -> W::Handler {
        self.inner.handler(scenario)
    }
    fn plants(&self) -> &[Plant] {
        self.inner.plants()
    }
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Cmd<W>> {
        self.inner.generate(rng)
    }
    fn check(&self, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>, out: &mut Vec<Violation>) {
        self.inner.check(scenario, history, out);
    }
    fn same_event(&self, in_run: &Event, alone: &Event) -> bool {
        self.inner.same_event(in_run, alone)
    }
    fn policy(&self) -> Option<crate::retry::RetryPolicy> {
        self.inner.policy()
    }
    fn probes(&self, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>, hit: &mut dyn FnMut(&str)) {
        self.inner.probes(scenario, history, hit);
    }
    fn required_probes(&self) -> Vec<&'static str> {
        self.inner.required_probes()
    }
}
