//! Determinism: the same scenario and seed give the same history, byte for
//! byte, and the same violations. A failing seed that does not replay is a
//! bug of the first rank. Each test calls the library's own check
//! ([`check_determinism_with`], which `dcb-sim check-determinism` runs too):
//! equal history hashes, equal histories, equal violations.

use dcb_sim::plant::Plant;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::explore::{Determinism, Divergence, ExploreOptions, SCENARIO_STREAM, TestTarget, check_determinism_with};
use dcb_sim::sim::{SimConfig, Workload, run};

/// Panics with the divergence and the line that replays its seed.
fn replayable(result: Result<Determinism, Divergence>) -> Determinism {
    result.unwrap_or_else(|d| panic!("{d}\n  replay: {}", TestTarget::detect(None).command(&format!("DCB_SEED={}", d.seed))))
}

/// Each of 1,000 seeds (`DCB_SEED`/`DCB_SEEDS` to change) run twice gives
/// identical history hashes, identical histories and identical violations.
#[test]
fn every_seed_run_twice_gives_the_identical_history() {
    let seeds = SimConfig::from_env().seeds_or(0, 1_000);
    let opts = ExploreOptions { start_seed: seeds.start, seeds: seeds.end - seeds.start, ..ExploreOptions::default() };
    let checked = replayable(check_determinism_with(&EnrollmentWorkload::default(), &opts));
    assert_eq!(checked.seeds, seeds.end - seeds.start);
    assert!(checked.seeds > 0);
}

/// Failing runs replay too: a planted bug's failing seeds give the same
/// violations and history every time.
#[test]
fn failing_seeds_replay_identically() {
    let opts = ExploreOptions { seeds: 200, plant: Some(Plant::NonAtomicStore), ..ExploreOptions::default() };
    let checked = replayable(check_determinism_with(&EnrollmentWorkload::default(), &opts));
    assert_eq!(checked.seeds, 200);
    assert!(checked.failing > 10, "only {} of 200 seeds failed with the non-atomic store", checked.failing);
}

/// The history hash is not constant: it sees the interleaving.
#[test]
fn history_hash_distinguishes_histories() {
    let w = EnrollmentWorkload::default();
    let scenario = w.generate(&mut dcb_sim::rng::substream(5, SCENARIO_STREAM));
    let a = run(&w, &scenario, 1).history;
    let mut b = a.clone();
    b.commands[0].ended_at += std::time::Duration::from_nanos(1);
    assert_ne!(a.hash64(), b.hash64());
}
