//! Each known bug — four handler variants, one adapter variant, and the
//! harness's own `non-atomic-store` plant over our adapter — is caught
//! **by exactly the invariants stated** in [`CAUGHT_BY`], through dcb-sim's
//! public negative-control helper [`Catch`]: over [`common::BUDGET`]
//! generated seeds with the generic checkers alone (no domain model), over
//! the same seeds with our domain invariants too, and on a hand-written
//! race under [`common::SCRIPT_SEEDS`] seeds. An invariant that is not
//! listed fails the test, and so does a listed one that never fires; the
//! first seed that fires each invariant replays from its report, as a
//! regression file and from the seed alone.

use crate::common;

use dcb_sim::plant::Plant;
use dcb_sim::explore::Catch;
use dcb_sim::sim::Scenario;
use seats::check::{customer_seat_limit, seat_held_once};
use seats::{AdapterVariant, HandlerVariant, SeatCommand, SeatsWorkload};

const SOUNDNESS: &str = "dcb-soundness";
const HELD_ONCE: &str = seat_held_once::NAME;
const SEAT_LIMIT: &str = customer_seat_limit::NAME;
const SERIAL: &str = "serializability";

/// Exactly what catches each bug (measured, then pinned).
struct Row {
    /// The bug.
    label: &'static str,
    /// Over [`common::BUDGET`] generated seeds, generic checkers only.
    generic: &'static [&'static str],
    /// Over the same seeds, generic and domain checkers.
    domain: &'static [&'static str],
    /// The hand-written race of this bug.
    script: fn() -> Scenario<SeatCommand>,
    /// On it, under [`common::SCRIPT_SEEDS`] seeds, generic checkers only.
    script_generic: &'static [&'static str],
    /// On it, generic and domain checkers.
    script_domain: &'static [&'static str],
}

/// | bug | generic checkers, 2,000 seeds | + domain checkers, 2,000 seeds | hand-written race, 200 seeds (generic · + domain) |
/// |---|---|---|---|
/// | narrow condition | `dcb-soundness`, `serializability` | + `customer-seat-limit` (the seats stay in the condition) | last seat of a customer: `dcb-soundness`, `serializability` · + `customer-seat-limit` |
/// | stale retry | `dcb-soundness`, `serializability` | + `seat-held-once`, `customer-seat-limit` | race then unrelated hold: `dcb-soundness`, `serializability` · + `seat-held-once` |
/// | two reads, larger `after` | `dcb-soundness`, `serializability` | + `seat-held-once` | holds between two reads: `dcb-soundness`, `serializability` · + `seat-held-once` |
/// | check-then-insert adapter | `dcb-soundness`, `serializability` | + `seat-held-once`, `customer-seat-limit` | one seat, two customers: `dcb-soundness`, `serializability` · + `seat-held-once` |
/// | plant `non-atomic-store` over our adapter | `dcb-soundness`, `serializability` | + `seat-held-once`, `customer-seat-limit` | one seat, two customers: `dcb-soundness`, `serializability` · + `seat-held-once` |
/// | stale decision (re-reads, appends the first decision) | `serializability` only | + `seat-held-once`, `customer-seat-limit` | one seat, two customers: `serializability` · + `seat-held-once` |
const CAUGHT_BY: [Row; 6] = [
    Row {
        label: "narrow-condition",
        generic: &[SOUNDNESS, SERIAL],
        domain: &[SOUNDNESS, SEAT_LIMIT, SERIAL],
        script: common::last_seat_of_a_customer,
        script_generic: &[SOUNDNESS, SERIAL],
        script_domain: &[SOUNDNESS, SEAT_LIMIT, SERIAL],
    },
    Row {
        label: "stale-retry",
        generic: &[SOUNDNESS, SERIAL],
        domain: &[SOUNDNESS, HELD_ONCE, SEAT_LIMIT, SERIAL],
        script: common::race_then_unrelated_hold,
        script_generic: &[SOUNDNESS, SERIAL],
        script_domain: &[SOUNDNESS, HELD_ONCE, SERIAL],
    },
    Row {
        label: "two-reads-max-after",
        generic: &[SOUNDNESS, SERIAL],
        domain: &[SOUNDNESS, HELD_ONCE, SERIAL],
        script: common::hold_between_two_reads,
        script_generic: &[SOUNDNESS, SERIAL],
        script_domain: &[SOUNDNESS, HELD_ONCE, SERIAL],
    },
    Row {
        label: "check-then-insert",
        generic: &[SOUNDNESS, SERIAL],
        domain: &[SOUNDNESS, HELD_ONCE, SEAT_LIMIT, SERIAL],
        script: common::one_seat_two_customers,
        script_generic: &[SOUNDNESS, SERIAL],
        script_domain: &[SOUNDNESS, HELD_ONCE, SERIAL],
    },
    Row {
        label: "plant non-atomic-store",
        generic: &[SOUNDNESS, SERIAL],
        domain: &[SOUNDNESS, HELD_ONCE, SEAT_LIMIT, SERIAL],
        script: common::one_seat_two_customers,
        script_generic: &[SOUNDNESS, SERIAL],
        script_domain: &[SOUNDNESS, HELD_ONCE, SERIAL],
    },
    Row {
        label: "stale-decision",
        generic: &[SERIAL],
        domain: &[HELD_ONCE, SEAT_LIMIT, SERIAL],
        script: common::one_seat_two_customers,
        script_generic: &[SERIAL],
        script_domain: &[HELD_ONCE, SERIAL],
    },
];

