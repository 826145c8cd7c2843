//! **customer-seat-limit**: no customer holds more than
//! [`MAX_SEATS_PER_EVENT`] seats of an event at any point of the log.
//!
//! Folds the final log in position order, keeping each customer's seats
//! per event: the `SeatHeld` that takes a customer above the limit is a
//! violation (the detail names its position, the customer and the seats).
//! A move's release comes before its hold in the same append, so a move
//! never counts as a third seat.
//!
//! Not verified: who holds a seat (see `seat-held-once`), that releases
//! come from the holder, or what the commands answered.

use std::collections::{BTreeMap, BTreeSet};

use dcb_sim::sim::Violation;
use dcb_sim::store::SequencedEvent;

use crate::decide::MAX_SEATS_PER_EVENT;
use crate::events::SeatEvent;

/// The invariant's name.
pub const NAME: &str = "customer-seat-limit";

/// Checks `log`.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut found = Vec::new();
    let mut seats: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (position, fact) in super::facts(NAME, log, out) {
        match fact {
            SeatEvent::Held(b) => {
                let held = seats.entry((b.event.clone(), b.customer.clone())).or_default();
                held.insert(b.seat);
                if held.len() > MAX_SEATS_PER_EVENT {
                    let list: Vec<&str> = held.iter().map(String::as_str).collect();
                    found.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: {} holds {} seats of {} ({}), above the limit of {MAX_SEATS_PER_EVENT}", b.customer, held.len(), b.event, list.join(", ")),
                    ));
                }
            }
            SeatEvent::Released(b) => {
                if let Some(held) = seats.get_mut(&(b.event, b.customer)) {
                    held.remove(&b.seat);
                }
            }
        }
    }
    out.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::log_of;
    use crate::events::Booking;

    fn held(s: &str, c: &str) -> SeatEvent {
        SeatEvent::Held(Booking::new("e1", s, c))
    }

    #[test]
    fn third_seat_is_reported_at_its_position() {
        let mut out = Vec::new();
        check(&log_of(&[held("s1", "c1"), held("s2", "c1"), held("s3", "c2"), held("s4", "c1")]), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(matches!(&out[0], Violation::Safety { invariant, detail, .. } if invariant == NAME && detail.starts_with("position 4: ")));
    }

    #[test]
    fn a_move_at_the_limit_is_fine() {
        let mut out = Vec::new();
        let moved = [SeatEvent::Released(Booking::new("e1", "s2", "c1")), held("s3", "c1")];
        let mut facts = vec![held("s1", "c1"), held("s2", "c1")];
        facts.extend(moved);
        check(&log_of(&facts), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
