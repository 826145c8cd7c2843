//! **seat-held-once**: no seat of an event is held by two customers at once.
//!
//! Folds the final log in position order, keeping each seat's holder: a
//! `SeatHeld` for a seat that another customer holds at that point is a
//! violation (the detail names the position, the seat and both customers).
//! A release by its holder frees the seat.
//!
//! Not verified: that releases come from the holder (a release by someone
//! else is ignored, as the handler's fold does), that a customer does not
//! hold the same seat twice, and the per-customer limit (see
//! `customer-seat-limit`). Only the final log is looked at, not what the
//! commands answered.

use std::collections::BTreeMap;

use dcb_sim::sim::Violation;
use dcb_sim::store::SequencedEvent;

use crate::events::SeatEvent;

/// The invariant's name.
pub const NAME: &str = "seat-held-once";

/// Checks `log`.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut found = Vec::new();
    let mut holder: BTreeMap<(String, String), String> = BTreeMap::new();
    for (position, fact) in super::facts(NAME, log, out) {
        match fact {
            SeatEvent::Held(b) => {
                let key = (b.event.clone(), b.seat.clone());
                if let Some(current) = holder.get(&key).filter(|c| **c != b.customer) {
                    found.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: {} holds seat {}/{} while {current} holds it", b.customer, b.event, b.seat),
                    ));
                }
                holder.insert(key, b.customer);
            }
            SeatEvent::Released(b) => {
                let key = (b.event, b.seat);
                if holder.get(&key) == Some(&b.customer) {
                    holder.remove(&key);
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
    fn double_hold_is_reported_at_its_position() {
        let mut out = Vec::new();
        check(&log_of(&[held("s1", "c1"), held("s2", "c2"), held("s1", "c2")]), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(matches!(&out[0], Violation::Safety { invariant, detail, .. } if invariant == NAME && detail.starts_with("position 3: ")));
    }

    #[test]
    fn hold_after_release_is_fine() {
        let mut out = Vec::new();
        check(&log_of(&[held("s1", "c1"), SeatEvent::Released(Booking::new("e1", "s1", "c1")), held("s1", "c2")]), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
