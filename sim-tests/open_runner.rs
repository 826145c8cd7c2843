//! The open runner: any handler, any store. The simulator derives attempt
//! records from the store calls it recorded; for the decider shell, which
//! keeps its own records, both must agree exactly. A plant a workload does
//! not support is refused, not silently ignored.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dcb_sim::handler::{CommandHandler, Ctx, Decider, DecisionRecord, HandleReport, Handler, Outcome};
use dcb_sim::plant::Plant;
use dcb_sim::rand_chacha::ChaCha8Rng;
use dcb_sim::retry::MetricsObserver;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::explore::{Catch, SCENARIO_STREAM};
use dcb_sim::sim::{Cmd, EngineStore, History, Scenario, Violation, Workload, run};
use dcb_sim::store::{EventStore, StoreError};

/// Runs the shell and keeps its own report per request id.
struct Keeping<D> {
    decider: D,
    reports: Arc<Mutex<BTreeMap<String, HandleReport>>>,
}

impl<D: Decider> Handler<D::Command> for Keeping<D> {
    async fn handle<S: EventStore>(&self, mut ctx: Ctx<'_, S>, command: &D::Command) -> Outcome {
        let policy = ctx.policy().clone();
        let request = ctx.request_id().expect("request ids are on").to_string();
        let (store, clock, rng) = ctx.parts();
        let shell = CommandHandler::new(self.decider.clone(), store, policy, clock);
        let report = shell.handle_request(command, Some(&request), rng, &mut MetricsObserver::new(self.decider.command_type(command))).await;
        let outcome = report.outcome.clone();
        // The first report per request is the concurrent run's: the
        // serializability checker runs the handler again alone afterwards.
        self.reports.lock().unwrap().entry(request).or_insert(report);
        outcome
    }
}

/// A built-in workload whose handler keeps the shell's own records.
struct SelfReporting<W, D> {
    inner: W,
    decider: D,
    reports: Arc<Mutex<BTreeMap<String, HandleReport>>>,
}

impl<W: Workload<Store = EngineStore>, D: Decider<Command = Cmd<W>>> Workload for SelfReporting<W, D> {
    type Command = Cmd<W>;
    type Store = EngineStore;
    type Handler = Keeping<D>;
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn follows_engine(&self) -> bool {
        self.inner.follows_engine()
    }
    fn store(&self, scenario: &Scenario<Cmd<W>>) -> Result<EngineStore, StoreError> {
        self.inner.store(scenario)
    }
    fn handler(&self, _: &Scenario<Cmd<W>>) -> Keeping<D> {
        Keeping { decider: self.decider.clone(), reports: self.reports.clone() }
    }
    fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Cmd<W>> {
        self.inner.generate(rng)
    }
    fn check(&self, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>, out: &mut Vec<Violation>) {
        self.inner.check(scenario, history, out);
    }
}

/// The shell's decision record as the store boundary can see it: a
/// rejection whose failure events hit a conflict or an error (so the command
/// did not end rejected there) looks like an append of those events.
fn visible(mut report: HandleReport) -> HandleReport {
    let rejected = matches!(report.outcome, Outcome::Rejected { .. });
    let last = report.attempts.len() - usize::from(rejected);
    for a in &mut report.attempts[..last] {
        if let Some(DecisionRecord::Reject { events, .. }) = a.decision {
            a.decision = Some(DecisionRecord::Append { events });
        }
    }
    report
}

/// Runs `seeds` generated scenarios; every command's derived report must
/// equal the shell's own. Returns (commands compared, retries among them).
fn derived_equals_own<W: Workload<Store = EngineStore>, D: Decider<Command = Cmd<W>>>(inner: W, decider: D, seeds: std::ops::Range<u64>) -> (usize, usize) {
    let w = SelfReporting { inner, decider, reports: Arc::default() };
    let (mut compared, mut retries) = (0, 0);
    for seed in seeds {
        w.reports.lock().unwrap().clear();
        let scenario = w.generate(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM));
        let result = run(&w, &scenario, seed);
        assert!(result.violations.is_empty(), "seed {seed}: {:?}", result.violations);
        let own = w.reports.lock().unwrap();
        assert_eq!(own.len(), result.history.commands.len(), "seed {seed}");
        for c in &result.history.commands {
            let mine = visible(own[&c.index.to_string()].clone());
            assert_eq!(c.report, mine, "seed {seed}, command #{} ({}): derived from store calls vs the shell's own records", c.index, c.command);
            compared += 1;
            retries += c.report.attempts.len() - 1;
        }
    }
    (compared, retries)
}

