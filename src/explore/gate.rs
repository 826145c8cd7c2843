//! [`Check`]: the one-call simulation test for any workload — yours or a
//! built-in one — from `cargo test`.
//!
//! ```no_run
//! # use dcb_sim::{domain::enrollment::EnrollmentWorkload, explore::Check};
//! #[test]
//! fn enrollment_holds_under_concurrency() {
//!     Check::new(&EnrollmentWorkload::default()).seeds(5_000).run();
//! }
//! ```
//!
//! It explores the seeds on every core, shrinks each failure, writes the
//! original and the minimal scenario to `target/dcb-failures/`, and panics
//! with a compact report: the invariant, the minimal scenario's size, its
//! timeline, and replay lines that work verbatim from your crate:
//!
//! | variable | effect |
//! |---|---|
//! | `DCB_SEED=S` | run exactly seed `S` and print its timeline (with `DCB_SEEDS`, start there) |
//! | `DCB_SEEDS=N` | run `N` seeds instead of the test's own count |
//! | `DCB_SCENARIO=FILE` | run the scenario file a report wrote (typically the minimal one) under its seed |
//! | `DCB_SCHEDULE=S` | order the store steps as the schedule string `S` a report printed (with `DCB_SEED`) |
//!
//! The test's name and target are found from the running test binary, so
//! the printed `cargo test` line selects exactly this test.

use std::path::{Path, PathBuf};

use crate::sim::config::SimConfig;
use crate::explore::explorer::{ExploreOptions, Summary, explore_parallel, scenario_for};
use crate::explore::regression::{Expect, Regression};
use crate::explore::report::FailureReport;
use crate::sim::runner::{RunResult, run};
use crate::sim::scenario::Scenario;
use crate::sim::sched::{RaceOptions, Schedule, Scheduler};
use crate::view::timeline::timeline_with;
use crate::sim::workload::{Cmd, Workload};
use crate::plant::Plant;
pub use super::test_target::TestTarget;

/// The environment variable naming a scenario file to replay.
pub const SCENARIO_ENV: &str = "DCB_SCENARIO";

/// The environment variable holding a schedule string to replay.
pub const SCHEDULE_ENV: &str = "DCB_SCHEDULE";

/// A simulation test over a workload: configure, then [`Check::run`].
#[derive(Debug, Clone)]
pub struct Check<'w, W> {
    workload: &'w W,
    start: u64,
    seeds: u64,
    plant: Option<Plant>,
    faults: bool,
    jobs: usize,
    shrink_budget: u64,
    max_reports: usize,
    test: Option<String>,
    scheduler: Scheduler,
    exhaustive: Option<u64>,
    races: Option<RaceOptions>,
    race_every: u64,
    cargo_args: Option<Vec<String>>,
    required: Vec<String>,
    guided: bool,
}

/// The share of [`Check`]'s default budget spent on races: every
/// `DEFAULT_RACE_EVERY`-th seed also has its races enumerated.
pub const DEFAULT_RACE_EVERY: u64 = 20;

/// The races [`Check`] enumerates by default on those seeds: up to 4 per
/// seed (triples first), up to 500 runs each.
pub const DEFAULT_RACES: RaceOptions = RaceOptions { races: 4, orders: 500, triples: true };

impl<'w, W: Workload + Sync> Check<'w, W> {
    /// A check of `workload`: seeds `0..1000` on every core, failures
    /// shrunk with up to 2,000 runs each, at most 3 reported.
    pub fn new(workload: &'w W) -> Self {
        let jobs = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Check {
            workload,
            start: 0,
            seeds: 1_000,
            plant: None,
            faults: false,
            jobs,
            shrink_budget: 2_000,
            max_reports: 3,
            test: None,
            scheduler: Scheduler::Random,
            exhaustive: None,
            races: Some(DEFAULT_RACES),
            race_every: DEFAULT_RACE_EVERY,
            cargo_args: None,
            required: Vec::new(),
            guided: false,
        }
    }

