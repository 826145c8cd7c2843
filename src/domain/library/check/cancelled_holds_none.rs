//! **library-cancelled-holds-none** (library): a reader whose contract is
//! cancelled holds no copies.
//!
//! Folds the final log in position order with its own model (not the
//! decider): registration state per reader (`ReaderRegistered` /
//! `ReaderContractCanceled`, last one wins) and the set of copies each
//! reader holds (lent to them and not yet returned by them). Two ways to
//! break it, both reported:
//! - at a `ReaderContractCanceled`, the reader still holds copies;
//! - a `BookCopyLentToReader` to a reader who is not currently registered
//!   (cancelled and not registered again, or never registered at all).
//!
//! A cancelled reader *returning* a copy is fine (the Go design allows it),
//! and re-registration after a cancellation makes lending legal again.
//!
//! Not verified: whether the copy was free or in circulation (the other
//! library checkers); rejections' `...Failed` events (`serializability`).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::library::LibraryEventRef;
use crate::sim::Violation;
use crate::store::{Position, SequencedEvent};

/// The invariant's name.
pub const NAME: &str = "library-cancelled-holds-none";

/// A reader's contract in the model.
#[derive(Clone, Copy)]
enum Contract {
    Registered,
    CancelledAt(Position),
}

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut contract: BTreeMap<&str, Contract> = BTreeMap::new();
    let mut held: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(log) {
        match e {
            LibraryEventRef::ReaderRegistered { reader, .. } => {
                contract.insert(reader, Contract::Registered);
            }
            LibraryEventRef::ReaderContractCanceled { reader } => {
                contract.insert(reader, Contract::CancelledAt(position));
                if let Some(books) = held.get(reader).filter(|b| !b.is_empty()) {
                    let books: Vec<&str> = books.iter().copied().collect();
                    out.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: contract of reader {reader} cancelled while they hold {}", books.join(", ")),
                    ));
                }
            }
            LibraryEventRef::BookCopyLentToReader { book, reader } => {
                held.entry(reader).or_default().insert(book);
                match contract.get(reader) {
                    Some(Contract::Registered) => {}
                    Some(Contract::CancelledAt(at)) => out.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: copy {book} lent to reader {reader}, whose contract was cancelled at position {at}"),
                    )),
                    None => out.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: copy {book} lent to reader {reader}, who never registered"),
                    )),
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
    fn registered() -> LibraryEvent {
        LibraryEvent::ReaderRegistered { reader: "r1".into(), name: "Ada".into() }
    }
    fn cancelled() -> LibraryEvent {
        LibraryEvent::ReaderContractCanceled { reader: "r1".into() }
    }
    fn lent(b: &str) -> LibraryEvent {
        LibraryEvent::BookCopyLentToReader { book: b.into(), reader: "r1".into() }
    }
    fn returned(b: &str) -> LibraryEvent {
        LibraryEvent::BookCopyReturnedByReader { book: b.into(), reader: "r1".into() }
    }

    #[test]
    fn return_then_cancel_then_re_register_then_lend_is_fine() {
        assert!(run(vec![registered(), lent("b1"), returned("b1"), cancelled(), registered(), lent("b2")]).is_empty());
    }

    #[test]
    fn cancelling_while_holding_a_copy_is_caught() {
        let v = run(vec![registered(), lent("b1"), lent("b2"), returned("b1"), cancelled()]);
        assert!(v.len() == 1 && v[0].invariant() == NAME && v[0].to_string().contains("while they hold b2"), "{v:?}");
    }

    #[test]
    fn lending_to_a_cancelled_or_unregistered_reader_is_caught() {
        let v = run(vec![registered(), cancelled(), lent("b1")]);
        assert!(v.len() == 1 && v[0].to_string().contains("cancelled at position 2"), "{v:?}");
        let v = run(vec![lent("b1")]);
        assert!(v.len() == 1 && v[0].to_string().contains("never registered"), "{v:?}");
    }
}
