//! [`exhaustive`]: every distinct order of store steps of one scenario.
//!
//! Stateless model checking, as CHESS and loom do it: run the scenario,
//! record the options at every decision, then backtrack — re-run from
//! scratch with the same seed, following the recorded choices up to the
//! deepest decision that has an untried option, and take that option.
//! madsim makes every re-run identical up to the changed decision (a
//! mismatch is reported as nondeterminism, not ignored).
//!
//! # Reduction
//!
//! With [`ExhaustiveOptions::reduction`] on, a **sleep set** (Godefroid,
//! 1996) prunes orders that only swap commuting steps: after exploring step
//! `t` at a decision, `t` goes to sleep for the siblings explored after it,
//! and stays asleep below them for as long as the steps taken are
//! independent of it (two reads; a read and an append none of whose events
//! the read's query matches). A run in which every pending step is asleep
//! only repeats, up to commuting steps, a run already explored: it is cut
//! there (counted as `pruned`, not checked). Every store outcome of the
//! full enumeration is still reached, so a complete run with no violation
//! is a proof for the scenario: no order of its store steps (within the
//! scheduling model of [`sched`](super)) breaks an invariant.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::schedule::{Choice, Schedule};
use super::step::{Step, independent};
use super::turn::{Chooser, Options};
use crate::sim::runner::{RunResult, checked, run_with};
use crate::sim::scenario::{Latency, Scenario};
use super::Scheduler;
use crate::sim::violation::Violation;
use crate::sim::workload::with_declared_policy;
use crate::sim::workload::{Cmd, Workload};

/// What [`exhaustive`] explores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExhaustiveOptions {
    /// At most this many runs (checked schedules plus pruned runs).
    pub budget: u64,
    /// Prune orders that only swap commuting steps (sleep sets).
    pub reduction: bool,
    /// Stop at the first schedule that violates an invariant.
    pub stop_at_first: bool,
}

impl Default for ExhaustiveOptions {
    /// A budget of 100,000 runs, with the reduction, stopping at the first violation.
    fn default() -> Self {
        ExhaustiveOptions { budget: 100_000, reduction: true, stop_at_first: true }
    }
}

/// A schedule [`exhaustive`] found violating an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExhaustiveFailure {
    /// The schedule: replay it with [`Scheduler::Script`].
    pub schedule: Schedule,
    /// Preemptions in it.
    pub preemptions: u32,
    /// Schedules checked up to and including this one.
    pub found_after: u64,
    /// Its violations.
    pub violations: Vec<Violation>,
}

/// What [`exhaustive`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExhaustiveReport {
    /// Distinct schedules run to the end and checked.
    pub schedules: u64,
    /// Runs cut by the reduction (orders equivalent to one already checked).
    pub pruned: u64,
    /// Every order was explored (not stopped by the budget or a failure):
    /// with no failures, a proof for this scenario.
    pub complete: bool,
    /// The most decisions in one run.
    pub max_decisions: usize,
    /// Violating schedules, in the order found.
    pub failures: Vec<ExhaustiveFailure>,
}

impl ExhaustiveFailure {
    /// The scenario that replays this failure with [`run`](crate::sim::run)
    /// under the same seed: `original` with no store latency (as
    /// [`exhaustive`] ran it) and this schedule.
    pub fn scenario<C: Clone>(&self, original: &Scenario<C>) -> Scenario<C> {
        replay_scenario(original, &self.schedule)
    }
}

/// The scenario that replays the exhaustive run of `original` that took
/// `schedule`: no store latency (as [`exhaustive`] ran it), that schedule.
pub(crate) fn replay_scenario<C: Clone>(original: &Scenario<C>, schedule: &Schedule) -> Scenario<C> {
    Scenario { latency: Latency::zero(), scheduler: Scheduler::Script { schedule: schedule.clone() }, ..original.clone() }
}

impl ExhaustiveReport {
    /// Complete and without a violation.
    pub fn proved(&self) -> bool {
        self.complete && self.failures.is_empty()
    }
}

impl std::fmt::Display for ExhaustiveReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match (self.complete, self.failures.is_empty()) {
            (true, true) => "complete: no order of store steps violates an invariant (proof for this scenario)",
            (true, false) => "complete",
            (false, _) => "incomplete (budget or first failure reached)",
        };
        write!(f, "{} schedules checked, {} pruned as equivalent, up to {} decisions per run; {verdict}; {} failing", self.schedules, self.pruned, self.max_decisions, self.failures.len())
    }
}

