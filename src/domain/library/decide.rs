//! The pure decisions of the library domain: each command's consistency
//! boundary (its [`Query`]) and its rules.
//!
//! Each handler folds the events its query matched, in position order, into
//! a small state and applies its rules in the Go example's **code order**
//! (final version, 7a4ff59); the first rule that matches decides. A rule
//! violation is a [`Decision::Reject`] whose reason is the Go business error
//! `"<FailedEventType>: <reason>"` and whose one event is that `...Failed`
//! event (the shell appends it under the same condition, then returns the
//! rejection).
//!
//! Queries translate the Go filters "types any of T ∧ (BookID = b ∨ ReaderID
//! = r)" to DCB: one item per id, each with all of T —
//! `(T, book:b) ∨ (T, reader:r)`. The book item comes first and the reader
//! item last (the planted `NarrowCondition` bug keeps only the last item, so
//! it then loses the book's boundary and lets two readers lend one copy).
//! No query selects a `...Failed` type, so appending one never conflicts
//! with another decision.

use crate::handler::{Decider, Decision};
use crate::store::{Query, QueryItem, SequencedEvent};

use super::commands::LibraryCommand;
use super::events::{LibraryEvent, LibraryEventRef, book_tag, reader_tag, types::*};
use super::reasons::FailureReason;

/// The most book copies a reader may hold at once: with 9 the 10th lend
/// succeeds, the 11th is rejected ("reader has too many books").
pub const MAX_BOOKS_PER_READER: u32 = 10;

const ADD_TYPES: [&str; 2] = [BOOK_ADDED, BOOK_REMOVED];
const REMOVE_TYPES: [&str; 4] = [BOOK_ADDED, BOOK_REMOVED, BOOK_LENT, BOOK_RETURNED];
const REGISTER_TYPES: [&str; 2] = [READER_REGISTERED, READER_CANCELED];
const CANCEL_TYPES: [&str; 4] = [READER_REGISTERED, READER_CANCELED, BOOK_LENT, BOOK_RETURNED];
const LEND_TYPES: [&str; 6] = [BOOK_ADDED, BOOK_REMOVED, BOOK_LENT, BOOK_RETURNED, READER_REGISTERED, READER_CANCELED];
const RETURN_TYPES: [&str; 4] = [BOOK_ADDED, BOOK_LENT, BOOK_RETURNED, READER_REGISTERED];

/// The library domain's [`Decider`].
///
/// ```
/// use dcb_sim::domain::library::{LibraryCommand, LibraryDecider};
/// use dcb_sim::handler::{Decider, Decision};
/// let lend = LibraryCommand::LendBookCopy { book: "b1".into(), reader: "r1".into() };
/// assert_eq!(LibraryDecider.command_type(&lend), "LendBookCopy");
/// let Decision::Reject { reason, events } = LibraryDecider.decide(&lend, &[]) else { panic!() };
/// assert_eq!(reason, "LendingBookToReaderFailed: reader is not currently registered");
/// assert_eq!(events[0].event_type, "LendingBookToReaderFailed");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LibraryDecider;

fn item(types: &[&str], tag: String) -> QueryItem {
    QueryItem::new().types(types.iter().copied()).tags([tag])
}

fn query(items: Vec<QueryItem>) -> Query {
    Query::from_items(items).expect("library query items have types and non-empty tags")
}

fn book_query(types: &[&str], book: &str) -> Query {
    query(vec![item(types, book_tag(book))])
}

fn reader_query(types: &[&str], reader: &str) -> Query {
    query(vec![item(types, reader_tag(reader))])
}

fn book_or_reader_query(types: &[&str], book: &str, reader: &str) -> Query {
    query(vec![item(types, book_tag(book)), item(types, reader_tag(reader))])
}

fn decoded(events: &[SequencedEvent]) -> impl Iterator<Item = LibraryEventRef<'_>> {
    events.iter().filter_map(|e| LibraryEventRef::from_event(&e.event))
}

fn append(e: LibraryEvent) -> Decision {
    Decision::Append(vec![e.to_event()])
}

/// Rejects with `failed` (a `...Failed` event) and its business error.
fn reject(failed: LibraryEvent) -> Decision {
    let reason = failed.business_error().expect("reject is only called with ...Failed events");
    Decision::Reject { reason, events: vec![failed.to_event()] }
}

fn add_book_copy(book: &str, title: &str, events: &[SequencedEvent]) -> Decision {
    let mut in_circulation = false;
    for e in decoded(events) {
        match e {
            LibraryEventRef::BookCopyAddedToCirculation { book: b, .. } if b == book => in_circulation = true,
            LibraryEventRef::BookCopyRemovedFromCirculation { book: b } if b == book => in_circulation = false,
            _ => {}
        }
    }
    // 1. Already in circulation: nothing to do.
    if in_circulation {
        return Decision::Idempotent;
    }
    // 2. Add (also re-adds after a removal).
    append(LibraryEvent::BookCopyAddedToCirculation { book: book.into(), title: title.into() })
}

