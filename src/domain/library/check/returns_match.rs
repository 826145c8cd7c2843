//! **library-returns-match** (library): every return ends an open loan of
//! that copy to that reader.
//!
//! Folds the final log in position order with its own model (not the
//! decider): each copy's current holder (set by `BookCopyLentToReader`,
//! cleared by a matching return). Each `BookCopyReturnedByReader` must find
//! the copy held by the returning reader; a return of a copy that is free
//! (never lent, or already returned: a duplicated return) or held by
//! someone else is a violation.
//!
//! Not verified: returns that were *rejected* (their `...Failed` events
//! are checked by `serializability`); whether the lend itself was legal
//! (the other library checkers). A lend over an open loan overwrites the
//! holder here (`library-copy-lent-once` reports that lend).

use std::collections::BTreeMap;

use crate::domain::library::LibraryEventRef;
use crate::sim::Violation;
use crate::store::{Position, SequencedEvent};

/// The invariant's name.
pub const NAME: &str = "library-returns-match";

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    // copy -> (holder, position of the lend)
    let mut holder: BTreeMap<&str, (&str, Position)> = BTreeMap::new();
    // copy -> (last returner, position of the return)
    let mut last_return: BTreeMap<&str, (&str, Position)> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(log) {
        match e {
            LibraryEventRef::BookCopyLentToReader { book, reader } => {
                holder.insert(book, (reader, position));
            }
            LibraryEventRef::BookCopyReturnedByReader { book, reader } => match holder.get(book).copied() {
                Some((h, _)) if h == reader => {
                    holder.remove(book);
                    last_return.insert(book, (reader, position));
                }
                Some((h, since)) => out.push(Violation::safety(
                    NAME,
                    None,
                    format!("position {position}: reader {reader} returned copy {book}, which is lent to reader {h} (since position {since})"),
                )),
                None => {
                    let detail = match last_return.get(book) {
                        Some((r, at)) if *r == reader => {
                            format!("position {position}: reader {reader} returned copy {book} again; it was already returned at position {at}")
                        }
                        Some((_, at)) => format!("position {position}: reader {reader} returned copy {book}, which is not lent (last returned at position {at})"),
                        None => format!("position {position}: reader {reader} returned copy {book}, which was never lent"),
                    };
                    out.push(Violation::safety(NAME, None, detail));
                }
            },
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
    fn lent(r: &str) -> LibraryEvent {
        LibraryEvent::BookCopyLentToReader { book: "b1".into(), reader: r.into() }
    }
    fn returned(r: &str) -> LibraryEvent {
        LibraryEvent::BookCopyReturnedByReader { book: "b1".into(), reader: r.into() }
    }

    #[test]
    fn matched_returns_are_fine() {
        assert!(run(vec![lent("r1"), returned("r1"), lent("r2"), returned("r2")]).is_empty());
    }

    #[test]
    fn unmatched_returns_are_caught() {
        let never = run(vec![returned("r1")]);
        assert!(never.len() == 1 && never[0].invariant() == NAME && never[0].to_string().contains("never lent"), "{never:?}");
        let twice = run(vec![lent("r1"), returned("r1"), returned("r1")]);
        assert!(twice.len() == 1 && twice[0].to_string().contains("again"), "{twice:?}");
        let other = run(vec![lent("r1"), returned("r2")]);
        assert!(other.len() == 1 && other[0].to_string().contains("lent to reader r1"), "{other:?}");
    }
}
