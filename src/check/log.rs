//! **log-consistency**: every success has exactly its events in the log and
//! every other outcome left none (except a rejection's `...Failed` events).
//!
//! Verified: the ranges written by all attempts are inside the log, do not
//! overlap, and cover every event of the log (no phantom or lost event);
//! a command writes at most once, and only in its last attempt; a
//! `Succeeded` command wrote the events its decision produced; `Idempotent`,
//! `Exhausted` and `Failed` commands wrote nothing; a `Rejected` command
//! wrote only the failure events its decision named.
//!
//! With injected faults: an append that was applied although its caller
//! got an error (ambiguous commit, timeout after the write) is taken from
//! the fault journal and attributed to the attempt whose error names the
//! fault; it must be whole (as many events as decided), and the command
//! must not write again afterwards (retrying must not duplicate the effect),
//! nor end `Rejected` (its effect happened: the retry failed to recognise its
//! own write).
//!
//! Not verified: *which* events were written (the serializability check
//! compares them with a sequential re-run).

use crate::handler::{AppendRecord, DecisionRecord, Outcome};
use crate::sim::derive::Timing;
use crate::sim::{History, Violation};

/// The invariant's name.
pub const NAME: &str = "log-consistency";

/// Checks the log against the records.
pub fn check<C>(history: &History<C>, out: &mut Vec<Violation>) {
    check_timed(history, Timing::Virtual, out);
}

