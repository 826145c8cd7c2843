//! Real-concurrency stress: the simulator's own workloads (enrollment and
//! library), run against **real storage** (SQLite on a file, PostgreSQL)
//! with **real OS threads** and the **real clock**, recorded as the same
//! [`History`] and judged by the same checkers.
//!
//! For each seed the workload generates its scenario exactly as the explorer
//! does (`workload.generate(substream(seed, SCENARIO_STREAM))`, 8 clients),
//! and [`run_realtime`] plays it: the simulator's own runner (same setup,
//! client queues, start times, RNG streams, request ids, handler and
//! recording store view) on the real clock with one OS thread per client,
//! judged by the same checkers. The only relaxation, typed in the checker
//! ([`Timing::Real`](dcb_sim::check::delays::Timing)): the `delays`
//! checker does not bound how much *longer* than its delay a real sleep
//! took (the OS wakes the thread late); a retry starting before its delay
//! has passed is still a violation. The same scenarios also run in the
//! simulator, and both are summarized side by side.
//!
//! Whether the generated runs happen to conflict depends on the OS
//! scheduler, so it is printed, not asserted. The race is asserted where
//! it is forced: `herd_race_is_forced_on_sqlite` / `_on_postgres` play a
//! thundering herd (8 clients enrolling 8 students into each of six 1-seat
//! courses at the same instant) with every enrollment's append held until
//! all 8 have read the course ([`EnrollAfterAllChecked`]): per course
//! exactly one enrollment succeeds and the other 7 each hit exactly one
//! conflict, re-read and are rejected as full, with every checker passing.
//!
//! Negative control: the simulator's [`NonAtomicStore`] over PostgreSQL
//! (check with a read, sleep on the real clock, append with no condition)
//! under a thundering herd (8 clients enrolling 8 students into a 1-seat
//! course at the same instant), with every client's check forced before
//! any insert, must be caught by the same checkers.
//!
//! PostgreSQL runs need `DCB_PG_URL` (skipped with a message without it,
//! failed in CI). Run: `cargo test --release --test sim -- --nocapture stress_engines::`.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use dcb_sim::domain::enrollment::{EnrollmentCommand, EnrollmentEvent, Tier};
use dcb_sim::handler::AppendRecord;
use dcb_sim::retry::TokioSleeper;
use dcb_sim::rng;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::sim::plants::NonAtomicStore;
use dcb_sim::sim::{Cmd, History, RunResult, Scenario, Scheduled, Violation, Workload, run_realtime};
use dcb_sim::explore::SCENARIO_STREAM;
use dcb_sim::store::postgres::test_url;
use dcb_sim::store::{AppendCondition, Event, EventStore, PgOptions, Position, PostgresStore, Query, ReadOptions, SequencedEvent, SqliteStore, StoreError};

/// Seeds per (engine, workload): about 8 × 2 commands each plus setup.
const SEEDS: u64 = 20;
const CLIENTS: u32 = 8;

/// A real engine: the store the client threads share.
trait RealEngine {
    type Store: EventStore + Sync;
    fn name(&self) -> &'static str;
    /// The store a run's clients share.
    fn store(&self) -> Self::Store;
}

/// SQLite on a fresh file; each client gets its own connection, so the
/// threads contend on SQLite's write lock, not on a mutex.
struct SqliteEngine {
    first: SqliteStore,
    dir: PathBuf,
}

impl SqliteEngine {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("dcb-stress-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        SqliteEngine { first: SqliteStore::open(dir.join("stress.db")).expect("open"), dir }
    }
}

impl Drop for SqliteEngine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RealEngine for SqliteEngine {
    type Store = SqlitePool;
    fn name(&self) -> &'static str {
        "sqlite-file"
    }
    fn store(&self) -> SqlitePool {
        SqlitePool { first: self.first.open_another().expect("another connection"), idle: Mutex::new(Vec::new()) }
    }
}

/// SQLite connections to one file, one per concurrent call: each call
/// takes an idle connection (or opens another) and gives it back, so the
/// client threads contend on SQLite's write lock, not on a mutex.
struct SqlitePool {
    first: SqliteStore,
    idle: Mutex<Vec<SqliteStore>>,
}

impl SqlitePool {
    fn take(&self) -> SqliteStore {
        let idle = self.idle.lock().expect("pool lock").pop();
        idle.unwrap_or_else(|| self.first.open_another().expect("another connection"))
    }

