//! **serializability**: the concurrent run is equivalent to running the
//! same commands one at a time, in log order, on a single-threaded store.
//!
//! Each completed command gets a serialization point: a command that wrote
//! events sits at its first position; a rejection or no-op that wrote
//! nothing sits just after the last position its final read saw (its
//! decision depended on nothing later). Commands are then re-run in that
//! order through the same [`Decider`] (and the same request-id rule, see
//! [`decide_request`]) on a fresh [`MemoryStore`], and each
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
use crate::store::{MemoryStore, Query, QueryItem, ReadOptions, SequencedEvent, StoreError};

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
    let model = MemoryStore::new();
    for (_, _, i, ghost) in order {
        let c = &history.commands[i];
        let own = decider.query(&c.command);
        let tag = scenario.request_id(c.index).map(|id| request_tag(&id));
        // The shell reads `own` OR the request's tag (`request_query`). The
        // model reads the two apart, which selects the same events without
        // copying the decider's query items into a new query per command.
        let events = match read_request(&model, &own, tag.as_deref()) {
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
        match model.append_now(to_write, None) {
            Ok(pos) if pos == *last => {}
            other => {
                out.push(Violation::safety(NAME, Some(c.index), format!("in log order \"{}\" lands at {other:?}, in the run at {first}..={last}", c.command)));
                return;
            }
        }
    }
}

/// What `request_query(own, tag)` reads from `model`: the events `own`
/// matches, merged in log order with those carrying `tag`.
fn read_request(model: &MemoryStore, own: &Query, tag: Option<&str>) -> Result<Vec<SequencedEvent>, StoreError> {
    let mut events = model.read_now(own, ReadOptions::default())?;
    let Some(tag) = tag else { return Ok(events) };
    let tagged = model.read_now(&Query::from_item(QueryItem::new().tags([tag]))?, ReadOptions::default())?;
    if tagged.is_empty() {
        return Ok(events);
    }
    events.extend(tagged);
    events.sort_by_key(|e| e.position);
    events.dedup_by_key(|e| e.position);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::request::request_query;
    use crate::store::Event;

    #[test]
    fn reading_the_request_apart_selects_what_the_request_query_selects() {
        let model = MemoryStore::new();
        let ev = |ty: &str, tags: &[&str]| Event::new(ty, tags.iter().copied(), "").expect("valid");
        model
            .append_now(
                vec![
                    ev("A", &["k:1"]),
                    ev("B", &["k:1", "request:7"]),
                    ev("A", &["k:2", "request:7"]),
                    ev("C", &["k:2"]),
                    ev("A", &["k:1", "request:8"]),
                ],
                None,
            )
            .expect("valid events");
        let own = Query::from_items(vec![QueryItem::new().types(["A", "B"]).tags(["k:1"])]).expect("valid");
        for tag in [None, Some("request:7"), Some("request:8"), Some("request:9")] {
            let expected = match tag {
                Some(t) => model.read_now(&request_query(&own, t), ReadOptions::default()),
                None => model.read_now(&own, ReadOptions::default()),
            }
            .expect("valid");
            let positions = |es: &[SequencedEvent]| es.iter().map(|e| e.position).collect::<Vec<_>>();
            let got = read_request(&model, &own, tag).expect("valid");
            assert_eq!(positions(&got), positions(&expected), "tag {tag:?}");
        }
        // And the case that needs the merge: own matches 1, 2, 5; request:7 adds 3.
        assert_eq!(read_request(&model, &own, Some("request:7")).expect("valid").iter().map(|e| e.position).collect::<Vec<_>>(), vec![1, 2, 3, 5]);
    }
}
