//! Library events and their DCB encoding (type, tags, data).
//!
//! The ten event types of the Go example. Ids live in tags (`book:<id>`,
//! `reader:<id>`), where the Go example matched payload keys (`BookID`,
//! `ReaderID`). The payload is plain text and carries only what an event
//! adds beyond its ids:
//!
//! | event type | tags | data |
//! |---|---|---|
//! | `BookCopyAddedToCirculation` | book | title |
//! | `BookCopyRemovedFromCirculation` | book | empty |
//! | `BookCopyLentToReader` | book, reader | empty |
//! | `BookCopyReturnedByReader` | book, reader | empty |
//! | `ReaderRegistered` | reader | name |
//! | `ReaderContractCanceled` | reader | empty |
//! | `LendingBookToReaderFailed` | book, reader | failure reason |
//! | `ReturningBookFromReaderFailed` | book, reader | failure reason |
//! | `RemovingBookFromCirculationFailed` | book | failure reason |
//! | `CancelingReaderContractFailed` | reader | failure reason |
//!
//! Decisions and projections decode through [`LibraryEventRef`], which
//! borrows ids and text from the stored event and allocates nothing;
//! [`LibraryEvent`] is its owned form.

use crate::store::{Event, Position, SequencedEvent};

use super::reasons::FailureReason;

const BOOK_PREFIX: &str = "book:";
const READER_PREFIX: &str = "reader:";

/// The tag of a book copy: `book:<id>`.
pub fn book_tag(book: &str) -> String {
    [BOOK_PREFIX, book].concat()
}

/// The tag of a reader: `reader:<id>`.
pub fn reader_tag(reader: &str) -> String {
    [READER_PREFIX, reader].concat()
}

/// Event type names (the Go example's).
pub mod types {
    /// A copy was added to circulation.
    pub const BOOK_ADDED: &str = "BookCopyAddedToCirculation";
    /// A copy was removed from circulation.
    pub const BOOK_REMOVED: &str = "BookCopyRemovedFromCirculation";
    /// A copy was lent to a reader.
    pub const BOOK_LENT: &str = "BookCopyLentToReader";
    /// A reader returned a copy.
    pub const BOOK_RETURNED: &str = "BookCopyReturnedByReader";
    /// A reader registered.
    pub const READER_REGISTERED: &str = "ReaderRegistered";
    /// A reader's contract was canceled.
    pub const READER_CANCELED: &str = "ReaderContractCanceled";
    /// A lend was rejected.
    pub const LENDING_FAILED: &str = "LendingBookToReaderFailed";
    /// A return was rejected.
    pub const RETURNING_FAILED: &str = "ReturningBookFromReaderFailed";
    /// A removal was rejected.
    pub const REMOVING_FAILED: &str = "RemovingBookFromCirculationFailed";
    /// A cancellation was rejected.
    pub const CANCELING_FAILED: &str = "CancelingReaderContractFailed";

    /// Every type, facts first, then the four `...Failed` types.
    pub const ALL: [&str; 10] = [
        BOOK_ADDED,
        BOOK_REMOVED,
        BOOK_LENT,
        BOOK_RETURNED,
        READER_REGISTERED,
        READER_CANCELED,
        LENDING_FAILED,
        RETURNING_FAILED,
        REMOVING_FAILED,
        CANCELING_FAILED,
    ];
}

/// A library event (owned).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LibraryEvent {
    /// A copy was added to circulation.
    BookCopyAddedToCirculation {
        /// Book copy id.
        book: String,
        /// Its title.
        title: String,
    },
    /// A copy was removed from circulation.
    BookCopyRemovedFromCirculation {
        /// Book copy id.
        book: String,
    },
    /// A copy was lent to a reader.
    BookCopyLentToReader {
        /// Book copy id.
        book: String,
        /// Reader id.
        reader: String,
    },
    /// A reader returned a copy.
    BookCopyReturnedByReader {
        /// Book copy id.
        book: String,
        /// Reader id.
        reader: String,
    },
    /// A reader registered.
    ReaderRegistered {
        /// Reader id.
        reader: String,
        /// Their name.
        name: String,
    },
    /// A reader's contract was canceled.
    ReaderContractCanceled {
        /// Reader id.
        reader: String,
    },
    /// A lend was rejected.
    LendingBookToReaderFailed {
        /// Book copy id.
        book: String,
        /// Reader id.
        reader: String,
        /// Why.
        reason: FailureReason,
    },
    /// A return was rejected.
    ReturningBookFromReaderFailed {
        /// Book copy id.
        book: String,
        /// Reader id.
        reader: String,
        /// Why.
        reason: FailureReason,
    },
    /// A removal was rejected.
    RemovingBookFromCirculationFailed {
        /// Book copy id.
        book: String,
        /// Why.
        reason: FailureReason,
    },
    /// A cancellation was rejected.
    CancelingReaderContractFailed {
        /// Reader id.
        reader: String,
        /// Why.
        reason: FailureReason,
    },
}

