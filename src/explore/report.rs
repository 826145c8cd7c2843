//! [`FailureReport`]: everything needed to understand and replay a failure.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sim::runner::{RunResult, run};
use crate::sim::scenario::{Scenario, ScenarioError};
use crate::sim::sched::{Schedule, ScheduleRecord};
use crate::sim::violation::Violation;
use crate::sim::workload::{Cmd, Workload};

/// How replay commands in reports start when nothing set another program:
/// the `dcb-sim` binary of this repository, run through cargo.
pub const DEFAULT_REPLAY_PROGRAM: &str = "cargo run --release --";

/// The program set by [`set_replay_program`], if any.
static REPLAY_PROGRAM: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// Sets how the replay commands printed in reports
/// ([`FailureReport::replay_command`], [`ShrunkReport::replay_command`])
/// start, for the rest of the process: the command line that runs the CLI,
/// before its `replay` subcommand, e.g. `target/release/examples/seats-sim`
/// or `cargo run --release -p my-crate --example my-sim --`. It is printed
/// verbatim (quote a path with spaces yourself).
///
/// `dcb_sim::cli::main` (feature `cli`) sets it to the path its binary
/// was invoked with, so that a report names the binary that is actually
/// running; until something sets it, reports print
/// [`DEFAULT_REPLAY_PROGRAM`].
pub fn set_replay_program(program: impl Into<String>) {
    *REPLAY_PROGRAM.write().unwrap_or_else(|p| p.into_inner()) = Some(program.into());
}

/// How replay commands in reports start: the program set by
/// [`set_replay_program`], else [`DEFAULT_REPLAY_PROGRAM`].
pub fn replay_program() -> String {
    REPLAY_PROGRAM.read().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_else(|| DEFAULT_REPLAY_PROGRAM.to_string())
}

/// A failed run: workload, seed, scenario, violations, and the exact
/// commands that replay it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReport {
    /// Workload name.
    pub workload: String,
    /// The run's seed.
    pub seed: u64,
    /// The planted bug, if any.
    pub plant: Option<String>,
    /// The scenario, as JSON.
    pub scenario: serde_json::Value,
    /// True when the scenario is the one the workload generates from
    /// `seed` (then `--seed` alone replays it).
    pub scenario_from_seed: bool,
    /// Where the scenario was written, if it was.
    pub scenario_file: Option<PathBuf>,
    /// What broke.
    pub violations: Vec<Violation>,
    /// The `cargo test` target that replays it with `DCB_SEED`, if any.
    pub test: Option<String>,
    /// The minimal failing scenario, when the explorer shrank it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<ShrunkReport>,
    /// The order of store steps of the failing run, when a controlled
    /// scheduler chose it: `--schedule` / `DCB_SCHEDULE` replay it exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// The race this failure was found in, when race mode derived it
    /// ([`races`](mod@crate::sim::sched::races)): its commands, as numbered in
    /// the seed's generated scenario. The report's scenario is then the
    /// race's own (with the schedule), which replays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<String>,
}

/// The shrunk form of a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrunkReport {
    /// The seed that makes the minimal scenario fail.
    pub seed: u64,
    /// The minimal scenario, as JSON.
    pub scenario: serde_json::Value,
    /// Where it was written, if it was.
    pub scenario_file: Option<PathBuf>,
    /// Its violations.
    pub violations: Vec<Violation>,
    /// Concurrent commands before → after.
    pub commands: (usize, usize),
    /// Setup commands before → after.
    pub setup: (usize, usize),
    /// Clients before → after.
    pub clients: (usize, usize),
    /// Runs the shrinker spent.
    pub runs: u64,
}

impl ShrunkReport {
    /// The command that replays the minimal scenario (starting with
    /// [`replay_program`]).
    pub fn replay_command(&self, workload: &str) -> String {
        let file = self.scenario_file.as_ref().map_or_else(|| "<minimal.json>".to_string(), |p| p.display().to_string());
        format!("{} replay --workload {workload} --seed {} --scenario {file}", replay_program(), self.seed)
    }
}