    /// The cargo arguments that build this test (features, profile), for
    /// the replay lines a failure prints: e.g. `["--features",
    /// "planted-bug"]`. On Linux they are read from the `cargo` that
    /// started the test binary; set them where that does not work (another
    /// OS, a test runner that is not cargo).
    ///
    /// ```no_run
    /// # use dcb_sim::{domain::enrollment::EnrollmentWorkload, explore::Check};
    /// Check::new(&EnrollmentWorkload::default()).cargo_args(["--features", "planted-bug"]).run();
    /// ```
    pub fn cargo_args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.cargo_args = Some(args.into_iter().map(Into::into).collect());
        self
    }

    /// Probes the seeds must reach ([`check::coverage`](crate::check::coverage),
    /// [`Workload::probes`]), besides the workload's own
    /// [`Workload::required_probes`]: a run in which one never fired fails,
    /// naming it and the number of schedules run (a vacuous run is not a
    /// pass). Not enforced when replaying one seed (`DCB_SEED`) or a
    /// scenario file.
    ///
    /// ```no_run
    /// # use dcb_sim::{domain::enrollment::EnrollmentWorkload, explore::Check};
    /// Check::new(&EnrollmentWorkload::default()).require(["conflict on attempt 2", "outcome exhausted"]).run();
    /// ```
    pub fn require<I: IntoIterator<Item = S>, S: Into<String>>(mut self, probes: I) -> Self {
        self.required.extend(probes.into_iter().map(Into::into));
        self
    }

    /// The same seeds played on **real OS threads** against the stores
    /// `open` makes (one per run, called with its seed): a
    /// [`RealtimeCheck`](crate::explore::RealtimeCheck) of this check's
    /// workload, seeds and report count. The scheduler, faults, plant and
    /// races of this check do not apply to real runs.
    #[cfg(feature = "tokio")]
    pub fn realtime<S, F>(self, open: F) -> crate::explore::RealtimeCheck<'w, W, F>
    where
        W::Handler: Sync,
        S: crate::store::EventStore + Sync,
        F: FnMut(u64) -> Result<S, crate::store::StoreError>,
    {
        crate::explore::RealtimeCheck::new(self.workload, open).start(self.start).runs(self.seeds).max_reports(self.max_reports)
    }

    /// Run `n` seeds (`DCB_SEEDS` overrides it).
    pub fn seeds(mut self, n: u64) -> Self {
        self.seeds = n;
        self
    }

    /// Start at seed `s` (`DCB_SEED` overrides it).
    pub fn start(mut self, s: u64) -> Self {
        self.start = s;
        self
    }

    /// Plant a bug in every scenario (negative controls).
    pub fn plant(mut self, plant: Plant) -> Self {
        self.plant = Some(plant);
        self
    }

    /// Inject storage faults: a scenario whose workload drew none gets a
    /// fault plan drawn from its seed ([`swarm_faults`](crate::sim::swarm_faults)).
    pub fn faults(mut self, on: bool) -> Self {
        self.faults = on;
        self
    }

    /// Worker threads (default: every core).
    pub fn jobs(mut self, n: usize) -> Self {
        self.jobs = n.max(1);
        self
    }

    /// Runs the shrinker may spend per failure (0: don't shrink).
    pub fn shrink_budget(mut self, runs: u64) -> Self {
        self.shrink_budget = runs;
        self
    }

    /// Failures reported (and shrunk) at most; every failing seed is counted.
    pub fn max_reports(mut self, n: usize) -> Self {
        self.max_reports = n.max(1);
        self
    }

    /// The test filter printed in replay lines (default: the running test's name).
    pub fn test_name(mut self, name: &str) -> Self {
        self.test = Some(name.to_string());
        self
    }

    /// Order the store steps with `scheduler` (e.g. [`Scheduler::Pct`];
    /// default: the workload's own, random latency for the built-ins).
    pub fn scheduler(mut self, scheduler: Scheduler) -> Self {
        self.scheduler = scheduler;
        self
    }

    /// Enumerate every order of store steps of each seed's scenario, up to
    /// `budget` runs per scenario ([`exhaustive`](crate::sim::exhaustive())).
    pub fn exhaustive(mut self, budget: u64) -> Self {
        self.exhaustive = Some(budget);
        self
    }

    /// Race mode ([`races`](mod@crate::sim::sched::races)): on every `every`-th
    /// seed, also derive the races of its run (pairs and triples of
    /// commands that conflicted) and enumerate every order of each. On by
    /// default ([`DEFAULT_RACES`] on every [`DEFAULT_RACE_EVERY`]-th seed);
    /// `every = 1` spends the whole budget on races.
    pub fn races(mut self, options: RaceOptions, every: u64) -> Self {
        self.races = Some(options);
        self.race_every = every.max(1);
        self
    }

    /// Guided exploration ([`guided`](mod@crate::explore::guided)): half of
    /// the seeds run mutations of scenarios whose runs fired a rare
    /// coverage probe; replaces race mode. A failure on a mutation is
    /// replayed from the scenario file its report names (`DCB_SCENARIO`).
    ///
    /// ```no_run
    /// # use dcb_sim::{domain::enrollment::EnrollmentWorkload, explore::Check};
    /// Check::new(&EnrollmentWorkload::default()).guided().run();
    /// ```
    pub fn guided(mut self) -> Self {
        self.guided = true;
        self
    }

    /// No race mode: random (or the chosen scheduler's) schedules only.
    pub fn no_races(mut self) -> Self {
        self.races = None;
        self
    }

    fn options(&self, start: u64, seeds: u64) -> ExploreOptions {
        let mut opts = ExploreOptions {
            start_seed: start,
            seeds,
            plant: self.plant,
            faults: self.faults,
            max_reports: self.max_reports,
            shrink_budget: self.shrink_budget,
            scheduler: self.scheduler.clone(),
            exhaustive: self.exhaustive,
            // Races derive their own scenarios; a scripted scheduler or an
            // exhaustive run replaces them.
            races: self.races.filter(|_| !self.guided && self.exhaustive.is_none() && matches!(self.scheduler, Scheduler::Random | Scheduler::Pct { .. })),
            race_every: self.race_every,
            guided: self.guided,
            ..ExploreOptions::default()
        };
        if let Some(text) = std::env::var_os(SCHEDULE_ENV) {
            let text = text.to_string_lossy();
            let schedule: Schedule = text.parse().unwrap_or_else(|e| panic!("{SCHEDULE_ENV}={text}: {e}"));
            opts.scheduler = Scheduler::Script { schedule };
            opts.exhaustive = None;
            opts.races = None;
            opts.guided = false;
        }
        opts
    }

    /// Runs the check and returns the summary for further assertions (for
    /// example that conflicts happened).
    ///
    /// # Panics
    /// With a compact report when any schedule violates an invariant, or
    /// when `DCB_SEED`, `DCB_SEEDS` or `DCB_SCENARIO` is malformed.
    pub fn run(self) -> Summary {
        self.try_run().unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// Like [`Check::run`], returning the report instead of panicking.
    ///
    /// # Errors
    /// The compact failure report, as text.
    ///
    /// # Panics
    /// When `DCB_SEED`, `DCB_SEEDS` or `DCB_SCENARIO` is malformed.
    pub fn try_run(self) -> Result<Summary, String> {
        let mut target = TestTarget::detect(self.test.as_deref());
        if let Some(args) = &self.cargo_args {
            target.cargo_args.clone_from(args);
        }
        if let Some(file) = std::env::var_os(SCENARIO_ENV) {
            return self.replay_file(Path::new(&file), &target);
        }
        let config = SimConfig::from_env();
        let range = config.seeds_or(self.start, self.seeds);
        let opts = self.options(range.start, range.end - range.start);
        if config.is_replay() {
            let scenario = scenario_for(self.workload, &opts, range.start);
            let result = run(self.workload, &scenario, range.start);
            eprintln!("{}", timeline_with(&result.history, &result.violations));
        }
        let mut summary = explore_parallel(self.workload, &opts, self.jobs, &|_, _| {});
        summary.coverage.require(self.required.iter().map(String::as_str));
        if summary.violations == 0 {
            if config.is_replay() {
                return Ok(summary);
            }
            return vacuity(&summary, self.workload.name(), &range).map(|()| summary);
        }
        let dir = failures_dir();
        let mut out = format!(
            "dcb-sim: {} of {} schedules violated invariants · workload {} · seeds {}..{}\n",
            summary.violations,
            summary.schedules,
            self.workload.name(),
            range.start,
            range.end
        );
        for (n, report) in summary.failures.iter_mut().enumerate() {
            out.push_str(&format!("\nfailure {} of {}:\n", n + 1, summary.violations.min(self.max_reports as u64)));
            out.push_str(&self.describe(report, &dir, &target));
        }
        Err(out)
    }

    /// One failure: its first violation, the minimal scenario (saved) with
    /// its timeline, and the replay lines.
    fn describe(&self, report: &mut FailureReport, dir: &Path, target: &TestTarget) -> String {
        let first = &report.violations[0];
        let mut out = format!("  seed {}: {first}\n", report.seed);
        if let Some(race) = &report.race {
            out.push_str(&format!("  race: {race} (derived from seed {}'s run; every order of these commands enumerated)\n", report.seed));
        }
        let (original, minimal) = self.save(report, dir, target);
        if let Some(s) = &report.shrunk {
            out.push_str(&format!(
                "  minimal: {} commands (from {}), {} setup (from {}), {} clients (from {}); seed {}\n",
                s.commands.1, s.commands.0, s.setup.1, s.setup.0, s.clients.1, s.clients.0, s.seed
            ));
            if let Ok(scenario) = serde_json::from_value::<Scenario<Cmd<W>>>(s.scenario.clone()) {
                let again = run(self.workload, &scenario, s.seed);
                for line in timeline_with(&again.history, &again.violations).lines() {
                    out.push_str(&format!("  | {line}\n"));
                }
            }
        }
        out.push_str("  replay:\n");
        if report.race.is_some() {
            // The seed replays its own races: they are derived again from its run.
            out.push_str(&format!("    {}\n", target.command(&format!("DCB_SEED={}", report.seed))));
        } else if report.scenario_from_seed {
            let schedule = report.schedule.as_ref().map_or_else(String::new, |s| format!(" {SCHEDULE_ENV}={s}"));
            out.push_str(&format!("    {}\n", target.command(&format!("DCB_SEED={}{schedule}", report.seed))));
        }
        if let Some(file) = minimal.as_ref().or(original.as_ref()) {
            out.push_str(&format!("    {}\n", target.command(&format!("{SCENARIO_ENV}={}", file.display()))));
        }
        out
    }

    /// Writes the original and minimal scenarios as regression files
    /// (scenario + seed + the invariant they violate); returns their paths.
    fn save(&self, report: &FailureReport, dir: &Path, target: &TestTarget) -> (Option<PathBuf>, Option<PathBuf>) {
        let invariant = report.violations[0].invariant().to_string();
        let write = |name: String, seed: u64, scenario: &serde_json::Value, note: &str| -> Option<PathBuf> {
            let regression = Regression { workload: self.workload.name().to_string(), seed, expect: Expect::Violates(invariant.clone()), note: note.to_string(), scenario: scenario.clone() };
            let path = dir.join(name);
            std::fs::create_dir_all(dir).ok()?;
            std::fs::write(&path, serde_json::to_string_pretty(&regression).ok()?).ok()?;
            Some(std::path::absolute(&path).unwrap_or(path))
        };
        // <test>-<workload>-<seed>: two tests failing at the same seed keep their own files.
        let test: String = target.filter.as_deref().unwrap_or("check").chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
        let stem = format!("{test}-{}-{}", self.workload.name(), report.seed);
        let original = write(format!("{stem}.json"), report.seed, &report.scenario, "the failing scenario as generated");
        let minimal = report.shrunk.as_ref().and_then(|s| write(format!("{stem}-min.json"), s.seed, &s.scenario, "the failing scenario, shrunk"));
        (original, minimal)
    }

    /// `DCB_SCENARIO=FILE`: runs the file's scenario under its seed.
    fn replay_file(&self, file: &Path, target: &TestTarget) -> Result<Summary, String> {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{SCENARIO_ENV}={}: cannot read it: {e}", file.display()));
        let (scenario, seed) = parse_scenario::<Cmd<W>>(&text).unwrap_or_else(|e| panic!("{SCENARIO_ENV}={}: {e}", file.display()));
        let result: RunResult<Cmd<W>> = run(self.workload, &scenario, seed);
        let timeline = timeline_with(&result.history, &result.violations);
        eprintln!("{timeline}");
        let mut summary = Summary { workload: self.workload.name().to_string(), start_seed: seed, schedules: 1, ..Summary::default() };
        if result.violations.is_empty() {
            return Ok(summary);
        }
        summary.violations = 1;
        let first = &result.violations[0];
        Err(format!(
            "dcb-sim: the scenario in {} violates [{}] under seed {seed}: {first}\n  replay:\n    {}\n",
            file.display(),
            first.invariant(),
            target.command(&format!("{SCENARIO_ENV}={}", file.display()))
        ))
    }
}

