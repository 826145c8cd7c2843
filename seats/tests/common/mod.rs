//! Helpers shared by the modules of the seats test binary: hand-written
//! race scenarios, exploring until the first failure.

#![allow(dead_code, reason = "each module uses a different subset; some helpers serve ignored measurements")]

use dcb_sim::plant::Plant;
use dcb_sim::explore::{ExploreOptions, FailureReport, explore};
use dcb_sim::sim::{RunResult, Scenario, Scheduled, Workload};
use seats::SeatCommand;
use seats::generate::EVENT;

/// Seeds an exploration may use to find a bug.
pub const BUDGET: u64 = 2_000;

/// Seeds a hand-written scenario is run under.
pub const SCRIPT_SEEDS: u64 = 200;

fn hold(seat: &str, customer: &str) -> SeatCommand {
    SeatCommand::hold(EVENT, seat, customer)
}

/// Two customers hold the same seat at the same time.
pub fn one_seat_two_customers() -> Scenario<SeatCommand> {
    Scenario::new(vec![], vec![Scheduled::at_ms(0, 0, hold("s1", "c1")), Scheduled::at_ms(1, 0, hold("s1", "c2"))])
}

/// Customer `c1` holds one seat; two clients of `c1` race for its second
/// (last) one on different seats.
pub fn last_seat_of_a_customer() -> Scenario<SeatCommand> {
    Scenario::new(vec![hold("s1", "c1")], vec![Scheduled::at_ms(0, 0, hold("s2", "c1")), Scheduled::at_ms(1, 0, hold("s3", "c1"))])
}

/// Two customers race for one seat while a third takes another seat a
/// little later (so the store's head moves past the race's winner).
pub fn race_then_unrelated_hold() -> Scenario<SeatCommand> {
    let mut s = one_seat_two_customers();
    s.commands.push(Scheduled::at_ms(2, 5, hold("s2", "c3")));
    s
}

/// `c1` holds `s1` at 6 ms; shortly before, `c2` takes `s1` (0 ms) and
/// `c1` takes `s2` (1 ms): both land between a two-read handler's seat
/// read and customer read in a good share of the seeds.
pub fn hold_between_two_reads() -> Scenario<SeatCommand> {
    Scenario::new(vec![], vec![Scheduled::at_ms(0, 6, hold("s1", "c1")), Scheduled::at_ms(1, 0, hold("s1", "c2")), Scheduled::at_ms(2, 1, hold("s2", "c1"))])
}

/// The invariants a run broke, each once, sorted.
pub fn fired<C>(result: &RunResult<C>) -> Vec<String> {
    let mut names: Vec<String> = result.violations.iter().map(|v| v.invariant().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// Explores `w` from `start` until the first failing seed (at most
/// `budget` seeds, with `plant`); the report, or `None`.
pub fn first_failure<W: Workload>(w: &W, start: u64, budget: u64, plant: Option<Plant>) -> Option<FailureReport> {
    let opts = ExploreOptions { start_seed: start, seeds: budget, plant, stop_on_failure: true, max_reports: 1, test: Some("sim -- bugs::".into()), ..ExploreOptions::default() };
    explore(w, &opts).failures.into_iter().next()
}
