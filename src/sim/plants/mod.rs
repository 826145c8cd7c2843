//! Planted bugs (negative controls) as simulator-side code: store wrappers
//! that work over any [`EventStore`](crate::store::EventStore), a broken
//! copy of the decider shell, and `ignore-cap` as a policy edit
//! ([`planted_policy`]). Nothing here is reachable from production code.

mod handler;
mod store;

pub use handler::{PlantedShell, ShellBug};
pub use store::{AfterEqualityStore, NON_ATOMIC_GAP, NonAtomicStore, PlantedStore};

use crate::plant::Plant;
use crate::retry::RetryPolicy;

/// The policy the handlers get under `plant`: [`Plant::IgnoreCap`] drops
/// the cap (the checkers still hold the run to the scenario's policy).
pub fn planted_policy(policy: &RetryPolicy, plant: Option<Plant>) -> RetryPolicy {
    let mut p = policy.clone();
    if plant == Some(Plant::IgnoreCap) {
        p.max_delay = None;
    }
    p
}
