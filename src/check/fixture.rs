//! Hand-built histories for the checkers' unit tests: one command's
//! attempts and outcome, written directly rather than run, so that a test
//! can present a checker with exactly the bug it must see.

use std::time::Duration;

use crate::handler::{AppendRecord, AttemptRecord, DecisionRecord, HandleReport, Outcome};
use crate::retry::ErrorKind;
use crate::sim::calls::{CallOp, StoreCall};
use crate::sim::{CommandRecord, History};
use crate::store::{Event, Position, SequencedEvent};

/// Attempt `n`: no read, no decision, no append, no error.
pub(crate) fn attempt(n: u32) -> AttemptRecord {
    AttemptRecord {
        attempt: n,
        delay_before: Duration::ZERO,
        started_at: Duration::ZERO,
        ended_at: Duration::ZERO,
        read_after: None,
        read_events: 0,
        decision: None,
        append: AppendRecord::NotAttempted,
        error: None,
    }
}

/// Attempt `n` that ended with an error of `kind`.
pub(crate) fn failed(n: u32, kind: ErrorKind) -> AttemptRecord {
    AttemptRecord { error: Some(kind), ..attempt(n) }
}

/// Attempt `n` that decided `decided` events and wrote `first..=last`.
pub(crate) fn wrote(n: u32, decided: u32, first: Position, last: Position) -> AttemptRecord {
    AttemptRecord { decision: Some(DecisionRecord::Append { events: decided }), append: AppendRecord::Written { first, last }, ..attempt(n) }
}

/// Attempt `n` that rejected with `events` failure events (and did not write them).
pub(crate) fn rejected(n: u32, events: u32) -> AttemptRecord {
    AttemptRecord { decision: Some(DecisionRecord::Reject { reason: "no".into(), events }), error: Some(ErrorKind::Business), ..attempt(n) }
}

/// A client command (number `index`) with these attempts and outcome.
pub(crate) fn command(index: usize, outcome: Outcome, attempts: Vec<AttemptRecord>) -> CommandRecord<String> {
    let report = HandleReport { outcome, attempts, total_delay: Duration::ZERO };
    CommandRecord { index, client: Some(index as u32), command: format!("c{index}"), started_at: Duration::ZERO, ended_at: Duration::ZERO, report, calls: vec![], probes: vec![] }
}

/// A client command (number `index`) that made `calls` and ended
/// `outcome` (no attempts recorded: for checkers that read the calls).
pub(crate) fn calling(index: usize, outcome: Outcome, calls: Vec<StoreCall>) -> CommandRecord<String> {
    CommandRecord { calls, ..command(index, outcome, vec![]) }
}

/// The store call `op`, made at time zero, without a sleep before it or a fault.
pub(crate) fn call(op: CallOp) -> StoreCall {
    StoreCall { started_at: Duration::ZERO, ended_at: Duration::ZERO, slept_before: Duration::ZERO, fault: None, op }
}

/// A history of `commands` over a log of `events` events at positions 1, 2, 3, ….
pub(crate) fn history(commands: Vec<CommandRecord<String>>, events: u64) -> History<String> {
    let log = (1..=events).map(|p| SequencedEvent::new(p, Event::new("E", ["t"], "").expect("a valid event"))).collect();
    History { seed: 0, commands, log, faults: vec![], metrics: Default::default(), schedule: None }
}
