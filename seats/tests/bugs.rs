//! Each known bug — three handler variants, one adapter variant, and the
//! harness's own `non-atomic-store` plant over our adapter — is caught
//! **by name**: by the generic `dcb-soundness` checker alone (no domain
//! model) within [`common::BUDGET`] generated seeds, by the domain
//! invariant it should break, and on a hand-written race; every failing
//! seed replays the same violations.

#[cfg(not(madsim))]
compile_error!("the seats simulation tests need --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

mod common;

use dcb_sim::plant::Plant;
use dcb_sim::sim::{ExploreOptions, Scenario, explore, run};
use seats::check::{customer_seat_limit, seat_held_once};
use seats::{AdapterVariant, HandlerVariant, SeatCommand, SeatsWorkload};

const SOUNDNESS: &str = "dcb-soundness";

/// Generic checkers only: the first failing seed within the budget names
/// `dcb-soundness`, and replays.
fn caught_by_soundness(w: SeatsWorkload, plant: Option<Plant>, label: &str) {
    let w = w.domain_checks(false);
    let report = common::first_failure(&w, 0, common::BUDGET, plant).unwrap_or_else(|| panic!("{label}: not caught in {} seeds", common::BUDGET));
    let fired: Vec<&str> = report.violations.iter().map(|v| v.invariant()).collect();
    println!("{label}: generic checkers caught it at seed {}: {fired:?}", report.seed);
    assert!(fired.contains(&SOUNDNESS), "{label}: expected [{SOUNDNESS}] among {fired:?}\n{report}");
    common::assert_replays(&w, &report, plant);
}

/// Generic + domain checkers over the whole budget: each of `expected`
/// fires in some seed, none of `absent` in any; the first failure replays.
fn caught_by_domain(w: SeatsWorkload, expected: &[&str], absent: &[&str], label: &str) {
    let w = w.domain_checks(true);
    let s = explore(&w, &ExploreOptions { seeds: common::BUDGET, max_reports: 1, ..ExploreOptions::default() });
    println!("{label}: {} of {} seeds failed: {:?}", s.violations, s.schedules, s.violations_by_invariant);
    for name in expected {
        assert!(s.violations_by_invariant.contains_key(*name), "{label}: [{name}] never fired\n{s}");
    }
    for name in absent {
        assert!(!s.violations_by_invariant.contains_key(*name), "{label}: [{name}] fired but this bug cannot break it\n{s}");
    }
    let report = s.failures.first().unwrap_or_else(|| panic!("{label}: no failure\n{s}"));
    println!("{label}: first failing seed {}", report.seed);
    common::assert_replays(&w, report, None);
}

/// A hand-written race under seeds `0..SCRIPT_SEEDS`: with the generic
/// checkers alone `dcb-soundness` fires in some seed; with the domain
/// checkers each of `expected` does; the first failing seed replays.
fn caught_on_script(w: SeatsWorkload, scenario: &Scenario<SeatCommand>, expected: &[&str], label: &str) {
    for (domain, names) in [(false, &[SOUNDNESS][..]), (true, expected)] {
        let w = w.domain_checks(domain);
        let (by, first) = common::sweep(&w, scenario, common::SCRIPT_SEEDS);
        println!("{label} (domain checks {domain}): {by:?} over {} seeds, first at {first:?}", common::SCRIPT_SEEDS);
        for name in names {
            assert!(by.contains_key(*name), "{label}: [{name}] never fired on the script: {by:?}");
        }
        let seed = first.unwrap_or_else(|| panic!("{label}: never caught"));
        let (a, b) = (run(&w, scenario, seed), run(&w, scenario, seed));
        assert_eq!(a.violations, b.violations, "{label}: seed {seed} did not replay");
    }
}

#[test]
fn narrow_condition_is_caught() {
    let w = SeatsWorkload::with_handler(HandlerVariant::NarrowCondition);
    caught_by_soundness(w, None, "narrow-condition");
    // The seats stay in the condition: only the customer's limit can break.
    caught_by_domain(w, &[SOUNDNESS, customer_seat_limit::NAME], &[seat_held_once::NAME], "narrow-condition");
    caught_on_script(w, &common::last_seat_of_a_customer(), &[SOUNDNESS, customer_seat_limit::NAME], "narrow-condition, last seat of a customer");
}

#[test]
fn stale_retry_is_caught() {
    let w = SeatsWorkload::with_handler(HandlerVariant::StaleRetry);
    caught_by_soundness(w, None, "stale-retry");
    caught_by_domain(w, &[SOUNDNESS, seat_held_once::NAME], &[], "stale-retry");
    caught_on_script(w, &common::race_then_unrelated_hold(), &[SOUNDNESS, seat_held_once::NAME], "stale-retry, race then unrelated hold");
}

#[test]
fn two_reads_max_after_is_caught() {
    let w = SeatsWorkload::with_handler(HandlerVariant::TwoReadsMaxAfter);
    caught_by_soundness(w, None, "two-reads-max-after");
    caught_by_domain(w, &[SOUNDNESS, seat_held_once::NAME], &[], "two-reads-max-after");
    caught_on_script(w, &common::hold_between_two_reads(), &[SOUNDNESS, seat_held_once::NAME], "two-reads-max-after, holds between two reads");
}

#[test]
fn check_then_insert_adapter_is_caught() {
    let w = SeatsWorkload::with_adapter(AdapterVariant::CheckThenInsert);
    caught_by_soundness(w, None, "check-then-insert");
    caught_by_domain(w, &[SOUNDNESS, seat_held_once::NAME, customer_seat_limit::NAME], &[], "check-then-insert");
    caught_on_script(w, &common::one_seat_two_customers(), &[SOUNDNESS, seat_held_once::NAME], "check-then-insert, one seat two customers");
}

/// The harness's store plant wraps any store, ours included.
#[test]
fn harness_non_atomic_store_plant_is_caught_over_our_adapter() {
    let plant = Some(Plant::NonAtomicStore);
    caught_by_soundness(SeatsWorkload::default(), plant, "plant non-atomic-store");
    let mut scenario = common::one_seat_two_customers();
    scenario.plant = plant;
    caught_on_script(SeatsWorkload::default(), &scenario, &[SOUNDNESS, seat_held_once::NAME], "plant non-atomic-store, one seat two customers");
}
