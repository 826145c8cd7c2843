//! The library domain's own invariants, checked over a finished run's
//! [`History`](crate::sim::History) by [`LibraryWorkload`](super::LibraryWorkload).
//! One file per invariant; each module's doc says what it verifies.

pub mod cancelled_holds_none;
pub mod copy_lent_once;
pub mod reader_limit;
pub mod removed_not_lent;
pub mod returns_match;

#[cfg(test)]
use crate::sim::Violation;

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
