//! [`SimStore`]: the in-memory store, or one of its planted-bug variants.

use std::time::Duration;

use super::scenario::Engine;
use crate::plant::Plant;
use crate::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, ReadOptions, SequencedEvent, StoreError, validate_append};

/// Virtual time a [`Plant::NonAtomicStore`] waits between its check and
/// its write (the simulated clock's shortest sleep).
pub const NON_ATOMIC_GAP: Duration = Duration::from_millis(1);

/// The engine under a [`SimStore`]: both expose the same synchronous calls.
#[derive(Debug)]
enum Backend {
    Memory(MemoryStore),
    #[cfg(feature = "sqlite")]
    Sqlite(crate::store::sqlite::SqliteStore),
}

/// Calls the same method on whichever engine is in use.
macro_rules! on_backend {
    ($b:expr, |$s:ident| $call:expr) => {
        match $b {
            Backend::Memory($s) => $call,
            #[cfg(feature = "sqlite")]
            Backend::Sqlite($s) => $call,
        }
    };
}

/// The simulator's base store: an engine ([`Engine`]) whose append is
/// correct, or broken as a store-level [`Plant`] says.
#[derive(Debug)]
pub struct SimStore {
    log: Backend,
    plant: Option<Plant>,
}

impl Default for SimStore {
    fn default() -> Self {
        SimStore::new(None)
    }
}

impl SimStore {
    /// An in-memory store; only store-level plants
    /// ([`Plant::NonAtomicStore`], [`Plant::AfterEquality`]) change its
    /// behaviour.
    pub fn new(plant: Option<Plant>) -> Self {
        SimStore { log: Backend::Memory(MemoryStore::new()), plant }
    }

    /// A store on `engine` (a fresh in-memory database for SQLite).
    ///
    /// # Panics
    /// When the engine is not compiled in or cannot open (a validated
    /// scenario has already ruled the first out).
    pub fn with_engine(engine: Engine, plant: Option<Plant>) -> Self {
        let log = match engine {
            Engine::Memory => Backend::Memory(MemoryStore::new()),
            #[cfg(feature = "sqlite")]
            Engine::Sqlite => Backend::Sqlite(crate::store::sqlite::SqliteStore::open_in_memory().expect("an in-memory SQLite database opens")),
            #[cfg(not(feature = "sqlite"))]
            Engine::Sqlite => panic!("the sqlite engine is not compiled in; enable the `sqlite` feature"),
        };
        SimStore { log, plant }
    }

    /// The whole log.
    pub fn snapshot(&self) -> Vec<SequencedEvent> {
        match &self.log {
            Backend::Memory(m) => m.snapshot(),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(s) => s.snapshot().expect("the in-memory SQLite log reads back"),
        }
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
        on_backend!(&self.log, |s| s.read_now(query, options))
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        match (self.plant, condition) {
            (Some(Plant::NonAtomicStore), Some(c)) => {
                validate_append(&events, Some(&c))?;
                on_backend!(&self.log, |s| s.check_now(&c))?;
                madsim::time::sleep(NON_ATOMIC_GAP).await;
                on_backend!(&self.log, |s| s.append_unchecked(events))
            }
            (Some(Plant::AfterEquality), Some(c)) => {
                validate_append(&events, Some(&c))?;
                on_backend!(&self.log, |s| s.append_checked_by(events, |log| check_next_only(log, &c)))
            }
            (_, condition) => on_backend!(&self.log, |s| s.append_now(events, condition)),
        }
    }
}
