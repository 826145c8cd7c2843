//! Invariant checkers: one file per invariant. Each module's doc says what
//! it verifies and what it does not.
//!
//! [`all`] runs the generic ones (any workload); the domain ones are called
//! by their workloads.

pub mod attempts;
pub mod capacity;
pub mod delays;
pub mod double_enrollment;
pub mod library_cancelled_holds_none;
pub mod library_copy_lent_once;
pub mod library_reader_limit;
pub mod library_removed_not_lent;
pub mod library_returns_match;
pub mod log;
pub mod metrics;
pub mod retry_class;
pub mod sequence;
pub mod serializable;
pub mod soundness;
pub mod tier_limit;

use super::history::History;
use super::scenario::Scenario;
use super::violation::Violation;
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
    log::check(history, out);
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

/// Test support: runs a log checker on `events` written at positions 1, 2, 3, …
#[cfg(test)]
pub(crate) fn check_events(
    check: fn(&[crate::store::SequencedEvent], &mut Vec<Violation>),
    events: Vec<crate::domain::library::LibraryEvent>,
) -> Vec<Violation> {
    let log: Vec<_> = events.into_iter().enumerate().map(|(i, e)| crate::store::SequencedEvent::new(i as u64 + 1, e.to_event())).collect();
    let mut out = Vec::new();
    check(&log, &mut out);
    out
}
