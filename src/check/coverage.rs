//! **Coverage probes**: what one run exercised, derived from its recorded
//! store calls — not an invariant (a probe never fails a run), but the
//! evidence that a green run tested something. [`Coverage`](crate::explore::Coverage)
//! sums them over a whole exploration, and a required probe that never
//! fired fails a [`Check`](crate::explore::Check) (a vacuous run).
//!
//! The built-in probes, for any workload (the names are stable: require
//! them by name):
//!
//! | probe | fires when |
//! |---|---|
//! | `conflict on attempt N` | an attempt numbered N ended in a concurrency conflict |
//! | `outcome L` | a command ended `succeeded`, `idempotent`, `rejected`, `exhausted` or `failed` |
//! | `rejected: R` | a command was rejected for reason R (numbers in parentheses and the final dot dropped) |
//! | `retry after K` | an attempt followed one that ended in an error of kind K (`concurrency_conflict`, `transient`, …) |
//! | `fault F on read` / `fault F on append` | a fault of kind F (`Spike`, `Unavailable`, `TimeoutBefore`, `TimeoutAfter`, `Ambiguous`, `Crash`) hit a read / an append |
//! | `fault on attempt N` | a fault hit a call of attempt N |
//! | `ghost write` | an append was applied behind an error (the caller saw the error) |
//! | `boundary shared by N+ commands` | N or more commands had an attempt in flight at once (from its first read to its end) whose reads asked for one tag (N ≥ 2; the largest N of a run fires every smaller one too) |
//! | `read returned nothing` | a read (counted or independent) returned no event |
//! | `append without a condition` | an append carried no condition |
//! | *your name* | a handler's [`Ctx::sometimes`](crate::handler::Ctx::sometimes) held, or its [`Ctx::reachable`](crate::handler::Ctx::reachable) was reached (the name verbatim; one hit per time) |
//!
//! A workload adds its own from a finished run ([`Workload::probes`](crate::sim::Workload::probes)).

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use crate::retry::ErrorKind;
use crate::sim::derive::attempt_numbers;
use crate::sim::{AppendResult, CallOp, History, ReadResult};

/// Calls `hit` once per probe occurrence in `history` (a probe can fire
/// several times in one run).
pub fn probes<C>(history: &History<C>, hit: &mut dyn FnMut(&str)) {
    let mut name = String::new();
    let mut named = |hit: &mut dyn FnMut(&str), args: std::fmt::Arguments<'_>| {
        name.clear();
        name.write_fmt(args).expect("writing to a String");
        hit(&name);
    };
    // (boundary key, from, to) of every attempt that read something, once
    // per tag (or type) its first read asked for.
    let mut keys: Vec<u64> = Vec::new();
    let mut spans: Vec<(u64, std::time::Duration, std::time::Duration)> = Vec::new();
    for c in &history.commands {
        named(hit, format_args!("outcome {}", c.report.outcome.label()));
        if let crate::handler::Outcome::Rejected { reason } = &c.report.outcome {
            named(hit, format_args!("rejected: {}", reason.split(" (").next().unwrap_or(reason).trim_end_matches('.')));
        }
        for p in &c.probes {
            for _ in 0..p.hits {
                hit(&p.name);
            }
        }
        let mut previous: Option<ErrorKind> = None;
        for a in &c.report.attempts {
            if a.error == Some(ErrorKind::Conflict) {
                named(hit, format_args!("conflict on attempt {}", a.attempt));
            }
            if let Some(kind) = previous {
                named(hit, format_args!("retry after {}", kind.label()));
            }
            previous = a.error;
        }
        let numbers = attempt_numbers(&c.calls);
        let mut open: Option<(u32, std::time::Duration)> = None;
        for (call, attempt) in c.calls.iter().zip(&numbers) {
            if let Some((n, from)) = open
                && n != *attempt
            {
                spans.extend(keys.iter().map(|&key| (key, from, end_of(c, n))));
                open = None;
            }
            match &call.op {
                CallOp::Read { query, result, .. } => {
                    if matches!(result, ReadResult::Events { count: 0, .. }) {
                        hit("read returned nothing");
                    }
                    if open.is_none() {
                        open = Some((*attempt, call.started_at));
                        keys.clear();
                        boundary_keys(query, &mut keys);
                    }
                }
                CallOp::Append { conditional, result, .. } => {
                    if !conditional {
                        hit("append without a condition");
                    }
                    if matches!(result, AppendResult::Error { applied: Some(_), .. }) {
                        hit("ghost write");
                    }
                }
            }
            if let Some(id) = call.fault
                && let Some(f) = history.faults.iter().find(|f| f.id == id)
            {
                let op = if call.is_append() { "append" } else { "read" };
                named(hit, format_args!("fault {:?} on {op}", f.kind));
                named(hit, format_args!("fault on attempt {attempt}"));
            }
        }
        if let Some((n, from)) = open {
            spans.extend(keys.iter().map(|&key| (key, from, end_of(c, n))));
        }
    }
    for n in 2..=most_in_flight(&mut spans) {
        named(hit, format_args!("boundary shared by {n}+ commands"));
    }
}

