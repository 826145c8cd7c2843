//! Read-side projections of the library (the Go example's query handlers).
//!
//! Each projection is a pure function over any slice of stored events (the
//! query's matches, or the whole log: it skips events it does not use), plus
//! an async helper that reads its query through any [`EventStore`] and
//! returns a [`Projection`] with the last position read (the Go
//! `SequenceNumber`).
//!
//! Positions stand in for the Go timestamps (`AddedAt`, `LentAt`,
//! `RegisteredAt`): lists are sorted by them, oldest first, so the order is
//! total and deterministic.
//!
//! | projection | query | rules |
//! |---|---|---|
//! | [`books_in_circulation`] | types {Added, Removed, Lent, Returned} | added → present (a second add of a present copy is ignored); removed → gone; lent/returned set `is_currently_lent` of a present copy |
//! | [`books_lent_by_reader`] | types {Lent, Returned} ∧ `reader:<id>` | lent to the reader → present; returned by the reader → gone |
//! | [`books_lent_out`] | types {Lent, Returned} | lent → present (keyed by book); returned → gone |
//! | [`registered_readers`] | types {Registered, Canceled} | registered → present (a re-registration overwrites); canceled → gone |

use std::collections::BTreeMap;

use crate::store::{EventStore, Position, Query, QueryItem, ReadOptions, SequencedEvent, StoreError};

use super::events::{LibraryEventRef, reader_tag, types::*};

/// A projection's result: its items and the last position read (`None` when
/// nothing matched).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Projection<T> {
    /// The items, oldest first.
    pub items: Vec<T>,
    /// The last position among the events read.
    pub position: Option<Position>,
}

/// A book copy in circulation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BookInCirculation {
    /// Book copy id.
    pub book: String,
    /// Its title.
    pub title: String,
    /// Position of the event that added it (of the latest add after a removal).
    pub added_at: Position,
    /// Whether it is lent right now.
    pub is_currently_lent: bool,
}

/// A book copy a given reader holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LentBook {
    /// Book copy id.
    pub book: String,
    /// Position of the lend.
    pub lent_at: Position,
}

/// A current loan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lending {
    /// Book copy id.
    pub book: String,
    /// Reader id.
    pub reader: String,
    /// Position of the lend.
    pub lent_at: Position,
}

/// A registered reader.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegisteredReader {
    /// Reader id.
    pub reader: String,
    /// Their name.
    pub name: String,
    /// Position of the (latest) registration.
    pub registered_at: Position,
}

fn types_query(types: &[&str]) -> Query {
    Query::from_item(QueryItem::new().types(types.iter().copied())).expect("projection queries have types")
}

/// Sorts by `key` (positions, unique in a log), keeping id order on ties.
fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> Position) -> Vec<T> {
    items.sort_by_key(|t| key(t));
    items
}

/// The query of [`books_in_circulation`].
pub fn books_in_circulation_query() -> Query {
    types_query(&[BOOK_ADDED, BOOK_REMOVED, BOOK_LENT, BOOK_RETURNED])
}

/// Book copies in circulation, oldest add first.
pub fn books_in_circulation(events: &[SequencedEvent]) -> Vec<BookInCirculation> {
    let mut books: BTreeMap<&str, (&str, Position, bool)> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(events) {
        match e {
            LibraryEventRef::BookCopyAddedToCirculation { book, title } => {
                books.entry(book).or_insert((title, position, false));
            }
            LibraryEventRef::BookCopyRemovedFromCirculation { book } => {
                books.remove(book);
            }
            LibraryEventRef::BookCopyLentToReader { book, .. } | LibraryEventRef::BookCopyReturnedByReader { book, .. } => {
                if let Some(entry) = books.get_mut(book) {
                    entry.2 = matches!(e, LibraryEventRef::BookCopyLentToReader { .. });
                }
            }
            _ => {}
        }
    }
    let items = books
        .into_iter()
        .map(|(book, (title, added_at, lent))| BookInCirculation {
            book: book.to_string(),
            title: title.to_string(),
            added_at,
            is_currently_lent: lent,
        })
        .collect();
    sorted(items, |b| b.added_at)
}

/// The query of [`books_lent_by_reader`].
pub fn books_lent_by_reader_query(reader: &str) -> Query {
    Query::from_item(QueryItem::new().types([BOOK_LENT, BOOK_RETURNED]).tags([reader_tag(reader)]))
        .expect("projection queries have types and a non-empty tag")
}

/// The copies `reader` holds, oldest lend first.
pub fn books_lent_by_reader(events: &[SequencedEvent], reader: &str) -> Vec<LentBook> {
    let mut books: BTreeMap<&str, Position> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(events) {
        match e {
            LibraryEventRef::BookCopyLentToReader { book, reader: r } if r == reader => {
                books.insert(book, position);
            }
            LibraryEventRef::BookCopyReturnedByReader { book, reader: r } if r == reader => {
                books.remove(book);
            }
            _ => {}
        }
    }
    let items = books.into_iter().map(|(book, lent_at)| LentBook { book: book.to_string(), lent_at }).collect();
    sorted(items, |b| b.lent_at)
}

