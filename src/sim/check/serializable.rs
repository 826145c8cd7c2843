//! **serializability**: the concurrent run is equivalent to running the
//! same commands one at a time, in log order, on a single-threaded store.
//!
//! Each completed command gets a serialization point: a command that wrote
//! events sits at its first position; a rejection or no-op that wrote
//! nothing sits just after the last position its final read saw (its
//! decision depended on nothing later). Commands are then re-run in that
//! order through the same [`Decider`] (and the same request-id rule, see
//! [`decide_request`]) on a sequential model of the log (the DCB read and
//! append definitions applied to a plain list, not a store engine), and each
//! must give the same outcome (succeeded / idempotent / rejected with the
//! same reason) and write the same events at the same positions as in the
//! real run. The first mismatch is reported (later ones are consequences).
//!
//! A write applied behind an error (ambiguous commit, timeout after the
//! write; see [`History::ghost_writes`]) sits at its first position too:
//! re-run there, the command must decide exactly the events that were
//! written; its outcome is not compared (the caller never saw one).
//!
//! Not verified: the outcomes of commands that ended `Exhausted` or
//! `Failed` (they depend on timing, not on state; `log-consistency` checks
//! they wrote nothing visible); correctness of the decider itself (the
//! domain checkers fold the log with an independent model for that).

use crate::handler::request::{decide_request, request_tag};
use crate::handler::{AppendRecord, Decider, Decision, Outcome};
use crate::sim::{History, Scenario, Violation};
use crate::store::{Event, NameKind, Position, Query, SequencedEvent, StoreError, validate_append, validate_name};

/// The invariant's name.
pub const NAME: &str = "serializability";

/// Checks `history` against a sequential re-run through `decider`.
pub fn check<D: Decider>(decider: &D, scenario: &Scenario<D::Command>, history: &History<D::Command>, out: &mut Vec<Violation>) {
    // (position, 0 = write / 1 = read-only decision, command, ghost write range)
    let mut order = Vec::with_capacity(history.commands.len());
    for (i, c) in history.commands.iter().enumerate() {
        let Some(last) = c.report.attempts.last() else { continue };
        match (&last.append, c.outcome()) {
            (AppendRecord::Written { first, .. }, _) => order.push((*first, 0u8, i, None)),
            (_, Outcome::Rejected { .. } | Outcome::Idempotent) => order.push((last.read_after.unwrap_or(0), 1, i, None)),
            _ => {}
        }
    }
    for g in history.ghost_writes().into_iter().flatten() {
        order.push((g.first, 0, g.command, Some((g.first, g.last))));
    }
    order.sort_unstable();
    let mut model = Model::default();
    for (_, _, i, ghost) in order {
        let c = &history.commands[i];
        let own = decider.query(&c.command);
        let tag = scenario.request_id(c.index).map(|id| request_tag(&id));
        let events = match model.read(&own, tag.as_deref()) {
            Ok(events) => events,
            Err(e) => {
                out.push(Violation::safety(NAME, Some(c.index), format!("the sequential model could not read: {e}")));
                return;
            }
        };
        let (expected, to_write) = match decide_request(decider, &c.command, &own, tag.as_deref(), &events) {
            Decision::Append(events) => (Outcome::Succeeded, events),
            Decision::Idempotent => (Outcome::Idempotent, Vec::new()),
            Decision::Reject { reason, events } => (Outcome::Rejected { reason }, events),
        };
        if ghost.is_none() && *c.outcome() != expected {
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
        let (first, last) = match (ghost, c.report.attempts.last().map(|a| &a.append)) {
            (Some(range), _) => range,
            (None, Some(AppendRecord::Written { first, last })) => (*first, *last),
            _ => {
                out.push(Violation::safety(NAME, Some(c.index), format!("\"{}\" should have written {} events in log order but wrote none", c.command, to_write.len())));
                return;
            }
        };
        let (first, last) = (&first, &last);
        let actual = history.log.get(*first as usize - 1..*last as usize).unwrap_or(&[]);
        if actual.len() != to_write.len() || actual.iter().zip(&to_write).any(|(a, e)| *a.event != *e) {
            out.push(Violation::safety(NAME, Some(c.index), format!("\"{}\" wrote other events at {first}..={last} than it writes in log order", c.command)));
            return;
        }
        match model.append(to_write) {
            Ok(pos) if pos == *last => {}
            other => {
                out.push(Violation::safety(NAME, Some(c.index), format!("in log order \"{}\" lands at {other:?}, in the run at {first}..={last}", c.command)));
                return;
            }
        }
    }
}

/// The sequential model: the log as the commands write it one at a time.
/// Reads and appends follow the DCB definitions directly, not a store
/// engine's code: a read returns, in log order, every event its query
/// selects; an append puts its events at the next positions.
#[derive(Debug, Default)]
struct Model {
    log: Vec<SequencedEvent>,
}

impl Model {
    /// What the shell reads for a request (`request_query(own, tag)`): the
    /// events `own` matches or that carry the request's tag.
    fn read(&self, own: &Query, tag: Option<&str>) -> Result<Vec<SequencedEvent>, StoreError> {
        own.validate()?;
        if let Some(tag) = tag {
            validate_name(NameKind::Tag, tag)?;
        }
        Ok(self.log.iter().filter(|e| own.matches(&e.event) || tag.is_some_and(|t| e.event.has_tag(t))).cloned().collect())
    }

    /// Appends `events` unconditionally; returns the last position.
    fn append(&mut self, events: Vec<Event>) -> Result<Position, StoreError> {
        validate_append(&events, None)?;
        for event in events {
            let position = self.log.len() as Position + 1;
            self.log.push(SequencedEvent::new(position, event));
        }
        Ok(self.log.len() as Position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::request::request_query;
    use crate::store::{MemoryStore, QueryItem, ReadOptions};

    /// The model selects, appends and numbers exactly as the reference
    /// engine does for what the shell sends it: reads of `request_query`.
    #[test]
    fn the_model_reads_and_appends_as_the_memory_engine_does() {
        let ev = |ty: &str, tags: &[&str]| Event::new(ty, tags.iter().copied(), "").expect("valid");
        let events = vec![ev("A", &["k:1"]), ev("B", &["k:1", "request:7"]), ev("A", &["k:2", "request:7"]), ev("C", &["k:2"]), ev("A", &["k:1", "request:8"])];
        let (mut model, store) = (Model::default(), MemoryStore::new());
        assert_eq!(model.append(events[..2].to_vec()), store.append_now(events[..2].to_vec(), None));
        assert_eq!(model.append(events[2..].to_vec()), store.append_now(events[2..].to_vec(), None));
        let own = Query::from_items(vec![QueryItem::new().types(["A", "B"]).tags(["k:1"])]).expect("valid");
        for tag in [None, Some("request:7"), Some("request:8"), Some("request:9")] {
            let expected = match tag {
                Some(t) => store.read_now(&request_query(&own, t), ReadOptions::default()),
                None => store.read_now(&own, ReadOptions::default()),
            };
            assert_eq!(model.read(&own, tag), expected, "tag {tag:?}");
        }
        // The case that needs both: own matches 1, 2, 5; request:7 adds 3.
        let positions: Vec<Position> = model.read(&own, Some("request:7")).expect("valid").iter().map(|e| e.position).collect();
        assert_eq!(positions, vec![1, 2, 3, 5]);
        // Invalid input is refused as the engine refuses it.
        assert_eq!(model.append(Vec::new()), store.append_now(Vec::new(), None));
        assert_eq!(model.read(&own, Some("")), store.read_now(&request_query(&own, ""), ReadOptions::default()));
    }
}
