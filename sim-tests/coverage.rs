//! Coverage probes and the vacuity guard: what a green run exercised, from
//! the recorded calls of any workload, with the first seed that replays each
//! probe; a run that never reaches a required probe fails instead of passing.

use dcb_sim::domain::enrollment::{EnrollmentCommand, EnrollmentWorkload};
use dcb_sim::explore::{Check, ExploreOptions, explore};
use dcb_sim::handler::Outcome;
use dcb_sim::rand_chacha::ChaCha8Rng;
use dcb_sim::sim::{History, Scenario, Violation, Workload, run};
use dcb_sim::store::StoreError;

/// Enrollment with a probe of its own: a course turned a student away
/// because it was full.
struct FullCourses(EnrollmentWorkload);

impl Workload for FullCourses {
    type Command = EnrollmentCommand;
    type Store = <EnrollmentWorkload as Workload>::Store;
    type Handler = <EnrollmentWorkload as Workload>::Handler;
    fn name(&self) -> &'static str {
        "full-courses"
    }
    fn store(&self, scenario: &Scenario<EnrollmentCommand>) -> Result<Self::Store, StoreError> {
        self.0.store(scenario)
    }
    fn handler(&self, scenario: &Scenario<EnrollmentCommand>) -> Self::Handler {
        self.0.handler(scenario)
    }
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<EnrollmentCommand> {
        self.0.generate(rng)
    }
    fn check(&self, scenario: &Scenario<EnrollmentCommand>, history: &History<EnrollmentCommand>, out: &mut Vec<Violation>) {
        self.0.check(scenario, history, out);
    }
    fn follows_engine(&self) -> bool {
        true
    }
    fn probes(&self, _: &Scenario<EnrollmentCommand>, history: &History<EnrollmentCommand>, hit: &mut dyn FnMut(&str)) {
        for c in &history.commands {
            if matches!(c.outcome(), Outcome::Rejected { reason } if reason.contains("maximum capacity")) {
                hit("a full course turned a student away");
            }
        }
    }
}

#[test]
fn a_generator_that_never_conflicts_fails_the_guard_naming_the_probe() {
    // One client: commands never overlap, so nothing ever conflicts (race
    // mode off: it plays conflicting commands on clients of their own, and
    // so does reach conflicts even here).
    let err = Check::new(&EnrollmentWorkload::with_clients(1)).seeds(200).jobs(1).no_races().require(["conflict on attempt 1"]).try_run().expect_err("a vacuous run must fail");
    assert!(err.contains("vacuous run"), "{err}");
    assert!(err.contains("1 required probe never fired in 200 schedules: `conflict on attempt 1`"), "{err}");
    // and the same workload with two clients reaches it
    let s = Check::new(&EnrollmentWorkload::with_clients(2)).seeds(200).jobs(1).no_races().require(["conflict on attempt 1"]).run();
    assert!(s.coverage.probes["conflict on attempt 1"].schedules > 0);
}

#[test]
fn built_in_workloads_declare_what_their_runs_must_reach() {
    let required = EnrollmentWorkload::default().required_probes();
    assert!(required.contains(&"conflict on attempt 2") && required.contains(&"outcome exhausted"), "{required:?}");
    assert!(EnrollmentWorkload::default().with_faults().required_probes().contains(&"ghost write"));
    // 100 seeds are too few to exhaust a command: the summary says so
    let s = explore(&EnrollmentWorkload::default(), &ExploreOptions { seeds: 100, ..Default::default() });
    assert_eq!(s.coverage.missing(), vec!["outcome exhausted"], "{s}");
    assert!(s.to_string().contains("vacuous: required probes never fired in 100 schedules: outcome exhausted"), "{s}");
}

#[test]
fn each_probe_remembers_the_first_seed_that_fired_it_and_that_seed_fires_it_again() {
    let w = FullCourses(EnrollmentWorkload::default());
    // Random scheduling only: each probe's first seed then replays it alone
    // (a race order's probe names its seed and the order's schedule).
    let s = Check::new(&w).seeds(300).jobs(1).no_races().require(["a full course turned a student away", "conflict on attempt 2"]).run();
    for name in ["a full course turned a student away", "conflict on attempt 2", "ghost write"] {
        let Some(p) = s.coverage.probes.get(name) else {
            assert_eq!(name, "ghost write", "no probe {name}\n{s}");
            continue;
        };
        let seed = p.first_seed.expect("fired");
        assert_eq!(p.first_schedule, None, "random scheduling records no schedule");
        assert!(p.hits >= p.schedules && p.schedules > 0, "{p:?}");
        // The seed replays the probe: its run alone fires it.
        let scenario = dcb_sim::explore::scenario_for(&w, &ExploreOptions::default(), seed);
        let mut alone = dcb_sim::explore::Coverage::default();
        alone.count_run(&w, &scenario, &run(&w, &scenario, seed).history);
        assert!(alone.probes.get(name).is_some_and(|q| q.schedules == 1), "seed {seed} does not fire {name}");
    }
    assert!(!s.coverage.probes.contains_key("ghost write"), "no faults, so no write behind an error");
    assert!(s.to_string().contains("coverage (probe, hits, share of schedules, first seed)"), "{s}");
}

#[test]
fn faults_fire_their_probes_and_json_carries_the_table() {
    let s = explore(&EnrollmentWorkload::default().with_faults(), &ExploreOptions { seeds: 300, ..Default::default() });
    for name in ["ghost write", "fault Crash on append", "retry after transient", "outcome failed"] {
        assert!(s.coverage.probes.get(name).is_some_and(|p| p.schedules > 0), "{name}\n{s}");
    }
    let json = serde_json::to_value(&s).expect("summaries serialize");
    assert_eq!(json["coverage"]["probes"]["ghost write"]["schedules"], s.coverage.probes["ghost write"].schedules);
}

#[test]
fn a_probe_first_fired_in_a_race_order_names_the_order() {
    // One client never conflicts by itself; race mode does, and says in which order.
    let s = Check::new(&EnrollmentWorkload::with_clients(1)).seeds(200).jobs(1).run();
    let p = &s.coverage.probes["conflict on attempt 1"];
    assert!(p.first_schedule.is_some(), "{p:?}");
    assert!(s.to_string().contains(&format!("seed {}, order {}", p.first_seed.unwrap(), p.first_schedule.as_ref().unwrap())), "{s}");
}
