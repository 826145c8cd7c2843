//! [`Wrapped`]: the enrollment workload with a fault in the harness's
//! contract, for the unit tests of the tools around runs (determinism,
//! `Catch`'s replays, the shrinker's run count).

use std::sync::atomic::{AtomicU64, Ordering};

use rand_chacha::ChaCha8Rng;

use crate::domain::enrollment::EnrollmentWorkload;
use crate::plant::Plant;
use crate::sim::{History, Scenario, Violation, Workload};

/// What [`Wrapped`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Twist {
    /// Nothing: it only counts runs.
    None,
    /// Its check adds a violation on every other call: a failure that
    /// does not replay.
    FlakyCheck,
    /// Every other run's handler has `retry-business` planted: two runs of
    /// a seed can differ.
    DivergingHandler,
}

/// The default enrollment workload, twisted, counting its runs.
pub(crate) struct Wrapped {
    inner: EnrollmentWorkload,
    twist: Twist,
    /// Runs so far (stores opened).
    pub(crate) runs: AtomicU64,
    handlers: AtomicU64,
    checks: AtomicU64,
}

impl Wrapped {
    pub(crate) fn new(twist: Twist) -> Self {
        Wrapped { inner: EnrollmentWorkload::default(), twist, runs: AtomicU64::new(0), handlers: AtomicU64::new(0), checks: AtomicU64::new(0) }
    }

    /// Whether the `counter`-th call (from 0) is an odd one.
    fn odd(counter: &AtomicU64) -> bool {
        counter.fetch_add(1, Ordering::Relaxed) % 2 == 1
    }
}

impl Workload for Wrapped {
    type Command = <EnrollmentWorkload as Workload>::Command;
    type Store = <EnrollmentWorkload as Workload>::Store;
    type Handler = <EnrollmentWorkload as Workload>::Handler;
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn store(&self, s: &Scenario<Self::Command>) -> Result<Self::Store, crate::store::StoreError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        self.inner.store(s)
    }
    fn handler(&self, s: &Scenario<Self::Command>) -> Self::Handler {
        if self.twist == Twist::DivergingHandler && Self::odd(&self.handlers) {
            return self.inner.handler(&Scenario { plant: Some(Plant::RetryBusiness), ..s.clone() });
        }
        self.inner.handler(s)
    }
    fn plants(&self) -> &[Plant] {
        self.inner.plants()
    }
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Self::Command> {
        self.inner.generate(rng)
    }
    fn check(&self, s: &Scenario<Self::Command>, h: &History<Self::Command>, out: &mut Vec<Violation>) {
        self.inner.check(s, h, out);
        if self.twist == Twist::FlakyCheck && !Self::odd(&self.checks) {
            out.push(Violation::safety("flaky", None, "every other run"));
        }
    }
}
