//! Enrollment events and their DCB encoding (type, tags, data).
//!
//! Ids live in tags (`course:<id>`, `student:<id>`); the payload is only the
//! number or tier name an event adds, so decoding is cheap.

use crate::store::{Event, SequencedEvent};

use super::tier::Tier;

/// The prefix of course tags.
pub(crate) const COURSE_PREFIX: &str = "course:";
/// The prefix of student tags.
pub(crate) const STUDENT_PREFIX: &str = "student:";

/// The tag of a course.
pub fn course_tag(course: &str) -> String {
    [COURSE_PREFIX, course].concat()
}

/// The tag of a student.
pub fn student_tag(student: &str) -> String {
    [STUDENT_PREFIX, student].concat()
}

/// Event type names.
pub(crate) mod types {
    pub const COURSE_CREATED: &str = "CourseCreated";
    pub const CAPACITY_CHANGED: &str = "CourseStudentLimitModified";
    pub const STUDENT_REGISTERED: &str = "StudentRegistered";
    pub const TIER_CHANGED: &str = "StudentSubscriptionUpdated";
    pub const ENROLLED: &str = "StudentEnrolledToCourse";
}

/// A decoded enrollment event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentEvent {
    /// A course was created.
    CourseCreated {
        /// Course id.
        course: String,
        /// Its capacity.
        capacity: u32,
    },
    /// A course's capacity changed.
    CapacityChanged {
        /// Course id.
        course: String,
        /// The new capacity.
        capacity: u32,
    },
    /// A student registered.
    StudentRegistered {
        /// Student id.
        student: String,
        /// Their tier.
        tier: Tier,
    },
    /// A student's tier changed.
    TierChanged {
        /// Student id.
        student: String,
        /// The new tier.
        tier: Tier,
    },
    /// A student enrolled in a course.
    Enrolled {
        /// Course id.
        course: String,
        /// Student id.
        student: String,
    },
}

fn id<'a>(e: &'a Event, prefix: &str) -> Option<&'a str> {
    e.tags.iter().find_map(|t| t.as_str().strip_prefix(prefix))
}

impl EnrollmentEvent {
    /// Encodes the event for the store.
    pub fn to_event(&self) -> Event {
        let (ty, tags, data) = match self {
            EnrollmentEvent::CourseCreated { course, capacity } => (types::COURSE_CREATED, vec![course_tag(course)], capacity.to_string()),
            EnrollmentEvent::CapacityChanged { course, capacity } => (types::CAPACITY_CHANGED, vec![course_tag(course)], capacity.to_string()),
            EnrollmentEvent::StudentRegistered { student, tier } => (types::STUDENT_REGISTERED, vec![student_tag(student)], tier.name().to_string()),
            EnrollmentEvent::TierChanged { student, tier } => (types::TIER_CHANGED, vec![student_tag(student)], tier.name().to_string()),
            EnrollmentEvent::Enrolled { course, student } => (types::ENROLLED, vec![course_tag(course), student_tag(student)], String::new()),
        };
        Event::new(ty, tags, data).expect("enrollment ids are non-empty by construction")
    }

    /// Decodes a stored event; `None` for events of other domains or malformed data.
    pub fn from_event(e: &Event) -> Option<Self> {
        let course = || id(e, COURSE_PREFIX).map(str::to_string);
        let student = || id(e, STUDENT_PREFIX).map(str::to_string);
        Some(match e.event_type.as_str() {
            types::COURSE_CREATED => EnrollmentEvent::CourseCreated { course: course()?, capacity: e.data.parse().ok()? },
            types::CAPACITY_CHANGED => EnrollmentEvent::CapacityChanged { course: course()?, capacity: e.data.parse().ok()? },
            types::STUDENT_REGISTERED => EnrollmentEvent::StudentRegistered { student: student()?, tier: Tier::from_name(&e.data)? },
            types::TIER_CHANGED => EnrollmentEvent::TierChanged { student: student()?, tier: Tier::from_name(&e.data)? },
            types::ENROLLED => EnrollmentEvent::Enrolled { course: course()?, student: student()? },
            _ => return None,
        })
    }

    /// Decodes every enrollment event of `events`, skipping others.
    pub fn decode_all(events: &[SequencedEvent]) -> impl Iterator<Item = (u64, EnrollmentEvent)> + '_ {
        events.iter().filter_map(|e| Some((e.position, Self::from_event(&e.event)?)))
    }
}
