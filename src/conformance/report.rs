//! Typed results: why one case failed ([`CaseFailure`]), one case's result
//! ([`CaseResult`]) and the whole run ([`ConformanceReport`]).

use std::fmt;

use super::race::RaceReport;
use super::suite::{Case, RuleSource};
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
    /// The race on OS threads ([`race_on_threads`](super::race_on_threads))
    /// found more than one winner, a lost, duplicated or misplaced write,
    /// or an unexpected error.
    #[error("{0}")]
    ThreadRace(Box<RaceReport>),
    /// Not a failure of the store and not a pass: the case could not
    /// exercise its rule (the race case when no two calls were ever in
    /// flight at once). [`ConformanceReport`] counts it apart.
    #[error("not exercised: {reason}")]
    NotExercised {
        /// Why, and how to exercise it.
        reason: String,
    },
    /// The case ran in a child process
    /// ([`Suite::in_child_processes`](super::Suite::in_child_processes))
    /// that died before reporting (an abort, a signal, `exit`): the case
    /// crashed the process.
    #[error("the child process running the case died before reporting ({status}); a store must return a StoreError, not abort; its last output:\n{output}")]
    Crashed {
        /// How the child ended (exit code or signal).
        status: String,
        /// The end of the child's output (stdout and stderr).
        output: String,
    },
    /// The case failed in a child process; the child's report of it.
    #[error("{message}")]
    InChildProcess {
        /// The failure as the child reported it.
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

    /// Whether the case could not exercise its rule
    /// ([`CaseFailure::NotExercised`]): neither passed nor failed.
    pub fn not_exercised(&self) -> bool {
        matches!(self.outcome, Err(CaseFailure::NotExercised { .. }))
    }

    /// Whether the store failed the case (not counting
    /// [`not_exercised`](Self::not_exercised)).
    pub fn failed(&self) -> bool {
        self.outcome.is_err() && !self.not_exercised()
    }

    /// Why the case failed, if it did.
    pub fn failure(&self) -> Option<&CaseFailure> {
        self.outcome.as_ref().err()
    }
}

/// `ok   <name>`, `NOT EXERCISED <name> [<source>]: <why>` or
/// `FAIL <name> [<source>]: broke "<rule>": <failure>`.
impl fmt::Display for CaseResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(()) => write!(f, "ok   {}", self.case.name),
            Err(CaseFailure::NotExercised { reason }) => {
                write!(f, "NOT EXERCISED {} [{}]: \"{}\": {reason}", self.case.name, self.case.source, self.case.rule)
            }
            Err(failure) => write!(f, "FAIL {} [{}]: broke \"{}\": {failure}", self.case.name, self.case.source, self.case.rule),
        }
    }
}

/// The results of a conformance run, one per case, in the order the cases
/// ran ([`CASES`](super::CASES) order for [`check`](super::check)).
///
/// Its `Display` is a summary line (with a score for the DCB
/// specification and one for dcb-sim's input profile) followed by every
/// failed or not exercised case.
///
/// With the profile waived ([`Suite::waive_profile`](super::Suite::waive_profile)),
/// only the specification's cases count for [`all_passed`](Self::all_passed);
/// the profile's score is still shown, marked "waived".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConformanceReport {
    results: Vec<CaseResult>,
    profile_waived: bool,
}

impl ConformanceReport {
    /// A report of `results` (the profile not waived).
    pub fn new(results: Vec<CaseResult>) -> Self {
        ConformanceReport { results, profile_waived: false }
    }

    /// The same report with dcb-sim's input profile waived (`true`): its
    /// cases no longer count for [`all_passed`](Self::all_passed).
    pub fn with_profile_waived(mut self, waived: bool) -> Self {
        self.profile_waived = waived;
        self
    }

    /// Whether dcb-sim's input profile is waived.
    pub fn profile_waived(&self) -> bool {
        self.profile_waived
    }

    /// Whether a case counts for [`all_passed`](Self::all_passed).
    fn counts(&self, result: &CaseResult) -> bool {
        !(self.profile_waived && result.case.source == RuleSource::InputProfile)
    }

    /// `(passed, ran)` for the cases whose rule comes from `source`.
    pub fn score(&self, source: RuleSource) -> (usize, usize) {
        let of_source = self.results.iter().filter(|r| r.case.source == source);
        (of_source.clone().filter(|r| r.passed()).count(), of_source.count())
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

    /// The cases the store failed (not counting the ones
    /// [not exercised](CaseResult::not_exercised)), waived or not.
    pub fn failed(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.failed())
    }

    /// The cases that could not exercise their rule.
    pub fn not_exercised(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.not_exercised())
    }

    /// Whether every counted case passed (true for an empty report). A
    /// case that was not exercised is not a pass; a case of a waived
    /// profile does not count.
    pub fn all_passed(&self) -> bool {
        self.results.iter().filter(|r| self.counts(r)).all(CaseResult::passed)
    }

    /// Panics, listing every failed or not exercised case with the rule
    /// and how, unless [`all_passed`](Self::all_passed).
    ///
    /// # Panics
    /// If a counted case failed or was not exercised.
    #[track_caller]
    pub fn assert_all_passed(&self) {
        if !self.all_passed() {
            panic!("the store does not conform to the DCB rules\n{self}");
        }
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let passed = self.passed().count();
        let failed = self.failed().count();
        let not_exercised = self.not_exercised().count();
        write!(f, "DCB conformance: {passed} of {} cases passed", self.results.len())?;
        if failed > 0 {
            write!(f, ", {failed} failed")?;
        }
        if not_exercised > 0 {
            write!(f, ", {not_exercised} not exercised")?;
        }
        let mut scores = Vec::new();
        for source in [RuleSource::Specification, RuleSource::InputProfile] {
            let (passed, ran) = self.score(source);
            if ran > 0 {
                let waived = if source == RuleSource::InputProfile && self.profile_waived { ", waived" } else { "" };
                scores.push(format!("{source}: {passed} of {ran} passed{waived}"));
            }
        }
        if !scores.is_empty() {
            write!(f, " ({})", scores.join("; "))?;
        }
        for result in self.results.iter().filter(|r| !r.passed()) {
            let waived = if self.counts(result) { "" } else { "(waived) " };
            write!(f, "\n{waived}{result}")?;
        }
        Ok(())
    }
}
