//! [`SeatsStore`]: the team's own store adapter (here over dcb-sim's
//! [`MemoryStore`], standing in for a real database client), with a known
//! bug variant ([`AdapterVariant::CheckThenInsert`]).

use std::time::Duration;

use dcb_sim::retry::{RuntimeSleeper, Sleeper};
use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// The "round trip" [`AdapterVariant::CheckThenInsert`] waits between its
/// check and its insert.
pub const ROUND_TRIP: Duration = Duration::from_millis(1);

/// Which adapter code runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AdapterVariant {
    /// Delegates to the engine, whose append checks the condition and
    /// writes atomically.
    #[default]
    Correct,
    /// **Bug**: an append with a condition first reads the condition's
    /// matches after `after`, then (one [`ROUND_TRIP`] later) appends with
    /// no condition — two appends can both pass the check.
    CheckThenInsert,
}

/// The adapter.
#[derive(Debug, Default)]
pub struct SeatsStore {
    inner: MemoryStore,
    variant: AdapterVariant,
}

impl SeatsStore {
    /// An empty store running `variant`.
    pub fn new(variant: AdapterVariant) -> Self {
        SeatsStore { inner: MemoryStore::new(), variant }
    }

    /// The engine underneath.
    pub fn inner(&self) -> &MemoryStore {
        &self.inner
    }

    /// The check of [`AdapterVariant::CheckThenInsert`]: the first event
    /// matching the condition after its `after`.
    async fn first_match(&self, condition: &AppendCondition) -> Result<Option<Position>, StoreError> {
        let from = condition.after.map_or(1, |a| a.saturating_add(1));
        let options = ReadOptions { from: Some(from), backwards: false, limit: Some(1) };
        Ok(self.inner.read(&condition.fail_if_events_match, options).await?.first().map(|e| e.position))
    }
}

impl EventStore for SeatsStore {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.inner.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        match (self.variant, condition) {
            (AdapterVariant::CheckThenInsert, Some(condition)) => {
                if let Some(conflicting) = self.first_match(&condition).await? {
                    return Err(StoreError::ConditionFailed { conflicting: Some(conflicting), after: condition.after });
                }
                RuntimeSleeper::new().sleep(ROUND_TRIP).await;
                self.inner.append(events, None).await
            }
            (_, condition) => self.inner.append(events, condition).await,
        }
    }
}
