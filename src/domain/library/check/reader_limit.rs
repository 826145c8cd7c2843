//! **library-reader-limit** (library): no reader ever holds more than
//! [`MAX_BOOKS_PER_READER`] (10) copies.
//!
//! Folds the final log in position order with its own model (not the
//! decider): each reader holds a set of copies; `BookCopyLentToReader`
//! adds the copy to the reader's set, `BookCopyReturnedByReader` by that
//! reader removes it. After each lend the set may hold at most 10 copies.
//!
//! Not verified: a copy lent twice to the same reader counts once here
//! (`library-copy-lent-once` reports that); whether the lend was allowed for
//! other reasons (circulation, registration: the other library checkers and
//! `serializability`).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::library::{LibraryEventRef, MAX_BOOKS_PER_READER};
use crate::sim::Violation;
use crate::store::SequencedEvent;

/// The invariant's name.
pub const NAME: &str = "library-reader-limit";

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut held: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(log) {
        match e {
            LibraryEventRef::BookCopyLentToReader { book, reader } => {
                let books = held.entry(reader).or_default();
                books.insert(book);
                if books.len() > MAX_BOOKS_PER_READER as usize {
                    out.push(Violation::safety(
                        NAME,
                        None,
                        format!(
                            "position {position}: lending copy {book} gives reader {reader} {} copies, above the limit {MAX_BOOKS_PER_READER}",
                            books.len()
                        ),
                    ));
                }
            }
            LibraryEventRef::BookCopyReturnedByReader { book, reader } => {
                if let Some(books) = held.get_mut(reader) {
                    books.remove(book);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::LibraryEvent;

    fn run(events: Vec<LibraryEvent>) -> Vec<Violation> {
        crate::domain::library::check::check_events(check, events)
    }
    fn lend(b: u32, r: &str) -> LibraryEvent {
        LibraryEvent::BookCopyLentToReader { book: format!("b{b}"), reader: r.into() }
    }

    #[test]
    fn ten_copies_are_fine_the_eleventh_is_caught() {
        let ten: Vec<_> = (1..=10).map(|b| lend(b, "r1")).collect();
        assert!(run(ten.clone()).is_empty());
        let mut eleven = ten;
        eleven.push(lend(11, "r1"));
        let v = run(eleven);
        assert!(v.len() == 1 && v[0].invariant() == NAME && v[0].to_string().contains("11 copies"), "{v:?}");
    }

    #[test]
    fn returns_make_room_and_other_readers_count_separately() {
        let mut events: Vec<_> = (1..=10).map(|b| lend(b, "r1")).collect();
        events.push(LibraryEvent::BookCopyReturnedByReader { book: "b3".into(), reader: "r1".into() });
        events.push(lend(11, "r1"));
        events.push(lend(12, "r2"));
        assert!(run(events).is_empty());
    }
}