/// A library event borrowed from a stored [`Event`] (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LibraryEventRef<'a> {
    /// See [`LibraryEvent::BookCopyAddedToCirculation`].
    BookCopyAddedToCirculation {
        /// Book copy id.
        book: &'a str,
        /// Its title.
        title: &'a str,
    },
    /// See [`LibraryEvent::BookCopyRemovedFromCirculation`].
    BookCopyRemovedFromCirculation {
        /// Book copy id.
        book: &'a str,
    },
    /// See [`LibraryEvent::BookCopyLentToReader`].
    BookCopyLentToReader {
        /// Book copy id.
        book: &'a str,
        /// Reader id.
        reader: &'a str,
    },
    /// See [`LibraryEvent::BookCopyReturnedByReader`].
    BookCopyReturnedByReader {
        /// Book copy id.
        book: &'a str,
        /// Reader id.
        reader: &'a str,
    },
    /// See [`LibraryEvent::ReaderRegistered`].
    ReaderRegistered {
        /// Reader id.
        reader: &'a str,
        /// Their name.
        name: &'a str,
    },
    /// See [`LibraryEvent::ReaderContractCanceled`].
    ReaderContractCanceled {
        /// Reader id.
        reader: &'a str,
    },
    /// See [`LibraryEvent::LendingBookToReaderFailed`].
    LendingBookToReaderFailed {
        /// Book copy id.
        book: &'a str,
        /// Reader id.
        reader: &'a str,
        /// Why.
        reason: FailureReason,
    },
    /// See [`LibraryEvent::ReturningBookFromReaderFailed`].
    ReturningBookFromReaderFailed {
        /// Book copy id.
        book: &'a str,
        /// Reader id.
        reader: &'a str,
        /// Why.
        reason: FailureReason,
    },
    /// See [`LibraryEvent::RemovingBookFromCirculationFailed`].
    RemovingBookFromCirculationFailed {
        /// Book copy id.
        book: &'a str,
        /// Why.
        reason: FailureReason,
    },
    /// See [`LibraryEvent::CancelingReaderContractFailed`].
    CancelingReaderContractFailed {
        /// Reader id.
        reader: &'a str,
        /// Why.
        reason: FailureReason,
    },
}

/// The book and reader ids among `e`'s tags (the first of each kind).
fn ids(e: &Event) -> (Option<&str>, Option<&str>) {
    let (mut book, mut reader) = (None, None);
    for tag in &e.tags {
        let t = tag.as_str();
        if let Some(id) = t.strip_prefix(BOOK_PREFIX) {
            book.get_or_insert(id);
        } else if let Some(id) = t.strip_prefix(READER_PREFIX) {
            reader.get_or_insert(id);
        }
    }
    (book, reader)
}

impl<'a> LibraryEventRef<'a> {
    /// Decodes a stored event; `None` for events of other domains, a
    /// missing id tag, or an unknown failure reason.
    pub fn from_event(e: &'a Event) -> Option<Self> {
        use LibraryEventRef as R;
        let (book, reader) = ids(e);
        let reason = || FailureReason::from_text(&e.data);
        Some(match e.event_type.as_str() {
            types::BOOK_ADDED => R::BookCopyAddedToCirculation { book: book?, title: &e.data },
            types::BOOK_REMOVED => R::BookCopyRemovedFromCirculation { book: book? },
            types::BOOK_LENT => R::BookCopyLentToReader { book: book?, reader: reader? },
            types::BOOK_RETURNED => R::BookCopyReturnedByReader { book: book?, reader: reader? },
            types::READER_REGISTERED => R::ReaderRegistered { reader: reader?, name: &e.data },
            types::READER_CANCELED => R::ReaderContractCanceled { reader: reader? },
            types::LENDING_FAILED => R::LendingBookToReaderFailed { book: book?, reader: reader?, reason: reason()? },
            types::RETURNING_FAILED => R::ReturningBookFromReaderFailed { book: book?, reader: reader?, reason: reason()? },
            types::REMOVING_FAILED => R::RemovingBookFromCirculationFailed { book: book?, reason: reason()? },
            types::CANCELING_FAILED => R::CancelingReaderContractFailed { reader: reader?, reason: reason()? },
            _ => return None,
        })
    }

