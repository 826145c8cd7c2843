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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::plant::Plant;

    /// Seed 0's generated enrollment scenario with `plant`, and its run's invariants.
    fn case(plant: Option<Plant>) -> (Regression, Vec<String>) {
        let w = EnrollmentWorkload::default();
        let opts = crate::explore::ExploreOptions { plant, ..Default::default() };
        let (seed, scenario, names) = (0..200)
            .map(|seed| {
                let scenario = crate::explore::scenario_for(&w, &opts, seed);
                let names: Vec<String> = run(&w, &scenario, seed).violations.iter().map(|v| v.invariant().to_string()).collect();
                (seed, scenario, names)
            })
            .find(|(_, _, names)| names.is_empty() == plant.is_none())
            .expect("a seed that passes without the plant and fails with it");
        let r = Regression { workload: "enrollment".into(), seed, expect: Expect::Pass, note: String::new(), scenario: serde_json::to_value(&scenario).unwrap() };
        (r, names)
    }

    #[test]
    fn a_run_must_show_what_the_file_expects() {
        let w = EnrollmentWorkload::default();
        let (pass, _) = case(None);
        assert!(pass.check(&w, "p.json").expect("passes").violations.is_empty());
        let err = Regression { expect: Expect::Violates("capacity".into()), ..pass.clone() }.check(&w, "p.json").unwrap_err();
        assert!(matches!(&err, RegressionError::Mismatch { got, seed, .. } if got.is_empty() && *seed == pass.seed), "{err}");
        assert!(err.to_string().starts_with("p.json: expected Violates(\"capacity\"), got violations []; replay: "), "{err}");

        let (fail, names) = case(Some(Plant::NarrowCondition));
        let err = fail.check(&w, "f.json").unwrap_err();
        assert!(matches!(&err, RegressionError::Mismatch { got, .. } if *got == names), "{err}");
        for name in &names {
            let r = Regression { expect: Expect::Violates(name.clone()), ..fail.clone() };
            assert_eq!(r.check(&w, "f.json").expect("violates it").violations.len(), names.len());
        }
        assert!(Regression { expect: Expect::Violates("no-such-invariant".into()), ..fail }.check(&w, "f.json").is_err());
        let bad = Regression { scenario: serde_json::json!([1]), ..pass };
        assert!(matches!(bad.check(&w, "b.json"), Err(RegressionError::File { message, .. }) if message.starts_with("bad scenario: ")));
    }

    #[test]
    fn a_file_loads_or_says_what_is_wrong_with_it() {
        let dir = std::env::temp_dir().join(format!("dcb-sim-regression-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (r, _) = case(None);
        let (good, junk) = (dir.join("good.json"), dir.join("junk.json"));
        std::fs::write(&good, serde_json::to_string(&r).unwrap()).unwrap();
        std::fs::write(&junk, "{}").unwrap();
        let loaded = Regression::load(&good);
        let not_one = Regression::load(&junk).unwrap_err().to_string();
        let missing = Regression::load(&dir.join("missing.json")).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(loaded.unwrap(), r);
        assert!(not_one.starts_with(&format!("{}: not a regression file: ", junk.display())), "{not_one}");
        assert!(missing.starts_with(&format!("{}: ", dir.join("missing.json").display())), "{missing}");
    }
}
