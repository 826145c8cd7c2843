//! [`SeatCommand`]: what a customer asks of the seat reservations.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A request about seats of one event (a show, a concert).
///
/// Every field is an id (`e1`, `s3`, `c2`); ids end up in store tags, so
/// they must be printable text (no control characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeatCommand {
    /// `customer` holds `seat` of `event`.
    HoldSeat {
        /// The event (show).
        event: String,
        /// The seat.
        seat: String,
        /// The customer.
        customer: String,
    },
    /// `customer` gives `seat` of `event` back (only its holder may).
    ReleaseSeat {
        /// The event (show).
        event: String,
        /// The seat.
        seat: String,
        /// The customer.
        customer: String,
    },
    /// `customer` moves their hold of `event` from seat `from` to seat
    /// `to`, atomically (one append: a release and a hold).
    MoveSeat {
        /// The event (show).
        event: String,
        /// The customer.
        customer: String,
        /// The seat the customer holds now.
        from: String,
        /// The free seat they want instead.
        to: String,
    },
}

impl SeatCommand {
    /// A [`SeatCommand::HoldSeat`].
    pub fn hold(event: &str, seat: &str, customer: &str) -> Self {
        SeatCommand::HoldSeat { event: event.into(), seat: seat.into(), customer: customer.into() }
    }

    /// A [`SeatCommand::ReleaseSeat`].
    pub fn release(event: &str, seat: &str, customer: &str) -> Self {
        SeatCommand::ReleaseSeat { event: event.into(), seat: seat.into(), customer: customer.into() }
    }

    /// A [`SeatCommand::MoveSeat`].
    pub fn move_seat(event: &str, customer: &str, from: &str, to: &str) -> Self {
        SeatCommand::MoveSeat { event: event.into(), customer: customer.into(), from: from.into(), to: to.into() }
    }

    /// The command's name, e.g. `HoldSeat` (timelines and metrics).
    pub fn name(&self) -> &'static str {
        match self {
            SeatCommand::HoldSeat { .. } => "HoldSeat",
            SeatCommand::ReleaseSeat { .. } => "ReleaseSeat",
            SeatCommand::MoveSeat { .. } => "MoveSeat",
        }
    }

    /// The event (show) the command is about.
    pub fn event(&self) -> &str {
        match self {
            SeatCommand::HoldSeat { event, .. } | SeatCommand::ReleaseSeat { event, .. } | SeatCommand::MoveSeat { event, .. } => event,
        }
    }

    /// The customer who asks.
    pub fn customer(&self) -> &str {
        match self {
            SeatCommand::HoldSeat { customer, .. } | SeatCommand::ReleaseSeat { customer, .. } | SeatCommand::MoveSeat { customer, .. } => customer,
        }
    }
}

impl fmt::Display for SeatCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeatCommand::HoldSeat { event, seat, customer } => write!(f, "{customer} holds {event}/{seat}"),
            SeatCommand::ReleaseSeat { event, seat, customer } => write!(f, "{customer} releases {event}/{seat}"),
            SeatCommand::MoveSeat { event, customer, from, to } => write!(f, "{customer} moves {event}/{from} -> {to}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_short_text() {
        assert_eq!(SeatCommand::hold("e1", "s2", "c3").to_string(), "c3 holds e1/s2");
        assert_eq!(SeatCommand::move_seat("e1", "c3", "s2", "s4").to_string(), "c3 moves e1/s2 -> s4");
    }

    #[test]
    fn serde_round_trip() {
        let c = SeatCommand::release("e1", "s1", "c1");
        let json = serde_json::to_string(&c).expect("serializes");
        assert_eq!(serde_json::from_str::<SeatCommand>(&json).expect("parses"), c);
    }
}
