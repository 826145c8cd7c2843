//! **serializability**: the concurrent run is equivalent to running the
//! same commands one at a time, in log order, on a single-threaded store.
//!
//! Each completed command gets a serialization point: a command that wrote
//! events sits at its first position; a rejection or no-op that wrote
//! nothing sits just after the last position its final read saw (its
//! decision depended on nothing later). Commands are then re-run in that
//! order through the same [`Decider`] on a fresh [`MemoryStore`], and each
//! must give the same outcome (succeeded / idempotent / rejected with the
//! same reason) and write the same events at the same positions as in the
//! real run. The first mismatch is reported (later ones are consequences).
//!
//! Not verified: commands that ended `Exhausted` or `Failed` (they wrote
//! nothing, which `log-consistency` checks; their outcome depends on
//! timing, not on state); correctness of the decider itself (the domain
//! checkers fold the log with an independent model for that).

use crate::handler::{AppendRecord, Decider, Decision, Outcome};
use crate::sim::{History, Violation};
use crate::store::{MemoryStore, ReadOptions};

/// The invariant's name.
pub const NAME: &str = "serializability";

/// Checks `history` against a sequential re-run through `decider`.
pub fn check<D: Decider>(decider: &D, history: &History<D::Command>, out: &mut Vec<Violation>) {
    let mut order = Vec::with_capacity(history.commands.len());
    for (i, c) in history.commands.iter().enumerate() {
        let Some(last) = c.report.attempts.last() else { continue };
        match (&last.append, c.outcome()) {
            (AppendRecord::Written { first, .. }, _) => order.push((*first, 0u8, i)),
            (_, Outcome::Rejected { .. } | Outcome::Idempotent) => order.push((last.read_after.unwrap_or(0), 1, i)),
            _ => {}
        }
    }
    order.sort_unstable();
    let model = MemoryStore::new();
    for (_, _, i) in order {
        let c = &history.commands[i];
        let events = match model.read_now(&decider.query(&c.command), ReadOptions::default()) {
            Ok(events) => events,
            Err(e) => {
                out.push(Violation::safety(NAME, Some(c.index), format!("the sequential model could not read: {e}")));
                return;
            }
        };
        let (expected, to_write) = match decider.decide(&c.command, &events) {
            Decision::Append(events) => (Outcome::Succeeded, events),
            Decision::Idempotent => (Outcome::Idempotent, Vec::new()),
            Decision::Reject { reason, events } => (Outcome::Rejected { reason }, events),
        };
        if *c.outcome() != expected {
            out.push(Violation::safety(
                NAME,
                Some(c.index),
                format!("\"{}\" ended \"{}\", but run alone in log order it would end \"{expected}\"", c.command, c.outcome()),
            ));
            return;
        }
        if to_write.is_empty() {
            continue;
        }
        let Some(AppendRecord::Written { first, last }) = c.report.attempts.last().map(|a| &a.append) else {
            out.push(Violation::safety(NAME, Some(c.index), format!("\"{}\" should have written {} events in log order but wrote none", c.command, to_write.len())));
            return;
        };
        let actual = history.log.get(*first as usize - 1..*last as usize).unwrap_or(&[]);
        if actual.len() != to_write.len() || actual.iter().zip(&to_write).any(|(a, e)| *a.event != *e) {
            out.push(Violation::safety(NAME, Some(c.index), format!("\"{}\" wrote other events at {first}..={last} than it writes in log order", c.command)));
            return;
        }
        match model.append_unchecked(to_write) {
            Ok(pos) if pos == *last => {}
            other => {
                out.push(Violation::safety(NAME, Some(c.index), format!("in log order \"{}\" lands at {other:?}, in the run at {first}..={last}", c.command)));
                return;
            }
        }
    }
}
