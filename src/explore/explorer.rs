//! [`explore`]: run many seeds of a workload and summarise.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::explore::coverage::Coverage;
use crate::explore::report::{FailureReport, ShrunkReport};
use crate::explore::shrink::shrink;
use crate::sim::runner::run;
use crate::sim::sched::exhaustive::replay_scenario;
use crate::sim::sched::{ExhaustiveOptions, RaceOptions, Scheduler, exhaustive_with, races_of};
use crate::sim::violation::Violation;
use crate::sim::workload::Workload;
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
    /// Runs the shrinker may spend on each reported failure (0 = don't shrink).
    pub shrink_budget: u64,
    /// The storage engine for every scenario (`None`: as the workload generates it).
    pub engine: Option<crate::sim::Engine>,
    /// Give a scenario whose workload drew no faults a fault plan drawn
    /// from its seed ([`swarm_faults`](crate::sim::swarm_faults)).
    pub faults: bool,
    /// The scheduler of every scenario ([`Scheduler::Random`]: as the
    /// workload generates it, which is random latency for the built-ins).
    pub scheduler: Scheduler,
    /// Enumerate every order of store steps of each seed's scenario,
    /// within this many runs per scenario ([`exhaustive`](crate::sim::exhaustive())); `schedules`
    /// then counts every checked order, not seeds.
    pub exhaustive: Option<u64>,
    /// Race mode ([`races`](mod@crate::sim::sched::races)): after a seed's run,
    /// derive the races of its recorded calls and enumerate each; every
    /// order checked counts as a schedule.
    pub races: Option<RaceOptions>,
    /// With `races`: derive races on every `race_every`-th seed only (1:
    /// every seed), so a run mixes random schedules and races.
    pub race_every: u64,
    /// Guided exploration ([`guided`](mod@crate::explore::guided)): half of
    /// the seeds run mutations of scenarios that fired a rare probe
    /// instead of the scenario the seed generates (not with `exhaustive`
    /// or `races`, which this replaces). A failure on a mutation replays
    /// from its saved scenario; a probe's first seed may name such a run.
    pub guided: bool,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions {
            start_seed: 0,
            seeds: 1000,
            plant: None,
            max_reports: 5,
            stop_on_failure: false,
            test: None,
            shrink_budget: 0,
            engine: None,
            faults: false,
            scheduler: Scheduler::Random,
            exhaustive: None,
            races: None,
            race_every: 1,
            guided: false,
        }
    }
}

/// Aggregate results of an exploration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Workload name.
    pub workload: String,
    /// First seed run.
    pub start_seed: u64,
    /// Schedules run (one per seed, except under the exhaustive scheduler,
    /// which checks every order of each seed's scenario).
    pub schedules: u64,
    /// Exhaustive scheduler only: scenarios (seeds) whose enumeration
    /// completed, and how many of those had no violation (proofs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhaustive: Option<ExhaustiveTally>,
    /// Race mode only: races derived and enumerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub races: Option<RaceTally>,
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
    /// Handler runs the serializability re-execution made alone
    /// ([`check::serializable`](crate::check::serializable)).
    #[serde(default)]
    pub runs_alone: u64,
    /// Commands it skipped: exhausted, failed or crashed without a write
    /// (nothing to reproduce).
    #[serde(default)]
    pub skipped_alone: u64,
    /// Commands by outcome label.
    pub outcomes: BTreeMap<String, u64>,
    /// Commands by number of attempts.
    pub attempts_histogram: BTreeMap<u32, u64>,
    /// Injected faults by kind.
    pub faults: BTreeMap<String, u64>,
    /// Rejections by reason (numbers in parentheses dropped, so "Course is
    /// at maximum capacity" counts every capacity).
    pub rejections: BTreeMap<String, u64>,
    /// Coverage probes: what the schedules exercised ([`Coverage`]).
    #[serde(default)]
    pub coverage: Coverage,
    /// Wall-clock seconds (measurement only; never affects a run).
    pub elapsed_secs: f64,
    /// `schedules / elapsed_secs`.
    pub schedules_per_sec: f64,
}

