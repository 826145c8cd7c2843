//! The regression corpus: every `sim-tests/regressions/*.json` (a shrunk
//! failure: scenario + seed + expectation) is replayed on every `cargo
//! test`. A fixed bug must stay fixed (`"expect": "pass"`); a planted bug
//! must stay caught (`"expect": {"violates": "<invariant>"}`).
//!
//! Add a case with `dcb-sim explore … --save-regressions sim-tests/regressions`
//! (writes each shrunk failure), or from `dcb-sim replay --seed S
//! --print-scenario`; set `expect` and `note`; commit the file.

use std::path::PathBuf;

use dcb_sim::explore::Regression;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;

#[test]
fn every_regression_file_still_shows_what_it_expects() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sim-tests/regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression files in {}", dir.display());
    let mut failures = Vec::new();
    for path in &files {
        let name = path.display().to_string();
        let result = Regression::load(path).and_then(|reg| match reg.workload.as_str() {
            "enrollment" => reg.check(&EnrollmentWorkload::default(), &name).map(|_| ()),
            "library" => reg.check(&LibraryWorkload::default(), &name).map(|_| ()),
            other => Err(dcb_sim::explore::RegressionError::File { path: name.clone(), message: format!("unknown workload {other:?}") }),
        });
        if let Err(e) = result {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{} of {} regression files failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    println!("{} regression files replayed", files.len());
}
