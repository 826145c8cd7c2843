//! **capacity** (enrollment): no course ever holds more students than its
//! capacity at the moment each enrollment was written.
//!
//! Folds the final log in order with its own model (not the decider): at
//! each `StudentEnrolledToCourse`, the course must exist and its count
//! including this enrollment must not exceed its current capacity.
//!
//! Not verified: capacity *reductions* below the current count are allowed
//! (as in the C# sample); only enrollments written afterwards must respect
//! the new capacity.

use std::collections::BTreeMap;

use crate::domain::enrollment::EnrollmentEvent;
use crate::sim::Violation;
use crate::store::SequencedEvent;

/// The invariant's name.
pub const NAME: &str = "capacity";

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut capacity: BTreeMap<String, u32> = BTreeMap::new();
    let mut count: BTreeMap<String, u32> = BTreeMap::new();
    for (position, e) in EnrollmentEvent::decode_all(log) {
        match e {
            EnrollmentEvent::CourseCreated { course, capacity: c } | EnrollmentEvent::CapacityChanged { course, capacity: c } => {
                capacity.insert(course, c);
            }
            EnrollmentEvent::Enrolled { course, student } => {
                let n = count.entry(course.clone()).or_default();
                *n += 1;
                match capacity.get(&course) {
                    None => out.push(Violation::safety(NAME, None, format!("position {position}: {student} enrolled in {course}, which does not exist"))),
                    Some(&cap) if *n > cap => out.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: enrolling {student} puts course {course} at {n} students, above its capacity {cap}"),
                    )),
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
}
