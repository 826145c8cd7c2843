//! Small shared helpers.

pub mod duration_us;
// Used by the simulator's `tune` and `sweep` tables only.
#[cfg(madsim)]
pub(crate) mod fnv;
pub(crate) mod table;
