//! Helpers shared by the modules of the `sim` test binary.

pub mod chromium;
pub mod enrollment;
pub mod page;
