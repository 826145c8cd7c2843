//! Regression files: a shrunk failure (scenario + seed) kept in the repo
//! and replayed by `sim-tests/regressions.rs` on every `cargo test`.
//!
//! A file is JSON:
//!
//! ```json
//! { "workload": "enrollment", "seed": 3, "expect": "pass",
//!   "note": "why this case matters", "scenario": { … } }
//! ```
//!
//! `expect` is `"pass"` (a bug that was fixed must stay fixed) or
//! `{ "violates": "<invariant>" }` (a planted bug must stay caught). Add
//! one with `dcb-sim explore … --save-regressions sim-tests/regressions`
//! (it writes each shrunk failure), or by hand from `dcb-sim replay --seed S
//! --print-scenario`; then set `expect` and `note`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::sim::runner::{RunResult, run};
use crate::sim::scenario::Scenario;
use crate::sim::workload::{Cmd, Workload};

/// What a regression run must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Every invariant holds.
    Pass,
    /// This invariant is violated.
    Violates(String),
}

/// One regression case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// Workload name (`enrollment`, `library`).
    pub workload: String,
    /// The seed.
    pub seed: u64,
    /// What the run must show.
    pub expect: Expect,
    /// Why the case is kept.
    #[serde(default)]
    pub note: String,
    /// The scenario (the workload's command type).
    pub scenario: serde_json::Value,
}

/// What was wrong with a regression file or its run.
#[derive(Debug, thiserror::Error)]
pub enum RegressionError {
    /// The file could not be read or parsed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The run did not show what the file expects.
    #[error("{path}: expected {expected:?}, got violations {got:?}; replay: {program} replay --workload {workload} --seed {seed} --scenario <the file's scenario>", program = crate::explore::report::replay_program())]
    Mismatch {
        /// The file.
        path: String,
        /// Expected.
        expected: Expect,
        /// The violations' invariants.
        got: Vec<String>,
        /// Workload.
        workload: String,
        /// Seed.
        seed: u64,
    },
}

impl Regression {
    /// Reads a file.
    ///
    /// # Errors
    /// [`RegressionError::File`].
    pub fn load(path: &Path) -> Result<Self, RegressionError> {
        let err = |message: String| RegressionError::File { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| err(format!("not a regression file: {e}")))
    }

    /// Runs the case on `workload` and checks the expectation.
    ///
    /// # Errors
    /// [`RegressionError`] when the scenario does not parse or the run
    /// does not show what is expected.
    pub fn check<W: Workload>(&self, workload: &W, path: &str) -> Result<RunResult<Cmd<W>>, RegressionError> {
        let scenario: Scenario<Cmd<W>> =
            serde_json::from_value(self.scenario.clone()).map_err(|e| RegressionError::File { path: path.into(), message: format!("bad scenario: {e}") })?;
        let result = run(workload, &scenario, self.seed);
        let ok = match &self.expect {
            Expect::Pass => result.violations.is_empty(),
            Expect::Violates(name) => result.violations.iter().any(|v| v.invariant() == name),
        };
        if ok {
            Ok(result)
        } else {
            Err(RegressionError::Mismatch {
                path: path.into(),
                expected: self.expect.clone(),
                got: result.violations.iter().map(|v| v.invariant().to_string()).collect(),
                workload: self.workload.clone(),
                seed: self.seed,
            })
        }
    }
}
