//! [`explore`]: run many seeds of a workload and summarise.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::report::FailureReport;
use super::runner::run;
use super::workload::Workload;
use crate::plant::Plant;
use crate::retry::ErrorKind;
use crate::rng;

/// RNG stream the scenario of a seed is generated from (the run itself uses
/// the seed through madsim and streams 0, 1, 2, …).
pub const SCENARIO_STREAM: u64 = u64::MAX;

/// What to explore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExploreOptions {
    /// First seed.
    pub start_seed: u64,
    /// How many seeds.
    pub seeds: u64,
    /// Planted bug for every scenario (negative control).
    pub plant: Option<Plant>,
    /// Keep at most this many failure reports (counts are always complete).
    pub max_reports: usize,
    /// Stop at the first failing seed.
    pub stop_on_failure: bool,
    /// The `cargo test` target named in reports, if any.
    pub test: Option<String>,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions { start_seed: 0, seeds: 1000, plant: None, max_reports: 5, stop_on_failure: false, test: None }
    }
}

/// Aggregate results of an exploration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Workload name.
    pub workload: String,
    /// First seed run.
    pub start_seed: u64,
    /// Schedules (seeds) run.
    pub schedules: u64,
    /// Schedules with at least one violation.
    pub violations: u64,
    /// Violations by invariant name (one count per failing schedule and invariant).
    pub violations_by_invariant: BTreeMap<String, u64>,
    /// First failing seeds (up to `max_reports`).
    pub failures: Vec<FailureReport>,
    /// Commands handled.
    pub commands: u64,
    /// Attempts made.
    pub attempts: u64,
    /// Attempts that ended in a concurrency conflict.
    pub conflicts: u64,
    /// Commands by outcome label.
    pub outcomes: BTreeMap<String, u64>,
    /// Commands by number of attempts.
    pub attempts_histogram: BTreeMap<u32, u64>,
    /// Injected faults by kind.
    pub faults: BTreeMap<String, u64>,
    /// Rejections by reason (numbers in parentheses dropped, so "Course is
    /// at maximum capacity" counts every capacity).
    pub rejections: BTreeMap<String, u64>,
    /// Wall-clock seconds (measurement only; never affects a run).
    pub elapsed_secs: f64,
    /// `schedules / elapsed_secs`.
    pub schedules_per_sec: f64,
}