/// The bug's row in [`CAUGHT_BY`] and run on `w` (with `plant`): each of
/// the four exact sets.
fn caught(w: SeatsWorkload, plant: Option<Plant>, label: &str) {
    let row = CAUGHT_BY.iter().find(|r| r.label == label).unwrap_or_else(|| panic!("no row for {label}"));
    for (domain, expected) in [(false, row.generic), (true, row.domain)] {
        let w = w.domain_checks(domain);
        let mut c = Catch::new(&w).seeds(common::BUDGET).label(&format!("{label} (domain checks {domain})"));
        if let Some(p) = plant {
            c = c.plant(p);
        }
        println!("{}", c.expect(expected));
    }
    for (domain, expected) in [(false, row.script_generic), (true, row.script_domain)] {
        let w = w.domain_checks(domain);
        let mut c = Catch::new(&w).scenario((row.script)()).seeds(common::SCRIPT_SEEDS).label(&format!("{label} on its script (domain checks {domain})"));
        if let Some(p) = plant {
            c = c.plant(p);
        }
        println!("{}", c.expect(expected));
    }
}

#[test]
fn narrow_condition_is_caught() {
    caught(SeatsWorkload::with_handler(HandlerVariant::NarrowCondition), None, "narrow-condition");
}

#[test]
fn stale_retry_is_caught() {
    caught(SeatsWorkload::with_handler(HandlerVariant::StaleRetry), None, "stale-retry");
}

#[test]
fn two_reads_max_after_is_caught() {
    caught(SeatsWorkload::with_handler(HandlerVariant::TwoReadsMaxAfter), None, "two-reads-max-after");
}

/// A retry that re-reads and then appends its first decision: the store
/// boundary sees a correct read → append, so `dcb-soundness` cannot fire;
/// the re-run of the command alone on what it read catches it.
#[test]
fn stale_decision_is_caught_by_the_generic_checks_alone() {
    caught(SeatsWorkload::with_handler(HandlerVariant::StaleDecision), None, "stale-decision");
}

#[test]
fn check_then_insert_adapter_is_caught() {
    caught(SeatsWorkload::with_adapter(AdapterVariant::CheckThenInsert), None, "check-then-insert");
}

/// The harness's store plant wraps any store, ours included.
#[test]
fn harness_non_atomic_store_plant_is_caught_over_our_adapter() {
    caught(SeatsWorkload::default(), Some(Plant::NonAtomicStore), "plant non-atomic-store");
}

/// The harness's `non-atomic-store` plant can fire over our adapter: two
/// customers hold the one seat at the same instant, every store call
/// taking exactly 2 ms, so both appends reach the store together and a
/// check-then-insert makes both checks before either insert. Under every
/// seed of `0..SCRIPT_SEEDS` both holds land (caught by `dcb-soundness`
/// and `seat-held-once`), while our adapter alone lets exactly one through.
/// An adapter made "correct" in a way that leaves the plant nothing to
/// break fails here, by name.
#[test]
fn harness_non_atomic_store_plant_can_fire_over_our_adapter() {
    let w = SeatsWorkload::default();
    let mut scenario = common::one_seat_two_customers();
    let fixed = std::time::Duration::from_millis(2);
    scenario.latency = dcb_sim::sim::Latency { read_min: fixed, read_max: fixed, append_min: fixed, append_max: fixed };
    for seed in 0..common::SCRIPT_SEEDS {
        let alone = dcb_sim::sim::run(&w, &scenario, seed);
        assert_eq!((alone.history.log.len(), common::fired(&alone)), (1, vec![]), "seed {seed}: our adapter alone must let exactly one hold through");
        let planted = dcb_sim::sim::run(&w, &Scenario { plant: Some(Plant::NonAtomicStore), ..scenario.clone() }, seed);
        assert_eq!(planted.history.log.len(), 2, "seed {seed}: over a check-then-insert both holds must pass the same condition (the plant did not fire)");
        assert_eq!(common::fired(&planted), [SOUNDNESS, HELD_ONCE, SERIAL], "seed {seed}");
    }
}