impl FailureReport {
    /// A report for `scenario` failing under `seed` (not shrunk; the
    /// scenario is taken as given, not as generated from the seed).
    pub fn new<C: serde::Serialize>(workload: &str, seed: u64, scenario: &Scenario<C>, violations: Vec<Violation>) -> Self {
        FailureReport {
            workload: workload.to_string(),
            seed,
            plant: scenario.plant.map(|p| p.name().to_string()),
            scenario: serde_json::to_value(scenario).expect("scenarios serialize"),
            scenario_from_seed: false,
            scenario_file: None,
            violations,
            test: None,
            shrunk: None,
            schedule: None,
            race: None,
        }
    }

    /// The report with the failing run's schedule (see [`FailureReport::schedule`]).
    #[must_use]
    pub fn with_schedule(mut self, schedule: Option<&ScheduleRecord>) -> Self {
        self.schedule = schedule.map(|r| r.schedule.clone());
        self
    }

    /// Re-runs the failure from the report alone (its scenario JSON and
    /// seed), as `dcb-sim replay` does; a failure that replays shows the
    /// same violations.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] when the scenario is not one of `workload`'s.
    pub fn replay<W: Workload>(&self, workload: &W) -> Result<RunResult<Cmd<W>>, ScenarioError> {
        let scenario: Scenario<Cmd<W>> = serde_json::from_value(self.scenario.clone()).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        Ok(run(workload, &scenario, self.seed))
    }

    /// The command that replays the run with the CLI (starting with
    /// [`replay_program`]).
    pub fn replay_command(&self) -> String {
        let mut cmd = format!("{} replay --workload {} --seed {}", replay_program(), self.workload, self.seed);
        if let Some(p) = &self.plant {
            cmd.push_str(&format!(" --plant {p}"));
        }
        if let Some(s) = &self.schedule {
            cmd.push_str(&format!(" --schedule {s}"));
        }
        if !self.scenario_from_seed {
            let file = self.scenario_file.as_ref().map_or_else(|| "<scenario.json>".to_string(), |p| p.display().to_string());
            cmd.push_str(&format!(" --scenario {file}"));
        }
        cmd
    }

    /// Writes the scenario to `dir/<workload>-<seed>.json` (and the shrunk
    /// one to `…-min.json`) and remembers the paths.
    ///
    /// # Errors
    /// I/O errors.
    pub fn save_scenario(&mut self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}-{}.json", self.workload, self.seed));
        std::fs::write(&path, serde_json::to_string_pretty(&self.scenario).expect("JSON values serialize"))?;
        self.scenario_file = Some(path.clone());
        if let Some(shrunk) = &mut self.shrunk {
            let min = dir.join(format!("{}-{}-min.json", self.workload, self.seed));
            std::fs::write(&min, serde_json::to_string_pretty(&shrunk.scenario).expect("JSON values serialize"))?;
            shrunk.scenario_file = Some(min);
        }
        Ok(path)
    }
}

