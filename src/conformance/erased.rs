//! [`ErasedStore`]: any engine behind one type, so every case is compiled
//! once (for this type) instead of once per engine, and [`CASES`] can hold
//! plain function pointers.
//!
//! [`CASES`]: super::CASES

use std::future::Future;

use super::join::BoxFuture;
use crate::store::{AppendCondition, Event, EventStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// The object-safe face of an engine (boxed futures).
trait DynStore: Send + Sync {
    fn read<'a>(&'a self, query: &'a Query, options: ReadOptions) -> BoxFuture<'a, Result<Vec<SequencedEvent>, StoreError>>;
    fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> BoxFuture<'_, Result<Position, StoreError>>;
}

impl<S: EventStore> DynStore for S {
    fn read<'a>(&'a self, query: &'a Query, options: ReadOptions) -> BoxFuture<'a, Result<Vec<SequencedEvent>, StoreError>> {
        Box::pin(EventStore::read(self, query, options))
    }

    fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> BoxFuture<'_, Result<Position, StoreError>> {
        Box::pin(EventStore::append(self, events, condition))
    }
}

/// A type-erased engine: a pure forwarding adapter (each call is the
/// engine's own future, boxed), so a case tests exactly the engine inside.
/// Useful when you test several adapters with generic code of your own and
/// want it compiled once.
pub struct ErasedStore<'a>(Box<dyn DynStore + 'a>);

impl<'a> ErasedStore<'a> {
    /// Erases `store`.
    pub fn new(store: impl EventStore + 'a) -> Self {
        ErasedStore(Box::new(store))
    }
}

impl EventStore for ErasedStore<'_> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.0.read(query, options).await
    }

    fn append(
        &self,
        events: Vec<Event>,
        condition: Option<AppendCondition>,
    ) -> impl Future<Output = Result<Position, StoreError>> + Send {
        self.0.append(events, condition)
    }
}
