//! **serializability**, for any handler: the concurrent run is explained by
//! running the same commands one at a time, in log order, **through the
//! workload's own handler**, each against the log's real prefix.
//!
//! The handler is code the checker can run again, so the sequential oracle
//! is the handler itself — no model, no [`Decider`](crate::handler::Decider)
//! needed, and any number of reads per attempt:
//!
//! - **Writers.** For every write of a command — an acknowledged append,
//!   or one applied behind an injected error (a ghost write, see
//!   [`History::ghost_writes`]) — landing at positions `p..=q`, the command
//!   is run again alone, through a fresh handler from
//!   [`Workload::handler`] (the same plant, if any), with the same request
//!   id, the same per-command RNG stream and the same retry policy, against
//!   an in-memory store holding exactly the log's events before `p`. It
//!   must append exactly the events at `p..=q` (types, tags and data,
//!   compared with [`Workload::same_event`]) and nothing else; for the
//!   write that decided the command (acknowledged, in its last attempt) it
//!   must also end with the same outcome. By induction over the log, the
//!   log is then a serial execution of its commands in log order.
//! - **Non-writers** (rejected, idempotent, or succeeded without an
//!   append): the command must end the same (a rejection with the same
//!   reason) and write nothing when run alone on the log's prefix up to
//!   some position in its **window**: from the head of the first counted
//!   read of its deciding (last) attempt to the head of its last one (a
//!   read's head is at least the highest position it returned: on the real
//!   clock the recorded head can lag a concurrent commit). If no prefix in
//!   the window reproduces it, no serial order explains it.
//! - A read the handler marked independent
//!   ([`Ctx::read_independent`](crate::handler::Ctx::read_independent))
//!   sees, in the re-run, what it saw in the concurrent run (the log up to
//!   that read's head): its staleness was declared fine.
//! - Commands that ended `Exhausted` or `Failed` without writing have no
//!   sequential counterpart (their outcome depends on timing, not on
//!   state) and are skipped; `log-consistency` checks they left nothing.
//!
//! This catches what the store boundary cannot see: a retry that re-reads
//! and then appends the decision of an earlier attempt; a decision made on
//! a read that the condition did not protect (a narrower condition, a
//! second read combined with the wrong `after`); a store that checks and
//! inserts non-atomically; two winners of one boundary.
//!
//! The re-runs call your handler again (after the run, in a madsim runtime
//! of their own, with metrics sent to a no-op recorder): a side effect it
//! has outside the store — a shared map, a log line, a counter — happens
//! again for every re-run.
//!
//! Not verified: the commands the checker skips (above); a handler whose
//! decision is wrong when run alone too (then the run alone agrees with the
//! run: the domain invariants of [`Workload::check`] catch that); a
//! decision that depends on something other than the store, the request id
//! and the command's RNG stream (wall time, a global, another service:
//! the re-run differs and reports it, so supply [`Workload::same_event`]
//! for data stamped with times or ids); the user's store itself (the
//! re-run uses the in-memory reference engine; the conformance suite and
//! `dcb-soundness` judge the store). The first mismatch in log order is
//! reported; later ones are usually its consequences.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::handler::{CallHooks, Ctx, Handler, Outcome};
use crate::retry::RuntimeSleeper;
use crate::rng;
use crate::sim::calls::{AppendResult, CallOp, ReadResult, StoreCall};
use crate::sim::derive::{Timing, attempt_numbers_timed};
use crate::sim::plants::planted_policy;
use crate::sim::runner::panic_text;
use crate::sim::workload::{Cmd, Workload};
use crate::sim::{History, Scenario, Violation};
use crate::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// The invariant's name.
pub const NAME: &str = "serializability";

/// Virtual time a command may take when re-run alone before the checker
/// gives up on it (a handler that never finishes alone).
pub const ALONE_LIMIT: Duration = Duration::from_secs(3600);