/// What the exhaustive scheduler did over the seeds of an exploration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExhaustiveTally {
    /// Scenarios (one per seed) enumerated.
    pub scenarios: u64,
    /// Of those, enumerated completely (not stopped by the budget or a failure).
    pub complete: u64,
    /// Of those, complete without a violation: proved.
    pub proved: u64,
}

/// What race mode did over the seeds of an exploration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceTally {
    /// Seeds whose races were derived.
    pub scenarios: u64,
    /// Races derived (pairs and triples of conflicting commands).
    pub races: u64,
    /// Of those, enumerated completely without a violation (proofs for the race).
    pub proved: u64,
    /// Orders checked over all races (counted in `schedules` too).
    pub orders: u64,
}

/// Runs `opts.seeds` schedules of `workload` on this thread, each on the
/// scenario the workload generates from its seed, and summarises them.
pub fn explore<W: Workload>(workload: &W, opts: &ExploreOptions) -> Summary {
    #[allow(clippy::disallowed_methods, reason = "wall-clock throughput measurement outside any simulation")]
    let clock = std::time::Instant::now();
    let mut s = explore_range(workload, opts, opts.start_seed..opts.start_seed.saturating_add(opts.seeds));
    shrink_failures(workload, opts, &mut s);
    s.set_elapsed(clock.elapsed().as_secs_f64());
    s
}

/// Seeds per unit of work handed to a thread by [`explore_parallel`].
pub const CHUNK: u64 = 256;

/// Like [`explore`] on `jobs` threads (each seed still gets its own fresh
/// runtime): seeds are handed out in chunks of [`CHUNK`], per-chunk
/// summaries are merged in seed order, so every count and the reported
/// failures are identical to a single-threaded run (`stop_on_failure` is
/// not supported here). `progress(done, failing)` is called after each chunk.
pub fn explore_parallel<W: Workload + Sync>(workload: &W, opts: &ExploreOptions, jobs: usize, progress: &(dyn Fn(u64, u64) + Sync)) -> Summary {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[allow(clippy::disallowed_methods, reason = "wall-clock throughput measurement outside any simulation")]
    let clock = std::time::Instant::now();
    let start = opts.start_seed;
    let end = start.saturating_add(opts.seeds);
    let chunks = opts.seeds.div_ceil(CHUNK);
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let failing = AtomicU64::new(0);
    let results: Mutex<Vec<(u64, Summary)>> = Mutex::new(Vec::new());
    #[allow(clippy::disallowed_methods, reason = "worker threads outside any simulation: each seed runs in its own madsim runtime on one thread")]
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= chunks {
                        break;
                    }
                    let lo = start + chunk * CHUNK;
                    let part = explore_range(workload, opts, lo..(lo + CHUNK).min(end));
                    let d = done.fetch_add(part.schedules, Ordering::Relaxed) + part.schedules;
                    let f = failing.fetch_add(part.violations, Ordering::Relaxed) + part.violations;
                    progress(d, f);
                    results.lock().unwrap_or_else(|p| p.into_inner()).push((chunk, part));
                }
            });
        }
    });
    let mut parts = results.into_inner().unwrap_or_else(|p| p.into_inner());
    parts.sort_by_key(|(chunk, _)| *chunk);
    let mut s = Summary { workload: workload.name().to_string(), start_seed: start, ..Summary::default() };
    for (_, part) in parts {
        s.merge(part, opts.max_reports);
    }
    shrink_failures(workload, opts, &mut s);
    s.set_elapsed(clock.elapsed().as_secs_f64());
    s
}

/// The seeds of shard `index` (0-based) of `count` over `start..start+seeds`:
/// contiguous, disjoint, covering the range.
pub fn shard_range(start: u64, seeds: u64, index: u64, count: u64) -> std::ops::Range<u64> {
    let count = count.max(1);
    let lo = start + seeds * index / count;
    let hi = start + seeds * (index + 1) / count;
    lo..hi
}

