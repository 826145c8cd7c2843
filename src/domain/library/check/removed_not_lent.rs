//! **library-removed-not-lent** (library): a copy is lent only while it is
//! in circulation: never before it was added, never after its removal
//! unless it was added again.
//!
//! Folds the final log in position order with its own model (not the
//! decider): `BookCopyAddedToCirculation` puts a copy in circulation,
//! `BookCopyRemovedFromCirculation` takes it out; every
//! `BookCopyLentToReader` must find its copy in circulation.
//!
//! Not verified: that a *lent* copy is never removed (the rule "a lent copy
//! can't be removed" is checked by `serializability`, which re-runs every
//! removal on the sequential model); that the copy was free
//! (`library-copy-lent-once`).

use std::collections::BTreeMap;

use crate::domain::library::LibraryEventRef;
use crate::sim::Violation;
use crate::store::{Position, SequencedEvent};

/// The invariant's name.
pub const NAME: &str = "library-removed-not-lent";

/// A copy's circulation state in the model.
#[derive(Clone, Copy)]
enum Circulation {
    InCirculation,
    RemovedAt(Position),
}

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut copies: BTreeMap<&str, Circulation> = BTreeMap::new();
    for (position, e) in LibraryEventRef::decode_all(log) {
        match e {
            LibraryEventRef::BookCopyAddedToCirculation { book, .. } => {
                copies.insert(book, Circulation::InCirculation);
            }
            LibraryEventRef::BookCopyRemovedFromCirculation { book } => {
                copies.insert(book, Circulation::RemovedAt(position));
            }
            LibraryEventRef::BookCopyLentToReader { book, reader } => match copies.get(book) {
                Some(Circulation::InCirculation) => {}
                Some(Circulation::RemovedAt(removed)) => out.push(Violation::safety(
                    NAME,
                    None,
                    format!("position {position}: copy {book} lent to reader {reader}, but it was removed from circulation at position {removed} and not added again"),
                )),
                None => out.push(Violation::safety(
                    NAME,
                    None,
                    format!("position {position}: copy {book} lent to reader {reader}, but it was never added to circulation"),
                )),
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
    fn added() -> LibraryEvent {
        LibraryEvent::BookCopyAddedToCirculation { book: "b1".into(), title: "T".into() }
    }
    fn removed() -> LibraryEvent {
        LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() }
    }
    fn lent() -> LibraryEvent {
        LibraryEvent::BookCopyLentToReader { book: "b1".into(), reader: "r1".into() }
    }

    #[test]
    fn lending_after_a_re_add_is_fine() {
        assert!(run(vec![added(), removed(), added(), lent()]).is_empty());
    }

    #[test]
    fn lending_a_removed_copy_is_caught() {
        let v = run(vec![added(), removed(), lent()]);
        assert!(v.len() == 1 && v[0].invariant() == NAME && v[0].to_string().contains("removed from circulation at position 2"), "{v:?}");
    }

    #[test]
    fn lending_a_copy_never_added_is_caught() {
        let v = run(vec![lent()]);
        assert!(v.len() == 1 && v[0].to_string().contains("never added"), "{v:?}");
    }
}
