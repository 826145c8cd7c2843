//! The `seats-sim` example end to end: dcb-sim's command line over our own
//! workloads (registered with `dcb_sim::cli::Registry`). Explore passes on
//! the correct code and catches a known bug; the replay command it prints,
//! run verbatim, reproduces the failure in a new process; the runs are
//! deterministic; an unknown workload is a usage error naming ours.

#[cfg(not(madsim))]
compile_error!("the seats CLI test needs --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The example binary, built (or found fresh) once per test process with
/// the profile of this test: `cargo test --test cli` builds no examples.
fn seats_sim() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/cli-<hash>
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target/<profile>");
        let mut build = Command::new(env!("CARGO"));
        // The same flags and target directory as this test's own build (here
        // the workspace config sets them; a user crate's `cargo simtest`
        // alias passes them on the command line, which a nested cargo does
        // not inherit).
        build.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "--quiet", "-p", "seats", "--example", "seats-sim"]);
        build.args(["--config", "build.rustflags=['--cfg','madsim']", "--config", "build.rustdocflags=['--cfg','madsim']"]);
        build.arg("--target-dir").arg(target_dir);
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => {}
            Some("release") => {
                build.arg("--release");
            }
            Some(other) => {
                build.args(["--profile", other]);
            }
            None => panic!("unexpected test binary path {}", exe.display()),
        }
        let out = build.output().expect("cargo runs");
        assert!(out.status.success(), "building the seats-sim example failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let bin = profile_dir.join("examples").join(format!("seats-sim{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} is missing after the build", bin.display());
        bin
    })
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
fn a_bug_is_caught_and_its_printed_replay_commands_reproduce_it() {
    let dir = std::env::temp_dir().join(format!("seats-sim-cli-{}", std::process::id()));
    let out_dir = dir.to_str().unwrap();
    let out = run(&["explore", "--workload", "seats-two-reads", "--seeds", "2000", "--max-reports", "1", "--out", out_dir]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "a safety violation exits 1:\n{text}{}", stderr(&out));
    assert!(text.contains("dcb-soundness"), "not caught by dcb-soundness:\n{text}");

    let program = seats_sim().to_str().unwrap();
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
fn check_determinism_passes() {
    let out = run(&["check-determinism", "--workload", "seats", "--seeds", "200"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("identical histories"), "{}", stdout(&out));
}

#[test]
fn an_unknown_workload_is_a_usage_error_listing_ours() {
    let out = run(&["explore", "--workload", "enrollment", "--seeds", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for name in ["seats", "seats-two-reads", "seats-check-then-insert"] {
        assert!(err.contains(name), "{name} not listed in:\n{err}");
    }
}
