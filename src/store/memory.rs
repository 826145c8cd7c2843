//! The reference in-memory engine.

use std::sync::Mutex;

use super::error::{InvalidInput, StoreError};
use super::query::{AppendCondition, Query, ReadOptions};
use super::traits::EventStore;
use super::types::{Event, Position, SequencedEvent};

/// The in-memory DCB store: the model every other engine is compared with.
///
/// The condition check and the write happen under one lock with no `.await`
/// in between, so an append is atomic with respect to every other call.
#[derive(Debug, Default)]
pub struct MemoryStore {
    log: Mutex<Vec<SequencedEvent>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `events` (their order kept, renumbered 1, 2, 3, …):
    /// the reference store a checker re-runs a command against.
    pub(crate) fn from_prefix(events: &[SequencedEvent]) -> Self {
        let log = events.iter().enumerate().map(|(i, e)| SequencedEvent { position: i as Position + 1, event: e.event.clone() }).collect();
        MemoryStore { log: Mutex::new(log) }
    }

    /// A copy of the whole log, ascending.
    pub fn snapshot(&self) -> Vec<SequencedEvent> {
        self.lock().clone()
    }

    /// The position of the last event (0 when empty).
    pub fn head(&self) -> Position {
        self.lock().last().map_or(0, |e| e.position)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SequencedEvent>> {
        // A panic while holding the lock cannot leave the log half-written
        // (pushes happen after all checks), so poisoning is safe to ignore.
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Synchronous read (the async trait method delegates here).
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] for an invalid query or options.
    pub fn read_now(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        query.validate()?;
        options.validate()?;
        let log = self.lock();
        Ok(select(&log, query, options))
    }

    /// Synchronous append (the async trait method delegates here).
    ///
    /// # Errors
    /// As [`EventStore::append`].
    pub fn append_now(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        validate_append(&events, condition.as_ref())?;
        let mut log = self.lock();
        if let Some(c) = &condition {
            check(&log, c)?;
        }
        Ok(push(&mut log, events))
    }
}

/// Validates an append's inputs (non-empty, valid events and condition query).
///
/// # Errors
/// [`StoreError::InvalidInput`].
pub fn validate_append(events: &[Event], condition: Option<&AppendCondition>) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(InvalidInput::EmptyAppend.into());
    }
    for e in events {
        e.validate()?;
    }
    if let Some(c) = condition {
        c.fail_if_events_match.validate()?;
    }
    Ok(())
}

fn push(log: &mut Vec<SequencedEvent>, events: Vec<Event>) -> Position {
    let mut position = log.last().map_or(0, |e| e.position);
    log.reserve(events.len());
    for event in events {
        position += 1;
        log.push(SequencedEvent::new(position, event));
    }
    position
}

fn check(log: &[SequencedEvent], condition: &AppendCondition) -> Result<(), StoreError> {
    let after = condition.after.unwrap_or(0);
    // Positions are sorted: skip straight to the first one after `after`.
    let start = log.partition_point(|e| e.position <= after);
    match log[start..].iter().find(|e| condition.fail_if_events_match.matches(&e.event)) {
        Some(e) => Err(StoreError::ConditionFailed { conflicting: Some(e.position), after: condition.after }),
        None => Ok(()),
    }
}

fn select(log: &[SequencedEvent], query: &Query, options: ReadOptions) -> Vec<SequencedEvent> {
    let limit = options.limit.unwrap_or(usize::MAX);
    if limit == 0 {
        return Vec::new();
    }
    let matching = |e: &&SequencedEvent| query.matches(&e.event);
    if options.backwards {
        let end = options.from.map_or(log.len(), |f| log.partition_point(|e| e.position <= f));
        log[..end].iter().rev().filter(matching).take(limit).cloned().collect()
    } else {
        let start = options.from.map_or(0, |f| log.partition_point(|e| e.position < f));
        log[start..].iter().filter(matching).take(limit).cloned().collect()
    }
}

impl EventStore for MemoryStore {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.read_now(query, options)
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        self.append_now(events, condition)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::store::QueryItem;

    const TYPES: [&str; 6] = ["A", "B", "C", "D", "E", "F"];
    const TAGS: [&str; 6] = ["t:1", "t:2", "t:3", "u:1", "u:2", "v"];

    fn pick(names: &'static [&'static str], mask: u8) -> Vec<&'static str> {
        names.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, n)| *n).collect()
    }

    proptest! {
        /// The pre-filter never changes what a read or a condition selects:
        /// every read equals the plain filter of the log by `Query::matches`,
        /// for queries within and beyond the pre-filter's size.
        #[test]
        fn reads_and_conditions_select_exactly_what_query_matches_selects(
            events in prop::collection::vec((0usize..6, 0u8..64), 1..30),
            items in prop::collection::vec((0u8..64, 0u8..64), 1..7),
            after in 0u64..30,
        ) {
            let store = MemoryStore::new();
            let events: Vec<Event> = events.iter().map(|(t, tags)| Event::new(TYPES[*t], pick(&TAGS, *tags), "").unwrap()).collect();
            store.append_now(events, None).unwrap();
            let items: Vec<QueryItem> = items.iter().map(|(types, tags)| QueryItem::new().types(pick(&TYPES, *types)).tags(pick(&TAGS, *tags))).filter(|i| !(i.types.is_empty() && i.tags.is_empty())).collect();
            prop_assume!(!items.is_empty());
            let query = Query::from_items(items).unwrap();
            let log = store.snapshot();
            let expected: Vec<Position> = log.iter().filter(|e| query.matches(&e.event)).map(|e| e.position).collect();
            let got: Vec<Position> = store.read_now(&query, ReadOptions::default()).unwrap().iter().map(|e| e.position).collect();
            prop_assert_eq!(&got, &expected);
            let conflict = expected.iter().copied().find(|p| *p > after);
            let result = store.append_now(vec![Event::new("Z", ["z"], "").unwrap()], Some(AppendCondition::new(query, Some(after))));
            match conflict {
                Some(p) => prop_assert_eq!(result, Err(StoreError::ConditionFailed { conflicting: Some(p), after: Some(after) })),
                None => prop_assert!(result.is_ok()),
            }
        }
    }
}