/// Why [`exhaustive`] cannot run a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExhaustiveError {
    /// Random faults are drawn in the order calls are made, so they change
    /// with the schedule and no enumeration of orders can be complete.
    #[error("exhaustive exploration needs a scenario without random faults (its fault draws change with the order of steps); run it with faults off, or use --scheduler pct")]
    RandomFaults,
    /// A re-run did not follow the recorded run.
    #[error("nondeterminism: re-running the recorded schedule prefix gave different options at decision {decision}; the handler or store uses a source of nondeterminism outside madsim (wall clock, thread, HashMap order)")]
    Nondeterministic {
        /// The decision (0-based) where the options differed.
        decision: usize,
    },
    /// The run itself failed before any step (invalid scenario, store error).
    #[error("the scenario cannot run: {0}")]
    Harness(String),
}

/// An option at a decision, with what it touches.
#[derive(Debug, Clone)]
struct Opt {
    choice: Choice,
    step: Option<Step>,
}

impl Opt {
    fn same(&self, other: &Opt) -> bool {
        match (&self.step, &other.step) {
            (Some(a), Some(b)) => a.same_call(b),
            (None, None) => true,
            _ => false,
        }
    }

    fn independent_of(&self, other: &Opt) -> bool {
        match (&self.step, &other.step) {
            (Some(a), Some(b)) => a.client != b.client && independent(&a.footprint, &b.footprint),
            _ => false,
        }
    }
}

#[derive(Debug)]
struct Node {
    options: Vec<Opt>,
    sleep: Vec<Opt>,
    done: Vec<Opt>,
    chosen: usize,
}

#[derive(Debug, Default)]
struct Dfs {
    stack: Vec<Node>,
    reduction: bool,
    /// Decisions made in the current run.
    depth: usize,
    /// The current run reached a decision whose every option is asleep.
    cut: bool,
    mismatch: Option<usize>,
}

impl Dfs {
    fn options(options: &Options<'_>) -> Vec<Opt> {
        let mut out: Vec<Opt> = options.steps.iter().map(|s| Opt { choice: Choice::Step(s.client), step: Some((*s).clone()) }).collect();
        if !options.blocked.is_empty() {
            out.push(Opt { choice: Choice::Wait, step: None });
        }
        out
    }

    fn choose(&mut self, options: &Options<'_>) -> Choice {
        let d = self.depth;
        self.depth += 1;
        if self.cut || self.mismatch.is_some() {
            return options.non_preemptive();
        }
        let opts = Self::options(options);
        if let Some(node) = self.stack.get(d) {
            if node.options.len() != opts.len() || node.options.iter().zip(&opts).any(|(a, b)| !a.same(b)) {
                self.mismatch = Some(d);
                return options.non_preemptive();
            }
            return node.options[node.chosen].choice;
        }
        let sleep: Vec<Opt> = match (self.reduction, d.checked_sub(1).and_then(|p| self.stack.get(p))) {
            (true, Some(parent)) => {
                let taken = &parent.options[parent.chosen];
                parent.sleep.iter().chain(&parent.done).filter(|u| u.independent_of(taken) && opts.iter().any(|o| o.same(u))).cloned().collect()
            }
            _ => Vec::new(),
        };
        let awake = |o: &Opt| !sleep.iter().any(|s| s.same(o));
        let preferred = options.non_preemptive();
        let Some(chosen) = opts.iter().position(|o| o.choice == preferred && awake(o)).or_else(|| opts.iter().position(awake)) else {
            self.cut = true;
            return preferred;
        };
        let choice = opts[chosen].choice;
        self.stack.push(Node { options: opts, sleep, done: Vec::new(), chosen });
        choice
    }

    /// Moves to the next unexplored order; false when none is left.
    fn backtrack(&mut self) -> bool {
        while let Some(node) = self.stack.last_mut() {
            node.done.push(node.options[node.chosen].clone());
            let next = node.options.iter().position(|o| !node.sleep.iter().chain(&node.done).any(|s| s.same(o)));
            match next {
                Some(i) => {
                    node.chosen = i;
                    return true;
                }
                None => {
                    self.stack.pop();
                }
            }
        }
        false
    }
}

/// The chooser of one run, over the shared search state.
struct DfsChooser(Arc<Mutex<Dfs>>);

impl Chooser for DfsChooser {
    fn choose(&mut self, options: &Options<'_>) -> Choice {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).choose(options)
    }
}

