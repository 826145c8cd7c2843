//! The pure decisions of the enrollment domain.

use crate::handler::{Decider, Decision};
use crate::store::{Query, QueryItem, SequencedEvent};

use super::commands::EnrollmentCommand;
use super::events::{EnrollmentEvent, course_tag, student_tag, types};
use super::tier::Tier;

/// The enrollment domain's [`Decider`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EnrollmentDecider;

/// The state an enrollment decision is made on (folded from one read).
#[derive(Debug, Default)]
struct EnrollState {
    capacity: Option<u32>,
    enrolled_in_course: u32,
    tier: Option<Tier>,
    student_courses: u32,
    already_enrolled: bool,
}

fn item(types: &[&str], tag: String) -> QueryItem {
    QueryItem::new().types(types.iter().copied()).tags([tag])
}

fn query(items: Vec<QueryItem>) -> Query {
    Query::from_items(items).expect("enrollment queries have types and non-empty tags")
}

fn reject(reason: impl Into<String>) -> Decision {
    Decision::Reject { reason: reason.into(), events: Vec::new() }
}

fn append(e: EnrollmentEvent) -> Decision {
    Decision::Append(vec![e.to_event()])
}

impl EnrollmentDecider {
    fn decide_enroll(course: &str, student: &str, events: &[SequencedEvent]) -> Decision {
        let mut s = EnrollState::default();
        for (_, e) in EnrollmentEvent::decode_all(events) {
            match e {
                EnrollmentEvent::CourseCreated { course: c, capacity } | EnrollmentEvent::CapacityChanged { course: c, capacity } if c == course => {
                    s.capacity = Some(capacity);
                }
                EnrollmentEvent::StudentRegistered { student: st, tier } | EnrollmentEvent::TierChanged { student: st, tier } if st == student => {
                    s.tier = Some(tier);
                }
                EnrollmentEvent::Enrolled { course: c, student: st } => {
                    if c == course {
                        s.enrolled_in_course += 1;
                    }
                    if st == student {
                        s.student_courses += 1;
                    }
                    s.already_enrolled |= c == course && st == student;
                }
                _ => {}
            }
        }
        let Some(capacity) = s.capacity else { return reject("Course does not exist.") };
        let Some(tier) = s.tier else { return reject("Student is not registered.") };
        if s.already_enrolled {
            return reject("Student is already enrolled in this course.");
        }
        if s.enrolled_in_course >= capacity {
            return reject(format!("Course is at maximum capacity ({capacity} students)."));
        }
        if s.student_courses >= tier.max_courses() {
            return reject(format!("Student has reached their enrollment limit ({} courses for {tier} tier).", tier.max_courses()));
        }
        append(EnrollmentEvent::Enrolled { course: course.into(), student: student.into() })
    }
}

impl Decider for EnrollmentDecider {
    type Command = EnrollmentCommand;

    fn command_type(&self, command: &EnrollmentCommand) -> &'static str {
        match command {
            EnrollmentCommand::CreateCourse { .. } => "CreateCourse",
            EnrollmentCommand::ChangeCapacity { .. } => "ChangeCourseCapacity",
            EnrollmentCommand::RegisterStudent { .. } => "RegisterStudent",
            EnrollmentCommand::ChangeTier { .. } => "ChangeStudentTier",
            EnrollmentCommand::Enroll { .. } => "EnrollStudentToCourse",
        }
    }

    fn query(&self, command: &EnrollmentCommand) -> Query {
        use types::*;
        match command {
            EnrollmentCommand::CreateCourse { course, .. } => query(vec![item(&[COURSE_CREATED], course_tag(course))]),
            // A change reads the current value too: after an ambiguous
            // commit its retry sees its own write (→ idempotent) instead of
            // appending the change a second time.
            EnrollmentCommand::ChangeCapacity { course, .. } => query(vec![item(&[COURSE_CREATED, CAPACITY_CHANGED], course_tag(course))]),
            EnrollmentCommand::RegisterStudent { student, .. } => query(vec![item(&[STUDENT_REGISTERED], student_tag(student))]),
            EnrollmentCommand::ChangeTier { student, .. } => query(vec![item(&[STUDENT_REGISTERED, TIER_CHANGED], student_tag(student))]),
            // The union of the course's capacity projection and the
            // student's limit projection; "already enrolled" is covered by
            // the course item (enrollment events carry both tags).
            EnrollmentCommand::Enroll { course, student } => query(vec![
                item(&[COURSE_CREATED, CAPACITY_CHANGED, ENROLLED], course_tag(course)),
                item(&[STUDENT_REGISTERED, TIER_CHANGED, ENROLLED], student_tag(student)),
            ]),
        }
    }

    fn decide(&self, command: &EnrollmentCommand, events: &[SequencedEvent]) -> Decision {
        match command {
            EnrollmentCommand::CreateCourse { course, capacity } => {
                if *capacity == 0 {
                    reject("Course capacity must be at least 1.")
                } else if events.is_empty() {
                    append(EnrollmentEvent::CourseCreated { course: course.clone(), capacity: *capacity })
                } else {
                    reject("Course already exists.")
                }
            }
            EnrollmentCommand::ChangeCapacity { course, capacity } => {
                let current = EnrollmentEvent::decode_all(events).filter_map(|(_, e)| match e {
                    EnrollmentEvent::CourseCreated { capacity, .. } | EnrollmentEvent::CapacityChanged { capacity, .. } => Some(capacity),
                    _ => None,
                });
                match current.last() {
                    None => reject("Course does not exist."),
                    Some(c) if c == *capacity => Decision::Idempotent,
                    Some(_) => append(EnrollmentEvent::CapacityChanged { course: course.clone(), capacity: *capacity }),
                }
            }
            EnrollmentCommand::RegisterStudent { student, tier } => {
                if events.is_empty() {
                    append(EnrollmentEvent::StudentRegistered { student: student.clone(), tier: *tier })
                } else {
                    reject("Student is already registered.")
                }
            }
            EnrollmentCommand::ChangeTier { student, tier } => {
                let current = EnrollmentEvent::decode_all(events).filter_map(|(_, e)| match e {
                    EnrollmentEvent::StudentRegistered { tier, .. } | EnrollmentEvent::TierChanged { tier, .. } => Some(tier),
                    _ => None,
                });
                match current.last() {
                    None => reject("Student is not registered."),
                    Some(t) if t == *tier => Decision::Idempotent,
                    Some(_) => append(EnrollmentEvent::TierChanged { student: student.clone(), tier: *tier }),
                }
            }
            EnrollmentCommand::Enroll { course, student } => Self::decide_enroll(course, student, events),
        }
    }
}
