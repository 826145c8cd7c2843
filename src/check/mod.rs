//! Invariant checkers: one file per invariant. Each module's doc says what
//! it verifies and what it does not.
//!
//! [`all`] runs the generic ones (any workload); the domain ones are called
//! by their workloads.

pub mod attempts;
pub mod coverage;
pub mod delays;
#[cfg(test)]
pub(crate) mod fixture;
mod hint;
pub mod log;
pub mod metrics;
pub mod retry_class;
pub mod serializable;
pub mod soundness;

use crate::sim::history::History;
use crate::sim::scenario::Scenario;
use crate::sim::violation::Violation;
use crate::handler::Decider;

/// Runs every generic checker: they need nothing but the recorded store
/// calls, the outcomes and the final log, so they hold for any handler.
pub fn all<C>(scenario: &Scenario<C>, history: &History<C>, out: &mut Vec<Violation>) {
    all_timed(scenario, history, delays::Timing::Virtual, out);
}

/// [`all`] for a history measured on `timing`'s clock (see
/// [`delays::Timing`]: on the real clock a delay's upper bound is not checked).
pub fn all_timed<C>(scenario: &Scenario<C>, history: &History<C>, timing: delays::Timing, out: &mut Vec<Violation>) {
    attempts::check(scenario, history, out);
    delays::check_timed(scenario, history, timing, out);
    retry_class::check(scenario, history, out);
    log::check_timed(history, timing, out);
    soundness::check(history, out);
}

/// The checker that needs a [`Decider`]: the retry metrics the decider
/// shell records. Workloads built on
/// [`DeciderHandler`](crate::handler::DeciderHandler) call this from their
/// [`Workload::check`](crate::sim::Workload::check). (Serializability, the
/// sequential re-run, runs on every workload: [`serializable`].)
pub fn decider<D: Decider>(decider: &D, _scenario: &Scenario<D::Command>, history: &History<D::Command>, out: &mut Vec<Violation>) {
    metrics::check(decider, history, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::Outcome;

    #[test]
    fn all_runs_the_generic_checkers_on_virtual_time() {
        // one no-op command that made no attempt at all: only `attempts` can see it
        let history = fixture::history(vec![fixture::command(0, Outcome::Idempotent, vec![])], 0);
        let mut out = Vec::new();
        all(&Scenario::<String>::new(vec![], vec![]), &history, &mut out);
        assert_eq!(out.iter().map(Violation::invariant).collect::<Vec<_>>(), [attempts::NAME], "{out:?}");
    }
}
