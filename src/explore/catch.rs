//! [`Catch`]: the negative-control assertion — a planted bug is caught by
//! **exactly** the invariants a test states, within a stated seed budget,
//! and every catch replays from its report.
//!
//! A negative control proves the gate works: plant a bug, and the checkers
//! must notice. "Some checker fired" is too weak a claim (a broken checker
//! that fires on everything passes it, and so does a plant that is caught
//! by the wrong invariant for the wrong reason), so [`Catch::expect`]
//! asserts an exact set:
//!
//! - every seed of the budget is run (the scenario each seed generates,
//!   with the plant, or one hand-written scenario under each seed);
//! - the invariants that fire over the whole budget are **exactly** the
//!   expected ones: one that is not listed fails the test (with the seed
//!   that fired it and the line that replays it), and so does a listed one
//!   that never fires;
//! - at least one seed fails (the plant is caught within the budget);
//! - for each invariant, the first seed that fired it replays: from its
//!   [`FailureReport`] alone ([`FailureReport::replay`], the scenario as
//!   JSON plus the seed, as `dcb-sim replay` runs it), as a
//!   [`Regression`] file expecting that invariant, and from the seed alone
//!   (what the printed `DCB_SEED=…` line runs), each with the same
//!   violations.
//!
//! ```no_run
//! use dcb_sim::plant::Plant;
//! use dcb_sim::explore::catch::Catch;
//! use dcb_sim::domain::enrollment::EnrollmentWorkload;
//!
//! #[test]
//! fn stale_decision_is_caught() {
//!     Catch::new(&EnrollmentWorkload::default()).plant(Plant::StaleDecision).seeds(2_000).expect(&["serializability"]);
//! }
//! ```
//!
//! The environment narrows or widens a run as for every seed-driven test
//! ([`SimConfig`]): `DCB_SEED=S` alone runs exactly seed `S` (the line a
//! failure prints) and checks that it fails with only expected invariants;
//! with `DCB_SEEDS=N` the range changes, so only "nothing unexpected, and
//! caught" is checked. The exact set is asserted only over the stated budget.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use crate::sim::config::SimConfig;
use crate::explore::explorer::{ExploreOptions, scenario_for};
use crate::explore::gate::TestTarget;
use crate::explore::regression::{Expect, Regression};
use crate::explore::report::FailureReport;
use crate::sim::runner::run;
use crate::sim::scenario::{Engine, Scenario};
use crate::view::timeline::timeline_with;
use crate::sim::violation::Violation;
use crate::sim::workload::{Cmd, Workload};
use crate::plant::Plant;

/// A negative control over a workload: configure, then [`Catch::expect`].
#[derive(Debug, Clone)]
pub struct Catch<'w, W: Workload> {
    workload: &'w W,
    plant: Option<Plant>,
    engine: Option<Engine>,
    scenario: Option<Scenario<Cmd<W>>>,
    start: u64,
    seeds: u64,
    label: Option<String>,
}

/// How one invariant fired over a [`Catch`] run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// Failing schedules in which it fired.
    pub schedules: u64,
    /// The first seed that fired it.
    pub first_seed: u64,
}

/// What a passing [`Catch::expect`] saw.
#[derive(Debug, Clone)]
pub struct Caught {
    /// What was planted (the plant's name, or the label given).
    pub label: String,
    /// The seeds run.
    pub seeds: Range<u64>,
    /// Schedules with at least one violation.
    pub failing: u64,
    /// Every invariant that fired, with its count and first seed.
    pub fired: BTreeMap<String, Fired>,
    /// The first failing seed's report (it replays).
    pub first: FailureReport,
}

impl fmt::Display for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} of {} seeds ({}..{}) failed, first at seed {};", self.label, self.failing, self.seeds.end - self.seeds.start, self.seeds.start, self.seeds.end, self.first.seed)?;
        for (name, fired) in &self.fired {
            write!(f, " [{name}] {} (first {})", fired.schedules, fired.first_seed)?;
        }
        Ok(())
    }
}

