//! [`check_determinism`]: run each seed twice and compare the histories.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::explore::SCENARIO_STREAM;
use super::history::History;
use super::runner::run;
use super::workload::Workload;
use crate::rng;

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

/// Runs each seed of `start..start+seeds` twice (scenario generated from the
/// seed, as `explore` does) and returns the number of seeds checked, or the
/// first divergence.
///
/// # Errors
/// The first seed whose two runs differ.
pub fn check_determinism<W: Workload>(workload: &W, start: u64, seeds: u64) -> Result<u64, Divergence> {
    for seed in start..start.saturating_add(seeds) {
        let scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
        let a = run(workload, &scenario, seed).history;
        let b = run(workload, &scenario, seed).history;
        let (ha, hb) = (a.hash64(), b.hash64());
        if ha != hb || a != b {
            return Err(Divergence { seed, hashes: (ha, hb), first_difference: first_difference(&a, &b) });
        }
    }
    Ok(seeds)
}
