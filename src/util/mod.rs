//! Small shared helpers.

pub mod duration_us;
pub(crate) mod table;
