//! **dcb-soundness**: no successful append missed an event its decision
//! depended on (no lost update, no stale decision) — checked from the
//! recorded store calls alone, for any handler, with no domain model.
//!
//! # Definition
//!
//! Take an append `A` of command `c` that wrote positions `p..=q` (returned
//! to the handler, or applied behind an injected error). The reads that
//! count for `A` are **all reads `c` made before `A`** — in the same attempt
//! and in earlier ones (a retry that appends without re-reading still
//! depends on the old read) — that returned events, except those the
//! handler marked with [`Ctx::read_independent`](crate::handler::Ctx::read_independent).
//!
//! Each such read `r` has a query `Q` and a covered range `lo..=hi`
//! ([`covered`](fn@crate::sim::covered)): the positions it scanned in full —
//! up to the store's head when it ran, or only up to the last event it
//! returned when its `limit` cut it short (a backwards `limit 1` "head"
//! read covers just the head).
//!
//! An event `e` of the final log is a **missed dependency** of `A` when
//! `pos(e) < p`, `c` did not write `e` itself, some counted read's `Q`
//! matches `e` with `hi < pos(e)` (it was written after that read looked),
//! and no counted read whose `Q` matches `e` covered `pos(e)` (no later read
//! saw it). The first missed dependency of each append is reported.
//!
//! A correct handler — read `Q`, decide, append with the condition `Q` and
//! `after` = the last position read — can never violate this: any such `e`
//! matches the condition after `after` and fails the append. A condition
//! narrower than the read, a wrong `after` (e.g. the larger of two separate
//! reads), a retry that reuses a stale read, and a store that checks and
//! inserts non-atomically all can.
//!
//! Not verified: a handler that re-reads and then ignores what it read (the
//! store boundary cannot see it; domain invariants and the decider re-run
//! catch that), and reads whose results the store got wrong (the
//! conformance suite's job).

use crate::sim::calls::{CallOp, ReadResult, covered};
use crate::sim::{History, Violation};
use crate::store::{Position, Query, SequencedEvent};

/// The invariant's name.
pub const NAME: &str = "dcb-soundness";

/// One counted read: its query and covered range.
struct Dep<'a> {
    query: &'a Query,
    lo: Position,
    hi: Position,
}

/// Checks every append of every command.
pub fn check<C>(history: &History<C>, out: &mut Vec<Violation>) {
    let log = &history.log;
    let mut deps: Vec<Dep<'_>> = Vec::new();
    for c in &history.commands {
        if !c.calls.iter().any(|call| call.wrote().is_some()) {
            continue; // wrote nothing: nothing to check
        }
        let is_own = |p: Position| c.calls.iter().filter_map(|call| call.wrote()).any(|(f, l)| (f..=l).contains(&p));
        deps.clear();
        for call in &c.calls {
            match &call.op {
                CallOp::Read { query, options, independent: false, head, result: ReadResult::Events { count, lowest, highest } } => {
                    let (lo, hi) = covered(options, *head, *count, *lowest, *highest);
                    deps.push(Dep { query, lo, hi });
                }
                CallOp::Append { .. } => {
                    let Some((p, _)) = call.wrote() else { continue };
                    if let Some((e, dep)) = first_missed(log, &deps, p, &is_own) {
                        out.push(Violation::safety(
                            NAME,
                            Some(c.index),
                            format!(
                                "position {}: missed dependency: this {} event matches its read of {} (which covered positions up to {}) but was written after that read and before its append at {p}; the append's condition should have failed",
                                e.position,
                                e.event.event_type,
                                describe(dep.query),
                                dep.hi,
                            ),
                        ));
                    }
                }
                CallOp::Read { .. } => {}
            }
        }
    }
}

/// The first event before position `p` that a counted read should have
/// seen but none did.
fn first_missed<'l, 'd, 'q>(log: &'l [SequencedEvent], deps: &'d [Dep<'q>], p: Position, is_own: &impl Fn(Position) -> bool) -> Option<(&'l SequencedEvent, &'d Dep<'q>)> {
    let from = deps.iter().map(|d| d.hi).min()?;
    if from.saturating_add(1) >= p {
        return None; // every read saw up to just before the append
    }
    let start = log.partition_point(|e| e.position <= from);
    log[start..].iter().take_while(|e| e.position < p).filter(|e| !is_own(e.position)).find_map(|e| {
        let missed_by = deps.iter().find(|d| d.hi < e.position && d.query.matches(&e.event))?;
        let seen = deps.iter().any(|d| (d.lo..=d.hi).contains(&e.position) && d.query.matches(&e.event));
        (!seen).then_some((e, missed_by))
    })
}