fn remove_book_copy(book: &str, events: &[SequencedEvent]) -> Decision {
    let (mut ever_added, mut in_circulation, mut lent) = (false, false, false);
    for e in decoded(events) {
        match e {
            LibraryEventRef::BookCopyAddedToCirculation { book: b, .. } if b == book => {
                ever_added = true;
                in_circulation = true;
            }
            LibraryEventRef::BookCopyRemovedFromCirculation { book: b } if b == book => in_circulation = false,
            LibraryEventRef::BookCopyLentToReader { book: b, .. } if b == book => lent = true,
            LibraryEventRef::BookCopyReturnedByReader { book: b, .. } if b == book => lent = false,
            _ => {}
        }
    }
    let failed = |reason| reject(LibraryEvent::RemovingBookFromCirculationFailed { book: book.into(), reason });
    // 1. Never added.
    if !ever_added {
        return failed(FailureReason::BookNeverAddedToCirculation);
    }
    // 2. Already removed: nothing to do.
    if !in_circulation {
        return Decision::Idempotent;
    }
    // 3. Lent.
    if lent {
        return failed(FailureReason::BookIsCurrentlyLent);
    }
    // 4. Remove.
    append(LibraryEvent::BookCopyRemovedFromCirculation { book: book.into() })
}

fn register_reader(reader: &str, name: &str, events: &[SequencedEvent]) -> Decision {
    let mut registered = false;
    for e in decoded(events) {
        match e {
            LibraryEventRef::ReaderRegistered { reader: r, .. } if r == reader => registered = true,
            LibraryEventRef::ReaderContractCanceled { reader: r } if r == reader => registered = false,
            _ => {}
        }
    }
    // 1. Already registered (the name is not compared): nothing to do.
    if registered {
        return Decision::Idempotent;
    }
    // 2. Register (also re-registers after a cancellation).
    append(LibraryEvent::ReaderRegistered { reader: reader.into(), name: name.into() })
}

fn cancel_reader_contract(reader: &str, events: &[SequencedEvent]) -> Decision {
    let (mut ever_registered, mut registered) = (false, false);
    // The set of books lent to the reader and not returned by them (a Vec:
    // only its emptiness matters, and it holds at most a handful of ids).
    let mut loans: Vec<&str> = Vec::new();
    for e in decoded(events) {
        match e {
            LibraryEventRef::ReaderRegistered { reader: r, .. } if r == reader => {
                ever_registered = true;
                registered = true;
            }
            LibraryEventRef::ReaderContractCanceled { reader: r } if r == reader => {
                ever_registered = true;
                registered = false;
            }
            LibraryEventRef::BookCopyLentToReader { book, reader: r } if r == reader && !loans.contains(&book) => {
                loans.push(book);
            }
            LibraryEventRef::BookCopyReturnedByReader { book, reader: r } if r == reader => loans.retain(|b| *b != book),
            _ => {}
        }
    }
    let failed = |reason| reject(LibraryEvent::CancelingReaderContractFailed { reader: reader.into(), reason });
    // 1. Never registered.
    if !ever_registered {
        return failed(FailureReason::ReaderNeverRegistered);
    }
    // 2. Already canceled: nothing to do.
    if !registered {
        return Decision::Idempotent;
    }
    // 3. Outstanding loans; else 4. cancel.
    if !loans.is_empty() {
        return failed(FailureReason::ReaderHasOutstandingLoans);
    }
    append(LibraryEvent::ReaderContractCanceled { reader: reader.into() })
}