/// A scenario file: a regression file (scenario + seed, as [`Check`]
/// writes them) or a bare scenario (seed from `DCB_SEED`, else 0).
pub(crate) fn parse_scenario<C: serde::de::DeserializeOwned>(text: &str) -> Result<(Scenario<C>, u64), String> {
    if let Ok(r) = serde_json::from_str::<Regression>(text) {
        let scenario = serde_json::from_value(r.scenario).map_err(|e| format!("the file's scenario is not one of this workload's: {e}"))?;
        return Ok((scenario, r.seed));
    }
    let scenario = Scenario::from_json(text).map_err(|e| e.to_string())?;
    Ok((scenario, SimConfig::from_env().seed.unwrap_or(0)))
}

/// Where failure files go: `<target dir>/dcb-failures`, the target dir
/// being the one the running test binary was built in
/// (`<target dir>/<profile>/deps/<test>`: `target`, or a custom one such as
/// the `cargo simtest` alias's `target/madsim`), else `./dcb-failures`.
pub(crate) fn failures_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    failures_dir_of(exe.as_deref())
}

/// [`failures_dir`] for the test binary at `exe`.
fn failures_dir_of(exe: Option<&Path>) -> PathBuf {
    let in_deps = |e: &&Path| e.parent().and_then(Path::file_name).is_some_and(|n| n == "deps");
    let target = exe.filter(in_deps).and_then(|e| e.ancestors().nth(3));
    target.map_or_else(|| PathBuf::from("dcb-failures"), |t| t.join("dcb-failures"))
}

