//! Determinism: the same scenario and seed give the same history, byte for
//! byte. A failing seed that does not replay is a bug of the first rank.

#[cfg(not(madsim))]
compile_error!("sim-tests need --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

use dcb_sim::plant::Plant;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{SCENARIO_STREAM, SimConfig, Workload, run};

/// Each of 1,000 seeds (`DCB_SEED`/`DCB_SEEDS` to change) run twice gives
/// identical history hashes and identical histories.
#[test]
fn every_seed_run_twice_gives_the_identical_history() {
    let w = EnrollmentWorkload::default();
    let seeds = SimConfig::from_env().seeds_or(0, 1_000);
    let mut checked = 0;
    for seed in seeds {
        let scenario = w.generate(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM));
        let a = run(&w, &scenario, seed);
        let b = run(&w, &scenario, seed);
        assert_eq!(a.history.hash64(), b.history.hash64(), "seed {seed} diverged; replay: DCB_SEED={seed} cargo test --release --test determinism");
        assert_eq!(a.history, b.history, "seed {seed}: equal hashes but different histories");
        assert_eq!(a.violations, b.violations);
        checked += 1;
    }
    assert!(checked > 0);
}

/// Failing runs replay too: a planted bug's failing seed gives the same
/// violations and history every time.
#[test]
fn failing_seeds_replay_identically() {
    let w = EnrollmentWorkload::default();
    let mut failing = 0;
    for seed in 0..200 {
        let mut scenario = w.generate(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM));
        scenario.plant = Some(Plant::NonAtomicStore);
        let a = run(&w, &scenario, seed);
        if a.violations.is_empty() {
            continue;
        }
        failing += 1;
        let b = run(&w, &scenario, seed);
        assert_eq!(a.history, b.history, "seed {seed}");
        assert_eq!(a.violations, b.violations, "seed {seed}");
    }
    assert!(failing > 10, "only {failing} of 200 seeds failed with the non-atomic store");
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