/// [`check`] for a history measured on `timing`'s clock: a write behind an
/// error is attributed to the attempt the command's report gives it (on
/// the real clock a pause between two calls does not start an attempt).
pub fn check_timed<C>(history: &History<C>, timing: Timing, out: &mut Vec<Violation>) {
    let len = history.log.len() as u64;
    if let Some((i, e)) = history.log.iter().enumerate().find(|(i, e)| e.position != *i as u64 + 1) {
        out.push(Violation::safety(NAME, None, format!("log position {} stands at index {i}; positions must be 1, 2, 3, …", e.position)));
    }
    let mut owner: Vec<Option<usize>> = vec![None; len as usize];
    let mut ghosts_of = vec![Vec::new(); history.commands.len()];
    for ghost in history.ghost_writes_timed(timing) {
        match ghost {
            Ok(g) => ghosts_of[g.command].push(g),
            Err(id) => out.push(Violation::safety(NAME, None, format!("fault #{id} applied an append that no attempt's error names"))),
        }
    }
    for (ci, c) in history.commands.iter().enumerate() {
        let ghosts = &ghosts_of[ci];
        let writes: Vec<_> = c
            .report
            .attempts
            .iter()
            .filter_map(|a| match a.append {
                AppendRecord::Written { first, last } => Some((a, first, last)),
                _ => None,
            })
            .collect();
        let mut bad = |detail: String| out.push(Violation::safety(NAME, Some(c.index), detail));
        if writes.len() + ghosts.len() > 1 {
            let attempts: Vec<u32> = writes.iter().map(|w| w.0.attempt).chain(ghosts.iter().map(|g| g.attempt)).collect();
            bad(format!("wrote {} times (attempts {attempts:?}, {} behind an error); a command's effect must happen at most once", attempts.len(), ghosts.len()));
        }
        for g in ghosts {
            let decided = c.report.attempts.iter().find(|a| a.attempt == g.attempt).and_then(|a| match &a.decision {
                Some(DecisionRecord::Append { events } | DecisionRecord::Reject { events, .. }) => Some(u64::from(*events)),
                _ => None,
            });
            if decided != Some(g.last - g.first + 1) {
                bad(format!("fault #{} applied {} events for attempt {}, which decided {decided:?}", g.fault, g.last - g.first + 1, g.attempt));
            }
            for p in g.first..=g.last.min(len) {
                if let Some(other) = owner[p as usize - 1].replace(c.index) {
                    bad(format!("position {p} is claimed by command #{other} and by this one (fault #{})", g.fault));
                }
            }
        }
        for &(a, first, last) in &writes {
            if first == 0 || first > last || last > len {
                bad(format!("attempt {} reports positions {first}..={last} outside the log (1..={len})", a.attempt));
                continue;
            }
            for p in first..=last {
                if let Some(other) = owner[p as usize - 1].replace(c.index) {
                    bad(format!("position {p} is claimed by command #{other} and by this one"));
                }
            }
            let expected = match &a.decision {
                Some(DecisionRecord::Append { events } | DecisionRecord::Reject { events, .. }) => *events as u64,
                _ => 0,
            };
            if last - first + 1 != expected {
                bad(format!("attempt {} wrote {} events but decided {expected}", a.attempt, last - first + 1));
            }
        }
        let last_attempt = c.report.attempts.last();
        let wrote_last = last_attempt.is_some_and(|a| matches!(a.append, AppendRecord::Written { .. }));
        if writes.len() == 1 && !wrote_last {
            bad(format!("wrote in attempt {} but went on to another attempt", writes[0].0.attempt));
        }
        match c.outcome() {
            Outcome::Succeeded if !wrote_last => bad("succeeded without its events in the log".into()),
            Outcome::Idempotent | Outcome::Exhausted { .. } | Outcome::Failed { .. } if !writes.is_empty() => {
                bad(format!("outcome {} but events were written", c.outcome().label()));
            }
            Outcome::Rejected { .. } => {
                let failure_events = match last_attempt.and_then(|a| a.decision.as_ref()) {
                    Some(DecisionRecord::Reject { events, .. }) => *events,
                    _ => 0,
                };
                if (failure_events > 0) != wrote_last {
                    bad(format!("rejected with {failure_events} failure events decided, but wrote: {wrote_last}"));
                }
                if let (true, Some(g)) = (writes.is_empty(), ghosts.first()) {
                    bad(format!(
                        "rejected, but its own append of attempt {} was applied behind an error (fault #{}, positions {}..={}): the retry did not recognise its own write (give commands a request id) and reported a rejection for a command whose effect happened",
                        g.attempt, g.fault, g.first, g.last
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(p) = owner.iter().position(Option::is_none) {
        out.push(Violation::safety(NAME, None, format!("the event at position {} was written by no recorded attempt", p + 1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixture::{attempt, command, history, rejected, wrote};
    use crate::handler::AttemptRecord;
    use crate::store::Position;
    use crate::sim::CommandRecord;

    /// What the checker says of `commands` over a log of `events` events.
    fn judged(commands: Vec<CommandRecord<String>>, events: u64) -> Vec<String> {
        let mut out = Vec::new();
        check(&history(commands, events), &mut out);
        assert!(out.iter().all(|v| v.invariant() == NAME), "{out:?}");
        out.iter().map(ToString::to_string).collect()
    }

    fn one(found: &[String], needle: &str) {
        assert!(found.len() == 1 && found[0].contains(needle), "expected one violation saying {needle:?}, got {found:?}");
    }

    #[test]
    fn every_event_written_once_by_its_succeeding_command_passes() {
        let commands = vec![command(0, Outcome::Succeeded, vec![wrote(1, 2, 1, 2)]), command(1, Outcome::Succeeded, vec![attempt(1), wrote(2, 1, 3, 3)])];
        assert_eq!(judged(commands, 3), Vec::<String>::new());
        let failure_events = AttemptRecord { append: AppendRecord::Written { first: 1, last: 1 }, ..rejected(1, 1) };
        assert_eq!(judged(vec![command(0, Outcome::Rejected { reason: "no".into() }, vec![failure_events])], 1), Vec::<String>::new());
    }

    #[test]
    fn positions_must_run_1_2_3() {
        let mut h = history(vec![command(0, Outcome::Succeeded, vec![wrote(1, 2, 1, 2)])], 2);
        h.log[1].position = 3;
        let mut out = Vec::new();
        check(&h, &mut out);
        assert!(out.iter().any(|v| v.to_string().contains("log position 3 stands at index 1")), "{out:?}");
    }

    #[test]
    fn a_command_that_writes_twice_is_flagged() {
        let found = judged(vec![command(0, Outcome::Succeeded, vec![wrote(1, 1, 1, 1), wrote(2, 1, 2, 2)])], 2);
        one(&found, "wrote 2 times (attempts [1, 2], 0 behind an error)");
    }

    #[test]
    fn a_write_outside_the_log_is_flagged() {
        let beyond = judged(vec![command(0, Outcome::Succeeded, vec![wrote(1, 2, 2, 3)])], 2);
        assert!(beyond[0].contains("attempt 1 reports positions 2..=3 outside the log (1..=2)"), "{beyond:?}");
        let reversed = judged(vec![command(0, Outcome::Succeeded, vec![wrote(1, 1, 2, 1)])], 2);
        assert!(reversed[0].contains("reports positions 2..=1 outside the log"), "{reversed:?}");
        let zero = judged(vec![command(0, Outcome::Succeeded, vec![wrote(1, 1, 0, 0)])], 1);
        assert!(zero[0].contains("reports positions 0..=0 outside the log"), "{zero:?}");
    }

    #[test]
    fn two_commands_claiming_one_position_are_flagged() {
        let commands = vec![command(0, Outcome::Succeeded, vec![wrote(1, 1, 1, 1)]), command(1, Outcome::Succeeded, vec![wrote(1, 1, 1, 1)])];
        one(&judged(commands, 1), "position 1 is claimed by command #0 and by this one");
    }

    #[test]
    fn writing_more_or_fewer_events_than_decided_is_flagged() {
        one(&judged(vec![command(0, Outcome::Succeeded, vec![wrote(1, 2, 1, 1)])], 1), "attempt 1 wrote 1 events but decided 2");
        let idempotent_decision = AttemptRecord { decision: Some(DecisionRecord::Idempotent), ..wrote(1, 0, 1, 1) };
        one(&judged(vec![command(0, Outcome::Succeeded, vec![idempotent_decision])], 1), "attempt 1 wrote 1 events but decided 0");
    }

    #[test]
    fn writing_and_then_attempting_again_is_flagged() {
        let went_on = vec![wrote(1, 1, 1, 1), rejected(2, 0)];
        one(&judged(vec![command(0, Outcome::Rejected { reason: "no".into() }, went_on)], 1), "wrote in attempt 1 but went on to another attempt");
    }

    #[test]
    fn a_success_without_its_events_is_flagged() {
        one(&judged(vec![command(0, Outcome::Succeeded, vec![attempt(1)])], 0), "succeeded without its events in the log");
    }

    #[test]
    fn outcomes_that_must_not_write_are_flagged_when_they_did() {
        let failed = Outcome::Failed { error: crate::retry::ErrorKind::Other, message: "m".into() };
        for outcome in [Outcome::Idempotent, Outcome::Exhausted { attempts: 1 }, failed] {
            let label = outcome.label();
            one(&judged(vec![command(0, outcome, vec![wrote(1, 1, 1, 1)])], 1), &format!("outcome {label} but events were written"));
        }
    }

    #[test]
    fn a_rejection_writes_exactly_the_failure_events_it_decided() {
        let reject = || Outcome::Rejected { reason: "no".into() };
        one(&judged(vec![command(0, reject(), vec![rejected(1, 1)])], 0), "rejected with 1 failure events decided, but wrote: false");
        let wrote_without_failure_events = AttemptRecord { append: AppendRecord::Written { first: 1, last: 1 }, ..rejected(1, 0) };
        let found = judged(vec![command(0, reject(), vec![wrote_without_failure_events])], 1);
        assert!(found.iter().any(|f| f.contains("rejected with 0 failure events decided, but wrote: true")), "{found:?}");
        assert_eq!(judged(vec![command(0, reject(), vec![rejected(1, 0)])], 0), Vec::<String>::new());
    }

    #[test]
    fn an_event_no_attempt_wrote_is_flagged() {
        one(&judged(vec![command(0, Outcome::Succeeded, vec![wrote(1, 1, 1, 1)])], 2), "the event at position 2 was written by no recorded attempt");
    }

    /// A command whose attempt 1 decided `decided` events and got an
    /// ambiguous error from an append the store applied at `first..=last`
    /// (fault #7); attempt 2 is `then`, and the command ended `outcome`.
    fn behind_an_error(decided: u32, first: Position, last: Position, then: AttemptRecord, outcome: Outcome) -> History<String> {
        use std::time::Duration;

        use crate::retry::ErrorKind;
        use crate::sim::calls::{AppendResult, CallOp, StoreCall};
        use crate::sim::faults::{FaultKind, FaultRecord};
        let applied = Some((first, last));
        let op = CallOp::Append { events: decided, conditional: true, after: None, result: AppendResult::Error { error: ErrorKind::Transient, applied, message: "[fault #7]".into() } };
        let call = StoreCall { fault: Some(7), ..crate::check::fixture::call(op) };
        let first_attempt = AttemptRecord { decision: Some(DecisionRecord::Append { events: decided }), error: Some(ErrorKind::Transient), ..attempt(1) };
        let mut record = command(0, outcome, vec![first_attempt, then]);
        record.calls = vec![call];
        let mut h = history(vec![record], last);
        h.faults = vec![FaultRecord { id: 7, at: Duration::ZERO, kind: FaultKind::Ambiguous, applied, command: 0, call: 0 }];
        h
    }

    /// On the real clock a pause between a read and the append of the same
    /// attempt is the OS descheduling the thread, not a retry: the write
    /// behind the append's ambiguous error belongs to the attempt that
    /// decided it (it used to be numbered as on virtual time, as attempt 2,
    /// and flagged as written by an attempt that decided nothing).
    #[test]
    fn on_the_real_clock_a_pause_inside_an_attempt_keeps_its_write_behind_an_error() {
        use std::time::Duration;

        use crate::retry::ErrorKind;
        use crate::sim::calls::{AppendResult, CallOp, ReadResult, StoreCall};
        use crate::sim::derive::report_timed;
        use crate::sim::faults::{FaultKind, FaultRecord};
        use crate::store::{Query, ReadOptions};
        let us = Duration::from_micros;
        let read = |at: u64, slept: u64, count: u32| StoreCall {
            started_at: us(at),
            ended_at: us(at + 10),
            slept_before: us(slept),
            ..crate::check::fixture::call(CallOp::Read { query: Query::all(), options: ReadOptions::default(), independent: false, head: u64::from(count), result: ReadResult::Events { count, lowest: None, highest: None } })
        };
        let applied = Some((1, 1));
        let append = StoreCall {
            started_at: us(900),
            ended_at: us(910),
            fault: Some(4),
            ..crate::check::fixture::call(CallOp::Append { events: 1, conditional: true, after: None, result: AppendResult::Error { error: ErrorKind::Transient, applied, message: "[fault #4]".into() } })
        };
        // attempt 1: a read, 890 µs of descheduling, the ambiguous append;
        // attempt 2 (after a 10 ms backoff) sees its own write: idempotent
        let calls = vec![read(0, 0, 0), append, read(11_000, 10_000, 1)];
        let mut c = crate::check::fixture::calling(0, Outcome::Idempotent, calls.clone());
        c.report = report_timed(&calls, &Outcome::Idempotent, Duration::ZERO, Timing::Real);
        assert_eq!(c.report.attempts.len(), 2);
        let mut h = history(vec![c], 1);
        h.faults = vec![FaultRecord { id: 4, at: us(910), kind: FaultKind::Ambiguous, applied, command: 0, call: 1 }];
        let mut out = Vec::new();
        check_timed(&h, Timing::Real, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // Numbered as on virtual time, the pause would start attempt 2.
        check_timed(&h, Timing::Virtual, &mut out);
        assert!(out.iter().any(|v| v.to_string().contains("fault #4 applied 1 events for attempt 2")), "{out:?}");
    }

    fn judged_history(h: &History<String>) -> Vec<String> {
        let mut out = Vec::new();
        check(h, &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_whole_write_behind_an_error_recognised_by_the_retry_passes() {
        let idempotent = AttemptRecord { decision: Some(DecisionRecord::Idempotent), ..attempt(2) };
        assert_eq!(judged_history(&behind_an_error(2, 1, 2, idempotent, Outcome::Idempotent)), Vec::<String>::new());
    }

    #[test]
    fn a_partial_write_behind_an_error_is_flagged() {
        let idempotent = AttemptRecord { decision: Some(DecisionRecord::Idempotent), ..attempt(2) };
        let found = judged_history(&behind_an_error(3, 1, 2, idempotent, Outcome::Idempotent));
        assert!(found.iter().any(|f| f.contains("fault #7 applied 2 events for attempt 1, which decided Some(3)")), "{found:?}");
    }

    #[test]
    fn writing_again_after_a_write_behind_an_error_is_flagged() {
        let mut h = behind_an_error(1, 1, 1, wrote(2, 1, 2, 2), Outcome::Succeeded);
        h.log = history(vec![], 2).log;
        one(&judged_history(&h), "wrote 2 times (attempts [2, 1], 1 behind an error)");
    }

    #[test]
    fn rejecting_after_its_own_write_behind_an_error_is_flagged() {
        let found = judged_history(&behind_an_error(1, 1, 1, rejected(2, 0), Outcome::Rejected { reason: "no".into() }));
        one(&found, "rejected, but its own append of attempt 1 was applied behind an error (fault #7, positions 1..=1)");
    }

    #[test]
    fn a_fault_that_applied_an_append_no_error_names_is_flagged() {
        let idempotent = AttemptRecord { decision: Some(DecisionRecord::Idempotent), ..attempt(2) };
        let mut h = behind_an_error(2, 1, 2, idempotent, Outcome::Idempotent);
        h.faults[0].id = 8;
        let found = judged_history(&h);
        assert!(found.iter().any(|f| f.contains("fault #8 applied an append that no attempt's error names")), "{found:?}");
    }
}
