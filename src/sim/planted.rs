//! [`SimStore`]: the in-memory store, or one of its planted-bug variants.

use std::time::Duration;

use crate::plant::Plant;
use crate::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, ReadOptions, SequencedEvent, StoreError, validate_append};

/// Virtual time a [`Plant::NonAtomicStore`] waits between its check and its write.
pub const NON_ATOMIC_GAP: Duration = Duration::from_micros(500);

/// The simulator's base store: a [`MemoryStore`] whose append is correct,
/// or broken as a store-level [`Plant`] says.
#[derive(Debug, Default)]
pub struct SimStore {
    log: MemoryStore,
    plant: Option<Plant>,
}

impl SimStore {
    /// A store; only store-level plants ([`Plant::NonAtomicStore`],
    /// [`Plant::AfterEquality`]) change its behaviour.
    pub fn new(plant: Option<Plant>) -> Self {
        SimStore { log: MemoryStore::new(), plant }
    }

    /// The whole log.
    pub fn snapshot(&self) -> Vec<SequencedEvent> {
        self.log.snapshot()
    }
}

/// The planted "equality" check: fails only when the event at exactly
/// `after + 1` matches, missing matches further on.
fn check_next_only(log: &[SequencedEvent], c: &AppendCondition) -> Result<(), StoreError> {
    let next = c.after.unwrap_or(0) + 1;
    match log.iter().find(|e| e.position == next) {
        Some(e) if c.fail_if_events_match.matches(&e.event) => Err(StoreError::ConditionFailed { conflicting: next, after: c.after }),
        _ => Ok(()),
    }
}

impl EventStore for SimStore {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.log.read_now(query, options)
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        match (self.plant, condition) {
            (Some(Plant::NonAtomicStore), Some(c)) => {
                validate_append(&events, Some(&c))?;
                self.log.check_now(&c)?;
                madsim::time::sleep(NON_ATOMIC_GAP).await;
                self.log.append_unchecked(events)
            }
            (Some(Plant::AfterEquality), Some(c)) => {
                validate_append(&events, Some(&c))?;
                self.log.append_checked_by(events, |log| check_next_only(log, &c))
            }
            (_, condition) => self.log.append_now(events, condition),
        }
    }
}