#[cfg(test)]
mod failures_dir_tests {
    use super::*;

    /// A custom target dir keeps its failure files (it used to be the outer `target`).
    #[test]
    fn failure_files_go_to_the_test_binarys_own_target_dir() {
        let dir = |p: &str| failures_dir_of(Some(Path::new(p)));
        assert_eq!(dir("/c/target/release/deps/sim-0123abcd"), PathBuf::from("/c/target/dcb-failures"));
        assert_eq!(dir("/c/target/madsim/release/deps/sim-0123abcd"), PathBuf::from("/c/target/madsim/dcb-failures"));
        assert_eq!(dir("/usr/bin/odd"), PathBuf::from("dcb-failures"));
        assert_eq!(failures_dir_of(None), PathBuf::from("dcb-failures"));
    }
}

/// The vacuity guard of a run without violations: an error naming each
/// required probe that never fired; without requirements, a warning on
/// stderr when no conflict happened at all.
pub(crate) fn vacuity(summary: &Summary, workload: &str, seeds: &std::ops::Range<u64>) -> Result<(), String> {
    let missing = summary.coverage.missing();
    if !missing.is_empty() {
        let fired: Vec<&str> = summary.coverage.probes.iter().filter(|(_, p)| p.schedules > 0).map(|(n, _)| n.as_str()).collect();
        return Err(format!(
            "dcb-sim: vacuous run · workload {workload} · seeds {}..{}: {} required probe{} never fired in {} schedules: {}\n  \
             the scenarios no longer reach what this check must exercise: widen the generator (more clients on fewer ids, \
             tighter capacities) or run more seeds.\n  probes that fired: {}",
            seeds.start,
            seeds.end,
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            summary.schedules,
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            fired.join(", ")
        ));
    }
    if let Some(warning) = vacuity_warning(summary, workload) {
        eprintln!("{warning}");
    }
    Ok(())
}

