//! Every seed replays: two runs of the same seed give the same history
//! (store calls, outcomes, log), for the correct code and for each buggy
//! variant (the adapter bug sleeps on its own clock, the handler bugs read
//! differently).

use dcb_sim::explore::check_determinism;
use seats::{AdapterVariant, HandlerVariant, SeatsWorkload};

const SEEDS: u64 = 1_000;

#[test]
fn the_correct_workload_is_deterministic() {
    assert_eq!(check_determinism(&SeatsWorkload::default(), 0, SEEDS), Ok(SEEDS));
}

#[test]
fn the_buggy_variants_are_deterministic() {
    assert_eq!(check_determinism(&SeatsWorkload::with_adapter(AdapterVariant::CheckThenInsert), 0, SEEDS), Ok(SEEDS));
    for variant in &HandlerVariant::ALL[1..] {
        assert_eq!(check_determinism(&SeatsWorkload::with_handler(*variant), 0, SEEDS), Ok(SEEDS), "{variant:?}");
    }
}
