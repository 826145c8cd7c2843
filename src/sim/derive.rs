//! Attempts from store calls: how the simulator turns a command's recorded
//! [`StoreCall`]s and its [`Outcome`] into a [`HandleReport`] for any
//! handler, so imperative handlers get attempt records, delay checks and
//! timelines without bookkeeping.
//!
//! # How calls are grouped into attempts
//!
//! A new attempt starts with the first call, and with any call that follows
//!
//! - an append (whatever its result: a handler appends at most once per
//!   attempt),
//! - a call that failed (a failed read cannot feed a decision), or
//! - a wait: the handler announced a sleep through its
//!   [`Clock`](crate::handler::Clock), or virtual time passed between the
//!   two calls (more than [`GAP`]: handler code itself takes no virtual time).
//!
//! Reads made back to back belong to one attempt (a handler that reads two
//! boundaries before deciding). Known limit: a handler that retries a
//! read-only attempt (e.g. a rejection) with no wait at all has both
//! attempts merged into one.
//!
//! The delay before attempt `n ≥ 2` is the sleep the handler announced
//! before its first call, or, if it announced none, the virtual time that
//! passed since the previous attempt's last call returned.
//!
//! The decision of an attempt is read off its append (its event count) and,
//! for the last attempt, off the outcome (a rejection's reason, an
//! idempotent no-op).

use std::time::Duration;

use super::calls::{AppendResult, CallOp, ReadResult, StoreCall};
use crate::handler::{AppendRecord, AttemptRecord, DecisionRecord, HandleReport, Outcome};
use crate::retry::ErrorKind;

/// Virtual time between two calls above which the handler is taken to have
/// waited (madsim advances its clock 50–100 ns per poll; the shortest sleep is 1 ms).
pub const GAP: Duration = Duration::from_micros(100);

/// Whether `call` starts a new attempt, given the call before it.
fn starts_attempt(prev: Option<&StoreCall>, call: &StoreCall) -> bool {
    starts_attempt_at(prev, call.slept_before, call.started_at)
}

/// Whether a call made at `started_at`, after sleeping `slept_before`,
/// starts a new attempt, given the call before it (the harness numbers
/// attempts online with this, for [`ScriptedFault`](super::ScriptedFault)s).
pub(crate) fn starts_attempt_at(prev: Option<&StoreCall>, slept_before: Duration, started_at: Duration) -> bool {
    match prev {
        None => true,
        Some(prev) => prev.is_append() || prev.failed() || !slept_before.is_zero() || started_at.saturating_sub(prev.ended_at) > GAP,
    }
}

/// Whether `call` starts a new attempt on `timing`'s clock, given the call
/// before it. On the real clock, time passes between two calls without any
/// sleep (the OS deschedules the thread), so only a sleep the handler
/// reported, an append or a failed call ends an attempt.
fn starts_timed(prev: Option<&StoreCall>, call: &StoreCall, timing: Timing) -> bool {
    match timing {
        Timing::Virtual => starts_attempt(prev, call),
        Timing::Real => prev.is_none_or(|p| p.is_append() || p.failed() || !call.slept_before.is_zero()),
    }
}

/// The attempt number (1-based) of each call, on virtual time.
pub fn attempt_numbers(calls: &[StoreCall]) -> Vec<u32> {
    attempt_numbers_timed(calls, Timing::Virtual)
}

/// The attempt number (1-based) of each call timed on `timing`'s clock:
/// the numbering of [`report_timed`]'s attempts.
pub(crate) fn attempt_numbers_timed(calls: &[StoreCall], timing: Timing) -> Vec<u32> {
    let mut n = 0;
    (0..calls.len())
        .map(|i| {
            n += u32::from(starts_timed(i.checked_sub(1).map(|p| &calls[p]), &calls[i], timing));
            n
        })
        .collect()
}

