//! Unit tests of the domains' names and labels, written for the mutants
//! that survived `scripts/mutants.sh domain` (see `mutants.md`). Each test
//! checks a value the module's code or documentation defines.

use super::enrollment::{EnrollmentCommand, EnrollmentDecider, EnrollmentEvent, Tier};
use super::library::test_events::{added, canceled, lent, registered, removed, returned};
use super::library::{LibraryCommand, LibraryDecider, LibraryEvent};
use super::sequence::{SequenceDecider, TakeNumber};
use crate::handler::{Decider, Decision};
use crate::store::SequencedEvent;

/// Pins `SequenceDecider::command_type`: every `TakeNumber` is labelled
/// `"TakeNumber"` (the label metrics and reports group attempts by).
#[test]
fn sequence_decider_labels_its_command_take_number() {
    for client in [0, 7] {
        assert_eq!(SequenceDecider.command_type(&TakeNumber { client }), "TakeNumber");
    }
}

fn enrollment_commands() -> Vec<EnrollmentCommand> {
    vec![
        EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: 3 },
        EnrollmentCommand::ChangeCapacity { course: "c1".into(), capacity: 4 },
        EnrollmentCommand::RegisterStudent { student: "s1".into(), tier: Tier::Standard },
        EnrollmentCommand::ChangeTier { student: "s1".into(), tier: Tier::Master },
        EnrollmentCommand::Enroll { course: "c1".into(), student: "s1".into() },
    ]
}

/// Pins `EnrollmentDecider::command_type`: the C# sample's command names,
/// one per command.
#[test]
fn enrollment_command_types_are_the_csharp_names() {
    let names: Vec<&str> = enrollment_commands().iter().map(|c| EnrollmentDecider.command_type(c)).collect();
    assert_eq!(names, ["CreateCourse", "ChangeCourseCapacity", "RegisterStudent", "ChangeStudentTier", "EnrollStudentToCourse"]);
}

/// Pins `Display for EnrollmentCommand`: each command names its ids and
/// values.
#[test]
fn enrollment_commands_display_their_ids_and_values() {
    let shown: Vec<String> = enrollment_commands().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "create course c1 (capacity 3)",
            "change capacity of c1 to 4",
            "register student s1 (Standard)",
            "change tier of s1 to Master",
            "enroll s1 in c1",
        ]
    );
}

/// A log of `events` at positions 1, 2, ...
fn log(events: &[EnrollmentEvent]) -> Vec<SequencedEvent> {
    events.iter().enumerate().map(|(i, e)| SequencedEvent::new(i as u64 + 1, e.to_event())).collect()
}

/// Pins the `is_course` / `is_student` guards of the enrollment fold: given
/// the whole log (not only its query's matches, as the library's
/// `decisions_ignore_events_of_other_ids_even_when_given_them` does), an
/// enrollment reads the capacity of its own course and the tier of its own
/// student, not those of the course created or the student registered last.
#[test]
fn enroll_reads_its_own_courses_capacity_and_students_tier_from_the_whole_log() {
    use EnrollmentEvent::{CourseCreated, Enrolled, StudentRegistered};
    let whole = log(&[
        CourseCreated { course: "c1".into(), capacity: 1 },
        CourseCreated { course: "c2".into(), capacity: 5 },
        CourseCreated { course: "c3".into(), capacity: 5 },
        StudentRegistered { student: "s1".into(), tier: Tier::Basic },
        StudentRegistered { student: "s2".into(), tier: Tier::Master },
        StudentRegistered { student: "s3".into(), tier: Tier::Basic },
        Enrolled { course: "c1".into(), student: "s2".into() },
        Enrolled { course: "c2".into(), student: "s1".into() },
        Enrolled { course: "c3".into(), student: "s1".into() },
        CourseCreated { course: "c4".into(), capacity: 9 },
        StudentRegistered { student: "s4".into(), tier: Tier::Master },
    ]);
    let enroll = |course: &str, student: &str| {
        EnrollmentDecider.decide(&EnrollmentCommand::Enroll { course: course.into(), student: student.into() }, &whole)
    };
    let rejected = |reason: &str| Decision::Reject { reason: reason.into(), events: Vec::new() };
    // c1 (capacity 1) holds s2; c4, created last, has capacity 9.
    assert_eq!(enroll("c1", "s3"), rejected("Course is at maximum capacity (1 students)."));
    // s1 (Basic) holds two courses; s4, registered last, is Master.
    assert_eq!(enroll("c4", "s1"), rejected("Student has reached their enrollment limit (2 courses for Basic tier)."));
    // And a free seat for a student below their limit is granted.
    assert_eq!(enroll("c4", "s3"), Decision::Append(vec![Enrolled { course: "c4".into(), student: "s3".into() }.to_event()]));
}

// ---- library: each decision folds only its own book and reader, also when
// ---- given events of other ids (the whole log instead of its query's
// ---- matches). Each case below has one event of another id that would
// ---- flip the decision if a guard matched any id.

/// `command` decided on `events` at positions 1, 2, ..., summarized as
/// `"idempotent"`, `"append <type>"` or the rejection's business error.
fn library(command: &LibraryCommand, events: &[LibraryEvent]) -> String {
    let log: Vec<SequencedEvent> = events.iter().enumerate().map(|(i, e)| SequencedEvent::new(i as u64 + 1, e.to_event())).collect();
    match LibraryDecider.decide(command, &log) {
        Decision::Idempotent => "idempotent".into(),
        Decision::Append(events) => {
            assert_eq!(events.len(), 1, "{command}");
            format!("append {}", events[0].event_type)
        }
        Decision::Reject { reason, events } => {
            assert_eq!(events.len(), 1, "{command}");
            reason
        }
    }
}

