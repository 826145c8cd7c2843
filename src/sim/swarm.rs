//! Swarm helpers shared by workloads.

use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::scenario::Scenario;
use super::faults::FaultPlan;

/// Draws a fault plan into `scenario` (swarm testing: each fault kind is
/// switched on for about half the seeds, at 2–10 % of store calls), and
/// lets the policy retry transient errors so ambiguous commits get retried.
pub fn swarm_faults<C>(rng: &mut ChaCha8Rng, scenario: &mut Scenario<C>) {
    let p = |rng: &mut ChaCha8Rng| if rng.random_bool(0.5) { rng.random_range(0.02..0.10) } else { 0.0 };
    let plan = FaultPlan {
        spike_probability: p(rng),
        spike_max: Duration::from_millis(rng.random_range(2..=30)),
        unavailable_probability: p(rng),
        unavailable_retryable: rng.random_bool(0.5),
        timeout_probability: p(rng),
        call_timeout: Duration::from_millis(rng.random_range(5..=20)),
        ambiguous_probability: p(rng),
        crash_probability: p(rng),
    };
    scenario.faults = plan;
    scenario.policy.retry_transient = true;
}

/// The coverage probes ([`check::coverage`](crate::check::coverage)) a
/// workload drawing [`swarm_faults`] over a thousand seeds reaches: each
/// fault kind on reads and appends that the swarm injects, a write behind
/// an error, and a retry after a transient error. The built-in workloads
/// require them when their faults are on.
pub const SWARM_FAULT_PROBES: [&str; 9] = [
    "fault Unavailable on read",
    "fault TimeoutBefore on read",
    "fault Unavailable on append",
    "fault TimeoutBefore on append",
    "fault TimeoutAfter on append",
    "fault Ambiguous on append",
    "fault Crash on append",
    "ghost write",
    "retry after transient",
];
