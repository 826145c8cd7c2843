//! [`Boundary`]: the consistency boundary of a command, as DCB queries.
//!
//! | command | boundary |
//! |---|---|
//! | `HoldSeat` | the seat's events OR the customer's events at that event |
//! | `MoveSeat` | both seats' events OR the customer's |
//! | `ReleaseSeat` | the seat's events (its holder is all that matters) |
//!
//! With a request id (idempotency key), the seat part also matches events
//! tagged with the request, so a retry after an ambiguous commit reads its
//! own write.

use dcb_sim::store::{InvalidInput, Query, QueryItem};

use crate::commands::SeatCommand;
use crate::events::{SEAT_TYPES, customer_tag, seat_tag};

/// A command's boundary, split into its seat part and its customer part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    seats: Query,
    customer: Option<Query>,
    full: Query,
}

impl Boundary {
    /// The boundary of `command`; `request_tag` (if any) is added to the
    /// seat part.
    ///
    /// # Errors
    /// [`InvalidInput`] when an id is not valid tag text.
    pub fn of(command: &SeatCommand, request_tag: Option<&str>) -> Result<Self, InvalidInput> {
        let event = command.event();
        let seat = |s: &str| QueryItem::new().types(SEAT_TYPES).tags([seat_tag(event, s)]);
        let mut seats = match command {
            SeatCommand::HoldSeat { seat: s, .. } | SeatCommand::ReleaseSeat { seat: s, .. } => vec![seat(s)],
            SeatCommand::MoveSeat { from, to, .. } => vec![seat(from), seat(to)],
        };
        seats.extend(request_tag.map(|t| QueryItem::new().tags([t])));
        let customer = match command {
            SeatCommand::HoldSeat { customer, .. } | SeatCommand::MoveSeat { customer, .. } => {
                Some(QueryItem::new().types(SEAT_TYPES).tags([customer_tag(event, customer)]))
            }
            SeatCommand::ReleaseSeat { .. } => None,
        };
        let full: Vec<QueryItem> = seats.iter().cloned().chain(customer.clone()).collect();
        Ok(Boundary {
            seats: Query::from_items(seats)?,
            customer: customer.map(Query::from_item).transpose()?,
            full: Query::from_items(full)?,
        })
    }

    /// The whole boundary: seat part OR customer part.
    pub fn full(&self) -> &Query {
        &self.full
    }

    /// The seat part alone.
    pub fn seats(&self) -> &Query {
        &self.seats
    }

    /// The customer part alone (`None` for a release).
    pub fn customer(&self) -> Option<&Query> {
        self.customer.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Booking, SeatEvent};

    #[test]
    fn hold_covers_seat_and_customer() {
        let b = Boundary::of(&SeatCommand::hold("e1", "s1", "c1"), None).expect("valid");
        let same_seat = SeatEvent::Held(Booking::new("e1", "s1", "c2")).to_event().expect("valid");
        let same_customer = SeatEvent::Held(Booking::new("e1", "s2", "c1")).to_event().expect("valid");
        let other = SeatEvent::Held(Booking::new("e1", "s2", "c2")).to_event().expect("valid");
        assert!(b.full().matches(&same_seat) && b.full().matches(&same_customer) && !b.full().matches(&other));
        assert!(b.seats().matches(&same_seat) && !b.seats().matches(&same_customer));
        assert!(b.customer().is_some_and(|c| c.matches(&same_customer) && !c.matches(&same_seat)));
    }

    #[test]
    fn move_covers_both_seats_release_only_its_seat() {
        let m = Boundary::of(&SeatCommand::move_seat("e1", "c1", "s1", "s2"), Some("request:7")).expect("valid");
        let to = SeatEvent::Held(Booking::new("e1", "s2", "c9")).to_event().expect("valid");
        assert!(m.seats().matches(&to));
        let r = Boundary::of(&SeatCommand::release("e1", "s1", "c1"), None).expect("valid");
        assert!(r.customer().is_none());
        assert!(Boundary::of(&SeatCommand::hold("e1", "s\u{7}1", "c1"), None).is_err());
    }
}
