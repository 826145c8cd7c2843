//! The DCB event store: types, the [`EventStore`] trait and the in-memory engine.
//!
//! Semantics follow the <https://dcb.events> specification. Where published
//! implementations disagree, dcb-sim makes these choices (and tests them in the
//! conformance suite, [`conformance`](crate::conformance), run on every engine by
//! `sim-tests/store_conformance.rs`).
//!
//! The last column says whose rule it is: **spec** = the DCB specification
//! (every DCB store must follow it); **profile** = dcb-sim's input profile,
//! a choice for input the specification leaves open. The conformance
//! suite labels its cases the same way
//! ([`RuleSource`](crate::conformance::RuleSource)), scores them apart, and
//! lets a user waive the profile
//! ([`Suite::waive_profile`](crate::conformance::Suite::waive_profile)); an
//! engine with input rules of its own reports its rejection as
//! [`StoreError::Rejected`] with its message.
//!
//! | point | choice | why | whose |
//! |---|---|---|---|
//! | positions | start at 1, strictly increasing, gap-free in every engine (memory, SQLite, PostgreSQL; also after rejected or rolled-back appends) | 0 can then mean "nothing read" unambiguously; a handler's `AppendRecord` derives its first position from the last | spec |
//! | `ReadOptions::from` | **inclusive**; `Some(0)` is invalid input | a reader that resumes passes `last + 1`; position 0 never exists | spec (inclusive); profile (`Some(0)` rejected) |
//! | `limit: Some(0)` | returns no events (not "unlimited") | a limit is an upper bound; "no limit" is `None` | spec |
//! | query item with empty types | matches any type | the spec's "types: any of" with no list means no type constraint | spec |
//! | query item with empty types **and** empty tags | rejected as [`InvalidInput`] | it would silently match everything; say [`Query::all`] instead | profile |
//! | query with no items | rejected as [`InvalidInput`] | ambiguous (all or nothing?); use [`Query::all`] | profile |
//! | empty append | rejected as [`InvalidInput`] | an append that writes nothing is almost always a caller bug | profile |
//! | condition `after` | fails if **any** matching event has position `> after` (not equality with the last match) | `after` may be above the last match (e.g. the head read); equality would accept lost updates | spec |
//! | condition without `after` | any matching event fails the append | "nothing must match yet" | spec |
//! | tag and event type names | non-empty, at most [`MAX_NAME_BYTES`] (255) bytes, no control characters; else [`InvalidInput::NameTooLong`] / [`InvalidInput::ControlCharacter`], in events **and** queries, in every engine ([`validate_name`]); names up to the limit are stored exactly | one rule for all engines: PostgreSQL `text` cannot hold NUL, names are index keys, and they are printed in reports | profile |
//! | `ConditionFailed { conflicting }` | dcb-sim's engines name the first conflicting position; `None` is allowed | handy in timelines and messages, but the specification only requires that the append fails | spec: the failure; the position: optional |
//! | errors for invalid input | a typed [`InvalidInput`] naming the fix | callers can match on it; a third-party engine uses [`StoreError::Rejected`] for rules of its own | profile |
//!
//! # Durable engines
//!
//! | engine | feature | where | concurrency control |
//! |---|---|---|---|
//! | [`MemoryStore`] | always | process memory | one mutex around check + write |
//! | `SqliteStore` (`store::sqlite`) | `sqlite` (default) | a file or `:memory:` | `BEGIN IMMEDIATE`: the write lock is taken before the condition is checked |
//! | `PostgresStore` (`store::postgres`) | `postgres` (default) | a PostgreSQL server | READ COMMITTED + a transaction-scoped advisory lock taken before the check (the unsafe check-then-insert is tested as the simulator's `NonAtomicStore` wrapper over it) |
//!
//! All engines pass the same conformance suite ([`conformance`](crate::conformance));
//! run it on your own adapter with `dcb_sim::conformance::check(|| async { MyAdapter::new() }).await.assert_all_passed()`.
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

#[cfg(test)]
mod mutant_tests;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use error::{InvalidInput, NameKind, StoreError};
pub use memory::{MemoryStore, validate_append};
pub use query::{AppendCondition, Query, QueryItem, ReadOptions};
pub use traits::EventStore;
#[cfg(feature = "postgres")]
pub use postgres::{PgOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use types::{Event, MAX_NAME_BYTES, Position, SequencedEvent, Tag, validate_name};
