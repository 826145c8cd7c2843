//! The domain invariants, one file each, checked over a run's final log.
//! Each module's doc says what it verifies and what it does not.

pub mod customer_seat_limit;
pub mod seat_held_once;

use dcb_sim::sim::Violation;
use dcb_sim::store::{Position, SequencedEvent};

use crate::events::SeatEvent;

/// Runs every domain invariant over `log`.
pub fn all(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    seat_held_once::check(log, out);
    customer_seat_limit::check(log, out);
}

/// The seat facts of `log` with their positions; an event that does not
/// decode is reported as a violation of `invariant` (it cannot be checked).
fn facts<'a>(invariant: &'a str, log: &'a [SequencedEvent], out: &'a mut Vec<Violation>) -> impl Iterator<Item = (Position, SeatEvent)> + 'a {
    log.iter().filter_map(move |e| match SeatEvent::decode(&e.event) {
        Ok(fact) => Some((e.position, fact)),
        Err(err) => {
            out.push(Violation::safety(invariant, None, format!("position {}: cannot check this event: {err}", e.position)));
            None
        }
    })
}

#[cfg(test)]
fn log_of(facts: &[SeatEvent]) -> Vec<SequencedEvent> {
    facts.iter().enumerate().map(|(i, f)| SequencedEvent::new(i as u64 + 1, f.to_event().expect("valid ids"))).collect()
}