/// Pins the `b == book` guards of `add_book_copy` (added, removed).
#[test]
fn add_book_copy_reads_only_its_own_copy() {
    let add = LibraryCommand::AddBookCopy { book: "b1".into(), title: "Dune".into() };
    // Another copy in circulation does not make b1 present.
    assert_eq!(library(&add, &[added("b2")]), "append BookCopyAddedToCirculation");
    // Another copy's removal does not take b1 out.
    assert_eq!(library(&add, &[added("b1"), added("b2"), removed("b2")]), "idempotent");
}

/// Pins the `b == book` guards of `remove_book_copy` (added, removed, lent, returned).
#[test]
fn remove_book_copy_reads_only_its_own_copy() {
    let remove = LibraryCommand::RemoveBookCopy { book: "b1".into() };
    let never = "RemovingBookFromCirculationFailed: book was never added to circulation";
    let lent_out = "RemovingBookFromCirculationFailed: book is currently lent";
    assert_eq!(library(&remove, &[added("b2")]), never);
    assert_eq!(library(&remove, &[added("b1"), added("b2"), removed("b2")]), "append BookCopyRemovedFromCirculation");
    assert_eq!(library(&remove, &[added("b1"), added("b2"), lent("b2", "r1")]), "append BookCopyRemovedFromCirculation");
    assert_eq!(library(&remove, &[added("b1"), lent("b1", "r1"), added("b2"), lent("b2", "r2"), returned("b2", "r2")]), lent_out);
}

/// Pins the `r == reader` guards of `register_reader` (registered, canceled).
#[test]
fn register_reader_reads_only_its_own_reader() {
    let register = LibraryCommand::RegisterReader { reader: "r1".into(), name: "Ada".into() };
    assert_eq!(library(&register, &[registered("r2", "Name of r2")]), "append ReaderRegistered");
    assert_eq!(library(&register, &[registered("r1", "Name of r1"), registered("r2", "Name of r2"), canceled("r2")]), "idempotent");
}

/// Pins the `r == reader` guards of `cancel_reader_contract` (registered,
/// canceled, lent, returned).
#[test]
fn cancel_reader_contract_reads_only_its_own_reader_and_their_loans() {
    let cancel = LibraryCommand::CancelReaderContract { reader: "r1".into() };
    let never = "CancelingReaderContractFailed: reader was never registered";
    let loans = "CancelingReaderContractFailed: reader has outstanding book loans";
    assert_eq!(library(&cancel, &[registered("r2", "Name of r2")]), never);
    assert_eq!(library(&cancel, &[registered("r1", "Name of r1"), registered("r2", "Name of r2"), canceled("r2")]), "append ReaderContractCanceled");
    assert_eq!(library(&cancel, &[registered("r1", "Name of r1"), registered("r2", "Name of r2"), added("b2"), lent("b2", "r2")]), "append ReaderContractCanceled");
    // A "return" of r1's copy by someone else (not a history the handlers
    // produce) does not clear r1's loan.
    assert_eq!(library(&cancel, &[registered("r1", "Name of r1"), added("b1"), lent("b1", "r1"), returned("b1", "r2")]), loans);
}

/// Pins the `b == book` / `r == reader` guards of `lend_book_copy` (added,
/// removed, registered, canceled).
#[test]
fn lend_book_copy_reads_only_its_own_copy_and_reader() {
    let lend = LibraryCommand::LendBookCopy { book: "b1".into(), reader: "r1".into() };
    let not_registered = "LendingBookToReaderFailed: reader is not currently registered";
    let not_in_circulation = "LendingBookToReaderFailed: book is not in circulation";
    assert_eq!(library(&lend, &[registered("r1", "Name of r1"), added("b2")]), not_in_circulation);
    assert_eq!(library(&lend, &[registered("r1", "Name of r1"), added("b1"), added("b2"), removed("b2")]), "append BookCopyLentToReader");
    assert_eq!(library(&lend, &[registered("r2", "Name of r2"), added("b1")]), not_registered);
    assert_eq!(library(&lend, &[registered("r1", "Name of r1"), registered("r2", "Name of r2"), canceled("r2"), added("b1")]), "append BookCopyLentToReader");
}

/// Pins the guards of `return_book_copy` (added, lent, returned, registered).
#[test]
fn return_book_copy_reads_only_its_own_copy_and_reader() {
    let ret = LibraryCommand::ReturnBookCopy { book: "b1".into(), reader: "r1".into() };
    let never_registered = "ReturningBookFromReaderFailed: reader was never registered";
    let never_added = "ReturningBookFromReaderFailed: book was never added to circulation";
    let not_lent = "ReturningBookFromReaderFailed: book is not lent to this reader";
    assert_eq!(library(&ret, &[registered("r1", "Name of r1"), added("b2")]), never_added);
    assert_eq!(library(&ret, &[registered("r1", "Name of r1"), registered("r2", "Name of r2"), added("b1"), lent("b1", "r2")]), not_lent);
    assert_eq!(library(&ret, &[registered("r1", "Name of r1"), added("b1"), added("b2"), lent("b2", "r1")]), not_lent);
    let both = [registered("r1", "Name of r1"), added("b1"), added("b2"), lent("b1", "r1"), lent("b2", "r1"), returned("b2", "r1")];
    assert_eq!(library(&ret, &both), "append BookCopyReturnedByReader");
    assert_eq!(library(&ret, &[registered("r2", "Name of r2"), added("b1"), lent("b1", "r2")]), never_registered);
}
