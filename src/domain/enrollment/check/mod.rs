//! The enrollment domain's own invariants, checked over a finished run's
//! [`History`](crate::sim::History) by [`EnrollmentWorkload`](super::EnrollmentWorkload).
//! One file per invariant; each module's doc says what it verifies.

pub mod capacity;
pub mod double_enrollment;
pub mod tier_limit;