/// RNG stream a seed's fault plan is drawn from when [`ExploreOptions::faults`]
/// adds one.
pub const FAULTS_STREAM: u64 = u64::MAX - 2;

/// The scenario seed `seed` runs under `opts`: the workload's own, generated
/// from the seed, with the options' plant, engine and faults applied only
/// where they are set (a workload's own plant or engine is kept otherwise).
pub fn scenario_for<W: Workload>(workload: &W, opts: &ExploreOptions, seed: u64) -> crate::sim::Scenario<crate::sim::workload::Cmd<W>> {
    let mut scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
    if let Some(plant) = opts.plant {
        scenario.plant = Some(plant);
    }
    if let Some(engine) = opts.engine {
        scenario.engine = engine;
    }
    if opts.faults && scenario.faults.is_none() {
        crate::sim::swarm_faults(&mut rng::substream(seed, FAULTS_STREAM), &mut scenario);
    }
    if !opts.scheduler.is_random() {
        scenario.scheduler = opts.scheduler.clone();
    }
    scenario
}

fn explore_range<W: Workload>(workload: &W, opts: &ExploreOptions, seeds: std::ops::Range<u64>) -> Summary {
    crate::sim::collect_probes(|| explore_seeds(workload, opts, seeds))
}

/// [`explore_range`] inside [`collect_probes`](crate::sim::collect_probes).
fn explore_seeds<W: Workload>(workload: &W, opts: &ExploreOptions, seeds: std::ops::Range<u64>) -> Summary {
    let mut s = Summary { workload: workload.name().to_string(), start_seed: seeds.start, ..Summary::default() };
    s.coverage.require(workload.required_probes());
    let mut guide = crate::explore::guided::Guide::new();
    for seed in seeds {
        let failed_before = s.violations;
        if opts.guided && opts.exhaustive.is_none() {
            // A fresh corpus every CHUNK seeds: the same on any number of threads.
            if (seed - opts.start_seed).is_multiple_of(CHUNK) {
                guide = crate::explore::guided::Guide::new();
            }
            let (scenario, from_seed) = guide.scenario(workload, opts, seed);
            let result = run(workload, &scenario, seed);
            guide.learn(workload, &scenario, &result.history);
            s.tally(workload, opts, seed, &scenario, result, from_seed);
            if !from_seed {
                s.coverage.last_run_was_mutated(seed);
            }
            if opts.stop_on_failure && s.violations > failed_before {
                break;
            }
            continue;
        }
        let scenario = scenario_for(workload, opts, seed);
        match opts.exhaustive {
            None if opts.races.is_some() && (seed - opts.start_seed) % opts.race_every.max(1) == 0 => {
                let result = run(workload, &scenario, seed);
                let race_opts = opts.races.unwrap_or_default();
                let races = races_of(&scenario, &result.history, race_opts);
                s.tally(workload, opts, seed, &scenario, result, true);
                s.tally_races(workload, opts, seed, &scenario, races, race_opts);
            }
            None => s.tally(workload, opts, seed, &scenario, run(workload, &scenario, seed), true),
            Some(budget) => {
                let options = ExhaustiveOptions { budget, reduction: true, stop_at_first: opts.stop_on_failure };
                let mut results = Vec::new();
                let outcome = exhaustive_with(workload, &scenario, seed, options, |r| {
                    if r.violations.is_empty() {
                        s.count_run(workload, &scenario, &r.history);
                        s.count_alone(r.serializability);
                        results.push(None);
                    } else {
                        results.push(Some(r.clone()));
                    }
                });
                let tally = s.exhaustive.get_or_insert_with(ExhaustiveTally::default);
                tally.scenarios += 1;
                match outcome {
                    Ok(report) => {
                        tally.complete += u64::from(report.complete);
                        tally.proved += u64::from(report.proved());
                    }
                    Err(e) => s.tally(workload, opts, seed, &scenario, crate::sim::RunResult::not_run(seed, Violation::Harness { detail: e.to_string() }), true),
                }
                for r in results {
                    match r {
                        None => s.schedules += 1,
                        Some(r) => {
                            let schedule = r.history.schedule.clone().unwrap_or_default().schedule;
                            // Run without latency: the scenario file, not the seed, replays it.
                            s.tally(workload, opts, seed, &replay_scenario(&scenario, &schedule), r, false);
                        }
                    }
                }
            }
        }
        if opts.stop_on_failure && s.violations > failed_before {
            break;
        }
    }
    s
}