/// The warning of a run without violations in which no two commands
/// conflicted, unless probes were required (then [`vacuity`] decides).
fn vacuity_warning(summary: &Summary, workload: &str) -> Option<String> {
    (summary.conflicts == 0 && !summary.coverage.probes.values().any(|p| p.required)).then(|| {
        format!(
            "dcb-sim: warning · workload {workload}: no concurrency conflict in {} schedules; the checks passed, but no two commands raced \
             (require probes with `Check::require` or `Workload::required_probes` to make this an error)",
            summary.schedules
        )
    })
}

#[cfg(test)]
mod gate_tests {
    use super::*;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::explore::coverage::Probe;

    const W: EnrollmentWorkload = EnrollmentWorkload { clients_min: 3, clients_max: 10, faults: false };

    #[test]
    fn options_carry_every_setting_and_races_only_beside_random_or_pct() {
        let race = RaceOptions { races: 2, orders: 9, triples: false };
        let pct = Scheduler::Pct { depth: 2 };
        let c = Check::new(&W).plant(Plant::NarrowCondition).faults(true).max_reports(5).shrink_budget(9).scheduler(pct.clone()).races(race, 7);
        let expected = ExploreOptions {
            start_seed: 3,
            seeds: 11,
            plant: Some(Plant::NarrowCondition),
            faults: true,
            max_reports: 5,
            shrink_budget: 9,
            scheduler: pct,
            exhaustive: None,
            races: Some(race),
            race_every: 7,
            guided: false,
            ..ExploreOptions::default()
        };
        assert_eq!(c.options(3, 11), expected);
        let default = Check::new(&W).options(0, 1);
        assert_eq!((default.races, default.race_every, default.scheduler), (Some(DEFAULT_RACES), DEFAULT_RACE_EVERY, Scheduler::Random));
        // A guided run, an exhaustive one or a scripted scheduler replace races.
        let guided = Check::new(&W).guided().options(0, 1);
        assert_eq!((guided.races, guided.guided), (None, true));
        let exhaustive = Check::new(&W).exhaustive(100).options(0, 1);
        assert_eq!((exhaustive.races, exhaustive.exhaustive), (None, Some(100)));
        let script = Scheduler::Script { schedule: "0.1".parse().unwrap() };
        assert_eq!(Check::new(&W).scheduler(script).options(0, 1).races, None);
        assert_eq!(Check::new(&W).no_races().options(0, 1).races, None);
    }

