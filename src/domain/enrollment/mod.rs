//! Course enrollment (the C# Opossum sample): courses with a capacity,
//! students with a tier, and enrollment under both limits.
//!
//! Enrollment rules, checked in this order on the state built from one read
//! of the decision's query (the union of the course's and the student's
//! events):
//!
//! 1. the course exists — "Course does not exist."
//! 2. the student is registered — "Student is not registered."
//! 3. not already enrolled — "Student is already enrolled in this course."
//! 4. the course is not full (`enrolled >= capacity` rejects) — "Course is at maximum capacity (N students)."
//! 5. the student is below the tier limit — "Student has reached their enrollment limit (N courses for T tier)."
//!
//! The handler retries only conflicts, with the C# constants: 3 attempts;
//! waits 0, 50 ms, 100 ms ([`RetryPolicy::csharp`]).

mod commands;
mod decide;
mod events;
mod tier;

pub use commands::EnrollmentCommand;
pub use decide::EnrollmentDecider;
pub use events::{EnrollmentEvent, course_tag, student_tag};
pub use tier::Tier;
#[cfg(madsim)]
pub mod check;
#[cfg(madsim)]
mod workload;
#[cfg(madsim)]
pub use workload::EnrollmentWorkload;

use crate::handler::CommandHandler;
use crate::retry::{RetryPolicy, Sleeper};
use crate::store::EventStore;

/// The enrollment handler with the C# retry constants.
pub fn handler<S: EventStore, Sl: Sleeper>(store: S, sleeper: Sl) -> CommandHandler<EnrollmentDecider, S, Sl> {
    CommandHandler::new(EnrollmentDecider, store, RetryPolicy::csharp(), sleeper)
}
