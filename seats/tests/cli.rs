//! The `seats-sim` example end to end: dcb-sim's command line over our own
//! workloads (registered with `dcb_sim::cli::Registry`). Explore passes on
//! the correct code and catches a known bug; the replay command it prints,
//! run verbatim, reproduces the failure in a new process; the runs are
//! deterministic; an unknown workload is a usage error naming ours; a
//! registered workload runs on real threads (`explore --realtime`).
//!
//! The tests run the example binary named by `SEATS_SIM`, so they are
//! ignored in a plain `cargo test`: `scripts/seats-cli.sh` (a step of
//! `.ci/run`) builds the example once and runs them, as
//! `SEATS_SIM=<target>/release/examples/seats-sim cargo test --release
//! --test sim -- --ignored cli::`. (They used to build the example
//! themselves with a nested cargo, which resolved dcb-sim's features for
//! seats alone and so rebuilt dcb-sim on every change.)

use std::path::PathBuf;
use std::process::{Command, Output};

/// The variable that names the example binary these tests run.
const SEATS_SIM: &str = "SEATS_SIM";

/// The example binary, from `SEATS_SIM`; fails (never skips) without it.
fn seats_sim() -> PathBuf {
    let bin = std::env::var_os(SEATS_SIM).map(PathBuf::from).unwrap_or_else(|| panic!("{SEATS_SIM} is not set: run scripts/seats-cli.sh, which builds the seats-sim example and runs these tests with it"));
    assert!(bin.is_file(), "{SEATS_SIM}={} is not a file: build the example (cargo build --release --example seats-sim)", bin.display());
    bin
}

fn run(args: &[&str]) -> Output {
    Command::new(seats_sim()).args(args).output().expect("seats-sim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
#[ignore = "runs the seats-sim example named by SEATS_SIM: scripts/seats-cli.sh builds it and runs these (CI does)"]
fn explore_passes_on_the_correct_code() {
    let out = run(&["explore", "--workload", "seats", "--seeds", "300", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(v["workload"], "seats");
    assert_eq!(v["schedules"], 300);
    assert_eq!(v["violations"], 0);
    assert!(v["conflicts"].as_u64().unwrap() > 0, "no conflicts: the schedules did not race");
}

/// A known bug is caught, and each replay line explore prints (the seed,
/// and the shrunk scenario) runs verbatim, as printed, to the same failure.
#[test]
#[ignore = "runs the seats-sim example named by SEATS_SIM: scripts/seats-cli.sh builds it and runs these (CI does)"]
fn a_bug_is_caught_and_its_printed_replay_commands_reproduce_it() {
    let dir = std::env::temp_dir().join(format!("seats-sim-cli-{}", std::process::id()));
    let out_dir = dir.to_str().unwrap();
    let out = run(&["explore", "--workload", "seats-two-reads", "--seeds", "2000", "--max-reports", "1", "--out", out_dir]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "a safety violation exits 1:\n{text}{}", stderr(&out));
    assert!(text.contains("dcb-soundness"), "not caught by dcb-soundness:\n{text}");

    let bin = seats_sim();
    let program = bin.to_str().unwrap();
    let replays: Vec<&str> = text.lines().map(|l| l.trim().trim_start_matches("replay: ")).filter(|l| l.starts_with(&format!("{program} replay "))).collect();
    assert_eq!(replays.len(), 2, "expected the seed's and the shrunk scenario's replay lines naming {program}:\n{text}");
    for line in replays {
        assert!(line.contains("--workload seats-two-reads "), "{line}");
        let argv: Vec<&str> = line.split_whitespace().collect();
        let replay = Command::new(argv[0]).args(&argv[1..]).output().expect("the replay command runs");
        assert_eq!(replay.status.code(), Some(1), "`{line}` did not fail again:\n{}{}", stdout(&replay), stderr(&replay));
        assert!(stdout(&replay).contains("dcb-soundness"), "`{line}` did not name dcb-soundness:\n{}", stdout(&replay));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
#[ignore = "runs the seats-sim example named by SEATS_SIM: scripts/seats-cli.sh builds it and runs these (CI does)"]
fn check_determinism_passes() {
    let out = run(&["check-determinism", "--workload", "seats", "--seeds", "200"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("identical histories"), "{}", stdout(&out));
}

#[test]
#[ignore = "runs the seats-sim example named by SEATS_SIM: scripts/seats-cli.sh builds it and runs these (CI does)"]
fn an_unknown_workload_is_a_usage_error_listing_ours() {
    let out = run(&["explore", "--workload", "enrollment", "--seeds", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for name in ["seats", "seats-two-reads", "seats-check-then-insert"] {
        assert!(err.contains(name), "{name} not listed in:\n{err}");
    }
}

/// `explore --realtime` reaches a workload registered by a user crate:
/// seats' own handler on real OS threads against a SQLite file per run.
#[test]
#[ignore = "runs the seats-sim example named by SEATS_SIM: scripts/seats-cli.sh builds it and runs these (CI does)"]
fn a_registered_workload_runs_on_real_threads() {
    let out = run(&["explore", "--realtime", "--store", "sqlite", "--workload", "seats", "--seeds", "10"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for needle in ["dcb-sim explore --realtime · store sqlite", "workload seats · seeds 0..10", "all invariants held"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}