/// Explores every distinct order of the store steps of `scenario` under
/// `seed` (the seed fixes everything else: jitter draws, madsim's task
/// order). The scenario's own scheduler is ignored, and so is its store
/// latency: calls take no time of their own, so the orders are those of
/// the steps alone (a pending call can still be delayed past other
/// clients' sleeps, see [`Choice::Wait`]). Replay a failure with
/// [`ExhaustiveFailure::scenario`].
///
/// # Errors
/// [`ExhaustiveError`]: random faults in the scenario, nondeterminism, or
/// a scenario that cannot run.
///
/// ```
/// use std::time::Duration;
/// use dcb_sim::domain::enrollment::{EnrollmentCommand as E, Tier};
/// use dcb_sim::domain::enrollment::EnrollmentWorkload;
/// use dcb_sim::sim::{ExhaustiveOptions, Scenario, Scheduled, exhaustive};
///
/// // Two students race for the last seat of a course.
/// let setup = vec![
///     E::CreateCourse { course: "c".into(), capacity: 1 },
///     E::RegisterStudent { student: "a".into(), tier: Tier::Basic },
///     E::RegisterStudent { student: "b".into(), tier: Tier::Basic },
/// ];
/// let race = |client, s: &str| Scheduled { client, start: Duration::ZERO, command: E::Enroll { course: "c".into(), student: s.into() } };
/// let scenario = Scenario::new(setup, vec![race(0, "a"), race(1, "b")]);
/// let report = exhaustive(&EnrollmentWorkload::default(), &scenario, 0, ExhaustiveOptions::default()).unwrap();
/// assert!(report.proved(), "{report}");
/// assert!(report.schedules >= 2);
/// ```
pub fn exhaustive<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, options: ExhaustiveOptions) -> Result<ExhaustiveReport, ExhaustiveError> {
    exhaustive_with(workload, scenario, seed, options, |_| {})
}

/// [`exhaustive`], handing every checked run to `each` (its history
/// carries its [`schedule`](crate::sim::History::schedule)).
///
/// # Errors
/// As [`exhaustive`].
pub fn exhaustive_with<W: Workload>(
    workload: &W,
    scenario: &Scenario<Cmd<W>>,
    seed: u64,
    options: ExhaustiveOptions,
    mut each: impl FnMut(&RunResult<Cmd<W>>),
) -> Result<ExhaustiveReport, ExhaustiveError> {
    if !scenario.faults.is_none() {
        return Err(ExhaustiveError::RandomFaults);
    }
    let scenario = &Scenario { latency: Latency::zero(), ..with_declared_policy(workload, scenario).into_owned() };
    let dfs = Arc::new(Mutex::new(Dfs { reduction: options.reduction, ..Dfs::default() }));
    let mut report = ExhaustiveReport::default();
    let mut runs = 0;
    loop {
        if runs >= options.budget {
            return Ok(report);
        }
        runs += 1;
        {
            let mut d = dfs.lock().unwrap_or_else(|p| p.into_inner());
            d.depth = 0;
            d.cut = false;
        }
        let outcome = run_with(workload, scenario, seed, Some(Box::new(DfsChooser(dfs.clone()))));
        let (cut, mismatch, depth) = {
            let d = dfs.lock().unwrap_or_else(|p| p.into_inner());
            (d.cut, d.mismatch, d.depth)
        };
        if let Some(decision) = mismatch {
            return Err(ExhaustiveError::Nondeterministic { decision });
        }
        if let Err(Violation::Harness { detail }) = &outcome
            && runs == 1
        {
            return Err(ExhaustiveError::Harness(detail.clone()));
        }
        report.max_decisions = report.max_decisions.max(depth);
        if cut {
            report.pruned += 1;
        } else {
            report.schedules += 1;
            let result = checked(workload, scenario, seed, outcome);
            each(&result);
            if !result.violations.is_empty() {
                let record = result.history.schedule.unwrap_or_default();
                report.failures.push(ExhaustiveFailure { schedule: record.schedule, preemptions: record.preemptions, found_after: report.schedules, violations: result.violations });
                if options.stop_at_first {
                    return Ok(report);
                }
            }
        }
        if !dfs.lock().unwrap_or_else(|p| p.into_inner()).backtrack() {
            report.complete = true;
            return Ok(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure() -> ExhaustiveFailure {
        ExhaustiveFailure { schedule: Schedule::default(), preemptions: 0, found_after: 1, violations: Vec::new() }
    }

    #[test]
    fn only_a_complete_report_without_failures_is_a_proof() {
        let report = |complete: bool, failures: Vec<ExhaustiveFailure>| ExhaustiveReport { schedules: 12, pruned: 3, complete, max_decisions: 7, failures };
        let proof = report(true, Vec::new());
        assert!(proof.proved());
        assert_eq!(proof.to_string(), "12 schedules checked, 3 pruned as equivalent, up to 7 decisions per run; complete: no order of store steps violates an invariant (proof for this scenario); 0 failing");
        let failed = report(true, vec![failure()]);
        assert!(!failed.proved());
        assert_eq!(failed.to_string(), "12 schedules checked, 3 pruned as equivalent, up to 7 decisions per run; complete; 1 failing");
        let cut = report(false, Vec::new());
        assert!(!cut.proved(), "an enumeration cut by its budget proves nothing");
        assert_eq!(cut.to_string(), "12 schedules checked, 3 pruned as equivalent, up to 7 decisions per run; incomplete (budget or first failure reached); 0 failing");
        assert!(!report(false, vec![failure()]).proved());
    }
}
