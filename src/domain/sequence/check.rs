//! **sequence** (hot key): the sequence hands out 1, 2, 3, … in log order,
//! each number once, each client at most one number, and every client
//! whose command took effect holds exactly one.
//!
//! Folds the final log with its own model (not the decider): the `k`-th
//! `NumberTaken` of the sequence must carry `k` (a repeat is two clients
//! that both passed a condition on the same read; a jump is a number taken
//! from a stale or foreign state); its `client:<n>` tag must be new; a
//! command that ended `Succeeded` or `Idempotent` must find its client's
//! number in the log, and one that ended otherwise (exhausted, failed) must
//! not, unless the fault journal shows an append of it applied behind an
//! error (a ghost write, which `log-consistency` accounts for).
//!
//! Not verified: which client got which number (any order is correct) or
//! how long it took (the tuning lab measures that).

use std::collections::BTreeMap;

use crate::domain::sequence::{NUMBER_TAKEN, SEQUENCE_TAG, TakeNumber, client_tag, number};
use crate::handler::Outcome;
use crate::sim::{History, Violation};

/// The invariant's name.
pub const NAME: &str = "sequence";

/// Checks the log and the outcomes.
pub fn check(history: &History<TakeNumber>, out: &mut Vec<Violation>) {
    let mut holder: BTreeMap<String, u64> = BTreeMap::new();
    let mut expected = 1;
    for e in history.log.iter().filter(|e| e.event.event_type == NUMBER_TAKEN && e.event.has_tag(SEQUENCE_TAG)) {
        let position = e.position;
        let Some(n) = number(&e.event) else {
            out.push(Violation::safety(NAME, None, format!("position {position}: NumberTaken without a number ({:?})", e.event.data)));
            continue;
        };
        if n != expected {
            let what = if n < expected { "a number already taken" } else { "a gap" };
            out.push(Violation::safety(NAME, None, format!("position {position}: number {n} where {expected} was next ({what})")));
        }
        expected = expected.max(n + 1);
        for tag in e.event.tags.iter().map(|t| t.as_str()).filter(|t| t.starts_with("client:")) {
            if let Some(first) = holder.insert(tag.to_string(), n) {
                out.push(Violation::safety(NAME, None, format!("position {position}: {tag} takes number {n} but already holds {first}")));
            }
        }
    }
    let ghosts: Vec<usize> = history.ghost_writes().into_iter().filter_map(Result::ok).map(|g| g.command).collect();
    for c in &history.commands {
        let held = holder.contains_key(&client_tag(c.command.client));
        let done = matches!(c.outcome(), Outcome::Succeeded | Outcome::Idempotent);
        if done && !held {
            out.push(Violation::safety(NAME, Some(c.index), format!("{} ended {} but holds no number", c.command, c.outcome().label())));
        } else if !done && held && !ghosts.contains(&c.index) {
            out.push(Violation::safety(NAME, Some(c.index), format!("{} ended {} but holds a number", c.command, c.outcome().label())));
        }
    }
}
