//! Enrollment commands.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::tier::Tier;

/// A command of the enrollment domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EnrollmentCommand {
    /// Create a course with a capacity (≥ 1).
    CreateCourse {
        /// Course id.
        course: String,
        /// Maximum number of students.
        capacity: u32,
    },
    /// Change a course's capacity (may drop below the current count; later
    /// enrollments are then rejected as full).
    ChangeCapacity {
        /// Course id.
        course: String,
        /// The new capacity.
        capacity: u32,
    },
    /// Register a student with a tier.
    RegisterStudent {
        /// Student id.
        student: String,
        /// Their tier.
        #[serde(default)]
        tier: Tier,
    },
    /// Change a registered student's tier.
    ChangeTier {
        /// Student id.
        student: String,
        /// The new tier.
        tier: Tier,
    },
    /// Enroll a student in a course.
    Enroll {
        /// Course id.
        course: String,
        /// Student id.
        student: String,
    },
}

impl fmt::Display for EnrollmentCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnrollmentCommand::CreateCourse { course, capacity } => write!(f, "create course {course} (capacity {capacity})"),
            EnrollmentCommand::ChangeCapacity { course, capacity } => write!(f, "change capacity of {course} to {capacity}"),
            EnrollmentCommand::RegisterStudent { student, tier } => write!(f, "register student {student} ({tier})"),
            EnrollmentCommand::ChangeTier { student, tier } => write!(f, "change tier of {student} to {tier}"),
            EnrollmentCommand::Enroll { course, student } => write!(f, "enroll {student} in {course}"),
        }
    }
}