impl Summary {
    /// Enumerates each race of `scenario` (seed `seed`) and counts every order.
    fn tally_races<W: Workload>(
        &mut self,
        workload: &W,
        opts: &ExploreOptions,
        seed: u64,
        scenario: &crate::sim::Scenario<crate::sim::workload::Cmd<W>>,
        races: Vec<crate::sim::sched::Race<crate::sim::workload::Cmd<W>>>,
        race_opts: RaceOptions,
    ) {
        self.races.get_or_insert_with(RaceTally::default).scenarios += 1;
        for race in races {
            let options = ExhaustiveOptions { budget: race_opts.orders, reduction: true, stop_at_first: true };
            let mut failing = Vec::new();
            let mut orders = 0;
            let mut counted = Summary::default();
            let outcome = exhaustive_with(workload, &race.scenario, seed, options, |r| {
                orders += 1;
                if r.violations.is_empty() {
                    counted.count_run(workload, &race.scenario, &r.history);
                    counted.count_alone(r.serializability);
                } else {
                    failing.push(r.clone());
                }
            });
            self.merge_counts(counted);
            let t = self.races.get_or_insert_with(RaceTally::default);
            t.races += 1;
            t.orders += orders;
            t.proved += u64::from(outcome.as_ref().is_ok_and(crate::sim::ExhaustiveReport::proved));
            self.schedules += orders - failing.len() as u64;
            let name = race.describe(scenario);
            for r in failing {
                let schedule = r.history.schedule.clone().unwrap_or_default().schedule;
                let before = self.failures.len();
                self.tally(workload, opts, seed, &replay_scenario(&race.scenario, &schedule), r, false);
                if let Some(f) = self.failures.get_mut(before) {
                    f.race = Some(name.clone());
                }
            }
        }
    }

    /// Counts what one run's serializability re-execution ran and skipped.
    fn count_alone(&mut self, tally: crate::check::serializable::Tally) {
        self.runs_alone += u64::from(tally.reruns);
        self.skipped_alone += u64::from(tally.skipped);
    }

    /// Counts what one run's commands and faults did (commands, attempts,
    /// conflicts, outcomes, rejections, faults), not the run itself.
    fn count_run<W: Workload>(&mut self, workload: &W, scenario: &crate::sim::Scenario<crate::sim::workload::Cmd<W>>, history: &crate::sim::History<crate::sim::workload::Cmd<W>>) {
        self.coverage.count_run(workload, scenario, history);
        for c in &history.commands {
            self.commands += 1;
            self.attempts += c.report.attempts.len() as u64;
            self.conflicts += c.report.attempts.iter().filter(|a| a.error == Some(ErrorKind::Conflict)).count() as u64;
            count(&mut self.outcomes, c.report.outcome.label());
            *self.attempts_histogram.entry(c.report.attempts.len() as u32).or_default() += 1;
            if let crate::handler::Outcome::Rejected { reason } = &c.report.outcome {
                count(&mut self.rejections, reason.split(" (").next().unwrap_or(reason).trim_end_matches('.'));
            }
        }
        for f in &history.faults {
            *self.faults.entry(format!("{:?}", f.kind)).or_default() += 1;
        }
    }