fn lend_book_copy(book: &str, reader: &str, events: &[SequencedEvent]) -> Decision {
    let (mut registered, mut in_circulation) = (false, false);
    let (mut lent_to_this, mut lent_to_other) = (false, false);
    // +1 per lend to the reader (any book), −1 per return by them, as in Go.
    let mut loans: i64 = 0;
    for e in decoded(events) {
        match e {
            LibraryEventRef::BookCopyAddedToCirculation { book: b, .. } if b == book => in_circulation = true,
            LibraryEventRef::BookCopyRemovedFromCirculation { book: b } if b == book => in_circulation = false,
            LibraryEventRef::BookCopyLentToReader { book: b, reader: r } => {
                if b == book {
                    if r == reader {
                        lent_to_this = true;
                    } else {
                        lent_to_other = true;
                    }
                }
                if r == reader {
                    loans += 1;
                }
            }
            LibraryEventRef::BookCopyReturnedByReader { book: b, reader: r } => {
                if b == book {
                    if r == reader {
                        lent_to_this = false;
                    } else {
                        lent_to_other = false;
                    }
                }
                if r == reader {
                    loans -= 1;
                }
            }
            LibraryEventRef::ReaderRegistered { reader: r, .. } if r == reader => registered = true,
            LibraryEventRef::ReaderContractCanceled { reader: r } if r == reader => registered = false,
            _ => {}
        }
    }
    let failed =
        |reason| reject(LibraryEvent::LendingBookToReaderFailed { book: book.into(), reader: reader.into(), reason });
    // 1. Reader not currently registered.
    if !registered {
        return failed(FailureReason::ReaderNotCurrentlyRegistered);
    }
    // 2. Copy never added, or removed.
    if !in_circulation {
        return failed(FailureReason::BookNotInCirculation);
    }
    // 3. Already lent to this reader: nothing to do.
    if lent_to_this {
        return Decision::Idempotent;
    }
    // 4. Lent to someone else.
    if lent_to_other {
        return failed(FailureReason::BookAlreadyLent);
    }
    // 5. At the limit; else 6. lend.
    if loans >= i64::from(MAX_BOOKS_PER_READER) {
        return failed(FailureReason::ReaderHasTooManyBooks);
    }
    append(LibraryEvent::BookCopyLentToReader { book: book.into(), reader: reader.into() })
}

fn return_book_copy(book: &str, reader: &str, events: &[SequencedEvent]) -> Decision {
    let (mut ever_registered, mut ever_added) = (false, false);
    let (mut ever_lent_to_this, mut lent_to_this) = (false, false);
    for e in decoded(events) {
        match e {
            LibraryEventRef::BookCopyAddedToCirculation { book: b, .. } if b == book => ever_added = true,
            LibraryEventRef::BookCopyLentToReader { book: b, reader: r } if b == book && r == reader => {
                ever_lent_to_this = true;
                lent_to_this = true;
            }
            LibraryEventRef::BookCopyReturnedByReader { book: b, reader: r } if b == book && r == reader => {
                lent_to_this = false;
            }
            LibraryEventRef::ReaderRegistered { reader: r, .. } if r == reader => ever_registered = true,
            _ => {}
        }
    }
    let failed =
        |reason| reject(LibraryEvent::ReturningBookFromReaderFailed { book: book.into(), reader: reader.into(), reason });
    // 1. Reader never registered (a canceled reader may return).
    if !ever_registered {
        return failed(FailureReason::ReaderNeverRegistered);
    }
    // 2. Copy never added (a removed copy may be returned).
    if !ever_added {
        return failed(FailureReason::BookNeverAddedToCirculation);
    }
    // 3. Never lent to this reader.
    if !ever_lent_to_this {
        return failed(FailureReason::BookNotLentToThisReader);
    }
    // 4. Returned since the last lend: nothing to do.
    if !lent_to_this {
        return Decision::Idempotent;
    }
    // 5. Return.
    append(LibraryEvent::BookCopyReturnedByReader { book: book.into(), reader: reader.into() })
}

impl Decider for LibraryDecider {
    type Command = LibraryCommand;