#[test]
fn attempts_derived_from_store_calls_equal_the_shells_own_records() {
    use dcb_sim::domain::enrollment::EnrollmentDecider;
    use dcb_sim::domain::library::LibraryDecider;
    let cases = [
        derived_equals_own(EnrollmentWorkload::default(), EnrollmentDecider, 0..400),
        derived_equals_own(EnrollmentWorkload::default().with_faults(), EnrollmentDecider, 0..400),
        derived_equals_own(LibraryWorkload::default(), LibraryDecider, 0..400),
        derived_equals_own(LibraryWorkload::default().with_faults(), LibraryDecider, 0..400),
    ];
    for (compared, retries) in cases {
        assert!(compared > 1000 && retries > 50, "too little to compare: {compared} commands, {retries} retries");
    }
}

#[test]
fn a_plant_the_workload_does_not_support_is_refused() {
    /// The library workload restricted to the harness's own plants.
    struct Restricted(LibraryWorkload);
    impl Workload for Restricted {
        type Command = Cmd<LibraryWorkload>;
        type Store = EngineStore;
        type Handler = <LibraryWorkload as Workload>::Handler;
        fn name(&self) -> &'static str {
            "restricted"
        }
        fn follows_engine(&self) -> bool {
            true
        }
        fn store(&self, s: &Scenario<Self::Command>) -> Result<EngineStore, StoreError> {
            self.0.store(s)
        }
        fn handler(&self, s: &Scenario<Self::Command>) -> Self::Handler {
            self.0.handler(s)
        }
        fn generate(&self, rng: &mut ChaCha8Rng) -> Scenario<Self::Command> {
            self.0.generate(rng)
        }
        fn check(&self, s: &Scenario<Self::Command>, h: &History<Self::Command>, out: &mut Vec<Violation>) {
            self.0.check(s, h, out);
        }
    }
    let w = Restricted(LibraryWorkload::default());
    let mut scenario = w.generate(&mut dcb_sim::rng::seeded(1));
    scenario.plant = Some(Plant::NarrowCondition);
    let r = run(&w, &scenario, 1);
    assert_eq!(r.violations.len(), 1);
    assert_eq!(r.violations[0].invariant(), "harness");
    assert!(r.violations[0].to_string().contains("plant narrow-condition does not apply to workload restricted"), "{}", r.violations[0]);
    // A harness plant applies to any workload's store: over 200 seeds it
    // is caught by exactly what catches it on the library itself within
    // that budget (library_sim pins the full set over 1,000 seeds).
    Catch::new(&w).plant(Plant::NonAtomicStore).seeds(200).expect(&[
        "dcb-soundness",
        "serializability",
        "library-copy-lent-once",
        "library-returns-match",
        "library-cancelled-holds-none",
        "library-removed-not-lent",
    ]);
}

/// A workload over a store of its own (here the enrollment workload over
/// `with_store`) refuses a scenario that asks for another engine, with an
/// error that says what to do, instead of silently running on its store;
/// on the default engine it runs and holds.
#[test]
fn a_workload_with_its_own_store_refuses_another_engine() {
    use dcb_sim::sim::{Engine, WithStoreExt};
    use dcb_sim::store::MemoryStore;
    let w = EnrollmentWorkload::default().with_store(|_| Ok(MemoryStore::new()));
    let scenario = w.generate(&mut dcb_sim::rng::substream(5, SCENARIO_STREAM));
    assert!(run(&w, &scenario, 5).violations.is_empty());
    let sqlite = Scenario { engine: Engine::Sqlite, ..scenario };
    let refused = run(&w, &sqlite, 5);
    assert!(
        matches!(&refused.violations[..], [Violation::Harness { detail }] if detail.contains("opens a store of its own") && detail.contains("with_store")),
        "{:?}",
        refused.violations
    );
}