/// Attempt `n` starting at `at`, before any call is folded into it.
fn blank(n: u32, delay_before: Duration, at: Duration) -> AttemptRecord {
    AttemptRecord { attempt: n, delay_before, started_at: at, ended_at: at, read_after: None, read_events: 0, decision: None, append: AppendRecord::NotAttempted, error: None }
}

/// The report of a command that made `calls` (started at `started_at`) and
/// ended with `outcome`.
pub fn report(calls: &[StoreCall], outcome: &Outcome, started_at: Duration) -> HandleReport {
    report_timed(calls, outcome, started_at, Timing::Virtual)
}

/// [`report`] for calls timed on `timing`'s clock. On the real clock, time
/// passes between two calls without any sleep (the OS deschedules the
/// thread), so only a sleep the handler reported through its
/// [`Ctx`](crate::handler::Ctx) clock, an append or a failed call ends an
/// attempt, and an attempt without a reported sleep waited zero.
pub(crate) fn report_timed(calls: &[StoreCall], outcome: &Outcome, started_at: Duration, timing: Timing) -> HandleReport {
    let mut attempts: Vec<AttemptRecord> = Vec::new();
    let mut n = 0;
    for (i, call) in calls.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &calls[p]);
        if starts_timed(prev, call, timing) {
            n += 1;
            let delay_before = match attempts.last() {
                None => Duration::ZERO,
                Some(_) if !call.slept_before.is_zero() => call.slept_before,
                Some(_) if timing == Timing::Real => Duration::ZERO,
                Some(prev) => call.started_at.saturating_sub(prev.ended_at),
            };
            attempts.push(blank(n, delay_before, call.started_at));
        }
        let a = attempts.last_mut().expect("pushed above");
        a.ended_at = call.ended_at;
        match &call.op {
            CallOp::Read { result: ReadResult::Events { count, highest, .. }, .. } => {
                a.read_after = *highest;
                a.read_events = *count;
            }
            CallOp::Read { result: ReadResult::Error { error }, .. } => a.error = Some(*error),
            CallOp::Append { events, result, .. } => {
                a.decision = Some(DecisionRecord::Append { events: *events });
                let (append, error) = match result {
                    AppendResult::Written { first, last } => (AppendRecord::Written { first: *first, last: *last }, None),
                    AppendResult::Conflict { conflicting } => (AppendRecord::Conflict { conflicting: *conflicting }, Some(ErrorKind::Conflict)),
                    AppendResult::Error { error, message, .. } => (AppendRecord::Error { error: *error, detail: message.clone() }, Some(*error)),
                };
                a.append = append;
                a.error = error;
            }
        }
    }
    if attempts.is_empty() {
        attempts.push(blank(1, Duration::ZERO, started_at));
    }
    let last = attempts.last_mut().expect("at least one attempt");
    match outcome {
        Outcome::Rejected { reason } if last.error.is_none() => {
            let events = match last.decision {
                Some(DecisionRecord::Append { events }) => events,
                _ => 0,
            };
            last.decision = Some(DecisionRecord::Reject { reason: reason.clone(), events });
            last.error = Some(ErrorKind::Business);
        }
        Outcome::Idempotent if last.error.is_none() && last.decision.is_none() => last.decision = Some(DecisionRecord::Idempotent),
        Outcome::Succeeded if last.error.is_none() && last.decision.is_none() => last.decision = Some(DecisionRecord::Append { events: 0 }),
        _ => {}
    }
    let total_delay = attempts.iter().map(|a| a.delay_before).sum();
    HandleReport { outcome: outcome.clone(), attempts, total_delay }
}

/// Which clock a history was measured on, and so how tightly the time
/// that passed between two attempts can be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timing {
    /// Virtual time: the gap is the delay, at most [`SLACK`](crate::check::delays::SLACK) more.
    #[default]
    Virtual,
    /// The real clock ([`run_realtime`](crate::sim::run_realtime)): a
    /// real sleep overshoots by however long the OS takes to wake the
    /// thread, so only the lower bound holds (a retry never starts before
    /// its delay has passed). Every other finding is kept.
    Real,
}

