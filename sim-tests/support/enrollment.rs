//! Enrollment commands for scripted scenarios (shared by the modules of
//! the `sim` test binary, `crate::support::enrollment`).

use dcb_sim::domain::enrollment::{EnrollmentCommand, Tier};

/// Create course `id` with `capacity` seats.
pub fn course(id: &str, capacity: u32) -> EnrollmentCommand {
    EnrollmentCommand::CreateCourse { course: id.into(), capacity }
}

/// Register student `id` at the basic tier.
pub fn student(id: &str) -> EnrollmentCommand {
    EnrollmentCommand::RegisterStudent { student: id.into(), tier: Tier::Basic }
}

/// Enroll student `s` in course `c`.
pub fn enroll(c: &str, s: &str) -> EnrollmentCommand {
    EnrollmentCommand::Enroll { course: c.into(), student: s.into() }
}