    fn give_back(&self, connection: SqliteStore) {
        self.idle.lock().expect("pool lock").push(connection);
    }
}

impl EventStore for SqlitePool {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        let connection = self.take();
        let result = connection.read(query, options).await;
        self.give_back(connection);
        result
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let connection = self.take();
        let result = connection.append(events, condition).await;
        self.give_back(connection);
        result
    }
}

/// PostgreSQL on a fresh schema; the clients share the store's pool of 8
/// connections, whose I/O runs on `io` (a multi-thread tokio runtime).
struct PgEngine {
    store: Arc<PostgresStore>,
    /// Runs the pool's connection tasks; kept alive as long as the store.
    _io: Arc<tokio::runtime::Runtime>,
}

impl PgEngine {
    fn new(io: &Arc<tokio::runtime::Runtime>, url: &str) -> Self {
        let store = io.block_on(async {
            let store = PostgresStore::connect(url, PgOptions::fresh("dcb_stress").max_connections(CLIENTS as usize))
                .await
                .expect("connect");
            store.prewarm().await.expect("prewarm");
            store
        });
        PgEngine { store: Arc::new(store), _io: io.clone() }
    }
}

impl RealEngine for PgEngine {
    type Store = Arc<PostgresStore>;
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn store(&self) -> Arc<PostgresStore> {
        self.store.clone()
    }
}

/// Plays `scenario` on `engine` with [`run_realtime`], asserting that the
/// mode accepted it.
fn play_real<W: Workload, E: RealEngine>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, engine: &E) -> RunResult<Cmd<W>>
where
    W::Handler: Sync,
{
    let result = run_realtime(workload, scenario, seed, engine.store());
    assert!(!result.violations.iter().any(|v| matches!(v, Violation::Harness { .. })), "{}: {:#?}", engine.name(), result.violations);
    result
}

/// What a set of runs did.
#[derive(Debug, Default)]
struct Tally {
    runs: u64,
    commands: u64,
    outcomes: BTreeMap<&'static str, u64>,
    attempts: u64,
    conflicts: u64,
    events: u64,
    violations: Vec<(u64, Violation)>,
}

impl Tally {
    fn add<C>(&mut self, history: &History<C>, violations: Vec<Violation>) {
        self.runs += 1;
        self.events += history.log.len() as u64;
        for c in &history.commands {
            self.commands += 1;
            *self.outcomes.entry(c.outcome().label()).or_default() += 1;
            self.attempts += c.report.attempts.len() as u64;
            self.conflicts += c.report.attempts.iter().filter(|a| matches!(a.append, AppendRecord::Conflict { .. })).count() as u64;
        }
        self.violations.extend(violations.into_iter().map(|v| (history.seed, v)));
    }

    fn line(&self, label: &str, secs: f64) -> String {
        format!(
            "{label:<28} runs {:>3}  commands {:>4}  attempts {:>4}  conflicts {:>3}  events {:>4}  outcomes {:?}  violations {}  {:.2}s ({:.0} commands/s)",
            self.runs,
            self.commands,
            self.attempts,
            self.conflicts,
            self.events,
            self.outcomes,
            self.violations.len(),
            secs,
            self.commands as f64 / secs.max(1e-9)
        )
    }
}

#[allow(clippy::disallowed_methods, reason = "wall-clock throughput of a real-time run, outside any simulation")]
fn wall() -> std::time::Instant {
    std::time::Instant::now()
}

/// Runs `SEEDS` generated scenarios against a fresh engine each, and the
/// same scenarios in the simulator; asserts no violations in either (how
/// often the real clients happened to conflict is printed, not asserted).
fn stress<W, E>(workload: &W, engine: impl Fn(u64) -> E)
where
    W: Workload,
    W::Handler: Sync,
    E: RealEngine,
    Cmd<W>: Debug,
{
    let mut real = Tally::default();
    let mut simulated = Tally::default();
    let mut name = "";
    let (mut real_secs, mut sim_secs) = (0.0, 0.0);
    for seed in 0..SEEDS {
        let scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
        let t = wall();
        let result = dcb_sim::sim::run(workload, &scenario, seed);
        sim_secs += t.elapsed().as_secs_f64();
        simulated.add(&result.history, result.violations);

        let e = engine(seed);
        name = e.name();
        let t = wall();
        let result = play_real(workload, &scenario, seed, &e);
        real_secs += t.elapsed().as_secs_f64();
        real.add(&result.history, result.violations);
    }
    eprintln!("{}", real.line(&format!("{} {name} (real)", workload.name()), real_secs));
    eprintln!("{}", simulated.line(&format!("{} simulated", workload.name()), sim_secs));
    assert!(simulated.violations.is_empty(), "the simulator found violations: {:#?}", simulated.violations);
    assert!(real.violations.is_empty(), "{} {name}: real-time runs violated invariants: {:#?}", workload.name(), real.violations);
    // Whether these runs conflicted depends on the OS scheduler, so it is
    // reported, not asserted; `herd_race_is_forced_on_*` force the race.
}