/// The query of [`books_lent_out`].
pub fn books_lent_out_query() -> Query {
    types_query(&[BOOK_LENT, BOOK_RETURNED])
}

/// Every current loan, oldest lend first (keyed by book: a return removes
/// the copy's loan whoever returns it, as in Go).
pub fn books_lent_out(events: &[SequencedEvent]) -> Vec<Lending> {
    let mut loans: BTreeMap<&str, (&str, Position)> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(events) {
        match e {
            LibraryEventRef::BookCopyLentToReader { book, reader } => {
                loans.insert(book, (reader, position));
            }
            LibraryEventRef::BookCopyReturnedByReader { book, .. } => {
                loans.remove(book);
            }
            _ => {}
        }
    }
    let items = loans
        .into_iter()
        .map(|(book, (reader, lent_at))| Lending { book: book.to_string(), reader: reader.to_string(), lent_at })
        .collect();
    sorted(items, |l| l.lent_at)
}

/// The query of [`registered_readers`].
pub fn registered_readers_query() -> Query {
    types_query(&[READER_REGISTERED, READER_CANCELED])
}

/// Readers currently registered, oldest registration first.
pub fn registered_readers(events: &[SequencedEvent]) -> Vec<RegisteredReader> {
    let mut readers: BTreeMap<&str, (&str, Position)> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(events) {
        match e {
            LibraryEventRef::ReaderRegistered { reader, name } => {
                readers.insert(reader, (name, position));
            }
            LibraryEventRef::ReaderContractCanceled { reader } => {
                readers.remove(reader);
            }
            _ => {}
        }
    }
    let items = readers
        .into_iter()
        .map(|(reader, (name, registered_at))| RegisteredReader {
            reader: reader.to_string(),
            name: name.to_string(),
            registered_at,
        })
        .collect();
    sorted(items, |r| r.registered_at)
}

async fn project<S: EventStore, T>(
    store: &S,
    query: &Query,
    fold: impl FnOnce(&[SequencedEvent]) -> Vec<T>,
) -> Result<Projection<T>, StoreError> {
    let events = store.read(query, ReadOptions::default()).await?;
    Ok(Projection { position: events.last().map(|e| e.position), items: fold(&events) })
}

/// Reads [`books_in_circulation`] from `store`.
///
/// # Errors
/// The store's read error.
pub async fn read_books_in_circulation<S: EventStore>(store: &S) -> Result<Projection<BookInCirculation>, StoreError> {
    project(store, &books_in_circulation_query(), books_in_circulation).await
}

/// Reads [`books_lent_by_reader`] from `store`.
///
/// # Errors
/// The store's read error.
pub async fn read_books_lent_by_reader<S: EventStore>(store: &S, reader: &str) -> Result<Projection<LentBook>, StoreError> {
    project(store, &books_lent_by_reader_query(reader), |events| books_lent_by_reader(events, reader)).await
}

/// Reads [`books_lent_out`] from `store`.
///
/// # Errors
/// The store's read error.
pub async fn read_books_lent_out<S: EventStore>(store: &S) -> Result<Projection<Lending>, StoreError> {
    project(store, &books_lent_out_query(), books_lent_out).await
}

