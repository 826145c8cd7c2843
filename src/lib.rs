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

/// The `rand` version dcb-sim's API uses (`RngExt` for drawing in a
/// scenario generator), re-exported so your crate need not pin it.
pub use rand;
/// The `rand_chacha` version dcb-sim's API uses ([`ChaCha8Rng`](rand_chacha::ChaCha8Rng)
/// in [`Workload::generate`](crate::sim::Workload::generate) and [`Ctx::rng`](crate::handler::Ctx::rng)),
/// re-exported so your crate need not pin it.
pub use rand_chacha;