    fn command_type(&self, command: &LibraryCommand) -> &'static str {
        match command {
            LibraryCommand::AddBookCopy { .. } => "AddBookCopy",
            LibraryCommand::RemoveBookCopy { .. } => "RemoveBookCopy",
            LibraryCommand::RegisterReader { .. } => "RegisterReader",
            LibraryCommand::CancelReaderContract { .. } => "CancelReaderContract",
            LibraryCommand::LendBookCopy { .. } => "LendBookCopy",
            LibraryCommand::ReturnBookCopy { .. } => "ReturnBookCopyFromReader",
        }
    }

    fn query(&self, command: &LibraryCommand) -> Query {
        match command {
            LibraryCommand::AddBookCopy { book, .. } => book_query(&ADD_TYPES, book),
            LibraryCommand::RemoveBookCopy { book } => book_query(&REMOVE_TYPES, book),
            LibraryCommand::RegisterReader { reader, .. } => reader_query(&REGISTER_TYPES, reader),
            LibraryCommand::CancelReaderContract { reader } => reader_query(&CANCEL_TYPES, reader),
            LibraryCommand::LendBookCopy { book, reader } => book_or_reader_query(&LEND_TYPES, book, reader),
            LibraryCommand::ReturnBookCopy { book, reader } => book_or_reader_query(&RETURN_TYPES, book, reader),
        }
    }

    fn decide(&self, command: &LibraryCommand, events: &[SequencedEvent]) -> Decision {
        match command {
            LibraryCommand::AddBookCopy { book, title } => add_book_copy(book, title, events),
            LibraryCommand::RemoveBookCopy { book } => remove_book_copy(book, events),
            LibraryCommand::RegisterReader { reader, name } => register_reader(reader, name, events),
            LibraryCommand::CancelReaderContract { reader } => cancel_reader_contract(reader, events),
            LibraryCommand::LendBookCopy { book, reader } => lend_book_copy(book, reader, events),
            LibraryCommand::ReturnBookCopy { book, reader } => return_book_copy(book, reader, events),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::test_events::lent;
    use crate::store::Event;

    // ---- a sequential model: the log, and each command run on exactly
    // ---- the events its query matches (as the shell does)

    #[derive(Default)]
    struct Lib {
        log: Vec<SequencedEvent>,
    }

    impl Lib {
        fn push(&mut self, event: Event) {
            let position = self.log.len() as u64 + 1;
            self.log.push(SequencedEvent::new(position, event));
        }

        /// Appends an event directly, bypassing the rules (histories the
        /// handlers cannot produce, to pin down rule order).
        fn force(&mut self, e: LibraryEvent) -> &mut Self {
            self.push(e.to_event());
            self
        }

        /// Runs `c`: decide on the query's matches, append what the
        /// decision carries; returns a one-line summary of the decision.
        fn run(&mut self, c: &LibraryCommand) -> String {
            let q = LibraryDecider.query(c);
            let seen: Vec<SequencedEvent> = self.log.iter().filter(|e| q.matches(&e.event)).cloned().collect();
            let decision = LibraryDecider.decide(c, &seen);
            let summary = summarize(&decision);
            if let Decision::Append(events) | Decision::Reject { events, .. } = decision {
                events.into_iter().for_each(|e| self.push(e));
            }
            summary
        }

        fn ok(&mut self, c: &LibraryCommand) -> &mut Self {
            let got = self.run(c);
            assert!(got.starts_with("append "), "{c}: expected success, got {got}");
            self
        }

        fn last(&self) -> LibraryEvent {
            LibraryEvent::from_event(&self.log.last().unwrap().event).unwrap()
        }
    }

    fn summarize(d: &Decision) -> String {
        match d {
            Decision::Idempotent => "idempotent".into(),
            Decision::Append(events) => {
                assert_eq!(events.len(), 1);
                format!("append {}", events[0].event_type)
            }
            Decision::Reject { reason, events } => {
                // The one failure event carries the reason; the business
                // error is "<its type>: <reason>".
                assert_eq!(events.len(), 1);
                let failed = LibraryEvent::from_event(&events[0]).expect("a library ...Failed event");
                assert_eq!(failed.business_error().as_deref(), Some(reason.as_str()));
                format!("reject {reason}")
            }
        }
    }

    fn add(b: &str) -> LibraryCommand {
        LibraryCommand::AddBookCopy { book: b.into(), title: format!("Title of {b}") }
    }
    fn remove(b: &str) -> LibraryCommand {
        LibraryCommand::RemoveBookCopy { book: b.into() }
    }
    fn register(r: &str) -> LibraryCommand {
        LibraryCommand::RegisterReader { reader: r.into(), name: format!("Name of {r}") }
    }
    fn cancel(r: &str) -> LibraryCommand {
        LibraryCommand::CancelReaderContract { reader: r.into() }
    }
    fn lend(b: &str, r: &str) -> LibraryCommand {
        LibraryCommand::LendBookCopy { book: b.into(), reader: r.into() }
    }
    fn ret(b: &str, r: &str) -> LibraryCommand {
        LibraryCommand::ReturnBookCopy { book: b.into(), reader: r.into() }
    }
    /// A library with reader `r1` registered and book `b1` in circulation.
    fn setup() -> Lib {
        let mut lib = Lib::default();
        lib.ok(&register("r1")).ok(&add("b1"));
        lib
    }

    // ---- command types and queries

    #[test]
    fn command_types_are_the_go_names() {
        let names: Vec<_> = [add("b"), remove("b"), register("r"), cancel("r"), lend("b", "r"), ret("b", "r")]
            .iter()
            .map(|c| LibraryDecider.command_type(c))
            .collect();
        assert_eq!(
            names,
            ["AddBookCopy", "RemoveBookCopy", "RegisterReader", "CancelReaderContract", "LendBookCopy", "ReturnBookCopyFromReader"]
        );
    }

    #[test]
    fn queries_translate_the_go_filters() {
        let it = |types: &[&str], tag: &str| QueryItem::new().types(types.iter().copied()).tags([tag]);
        let q = |c: &LibraryCommand| LibraryDecider.query(c);
        assert_eq!(q(&add("b")), Query::Items(vec![it(&[BOOK_ADDED, BOOK_REMOVED], "book:b")].into()));
        assert_eq!(
            q(&remove("b")),
            Query::Items(vec![it(&[BOOK_ADDED, BOOK_REMOVED, BOOK_LENT, BOOK_RETURNED], "book:b")].into())
        );
        assert_eq!(q(&register("r")), Query::Items(vec![it(&[READER_REGISTERED, READER_CANCELED], "reader:r")].into()));
        assert_eq!(
            q(&cancel("r")),
            Query::Items(vec![it(&[READER_REGISTERED, READER_CANCELED, BOOK_LENT, BOOK_RETURNED], "reader:r")].into())
        );
        let lend_types = [BOOK_ADDED, BOOK_REMOVED, BOOK_LENT, BOOK_RETURNED, READER_REGISTERED, READER_CANCELED];
        assert_eq!(q(&lend("b", "r")), Query::Items(vec![it(&lend_types, "book:b"), it(&lend_types, "reader:r")].into()));
        let return_types = [BOOK_ADDED, BOOK_LENT, BOOK_RETURNED, READER_REGISTERED];
        assert_eq!(q(&ret("b", "r")), Query::Items(vec![it(&return_types, "book:b"), it(&return_types, "reader:r")].into()));
    }

    #[test]
    fn no_query_selects_a_failed_event() {
        let failed = [
            LibraryEvent::LendingBookToReaderFailed { book: "b".into(), reader: "r".into(), reason: FailureReason::BookAlreadyLent },
            LibraryEvent::ReturningBookFromReaderFailed { book: "b".into(), reader: "r".into(), reason: FailureReason::BookNotLentToThisReader },
            LibraryEvent::RemovingBookFromCirculationFailed { book: "b".into(), reason: FailureReason::BookIsCurrentlyLent },
            LibraryEvent::CancelingReaderContractFailed { reader: "r".into(), reason: FailureReason::ReaderHasOutstandingLoans },
        ];
        for c in [add("b"), remove("b"), register("r"), cancel("r"), lend("b", "r"), ret("b", "r")] {
            let q = LibraryDecider.query(&c);
            for f in &failed {
                assert!(!q.matches(&f.to_event()), "{c} selects {}", f.event_type());
            }
        }
    }

    // ---- AddBookCopy: 1. in circulation → idempotent; 2. add

    #[test]
    fn add_new_copy_appends_added_with_its_title() {
        let mut lib = Lib::default();
        assert_eq!(lib.run(&add("b1")), "append BookCopyAddedToCirculation");
        assert_eq!(lib.last(), LibraryEvent::BookCopyAddedToCirculation { book: "b1".into(), title: "Title of b1".into() });
    }

    #[test]
    fn add_copy_in_circulation_is_idempotent() {
        let mut lib = setup();
        assert_eq!(lib.run(&add("b1")), "idempotent");
        let other_title = LibraryCommand::AddBookCopy { book: "b1".into(), title: "Other".into() };
        assert_eq!(lib.run(&other_title), "idempotent");
    }

    #[test]
    fn add_after_removal_re_adds() {
        let mut lib = setup();
        lib.ok(&remove("b1"));
        assert_eq!(lib.run(&add("b1")), "append BookCopyAddedToCirculation");
        assert_eq!(lib.run(&add("b1")), "idempotent");
    }

    #[test]
    fn add_of_another_copy_is_independent() {
        let mut lib = setup();
        assert_eq!(lib.run(&add("b2")), "append BookCopyAddedToCirculation");
    }

    // ---- RemoveBookCopy: 1. never added → fail; 2. removed → idempotent;
    // ---- 3. lent → fail; 4. remove

    #[test]
    fn remove_never_added_copy_fails() {
        let mut lib = Lib::default();
        assert_eq!(lib.run(&remove("b1")), "reject RemovingBookFromCirculationFailed: book was never added to circulation");
        assert_eq!(
            lib.last(),
            LibraryEvent::RemovingBookFromCirculationFailed { book: "b1".into(), reason: FailureReason::BookNeverAddedToCirculation }
        );
        // Still never added: the failure event does not count as a fact.
        assert_eq!(lib.run(&remove("b1")), "reject RemovingBookFromCirculationFailed: book was never added to circulation");
    }

    #[test]
    fn remove_removed_copy_is_idempotent() {
        let mut lib = setup();
        lib.ok(&remove("b1"));
        assert_eq!(lib.run(&remove("b1")), "idempotent");
    }

    #[test]
    fn remove_lent_copy_fails() {
        let mut lib = setup();
        lib.ok(&lend("b1", "r1"));
        assert_eq!(lib.run(&remove("b1")), "reject RemovingBookFromCirculationFailed: book is currently lent");
    }

    #[test]
    fn remove_returned_copy_succeeds() {
        let mut lib = setup();
        lib.ok(&lend("b1", "r1")).ok(&ret("b1", "r1"));
        assert_eq!(lib.run(&remove("b1")), "append BookCopyRemovedFromCirculation");
        assert_eq!(lib.last(), LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() });
    }

    #[test]
    fn remove_re_added_copy_succeeds() {
        let mut lib = setup();
        lib.ok(&remove("b1")).ok(&add("b1"));
        assert_eq!(lib.run(&remove("b1")), "append BookCopyRemovedFromCirculation");
    }

    #[test]
    fn remove_rule_order_removed_is_checked_before_lent() {
        // Not reachable through the handlers (a lent copy cannot be
        // removed): a removed copy whose last lend was not returned.
        let mut lib = setup();
        lib.force(lent("b1", "r1")).force(LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() });
        assert_eq!(lib.run(&remove("b1")), "idempotent");
    }

    // ---- RegisterReader: 1. registered → idempotent; 2. register

    #[test]
    fn register_new_reader_appends_registered_with_name() {
        let mut lib = Lib::default();
        assert_eq!(lib.run(&register("r1")), "append ReaderRegistered");
        assert_eq!(lib.last(), LibraryEvent::ReaderRegistered { reader: "r1".into(), name: "Name of r1".into() });
    }

    #[test]
    fn register_registered_reader_is_idempotent_whatever_the_name() {
        let mut lib = setup();
        assert_eq!(lib.run(&register("r1")), "idempotent");
        let renamed = LibraryCommand::RegisterReader { reader: "r1".into(), name: "Someone else".into() };
        assert_eq!(lib.run(&renamed), "idempotent");
    }

    #[test]
    fn register_after_cancel_re_registers() {
        let mut lib = setup();
        lib.ok(&cancel("r1"));
        assert_eq!(lib.run(&register("r1")), "append ReaderRegistered");
        assert_eq!(lib.run(&register("r1")), "idempotent");
    }

    // ---- CancelReaderContract: 1. never registered → fail; 2. canceled →
    // ---- idempotent; 3. outstanding loans → fail; 4. cancel

    #[test]
    fn cancel_never_registered_reader_fails() {
        let mut lib = Lib::default();
        assert_eq!(lib.run(&cancel("r1")), "reject CancelingReaderContractFailed: reader was never registered");
        assert_eq!(
            lib.last(),
            LibraryEvent::CancelingReaderContractFailed { reader: "r1".into(), reason: FailureReason::ReaderNeverRegistered }
        );
    }

    #[test]
    fn cancel_canceled_reader_is_idempotent() {
        let mut lib = setup();
        lib.ok(&cancel("r1"));
        assert_eq!(lib.run(&cancel("r1")), "idempotent");
    }

    #[test]
    fn cancel_with_outstanding_loans_fails() {
        let mut lib = setup();
        lib.ok(&add("b2")).ok(&lend("b1", "r1")).ok(&lend("b2", "r1")).ok(&ret("b1", "r1"));
        assert_eq!(lib.run(&cancel("r1")), "reject CancelingReaderContractFailed: reader has outstanding book loans");
        lib.ok(&ret("b2", "r1"));
        assert_eq!(lib.run(&cancel("r1")), "append ReaderContractCanceled");
        assert_eq!(lib.last(), LibraryEvent::ReaderContractCanceled { reader: "r1".into() });
    }

    #[test]
    fn cancel_ignores_other_readers_loans() {
        let mut lib = setup();
        lib.ok(&register("r2")).ok(&lend("b1", "r2"));
        assert_eq!(lib.run(&cancel("r1")), "append ReaderContractCanceled");
    }

    #[test]
    fn cancel_counts_a_relent_copy_once_and_clears_it_on_return() {
        let mut lib = setup();
        lib.ok(&lend("b1", "r1")).ok(&ret("b1", "r1")).ok(&lend("b1", "r1"));
        assert_eq!(lib.run(&cancel("r1")), "reject CancelingReaderContractFailed: reader has outstanding book loans");
        lib.ok(&ret("b1", "r1"));
        assert_eq!(lib.run(&cancel("r1")), "append ReaderContractCanceled");
    }

    #[test]
    fn cancel_rule_order_canceled_is_checked_before_loans() {
        // Not reachable through the handlers: a canceled reader with a loan.
        let mut lib = setup();
        lib.force(lent("b1", "r1")).force(LibraryEvent::ReaderContractCanceled { reader: "r1".into() });
        assert_eq!(lib.run(&cancel("r1")), "idempotent");
    }

    // ---- LendBookCopy: 1. reader not currently registered → fail; 2. book
    // ---- not in circulation → fail; 3. lent to this reader → idempotent;
    // ---- 4. lent to another → fail; 5. ≥ 10 loans → fail; 6. lend

    const LEND_FAILED: &str = "reject LendingBookToReaderFailed";

    #[test]
    fn lend_to_unregistered_reader_fails_before_checking_the_book() {
        let mut lib = Lib::default();
        // The book does not exist either: rule 1 wins.
        assert_eq!(lib.run(&lend("b1", "r1")), format!("{LEND_FAILED}: reader is not currently registered"));
        assert_eq!(
            lib.last(),
            LibraryEvent::LendingBookToReaderFailed {
                book: "b1".into(),
                reader: "r1".into(),
                reason: FailureReason::ReaderNotCurrentlyRegistered
            }
        );
    }

    #[test]
    fn lend_to_canceled_reader_fails() {
        let mut lib = setup();
        lib.ok(&cancel("r1"));
        assert_eq!(lib.run(&lend("b1", "r1")), format!("{LEND_FAILED}: reader is not currently registered"));
        lib.ok(&register("r1"));
        assert_eq!(lib.run(&lend("b1", "r1")), "append BookCopyLentToReader");
    }

    #[test]
    fn lend_of_never_added_copy_fails() {
        let mut lib = setup();
        assert_eq!(lib.run(&lend("b2", "r1")), format!("{LEND_FAILED}: book is not in circulation"));
    }

    #[test]
    fn lend_of_removed_copy_fails_until_re_added() {
        let mut lib = setup();
        lib.ok(&remove("b1"));
        assert_eq!(lib.run(&lend("b1", "r1")), format!("{LEND_FAILED}: book is not in circulation"));
        lib.ok(&add("b1"));
        assert_eq!(lib.run(&lend("b1", "r1")), "append BookCopyLentToReader");
    }

    #[test]
    fn lend_rule_order_circulation_is_checked_before_idempotency() {
        // Not reachable through the handlers: a removed copy still lent.
        let mut lib = setup();
        lib.force(lent("b1", "r1")).force(LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() });
        assert_eq!(lib.run(&lend("b1", "r1")), format!("{LEND_FAILED}: book is not in circulation"));
    }

    #[test]
    fn lend_succeeds_and_lending_again_to_the_same_reader_is_idempotent() {
        let mut lib = setup();
        assert_eq!(lib.run(&lend("b1", "r1")), "append BookCopyLentToReader");
        assert_eq!(lib.last(), lent("b1", "r1"));
        let len = lib.log.len();
        assert_eq!(lib.run(&lend("b1", "r1")), "idempotent");
        assert_eq!(lib.log.len(), len);
    }

    #[test]
    fn lend_of_copy_lent_to_another_reader_fails() {
        let mut lib = setup();
        lib.ok(&register("r2")).ok(&lend("b1", "r2"));
        assert_eq!(lib.run(&lend("b1", "r1")), format!("{LEND_FAILED}: book is already lent"));
    }

    #[test]
    fn lend_after_the_other_reader_returned_succeeds() {
        // The Go fix 52f1aff: a return by the other reader clears "lent to another".
        let mut lib = setup();
        lib.ok(&register("r2")).ok(&lend("b1", "r2")).ok(&ret("b1", "r2"));
        assert_eq!(lib.run(&lend("b1", "r1")), "append BookCopyLentToReader");
        // And the first reader may borrow it again after their own return.
        lib.ok(&ret("b1", "r1"));
        assert_eq!(lib.run(&lend("b1", "r1")), "append BookCopyLentToReader");
    }

    /// `setup()` plus books b2..=b{n+1} lent to r1 (n loans).
    fn reader_with_loans(n: u32) -> Lib {
        let mut lib = setup();
        for i in 2..=n + 1 {
            let b = format!("b{i}");
            lib.ok(&add(&b)).ok(&lend(&b, "r1"));
        }
        lib.ok(&add("b99")).ok(&add("b100"));
        lib
    }

    #[test]
    fn lend_limit_tenth_succeeds_eleventh_fails() {
        assert_eq!(MAX_BOOKS_PER_READER, 10);
        let mut lib = reader_with_loans(9);
        assert_eq!(lib.run(&lend("b99", "r1")), "append BookCopyLentToReader");
        assert_eq!(lib.run(&lend("b100", "r1")), format!("{LEND_FAILED}: reader has too many books"));
        // A return frees a slot.
        lib.ok(&ret("b2", "r1"));
        assert_eq!(lib.run(&lend("b100", "r1")), "append BookCopyLentToReader");
    }

    #[test]
    fn lend_limit_is_per_reader() {
        let mut lib = reader_with_loans(10);
        lib.ok(&register("r2"));
        assert_eq!(lib.run(&lend("b99", "r2")), "append BookCopyLentToReader");
    }

    #[test]
    fn lend_rule_order_idempotency_and_already_lent_before_the_limit() {
        let mut lib = reader_with_loans(10);
        // One of their own ten again: idempotent, not "too many".
        assert_eq!(lib.run(&lend("b2", "r1")), "idempotent");
        // A copy lent to someone else: "already lent", not "too many".
        lib.ok(&register("r2")).ok(&lend("b99", "r2"));
        assert_eq!(lib.run(&lend("b99", "r1")), format!("{LEND_FAILED}: book is already lent"));
    }

    // ---- ReturnBookCopy: 1. reader never registered → fail; 2. book never
    // ---- added → fail; 3. never lent to this reader → fail; 4. returned
    // ---- since the last lend → idempotent; 5. return

    const RETURN_FAILED: &str = "reject ReturningBookFromReaderFailed";

    #[test]
    fn return_by_never_registered_reader_fails_first() {
        let mut lib = Lib::default();
        assert_eq!(lib.run(&ret("b1", "r1")), format!("{RETURN_FAILED}: reader was never registered"));
        assert_eq!(
            lib.last(),
            LibraryEvent::ReturningBookFromReaderFailed {
                book: "b1".into(),
                reader: "r1".into(),
                reason: FailureReason::ReaderNeverRegistered
            }
        );
    }

    #[test]
    fn return_of_never_added_copy_fails() {
        let mut lib = setup();
        assert_eq!(lib.run(&ret("b2", "r1")), format!("{RETURN_FAILED}: book was never added to circulation"));
    }

    #[test]
    fn return_of_copy_never_lent_to_this_reader_fails() {
        let mut lib = setup();
        assert_eq!(lib.run(&ret("b1", "r1")), format!("{RETURN_FAILED}: book is not lent to this reader"));
    }

    #[test]
    fn return_of_copy_lent_to_another_reader_fails() {
        let mut lib = setup();
        lib.ok(&register("r2")).ok(&lend("b1", "r2"));
        assert_eq!(lib.run(&ret("b1", "r1")), format!("{RETURN_FAILED}: book is not lent to this reader"));
    }

    #[test]
    fn return_succeeds_and_returning_again_is_idempotent() {
        let mut lib = setup();
        lib.ok(&lend("b1", "r1"));
        assert_eq!(lib.run(&ret("b1", "r1")), "append BookCopyReturnedByReader");
        assert_eq!(lib.last(), LibraryEvent::BookCopyReturnedByReader { book: "b1".into(), reader: "r1".into() });
        assert_eq!(lib.run(&ret("b1", "r1")), "idempotent");
        // Lent again, returned again.
        lib.ok(&lend("b1", "r1"));
        assert_eq!(lib.run(&ret("b1", "r1")), "append BookCopyReturnedByReader");
    }

    #[test]
    fn return_after_another_reader_borrowed_it_is_idempotent_for_the_first() {
        // Once lent to r1 (so rule 3 passes), returned, now lent to r2:
        // not currently lent to r1 → idempotent (as in Go).
        let mut lib = setup();
        lib.ok(&register("r2")).ok(&lend("b1", "r1")).ok(&ret("b1", "r1")).ok(&lend("b1", "r2"));
        assert_eq!(lib.run(&ret("b1", "r1")), "idempotent");
    }

    #[test]
    fn return_works_for_canceled_readers_and_removed_copies() {
        // Neither cancellation nor removal is in the return's query.
        let mut lib = setup();
        lib.ok(&lend("b1", "r1"))
            .force(LibraryEvent::ReaderContractCanceled { reader: "r1".into() })
            .force(LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() });
        assert_eq!(lib.run(&ret("b1", "r1")), "append BookCopyReturnedByReader");
    }

    // ---- folds read ids, not just types

    #[test]
    fn decisions_ignore_events_of_other_ids_even_when_given_them() {
        // decide() on the whole log (not only the query's matches) still
        // looks only at its own book and reader.
        let mut lib = setup();
        lib.ok(&register("r2")).ok(&add("b2")).ok(&lend("b2", "r2"));
        let d = |c: &LibraryCommand| summarize(&LibraryDecider.decide(c, &lib.log));
        assert_eq!(d(&lend("b1", "r1")), "append BookCopyLentToReader");
        assert_eq!(d(&ret("b1", "r1")), format!("{RETURN_FAILED}: book is not lent to this reader"));
        assert_eq!(d(&remove("b1")), "append BookCopyRemovedFromCirculation");
        assert_eq!(d(&cancel("r1")), "append ReaderContractCanceled");
        assert_eq!(d(&add("b3")), "append BookCopyAddedToCirculation");
        assert_eq!(d(&register("r3")), "append ReaderRegistered");
    }
}
