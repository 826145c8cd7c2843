//! Shrinking: turn a failing scenario into a minimal one that still
//! violates the same invariant.
//!
//! Greedy delta debugging over the scenario's structure, each step kept
//! only if the run still violates the invariant: drop a concurrent command,
//! drop a setup command, move a client's commands onto another client,
//! switch a fault kind off, collapse latency ranges to their minimum, and
//! pull start times to zero; for a scripted schedule, then the fewest
//! preemptions that still fail. A change of the scenario changes the
//! interleaving, so each candidate is tried under the current seed and a
//! few small seeds (0–15); the seed that reproduces is kept with it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sim::runner::run;
use crate::sim::scenario::Scenario;
use crate::sim::violation::Violation;
use crate::sim::workload::{Cmd, Workload};
use crate::sim::faults::FaultPlan;
use crate::sim::sched::{Schedule, Scheduler};

/// A shrunk failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shrunk<C> {
    /// The minimal scenario found.
    pub scenario: Scenario<C>,
    /// The seed that makes it fail.
    pub seed: u64,
    /// Its violations.
    pub violations: Vec<Violation>,
    /// Runs spent shrinking.
    pub runs: u64,
}

/// Extra seeds tried for every candidate.
const SEEDS: std::ops::Range<u64> = 0..16;

/// Shrinks `scenario` (failing under `seed` with a violation of
/// `invariant`) within `budget` runs.
pub fn shrink<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, invariant: &str, budget: u64) -> Shrunk<Cmd<W>> {
    let mut runs = 0;
    // A PCT run is pinned to the schedule it took, so cutting commands
    // keeps the order of the steps that remain.
    let pinned;
    let scenario = if let Scheduler::Pct { .. } = scenario.scheduler {
        runs += 1;
        let schedule = run(workload, scenario, seed).history.schedule.unwrap_or_default().schedule;
        pinned = Scenario { scheduler: Scheduler::Script { schedule }, ..scenario.clone() };
        &pinned
    } else {
        scenario
    };
    let fails = |s: &Scenario<Cmd<W>>, seed: u64, runs: &mut u64| -> Option<Vec<Violation>> {
        *runs += 1;
        let r = run(workload, s, seed);
        r.violations.iter().any(|v| v.invariant() == invariant).then_some(r.violations)
    };
    let mut best = Shrunk { scenario: scenario.clone(), seed, violations: fails(scenario, seed, &mut runs).unwrap_or_default(), runs: 0 };
    let mut improved = true;
    while improved && runs < budget {
        improved = false;
        for candidate in candidates(&best.scenario) {
            if runs >= budget {
                break;
            }
            let seeds = std::iter::once(best.seed).chain(SEEDS.filter(|s| *s != best.seed));
            let mut found = None;
            for s in seeds {
                if runs >= budget {
                    break;
                }
                if let Some(v) = fails(&candidate, s, &mut runs) {
                    found = Some((s, v));
                    break;
                }
            }
            if let Some((s, v)) = found {
                best = Shrunk { scenario: candidate, seed: s, violations: v, runs: 0 };
                improved = true;
                break; // restart from the smaller scenario
            }
        }
    }
    shrink_schedule(workload, &mut best, invariant, budget, &mut runs);
    best.runs = runs;
    best
}

/// For a scripted schedule: the fewest preemptions (then the fewest
/// decisions) that still violate `invariant` — shorter prefixes of the
/// script first (past its end the run goes on without preempting), then
/// the script with one choice dropped. Each kept candidate is pinned to
/// the schedule its run recorded, so the result replays exactly.
fn shrink_schedule<W: Workload>(workload: &W, best: &mut Shrunk<Cmd<W>>, invariant: &str, budget: u64, runs: &mut u64) {
    let measure = |scenario: &Scenario<Cmd<W>>, runs: &mut u64| {
        *runs += 1;
        let r = run(workload, scenario, best.seed);
        let record = r.history.schedule.clone().unwrap_or_default();
        r.violations.iter().any(|v| v.invariant() == invariant).then_some((record, r.violations))
    };
    let Scheduler::Script { .. } = best.scenario.scheduler else { return };
    let Some((mut record, _)) = measure(&best.scenario, runs) else { return };
    // Pin the choices the run made (a lenient script may not have fit everywhere).
    best.scenario.scheduler = Scheduler::Script { schedule: record.schedule.clone() };
    let mut improved = true;
    while improved && *runs < budget {
        improved = false;
        let choices = record.schedule.choices().to_vec();
        let prefixes = (0..choices.len()).map(|n| choices[..n].to_vec());
        let drops = (0..choices.len()).map(|i| [&choices[..i], &choices[i + 1..]].concat());
        for candidate in prefixes.chain(drops) {
            if *runs >= budget {
                break;
            }
            let scenario = Scenario { scheduler: Scheduler::Script { schedule: Schedule::new(candidate) }, ..best.scenario.clone() };
            if let Some((r, violations)) = measure(&scenario, runs)
                && (r.preemptions, r.schedule.len()) < (record.preemptions, record.schedule.len())
            {
                best.scenario = Scenario { scheduler: Scheduler::Script { schedule: r.schedule.clone() }, ..best.scenario.clone() };
                best.violations = violations;
                record = r;
                improved = true;
                break;
            }
        }
    }
}

