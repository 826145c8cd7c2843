//! # dcb-sim
//!
//! A deterministic simulation harness for event-sourced command handlers that
//! use **Dynamic Consistency Boundaries** (DCB) and retry on concurrency
//! conflicts.

pub mod domain;
pub mod handler;
pub mod plant;
pub mod retry;
pub mod rng;
#[cfg(madsim)]
pub mod sim;
pub mod store;
pub(crate) mod util;