    /// Counts one checked run of `scenario` under `seed`.
    pub(crate) fn tally<W: Workload>(&mut self, workload: &W, opts: &ExploreOptions, seed: u64, scenario: &crate::sim::Scenario<crate::sim::workload::Cmd<W>>, result: crate::sim::RunResult<crate::sim::workload::Cmd<W>>, from_seed: bool) {
        let s = self;
        s.schedules += 1;
        s.count_run(workload, scenario, &result.history);
        s.count_alone(result.serializability);
        if !result.violations.is_empty() {
            s.violations += 1;
            let mut names: Vec<&str> = result.violations.iter().map(|v| v.invariant()).collect();
            names.sort_unstable();
            names.dedup();
            for n in names {
                *s.violations_by_invariant.entry(n.to_string()).or_default() += 1;
            }
            if s.failures.len() < opts.max_reports {
                let schedule = result.history.schedule.clone();
                s.failures.push(FailureReport {
                    scenario_from_seed: from_seed,
                    test: opts.test.clone(),
                    ..FailureReport::new(workload.name(), seed, scenario, result.violations).with_schedule(schedule.as_ref())
                });
            }
        }
    }
}

/// Adds each of `more`'s counts to `counts`.
fn add_counts(counts: &mut BTreeMap<String, u64>, more: BTreeMap<String, u64>) {
    for (k, v) in more {
        *counts.entry(k).or_default() += v;
    }
}