/// When attempt `n` of `c` ended (the command's end when it is not recorded).
fn end_of<C>(c: &crate::sim::CommandRecord<C>, n: u32) -> std::time::Duration {
    c.report.attempts.iter().find(|a| a.attempt == n).map_or(c.ended_at, |a| a.ended_at)
}

/// The parts of a consistency boundary a read asked for: each tag of its
/// query's items (an item without tags: each of its types), hashed; a read
/// of everything is one key of its own. Two commands share a boundary when
/// their reads share a key.
fn boundary_keys(query: &crate::store::Query, keys: &mut Vec<u64>) {
    let hash = |kind: u8, s: &str| {
        let mut h = crate::util::fnv::Fnv64::default();
        (kind, s).hash(&mut h);
        h.finish()
    };
    match query {
        crate::store::Query::All => keys.push(0),
        crate::store::Query::Items(items) => {
            for item in items.iter() {
                if item.tags.is_empty() {
                    keys.extend(item.types.iter().map(|t| hash(1, t)));
                } else {
                    keys.extend(item.tags.iter().map(|t| hash(2, t.as_str())));
                }
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
}

/// The most spans of one key that overlap at one instant.
fn most_in_flight(spans: &mut [(u64, std::time::Duration, std::time::Duration)]) -> usize {
    spans.sort_unstable();
    let mut best = usize::from(!spans.is_empty());
    for (i, &(key, from, _)) in spans.iter().enumerate() {
        // spans of `key` that started at or before `from` and end after it
        let live = spans[..=i].iter().rev().take_while(|s| s.0 == key).filter(|s| s.2 > from).count();
        best = best.max(live);
    }
    best
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::fixture::{attempt, command, failed, history};
    use crate::handler::{AttemptRecord, Outcome};
    use crate::sim::faults::{FaultKind, FaultRecord};
    use crate::sim::{StoreCall, UserProbe};
    use crate::store::{Query, QueryItem, ReadOptions};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// A call made from `from` to `to` (microseconds).
    fn call(from: u64, to: u64, op: CallOp) -> StoreCall {
        StoreCall { started_at: us(from), ended_at: us(to), ..crate::check::fixture::call(op) }
    }

    /// A read of `query` that returned `count` events (at position 1), or failed with `error`.
    fn read(query: Query, count: u32, error: Option<ErrorKind>) -> CallOp {
        let result = match error {
            Some(error) => ReadResult::Error { error },
            None => ReadResult::Events { count, lowest: (count > 0).then_some(1), highest: (count > 0).then_some(1) },
        };
        CallOp::Read { query, options: ReadOptions::default(), independent: false, head: 1, result }
    }

    fn tag(t: &str) -> Query {
        Query::from_item(QueryItem::new().tags([t])).expect("a valid query")
    }

    fn ended(a: AttemptRecord, at_us: u64) -> AttemptRecord {
        AttemptRecord { ended_at: us(at_us), ..a }
    }

    /// Every probe `probes` fires for `h`, sorted (with repeats).
    fn fired(h: &History<String>) -> Vec<String> {
        let mut all = Vec::new();
        probes(h, &mut |p| all.push(p.to_string()));
        all.sort();
        all
    }

    /// Three commands, times in microseconds:
    /// - #0 reads tag `x` (0–1000, fails with fault #2: unavailable), then
    ///   after a wait reads `x` again (10,000, nothing) and appends under a
    ///   condition (10,100–12,000): its attempts span 0–1000 and 10,000–12,000;
    /// - #1 reads `x` (10,500, one event) and appends without a condition,
    ///   (10,600–12,000), which fails but is applied (a ghost write); it is rejected and its
    ///   handler's probe `mine` held twice in three evaluations;
    /// - #2 reads the *type* `x` (10,100–12,000: another boundary); its
    ///   report has a conflict on attempt 1 and a second attempt.
    fn three() -> History<String> {
        let mut a = command(0, Outcome::Succeeded, vec![ended(failed(1, ErrorKind::Transient), 1_000), ended(attempt(2), 12_000)]);
        let mut first = call(0, 1_000, read(tag("x"), 0, Some(ErrorKind::Transient)));
        first.fault = Some(2);
        let append = CallOp::Append { events: 1, conditional: true, after: Some(1), result: AppendResult::Written { first: 2, last: 2 } };
        a.calls = vec![first, call(10_000, 10_050, read(tag("x"), 0, None)), call(10_100, 12_000, append)];

        let mut b = command(1, Outcome::Rejected { reason: "Course is full (3 of 3).".into() }, vec![ended(attempt(1), 12_000)]);
        let ghost = AppendResult::Error { error: ErrorKind::Transient, applied: Some((3, 3)), message: "timeout".into() };
        b.calls = vec![call(10_500, 10_550, read(tag("x"), 1, None)), call(10_600, 12_000, CallOp::Append { events: 1, conditional: false, after: None, result: ghost })];
        b.probes = vec![UserProbe { name: "mine".into(), evaluated: 3, hits: 2 }];

        let types = Query::from_item(QueryItem::new().types(["x"])).expect("a valid query");
        let mut c = command(2, Outcome::Succeeded, vec![ended(failed(1, ErrorKind::Conflict), 12_000), ended(attempt(2), 12_000)]);
        c.calls = vec![call(10_100, 10_150, read(types, 1, None))];

        let mut h = history(vec![a, b, c], 3);
        let fault = |id, kind| FaultRecord { id, at: Duration::ZERO, kind, applied: None, command: 0, call: 0 };
        h.faults = vec![fault(1, FaultKind::Crash), fault(2, FaultKind::Unavailable)];
        h
    }

    #[test]
    fn every_built_in_probe_fires_exactly_where_the_history_shows_it() {
        let mut expected = vec![
            "outcome succeeded",
            "outcome succeeded",
            "outcome rejected",
            "rejected: Course is full",
            "mine",
            "mine",
            "retry after transient",
            "retry after concurrency_conflict",
            "conflict on attempt 1",
            "fault Unavailable on read",
            "fault on attempt 1",
            "read returned nothing",
            "append without a condition",
            "ghost write",
            // #0's second attempt and #1 overlap on tag `x` (#0's first
            // attempt ended before; #2 read the type `x`, not the tag)
            "boundary shared by 2+ commands",
        ];
        expected.sort_unstable();
        assert_eq!(fired(&three()), expected);
    }

    #[test]
    fn a_boundary_is_shared_only_while_both_attempts_are_in_flight() {
        // #1 moved 10 ms earlier: its attempt (500–2000) overlaps #0's first
        let mut h = three();
        for call in &mut h.commands[1].calls {
            call.started_at -= us(10_000);
            call.ended_at -= us(10_000);
        }
        h.commands[1].report.attempts[0].ended_at = us(2_000);
        assert!(fired(&h).contains(&"boundary shared by 2+ commands".to_string()));
        h.commands[1].calls.iter_mut().for_each(|c| {
            c.started_at += us(600);
            c.ended_at += us(600);
        });
        // from 1100 on: after #0's first attempt (ended at 1000), long
        // before its second (10,000)
        assert!(!fired(&h).iter().any(|p| p.starts_with("boundary shared")), "{:?}", fired(&h));
    }

    #[test]
    fn overlapping_spans_are_counted_per_key() {
        // key 1: [0,10) [5,15) [9,20) overlap 3 at 9; key 2: one span
        let mut spans = vec![(1, ms(0), ms(10)), (2, ms(1), ms(30)), (1, ms(9), ms(20)), (1, ms(5), ms(15))];
        assert_eq!(most_in_flight(&mut spans), 3);
        // touching is not overlapping
        let mut spans = vec![(1, ms(0), ms(10)), (1, ms(10), ms(20))];
        assert_eq!(most_in_flight(&mut spans), 1);
        assert_eq!(most_in_flight(&mut []), 0);
        // different keys never add up
        let mut spans = vec![(1, ms(0), ms(10)), (2, ms(0), ms(10))];
        assert_eq!(most_in_flight(&mut spans), 1);
    }
}