/// What the re-execution did, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Handler runs made (one per write, one or more per non-writer).
    pub reruns: u32,
    /// Commands skipped: exhausted or failed without writing.
    pub skipped: u32,
}

/// One thing to explain by a run alone.
#[derive(Debug)]
struct Step {
    /// Index into `history.commands`.
    command: usize,
    /// The heads of the independent reads of the step's attempt, in order:
    /// the re-run replays them.
    replayed: Vec<Position>,
    kind: StepKind,
}

#[derive(Debug)]
enum StepKind {
    /// A write at `first..=last`; `decides`: its outcome is compared too.
    Write { first: Position, last: Position, decides: bool },
    /// A non-writer, reproducible on a prefix up to some position in `lo..=hi`.
    Decide { lo: Position, hi: Position },
}

impl Step {
    /// Where the step sits in log order.
    fn position(&self) -> Position {
        match self.kind {
            StepKind::Write { first, .. } => first,
            StepKind::Decide { lo, .. } => lo,
        }
    }
}

/// Checks `history` by re-running its commands alone through `workload`'s
/// handler (see the module docs); returns what it ran.
pub fn check<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>, out: &mut Vec<Violation>) -> Tally {
    check_timed(workload, scenario, history, Timing::Virtual, out)
}

/// [`check`] for a history measured on `timing`'s clock: each command's
/// attempts are numbered as its report numbers them (on the real clock a
/// pause between two calls does not start an attempt).
pub fn check_timed<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>, timing: Timing, out: &mut Vec<Violation>) -> Tally {
    let (steps, skipped) = steps(history, timing);
    let mut tally = Tally { reruns: 0, skipped };
    if steps.is_empty() {
        return tally;
    }
    let rt = madsim::runtime::Runtime::with_seed_and_config(history.seed, madsim::Config::default());
    let verdict = std::panic::catch_unwind(AssertUnwindSafe(|| {
        metrics::with_local_recorder(&metrics::NoopRecorder, || rt.block_on(explain_all(workload, scenario, history, &steps, &mut tally)))
    }));
    match verdict {
        Ok(None) => {}
        Ok(Some(v)) => out.push(v),
        Err(panic) => out.push(Violation::safety(NAME, None, format!("the handler panicked when re-run alone: {}", panic_text(&*panic)))),
    }
    tally
}

/// The steps of `history`, in log order, and the number of commands skipped.
fn steps<C>(history: &History<C>, timing: Timing) -> (Vec<Step>, u32) {
    let mut steps = Vec::new();
    let mut skipped = 0;
    for (i, c) in history.commands.iter().enumerate() {
        let numbers = attempt_numbers_timed(&c.calls, timing);
        let last_attempt = numbers.last().copied().unwrap_or(1);
        let explained = matches!(c.outcome(), Outcome::Succeeded | Outcome::Idempotent | Outcome::Rejected { .. });
        let mut decided_by_write = false;
        for (j, call) in c.calls.iter().enumerate() {
            let Some((first, last)) = call.wrote() else { continue };
            let acknowledged = matches!(call.op, CallOp::Append { result: AppendResult::Written { .. }, .. });
            let decides = explained && acknowledged && numbers[j] == last_attempt;
            decided_by_write |= decides;
            steps.push(Step { command: i, replayed: independent_heads(&c.calls, &numbers, numbers[j]), kind: StepKind::Write { first, last, decides } });
        }
        if !explained {
            skipped += u32::from(!c.calls.iter().any(|call| call.wrote().is_some()));
            continue;
        }
        if !decided_by_write {
            let (lo, hi) = window(&c.calls, &numbers, last_attempt);
            steps.push(Step { command: i, replayed: independent_heads(&c.calls, &numbers, last_attempt), kind: StepKind::Decide { lo, hi } });
        }
    }
    steps.sort_by_key(|s| (s.position(), s.command));
    (steps, skipped)
}