    #[test]
    fn a_passing_run_covers_exactly_its_seeds() {
        let summary = Check::new(&W).start(5).seeds(300).jobs(1).no_races().try_run().expect("correct code passes");
        assert_eq!((summary.start_seed, summary.schedules, summary.violations), (5, 300, 0));
    }

    /// The seeds of `5..25` that fail with the plant.
    fn failing_seeds() -> Vec<u64> {
        let opts = ExploreOptions { plant: Some(Plant::NarrowCondition), ..ExploreOptions::default() };
        (5..25).filter(|&seed| !run(&W, &scenario_for(&W, &opts, seed), seed).violations.is_empty()).collect()
    }

    #[test]
    fn a_failure_is_reported_with_its_minimal_scenario_saved_under_the_tests_name() {
        let failing = failing_seeds();
        assert!(failing.len() >= 2, "{failing:?}");
        let out = Check::new(&W).plant(Plant::NarrowCondition).start(5).seeds(20).jobs(1).no_races().shrink_budget(200).max_reports(2).test_name("my-test::x").try_run().unwrap_err();
        let header = format!("dcb-sim: {} of 20 schedules violated invariants · workload enrollment · seeds 5..25\n", failing.len());
        assert!(out.starts_with(&header), "{out}");
        assert!(out.contains("\nfailure 1 of 2:\n") && out.contains("\nfailure 2 of 2:\n") && !out.contains("failure 3"), "{out}");
        let seed = failing[0];
        assert!(out.contains(&format!("\n  seed {seed}: [")), "{out}");
        assert!(out.contains("  minimal: ") && out.contains("  | "), "the minimal scenario and its timeline: {out}");
        let lines: Vec<&str> = out.lines().map(str::trim).filter(|l| l.starts_with("DCB_")).collect();
        assert_eq!(lines.len(), 4, "two replay lines per failure: {out}");
        assert!(lines[0].starts_with(&format!("DCB_SEED={seed} cargo test ")) && lines[0].ends_with(" -- my-test::x --exact --include-ignored"), "{}", lines[0]);
        let file = lines[1].strip_prefix("DCB_SCENARIO=").and_then(|l| l.split(' ').next()).expect("a scenario line");
        let min = Path::new(file);
        assert_eq!(min.file_name().unwrap().to_string_lossy(), format!("my-test__x-enrollment-{seed}-min.json"));
        let original = min.with_file_name(format!("my-test__x-enrollment-{seed}.json"));
        let (min, original) = (Regression::load(min).expect("the minimal file"), Regression::load(&original).expect("the original file"));
        assert_eq!((original.seed, original.note.as_str()), (seed, "the failing scenario as generated"));
        assert_eq!(min.note, "the failing scenario, shrunk");
        let Expect::Violates(invariant) = &min.expect else { panic!("{:?}", min.expect) };
        assert_eq!(original.expect, min.expect);
        min.check(&W, "min").unwrap_or_else(|e| panic!("the minimal file replays [{invariant}]: {e}"));
        assert!(out.contains(&format!("\n  seed {seed}: [{invariant}]")), "{out}");
    }

