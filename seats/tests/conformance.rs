//! The team's own store adapter against dcb-sim's exported DCB
//! conformance suite (`dcb_sim::conformance`), with the one call a user
//! makes: the correct adapter passes every case; the check-then-insert
//! bug variant fails exactly the race case, every run.

use dcb_sim::conformance::{self, CASES, CaseFailure};
use seats::{AdapterVariant, SeatsStore};

/// The case that sends 8 appends with the same condition at once.
const RACE: &str = "concurrent_conditional_appends_one_wins";

/// `SeatsStore` sleeps on madsim's clock (its `ROUND_TRIP`), so the suite
/// runs on a madsim runtime: `check_in_madsim` makes one.
#[test]
fn correct_adapter_passes_every_case() {
    let report = conformance::check_in_madsim(|| async { SeatsStore::new(AdapterVariant::Correct) });
    println!("{report}");
    assert_eq!(report.results().len(), CASES.len());
    report.assert_all_passed();
}

/// Check, one `ROUND_TRIP`, then insert: the 8 racing appends all pass
/// the same check before any inserts, so all 8 win. Every other case is
/// sequential and passes: the bug is invisible without concurrency.
#[test]
fn check_then_insert_adapter_fails_the_race_case() {
    for run in 1..=3 {
        let report = conformance::check_in_madsim(|| async { SeatsStore::new(AdapterVariant::CheckThenInsert) });
        println!("{report}");
        let failed: Vec<&str> = report.failed().map(|r| r.case.name).collect();
        assert_eq!(failed, [RACE], "run {run}: {report}");
        let failure = report.get(RACE).and_then(|r| r.failure()).expect("the race case failed");
        let CaseFailure::Mismatch { check, actual, .. } = failure else { panic!("run {run}: failed another way: {failure}") };
        assert!(check.contains("exactly one append wins"), "run {run}: {failure}");
        assert_eq!(actual, "[1, 2, 3, 4, 5, 6, 7, 8]", "run {run}: all 8 appends must win: {failure}");
    }
}
