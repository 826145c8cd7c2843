//! [`Holdings`]: who holds which seat, folded from the events a handler read.

use std::collections::{BTreeMap, BTreeSet};

use crate::events::SeatEvent;

/// Who holds which seat of one event, and which seats each customer holds.
///
/// A handler folds only its consistency boundary (a seat's events, a
/// customer's events), so the answers are exact only for the seats and the
/// customer it read: [`Holdings::holder`] for a seat whose events were all
/// read, [`Holdings::seats_of`] for a customer whose events were all read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    holder: BTreeMap<String, String>,
    seats: BTreeMap<String, BTreeSet<String>>,
}

impl Holdings {
    /// The holdings after `events`, in order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a SeatEvent>) -> Self {
        let mut h = Holdings::default();
        for e in events {
            h.apply(e);
        }
        h
    }

    /// Applies one fact. A release by someone other than the holder leaves
    /// the seat's holder as it is.
    pub fn apply(&mut self, event: &SeatEvent) {
        match event {
            SeatEvent::Held(b) => {
                self.holder.insert(b.seat.clone(), b.customer.clone());
                self.seats.entry(b.customer.clone()).or_default().insert(b.seat.clone());
            }
            SeatEvent::Released(b) => {
                if self.holder.get(&b.seat) == Some(&b.customer) {
                    self.holder.remove(&b.seat);
                }
                if let Some(seats) = self.seats.get_mut(&b.customer) {
                    seats.remove(&b.seat);
                }
            }
        }
    }

    /// The customer holding `seat`, if any.
    pub fn holder(&self, seat: &str) -> Option<&str> {
        self.holder.get(seat).map(String::as_str)
    }

    /// How many seats `customer` holds.
    pub fn seats_of(&self, customer: &str) -> usize {
        self.seats.get(customer).map_or(0, BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Booking;

    #[test]
    fn hold_release_and_foreign_release() {
        let b = |s: &str, c: &str| Booking::new("e1", s, c);
        let h = Holdings::fold(&[
            SeatEvent::Held(b("s1", "c1")),
            SeatEvent::Held(b("s2", "c1")),
            SeatEvent::Released(b("s1", "c2")),
            SeatEvent::Released(b("s2", "c1")),
        ]);
        assert_eq!(h.holder("s1"), Some("c1"));
        assert_eq!(h.holder("s2"), None);
        assert_eq!(h.seats_of("c1"), 1);
        assert_eq!(h.seats_of("c2"), 0);
    }
}
