//! The one-call test entry on this user workload: a correct workload
//! passes; a buggy one fails with a compact report whose replay lines name
//! this very test, and whose minimal scenario file replays the violation.
//!
//! `fixture_two_reads_bug_fails_the_check` fails on purpose and is ignored;
//! `.ci/run` runs it, takes the replay lines it prints and runs each
//! verbatim (scripts/replay-lines.sh), so printed lines are proven to replay.

use dcb_sim::explore::{Check, Regression};
use dcb_sim::sim::run;
use seats::{HandlerVariant, SeatsWorkload};

fn two_reads_bug() -> SeatsWorkload {
    SeatsWorkload::with_handler(HandlerVariant::TwoReadsMaxAfter).domain_checks(false)
}

#[test]
fn the_correct_workload_passes_and_contends() {
    let summary = Check::new(&SeatsWorkload::default()).seeds(2_000).run();
    // 2,000 random schedules, plus the orders of the races of every 20th seed.
    let races = summary.races.expect("Check enumerates races by default");
    assert_eq!(summary.schedules - races.orders, 2_000);
    assert!(races.races > 0 && races.orders > 0, "no race was derived\n{summary}");
    assert!(summary.conflicts > 0, "no conflicts: the clients did not race\n{summary}");
}

#[test]
fn a_bug_fails_with_a_compact_report_that_names_this_test() {
    let report = Check::new(&two_reads_bug()).seeds(2_000).max_reports(1).try_run().expect_err("the two-reads bug must fail the check");
    assert!(report.contains(": [dcb-soundness] command #"), "{report}");
    assert!(report.contains("  minimal: "), "{report}");
    let lines: Vec<&str> = report.lines().filter(|l| l.trim_start().starts_with("DCB_")).map(str::trim).collect();
    assert_eq!(lines.len(), 2, "{report}");
    // (From a custom target dir, e.g. a `cargo simtest` alias, the line also
    // carries --config/--target-dir between the package and the target.)
    let tail = "--test sim -- check::a_bug_fails_with_a_compact_report_that_names_this_test --exact --include-ignored";
    for (line, var) in lines.iter().zip(["DCB_SEED=", "DCB_SCENARIO="]) {
        assert!(line.starts_with(var) && line.contains(" cargo test --release -p seats ") && line.ends_with(tail), "{line}");
    }
    assert!(report.lines().count() < 120, "not compact: {} lines\n{report}", report.lines().count());

    // The minimal scenario file is a regression file that replays the violation.
    let path = lines[1].trim_start_matches("DCB_SCENARIO=").split(' ').next().unwrap();
    let file = Regression::load(std::path::Path::new(path)).expect("the report wrote a readable scenario file");
    let scenario = serde_json::from_value(file.scenario.clone()).expect("a seats scenario");
    let again = run(&two_reads_bug(), &scenario, file.seed);
    assert!(again.violations.iter().any(|v| v.invariant() == "dcb-soundness"), "{:?}", again.violations);
}

/// Fails on purpose (see the module docs).
#[test]
#[ignore = "fixture: fails on purpose; .ci/run replays the lines it prints"]
fn fixture_two_reads_bug_fails_the_check() {
    Check::new(&two_reads_bug()).seeds(2_000).max_reports(1).run();
}

/// Fails on purpose, and exists only with `--features planted-bug`: the
/// replay lines it prints must carry the feature, or they select no test
/// (`scripts/user-crate-recipe.sh` runs them).
#[cfg(feature = "planted-bug")]
#[test]
#[ignore = "fixture: fails on purpose; the user-crate recipe replays the lines it prints"]
fn fixture_feature_gated_bug_fails_the_check() {
    Check::new(&two_reads_bug()).seeds(2_000).max_reports(1).run();
}
