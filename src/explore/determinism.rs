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
    use std::sync::atomic::{AtomicU64, Ordering};

    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::sim::{Scenario, Violation};

    /// The enrollment workload, but its own check fires on every other call.
    struct FlakyCheck(EnrollmentWorkload, AtomicU64);

    impl Workload for FlakyCheck {
        type Command = <EnrollmentWorkload as Workload>::Command;
        type Store = <EnrollmentWorkload as Workload>::Store;
        type Handler = <EnrollmentWorkload as Workload>::Handler;
        fn name(&self) -> &'static str {
            "flaky"
        }
        fn store(&self, s: &Scenario<Self::Command>) -> Result<Self::Store, crate::store::StoreError> {
            self.0.store(s)
        }
        fn handler(&self, s: &Scenario<Self::Command>) -> Self::Handler {
            self.0.handler(s)
        }
        fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Self::Command> {
            self.0.generate(rng)
        }
        fn check(&self, _: &Scenario<Self::Command>, _: &History<Self::Command>, out: &mut Vec<Violation>) {
            if self.1.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
                out.push(Violation::safety("flaky", None, "every other run"));
            }
        }
    }

    #[test]
    fn different_violations_on_the_same_history_are_a_divergence() {
        let w = FlakyCheck(EnrollmentWorkload::default(), AtomicU64::new(0));
        let d = check_determinism(&w, 4, 3).unwrap_err();
        assert_eq!(d.seed, 4);
        assert_eq!(d.hashes.0, d.hashes.1);
        assert!(d.first_difference.starts_with("same history, different violations"), "{d}");
    }
}
