//! The DCB event store: types, the [`EventStore`] trait and the in-memory engine.
//!
//! Semantics follow the <https://dcb.events> specification. Where published
//! implementations disagree, dcb-sim makes these choices (and tests them in the
//! conformance suite, `sim-tests/store_conformance.rs`):
//!
//! | point | choice | why |
//! |---|---|---|
//! | positions | start at 1, strictly increasing, gap-free in [`MemoryStore`] | 0 can then mean "nothing read" unambiguously |
//! | `ReadOptions::from` | **inclusive**; `Some(0)` is invalid input | a reader that resumes passes `last + 1`; position 0 never exists |
//! | `limit: Some(0)` | returns no events (not "unlimited") | a limit is an upper bound; "no limit" is `None` |
//! | query item with empty types | matches any type | the spec's "types: any of" with no list means no type constraint |
//! | query item with empty types **and** empty tags | rejected as [`InvalidInput`] | it would silently match everything; say [`Query::all`] instead |
//! | query with no items | rejected as [`InvalidInput`] | ambiguous (all or nothing?); use [`Query::all`] |
//! | empty append | rejected as [`InvalidInput`] | an append that writes nothing is almost always a caller bug |
//! | condition `after` | fails if **any** matching event has position `> after` (not equality with the last match) | `after` may be above the last match (e.g. the head read); equality would accept lost updates |
//! | condition without `after` | any matching event fails the append | "nothing must match yet" |
//!
//! ```
//! # madsim::runtime::Runtime::new().block_on(async {
//! use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, Query, QueryItem, ReadOptions, StoreError};
//! let store = MemoryStore::new();
//! let query = Query::from_item(QueryItem::new().types(["CourseCreated"]).tags(["course:c1"]))?;
//! let read = store.read(&query, ReadOptions::default()).await?;
//! assert!(read.is_empty());
//! let event = Event::new("CourseCreated", ["course:c1"], "{}")?;
//! let condition = AppendCondition::new(query.clone(), None);
//! store.append(vec![event.clone()], Some(condition.clone())).await?;
//! // The same condition now fails: a matching event exists.
//! let err = store.append(vec![event], Some(condition)).await.unwrap_err();
//! assert!(matches!(err, StoreError::ConditionFailed { .. }));
//! # Ok::<(), StoreError>(()) }).unwrap();
//! ```
//!
//! [`InvalidInput`]: StoreError::InvalidInput

mod error;
mod memory;
mod query;
mod traits;
mod types;

pub use error::{InvalidInput, StoreError};
pub use memory::{MemoryStore, validate_append};
pub use query::{AppendCondition, Query, QueryItem, ReadOptions};
pub use traits::EventStore;
pub use types::{Event, Position, SequencedEvent, Tag};
