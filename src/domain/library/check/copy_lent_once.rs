//! **library-copy-lent-once** (library): no book copy is lent to two
//! readers at once.
//!
//! Folds the final log in position order with its own model (not the
//! decider): each copy has at most one holder; `BookCopyLentToReader` makes
//! the reader its holder, `BookCopyReturnedByReader` by that holder ends the
//! loan. A lend while the copy already has a holder is a violation: to
//! another reader (two readers hold it), or again to the same reader
//! without a return in between (a duplicated effect, e.g. a retried lend
//! that did not see its own first write).
//!
//! Not verified: that the copy was in circulation (`library-removed-not-lent`),
//! that the reader was registered (`library-cancelled-holds-none`), that a
//! return matched a loan (`library-returns-match`; a return that does not
//! match leaves this model's holder unchanged), or that `...Failed` events
//! carry the right reason (`serializability` re-runs every decision).

use std::collections::BTreeMap;

use crate::domain::library::LibraryEventRef;
use crate::sim::Violation;
use crate::store::{Position, SequencedEvent};

/// The invariant's name.
pub const NAME: &str = "library-copy-lent-once";

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    // copy -> (holder, position of the lend)
    let mut holder: BTreeMap<&str, (&str, Position)> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(log) {
        match e {
            LibraryEventRef::BookCopyLentToReader { book, reader } => {
                if let Some((other, since)) = holder.insert(book, (reader, position)) {
                    let detail = if other == reader {
                        format!("position {position}: copy {book} lent to reader {reader} again, who holds it since position {since} (no return in between)")
                    } else {
                        format!("position {position}: copy {book} lent to reader {reader} while reader {other} holds it (since position {since})")
                    };
                    out.push(Violation::safety(NAME, None, detail));
                }
            }
            LibraryEventRef::BookCopyReturnedByReader { book, reader } if holder.get(book).is_some_and(|(h, _)| *h == reader) => {
                holder.remove(book);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::LibraryEvent;

    fn lent(b: &str, r: &str) -> LibraryEvent {
        LibraryEvent::BookCopyLentToReader { book: b.into(), reader: r.into() }
    }
    fn returned(b: &str, r: &str) -> LibraryEvent {
        LibraryEvent::BookCopyReturnedByReader { book: b.into(), reader: r.into() }
    }
    fn violations(events: Vec<LibraryEvent>) -> Vec<Violation> {
        crate::domain::library::check::check_events(check, events)
    }

    #[test]
    fn lend_return_lend_to_another_reader_is_fine() {
        assert!(violations(vec![lent("b1", "r1"), lent("b2", "r1"), returned("b1", "r1"), lent("b1", "r2")]).is_empty());
    }

    #[test]
    fn a_second_reader_while_the_first_holds_it_is_caught() {
        let v = violations(vec![lent("b1", "r1"), lent("b1", "r2")]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].invariant(), NAME);
        assert!(v[0].to_string().contains("while reader r1 holds it"), "{}", v[0]);
    }

    #[test]
    fn a_second_lend_to_the_same_reader_is_caught() {
        let v = violations(vec![lent("b1", "r1"), lent("b1", "r1")]);
        assert!(v.len() == 1 && v[0].to_string().contains("again"), "{v:?}");
    }

    #[test]
    fn a_return_by_someone_else_does_not_end_the_loan() {
        assert_eq!(violations(vec![lent("b1", "r1"), returned("b1", "r2"), lent("b1", "r2")]).len(), 1);
    }
}
