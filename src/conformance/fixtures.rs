//! The builders the cases use, and the standard 8-event log most cases
//! seed: public so that a failing case can be replayed by hand against a
//! store (read the case in `src/conformance/cases.rs`, then call the same
//! builders).
//!
//! The builders of valid values ([`ev`], [`q`], ...) panic on invalid
//! input: that would be a bug in the suite, never in the store under test.

use super::CaseFailure;
use crate::store::{AppendCondition, Event, EventStore, Position, Query, QueryItem, ReadOptions, SequencedEvent};

/// A valid event with the payload `{}`.
///
/// # Panics
/// If `event_type` or a tag is not a valid name.
pub fn ev(event_type: &str, tags: &[&str]) -> Event {
    ev_data(event_type, tags, "{}")
}

/// A valid event with a payload.
///
/// # Panics
/// If `event_type` or a tag is not a valid name.
pub fn ev_data(event_type: &str, tags: &[&str], data: &str) -> Event {
    Event::new(event_type, tags.iter().copied(), data).expect("conformance fixture event is valid")
}

/// A query item (not validated, so it can also build invalid items).
pub fn item(types: &[&str], tags: &[&str]) -> QueryItem {
    QueryItem::new().types(types.iter().copied()).tags(tags.iter().copied())
}

/// A validated query of `items`.
///
/// # Panics
/// If the items do not make a valid query.
pub fn q(items: Vec<QueryItem>) -> Query {
    Query::from_items(items).expect("conformance fixture query is valid")
}

/// A validated single-item query.
///
/// # Panics
/// If the item is not valid.
pub fn q1(types: &[&str], tags: &[&str]) -> Query {
    q(vec![item(types, tags)])
}

/// Read options.
pub fn opts(from: Option<Position>, backwards: bool, limit: Option<usize>) -> ReadOptions {
    ReadOptions { from, backwards, limit }
}

/// Forward read with no `from` and no limit.
pub fn fwd() -> ReadOptions {
    ReadOptions::default()
}

/// Backward read with no `from` and no limit.
pub fn bwd() -> ReadOptions {
    opts(None, true, None)
}

/// An append condition.
pub fn cond(query: Query, after: Option<Position>) -> Option<AppendCondition> {
    Some(AppendCondition::new(query, after))
}

/// The positions of a read result.
pub fn positions(events: &[SequencedEvent]) -> Vec<Position> {
    events.iter().map(|e| e.position).collect()
}

/// An event of a type and tag no case queries for, used to probe "did the
/// append go through and at which position".
pub fn unrelated() -> Event {
    ev("Unrelated", &["other:x"])
}

/// The standard log, appended one event per call at positions 1..=8:
///
/// | pos | type                  | tags                  |
/// |-----|-----------------------|-----------------------|
/// | 1   | CourseCreated         | course:c1             |
/// | 2   | CourseCreated         | course:c2             |
/// | 3   | StudentRegistered     | student:s1            |
/// | 4   | StudentEnrolled       | course:c1, student:s1 |
/// | 5   | StudentEnrolled       | course:c2, student:s1 |
/// | 6   | CourseCapacityChanged | course:c1             |
/// | 7   | StudentRegistered     | student:s2            |
/// | 8   | StudentEnrolled       | course:c1, student:s2 |
///
/// Payloads are `{"n":<pos>}`.
pub fn standard_events() -> Vec<Event> {
    vec![
        ev_data("CourseCreated", &["course:c1"], r#"{"n":1}"#),
        ev_data("CourseCreated", &["course:c2"], r#"{"n":2}"#),
        ev_data("StudentRegistered", &["student:s1"], r#"{"n":3}"#),
        ev_data("StudentEnrolled", &["course:c1", "student:s1"], r#"{"n":4}"#),
        ev_data("StudentEnrolled", &["course:c2", "student:s1"], r#"{"n":5}"#),
        ev_data("CourseCapacityChanged", &["course:c1"], r#"{"n":6}"#),
        ev_data("StudentRegistered", &["student:s2"], r#"{"n":7}"#),
        ev_data("StudentEnrolled", &["course:c1", "student:s2"], r#"{"n":8}"#),
    ]
}

/// Appends [`standard_events`] one by one (no condition) to an empty store
/// and checks that they get positions 1..=8.
///
/// # Errors
/// A [`CaseFailure`] if an append fails or returns another position.
pub async fn seed_standard<S: EventStore>(store: &S) -> Result<(), CaseFailure> {
    for (i, e) in standard_events().into_iter().enumerate() {
        let pos = ensure_ok!(store.append(vec![e], None).await, "seeding the standard log: unconditional append {}", i + 1);
        ensure_eq!(pos, i as Position + 1, "seeding the standard log: unconditional append {} into a store holding {i} events", i + 1);
    }
    Ok(())
}

/// The whole log, ascending (`Query::all()`, default options).
///
/// # Errors
/// [`CaseFailure::StoreCallFailed`] if the read fails.
pub async fn read_all<S: EventStore>(store: &S) -> Result<Vec<SequencedEvent>, CaseFailure> {
    Ok(ensure_ok!(store.read(&Query::all(), fwd()).await, "read of the whole log (Query::all(), default options)"))
}

/// Reads `query` with `options` and returns the positions.
///
/// # Errors
/// [`CaseFailure::StoreCallFailed`] if the read fails.
pub async fn read_pos<S: EventStore>(store: &S, query: &Query, options: ReadOptions) -> Result<Vec<Position>, CaseFailure> {
    Ok(positions(&ensure_ok!(store.read(query, options).await, "read of {query:?} with {options:?}")))
}
