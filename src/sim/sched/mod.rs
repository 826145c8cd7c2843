//! Schedulers at the store boundary: who takes the next store step.
//!
//! For DCB handlers the only shared state is the event store, so the
//! interleavings that matter are the orders in which clients' store calls
//! take effect. Each read or append of a client is a **step**. A
//! [`Scheduler`] decides the order:
//!
//! - [`Scheduler::Random`] (the default): every store call sleeps a random
//!   latency before and after it takes effect ([`Latency`](super::Latency)),
//!   and madsim's timers order the steps. Every seed, regression file and
//!   snapshot from before the schedulers replays unchanged.
//! - [`Scheduler::Pct`]: store calls take no latency; whenever no client
//!   can run, the pending step of the highest-priority client takes effect,
//!   with random priorities and `depth − 1` priority change points drawn
//!   from the seed (PCT: probabilistic concurrency testing).
//! - [`Scheduler::Script`]: the choices of a [`Schedule`], e.g. one a
//!   report printed; `DCB_SCHEDULE=…` in tests, `replay --schedule …` on
//!   the command line.
//! - [`exhaustive`](exhaustive()): every distinct order of steps of one scenario, with a
//!   sleep-set partial-order reduction; a complete run with no violation
//!   is a proof for that scenario.
//! - [`races`](races()): the pairs and triples of commands of any scenario that
//!   conflicted in a recorded run, each played alone and enumerated
//!   exhaustively.
//!
//! Under the controlled schedulers (all but `Random`), store calls take no
//! latency of their own and a decision is made only when no client can
//! run: each is parked at a step, blocked (on a backoff sleep, a start
//! time, a timeout, a store call that waits inside the store) or done. The
//! scheduler then releases one pending step, or — while some client is
//! blocked — chooses [`Choice::Wait`]: virtual time runs to the next event
//! first, so a pending call can be delayed past other clients' sleeps (as a
//! slow store call can). Backoff sleeps and timeouts last exactly as long
//! as in production; only the time a call spends pending varies.

pub mod exhaustive;
mod pct;
pub mod races;
mod schedule;
mod script;
mod step;
pub(crate) mod turn;

pub use exhaustive::{ExhaustiveError, ExhaustiveFailure, ExhaustiveOptions, ExhaustiveReport, exhaustive, exhaustive_with};
pub use races::{Race, RaceOptions, RacesReport, check_races, races, races_of};
pub use schedule::{Choice, Schedule, ScheduleError, ScheduleRecord};
pub(crate) use step::{Footprint, Step};

use serde::{Deserialize, Serialize};

use crate::rng;

/// RNG stream the PCT scheduler draws its priorities and change points from.
pub const PCT_STREAM: u64 = u64::MAX - 3;

/// Who decides the order of store steps in a run (see the [module docs](self)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scheduler {
    /// Random store latency; madsim's timers order the steps.
    #[default]
    Random,
    /// Probabilistic concurrency testing with `depth − 1` change points.
    Pct {
        /// The bug depth PCT targets (≥ 1; 3 is a good default).
        depth: u32,
    },
    /// Replays a schedule.
    Script {
        /// The choices, as a report printed them.
        schedule: Schedule,
    },
}

impl Scheduler {
    /// True for the default (kept out of scenario files).
    pub fn is_random(&self) -> bool {
        matches!(self, Scheduler::Random)
    }

    /// The chooser for one run (`None` for `Random`). `commands` is the
    /// number of concurrent commands (PCT places its change points among
    /// the first 4 steps per command: a read and an append, twice).
    pub(crate) fn chooser(&self, seed: u64, clients: &[u32], commands: usize) -> Option<Box<dyn turn::Chooser>> {
        match self {
            Scheduler::Random => None,
            Scheduler::Pct { depth } => Some(Box::new(pct::Pct::new(&mut rng::substream(seed, PCT_STREAM), clients, *depth, 4 * commands))),
            Scheduler::Script { schedule } => Some(Box::new(script::Script::new(schedule))),
        }
    }
}

impl std::fmt::Display for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scheduler::Random => f.write_str("random"),
            Scheduler::Pct { depth } => write!(f, "pct (depth {depth})"),
            Scheduler::Script { schedule } => write!(f, "script {schedule}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names reports and `--json` summaries print.
    #[test]
    fn schedulers_print_their_kind_and_parameters() {
        assert_eq!(Scheduler::Random.to_string(), "random");
        assert_eq!(Scheduler::Pct { depth: 3 }.to_string(), "pct (depth 3)");
        let schedule: Schedule = "0.1*2.w".parse().expect("a valid schedule");
        assert_eq!(Scheduler::Script { schedule }.to_string(), "script 0.1*2.w");
    }

    /// PCT's change points fall among the first 4 decisions per command (a
    /// read and an append, twice): given more change points than that,
    /// each of those decisions demotes the client that went last (a switch),
    /// and none after.
    #[test]
    fn pct_places_its_change_points_among_the_first_four_steps_per_command() {
        let steps: Vec<Step> = (0..3).map(|c| Step { client: c, command: c as usize, call: 0, footprint: Footprint::Read(crate::store::Query::all()) }).collect();
        for commands in [2, 3] {
            let mut chooser = Scheduler::Pct { depth: 100 }.chooser(7, &[0, 1, 2], commands).expect("PCT chooses");
            let mut last = None;
            let mut switches = Vec::new();
            for decision in 1..=40 {
                let options = turn::Options { steps: steps.iter().collect(), blocked: vec![], last };
                let Choice::Step(c) = chooser.choose(&options) else { panic!("PCT waited with nothing blocked") };
                if last.is_some_and(|l| l != c) {
                    switches.push(decision);
                }
                last = Some(c);
            }
            // decision 1 has no previous client to demote
            assert_eq!(switches, (2..=4 * commands).collect::<Vec<_>>(), "{commands} commands");
        }
    }
}