/// Why a [`Catch`] failed. Each message names the plant, the seeds and,
/// where there is a failing seed, the lines that replay it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatchError {
    /// No seed of the range violated any invariant.
    #[error("{label}: not caught in seeds {}..{} (expected {expected:?})", seeds.start, seeds.end)]
    NotCaught {
        /// What was planted.
        label: String,
        /// The seeds run.
        seeds: Range<u64>,
        /// The expected invariants.
        expected: Vec<String>,
    },
    /// An invariant outside the expected set fired.
    #[error("{label}: [{invariant}] fired at seed {seed}, but this plant must be caught by exactly {expected:?} (seeds {}..{}; every invariant that fired: {fired:?})\n  {violation}\n  replay:\n{replay}", seeds.start, seeds.end)]
    Unexpected {
        /// What was planted.
        label: String,
        /// The invariant that should not have fired.
        invariant: String,
        /// The first seed that fired it.
        seed: u64,
        /// Its first violation there.
        violation: String,
        /// The expected invariants.
        expected: Vec<String>,
        /// Every invariant that fired, with the number of failing seeds.
        fired: BTreeMap<String, u64>,
        /// The seeds run.
        seeds: Range<u64>,
        /// The replay lines (indented).
        replay: String,
    },
    /// An expected invariant never fired.
    #[error("{label}: [{invariant}] never fired in seeds {}..{}, but this plant must be caught by exactly {expected:?} (every invariant that fired: {fired:?})", seeds.start, seeds.end)]
    Missing {
        /// What was planted.
        label: String,
        /// The invariant that never fired.
        invariant: String,
        /// The expected invariants.
        expected: Vec<String>,
        /// Every invariant that fired, with the number of failing seeds.
        fired: BTreeMap<String, u64>,
        /// The seeds run.
        seeds: Range<u64>,
    },
    /// A failing seed did not give the same violations when replayed.
    #[error("{label}: seed {seed} did not replay {how}: first run {first:?}, replay {replayed:?}\n  replay:\n{replay}")]
    NotReplayed {
        /// What was planted.
        label: String,
        /// The seed.
        seed: u64,
        /// Which replay: from the report, as a regression file, from the seed.
        how: &'static str,
        /// The first run's violations.
        first: Vec<Violation>,
        /// The replay's violations (or the replay's error).
        replayed: Vec<Violation>,
        /// The replay lines (indented).
        replay: String,
    },
}

impl<'w, W: Workload> Catch<'w, W> {
    /// A negative control over `workload`: seeds `0..1000`, no plant (a
    /// buggy workload variant catches on its own), the scenario each seed
    /// generates.
    pub fn new(workload: &'w W) -> Self {
        Catch { workload, plant: None, engine: None, scenario: None, start: 0, seeds: 1_000, label: None }
    }

    /// Plant `plant` in every scenario.
    pub fn plant(mut self, plant: Plant) -> Self {
        self.plant = Some(plant);
        self
    }

    /// Run every scenario on `engine`.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Run this hand-written scenario under each seed instead of the
    /// generated ones (the plant, if set, is planted in it).
    pub fn scenario(mut self, scenario: Scenario<Cmd<W>>) -> Self {
        self.scenario = Some(scenario);
        self
    }

    /// The budget: run `n` seeds (`DCB_SEEDS` overrides it).
    pub fn seeds(mut self, n: u64) -> Self {
        self.seeds = n;
        self
    }

    /// Start at seed `s` (`DCB_SEED` overrides it).
    pub fn start(mut self, s: u64) -> Self {
        self.start = s;
        self
    }

