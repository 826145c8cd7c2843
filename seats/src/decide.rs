//! [`decide`]: the business rules, as a pure function of the command and
//! the [`Holdings`] read from its consistency boundary.
//!
//! - a seat is held by at most one customer at a time;
//! - a customer holds at most [`MAX_SEATS_PER_EVENT`] seats of an event;
//! - only the holder releases a seat;
//! - a move needs the customer to hold `from` and `to` to be free.

use crate::commands::SeatCommand;
use crate::events::{Booking, SeatEvent};
use crate::state::Holdings;

/// The most seats one customer may hold at one event.
pub const MAX_SEATS_PER_EVENT: usize = 2;

/// Rejection: the seat is held by another customer.
pub const SEAT_TAKEN: &str = "Seat is taken.";
/// Rejection: the customer already holds this seat.
pub const ALREADY_HELD: &str = "Customer already holds this seat.";
/// Rejection: the customer is at [`MAX_SEATS_PER_EVENT`] (the number is
/// added in parentheses).
pub const SEAT_LIMIT: &str = "Customer reached the seat limit";
/// Rejection: release or move of a seat the customer does not hold.
pub const NOT_HOLDER: &str = "Seat is not held by this customer.";
/// Rejection: the move's target is held (by anyone).
pub const TARGET_TAKEN: &str = "Target seat is taken.";
/// Rejection: a move onto the same seat.
pub const SAME_SEAT: &str = "Cannot move a hold onto the same seat.";

/// What a command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Append these facts (in one append).
    Append(Vec<SeatEvent>),
    /// A business rule says no.
    Reject(String),
}

/// The decision for `command` given `holdings` (folded from its boundary).
pub fn decide(command: &SeatCommand, holdings: &Holdings) -> Decision {
    let reject = |reason: &str| Decision::Reject(reason.to_string());
    match command {
        SeatCommand::HoldSeat { event, seat, customer } => match holdings.holder(seat) {
            Some(h) if h == customer => reject(ALREADY_HELD),
            Some(_) => reject(SEAT_TAKEN),
            None if holdings.seats_of(customer) >= MAX_SEATS_PER_EVENT => {
                Decision::Reject(format!("{SEAT_LIMIT} ({MAX_SEATS_PER_EVENT} per event)."))
            }
            None => Decision::Append(vec![SeatEvent::Held(Booking::new(event, seat, customer))]),
        },
        SeatCommand::ReleaseSeat { event, seat, customer } => {
            if holdings.holder(seat) == Some(customer.as_str()) {
                Decision::Append(vec![SeatEvent::Released(Booking::new(event, seat, customer))])
            } else {
                reject(NOT_HOLDER)
            }
        }
        SeatCommand::MoveSeat { event, customer, from, to } => {
            if from == to {
                reject(SAME_SEAT)
            } else if holdings.holder(from) != Some(customer.as_str()) {
                reject(NOT_HOLDER)
            } else if holdings.holder(to).is_some() {
                reject(TARGET_TAKEN)
            } else {
                Decision::Append(vec![
                    SeatEvent::Released(Booking::new(event, from, customer)),
                    SeatEvent::Held(Booking::new(event, to, customer)),
                ])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(seat: &str, customer: &str) -> SeatEvent {
        SeatEvent::Held(Booking::new("e1", seat, customer))
    }

    #[test]
    fn hold_rules() {
        let h = Holdings::fold(&[held("s1", "c1"), held("s2", "c1")]);
        assert_eq!(decide(&SeatCommand::hold("e1", "s1", "c2"), &h), Decision::Reject(SEAT_TAKEN.into()));
        assert_eq!(decide(&SeatCommand::hold("e1", "s1", "c1"), &h), Decision::Reject(ALREADY_HELD.into()));
        assert!(matches!(decide(&SeatCommand::hold("e1", "s3", "c1"), &h), Decision::Reject(r) if r.starts_with(SEAT_LIMIT)));
        assert_eq!(decide(&SeatCommand::hold("e1", "s3", "c2"), &h), Decision::Append(vec![held("s3", "c2")]));
    }

    #[test]
    fn release_and_move_rules() {
        let h = Holdings::fold(&[held("s1", "c1"), held("s2", "c2")]);
        assert_eq!(decide(&SeatCommand::release("e1", "s1", "c2"), &h), Decision::Reject(NOT_HOLDER.into()));
        assert_eq!(decide(&SeatCommand::move_seat("e1", "c1", "s1", "s2"), &h), Decision::Reject(TARGET_TAKEN.into()));
        assert_eq!(decide(&SeatCommand::move_seat("e1", "c1", "s1", "s1"), &h), Decision::Reject(SAME_SEAT.into()));
        assert_eq!(
            decide(&SeatCommand::move_seat("e1", "c1", "s1", "s3"), &h),
            Decision::Append(vec![SeatEvent::Released(Booking::new("e1", "s1", "c1")), held("s3", "c1")])
        );
    }
}