/// Reads [`registered_readers`] from `store`.
///
/// # Errors
/// The store's read error.
pub async fn read_registered_readers<S: EventStore>(store: &S) -> Result<Projection<RegisteredReader>, StoreError> {
    project(store, &registered_readers_query(), registered_readers).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::test_events::{added, canceled, lent, registered, removed, returned};
    use crate::domain::library::{FailureReason, LibraryEvent};
    use crate::store::{Event, MemoryStore};

    fn log(events: Vec<LibraryEvent>) -> Vec<SequencedEvent> {
        let mut out: Vec<SequencedEvent> = vec![SequencedEvent {
            position: 1,
            event: std::sync::Arc::new(Event::new("CourseCreated", ["course:c1"], "3").unwrap()),
        }];
        for e in events {
            out.push(SequencedEvent::new(out.len() as u64 + 1, e.to_event()));
        }
        out
    }

    fn sample() -> Vec<SequencedEvent> {
        // Position 1 is a foreign event; library events start at 2.
        log(vec![
            added("z"),                  // 2
            added("a"),                  // 3
            registered("r1", "Ada"),     // 4
            registered("r2", "Bob"),     // 5
            lent("z", "r1"),             // 6
            lent("a", "r2"),             // 7
            returned("a", "r2"),         // 8
            added("a"),                  // 9: ignored, present already
            added("m"),                  // 10
            removed("m"),                // 11
            added("m"),                  // 12: re-added
            lent("a", "r1"),             // 13
            canceled("r2"),              // 14
            registered("r3", "Cy"),      // 15
            registered("r2", "Bobby"),   // 16: re-registered
            LibraryEvent::LendingBookToReaderFailed {
                book: "a".into(),
                reader: "r3".into(),
                reason: FailureReason::BookAlreadyLent,
            }, // 17: ignored
        ])
    }

    #[test]
    fn books_in_circulation_follows_adds_removals_and_loans() {
        let books = books_in_circulation(&sample());
        let got: Vec<_> = books.iter().map(|b| (b.book.as_str(), b.title.as_str(), b.added_at, b.is_currently_lent)).collect();
        assert_eq!(got, [("z", "Tz", 2, true), ("a", "Ta", 3, true), ("m", "Tm", 12, false)]);
    }

    #[test]
    fn books_lent_by_reader_lists_that_readers_open_loans() {
        let events = sample();
        let got: Vec<_> = books_lent_by_reader(&events, "r1").into_iter().map(|b| (b.book, b.lent_at)).collect();
        assert_eq!(got, [("z".to_string(), 6), ("a".to_string(), 13)]);
        assert!(books_lent_by_reader(&events, "r2").is_empty());
        assert!(books_lent_by_reader(&events, "nobody").is_empty());
    }

    /// Given the whole log (not only its query's matches), the projection
    /// still counts only the reader's own events: another reader's return of
    /// the same copy does not end this reader's loan, and another reader's
    /// loan is not this reader's.
    #[test]
    fn books_lent_by_reader_ignores_other_readers_loans_and_returns() {
        let events = log(vec![added("a"), added("b"), lent("a", "r1"), returned("a", "r2"), lent("b", "r2")]);
        let got: Vec<_> = books_lent_by_reader(&events, "r1").into_iter().map(|b| (b.book, b.lent_at)).collect();
        assert_eq!(got, [("a".to_string(), 4)]);
    }

    /// A return ends the copy's loan, whoever returns it (as in Go); a copy
    /// lent again after its return is out again.
    #[test]
    fn books_lent_out_drops_returned_copies() {
        let returned_by_holder = log(vec![added("a"), lent("a", "r1"), returned("a", "r1")]);
        assert!(books_lent_out(&returned_by_holder).is_empty());
        let returned_by_another = log(vec![added("a"), added("b"), lent("a", "r1"), lent("b", "r1"), returned("a", "r2")]);
        let got: Vec<_> = books_lent_out(&returned_by_another).into_iter().map(|l| (l.book, l.reader, l.lent_at)).collect();
        assert_eq!(got, [("b".into(), "r1".into(), 5)]);
    }

    #[test]
    fn books_lent_out_lists_every_open_loan() {
        let got: Vec<_> = books_lent_out(&sample()).into_iter().map(|l| (l.book, l.reader, l.lent_at)).collect();
        assert_eq!(got, [("z".into(), "r1".into(), 6), ("a".into(), "r1".into(), 13)]);
    }

    /// A canceled contract removes the reader (the sample re-registers its
    /// canceled reader, which would hide a cancellation that did nothing).
    #[test]
    fn registered_readers_drops_a_canceled_reader() {
        let got: Vec<_> = registered_readers(&log(vec![registered("r1", "Ada"), registered("r2", "Bob"), canceled("r1")])).into_iter().map(|r| r.reader).collect();
        assert_eq!(got, ["r2"]);
    }

    #[test]
    fn registered_readers_drops_canceled_and_overwrites_re_registered() {
        let got: Vec<_> = registered_readers(&sample()).into_iter().map(|r| (r.reader, r.name, r.registered_at)).collect();
        assert_eq!(got, [("r1".into(), "Ada".into(), 4), ("r3".into(), "Cy".into(), 15), ("r2".into(), "Bobby".into(), 16)]);
    }

    #[test]
    fn empty_logs_give_empty_projections() {
        assert!(books_in_circulation(&[]).is_empty());
        assert!(books_lent_out(&[]).is_empty());
        assert!(registered_readers(&[]).is_empty());
        assert!(books_lent_by_reader(&[], "r1").is_empty());
    }

    #[test]
    fn store_helpers_read_their_query_and_report_the_last_position() {
        madsim::runtime::Runtime::new().block_on(async {
            let store = MemoryStore::new();
            let events = sample();
            for e in &events {
                store.append(vec![(*e.event).clone()], None).await.unwrap();
            }
            let books = read_books_in_circulation(&store).await.unwrap();
            assert_eq!(books.items, books_in_circulation(&events));
            assert_eq!(books.position, Some(13));
            let by_r1 = read_books_lent_by_reader(&store, "r1").await.unwrap();
            assert_eq!(by_r1.items, books_lent_by_reader(&events, "r1"));
            assert_eq!(by_r1.position, Some(13));
            let by_r3 = read_books_lent_by_reader(&store, "r3").await.unwrap();
            assert_eq!((by_r3.items.len(), by_r3.position), (0, None));
            let out = read_books_lent_out(&store).await.unwrap();
            assert_eq!((out.items, out.position), (books_lent_out(&events), Some(13)));
            let readers = read_registered_readers(&store).await.unwrap();
            assert_eq!((readers.items, readers.position), (registered_readers(&events), Some(16)));
        });
    }
}
