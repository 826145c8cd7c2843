//! [`check_determinism`]: run each seed twice and compare the histories.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::explore::explorer::{ExploreOptions, scenario_for};
use crate::sim::history::History;
use crate::sim::runner::run;
use crate::sim::workload::Workload;

/// Where two runs of the same seed first differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// The seed.
    pub seed: u64,
    /// The two history hashes.
    pub hashes: (u64, u64),
    /// The first difference, in words.
    pub first_difference: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} is not deterministic: history hashes {:016x} and {:016x}; first difference: {}",
            self.seed, self.hashes.0, self.hashes.1, self.first_difference
        )
    }
}

/// Describes the first difference between two histories of the same run.
pub fn first_difference<C: fmt::Debug + PartialEq>(a: &History<C>, b: &History<C>) -> String {
    for (x, y) in a.commands.iter().zip(&b.commands) {
        if x != y {
            for (i, (p, q)) in x.report.attempts.iter().zip(&y.report.attempts).enumerate() {
                if p != q {
                    return format!("command #{} attempt {}: {p:?} vs {q:?}", x.index, i + 1);
                }
            }
            return format!("command #{}: {x:?} vs {y:?}", x.index);
        }
    }
    if a.commands.len() != b.commands.len() {
        return format!("{} vs {} commands", a.commands.len(), b.commands.len());
    }
    for (x, y) in a.log.iter().zip(&b.log) {
        if x != y {
            return format!("log position {}: {:?} vs {:?}", x.position, x.event, y.event);
        }
    }
    if a.log.len() != b.log.len() {
        return format!("log lengths {} vs {}", a.log.len(), b.log.len());
    }
    if a.faults != b.faults {
        return format!("fault journals differ: {:?} vs {:?}", a.faults, b.faults);
    }
    if a.metrics != b.metrics {
        return "recorded metrics differ".to_string();
    }
    "no field differs (hash collision?)".to_string()
}

/// What [`check_determinism_with`] ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determinism {
    /// Seeds run twice, each with identical results.
    pub seeds: u64,
    /// Of those, seeds that violated an invariant (identically both times).
    pub failing: u64,
}

/// Runs each seed of `start..start+seeds` twice (scenario generated from the
/// seed, as `explore` does) and returns the number of seeds checked, or the
/// first divergence. See [`check_determinism_with`] for what must match.
///
/// # Errors
/// The first seed whose two runs differ.
pub fn check_determinism<W: Workload>(workload: &W, start: u64, seeds: u64) -> Result<u64, Divergence> {
    check_determinism_with(workload, &ExploreOptions { start_seed: start, seeds, ..ExploreOptions::default() }).map(|d| d.seeds)
}

