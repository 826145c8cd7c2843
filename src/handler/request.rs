//! Request ids (idempotency keys): how a retried command recognises its own
//! write after an ambiguous commit.
//!
//! Without them, a handler whose append was applied but reported as failed
//! re-reads, does not know the event is its own, and either rejects
//! ("already enrolled") or writes again (a second capacity change) —
//! dcb-sim's fault explorer finds both. With a request id, the shell tags
//! every event it appends with `request:<id>`, adds an item for that tag to
//! the read query and the condition, and answers `Idempotent` as soon as it
//! reads an event carrying it; the [`Decider`] sees only the events its own
//! query matches and never needs to know.

use super::decider::{Decider, Decision};
use crate::store::{Event, Query, QueryItem, SequencedEvent, Tag};

/// Prefix of request-id tags.
pub const REQUEST_TAG_PREFIX: &str = "request:";

/// The tag of request `id`.
pub fn request_tag(id: &str) -> String {
    [REQUEST_TAG_PREFIX, id].concat()
}

/// The query a request reads: the decider's, OR events tagged with the request.
pub fn request_query(query: &Query, tag: &str) -> Query {
    match query {
        Query::All => Query::All,
        // One allocation: the items and the request's item go straight
        // into the shared slice (an exact-size iterator), not via a Vec.
        Query::Items(items) => Query::Items(items.iter().cloned().chain(std::iter::once(QueryItem::new().tags([tag]))).collect()),
    }
}

/// The shell's pure decision: `Idempotent` if any read event carries the
/// request's tag; otherwise the decider's decision on the events its own
/// `query` matches, with the tag added to every event it produces.
pub fn decide_request<D: Decider>(decider: &D, command: &D::Command, query: &Query, tag: Option<&str>, events: &[SequencedEvent]) -> Decision {
    let Some(tag) = tag else { return decider.decide(command, events) };
    if events.iter().any(|e| e.event.has_tag(tag)) {
        return Decision::Idempotent;
    }
    let own: Vec<SequencedEvent>;
    let events = if events.iter().all(|e| query.matches(&e.event)) {
        events
    } else {
        own = events.iter().filter(|e| query.matches(&e.event)).cloned().collect();
        &own
    };
    let stamp = |mut events: Vec<Event>| {
        for e in &mut events {
            e.tags.insert(Tag::new(tag).expect("request tags are non-empty"));
        }
        events
    };
    match decider.decide(command, events) {
        Decision::Append(events) => Decision::Append(stamp(events)),
        Decision::Reject { reason, events } => Decision::Reject { reason, events: stamp(events) },
        Decision::Idempotent => Decision::Idempotent,
    }
}