/// The lowest and highest head among the counted (not independent, not
/// failed) reads of `attempt`, each at least the highest position it
/// returned; `(0, 0)` when it made none (its decision read nothing).
fn window(calls: &[StoreCall], numbers: &[u32], attempt: u32) -> (Position, Position) {
    let heads = calls.iter().zip(numbers).filter(|(_, n)| **n == attempt).filter_map(|(call, _)| match &call.op {
        // At least what it returned: on the real clock the recorded head is
        // the harness's view when the call began, and a concurrent append
        // may have committed (and been read) before the harness saw it.
        CallOp::Read { independent: false, head, result: ReadResult::Events { highest, .. }, .. } => Some((*head).max(highest.unwrap_or(0))),
        _ => None,
    });
    let mut window: Option<(Position, Position)> = None;
    for h in heads {
        window = Some(window.map_or((h, h), |(lo, hi)| (lo.min(h), hi.max(h))));
    }
    window.unwrap_or((0, 0))
}

/// The heads of the independent reads of `attempt` (`numbers`: each call's
/// attempt number), in order.
fn independent_heads(calls: &[StoreCall], numbers: &[u32], attempt: u32) -> Vec<Position> {
    calls
        .iter()
        .zip(numbers)
        .filter(|(_, n)| **n == attempt)
        .filter_map(|(call, _)| match &call.op {
            CallOp::Read { independent: true, head, .. } => Some(*head),
            _ => None,
        })
        .collect()
}

/// Explains every step; the first that cannot be explained is the violation.
async fn explain_all<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>, steps: &[Step], tally: &mut Tally) -> Option<Violation> {
    let policy = planted_policy(&scenario.policy, scenario.plant);
    for step in steps {
        let c = &history.commands[step.command];
        let mut alone = |upto: Position| {
            tally.reruns += 1;
            run_alone(workload, scenario, history, &policy, step.command, prefix(&history.log, upto), &step.replayed)
        };
        match step.kind {
            StepKind::Write { first, last, decides } => {
                let ran = alone(first - 1).await;
                let written: Vec<&SequencedEvent> = history.log.iter().filter(|e| (first..=last).contains(&e.position)).collect();
                let same_events = ran.appended.len() == written.len() && ran.appended.iter().zip(&written).all(|(a, w)| workload.same_event(&w.event, a));
                let same_outcome = !decides || ran.outcome.as_ref() == Some(c.outcome());
                if !same_events || !same_outcome {
                    let what = if decides { format!("ended \"{}\" and wrote", c.outcome()) } else { "wrote (behind an error)".to_string() };
                    return Some(Violation::safety(
                        NAME,
                        Some(c.index),
                        format!(
                            "\"{}\" {what} {} at {first}..={last}, but run alone on the log before {first} it {}",
                            c.command,
                            describe(written.iter().map(|e| &*e.event)),
                            ran.describe()
                        ),
                    ));
                }
            }
            StepKind::Decide { lo, hi } => {
                let mut first_try = None;
                let mut explained = false;
                for k in lo..=hi {
                    let ran = alone(k).await;
                    if ran.appended.is_empty() && ran.outcome.as_ref() == Some(c.outcome()) {
                        explained = true;
                        break;
                    }
                    first_try.get_or_insert(ran);
                }
                if !explained {
                    let ran = first_try.expect("the window holds at least one position");
                    let at = if lo == hi { format!("up to {lo}") } else { format!("up to any of {lo}..={hi}") };
                    return Some(Violation::safety(
                        NAME,
                        Some(c.index),
                        format!("\"{}\" ended \"{}\", but run alone on the log {at} (what its last attempt read) it {}", c.command, c.outcome(), ran.describe()),
                    ));
                }
            }
        }
    }
    None
}

/// The log's events at positions `..=upto`.
fn prefix(log: &[SequencedEvent], upto: Position) -> &[SequencedEvent] {
    &log[..log.partition_point(|e| e.position <= upto)]
}

/// What a command did when run alone.
#[derive(Debug)]
struct Alone {
    /// Its outcome (`None`: it did not finish within [`ALONE_LIMIT`]).
    outcome: Option<Outcome>,
    /// The events it appended, in order.
    appended: Vec<Event>,
}