impl fmt::Display for FailureReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dcb-sim: invariant violated")?;
        writeln!(f, "  workload: {}  seed: {}  plant: {}", self.workload, self.seed, self.plant.as_deref().unwrap_or("none"))?;
        if let Some(race) = &self.race {
            writeln!(f, "  race: {race} (every order of these commands enumerated; the scenario below plays only them)")?;
        }
        writeln!(f, "  violations ({}):", self.violations.len())?;
        for v in self.violations.iter().take(10) {
            writeln!(f, "    - {v}")?;
        }
        if self.violations.len() > 10 {
            writeln!(f, "    … and {} more", self.violations.len() - 10)?;
        }
        writeln!(f, "  replay:")?;
        writeln!(f, "    {}", self.replay_command())?;
        if let Some(test) = &self.test
            && self.scenario_from_seed
        {
            let schedule = self.schedule.as_ref().map_or_else(String::new, |s| format!("DCB_SCHEDULE={s} "));
            writeln!(f, "    DCB_SEED={} {schedule}cargo test --release --test {test}", self.seed)?;
        }
        if let Some(s) = &self.shrunk {
            writeln!(f, "  shrunk ({} runs): {} → {} commands, {} → {} setup, {} → {} clients; seed {}", s.runs, s.commands.0, s.commands.1, s.setup.0, s.setup.1, s.clients.0, s.clients.1, s.seed)?;
            for v in s.violations.iter().take(5) {
                writeln!(f, "    - {v}")?;
            }
            writeln!(f, "    replay: {}", s.replay_command(&self.workload))?;
            writeln!(f, "  minimal scenario:")?;
            for line in serde_json::to_string_pretty(&s.scenario).expect("JSON values serialize").lines() {
                writeln!(f, "    {line}")?;
            }
            return Ok(());
        }
        writeln!(f, "  scenario:")?;
        for line in serde_json::to_string_pretty(&self.scenario).expect("JSON values serialize").lines() {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::plant::Plant;

    /// Serialises the tests that read or set the process-wide replay program.
    static PROGRAM: Mutex<()> = Mutex::new(());

    fn violations(n: usize) -> Vec<Violation> {
        (0..n).map(|i| Violation::safety("capacity", Some(i), format!("over by {i}"))).collect()
    }

    fn report(n: usize) -> FailureReport {
        FailureReport {
            workload: "enrollment".into(),
            seed: 7,
            plant: Some("narrow-condition".into()),
            scenario: serde_json::json!({ "commands": [1] }),
            scenario_from_seed: true,
            scenario_file: None,
            violations: violations(n),
            test: Some("sim".into()),
            shrunk: None,
            schedule: Some("0.1*2.w".parse().unwrap()),
            race: Some("#2 #5".into()),
        }
    }

    fn shrunk() -> ShrunkReport {
        ShrunkReport {
            seed: 3,
            scenario: serde_json::json!({ "commands": [] }),
            scenario_file: Some(PathBuf::from("/f/min.json")),
            violations: violations(6),
            commands: (9, 2),
            setup: (4, 1),
            clients: (5, 2),
            runs: 77,
        }
    }

    #[test]
    fn a_report_names_the_race_the_violations_and_both_replay_lines() {
        let _lock = PROGRAM.lock().unwrap_or_else(|p| p.into_inner());
        let p = replay_program();
        let text = report(11).to_string();
        let vs: String = violations(10).iter().map(|v| format!("    - {v}\n")).collect();
        let expected = format!(
            "dcb-sim: invariant violated\n  workload: enrollment  seed: 7  plant: narrow-condition\n  race: #2 #5 (every order of these commands enumerated; the scenario below plays only them)\n  violations (11):\n{vs}    … and 1 more\n  replay:\n    {p} replay --workload enrollment --seed 7 --plant narrow-condition --schedule 0.1*2.w\n    DCB_SEED=7 DCB_SCHEDULE=0.1*2.w cargo test --release --test sim\n  scenario:\n    {{\n      \"commands\": [\n        1\n      ]\n    }}\n"
        );
        assert_eq!(text, expected);
        // Ten violations are all listed, with no "more" line.
        let ten = report(10).to_string();
        assert!(ten.contains("  violations (10):\n") && !ten.contains("more"), "{ten}");
    }

    #[test]
    fn the_test_line_is_printed_only_for_a_scenario_generated_from_the_seed() {
        let mut r = report(1);
        r.race = None;
        r.plant = None;
        r.schedule = None;
        let with_test = r.to_string();
        assert!(with_test.contains("  plant: none\n") && !with_test.contains("race:"), "{with_test}");
        assert!(with_test.contains("\n    DCB_SEED=7 cargo test --release --test sim\n"), "{with_test}");
        r.scenario_from_seed = false;
        let text = r.to_string();
        assert!(!text.contains("cargo test"), "a given scenario is replayed from its file, not the seed: {text}");
        assert!(text.contains(" --seed 7 --scenario <scenario.json>\n"), "{text}");
        r.scenario_from_seed = true;
        r.test = None;
        assert!(!r.to_string().contains("cargo test"));
    }

    #[test]
    fn a_shrunk_report_prints_the_minimal_scenario_instead_of_the_original() {
        let _lock = PROGRAM.lock().unwrap_or_else(|p| p.into_inner());
        let mut r = report(1);
        r.shrunk = Some(shrunk());
        let text = r.to_string();
        let p = replay_program();
        let vs: String = violations(5).iter().map(|v| format!("    - {v}\n")).collect();
        let tail = format!(
            "  shrunk (77 runs): 9 → 2 commands, 4 → 1 setup, 5 → 2 clients; seed 3\n{vs}    replay: {p} replay --workload enrollment --seed 3 --scenario /f/min.json\n  minimal scenario:\n    {{\n      \"commands\": []\n    }}\n"
        );
        assert!(text.ends_with(&tail), "{text}");
        assert!(!text.contains("  scenario:"), "{text}");
    }

    #[test]
    fn replay_commands_name_the_plant_schedule_and_scenario_file() {
        let _lock = PROGRAM.lock().unwrap_or_else(|p| p.into_inner());
        let p = replay_program();
        let mut r = report(1);
        assert_eq!(r.replay_command(), format!("{p} replay --workload enrollment --seed 7 --plant narrow-condition --schedule 0.1*2.w"));
        r.plant = None;
        r.schedule = None;
        r.scenario_from_seed = false;
        assert_eq!(r.replay_command(), format!("{p} replay --workload enrollment --seed 7 --scenario <scenario.json>"));
        r.scenario_file = Some(PathBuf::from("/f/s.json"));
        assert_eq!(r.replay_command(), format!("{p} replay --workload enrollment --seed 7 --scenario /f/s.json"));
        let mut s = shrunk();
        assert_eq!(s.replay_command("w"), format!("{p} replay --workload w --seed 3 --scenario /f/min.json"));
        s.scenario_file = None;
        assert_eq!(s.replay_command("w"), format!("{p} replay --workload w --seed 3 --scenario <minimal.json>"));
    }

    #[test]
    fn the_replay_program_set_starts_every_replay_command() {
        let _lock = PROGRAM.lock().unwrap_or_else(|p| p.into_inner());
        let before = replay_program();
        set_replay_program("target/release/examples/my-sim");
        let r = report(1);
        let (command, shrunk) = (r.replay_command(), shrunk().replay_command("w"));
        set_replay_program(before.clone());
        assert_eq!(replay_program(), before);
        assert!(command.starts_with("target/release/examples/my-sim replay --workload enrollment "), "{command}");
        assert!(shrunk.starts_with("target/release/examples/my-sim replay --workload w "), "{shrunk}");
    }

    #[test]
    fn saving_writes_both_scenarios_and_remembers_their_paths() {
        let dir = std::env::temp_dir().join(format!("dcb-sim-report-{}", std::process::id()));
        let mut r = report(1);
        r.shrunk = Some(shrunk());
        let path = r.save_scenario(&dir).expect("writable temp dir");
        let min = dir.join("enrollment-7-min.json");
        let read = |p: &Path| serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(p).unwrap()).unwrap();
        let (original, minimal) = (read(&path), read(&min));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(path, dir.join("enrollment-7.json"));
        assert_eq!(r.scenario_file.as_ref(), Some(&path));
        assert_eq!(r.shrunk.as_ref().unwrap().scenario_file.as_ref(), Some(&min));
        assert_eq!(original, r.scenario);
        assert_eq!(minimal, r.shrunk.unwrap().scenario);
    }

    #[test]
    fn a_report_replays_its_run_and_keeps_its_schedule() {
        let w = EnrollmentWorkload::default();
        let mut scenario = w.generate(&mut crate::rng::substream(5, crate::explore::SCENARIO_STREAM));
        scenario.plant = Some(Plant::NarrowCondition);
        let first = run(&w, &scenario, 5);
        let r = FailureReport::new(w.name(), 5, &scenario, first.violations.clone());
        assert_eq!(r.plant.as_deref(), Some("narrow-condition"));
        let again = r.replay(&w).expect("an enrollment scenario");
        assert_eq!(again.history, first.history);
        assert_eq!(again.violations, first.violations);
        let record = crate::sim::sched::ScheduleRecord { schedule: "1.0".parse().unwrap(), ..Default::default() };
        assert_eq!(r.clone().with_schedule(Some(&record)).schedule, Some(record.schedule));
        assert_eq!(r.with_schedule(None).schedule, None);
        let bad = FailureReport { scenario: serde_json::json!({ "not": "a scenario" }), ..report(0) };
        assert!(matches!(bad.replay(&w), Err(ScenarioError::Parse(_))));
    }
}
