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