impl Alone {
    fn describe(&self) -> String {
        match &self.outcome {
            None => format!("did not finish within {}s of virtual time", ALONE_LIMIT.as_secs()),
            Some(o) if self.appended.is_empty() => format!("ends \"{o}\" and writes nothing"),
            Some(o) => format!("ends \"{o}\" and writes {}", describe(self.appended.iter())),
        }
    }
}

/// A short listing of events: `[Type{tags} data, …]`.
fn describe<'a>(events: impl Iterator<Item = &'a Event>) -> String {
    let shown: Vec<String> = events
        .map(|e| {
            let tags: Vec<&str> = e.tags.iter().map(|t| t.as_str()).collect();
            if e.data.is_empty() { format!("{}{{{}}}", e.event_type, tags.join(",")) } else { format!("{}{{{}}} {}", e.event_type, tags.join(","), e.data) }
        })
        .collect();
    format!("[{}]", shown.join(", "))
}

/// Runs command `index` alone, through a fresh handler, on a store holding
/// `prefix`; `replayed` are the heads its independent reads saw in the run.
async fn run_alone<W: Workload>(
    workload: &W,
    scenario: &Scenario<Cmd<W>>,
    history: &History<Cmd<W>>,
    policy: &crate::retry::RetryPolicy,
    index: usize,
    prefix: &[SequencedEvent],
    replayed: &[Position],
) -> Alone {
    let c = &history.commands[index];
    let store = AloneStore::new(prefix, &history.log, replayed);
    let handler = workload.handler(scenario);
    let mut rng = rng::substream(history.seed, c.index as u64 + 1);
    let request = scenario.request_id(c.index);
    let ctx = Ctx::new(&store, RuntimeSleeper::new(), &mut rng, request.as_deref(), policy, &store);
    let outcome = madsim::time::timeout(ALONE_LIMIT, handler.handle(ctx, &c.command)).await.ok();
    let appended = store.store.snapshot().into_iter().skip(prefix.len()).map(|e| (*e.event).clone()).collect();
    Alone { outcome, appended }
}

/// The reference store of a run alone: the in-memory engine over the log's
/// prefix, whose independent reads are served from the run's log at the
/// heads they had in the run.
struct AloneStore<'a> {
    store: MemoryStore,
    log: &'a [SequencedEvent],
    replayed: Mutex<std::slice::Iter<'a, Position>>,
    independent: AtomicBool,
}

impl<'a> AloneStore<'a> {
    fn new(prefix: &[SequencedEvent], log: &'a [SequencedEvent], replayed: &'a [Position]) -> Self {
        AloneStore { store: MemoryStore::from_prefix(prefix), log, replayed: Mutex::new(replayed.iter()), independent: AtomicBool::new(false) }
    }
}

impl CallHooks for AloneStore<'_> {
    fn sleeping(&self, _: Duration) {}
    fn next_read_independent(&self) {
        self.independent.store(true, Ordering::Relaxed);
    }
}

