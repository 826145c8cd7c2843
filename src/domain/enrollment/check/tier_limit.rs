//! **tier-limit** (enrollment): no student is enrolled in more courses than
//! their tier allows at the moment each enrollment was written.
//!
//! Folds the final log with its own model: registration and tier changes
//! set the tier; each enrollment, counted with the student's earlier ones,
//! must stay within `Tier::max_courses`.
//!
//! Not verified: tier *downgrades* below the current count are allowed;
//! only later enrollments must respect the new limit.

use std::collections::BTreeMap;

use crate::domain::enrollment::{EnrollmentEvent, Tier};
use crate::sim::Violation;
use crate::store::SequencedEvent;

/// The invariant's name.
pub const NAME: &str = "tier-limit";

/// Checks the log.
pub fn check(log: &[SequencedEvent], out: &mut Vec<Violation>) {
    let mut tier: BTreeMap<String, Tier> = BTreeMap::new();
    let mut count: BTreeMap<String, u32> = BTreeMap::new();
    for (position, e) in EnrollmentEvent::decode_all(log) {
        match e {
            EnrollmentEvent::StudentRegistered { student, tier: t } | EnrollmentEvent::TierChanged { student, tier: t } => {
                tier.insert(student, t);
            }
            EnrollmentEvent::Enrolled { course, student } => {
                let n = count.entry(student.clone()).or_default();
                *n += 1;
                match tier.get(&student) {
                    None => out.push(Violation::safety(NAME, None, format!("position {position}: unregistered student {student} enrolled in {course}"))),
                    Some(t) if *n > t.max_courses() => out.push(Violation::safety(
                        NAME,
                        None,
                        format!("position {position}: {student} ({t}) is now in {n} courses, above the limit {}", t.max_courses()),
                    )),
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
}
