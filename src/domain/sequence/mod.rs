//! A hot key: one DCB sequence that every client draws its next number
//! from (a ticket dispenser, an invoice number, a counter).
//!
//! There is no business rule that could reject a command: a client reads
//! the sequence's events, takes the number after the last one, and appends
//! `NumberTaken` under the condition "no `NumberTaken` of this sequence
//! after the position I read". Every concurrent taker conflicts with every
//! other, so only contention (and the retry policy) decides how long it
//! takes and how often a client must try: the optimistic-concurrency set-up
//! of the AWS Architecture Blog's "Exponential Backoff And Jitter" study,
//! written as a DCB decision ([`SequenceDecider`]).
//!
//! Encoding: type `NumberTaken`, tags `sequence:hot` and `client:<n>`, data
//! the number in decimal (`"17"`).

#[cfg(madsim)]
pub mod check;
#[cfg(madsim)]
mod workload;
#[cfg(madsim)]
pub use workload::{HotKeyWorkload, study_latency};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::handler::{Decider, Decision};
use crate::store::{Event, Query, QueryItem, SequencedEvent};

/// The one sequence all clients draw from.
pub const SEQUENCE_TAG: &str = "sequence:hot";

/// The event type of a drawn number.
pub const NUMBER_TAKEN: &str = "NumberTaken";

/// The tag of `client`'s events.
pub fn client_tag(client: u32) -> String {
    format!("client:{client}")
}

/// Client `client` takes the next number of the sequence (once: a client
/// that already holds a number is answered idempotently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TakeNumber {
    /// The client taking a number.
    pub client: u32,
}

impl fmt::Display for TakeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {} takes the next number", self.client)
    }
}

/// The number an event of the sequence carries, if it is a well-formed
/// `NumberTaken`.
pub fn number(event: &Event) -> Option<u64> {
    (event.event_type == NUMBER_TAKEN).then(|| event.data.parse().ok()).flatten()
}

/// The `NumberTaken` event of `client` taking `number`.
pub fn number_taken(client: u32, number: u64) -> Event {
    Event::new(NUMBER_TAKEN, [SEQUENCE_TAG.to_string(), client_tag(client)], number.to_string()).expect("sequence events have a type and non-empty tags")
}

/// The sequence's [`Decider`]: its consistency boundary is every
/// `NumberTaken` of the sequence (one hot key).
#[derive(Debug, Clone, Copy, Default)]
pub struct SequenceDecider;

impl Decider for SequenceDecider {
    type Command = TakeNumber;

    fn command_type(&self, _: &TakeNumber) -> &'static str {
        "TakeNumber"
    }

    fn query(&self, _: &TakeNumber) -> Query {
        Query::from_item(QueryItem::new().types([NUMBER_TAKEN]).tags([SEQUENCE_TAG])).expect("the sequence query has a type and a tag")
    }

    /// The number after the last one read (1 on an empty sequence);
    /// `Idempotent` when the client already took one.
    fn decide(&self, command: &TakeNumber, events: &[SequencedEvent]) -> Decision {
        let own = client_tag(command.client);
        if events.iter().any(|e| e.event.has_tag(&own)) {
            return Decision::Idempotent;
        }
        let last = events.last().map_or(0, |e| number(&e.event).unwrap_or(events.len() as u64));
        Decision::Append(vec![number_taken(command.client, last + 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(numbers: &[(u32, u64)]) -> Vec<SequencedEvent> {
        numbers.iter().enumerate().map(|(i, &(c, n))| SequencedEvent::new(i as u64 + 1, number_taken(c, n))).collect()
    }

    #[test]
    fn takes_the_number_after_the_last_one() {
        let d = SequenceDecider;
        assert_eq!(d.decide(&TakeNumber { client: 4 }, &[]), Decision::Append(vec![number_taken(4, 1)]));
        assert_eq!(d.decide(&TakeNumber { client: 4 }, &log(&[(1, 1), (2, 2)])), Decision::Append(vec![number_taken(4, 3)]));
        assert_eq!(d.decide(&TakeNumber { client: 2 }, &log(&[(1, 1), (2, 2)])), Decision::Idempotent);
        assert_eq!(number(&number_taken(9, 12)), Some(12));
        assert!(d.query(&TakeNumber { client: 0 }).matches(&number_taken(3, 1)));
        assert_eq!(TakeNumber { client: 3 }.to_string(), "client 3 takes the next number");
    }
}
