//! The pure decisions of the enrollment domain.

use crate::handler::{Decider, Decision};
use crate::store::{Query, QueryItem, SequencedEvent};

use super::commands::EnrollmentCommand;
use super::events::{COURSE_PREFIX, EnrollmentEvent, STUDENT_PREFIX, course_tag, student_tag, types};
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
        // Fold on tags and types directly (no decoding into owned ids): this
        // runs once per attempt and again in the serializability check.
        // `course:<course>` / `student:<student>`, compared without building the tags.
        let tagged = |e: &crate::store::Event, prefix: &str, id: &str| e.tags.iter().any(|t| t.as_str().strip_prefix(prefix) == Some(id));
        let mut s = EnrollState::default();
        for e in events.iter().map(|e| &*e.event) {
            let (is_course, is_student) = (tagged(e, COURSE_PREFIX, course), tagged(e, STUDENT_PREFIX, student));
            match e.event_type.as_str() {
                types::COURSE_CREATED | types::CAPACITY_CHANGED if is_course => s.capacity = e.data.parse().ok(),
                types::STUDENT_REGISTERED | types::TIER_CHANGED if is_student => s.tier = Tier::from_name(&e.data),
                types::ENROLLED => {
                    s.enrolled_in_course += u32::from(is_course);
                    s.student_courses += u32::from(is_student);
                    s.already_enrolled |= is_course && is_student;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    /// Runs `commands` one by one on a fresh store and returns the last decision.
    fn decide_after(commands: &[EnrollmentCommand], last: &EnrollmentCommand) -> Decision {
        let store = MemoryStore::new();
        let d = EnrollmentDecider;
        for c in commands {
            let events = store.read_now(&d.query(c), Default::default()).unwrap();
            if let Decision::Append(e) = d.decide(c, &events) {
                store.append_now(e, None).unwrap();
            }
        }
        let events = store.read_now(&d.query(last), Default::default()).unwrap();
        d.decide(last, &events)
    }

    fn course(c: &str, cap: u32) -> EnrollmentCommand {
        EnrollmentCommand::CreateCourse { course: c.into(), capacity: cap }
    }
    fn student(s: &str, tier: Tier) -> EnrollmentCommand {
        EnrollmentCommand::RegisterStudent { student: s.into(), tier }
    }
    fn enroll(c: &str, s: &str) -> EnrollmentCommand {
        EnrollmentCommand::Enroll { course: c.into(), student: s.into() }
    }
    fn rejected(d: Decision) -> String {
        match d {
            Decision::Reject { reason, .. } => reason,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn rules_apply_in_order_course_student_already_full_tier() {
        // Course missing wins over student missing.
        assert_eq!(rejected(decide_after(&[], &enroll("c1", "s1"))), "Course does not exist.");
        assert_eq!(rejected(decide_after(&[course("c1", 1)], &enroll("c1", "s1"))), "Student is not registered.");
        // Already enrolled wins over full (capacity 1, taken by s1 itself).
        let setup = [course("c1", 1), student("s1", Tier::Basic), enroll("c1", "s1")];
        assert_eq!(rejected(decide_after(&setup, &enroll("c1", "s1"))), "Student is already enrolled in this course.");
        let setup = [course("c1", 1), student("s1", Tier::Basic), student("s2", Tier::Basic), enroll("c1", "s1")];
        assert_eq!(rejected(decide_after(&setup, &enroll("c1", "s2"))), "Course is at maximum capacity (1 students).");
        // Full wins over the tier limit.
        let setup = [course("c1", 5), course("c2", 5), course("c3", 1), student("s1", Tier::Basic), student("s2", Tier::Basic), enroll("c1", "s1"), enroll("c2", "s1"), enroll("c3", "s2")];
        assert_eq!(rejected(decide_after(&setup, &enroll("c3", "s1"))), "Course is at maximum capacity (1 students).");
        let setup = [course("c1", 5), course("c2", 5), course("c3", 5), student("s1", Tier::Basic), enroll("c1", "s1"), enroll("c2", "s1")];
        assert_eq!(rejected(decide_after(&setup, &enroll("c3", "s1"))), "Student has reached their enrollment limit (2 courses for Basic tier).");
    }

    #[test]
    fn tier_limits_and_changes_count() {
        let mut setup = vec![student("s1", Tier::Standard)];
        for i in 0..5 {
            setup.push(course(&format!("c{i}"), 10));
        }
        setup.push(course("c9", 10));
        for i in 0..4 {
            setup.push(enroll(&format!("c{i}"), "s1"));
        }
        assert!(matches!(decide_after(&setup, &enroll("c4", "s1")), Decision::Append(_)), "the 5th course of Standard is allowed");
        setup.push(enroll("c4", "s1"));
        assert_eq!(rejected(decide_after(&setup, &enroll("c9", "s1"))), "Student has reached their enrollment limit (5 courses for Standard tier).");
        setup.push(EnrollmentCommand::ChangeTier { student: "s1".into(), tier: Tier::Professional });
        assert!(matches!(decide_after(&setup, &enroll("c9", "s1")), Decision::Append(_)), "an upgrade lifts the limit");
    }

    #[test]
    fn capacity_changes_apply_and_repeating_a_change_is_idempotent() {
        let setup = [course("c1", 1), student("s1", Tier::Basic), student("s2", Tier::Basic), enroll("c1", "s1"), EnrollmentCommand::ChangeCapacity { course: "c1".into(), capacity: 2 }];
        assert!(matches!(decide_after(&setup, &enroll("c1", "s2")), Decision::Append(_)));
        assert_eq!(decide_after(&setup, &EnrollmentCommand::ChangeCapacity { course: "c1".into(), capacity: 2 }), Decision::Idempotent);
        assert_eq!(decide_after(&setup, &EnrollmentCommand::ChangeTier { student: "s1".into(), tier: Tier::Basic }), Decision::Idempotent);
        assert_eq!(rejected(decide_after(&[], &EnrollmentCommand::ChangeCapacity { course: "c9".into(), capacity: 2 })), "Course does not exist.");
        assert_eq!(rejected(decide_after(&[], &EnrollmentCommand::ChangeTier { student: "s9".into(), tier: Tier::Basic })), "Student is not registered.");
    }

    #[test]
    fn creating_twice_is_rejected_and_capacity_zero_is_invalid() {
        assert_eq!(rejected(decide_after(&[course("c1", 3)], &course("c1", 3))), "Course already exists.");
        assert_eq!(rejected(decide_after(&[], &course("c1", 0))), "Course capacity must be at least 1.");
        assert_eq!(rejected(decide_after(&[student("s1", Tier::Basic)], &student("s1", Tier::Master))), "Student is already registered.");
    }

    #[test]
    fn events_round_trip_through_the_store_encoding() {
        let all = [
            EnrollmentEvent::CourseCreated { course: "c1".into(), capacity: 3 },
            EnrollmentEvent::CapacityChanged { course: "c1".into(), capacity: 4 },
            EnrollmentEvent::StudentRegistered { student: "s1".into(), tier: Tier::Master },
            EnrollmentEvent::TierChanged { student: "s1".into(), tier: Tier::Standard },
            EnrollmentEvent::Enrolled { course: "c1".into(), student: "s1".into() },
        ];
        for e in all {
            assert_eq!(EnrollmentEvent::from_event(&e.to_event()), Some(e));
        }
    }
}