impl EventStore for AloneStore<'_> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        if self.independent.swap(false, Ordering::Relaxed) {
            let head = self.replayed.lock().unwrap_or_else(|p| p.into_inner()).next().copied();
            if let Some(head) = head {
                return MemoryStore::from_prefix(prefix(self.log, head)).read_now(query, options);
            }
        }
        self.store.read_now(query, options)
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        self.store.append_now(events, condition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixture::{call, calling};

    fn read(head: Position, independent: bool, ok: bool) -> StoreCall {
        let result = if ok { ReadResult::Events { count: 0, lowest: None, highest: None } } else { ReadResult::Error { error: crate::retry::ErrorKind::Transient } };
        call(CallOp::Read { query: Query::all(), options: ReadOptions::default(), independent, head, result })
    }

    /// The window spans the counted reads of the attempt only: independent
    /// and failed reads, and reads of other attempts, do not widen it.
    #[test]
    fn the_window_spans_the_counted_reads_of_the_attempt() {
        let calls = vec![read(2, false, true), read(3, true, true), read(5, false, true), read(9, false, false)];
        let numbers = vec![1, 1, 1, 1];
        assert_eq!(window(&calls, &numbers, 1), (2, 5));
        assert_eq!(window(&calls, &[1, 2, 2, 2], 2), (5, 5));
        assert_eq!(window(&calls, &numbers, 3), (0, 0));
        assert_eq!(independent_heads(&calls, &numbers, 1), vec![3]);
        assert_eq!(independent_heads(&calls, &[1, 2, 2, 2], 1), Vec::<Position>::new());
    }

    /// On the real clock a read can return an event the harness's head did
    /// not know of yet: the window reaches at least that event.
    #[test]
    fn a_read_saw_at_least_what_it_returned() {
        let mut call = read(2, false, true);
        if let CallOp::Read { result, .. } = &mut call.op {
            *result = ReadResult::Events { count: 1, lowest: Some(4), highest: Some(4) };
        }
        assert_eq!(window(&[read(1, false, true), call], &[1, 1], 1), (1, 4));
    }

    fn append(result: AppendResult) -> StoreCall {
        call(CallOp::Append { events: 1, conditional: true, after: None, result })
    }


    /// What `steps` makes of each kind of command, in log order: a
    /// decided write, a write behind an error (also of a failed command),
    /// a rejection's window; an exhausted or failed command without a
    /// write is skipped.
    #[test]
    fn steps_explain_writes_and_decisions_in_log_order() {
        let written = |p| append(AppendResult::Written { first: p, last: p });
        let ghost = |p| append(AppendResult::Error { error: crate::retry::ErrorKind::Transient, applied: Some((p, p)), message: "timeout".into() });
        let failed = Outcome::Failed { error: crate::retry::ErrorKind::Transient, message: "timeout".into() };
        let history = crate::check::fixture::history(
            vec![
                calling(0, Outcome::Succeeded, vec![read(4, false, true), written(5)]),
                calling(1, Outcome::Rejected { reason: "no".into() }, vec![read(3, false, true), read(2, true, true)]),
                calling(2, Outcome::Exhausted { attempts: 3 }, vec![read(0, false, true)]),
                calling(3, failed.clone(), vec![read(0, false, true), ghost(1)]),
                // a ghost write, then a retry that finds its own write and ends idempotent
                calling(4, Outcome::Idempotent, vec![read(1, false, true), ghost(2), read(2, false, true)]),
                calling(5, failed, vec![read(0, false, false)]),
            ],
            5,
        );
        let (steps, skipped) = steps(&history, Timing::Virtual);
        // #2 and #5; not #3, which wrote
        assert_eq!(skipped, 2);
        let shown: Vec<String> = steps
            .iter()
            .map(|s| match s.kind {
                StepKind::Write { first, last, decides } => format!("#{} wrote {first}..={last} decides={decides} replayed={:?}", s.command, s.replayed),
                StepKind::Decide { lo, hi } => format!("#{} decided on {lo}..={hi} replayed={:?}", s.command, s.replayed),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "#3 wrote 1..=1 decides=false replayed=[]",
                "#4 wrote 2..=2 decides=false replayed=[]",
                "#4 decided on 2..=2 replayed=[]",
                "#1 decided on 3..=3 replayed=[2]",
                "#0 wrote 5..=5 decides=true replayed=[]",
            ]
        );
    }

    #[test]
    fn a_prefix_ends_at_the_position() {
        let log: Vec<SequencedEvent> = [1, 2, 4, 7].into_iter().map(|p| SequencedEvent::new(p, Event::new("A", ["k:1"], "").expect("valid"))).collect();
        assert_eq!(prefix(&log, 0).len(), 0);
        assert_eq!(prefix(&log, 3).len(), 2);
        assert_eq!(prefix(&log, 7).len(), 4);
    }
}