    #[test]
    fn a_scenario_file_replays_under_its_seed() {
        let seed = failing_seeds()[0];
        let opts = ExploreOptions { plant: Some(Plant::NarrowCondition), ..ExploreOptions::default() };
        let scenario = scenario_for(&W, &opts, seed);
        let first = run(&W, &scenario, seed).violations[0].clone();
        let regression = |scenario: &Scenario<_>| Regression { workload: "enrollment".into(), seed, expect: Expect::Pass, note: String::new(), scenario: serde_json::to_value(scenario).unwrap() };
        let dir = std::env::temp_dir().join(format!("dcb-sim-gate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (failing, passing) = (dir.join("failing.json"), dir.join("passing.json"));
        std::fs::write(&failing, serde_json::to_string(&regression(&scenario)).unwrap()).unwrap();
        let correct = Scenario { plant: None, ..scenario.clone() };
        assert!(run(&W, &correct, seed).violations.is_empty());
        std::fs::write(&passing, serde_json::to_string(&regression(&correct)).unwrap()).unwrap();
        let target = TestTarget::detect(Some("t"));
        let check = Check::new(&W);
        let (err, ok) = (check.replay_file(&failing, &target), check.replay_file(&passing, &target));
        std::fs::remove_dir_all(&dir).unwrap();
        let err = err.unwrap_err();
        let head = format!("dcb-sim: the scenario in {} violates [{}] under seed {seed}: {first}\n  replay:\n    DCB_SCENARIO={} cargo test", failing.display(), first.invariant(), failing.display());
        assert!(err.starts_with(&head), "{err}");
        let ok = ok.expect("the correct scenario passes");
        assert_eq!((ok.workload.as_str(), ok.start_seed, ok.schedules, ok.violations), ("enrollment", seed, 1, 0));
    }

    #[test]
    fn a_scenario_file_is_a_regression_file_or_a_bare_scenario() {
        let scenario = scenario_for(&W, &ExploreOptions::default(), 2);
        let r = Regression { workload: "enrollment".into(), seed: 9, expect: Expect::Pass, note: String::new(), scenario: serde_json::to_value(&scenario).unwrap() };
        assert_eq!(parse_scenario(&serde_json::to_string(&r).unwrap()), Ok((scenario.clone(), 9)));
        if std::env::var_os("DCB_SEED").is_none() {
            assert_eq!(parse_scenario(&serde_json::to_string(&scenario).unwrap()), Ok((scenario, 0)));
        }
        let wrong = Regression { scenario: serde_json::json!({ "setup": 1 }), ..r };
        let err = parse_scenario::<Cmd<EnrollmentWorkload>>(&serde_json::to_string(&wrong).unwrap()).unwrap_err();
        assert!(err.starts_with("the file's scenario is not one of this workload's: "), "{err}");
        assert!(parse_scenario::<Cmd<EnrollmentWorkload>>("[]").is_err());
    }

    #[test]
    fn failure_files_go_next_to_this_test_binarys_target_dir() {
        let exe = std::env::current_exe().unwrap();
        assert_eq!(failures_dir(), failures_dir_of(Some(&exe)));
        assert_eq!(failures_dir().file_name().unwrap(), "dcb-failures");
    }

    fn probe(schedules: u64, required: bool) -> Probe {
        let mut p = Probe::default();
        (p.schedules, p.required) = (schedules, required);
        p
    }

    #[test]
    fn a_vacuous_run_names_the_required_probes_that_never_fired() {
        let mut summary = Summary { schedules: 40, conflicts: 3, ..Summary::default() };
        for (name, p) in [("a", probe(2, false)), ("b", probe(0, true)), ("c", probe(0, false)), ("d", probe(1, true)), ("e", probe(0, true))] {
            summary.coverage.probes.insert(name.into(), p);
        }
        let err = vacuity(&summary, "w", &(4..44)).unwrap_err();
        assert!(err.starts_with("dcb-sim: vacuous run · workload w · seeds 4..44: 2 required probes never fired in 40 schedules: `b`, `e`\n"), "{err}");
        assert!(err.ends_with("\n  probes that fired: a, d"), "{err}");
        summary.coverage.probes.remove("e");
        let err = vacuity(&summary, "w", &(4..44)).unwrap_err();
        assert!(err.contains(": 1 required probe never fired in 40 schedules: `b`\n"), "{err}");
        summary.coverage.probes.get_mut("b").unwrap().schedules = 1;
        assert_eq!(vacuity(&summary, "w", &(4..44)), Ok(()));
    }

    #[test]
    fn a_run_without_conflicts_warns_unless_probes_are_required() {
        let mut summary = Summary { schedules: 40, ..Summary::default() };
        let warning = vacuity_warning(&summary, "w").expect("no conflict: a warning");
        assert!(warning.starts_with("dcb-sim: warning · workload w: no concurrency conflict in 40 schedules;"), "{warning}");
        summary.coverage.probes.insert("x".into(), probe(1, true));
        assert_eq!(vacuity_warning(&summary, "w"), None, "a required probe decides instead");
        summary.coverage.probes.insert("x".into(), probe(1, false));
        assert!(vacuity_warning(&summary, "w").is_some());
        summary.conflicts = 1;
        assert_eq!(vacuity_warning(&summary, "w"), None);
        assert_eq!(vacuity(&summary, "w", &(0..1)), Ok(()));
    }
}
