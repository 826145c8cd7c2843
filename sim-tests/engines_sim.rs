//! The SQLite engine inside the simulator (issue 6, item 5).
//!
//! [`SqliteStore`](dcb_sim::store::SqliteStore) on a `:memory:` database is
//! synchronous (no `.await` inside a call) and reads no clock, so under
//! madsim it is deterministic: a scenario with `"engine": "sqlite"` (or
//! `dcb-sim explore --engine sqlite`) runs every seed on a fresh database,
//! with the simulator's latency, faults, request ids and metrics around it.
//!
//! What this shows:
//! * on SQLite the simulator gives **byte-identical histories** (same hash)
//!   to the memory engine for every seed, with and without injected faults:
//!   the engine's SQL (query translation, condition check, position
//!   assignment, event encoding) behaves exactly like the model under every
//!   explored interleaving, and every checker passes;
//! * runs on SQLite are deterministic (same seed, same hash);
//! * a planted store bug is caught on SQLite by exactly the invariants,
//!   on exactly the seeds, that catch it on memory.
//!
//! What the simulation cannot see of the real engine (covered by
//! `engines_sqlite.rs` and `stress_engines.rs` instead): contention between
//! connections (one connection per simulated store, so `BEGIN IMMEDIATE`
//! never waits and `SQLITE_BUSY` never happens), fsync, crash recovery and
//! file locking, and real latency.

use dcb_sim::plant::Plant;
use dcb_sim::rng;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::explore::{Catch, SCENARIO_STREAM};
use dcb_sim::sim::{Engine, Workload, run};

/// For each seed: SQLite's history equals memory's and every checker
/// passes on SQLite. Returns the number of events written.
fn sqlite_matches_memory<W: Workload>(workload: &W, seeds: std::ops::Range<u64>) -> u64 {
    let mut events = 0;
    for seed in seeds {
        let mut scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
        let memory = run(workload, &scenario, seed);
        scenario.engine = Engine::Sqlite;
        let sqlite = run(workload, &scenario, seed);
        if sqlite.history != memory.history {
            let first = sqlite.history.commands.iter().zip(&memory.history.commands).find(|(a, b)| a != b);
            panic!("seed {seed}: SQLite history differs from memory: first differing command {first:#?}; logs equal: {}", sqlite.history.log == memory.history.log);
        }
        assert!(sqlite.violations.is_empty(), "seed {seed} on SQLite: {:#?}", sqlite.violations);
        events += sqlite.history.log.len() as u64;
    }
    events
}

#[test]
fn enrollment_on_sqlite_is_identical_to_memory() {
    assert!(sqlite_matches_memory(&EnrollmentWorkload::default(), 0..150) > 0);
}

#[test]
fn library_on_sqlite_is_identical_to_memory() {
    assert!(sqlite_matches_memory(&LibraryWorkload::default(), 0..150) > 0);
}

/// With injected faults (ambiguous commits, timeouts, crashes, spikes):
/// the fault wrapper sits above the engine, so SQLite must still match.
#[test]
fn with_faults_sqlite_is_identical_to_memory() {
    sqlite_matches_memory(&EnrollmentWorkload::default().with_faults(), 1_000..1_080);
    sqlite_matches_memory(&LibraryWorkload::default().with_faults(), 1_000..1_080);
}

#[test]
fn sqlite_runs_are_deterministic() {
    let workload = LibraryWorkload::with_clients(8);
    for seed in [3, 17, 99] {
        let mut scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
        scenario.engine = Engine::Sqlite;
        let (a, b) = (run(&workload, &scenario, seed), run(&workload, &scenario, seed));
        assert_eq!(a.history.hash64(), b.history.hash64(), "seed {seed}: two runs on SQLite differ");
        assert!(!a.history.log.is_empty());
    }
}

/// A store-level planted bug is caught on SQLite exactly as on memory:
/// over the same 300 seeds, by exactly the same invariants.
#[test]
fn the_non_atomic_store_is_caught_on_sqlite_as_on_memory() {
    const CAUGHT_BY: [&str; 5] = ["dcb-soundness", "serializability", "double-enrollment", "capacity", "tier-limit"];
    let w = EnrollmentWorkload::default();
    let memory = Catch::new(&w).plant(Plant::NonAtomicStore).seeds(300).expect(&CAUGHT_BY);
    let sqlite = Catch::new(&w).plant(Plant::NonAtomicStore).engine(Engine::Sqlite).seeds(300).expect(&CAUGHT_BY);
    assert_eq!(sqlite.fired, memory.fired, "SQLite and memory must fail on the same seeds");
}
