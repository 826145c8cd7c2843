//! Small shared helpers.

pub mod duration_us;
