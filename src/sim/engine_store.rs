//! [`EngineStore`]: the built-in engines as one store factory
//! ([`EngineStore::open`]), chosen by [`Scenario::engine`](super::Scenario::engine).
//! The runner never looks at the engine: to the harness this is just
//! another [`EventStore`], like a user's adapter.

use super::scenario::Engine;
use crate::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// A built-in engine: the in-memory model or SQLite on an in-memory database.
#[derive(Debug)]
pub enum EngineStore {
    /// [`MemoryStore`].
    Memory(MemoryStore),
    /// [`SqliteStore`](crate::store::sqlite::SqliteStore) on `:memory:`.
    #[cfg(feature = "sqlite")]
    Sqlite(crate::store::sqlite::SqliteStore),
}

impl EngineStore {
    /// A fresh, empty store on `engine`.
    ///
    /// # Errors
    /// When SQLite cannot open, or is not compiled in (feature `sqlite`).
    pub fn open(engine: Engine) -> Result<Self, StoreError> {
        match engine {
            Engine::Memory => Ok(EngineStore::Memory(MemoryStore::new())),
            #[cfg(feature = "sqlite")]
            Engine::Sqlite => Ok(EngineStore::Sqlite(crate::store::sqlite::SqliteStore::open_in_memory()?)),
            #[cfg(not(feature = "sqlite"))]
            Engine::Sqlite => Err(StoreError::Unavailable { retryable: false, reason: "the sqlite engine is not compiled in; enable the `sqlite` feature".into() }),
        }
    }
}

impl EventStore for EngineStore {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        match self {
            EngineStore::Memory(s) => s.read_now(query, options),
            #[cfg(feature = "sqlite")]
            EngineStore::Sqlite(s) => s.read_now(query, options),
        }
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        match self {
            EngineStore::Memory(s) => s.append_now(events, condition),
            #[cfg(feature = "sqlite")]
            EngineStore::Sqlite(s) => s.append_now(events, condition),
        }
    }
}
