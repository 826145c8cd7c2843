//! The library (the Go dynamic-streams-eventstore-go example): book copies
//! in circulation, registered readers, and loans.
//!
//! Six command handlers, each a pure [`Decider`](crate::handler::Decider)
//! decision over the events of its query ([`LibraryDecider`]).
//! Rules are checked in the Go example's code order; the first that matches
//! decides. "Fail" appends the `...Failed` event (under the same append
//! condition) and returns the business error `"<FailedEventType>: <reason>"`;
//! "idempotent" appends nothing and succeeds.
//!
//! **AddBookCopy** — query: {Added, Removed} ∧ `book:b`.
//! 1. copy in circulation → idempotent;
//! 2. else → `BookCopyAddedToCirculation` (re-adding after a removal is allowed).
//!
//! **RemoveBookCopy** — query: {Added, Removed, Lent, Returned} ∧ `book:b`.
//! 1. never added → `RemovingBookFromCirculationFailed: book was never added to circulation`;
//! 2. removed → idempotent;
//! 3. lent → `RemovingBookFromCirculationFailed: book is currently lent`;
//! 4. else → `BookCopyRemovedFromCirculation`.
//!
//! **RegisterReader** — query: {Registered, Canceled} ∧ `reader:r`.
//! 1. registered → idempotent (the name is not compared);
//! 2. else → `ReaderRegistered` (re-registering after a cancellation is allowed).
//!
//! **CancelReaderContract** — query: {Registered, Canceled, Lent, Returned} ∧ `reader:r`.
//! 1. never registered → `CancelingReaderContractFailed: reader was never registered`;
//! 2. canceled → idempotent;
//! 3. a copy lent to the reader and not returned by them →
//!    `CancelingReaderContractFailed: reader has outstanding book loans`;
//! 4. else → `ReaderContractCanceled`.
//!
//! **LendBookCopy** — query: {Added, Removed, Lent, Returned, Registered,
//! Canceled} ∧ (`book:b` ∨ `reader:r`).
//! 1. reader not currently registered → `LendingBookToReaderFailed: reader is not currently registered`;
//! 2. copy not in circulation (never added, or removed) → `LendingBookToReaderFailed: book is not in circulation`;
//! 3. copy lent to this reader → idempotent;
//! 4. copy lent to another reader → `LendingBookToReaderFailed: book is already lent`;
//! 5. reader holds ≥ [`MAX_BOOKS_PER_READER`] (10) → `LendingBookToReaderFailed: reader has too many books`;
//! 6. else → `BookCopyLentToReader`.
//!
//! **ReturnBookCopyFromReader** — query: {Added, Lent, Returned, Registered}
//! ∧ (`book:b` ∨ `reader:r`); cancellations and removals are not in it, so
//! a canceled reader may still return a removed copy.
//! 1. reader never registered → `ReturningBookFromReaderFailed: reader was never registered`;
//! 2. copy never added → `ReturningBookFromReaderFailed: book was never added to circulation`;
//! 3. copy never lent to this reader → `ReturningBookFromReaderFailed: book is not lent to this reader`;
//! 4. returned since its last lend to this reader → idempotent;
//! 5. else → `BookCopyReturnedByReader`.
//!
//! The handler ([`handler`]) retries only concurrency conflicts, with the Go
//! library defaults ([`RetryPolicy::go_default`]): 5 attempts, 10 ms base,
//! ×2, `+0–30 %` jitter. Read-side projections are in [`queries`].
//!
//! ```
//! # madsim::runtime::Runtime::new().block_on(async {
//! use dcb_sim::domain::library::{self, LibraryCommand};
//! use dcb_sim::handler::Outcome;
//! use dcb_sim::retry::{NoopObserver, RuntimeSleeper};
//! use dcb_sim::store::MemoryStore;
//! let handler = library::handler(MemoryStore::new(), RuntimeSleeper::new());
//! let mut rng = dcb_sim::rng::seeded(1);
//! let mut run = async |c: LibraryCommand| handler.handle(&c, &mut rng, &mut NoopObserver).await.outcome;
//! let lend = LibraryCommand::LendBookCopy { book: "b1".into(), reader: "r1".into() };
//! assert_eq!(
//!     run(lend.clone()).await,
//!     Outcome::Rejected { reason: "LendingBookToReaderFailed: reader is not currently registered".into() }
//! );
//! run(LibraryCommand::RegisterReader { reader: "r1".into(), name: "Ada".into() }).await;
//! run(LibraryCommand::AddBookCopy { book: "b1".into(), title: "Dune".into() }).await;
//! assert_eq!(run(lend.clone()).await, Outcome::Succeeded);
//! assert_eq!(run(lend).await, Outcome::Idempotent);
//! let lent = library::queries::books_lent_out(&handler.store().snapshot());
//! assert_eq!((lent[0].book.as_str(), lent[0].reader.as_str()), ("b1", "r1"));
//! # });
//! ```

mod commands;
mod decide;
mod events;
pub mod queries;
mod reasons;
#[cfg(test)]
pub(crate) mod test_events;

pub use commands::LibraryCommand;
pub use decide::{LibraryDecider, MAX_BOOKS_PER_READER};
pub use events::{LibraryEvent, LibraryEventRef, book_tag, reader_tag, types};
pub use reasons::FailureReason;
#[cfg(madsim)]
pub mod check;
#[cfg(madsim)]
mod workload;
#[cfg(madsim)]
pub use workload::LibraryWorkload;

use crate::handler::CommandHandler;
use crate::retry::{RetryPolicy, Sleeper};
use crate::store::EventStore;

/// The library handler with the Go retry defaults
/// ([`RetryPolicy::go_default`]: 5 attempts, 10 ms base, jitter 0.3).
pub fn handler<S: EventStore, Sl: Sleeper>(store: S, sleeper: Sl) -> CommandHandler<LibraryDecider, S, Sl> {
    CommandHandler::new(LibraryDecider, store, RetryPolicy::go_default(), sleeper)
}
