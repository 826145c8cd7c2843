//! [`reusing`]: one store for every run of a
//! [`RealtimeCheck`](crate::explore::RealtimeCheck), reset between runs,
//! for a store that is slow to open (a file it pre-allocates, a schema it
//! creates, a connection pool it fills).
//!
//! ```no_run
//! use dcb_sim::domain::sequence::HotKeyWorkload;
//! use dcb_sim::explore::{Check, reusing};
//! use dcb_sim::store::SqliteStore;
//!
//! let store = SqliteStore::open(std::env::temp_dir().join("hot-reused.db")).unwrap();
//! // 50 runs on one file: `SqliteStore::reset` empties it before each run.
//! Check::new(&HotKeyWorkload::default()).seeds(50).realtime(reusing(store, SqliteStore::reset)).run();
//! ```
//!
//! Every run must start on an empty log whose positions start at 1 (the
//! checkers judge a run's log from position 1: a leftover event would be a
//! phantom write of the new run). So the reset runs before **every** run,
//! the first included, and afterwards the store is read: a reset that left
//! an event fails the check there, naming the event's position, instead of
//! letting the next run be judged on someone else's log. A reset that
//! empties the log but does not restart positions at 1 is caught by the
//! `log-consistency` checker on the next run.

use std::sync::Arc;

use crate::store::{EventStore, Query, ReadOptions, StoreError};

/// A store opener for [`RealtimeCheck`](crate::explore::RealtimeCheck)
/// (or [`Check::realtime`](crate::explore::Check::realtime)) that hands
/// every run the same `store`, calling `reset` on it first and checking
/// that the reset left the log empty.
///
/// `reset` must delete every event and restart positions at 1, in one
/// transaction where the store has them: e.g.
/// [`SqliteStore::reset`](crate::store::SqliteStore::reset), or for a
/// [`PostgresStore`](crate::store::PostgresStore), whose calls are async,
/// `|s| runtime.block_on(s.reset())` on the runtime it was connected on.
///
/// The opener fails (and with it the check, naming the seed) when `reset`
/// fails, or when the log still holds an event after it. A reset that
/// empties the log but does not restart positions at 1 is caught by the
/// `log-consistency` checker on the next run.
///
/// ```no_run
/// use dcb_sim::domain::sequence::HotKeyWorkload;
/// use dcb_sim::explore::{Check, reusing};
/// use dcb_sim::store::SqliteStore;
///
/// let store = SqliteStore::open(std::env::temp_dir().join("hot-reused.db")).unwrap();
/// // 50 runs on one file: `SqliteStore::reset` empties it before each run.
/// Check::new(&HotKeyWorkload::default()).seeds(50).realtime(reusing(store, SqliteStore::reset)).run();
/// ```
pub fn reusing<S, R>(store: S, mut reset: R) -> impl FnMut(u64) -> Result<Arc<S>, StoreError>
where
    S: EventStore,
    R: FnMut(&S) -> Result<(), StoreError>,
{
    let store = Arc::new(store);
    move |_seed| {
        reset(&store)?;
        if let Some(left) = first_event(&*store)? {
            return Err(StoreError::Unavailable {
                retryable: false,
                reason: format!(
                    "the reset left the event at position {left} in the reused store; a reset must delete every event (and restart positions at 1) so each run starts on an empty log"
                ),
            });
        }
        Ok(Arc::clone(&store))
    }
}

/// The position of the store's first event, if it has one.
fn first_event<S: EventStore>(store: &S) -> Result<Option<u64>, StoreError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Unavailable { retryable: false, reason: format!("could not start a tokio runtime to read the reused store: {e}") })?;
    let first = rt.block_on(store.read(&Query::all(), ReadOptions { limit: Some(1), ..ReadOptions::default() }))?;
    Ok(first.first().map(|e| e.position))
}