#[test]
fn enrollment_on_sqlite() {
    stress(&EnrollmentWorkload::with_clients(CLIENTS), |_| SqliteEngine::new("enroll"));
}

#[test]
fn library_on_sqlite() {
    stress(&LibraryWorkload::with_clients(CLIENTS), |_| SqliteEngine::new("library"));
}

fn pg_io() -> Arc<tokio::runtime::Runtime> {
    Arc::new(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime"))
}

#[test]
fn enrollment_on_postgres() {
    let Some(url) = test_url("stress_engines::enrollment_on_postgres") else { return };
    let io = pg_io();
    stress(&EnrollmentWorkload::with_clients(CLIENTS), |_| PgEngine::new(&io, &url));
}

#[test]
fn library_on_postgres() {
    let Some(url) = test_url("stress_engines::library_on_postgres") else { return };
    let io = pg_io();
    stress(&LibraryWorkload::with_clients(CLIENTS), |_| PgEngine::new(&io, &url));
}

/// Six thundering herds: six courses with 1 seat each and 8 registered
/// students (tier Master, so the tier limit never decides); at 20, 30, …,
/// 70 ms after setup all 8 clients enroll their student in the next course
/// at the same instant (each client thread is up and waiting on its timer
/// when it fires).
fn thundering_herd() -> Scenario<EnrollmentCommand> {
    const COURSES: u64 = 6;
    let mut setup: Vec<_> = (0..COURSES).map(|k| EnrollmentCommand::CreateCourse { course: format!("c{k}"), capacity: 1 }).collect();
    let mut commands = Vec::new();
    for i in 0..CLIENTS {
        setup.push(EnrollmentCommand::RegisterStudent { student: format!("s{i}"), tier: Tier::Master });
        for k in 0..COURSES {
            let command = EnrollmentCommand::Enroll { course: format!("c{k}"), student: format!("s{i}") };
            commands.push(Scheduled { client: i, start: Duration::from_millis(20 + 10 * k), command });
        }
    }
    Scenario::new(setup, commands)
}

/// An enrollment's append waits until all [`CLIENTS`] enrollments into the
/// same course have reached theirs, so the herd races in every run instead
/// of when the real clock interleaves it. Over the engine itself this
/// means every enrollment has read the course before any appends (exactly
/// one condition holds); placed under a [`NonAtomicStore`] (which calls it
/// between its check and its insert), every check is made before any
/// insert. Other appends (the setup) pass straight through.
struct EnrollAfterAllChecked<S> {
    inner: S,
    /// One barrier of [`CLIENTS`] per course.
    courses: Arc<BTreeMap<String, tokio::sync::Barrier>>,
}

/// One barrier of [`CLIENTS`] for each course of `scenario`'s setup.
fn herd_barriers(scenario: &Scenario<EnrollmentCommand>) -> Arc<BTreeMap<String, tokio::sync::Barrier>> {
    let courses = scenario.setup.iter().filter_map(|c| match c {
        EnrollmentCommand::CreateCourse { course, .. } => Some((course.clone(), tokio::sync::Barrier::new(CLIENTS as usize))),
        _ => None,
    });
    Arc::new(courses.collect())
}

/// A real engine whose handles hold every herd's appends until all its
/// clients have read ([`EnrollAfterAllChecked`]).
struct ForcedHerd<E> {
    engine: E,
    courses: Arc<BTreeMap<String, tokio::sync::Barrier>>,
}

impl<E: RealEngine> RealEngine for ForcedHerd<E> {
    type Store = EnrollAfterAllChecked<E::Store>;
    fn name(&self) -> &'static str {
        self.engine.name()
    }
    fn store(&self) -> Self::Store {
        EnrollAfterAllChecked { inner: self.engine.store(), courses: self.courses.clone() }
    }
}

