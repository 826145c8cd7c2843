//! Library events for unit tests, one builder per event type, so that the
//! tests of the decider, the read models and the mutation tests build their
//! logs the same way. A book copy added as `b` has the title `T<b>`.

use super::LibraryEvent;

/// `BookCopyAddedToCirculation` of `book`, titled `T<book>`.
pub(crate) fn added(book: &str) -> LibraryEvent {
    LibraryEvent::BookCopyAddedToCirculation { book: book.into(), title: format!("T{book}") }
}

/// `BookCopyRemovedFromCirculation` of `book`.
pub(crate) fn removed(book: &str) -> LibraryEvent {
    LibraryEvent::BookCopyRemovedFromCirculation { book: book.into() }
}

/// `BookCopyLentToReader`: `book` to `reader`.
pub(crate) fn lent(book: &str, reader: &str) -> LibraryEvent {
    LibraryEvent::BookCopyLentToReader { book: book.into(), reader: reader.into() }
}

/// `BookCopyReturnedByReader`: `book` by `reader`.
pub(crate) fn returned(book: &str, reader: &str) -> LibraryEvent {
    LibraryEvent::BookCopyReturnedByReader { book: book.into(), reader: reader.into() }
}

/// `ReaderRegistered`: `reader` under `name`.
pub(crate) fn registered(reader: &str, name: &str) -> LibraryEvent {
    LibraryEvent::ReaderRegistered { reader: reader.into(), name: name.into() }
}

/// `ReaderContractCanceled` of `reader`.
pub(crate) fn canceled(reader: &str) -> LibraryEvent {
    LibraryEvent::ReaderContractCanceled { reader: reader.into() }
}