/// A compact rendering of a query for messages.
fn describe(query: &Query) -> String {
    match query {
        Query::All => "all events".to_string(),
        Query::Items(items) => items
            .iter()
            .map(|i| {
                let types = if i.types.is_empty() { "*".to_string() } else { i.types.join("|") };
                let tags: Vec<&str> = i.tags.iter().map(|t| t.as_str()).collect();
                format!("{types}[{}]", tags.join(","))
            })
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::handler::{HandleReport, Outcome};
    use crate::sim::calls::{AppendResult, StoreCall};
    use crate::sim::CommandRecord;
    use crate::store::{Event, QueryItem, ReadOptions};

    fn q(tag: &str) -> Query {
        Query::from_item(QueryItem::new().tags([tag])).unwrap()
    }

    fn read(query: Query, options: ReadOptions, head: Position, returned: &[Position]) -> StoreCall {
        let result = ReadResult::Events { count: returned.len() as u32, lowest: returned.iter().copied().min(), highest: returned.iter().copied().max() };
        crate::check::fixture::call(CallOp::Read { query, options, independent: false, head, result })
    }

    fn append(first: Position, last: Position) -> StoreCall {
        crate::check::fixture::call(CallOp::Append { events: (last - first + 1) as u32, conditional: true, after: None, result: AppendResult::Written { first, last } })
    }

    /// A log with one event per tag, at positions 1, 2, 3, …
    fn history(tags: &[&str], commands: Vec<Vec<StoreCall>>) -> History<String> {
        let log = tags.iter().enumerate().map(|(i, t)| SequencedEvent::new(i as u64 + 1, Event::new("E", [*t], "").unwrap())).collect();
        let commands = commands
            .into_iter()
            .enumerate()
            .map(|(index, calls)| CommandRecord {
                index,
                client: Some(index as u32),
                command: format!("c{index}"),
                started_at: Duration::ZERO,
                ended_at: Duration::ZERO,
                report: HandleReport { outcome: Outcome::Succeeded, attempts: vec![], total_delay: Duration::ZERO },
                calls,
                probes: vec![],
            })
            .collect();
        History { seed: 0, commands, log, faults: vec![], metrics: Default::default(), schedule: None }
    }

    fn violations(h: &History<String>) -> Vec<Violation> {
        let mut out = Vec::new();
        check(h, &mut out);
        out
    }

    const ALL: ReadOptions = ReadOptions { from: None, backwards: false, limit: None };

    #[test]
    fn an_append_after_a_read_that_saw_everything_is_sound() {
        // Reads a at head 1 (sees position 1), appends at 2.
        let h = history(&["a", "a"], vec![vec![read(q("a"), ALL, 1, &[1]), append(2, 2)]]);
        assert!(violations(&h).is_empty());
    }

    #[test]
    fn a_matching_event_between_read_and_append_is_a_missed_dependency() {
        // Command 0 reads a at head 1, someone writes a at 2, command 0 appends at 3.
        let h = history(&["a", "a", "a"], vec![vec![read(q("a"), ALL, 1, &[1]), append(3, 3)], vec![append(2, 2)]]);
        let v = violations(&h);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].to_string().contains("position 2: missed dependency"), "{v:?}");
    }

    #[test]
    fn an_event_outside_the_read_query_is_no_dependency() {
        let h = history(&["a", "b", "a"], vec![vec![read(q("a"), ALL, 1, &[1]), append(3, 3)], vec![append(2, 2)]]);
        assert!(violations(&h).is_empty());
    }

    #[test]
    fn a_later_read_that_saw_the_event_covers_it() {
        // A retry: the first read missed position 2, the second saw it.
        let h = history(&["a", "a", "a"], vec![vec![read(q("a"), ALL, 1, &[1]), read(q("a"), ALL, 2, &[1, 2]), append(3, 3)], vec![append(2, 2)]]);
        assert!(violations(&h).is_empty());
    }

    #[test]
    fn a_head_read_does_not_cover_what_it_did_not_scan() {
        // Stale retry: reads a at head 1, later only a backwards limit-1
        // head read (head 3, returns 3), appends at 4: position 2 was never seen.
        let head = ReadOptions { from: None, backwards: true, limit: Some(1) };
        let calls = vec![read(q("a"), ALL, 1, &[1]), read(Query::all(), head, 3, &[3]), append(4, 4)];
        let h = history(&["a", "a", "b", "a"], vec![calls, vec![append(2, 3)]]);
        let v = violations(&h);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].to_string().contains("position 2:"), "{v:?}");
    }

    #[test]
    fn an_independent_read_and_the_commands_own_writes_are_no_dependencies() {
        let mut independent = read(q("a"), ALL, 0, &[]);
        if let CallOp::Read { independent: flag, .. } = &mut independent.op {
            *flag = true;
        }
        let h = history(&["a", "a"], vec![vec![independent, append(2, 2)], vec![append(1, 1)]]);
        assert!(violations(&h).is_empty());
        // Its own earlier write (e.g. behind an ambiguous commit) is not missed either.
        let h = history(&["a", "a"], vec![vec![read(q("a"), ALL, 0, &[]), append(1, 1), append(2, 2)]]);
        assert!(violations(&h).is_empty());
    }
}
