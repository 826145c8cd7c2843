//! **double-enrollment** (enrollment): no student is enrolled twice in the
//! same course.
//!
//! Folds the final log; a second `StudentEnrolledToCourse` for the same
//! (course, student) pair is a violation.
//!
//! Not verified: that the enrolled student was registered (see
//! `serializability`, which re-runs every decision).

use std::collections::BTreeSet;

use crate::domain::enrollment::EnrollmentEvent;
use crate::sim::Violation;
use crate::store::SequencedEvent;

/// The invariant's name.
pub const NAME: &str = "double-enrollment";

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut seen = BTreeSet::new();
    for (position, e) in EnrollmentEvent::decode_all(log) {
        if let EnrollmentEvent::Enrolled { course, student } = e
            && !seen.insert((course.clone(), student.clone()))
        {
            out.push(Violation::safety(NAME, None, format!("position {position}: {student} enrolled in {course} a second time")));
        }
    }
}
