//! [`Workload`]: how a domain plugs into the simulator.

use rand_chacha::ChaCha8Rng;

use super::history::History;
use super::scenario::Scenario;
use super::violation::Violation;
use crate::handler::Decider;

/// The command type of a workload.
pub type Cmd<W> = <<W as Workload>::Decider as Decider>::Command;

/// A domain under simulation: its decider, a generator of scenarios from a
/// seed, and its own invariants. The runner adds the generic checks.
pub trait Workload: Send + Sync {
    /// The domain's handlers.
    type Decider: Decider;

    /// Short name used in reports and on the command line.
    fn name(&self) -> &'static str;

    /// The decider the handlers run.
    fn decider(&self) -> Self::Decider;

    /// A scenario drawn from `rng` (swarm: client count, capacities and ids
    /// from a small hot set are drawn too, so that conflicts happen).
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Cmd<Self>>;

    /// Domain invariants over a finished run; push what breaks onto `out`.
    fn check(&self, scenario: &Scenario<Cmd<Self>>, history: &History<Cmd<Self>>, out: &mut Vec<Violation>);
}