/// The thundering herd on `engine` with the race forced: every checker
/// passes, and for each course exactly one enrollment succeeds at its first
/// attempt while the other [`CLIENTS`]` − 1` each hit exactly one conflict,
/// re-read, and are rejected as full.
fn herd_race_is_forced<E: RealEngine>(engine: impl FnOnce(Arc<BTreeMap<String, tokio::sync::Barrier>>) -> ForcedHerd<E>) {
    let workload = EnrollmentWorkload::with_clients(CLIENTS);
    let scenario = thundering_herd();
    let engine = engine(herd_barriers(&scenario));
    let RunResult { history, violations, .. } = play_real(&workload, &scenario, 0, &engine);
    assert!(violations.is_empty(), "{}: {violations:#?}", engine.name());
    for course in engine.courses.keys() {
        let herd: Vec<_> = history.commands.iter().filter(|c| matches!(&c.command, EnrollmentCommand::Enroll { course: k, .. } if k == course)).collect();
        assert_eq!(herd.len(), CLIENTS as usize);
        let labels: Vec<(&str, u32, usize)> = herd
            .iter()
            .map(|c| (c.outcome().label(), c.report.attempts.len() as u32, c.report.attempts.iter().filter(|a| matches!(a.append, AppendRecord::Conflict { .. })).count()))
            .collect();
        let won = labels.iter().filter(|l| **l == ("succeeded", 1, 0)).count();
        let lost = labels.iter().filter(|l| **l == ("rejected", 2, 1)).count();
        assert_eq!((won, lost), (1, CLIENTS as usize - 1), "{} {course}: (outcome, attempts, conflicts) per client: {labels:?}", engine.name());
        for c in herd.iter().filter(|c| c.outcome().label() == "rejected") {
            assert!(matches!(c.outcome(), dcb_sim::handler::Outcome::Rejected { reason } if reason.starts_with("Course is at maximum capacity")), "{course}: {:?}", c.outcome());
        }
    }
    eprintln!("{}: every herd raced; one enrollment per course won, {} conflicts in all", engine.name(), engine.courses.len() * (CLIENTS as usize - 1));
}

#[test]
fn herd_race_is_forced_on_sqlite() {
    herd_race_is_forced(|courses| ForcedHerd { engine: SqliteEngine::new("herd"), courses });
}

#[test]
fn herd_race_is_forced_on_postgres() {
    let Some(url) = test_url("stress_engines::herd_race_is_forced_on_postgres") else { return };
    let io = pg_io();
    herd_race_is_forced(|courses| ForcedHerd { engine: PgEngine::new(&io, &url), courses });
}

impl<S: EventStore> EventStore for EnrollAfterAllChecked<S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.inner.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        if let Some(EnrollmentEvent::Enrolled { course, .. }) = events.first().and_then(EnrollmentEvent::from_event) {
            let barrier = self.courses.get(&course).expect("a course of the herd");
            // Bounded, so that a client that never checks fails the run instead of hanging it.
            tokio::time::timeout(Duration::from_secs(60), barrier.wait())
                .await
                .unwrap_or_else(|_| panic!("{course}: not all {CLIENTS} enrollments reached their insert within 60 s"));
        }
        self.inner.append(events, condition).await
    }
}

/// PostgreSQL through [`NonAtomicStore`] (1 ms on the real clock between
/// check and insert) over [`EnrollAfterAllChecked`].
struct NonAtomicPgEngine {
    pg: PgEngine,
    courses: Arc<BTreeMap<String, tokio::sync::Barrier>>,
}

impl NonAtomicPgEngine {
    fn new(io: &Arc<tokio::runtime::Runtime>, url: &str, scenario: &Scenario<EnrollmentCommand>) -> Self {
        NonAtomicPgEngine { pg: PgEngine::new(io, url), courses: herd_barriers(scenario) }
    }
}