    /// Decodes every library event of `events` with its position, skipping
    /// others.
    pub fn decode_all(events: &'a [SequencedEvent]) -> impl Iterator<Item = (Position, LibraryEventRef<'a>)> + 'a {
        events.iter().filter_map(|e| Some((e.position, Self::from_event(&e.event)?)))
    }

    /// The owned form.
    pub fn into_owned(self) -> LibraryEvent {
        use LibraryEvent as E;
        use LibraryEventRef as R;
        let s = str::to_string;
        match self {
            R::BookCopyAddedToCirculation { book, title } => E::BookCopyAddedToCirculation { book: s(book), title: s(title) },
            R::BookCopyRemovedFromCirculation { book } => E::BookCopyRemovedFromCirculation { book: s(book) },
            R::BookCopyLentToReader { book, reader } => E::BookCopyLentToReader { book: s(book), reader: s(reader) },
            R::BookCopyReturnedByReader { book, reader } => E::BookCopyReturnedByReader { book: s(book), reader: s(reader) },
            R::ReaderRegistered { reader, name } => E::ReaderRegistered { reader: s(reader), name: s(name) },
            R::ReaderContractCanceled { reader } => E::ReaderContractCanceled { reader: s(reader) },
            R::LendingBookToReaderFailed { book, reader, reason } => {
                E::LendingBookToReaderFailed { book: s(book), reader: s(reader), reason }
            }
            R::ReturningBookFromReaderFailed { book, reader, reason } => {
                E::ReturningBookFromReaderFailed { book: s(book), reader: s(reader), reason }
            }
            R::RemovingBookFromCirculationFailed { book, reason } => E::RemovingBookFromCirculationFailed { book: s(book), reason },
            R::CancelingReaderContractFailed { reader, reason } => E::CancelingReaderContractFailed { reader: s(reader), reason },
        }
    }
}