/// Runs each seed of `opts.start_seed..+opts.seeds` twice, on the scenario
/// [`explore`](crate::explore::explore()) would run for it (the options' plant,
/// engine and faults applied: a failing seed must replay too), and checks
/// that the two runs agree: equal history hashes, equal histories (every
/// command's store calls, attempts and outcome, the log, the fault
/// journal, the metrics) and equal violations.
///
/// # Errors
/// The first seed whose two runs differ.
pub fn check_determinism_with<W: Workload>(workload: &W, opts: &ExploreOptions) -> Result<Determinism, Divergence> {
    let mut failing = 0;
    for seed in opts.start_seed..opts.start_seed.saturating_add(opts.seeds) {
        let scenario = scenario_for(workload, opts, seed);
        let a = run(workload, &scenario, seed);
        let b = run(workload, &scenario, seed);
        let (ha, hb) = (a.history.hash64(), b.history.hash64());
        if ha != hb || a.history != b.history {
            return Err(Divergence { seed, hashes: (ha, hb), first_difference: first_difference(&a.history, &b.history) });
        }
        if a.violations != b.violations {
            return Err(Divergence { seed, hashes: (ha, hb), first_difference: format!("same history, different violations: {:?} vs {:?}", a.violations, b.violations) });
        }
        failing += u64::from(!a.violations.is_empty());
    }
    Ok(Determinism { seeds: opts.seeds, failing })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::explore::wrapped::{Twist, Wrapped};
    use crate::sim::faults::{FaultKind, FaultRecord};

    #[test]
    fn different_violations_on_the_same_history_are_a_divergence() {
        let w = Wrapped::new(Twist::FlakyCheck);
        let d = check_determinism(&w, 4, 3).unwrap_err();
        assert_eq!(d.seed, 4);
        assert_eq!(d.hashes.0, d.hashes.1);
        assert!(d.first_difference.starts_with("same history, different violations"), "{d}");
    }

    #[test]
    fn a_seed_whose_two_runs_differ_is_reported_with_its_first_difference() {
        let w = Wrapped::new(Twist::DivergingHandler);
        let d = check_determinism(&w, 2, 50).unwrap_err();
        assert!((2..52).contains(&d.seed), "{d}");
        assert_ne!(d.hashes.0, d.hashes.1, "{d}");
        assert!(d.first_difference.starts_with("command #"), "{d}");
        assert_eq!(
            d.to_string(),
            format!("seed {} is not deterministic: history hashes {:016x} and {:016x}; first difference: {}", d.seed, d.hashes.0, d.hashes.1, d.first_difference)
        );
    }

    #[test]
    fn deterministic_seeds_are_counted_with_those_that_fail() {
        let w = EnrollmentWorkload::default();
        assert_eq!(check_determinism(&w, 3, 4), Ok(4));
        let opts = ExploreOptions { start_seed: 10, seeds: 12, plant: Some(crate::plant::Plant::NarrowCondition), ..ExploreOptions::default() };
        let failing = (10..22).filter(|&seed| !run(&w, &scenario_for(&w, &opts, seed), seed).violations.is_empty()).count() as u64;
        assert!(failing > 0 && failing < 12, "the range must hold passing and failing seeds: {failing}");
        assert_eq!(check_determinism_with(&w, &opts), Ok(Determinism { seeds: 12, failing }));
    }

    #[test]
    fn the_first_difference_is_named_field_by_field() {
        let w = EnrollmentWorkload::default();
        let opts = ExploreOptions { faults: true, ..ExploreOptions::default() };
        let h = run(&w, &scenario_for(&w, &opts, 1), 1).history;
        assert_eq!(first_difference(&h, &h), "no field differs (hash collision?)");
        let diff = |change: &dyn Fn(&mut History<_>)| {
            let mut b = h.clone();
            change(&mut b);
            first_difference(&h, &b)
        };
        // The first command with two attempts: its second attempt differs.
        let k = h.commands.iter().position(|c| c.report.attempts.len() > 1).expect("a command that retried");
        let index = h.commands[k].index;
        let got = diff(&|b| b.commands[k].report.attempts[1].read_events += 1);
        assert!(got.starts_with(&format!("command #{index} attempt 2: ")), "{got}");
        let got = diff(&|b| b.commands[k].ended_at += Duration::from_millis(1));
        assert!(got.starts_with(&format!("command #{index}: ")), "{got}");
        let n = h.commands.len();
        assert_eq!(diff(&|b| { b.commands.pop(); }), format!("{n} vs {} commands", n - 1));
        let (first, last) = (h.log[0].clone(), h.log[h.log.len() - 1].clone());
        assert_ne!(first.event, last.event, "the log holds different events");
        let got = diff(&|b| b.log[0].event = last.event.clone());
        assert_eq!(got, format!("log position {}: {:?} vs {:?}", first.position, first.event, last.event));
        let m = h.log.len();
        assert_eq!(diff(&|b| { b.log.pop(); }), format!("log lengths {m} vs {}", m - 1));
        let got = diff(&|b| b.faults.push(FaultRecord { id: 99, at: Duration::ZERO, kind: FaultKind::Spike, applied: None, command: 0, call: 0 }));
        assert!(got.starts_with("fault journals differ: "), "{got}");
        assert_eq!(diff(&|b| { b.metrics.counters.insert("x".into(), 1); }), "recorded metrics differ");
    }
}
