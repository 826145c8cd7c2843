//! The `dcb-sim` binary end to end: explore's JSON and exit codes, the
//! replay round trip (explore finds a seed, replay reproduces the same
//! violation and history hash in a new process), and clear errors on bad
//! input.

use std::process::{Command, Output};

fn dcb_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcb-sim")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn explore_json_reports_schedules_and_exits_zero_on_correct_code() {
    let out = dcb_sim(&["explore", "--seeds", "300", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(v["schedules"], 300);
    assert_eq!(v["violations"], 0);
    assert!(v["schedules_per_sec"].as_f64().unwrap() > 0.0);
}

#[test]
fn explore_text_summary_is_readable() {
    let out = dcb_sim(&["explore", "--seeds", "50"]);
    let text = stdout(&out);
    for needle in ["schedules", "conflicts", "outcomes", "attempts per command", "all invariants held"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn replay_round_trip_reproduces_a_planted_failure_in_a_new_process() {
    let out = dcb_sim(&["explore", "--seeds", "500", "--plant", "non-atomic-store", "--json", "--max-reports", "1"]);
    assert_eq!(out.status.code(), Some(1), "a safety violation exits 1");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let failure = &v["failures"][0];
    let seed = failure["seed"].as_u64().unwrap().to_string();
    let first = failure["violations"][0]["detail"].as_str().unwrap().to_string();

    let replay = |extra: &[&str]| {
        let mut args = vec!["replay", "--seed", &seed, "--plant", "non-atomic-store"];
        args.extend_from_slice(extra);
        dcb_sim(&args)
    };
    let a = replay(&[]);
    assert_eq!(a.status.code(), Some(1));
    assert!(stdout(&a).contains(&first), "replay of seed {seed} did not show {first:?}:\n{}", stdout(&a));
    let b = replay(&[]);
    assert_eq!(stdout(&a), stdout(&b), "two replays of seed {seed} differ");

    // The scenario printed by replay, fed back as a file, replays too.
    let scenario = stdout(&replay(&["--print-scenario"]));
    let dir = std::env::temp_dir().join(format!("dcb-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scenario.json");
    std::fs::write(&file, scenario).unwrap();
    let c = dcb_sim(&["replay", "--seed", &seed, "--scenario", file.to_str().unwrap()]);
    assert_eq!(stdout(&a), stdout(&c), "replay from the scenario file differs");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let out = dcb_sim(&["replay", "--seed", "1", "--scenario", "/nonexistent/scenario.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read scenario file"));

    let out = dcb_sim(&["explore", "--plant", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("non-atomic-store"), "lists the valid names");

    let dir = std::env::temp_dir().join(format!("dcb-sim-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"setup": [], "commands": [], "policy": {"max_attempts": 0, "base_delay_us": 1000, "multiplier": 2.0, "jitter": {"kind": "none"}}}"#).unwrap();
    let out = dcb_sim(&["replay", "--seed", "1", "--scenario", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_attempts must be at least 1"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// `--jobs` does not change results, and `--shard I/N` + `merge` covers
/// exactly the same seeds as one run.
#[test]
fn jobs_and_shards_give_the_same_summary_as_one_run() {
    let summary = |args: &[&str]| -> serde_json::Value {
        let out = dcb_sim(args);
        let mut v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        for k in ["elapsed_secs", "schedules_per_sec"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    let base = ["explore", "--seeds", "700", "--json", "--plant", "narrow-condition", "--max-reports", "2", "--shrink-budget", "0"];
    let one = summary(&[&base[..], &["--jobs", "1"]].concat());
    let two = summary(&[&base[..], &["--jobs", "2"]].concat());
    assert_eq!(one, two, "--jobs 2 changed the summary");
    assert!(one["violations"].as_u64().unwrap() > 0);

    let dir = std::env::temp_dir().join(format!("dcb-sim-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let out = dcb_sim(&[&base[..], &["--shard", &shard]].concat());
        let file = dir.join(format!("shard-{i}.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file.to_str().unwrap().to_string());
    }
    let mut args = vec!["merge", "--json", "--max-reports", "2"];
    args.extend(files.iter().map(String::as_str));
    let merged = summary(&args);
    assert_eq!(merged, one, "merged shards differ from one run");
    std::fs::remove_dir_all(&dir).ok();
}

/// `dcb-sim` with `DCB_PG_URL` removed from its environment.
fn dcb_sim_without_pg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcb-sim")).args(args).env_remove("DCB_PG_URL").output().expect("the binary runs")
}

#[test]
fn explore_realtime_prints_a_readable_summary_of_real_runs() {
    let out = dcb_sim(&["explore", "--realtime", "--workload", "hotkey", "--clients", "4", "--seeds", "5"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    for needle in ["dcb-sim explore --realtime · store memory · a new store per run · one OS thread per client", "schedules", "commands", "outcomes", "attempts per command", "all invariants held"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    let out = dcb_sim(&["explore", "--realtime", "--workload", "enrollment", "--seeds", "4", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!((v["schedules"].as_u64(), v["violations"].as_u64()), (Some(4), Some(0)), "{v}");
    assert!(v["commands"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn explore_realtime_on_sqlite_files_with_and_without_reuse() {
    for extra in [&[][..], &["--reuse"][..]] {
        let args = [&["explore", "--realtime", "--store", "sqlite", "--workload", "library", "--seeds", "4"][..], extra].concat();
        let out = dcb_sim(&args);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}:\n{text}{}", String::from_utf8_lossy(&out.stderr));
        let mode = if extra.is_empty() { "a new store per run" } else { "one store reset between runs" };
        assert!(text.contains(&format!("store sqlite · {mode}")), "{text}");
        let schedules = text.lines().find_map(|l| l.trim().strip_prefix("schedules")).and_then(|rest| rest.split_whitespace().next());
        assert_eq!(schedules, Some("4"), "{text}");
        assert!(text.contains("all invariants held"), "{text}");
    }
}

#[test]
fn explore_realtime_bad_input_says_what_to_do_and_exits_2() {
    let cases: [(&[&str], &str); 7] = [
        (&["explore", "--realtime", "--store", "postgres"], "--store postgres needs a server: pass --pg-url postgresql://USER@HOST:PORT/DB or set DCB_PG_URL"),
        (&["explore", "--store", "sqlite"], "add --realtime"),
        (&["explore", "--reuse"], "add --realtime"),
        (&["explore", "--realtime", "--reuse"], "--reuse needs --store sqlite or --store postgres"),
        (&["explore", "--realtime", "--plant", "non-atomic-store"], "--plant is simulated"),
        (&["explore", "--realtime", "--faults"], "--faults are injected by the simulator"),
        (&["explore", "--realtime", "--scheduler", "pct"], "in a real-time run the OS orders them"),
    ];
    for (args, needle) in cases {
        let out = dcb_sim_without_pg(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: missing {needle:?} in {err}");
    }
    let out = dcb_sim_without_pg(&["explore", "--realtime", "--store", "postgres", "--pg-url", "postgresql://nobody@127.0.0.1:1/none", "--seeds", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "a store that cannot be opened is a harness error: {err}");
    assert!(err.contains("cannot open the store for seed 0"), "{err}");
}

#[test]
fn guided_explore_writes_the_html_coverage_page_and_a_mutated_failure_replays_from_its_saved_scenario() {
    let dir = std::env::temp_dir().join(format!("dcb-sim-cli-guided-{}", std::process::id()));
    let html = dir.join("report.html");
    let out = dcb_sim(&[
        "explore", "--seeds", "300", "--plant", "narrow-condition", "--scheduler", "guided", "--json", "--max-reports", "100", "--shrink-budget", "0", "--jobs", "1",
        "--out", dir.to_str().unwrap(), "--html", html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let failures = v["failures"].as_array().unwrap();
    let mutated = failures.iter().find(|f| f["scenario_from_seed"] == false).expect("a failure on a mutated scenario");
    let (seed, file) = (mutated["seed"].as_u64().unwrap().to_string(), mutated["scenario_file"].as_str().unwrap());
    let first = mutated["violations"][0]["detail"].as_str().unwrap();
    // What the report prints for it: replay --seed S --scenario FILE, in a new process.
    let again = dcb_sim(&["replay", "--seed", &seed, "--plant", "narrow-condition", "--scenario", file]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stdout(&again).contains(first), "seed {seed} with {file} did not show {first:?}:\n{}", stdout(&again));
    let page = std::fs::read_to_string(&html).expect("the page");
    assert!(page.contains("<h2>Coverage</h2>") && page.contains("<td>conflict on attempt 1"), "{page}");
    assert!(page.contains("replay --workload enrollment --plant narrow-condition --seed"), "{page}");
    std::fs::remove_dir_all(&dir).ok();
}