/// Smaller variants of `s`, biggest cuts first.
fn candidates<C: Clone>(s: &Scenario<C>) -> Vec<Scenario<C>> {
    let mut out = Vec::new();
    // Halves, then single commands.
    let n = s.commands.len();
    if n > 3 {
        for half in [0..n / 2, n / 2..n] {
            let mut c = s.clone();
            c.commands = s.commands.iter().enumerate().filter(|(i, _)| !half.contains(i)).map(|(_, x)| x.clone()).collect();
            out.push(c);
        }
    }
    for i in 0..n {
        let mut c = s.clone();
        c.commands.remove(i);
        out.push(c);
    }
    for i in 0..s.setup.len() {
        let mut c = s.clone();
        c.setup.remove(i);
        out.push(c);
    }
    // Fewer clients: fold the highest client onto each other one.
    let mut clients: Vec<u32> = s.commands.iter().map(|x| x.client).collect();
    clients.sort_unstable();
    clients.dedup();
    if let Some(&last) = clients.last() {
        for &target in &clients[..clients.len() - 1] {
            let mut c = s.clone();
            c.commands.iter_mut().filter(|x| x.client == last).for_each(|x| x.client = target);
            out.push(c);
        }
    }
    // Renumber clients densely (0, 1, 2, …) for readability.
    if clients.iter().enumerate().any(|(i, c)| *c != i as u32) {
        let mut c = s.clone();
        for x in &mut c.commands {
            x.client = clients.binary_search(&x.client).map_or(x.client, |i| i as u32);
        }
        out.push(c);
    }
    // Fewer faults.
    let f = s.faults;
    let off: [fn(&mut FaultPlan); 5] = [
        |f| f.spike_probability = 0.0,
        |f| f.unavailable_probability = 0.0,
        |f| f.timeout_probability = 0.0,
        |f| f.ambiguous_probability = 0.0,
        |f| f.crash_probability = 0.0,
    ];
    for turn_off in off {
        let mut plan = f;
        turn_off(&mut plan);
        if plan != f {
            let mut c = s.clone();
            c.faults = plan;
            out.push(c);
        }
    }
    // Shorter latencies and earlier starts.
    let l = s.latency;
    if l.read_max > l.read_min || l.append_max > l.append_min {
        let mut c = s.clone();
        c.latency.read_max = l.read_min;
        c.latency.append_max = l.append_min;
        out.push(c);
    }
    if s.commands.iter().any(|x| !x.start.is_zero()) {
        let mut c = s.clone();
        c.commands.iter_mut().for_each(|x| x.start = Duration::ZERO);
        out.push(c);
        let mut c = s.clone();
        c.commands.iter_mut().for_each(|x| x.start /= 2);
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plant::Plant;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::explore::{SCENARIO_STREAM, explore, ExploreOptions};
    use crate::explore::wrapped::{Twist, Wrapped};
    use crate::sim::scenario::Scheduled;

    #[test]
    fn a_non_atomic_store_failure_shrinks_to_two_racing_enrollments() {
        let w = EnrollmentWorkload::default();
        let summary = explore(&w, &ExploreOptions { seeds: 200, plant: Some(Plant::NonAtomicStore), stop_on_failure: true, ..Default::default() });
        // That the plant can fire at all is asserted by name in
        // sim-tests/planted.rs (non_atomic_plant_fires_on_every_simulated_engine).
        let f = summary.failures.first().unwrap_or_else(|| panic!("the non-atomic store was not caught in 200 seeds\n{summary}"));
        let mut scenario = w.generate(&mut crate::rng::substream(f.seed, SCENARIO_STREAM));
        scenario.plant = Some(Plant::NonAtomicStore);
        let shrunk = shrink(&w, &scenario, f.seed, "serializability", 5_000);
        assert!(shrunk.violations.iter().any(|v| v.invariant() == "serializability"));
        assert!(shrunk.scenario.commands.len() <= 3, "{} commands left", shrunk.scenario.commands.len());
        assert!(shrunk.scenario.commands.len() < scenario.commands.len());
        // And it replays.
        assert_eq!(run(&w, &shrunk.scenario, shrunk.seed).violations, shrunk.violations);
    }

    fn describe(s: &Scenario<u32>) -> String {
        let commands: Vec<String> = s.commands.iter().map(|c| format!("{}@c{}+{}", c.command, c.client, c.start.as_millis())).collect();
        let ms = |d: Duration| d.as_millis();
        format!(
            "{} | setup {:?} | spike {} timeout {} | read {}-{} append {}-{}",
            commands.join(" "),
            s.setup,
            s.faults.spike_probability,
            s.faults.timeout_probability,
            ms(s.latency.read_min),
            ms(s.latency.read_max),
            ms(s.latency.append_min),
            ms(s.latency.append_max)
        )
    }

    fn scenario(commands: &[(u32, u64)], setup: Vec<u32>) -> Scenario<u32> {
        let commands = commands.iter().enumerate().map(|(i, &(client, ms))| Scheduled { client, start: Duration::from_millis(ms), command: i as u32 }).collect();
        let mut s = Scenario::new(setup, commands);
        s.faults = FaultPlan::default();
        s.latency.read_min = Duration::from_millis(1);
        s.latency.read_max = Duration::from_millis(1);
        s.latency.append_min = Duration::from_millis(2);
        s.latency.append_max = Duration::from_millis(2);
        s
    }

    #[test]
    fn candidates_cut_halves_commands_setup_clients_faults_latency_and_starts_in_that_order() {
        let mut s = scenario(&[(2, 4), (5, 0), (5, 6), (7, 10)], vec![100, 101]);
        s.faults.spike_probability = 0.25;
        s.faults.timeout_probability = 0.5;
        s.latency.read_max = Duration::from_millis(3);
        let got: Vec<String> = candidates(&s).iter().map(describe).collect();
        let tail = |c: &str| format!("{c} | setup [100, 101] | spike 0.25 timeout 0.5 | read 1-3 append 2-2");
        let expected = vec![
            // halves
            tail("2@c5+6 3@c7+10"),
            tail("0@c2+4 1@c5+0"),
            // single commands
            tail("1@c5+0 2@c5+6 3@c7+10"),
            tail("0@c2+4 2@c5+6 3@c7+10"),
            tail("0@c2+4 1@c5+0 3@c7+10"),
            tail("0@c2+4 1@c5+0 2@c5+6"),
            // single setup commands
            "0@c2+4 1@c5+0 2@c5+6 3@c7+10 | setup [101] | spike 0.25 timeout 0.5 | read 1-3 append 2-2".to_string(),
            "0@c2+4 1@c5+0 2@c5+6 3@c7+10 | setup [100] | spike 0.25 timeout 0.5 | read 1-3 append 2-2".to_string(),
            // the highest client folded onto each other one, then dense numbers
            tail("0@c2+4 1@c5+0 2@c5+6 3@c2+10"),
            tail("0@c2+4 1@c5+0 2@c5+6 3@c5+10"),
            tail("0@c0+4 1@c1+0 2@c1+6 3@c2+10"),
            // each fault kind off
            "0@c2+4 1@c5+0 2@c5+6 3@c7+10 | setup [100, 101] | spike 0 timeout 0.5 | read 1-3 append 2-2".to_string(),
            "0@c2+4 1@c5+0 2@c5+6 3@c7+10 | setup [100, 101] | spike 0.25 timeout 0 | read 1-3 append 2-2".to_string(),
            // latency ranges to their minimum
            "0@c2+4 1@c5+0 2@c5+6 3@c7+10 | setup [100, 101] | spike 0.25 timeout 0.5 | read 1-1 append 2-2".to_string(),
            // starts at zero, then halved
            tail("0@c2+0 1@c5+0 2@c5+0 3@c7+0"),
            tail("0@c2+2 1@c5+0 2@c5+3 3@c7+5"),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn a_minimal_scenario_has_only_single_command_cuts() {
        // Three commands are not halved; one dense client, no faults, no
        // latency range, every start at zero: nothing else to cut.
        let s = scenario(&[(0, 0), (0, 0), (0, 0)], Vec::new());
        let got: Vec<String> = candidates(&s).iter().map(describe).collect();
        assert_eq!(got, ["1@c0+0 2@c0+0", "0@c0+0 2@c0+0", "0@c0+0 1@c0+0"].map(|c| format!("{c} | setup [] | spike 0 timeout 0 | read 1-1 append 2-2")));
        // An append latency range alone is collapsed too.
        let mut s = scenario(&[(0, 0)], Vec::new());
        s.latency.append_max = Duration::from_millis(5);
        assert_eq!(candidates(&s).iter().map(describe).last().unwrap(), "0@c0+0 | setup [] | spike 0 timeout 0 | read 1-1 append 2-2");
    }

    /// The first seed of `opts` whose scenario fails, with the scenario and the invariant.
    fn first_failure(opts: &ExploreOptions) -> (u64, Scenario<Cmd<EnrollmentWorkload>>, String) {
        let w = EnrollmentWorkload::default();
        (0..200)
            .find_map(|seed| {
                let scenario = crate::explore::scenario_for(&w, opts, seed);
                let r = run(&w, &scenario, seed);
                r.violations.first().map(|v| (seed, scenario.clone(), v.invariant().to_string()))
            })
            .expect("the plant is caught within 200 seeds")
    }

    #[test]
    fn every_run_is_counted_and_the_budget_is_kept() {
        for scheduler in [Scheduler::Random, Scheduler::Pct { depth: 3 }] {
            let (seed, scenario, invariant) = first_failure(&ExploreOptions { plant: Some(Plant::NarrowCondition), scheduler, ..Default::default() });
            for budget in [7, 2_000] {
                let w = Wrapped::new(Twist::None);
                let shrunk = shrink(&w, &scenario, seed, &invariant, budget);
                assert_eq!(shrunk.runs, w.runs.load(std::sync::atomic::Ordering::Relaxed), "runs counted");
                // The budget bounds the search; pinning a schedule may take one more run.
                assert!(shrunk.runs <= budget + 1, "{} runs for a budget of {budget}", shrunk.runs);
                assert!(shrunk.violations.iter().any(|v| v.invariant() == invariant));
                assert_eq!(run(&w, &shrunk.scenario, shrunk.seed).violations, shrunk.violations, "it replays");
            }
        }
    }

    #[test]
    fn each_candidate_is_tried_under_its_seed_and_the_sixteen_small_ones() {
        let w = EnrollmentWorkload::default();
        let scenario = crate::explore::scenario_for(&w, &ExploreOptions::default(), 20);
        // Nothing fails, so every candidate is tried once under each seed:
        // the scenario's own run, then 17 runs per candidate (seed 20, then 0..16).
        let shrunk = shrink(&w, &scenario, 20, "no-such-invariant", 1_000_000);
        assert_eq!(shrunk.runs, 1 + 17 * candidates(&scenario).len() as u64);
        // A seed among the small ones is not tried twice.
        let shrunk = shrink(&w, &scenario, 3, "no-such-invariant", 1_000_000);
        assert_eq!(shrunk.runs, 1 + 16 * candidates(&scenario).len() as u64);
    }

    #[test]
    fn a_scenario_that_never_shows_the_invariant_is_left_as_it_is() {
        let (seed, scenario, _) = first_failure(&ExploreOptions { plant: Some(Plant::NarrowCondition), ..Default::default() });
        let w = EnrollmentWorkload::default();
        let shrunk = shrink(&w, &scenario, seed, "no-such-invariant", 40);
        assert_eq!(shrunk.scenario, scenario);
        assert_eq!((shrunk.seed, shrunk.runs), (seed, 40));
        assert!(shrunk.violations.is_empty());
    }
}