/// Runs `opts.seeds` schedules of `workload`, each on the scenario the
/// workload generates from its seed, and summarises them.
pub fn explore<W: Workload>(workload: &W, opts: &ExploreOptions) -> Summary {
    let mut s = Summary { workload: workload.name().to_string(), start_seed: opts.start_seed, ..Summary::default() };
    #[allow(clippy::disallowed_methods, reason = "wall-clock throughput measurement outside any simulation")]
    let clock = std::time::Instant::now();
    for seed in opts.start_seed..opts.start_seed.saturating_add(opts.seeds) {
        let mut scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
        scenario.plant = opts.plant;
        let result = run(workload, &scenario, seed);
        s.schedules += 1;
        for c in &result.history.commands {
            s.commands += 1;
            s.attempts += c.report.attempts.len() as u64;
            s.conflicts += c.report.attempts.iter().filter(|a| a.error == Some(ErrorKind::Conflict)).count() as u64;
            *s.outcomes.entry(c.report.outcome.label().to_string()).or_default() += 1;
            *s.attempts_histogram.entry(c.report.attempts.len() as u32).or_default() += 1;
            if let crate::handler::Outcome::Rejected { reason } = &c.report.outcome {
                let key = reason.split(" (").next().unwrap_or(reason).trim_end_matches('.');
                *s.rejections.entry(key.to_string()).or_default() += 1;
            }
        }
        for f in &result.history.faults {
            *s.faults.entry(format!("{:?}", f.kind)).or_default() += 1;
        }
        if !result.violations.is_empty() {
            s.violations += 1;
            let mut names: Vec<&str> = result.violations.iter().map(|v| v.invariant()).collect();
            names.dedup();
            names.sort_unstable();
            names.dedup();
            for n in names {
                *s.violations_by_invariant.entry(n.to_string()).or_default() += 1;
            }
            if s.failures.len() < opts.max_reports {
                s.failures.push(FailureReport {
                    workload: workload.name().to_string(),
                    seed,
                    plant: opts.plant.map(|p| p.name().to_string()),
                    scenario: serde_json::to_value(&scenario).expect("scenarios serialize"),
                    scenario_from_seed: true,
                    scenario_file: None,
                    violations: result.violations,
                    test: opts.test.clone(),
                });
            }
            if opts.stop_on_failure {
                break;
            }
        }
    }
    s.elapsed_secs = clock.elapsed().as_secs_f64();
    s.schedules_per_sec = if s.elapsed_secs > 0.0 { s.schedules as f64 / s.elapsed_secs } else { 0.0 };
    s
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dcb-sim explore · workload {} · seeds {}..{}", self.workload, self.start_seed, self.start_seed + self.schedules)?;
        writeln!(f, "  schedules      {:>10}   ({:.0}/s, {:.2}s)", self.schedules, self.schedules_per_sec, self.elapsed_secs)?;
        writeln!(f, "  commands       {:>10}", self.commands)?;
        writeln!(f, "  attempts       {:>10}", self.attempts)?;
        writeln!(f, "  conflicts      {:>10}", self.conflicts)?;
        writeln!(f, "  outcomes")?;
        for (k, v) in &self.outcomes {
            writeln!(f, "    {k:<12} {v:>10}")?;
        }
        writeln!(f, "  rejections")?;
        for (k, v) in &self.rejections {
            writeln!(f, "    {k:<48} {v:>8}")?;
        }
        if !self.faults.is_empty() {
            writeln!(f, "  faults injected")?;
            for (k, v) in &self.faults {
                writeln!(f, "    {k:<14} {v:>10}")?;
            }
        }
        writeln!(f, "  attempts per command")?;
        let max = self.attempts_histogram.values().copied().max().unwrap_or(1).max(1);
        for (k, v) in &self.attempts_histogram {
            let bar = "#".repeat(((*v as f64 / max as f64) * 40.0).ceil() as usize);
            writeln!(f, "    {k:>3} {v:>10} {bar}")?;
        }
        if self.violations == 0 {
            writeln!(f, "  violations              0   all invariants held")?;
        } else {
            writeln!(f, "  violations     {:>10}   schedules failed", self.violations)?;
            for (k, v) in &self.violations_by_invariant {
                writeln!(f, "    {k:<24} {v:>6}")?;
            }
            for r in &self.failures {
                writeln!(f)?;
                write!(f, "{r}")?;
            }
        }
        Ok(())
    }
}

/// The seed-driven test gate: explores the seeds [`SimConfig`](super::SimConfig)
/// selects (`DCB_SEED` / `DCB_SEEDS`, else `start..start+count`) and panics
/// with every failure report, each naming the `DCB_SEED=… cargo test --test
/// <test>` command that replays it. Returns the summary for further
/// assertions (e.g. that conflicts happened).
///
/// # Panics
/// When any schedule violates an invariant.
pub fn assert_no_violations<W: Workload>(workload: &W, test: &str, start: u64, count: u64) -> Summary {
    let config = super::SimConfig::from_env();
    let seeds = config.seeds_or(start, count);
    let opts = ExploreOptions { start_seed: seeds.start, seeds: seeds.end - seeds.start, max_reports: 3, test: Some(test.to_string()), ..ExploreOptions::default() };
    let summary = explore(workload, &opts);
    if config.is_replay() {
        let scenario = workload.generate(&mut rng::substream(seeds.start, SCENARIO_STREAM));
        let result = run(workload, &scenario, seeds.start);
        eprintln!("{}", super::timeline(&result.history));
    }
    assert!(summary.violations == 0, "{} of {} schedules violated invariants\n{summary}", summary.violations, summary.schedules);
    summary
}
