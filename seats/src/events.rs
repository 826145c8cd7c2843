//! [`SeatEvent`]: the domain's facts and how they map to DCB events.
//!
//! | fact | DCB type | tags | data |
//! |---|---|---|---|
//! | a customer took a seat | `SeatHeld` | `seat:<event>/<seat>`, `customer:<event>/<customer>` | [`Booking`] as JSON |
//! | a customer gave it back | `SeatReleased` | the same | the same |
//!
//! A move writes a `SeatReleased` and a `SeatHeld` in one append.

use std::fmt;

use dcb_sim::store::{Event, InvalidInput};
use serde::{Deserialize, Serialize};

/// DCB type of [`SeatEvent::Held`].
pub const SEAT_HELD: &str = "SeatHeld";
/// DCB type of [`SeatEvent::Released`].
pub const SEAT_RELEASED: &str = "SeatReleased";
/// Both types, for query items.
pub const SEAT_TYPES: [&str; 2] = [SEAT_HELD, SEAT_RELEASED];

/// The tag of one seat of one event: `seat:<event>/<seat>`.
pub fn seat_tag(event: &str, seat: &str) -> String {
    format!("seat:{event}/{seat}")
}

/// The tag of one customer at one event: `customer:<event>/<customer>`.
pub fn customer_tag(event: &str, customer: &str) -> String {
    format!("customer:{event}/{customer}")
}

/// Who and where: the payload of every seat event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Booking {
    /// The event (show).
    pub event: String,
    /// The seat.
    pub seat: String,
    /// The customer.
    pub customer: String,
}

impl Booking {
    /// A booking.
    pub fn new(event: &str, seat: &str, customer: &str) -> Self {
        Booking { event: event.into(), seat: seat.into(), customer: customer.into() }
    }
}

/// A fact of the seat domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SeatEvent {
    /// The customer now holds the seat.
    Held(Booking),
    /// The customer no longer holds the seat.
    Released(Booking),
}

/// An event that cannot be encoded or decoded.
#[derive(Debug)]
pub enum CodecError {
    /// An id is not valid tag text.
    InvalidName(InvalidInput),
    /// The JSON payload could not be written or read.
    Payload(serde_json::Error),
    /// A DCB event of a type this domain does not know.
    UnknownType(String),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::InvalidName(e) => write!(f, "invalid id in a seat event: {e}"),
            CodecError::Payload(e) => write!(f, "seat event payload is not a booking: {e}"),
            CodecError::UnknownType(t) => write!(f, "unknown event type {t:?}; expected {SEAT_HELD} or {SEAT_RELEASED}"),
        }
    }
}

impl std::error::Error for CodecError {}

impl From<InvalidInput> for CodecError {
    fn from(e: InvalidInput) -> Self {
        CodecError::InvalidName(e)
    }
}

impl From<serde_json::Error> for CodecError {
    fn from(e: serde_json::Error) -> Self {
        CodecError::Payload(e)
    }
}

impl SeatEvent {
    /// The booking the fact is about.
    pub fn booking(&self) -> &Booking {
        match self {
            SeatEvent::Held(b) | SeatEvent::Released(b) => b,
        }
    }

    /// The DCB event type.
    pub fn event_type(&self) -> &'static str {
        match self {
            SeatEvent::Held(_) => SEAT_HELD,
            SeatEvent::Released(_) => SEAT_RELEASED,
        }
    }

    /// The DCB event: type, seat and customer tags, JSON payload.
    ///
    /// # Errors
    /// [`CodecError::InvalidName`] when an id is not valid tag text.
    pub fn to_event(&self) -> Result<Event, CodecError> {
        let b = self.booking();
        let tags = [seat_tag(&b.event, &b.seat), customer_tag(&b.event, &b.customer)];
        Ok(Event::new(self.event_type(), tags, serde_json::to_string(b)?)?)
    }

    /// The fact a DCB event records.
    ///
    /// # Errors
    /// [`CodecError::UnknownType`] or [`CodecError::Payload`].
    pub fn decode(event: &Event) -> Result<SeatEvent, CodecError> {
        let held = match event.event_type.as_str() {
            SEAT_HELD => true,
            SEAT_RELEASED => false,
            other => return Err(CodecError::UnknownType(other.to_string())),
        };
        let booking: Booking = serde_json::from_str(&event.data)?;
        Ok(if held { SeatEvent::Held(booking) } else { SeatEvent::Released(booking) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_tags() {
        let e = SeatEvent::Held(Booking::new("e1", "s2", "c3"));
        let dcb = e.to_event().expect("valid ids");
        assert!(dcb.has_tag("seat:e1/s2") && dcb.has_tag("customer:e1/c3"));
        assert_eq!(SeatEvent::decode(&dcb).expect("decodes"), e);
    }

    #[test]
    fn invalid_id_is_a_typed_error() {
        let e = SeatEvent::Held(Booking::new("e1", "s1", "c\n1"));
        assert!(matches!(e.to_event(), Err(CodecError::InvalidName(_))));
    }

    #[test]
    fn unknown_type_is_reported() {
        let dcb = Event::new("CourseCreated", ["course:c1"], "{}").expect("valid");
        assert!(matches!(SeatEvent::decode(&dcb), Err(CodecError::UnknownType(_))));
    }
}
