//! The [`EventStore`] trait every engine implements.

use std::future::Future;

use super::error::StoreError;
use super::query::{AppendCondition, Query, ReadOptions};
use super::types::{Event, Position, SequencedEvent};

/// A DCB event store. Implemented by [`MemoryStore`](super::MemoryStore),
/// by the simulator's wrappers, and by planted buggy engines; every engine is
/// held to the conformance suite ([`conformance`](crate::conformance)); yours can be too.
///
/// The futures are `Send` so handlers can run on spawned tasks.
pub trait EventStore: Send + Sync {
    /// Reads the events matching `query`, ascending by position unless
    /// `options.backwards`.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] for an invalid query or options; engine
    /// errors such as [`StoreError::Unavailable`].
    fn read(
        &self,
        query: &Query,
        options: ReadOptions,
    ) -> impl Future<Output = Result<Vec<SequencedEvent>, StoreError>> + Send;

    /// Appends `events` atomically (all or nothing) at consecutive positions
    /// if `condition` holds, returning the position of the last event.
    ///
    /// # Errors
    /// [`StoreError::ConditionFailed`] when the condition does not hold;
    /// [`StoreError::InvalidInput`] for an empty list or invalid events.
    fn append(
        &self,
        events: Vec<Event>,
        condition: Option<AppendCondition>,
    ) -> impl Future<Output = Result<Position, StoreError>> + Send;

    /// The positions an append wrote although it returned `error` (an
    /// ambiguous commit this store knows of), or `None`.
    ///
    /// A store cannot know this of its own failures (that is what makes a
    /// commit ambiguous), so every engine returns `None`, the default. A
    /// wrapper that causes ambiguous commits on purpose and then looks up
    /// what was written (the PostgreSQL nemesis, `dcb_sim::sim::PgCommitNemesis`)
    /// answers for the errors it returned, so that a real-time run records
    /// the write as the simulator records its injected ambiguous commits:
    /// a ghost write of the command, which the checkers attribute to it.
    fn applied_despite(&self, error: &StoreError) -> Option<(Position, Position)> {
        let _ = error;
        None
    }
}

impl<S: EventStore> EventStore for std::sync::Arc<S> {
    fn read(
        &self,
        query: &Query,
        options: ReadOptions,
    ) -> impl Future<Output = Result<Vec<SequencedEvent>, StoreError>> + Send {
        (**self).read(query, options)
    }

    fn append(
        &self,
        events: Vec<Event>,
        condition: Option<AppendCondition>,
    ) -> impl Future<Output = Result<Position, StoreError>> + Send {
        (**self).append(events, condition)
    }

    fn applied_despite(&self, error: &StoreError) -> Option<(Position, Position)> {
        (**self).applied_despite(error)
    }
}

/// A shared reference to a store is a store: handlers and wrappers can
/// borrow one store instead of owning or `Arc`-ing it.
impl<S: EventStore + ?Sized> EventStore for &S {
    fn read(
        &self,
        query: &Query,
        options: ReadOptions,
    ) -> impl Future<Output = Result<Vec<SequencedEvent>, StoreError>> + Send {
        (**self).read(query, options)
    }

    fn append(
        &self,
        events: Vec<Event>,
        condition: Option<AppendCondition>,
    ) -> impl Future<Output = Result<Position, StoreError>> + Send {
        (**self).append(events, condition)
    }

    fn applied_despite(&self, error: &StoreError) -> Option<(Position, Position)> {
        (**self).applied_despite(error)
    }
}
