//! Store-level planted bugs as [`EventStore`] wrappers over **any** store
//! (the built-in engines, or your own adapter): they break the atomicity
//! or the semantics of the append condition from the outside, so the
//! production engines carry no plant code.

use std::time::Duration;

use crate::plant::Plant;
use crate::retry::{RuntimeSleeper, Sleeper};
use crate::store::{AppendCondition, Event, EventStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// Virtual time [`NonAtomicStore`] waits between its check and its write
/// (the simulated clock's shortest sleep).
pub const NON_ATOMIC_GAP: Duration = Duration::from_millis(1);

/// [`Plant::NonAtomicStore`]: checks the append condition with a read,
/// sleeps, then appends **without** a condition — check-then-insert with no
/// serialisation, so two appends can both pass the check.
///
/// Works over any store, in simulation (the gap is virtual time) and on
/// real engines with real threads (give it a real-clock sleeper).
#[derive(Debug, Clone)]
pub struct NonAtomicStore<S, Sl = RuntimeSleeper> {
    inner: S,
    sleeper: Sl,
    gap: Duration,
}

impl<S: EventStore> NonAtomicStore<S> {
    /// Wraps `inner` with a [`NON_ATOMIC_GAP`] on madsim's clock.
    pub fn new(inner: S) -> Self {
        NonAtomicStore { inner, sleeper: RuntimeSleeper::new(), gap: NON_ATOMIC_GAP }
    }
}

impl<S: EventStore, Sl: Sleeper> NonAtomicStore<S, Sl> {
    /// Wraps `inner`, sleeping `gap` on `sleeper` between check and write.
    pub fn with_sleeper(inner: S, sleeper: Sl, gap: Duration) -> Self {
        NonAtomicStore { inner, sleeper, gap }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

/// The first event matching `condition` after its `after` (what a correct
/// check looks for), read through the trait.
async fn first_conflict<S: EventStore>(store: &S, condition: &AppendCondition) -> Result<Option<Position>, StoreError> {
    let options = ReadOptions { from: condition.after.map(|a| a + 1), backwards: false, limit: Some(1) };
    Ok(store.read(&condition.fail_if_events_match, options).await?.first().map(|e| e.position))
}

impl<S: EventStore, Sl: Sleeper> EventStore for NonAtomicStore<S, Sl> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.inner.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let Some(condition) = condition else { return self.inner.append(events, None).await };
        if let Some(conflicting) = first_conflict(&self.inner, &condition).await? {
            return Err(StoreError::ConditionFailed { conflicting: Some(conflicting), after: condition.after });
        }
        if !self.gap.is_zero() {
            self.sleeper.sleep(self.gap).await;
        }
        self.inner.append(events, None).await
    }
}

/// [`Plant::AfterEquality`]: fails a condition only when the event at
/// exactly `after + 1` matches, missing matches further on (the condition
/// compared by equality). Check and write have no `.await` between them on
/// a synchronous engine, so in simulation only the semantics are wrong.
#[derive(Debug, Clone)]
pub struct AfterEqualityStore<S> {
    inner: S,
}

impl<S: EventStore> AfterEqualityStore<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        AfterEqualityStore { inner }
    }
}

impl<S: EventStore> EventStore for AfterEqualityStore<S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.inner.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let Some(c) = condition else { return self.inner.append(events, None).await };
        c.fail_if_events_match.validate()?;
        let next = c.after.unwrap_or(0) + 1;
        let at_next = self.inner.read(&Query::all(), ReadOptions { from: Some(next), backwards: false, limit: Some(1) }).await?;
        if let Some(e) = at_next.first().filter(|e| e.position == next && c.fail_if_events_match.matches(&e.event)) {
            return Err(StoreError::ConditionFailed { conflicting: Some(e.position), after: c.after });
        }
        self.inner.append(events, None).await
    }
}

/// A workload's store with the scenario's store-level plant, if any.
#[derive(Debug)]
pub enum PlantedStore<S> {
    /// No store-level plant.
    Correct(S),
    /// [`NonAtomicStore`].
    NonAtomic(NonAtomicStore<S>),
    /// [`AfterEqualityStore`].
    AfterEquality(AfterEqualityStore<S>),
}

impl<S: EventStore> PlantedStore<S> {
    /// Wraps `store` as `plant` says (handler-level plants leave it as is).
    /// Must be called inside the run's runtime.
    pub fn new(store: S, plant: Option<Plant>) -> Self {
        match plant {
            Some(Plant::NonAtomicStore) => PlantedStore::NonAtomic(NonAtomicStore::new(store)),
            Some(Plant::AfterEquality) => PlantedStore::AfterEquality(AfterEqualityStore::new(store)),
            _ => PlantedStore::Correct(store),
        }
    }
}

impl<S: EventStore> EventStore for PlantedStore<S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        match self {
            PlantedStore::Correct(s) => s.read(query, options).await,
            PlantedStore::NonAtomic(s) => s.read(query, options).await,
            PlantedStore::AfterEquality(s) => s.read(query, options).await,
        }
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        match self {
            PlantedStore::Correct(s) => s.append(events, condition).await,
            PlantedStore::NonAtomic(s) => s.append(events, condition).await,
            PlantedStore::AfterEquality(s) => s.append(events, condition).await,
        }
    }

    fn applied_despite(&self, error: &StoreError) -> Option<(Position, Position)> {
        match self {
            PlantedStore::Correct(s) => s.applied_despite(error),
            PlantedStore::NonAtomic(_) | PlantedStore::AfterEquality(_) => None,
        }
    }
}
