//! Typed results: why one case failed ([`CaseFailure`]), one case's result
//! ([`CaseResult`]) and the whole run ([`ConformanceReport`]).

use std::fmt;

use super::suite::Case;
use crate::store::StoreError;

/// Why a case failed: which check of the case did not hold, and how.
///
/// `at` is the place of the check in dcb-sim's source
/// (`src/conformance/cases.rs:<line>`), where the case's code shows the
/// exact calls made; the case's [`rule`](Case::rule) says which DCB rule
/// the check belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseFailure {
    /// A store call (or a value derived from its results) differs from what
    /// the rule requires.
    #[error("{check}: expected {expected}, got {actual} (checked at {at})")]
    Mismatch {
        /// What was checked: the case's description of the check, or the
        /// checked expression.
        check: String,
        /// What the rule requires (`Debug` of the value).
        expected: String,
        /// What the store gave (`Debug` of the value).
        actual: String,
        /// Where the check is, `file:line`.
        at: &'static str,
    },
    /// A property the rule requires does not hold.
    #[error("{check} (checked at {at})")]
    Violated {
        /// What does not hold, with the values involved.
        check: String,
        /// Where the check is, `file:line`.
        at: &'static str,
    },
    /// A store call the rule requires to succeed returned an error.
    #[error("{call} returned the error `{error}`, but the rule requires it to succeed (checked at {at})")]
    StoreCallFailed {
        /// The call, with its arguments.
        call: String,
        /// The error the store returned.
        error: StoreError,
        /// Where the check is, `file:line`.
        at: &'static str,
    },
    /// The case panicked while it ran: usually the store panicked inside
    /// `read` or `append`, where it must return a [`StoreError`] instead.
    #[error("panicked while the case ran (a store must return a StoreError, not panic): {message}")]
    Panicked {
        /// The panic's message.
        message: String,
    },
    /// The store factory passed to [`check`](super::check) panicked, so the
    /// case could not run.
    #[error("the store factory panicked, so the case could not run: {message}")]
    FactoryPanicked {
        /// The panic's message.
        message: String,
    },
}

/// The result of one case on one fresh store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The case that ran.
    pub case: &'static Case,
    /// `Ok(())` if the store followed the case's rule.
    pub outcome: Result<(), CaseFailure>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.outcome.is_ok()
    }

    /// Why the case failed, if it did.
    pub fn failure(&self) -> Option<&CaseFailure> {
        self.outcome.as_ref().err()
    }
}

/// `ok   <name>` or `FAIL <name>: broke "<rule>": <failure>`.
impl fmt::Display for CaseResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(()) => write!(f, "ok   {}", self.case.name),
            Err(failure) => write!(f, "FAIL {}: broke \"{}\": {failure}", self.case.name, self.case.rule),
        }
    }
}

/// The results of a conformance run, one per case, in the order the cases
/// ran ([`CASES`](super::CASES) order for [`check`](super::check)).
///
/// Its `Display` is a summary line followed by every failed case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConformanceReport {
    results: Vec<CaseResult>,
}

impl ConformanceReport {
    /// A report of `results`.
    pub fn new(results: Vec<CaseResult>) -> Self {
        ConformanceReport { results }
    }

    /// Every case's result, in run order.
    pub fn results(&self) -> &[CaseResult] {
        &self.results
    }

    /// The result of the case named `name`, if it ran.
    pub fn get(&self, name: &str) -> Option<&CaseResult> {
        self.results.iter().find(|r| r.case.name == name)
    }

    /// The cases that passed.
    pub fn passed(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.passed())
    }

    /// The cases that failed.
    pub fn failed(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| !r.passed())
    }

    /// Whether every case passed (true for an empty report).
    pub fn all_passed(&self) -> bool {
        self.results.iter().all(CaseResult::passed)
    }

    /// Panics, listing every failed case with the rule it broke and how,
    /// unless every case passed.
    ///
    /// # Panics
    /// If any case failed.
    #[track_caller]
    pub fn assert_all_passed(&self) {
        if !self.all_passed() {
            panic!("the store does not conform to the DCB rules\n{self}");
        }
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failed().count();
        write!(f, "DCB conformance: {} of {} cases passed", self.results.len() - failed, self.results.len())?;
        if failed > 0 {
            write!(f, ", {failed} failed:")?;
            for result in self.failed() {
                write!(f, "\n{result}")?;
            }
        }
        Ok(())
    }
}