/// Adds one to `key`'s count, allocating the key only the first time.
fn count(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

/// Shrinks each kept failure (when `opts.shrink_budget > 0`).
fn shrink_failures<W: Workload>(workload: &W, opts: &ExploreOptions, s: &mut Summary) {
    if opts.shrink_budget == 0 {
        return;
    }
    for f in &mut s.failures {
        let Ok(scenario) = serde_json::from_value::<crate::sim::Scenario<crate::sim::workload::Cmd<W>>>(f.scenario.clone()) else { continue };
        let invariant = f.violations[0].invariant().to_string();
        let min = shrink(workload, &scenario, f.seed, &invariant, opts.shrink_budget);
        f.shrunk = Some(ShrunkReport {
            seed: min.seed,
            scenario: serde_json::to_value(&min.scenario).expect("scenarios serialize"),
            scenario_file: None,
            violations: min.violations,
            commands: (scenario.commands.len(), min.scenario.commands.len()),
            setup: (scenario.setup.len(), min.scenario.setup.len()),
            clients: (scenario.clients(), min.scenario.clients()),
            runs: min.runs,
        });
    }
}

impl Summary {
    /// Adds `other` (a later or disjoint seed range of the same workload):
    /// counts add up, failures are kept in seed order, at most `max_reports`.
    pub fn merge(&mut self, mut other: Summary, max_reports: usize) {
        if self.schedules == 0 {
            self.start_seed = other.start_seed;
            self.workload = other.workload.clone();
        } else {
            self.start_seed = self.start_seed.min(other.start_seed);
        }
        self.schedules += other.schedules;
        if let Some(o) = other.exhaustive {
            let t = self.exhaustive.get_or_insert_with(ExhaustiveTally::default);
            t.scenarios += o.scenarios;
            t.complete += o.complete;
            t.proved += o.proved;
        }
        if let Some(o) = other.races {
            let t = self.races.get_or_insert_with(RaceTally::default);
            t.scenarios += o.scenarios;
            t.races += o.races;
            t.proved += o.proved;
            t.orders += o.orders;
        }
        self.violations += other.violations;
        add_counts(&mut self.violations_by_invariant, std::mem::take(&mut other.violations_by_invariant));
        self.failures.append(&mut other.failures);
        self.failures.sort_by_key(|f| f.seed);
        self.failures.truncate(max_reports);
        self.elapsed_secs += other.elapsed_secs;
        self.merge_counts(other);
        self.set_elapsed(self.elapsed_secs);
    }

    /// Adds `other`'s command, outcome and fault counts (not its schedules).
    fn merge_counts(&mut self, other: Summary) {
        self.runs_alone += other.runs_alone;
        self.skipped_alone += other.skipped_alone;
        self.commands += other.commands;
        self.attempts += other.attempts;
        self.conflicts += other.conflicts;
        add_counts(&mut self.outcomes, other.outcomes);
        add_counts(&mut self.rejections, other.rejections);
        add_counts(&mut self.faults, other.faults);
        self.coverage.merge(other.coverage);
        for (k, v) in other.attempts_histogram {
            *self.attempts_histogram.entry(k).or_default() += v;
        }
    }

    /// Sets the wall-clock time and the derived rate.
    pub fn set_elapsed(&mut self, secs: f64) {
        self.elapsed_secs = secs;
        self.schedules_per_sec = if secs > 0.0 { self.schedules as f64 / secs } else { 0.0 };
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seeds = self.exhaustive.map_or(self.schedules - self.races.map_or(0, |r| r.orders), |t| t.scenarios);
        writeln!(f, "dcb-sim explore · workload {} · seeds {}..{}", self.workload, self.start_seed, self.start_seed + seeds)?;
        writeln!(f, "  schedules      {:>10}   ({:.0}/s, {:.2}s)", self.schedules, self.schedules_per_sec, self.elapsed_secs)?;
        if let Some(t) = self.exhaustive {
            writeln!(f, "  exhaustive     {:>10}   scenarios enumerated completely of {}; {} proved (every order of their store steps checked, none violating)", t.complete, t.scenarios, t.proved)?;
        }
        if let Some(t) = self.races {
            writeln!(f, "  races          {:>10}   races from {} seeds, {} orders; {} proved (every order of the race checked, none violating)", t.races, t.scenarios, t.orders, t.proved)?;
        }
        writeln!(f, "  commands       {:>10}", self.commands)?;
        writeln!(f, "  attempts       {:>10}", self.attempts)?;
        writeln!(f, "  conflicts      {:>10}", self.conflicts)?;
        writeln!(f, "  runs alone     {:>10}   serializability re-runs; {} commands skipped (exhausted, failed or crashed without a write)", self.runs_alone, self.skipped_alone)?;
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
        if !self.coverage.probes.is_empty() {
            writeln!(f, "  coverage (probe, hits, share of schedules, first seed)")?;
            f.write_str(&self.coverage.table(self.schedules, 4))?;
        }
        let missing = self.coverage.missing();
        if !missing.is_empty() {
            writeln!(f, "  vacuous: required probes never fired in {} schedules: {}", self.schedules, missing.join(", "))?;
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

/// The seed-driven test gate: explores the seeds [`SimConfig`](crate::sim::SimConfig)
/// selects (`DCB_SEED` / `DCB_SEEDS`, else `start..start+count`) and panics
/// when a required probe ([`Workload::required_probes`]) never fired, or
/// with every failure report, each naming the `DCB_SEED=… cargo test --test
/// <test>` command that replays it. Returns the summary for further
/// assertions (e.g. that conflicts happened).
///
/// # Panics
/// When any schedule violates an invariant.
pub fn assert_no_violations<W: Workload>(workload: &W, test: &str, start: u64, count: u64) -> Summary {
    let config = crate::sim::SimConfig::from_env();
    let seeds = config.seeds_or(start, count);
    let opts = ExploreOptions { start_seed: seeds.start, seeds: seeds.end - seeds.start, max_reports: 3, test: Some(test.to_string()), ..ExploreOptions::default() };
    let summary = explore(workload, &opts);
    if config.is_replay() {
        let scenario = workload.generate(&mut rng::substream(seeds.start, SCENARIO_STREAM));
        let result = run(workload, &scenario, seeds.start);
        eprintln!("{}", crate::view::timeline_with(&result.history, &result.violations));
    }
    assert!(summary.violations == 0, "{} of {} schedules violated invariants\n{summary}", summary.violations, summary.schedules);
    if !config.is_replay()
        && let Err(vacuous) = crate::explore::gate::vacuity(&summary, workload.name(), &seeds)
    {
        panic!("{vacuous}\n{summary}");
    }
    summary
}