impl RealEngine for NonAtomicPgEngine {
    type Store = NonAtomicStore<EnrollAfterAllChecked<Arc<PostgresStore>>, TokioSleeper>;
    fn name(&self) -> &'static str {
        "postgres-non-atomic"
    }
    fn store(&self) -> Self::Store {
        let inner = EnrollAfterAllChecked { inner: self.pg.store(), courses: self.courses.clone() };
        NonAtomicStore::with_sleeper(inner, TokioSleeper::new(), TokioSleeper::MIN_SLEEP)
    }
}

/// The same checkers catch the check-then-insert over PostgreSQL in a real
/// run: with every check of a herd forced before its inserts, all 8
/// students get each course's single seat, caught by exactly `capacity`,
/// `dcb-soundness` and `serializability`.
/// Every one of 3 runs must be caught; the engine itself then passes the
/// very same scenario.
#[test]
fn non_atomic_postgres_is_caught_by_the_checkers() {
    let Some(url) = test_url("stress_engines::non_atomic_postgres_is_caught_by_the_checkers") else { return };
    const RUNS: u64 = 3;
    let io = pg_io();
    let workload = EnrollmentWorkload::with_clients(CLIENTS);
    let scenario = thundering_herd();
    let courses: Vec<String> = scenario
        .setup
        .iter()
        .filter_map(|c| match c {
            EnrollmentCommand::CreateCourse { course, .. } => Some(course.clone()),
            _ => None,
        })
        .collect();
    for run in 1..=RUNS {
        let engine = NonAtomicPgEngine::new(&io, &url, &scenario);
        let RunResult { history, violations, .. } = play_real(&workload, &scenario, run, &engine);
        let names: std::collections::BTreeSet<&str> = violations.iter().map(Violation::invariant).collect();
        // Exactly these: the courses overbooked, no order of the commands
        // would give these outcomes, and (from the recorded store calls)
        // appends succeeded over events their condition matched, written
        // after their read (every student has Master tier and enrolls once
        // per course, so no tier-limit or double enrollment).
        assert_eq!(names, ["capacity", "dcb-soundness", "serializability"].into(), "run {run}: {violations:#?}");
        for course in &courses {
            let seats = EnrollmentEvent::decode_all(&history.log).filter(|(_, e)| matches!(e, EnrollmentEvent::Enrolled { course: c, .. } if c == course)).count();
            assert_eq!(seats, CLIENTS as usize, "run {run}: every client must have passed the same condition for {course}");
        }
        eprintln!("non-atomic PostgreSQL, run {run}: {} violations of {names:?}; first: {}", violations.len(), violations[0]);
    }
    let engine = PgEngine::new(&io, &url);
    let violations = play_real(&workload, &scenario, 0, &engine).violations;
    assert!(violations.is_empty(), "PostgreSQL on the thundering herd: {violations:#?}");
}

/// What a real run cannot play is refused with a harness error naming the
/// reason, never silently simulated: a plant, faults, a controlled scheduler.
#[test]
fn realtime_refuses_what_only_the_simulator_can_do() {
    use dcb_sim::plant::Plant;
    use dcb_sim::sim::{FaultPlan, Scheduler};
    use dcb_sim::store::MemoryStore;
    let workload = EnrollmentWorkload::with_clients(2);
    let base = workload.generate(&mut rng::substream(1, SCENARIO_STREAM));
    let refused = |scenario: Scenario<EnrollmentCommand>, why: &str| {
        let result = run_realtime(&workload, &scenario, 1, MemoryStore::new());
        assert_eq!(result.violations.len(), 1, "{why}: {:#?}", result.violations);
        assert!(matches!(&result.violations[0], Violation::Harness { detail } if detail.contains(why)), "{why}: {:?}", result.violations[0]);
        assert!(result.history.commands.is_empty(), "{why}: nothing ran");
    };
    refused(Scenario { plant: Some(Plant::NonAtomicStore), ..base.clone() }, "plant non-atomic-store is simulated");
    refused(Scenario { faults: FaultPlan { crash_probability: 0.5, ..FaultPlan::default() }, ..base.clone() }, "faults are injected by the simulator");
    refused(Scenario { scheduler: Scheduler::Pct { depth: 2 }, ..base.clone() }, "the OS orders them");
    // The same scenario as it is plays, and passes every checker.
    let result = run_realtime(&workload, &base, 1, MemoryStore::new());
    assert!(result.violations.is_empty(), "{:#?}", result.violations);
    assert_eq!(result.history.commands.len(), base.setup.len() + base.commands.len());
}