impl LibraryEvent {
    /// The event type name.
    pub fn event_type(&self) -> &'static str {
        match self {
            LibraryEvent::BookCopyAddedToCirculation { .. } => types::BOOK_ADDED,
            LibraryEvent::BookCopyRemovedFromCirculation { .. } => types::BOOK_REMOVED,
            LibraryEvent::BookCopyLentToReader { .. } => types::BOOK_LENT,
            LibraryEvent::BookCopyReturnedByReader { .. } => types::BOOK_RETURNED,
            LibraryEvent::ReaderRegistered { .. } => types::READER_REGISTERED,
            LibraryEvent::ReaderContractCanceled { .. } => types::READER_CANCELED,
            LibraryEvent::LendingBookToReaderFailed { .. } => types::LENDING_FAILED,
            LibraryEvent::ReturningBookFromReaderFailed { .. } => types::RETURNING_FAILED,
            LibraryEvent::RemovingBookFromCirculationFailed { .. } => types::REMOVING_FAILED,
            LibraryEvent::CancelingReaderContractFailed { .. } => types::CANCELING_FAILED,
        }
    }

    /// The failure reason of a `...Failed` event (`None` for the others).
    pub fn failure_reason(&self) -> Option<FailureReason> {
        match self {
            LibraryEvent::LendingBookToReaderFailed { reason, .. }
            | LibraryEvent::ReturningBookFromReaderFailed { reason, .. }
            | LibraryEvent::RemovingBookFromCirculationFailed { reason, .. }
            | LibraryEvent::CancelingReaderContractFailed { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The business error a `...Failed` event stands for,
    /// `"<FailedEventType>: <reason>"` (e.g.
    /// `LendingBookToReaderFailed: book is already lent`); `None` for the
    /// other events.
    pub fn business_error(&self) -> Option<String> {
        self.failure_reason().map(|r| format!("{}: {}", self.event_type(), r.as_str()))
    }

    /// Encodes the event for the store.
    pub fn to_event(&self) -> Event {
        use LibraryEvent as E;
        let (tags, data): (Vec<String>, &str) = match self {
            E::BookCopyAddedToCirculation { book, title } => (vec![book_tag(book)], title),
            E::BookCopyRemovedFromCirculation { book } => (vec![book_tag(book)], ""),
            E::BookCopyLentToReader { book, reader } | E::BookCopyReturnedByReader { book, reader } => {
                (vec![book_tag(book), reader_tag(reader)], "")
            }
            E::ReaderRegistered { reader, name } => (vec![reader_tag(reader)], name),
            E::ReaderContractCanceled { reader } => (vec![reader_tag(reader)], ""),
            E::LendingBookToReaderFailed { book, reader, reason } | E::ReturningBookFromReaderFailed { book, reader, reason } => {
                (vec![book_tag(book), reader_tag(reader)], reason.as_str())
            }
            E::RemovingBookFromCirculationFailed { book, reason } => (vec![book_tag(book)], reason.as_str()),
            E::CancelingReaderContractFailed { reader, reason } => (vec![reader_tag(reader)], reason.as_str()),
        };
        Event::new(self.event_type(), tags, data).expect("library tags carry a prefix, so they are never empty")
    }

    /// Decodes a stored event; `None` as for [`LibraryEventRef::from_event`].
    pub fn from_event(e: &Event) -> Option<Self> {
        LibraryEventRef::from_event(e).map(LibraryEventRef::into_owned)
    }

    /// Decodes every library event of `events` with its position, skipping
    /// others.
    pub fn decode_all(events: &[SequencedEvent]) -> impl Iterator<Item = (Position, LibraryEvent)> + '_ {
        LibraryEventRef::decode_all(events).map(|(p, e)| (p, e.into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<LibraryEvent> {
        let (b, r) = (|| "b1".to_string(), || "r1".to_string());
        vec![
            LibraryEvent::BookCopyAddedToCirculation { book: b(), title: "Dune: Part 1".into() },
            LibraryEvent::BookCopyRemovedFromCirculation { book: b() },
            LibraryEvent::BookCopyLentToReader { book: b(), reader: r() },
            LibraryEvent::BookCopyReturnedByReader { book: b(), reader: r() },
            LibraryEvent::ReaderRegistered { reader: r(), name: "Ada".into() },
            LibraryEvent::ReaderContractCanceled { reader: r() },
            LibraryEvent::LendingBookToReaderFailed { book: b(), reader: r(), reason: FailureReason::BookAlreadyLent },
            LibraryEvent::ReturningBookFromReaderFailed { book: b(), reader: r(), reason: FailureReason::BookNotLentToThisReader },
            LibraryEvent::RemovingBookFromCirculationFailed { book: b(), reason: FailureReason::BookIsCurrentlyLent },
            LibraryEvent::CancelingReaderContractFailed { reader: r(), reason: FailureReason::ReaderHasOutstandingLoans },
        ]
    }

    #[test]
    fn every_event_type_round_trips() {
        let events = samples();
        let types: Vec<_> = events.iter().map(LibraryEvent::event_type).collect();
        assert_eq!(types, types::ALL);
        for e in events {
            let stored = e.to_event();
            assert_eq!(stored.event_type, e.event_type());
            assert_eq!(LibraryEvent::from_event(&stored), Some(e));
        }
    }

    #[test]
    fn ids_become_tags_and_payloads_stay_minimal() {
        let lent = LibraryEvent::BookCopyLentToReader { book: "b1".into(), reader: "r1".into() }.to_event();
        assert!(lent.has_tag("book:b1") && lent.has_tag("reader:r1"));
        assert_eq!(lent.tags.len(), 2);
        assert_eq!(lent.data, "");
        let added = LibraryEvent::BookCopyAddedToCirculation { book: "b1".into(), title: "T".into() }.to_event();
        assert_eq!((added.tags.len(), added.data.as_str()), (1, "T"));
        let failed =
            LibraryEvent::LendingBookToReaderFailed { book: "b1".into(), reader: "r1".into(), reason: FailureReason::BookAlreadyLent };
        assert_eq!(failed.to_event().data, "book is already lent");
        assert_eq!(failed.business_error().as_deref(), Some("LendingBookToReaderFailed: book is already lent"));
        assert_eq!(LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() }.business_error(), None);
    }

    #[test]
    fn ids_may_contain_the_other_prefix_or_colons() {
        let e = LibraryEvent::BookCopyLentToReader { book: "reader:x".into(), reader: "a:b".into() };
        assert_eq!(LibraryEvent::from_event(&e.to_event()), Some(e));
    }

    #[test]
    fn foreign_or_malformed_events_decode_to_none() {
        let foreign = Event::new("CourseCreated", ["course:c1"], "3").unwrap();
        assert_eq!(LibraryEvent::from_event(&foreign), None);
        let no_reader = Event::new(types::BOOK_LENT, ["book:b1"], "").unwrap();
        assert_eq!(LibraryEvent::from_event(&no_reader), None);
        let bad_reason = Event::new(types::LENDING_FAILED, ["book:b1", "reader:r1"], "nope").unwrap();
        assert_eq!(LibraryEvent::from_event(&bad_reason), None);
    }

    #[test]
    fn decode_all_keeps_positions_and_skips_foreign_events() {
        let events = vec![
            SequencedEvent::new(1, Event::new("CourseCreated", ["course:c1"], "3").unwrap()),
            SequencedEvent::new(2, LibraryEvent::BookCopyRemovedFromCirculation { book: "b".into() }.to_event()),
        ];
        let decoded: Vec<_> = LibraryEvent::decode_all(&events).collect();
        assert_eq!(decoded, vec![(2, LibraryEvent::BookCopyRemovedFromCirculation { book: "b".into() })]);
    }
}