    /// Name the bug in messages (default: the plant's name, else the
    /// workload's).
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self
    }

    fn label_text(&self) -> String {
        self.label.clone().unwrap_or_else(|| self.plant.map_or_else(|| self.workload.name().to_string(), |p| p.name().to_string()))
    }

    fn options(&self) -> ExploreOptions {
        ExploreOptions { plant: self.plant, engine: self.engine, ..ExploreOptions::default() }
    }

    /// The scenario seed `seed` runs.
    fn scenario_for(&self, seed: u64) -> Scenario<Cmd<W>> {
        match &self.scenario {
            Some(s) => {
                let mut s = s.clone();
                if let Some(plant) = self.plant {
                    s.plant = Some(plant);
                }
                if let Some(engine) = self.engine {
                    s.engine = engine;
                }
                s
            }
            None => scenario_for(self.workload, &self.options(), seed),
        }
    }

    /// The report of `seed` failing with `violations` on its scenario.
    fn report(&self, seed: u64, scenario: &Scenario<Cmd<W>>, violations: Vec<Violation>) -> FailureReport {
        FailureReport {
            scenario_from_seed: self.scenario.is_none(),
            test: TestTarget::detect(None).test,
            ..FailureReport::new(self.workload.name(), seed, scenario, violations)
        }
    }

    /// The line that replays `report`: this test with `DCB_SEED` (its
    /// scenario comes from the seed, or from the test's
    /// [`Catch::scenario`]), printed as [`Check`](crate::explore::Check)
    /// prints it: package, test binary, filter, profile, features.
    fn replay_lines(report: &FailureReport) -> String {
        format!("    {}", TestTarget::detect(None).command(&format!("DCB_SEED={}", report.seed)))
    }

    /// Runs the seeds and asserts the plant is caught by exactly
    /// `expected` (see the module docs); returns what was seen.
    ///
    /// # Panics
    /// With the [`CatchError`]'s message when the assertion fails, or when
    /// `DCB_SEED` / `DCB_SEEDS` is malformed.
    pub fn expect(self, expected: &[&str]) -> Caught {
        self.try_expect(expected).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Catch::expect`], returning the error instead of panicking.
    ///
    /// # Errors
    /// [`CatchError`]: not caught, an unexpected invariant, a missing one,
    /// or a failing seed that does not replay.
    ///
    /// # Panics
    /// When `DCB_SEED` / `DCB_SEEDS` is malformed.
    pub fn try_expect(self, expected: &[&str]) -> Result<Caught, Box<CatchError>> {
        self.check(expected).map_err(Box::new)
    }

    #[allow(clippy::result_large_err, reason = "private; boxed by try_expect")]
    fn check(self, expected: &[&str]) -> Result<Caught, CatchError> {
        let config = SimConfig::from_env();
        let seeds = config.seeds_or(self.start, self.seeds);
        let stated = seeds == (self.start..self.start.saturating_add(self.seeds));
        let label = self.label_text();
        let expected_set: BTreeSet<&str> = expected.iter().copied().collect();
        let expected_list: Vec<String> = expected_set.iter().map(|s| s.to_string()).collect();

        let mut failing = 0;
        let mut fired: BTreeMap<String, Fired> = BTreeMap::new();
        // The report of the first seed that fired each invariant.
        let mut firsts: BTreeMap<u64, FailureReport> = BTreeMap::new();
        for seed in seeds.clone() {
            let scenario = self.scenario_for(seed);
            let result = run(self.workload, &scenario, seed);
            if result.violations.is_empty() {
                continue;
            }
            failing += 1;
            let names: BTreeSet<&str> = result.violations.iter().map(Violation::invariant).collect();
            let mut new = false;
            for name in names {
                let entry = fired.entry(name.to_string()).or_insert_with(|| {
                    new = true;
                    Fired { schedules: 0, first_seed: seed }
                });
                entry.schedules += 1;
            }
            if new {
                firsts.insert(seed, self.report(seed, &scenario, result.violations));
            }
        }
        if config.is_replay() {
            let scenario = self.scenario_for(seeds.start);
            let result = run(self.workload, &scenario, seeds.start);
            eprintln!("{}", timeline_with(&result.history, &result.violations));
        }
        let counts: BTreeMap<String, u64> = fired.iter().map(|(k, v)| (k.clone(), v.schedules)).collect();
        let Some(first) = firsts.values().next().cloned() else {
            return Err(CatchError::NotCaught { label, seeds, expected: expected_list });
        };
        if let Some((name, f)) = fired.iter().find(|(name, _)| !expected_set.contains(name.as_str())) {
            let report = &firsts[&f.first_seed];
            let violation = report.violations.iter().find(|v| v.invariant() == name).map(ToString::to_string).unwrap_or_default();
            return Err(CatchError::Unexpected {
                label,
                invariant: name.clone(),
                seed: f.first_seed,
                violation,
                expected: expected_list,
                fired: counts,
                seeds,
                replay: Self::replay_lines(report),
            });
        }
        if stated && let Some(name) = expected_set.iter().find(|name| !fired.contains_key(**name)) {
            return Err(CatchError::Missing { label, invariant: name.to_string(), expected: expected_list, fired: counts, seeds });
        }
        for report in firsts.values() {
            self.replays(&label, report)?;
        }
        Ok(Caught { label, seeds, failing, fired, first })
    }

    /// `report` replays from its JSON scenario, as a regression file
    /// expecting each of its invariants, and from its seed alone.
    #[allow(clippy::result_large_err, reason = "private; boxed by try_expect")]
    fn replays(&self, label: &str, report: &FailureReport) -> Result<(), CatchError> {
        let mismatch = |how: &'static str, replayed: Vec<Violation>| CatchError::NotReplayed {
            label: label.to_string(),
            seed: report.seed,
            how,
            first: report.violations.clone(),
            replayed,
            replay: Self::replay_lines(report),
        };
        let harness = |e: String| vec![Violation::Harness { detail: e }];
        let from_report = report.replay(self.workload).map_err(|e| mismatch("from its report", harness(e.to_string())))?;
        if from_report.violations != report.violations {
            return Err(mismatch("from its report", from_report.violations));
        }
        let names: BTreeSet<&str> = report.violations.iter().map(Violation::invariant).collect();
        for name in names {
            let regression = Regression {
                workload: report.workload.clone(),
                seed: report.seed,
                expect: Expect::Violates(name.to_string()),
                note: format!("{label} caught by {name}"),
                scenario: report.scenario.clone(),
            };
            let result = regression.check(self.workload, "<catch>").map_err(|e| mismatch("as a regression file", harness(e.to_string())))?;
            if result.violations != report.violations {
                return Err(mismatch("as a regression file", result.violations));
            }
        }
        let again = run(self.workload, &self.scenario_for(report.seed), report.seed);
        if again.violations != report.violations {
            return Err(mismatch("from its seed", again.violations));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::wrapped::{Twist, Wrapped};
    use crate::domain::enrollment::EnrollmentWorkload;

    /// Narrow condition over 20 seeds fires exactly these (measured).
    const NARROW: [&str; 3] = ["capacity", "dcb-soundness", "serializability"];

    fn narrow() -> Catch<'static, EnrollmentWorkload> {
        static W: EnrollmentWorkload = EnrollmentWorkload { clients_min: 3, clients_max: 10, faults: false };
        assert_eq!(W, EnrollmentWorkload::default());
        Catch::new(&W).plant(Plant::NarrowCondition).seeds(20)
    }

    #[test]
    fn the_exact_set_passes_and_reports_each_invariants_first_seed() {
        let caught = narrow().try_expect(&NARROW).expect("caught by exactly these");
        assert_eq!(caught.fired.keys().map(String::as_str).collect::<Vec<_>>(), NARROW);
        assert_eq!(caught.first.seed, caught.fired.values().map(|f| f.first_seed).min().unwrap());
        assert!(caught.failing > 0 && caught.failing <= 20);
        assert_eq!(caught.first.plant.as_deref(), Some("narrow-condition"));
    }

    #[test]
    fn an_invariant_that_is_not_listed_fails_with_its_seed_and_replay_lines() {
        let err = narrow().try_expect(&["dcb-soundness", "serializability"]).unwrap_err();
        let CatchError::Unexpected { invariant, seed, replay, .. } = &*err else { panic!("{err}") };
        assert_eq!(invariant, "capacity");
        let CatchError::Unexpected { violation, .. } = &*err else { unreachable!() };
        assert!(violation.starts_with("[capacity] "), "its first violation of that invariant: {violation}");
        assert!(replay.contains(&format!("DCB_SEED={seed} cargo test")), "{replay}");
        assert!(!replay.contains("replay --workload"), "only the test-level line, which works from any crate: {replay}");
    }

    #[test]
    fn a_listed_invariant_that_never_fires_fails() {
        let mut expected = NARROW.to_vec();
        expected.push("tier-limit");
        let err = narrow().try_expect(&expected).unwrap_err();
        assert!(matches!(&*err, CatchError::Missing { invariant, .. } if invariant == "tier-limit"), "{err}");
    }

    #[test]
    fn correct_code_is_not_caught() {
        let err = Catch::new(&EnrollmentWorkload::default()).seeds(20).try_expect(&["serializability"]).unwrap_err();
        assert!(matches!(&*err, CatchError::NotCaught { seeds, .. } if *seeds == (0..20)), "{err}");
    }

    #[test]
    fn a_failure_that_does_not_replay_fails() {
        let w = Wrapped::new(Twist::FlakyCheck);
        let err = Catch::new(&w).seeds(1).try_expect(&["flaky"]).unwrap_err();
        assert!(matches!(&*err, CatchError::NotReplayed { seed: 0, how: "from its report", .. }), "{err}");
    }

    #[test]
    fn a_hand_written_scenario_runs_under_each_seed_with_the_plant() {
        let w = EnrollmentWorkload::default();
        let scenario = w.generate(&mut crate::rng::substream(1, crate::explore::SCENARIO_STREAM));
        let caught = Catch::new(&w).scenario(scenario.clone()).plant(Plant::RetryBusiness).seeds(5).try_expect(&["retry-classification"]).expect("caught");
        assert!(!caught.first.scenario_from_seed, "a given scenario must be replayed from its file");
        let mut planted = scenario;
        planted.plant = Some(Plant::RetryBusiness);
        assert_eq!(caught.first.scenario, serde_json::to_value(&planted).unwrap());
    }

    #[test]
    fn caught_counts_every_failing_seed_and_each_invariants_first() {
        let w = EnrollmentWorkload::default();
        let opts = ExploreOptions { plant: Some(Plant::NarrowCondition), ..ExploreOptions::default() };
        // The same 20 seeds, counted here by hand (starting at seed 3).
        let mut failing = 0;
        let mut fired: BTreeMap<String, Fired> = BTreeMap::new();
        for seed in 3..23 {
            let r = run(&w, &scenario_for(&w, &opts, seed), seed);
            failing += u64::from(!r.violations.is_empty());
            for name in r.violations.iter().map(Violation::invariant).collect::<BTreeSet<_>>() {
                fired.entry(name.to_string()).or_insert(Fired { schedules: 0, first_seed: seed }).schedules += 1;
            }
        }
        let caught = narrow().start(3).try_expect(&fired.keys().map(String::as_str).collect::<Vec<_>>()).expect("caught by exactly these");
        assert_eq!((caught.seeds.clone(), caught.failing, &caught.fired), (3..23, failing, &fired));
        assert!(caught.fired.values().any(|f| f.schedules > 1), "some invariant fires on several seeds");
        assert!(caught.first.scenario_from_seed, "a generated scenario replays from its seed");
        let first = fired.values().map(|f| f.first_seed).min().unwrap();
        let per: String = fired.iter().map(|(n, f)| format!(" [{n}] {} (first {})", f.schedules, f.first_seed)).collect();
        assert_eq!(caught.to_string(), format!("narrow-condition: {failing} of 20 seeds (3..23) failed, first at seed {first};{per}"));
    }

    #[test]
    fn messages_name_the_label_else_the_plant_else_the_workload() {
        let w = EnrollmentWorkload::default();
        let caught = narrow().label("my bug").try_expect(&NARROW).expect("caught");
        assert_eq!(caught.label, "my bug");
        let err = Catch::new(&w).seeds(2).try_expect(&["capacity"]).unwrap_err();
        assert!(matches!(&*err, CatchError::NotCaught { label, .. } if label == "enrollment"), "{err}");
        assert_eq!(narrow().try_expect(&NARROW).expect("caught").label, "narrow-condition");
    }

    #[test]
    fn the_engine_and_plant_chosen_apply_to_every_scenario() {
        let c = narrow().engine(Engine::Sqlite);
        let generated = c.scenario_for(4);
        assert_eq!((generated.engine, generated.plant), (Engine::Sqlite, Some(Plant::NarrowCondition)));
        let given = c.scenario(narrow().scenario_for(1));
        assert_eq!(given.scenario_for(9).engine, Engine::Sqlite);
        assert_eq!(narrow().scenario_for(4).engine, Engine::Memory);
    }
}
