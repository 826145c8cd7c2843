//! The race on real OS threads: [`race_on_threads`] runs `threads`
//! appends with the same condition at once, `rounds` times, on a store
//! shared by the threads, and checks that exactly one wins each round and
//! that every acknowledged write is in the log exactly once, at the
//! position the store reported.
//!
//! Why threads: the suite's own race case drives its appends with a join
//! on one task, which interleaves calls only at their `.await`s. A store
//! whose calls block the thread (an embedded engine, SQLite, a mutex)
//! completes each call in its first poll, so the join runs them one at a
//! time and proves nothing. Real threads run such calls in parallel. The
//! case [`concurrent_conditional_appends_one_wins`](super::cases::concurrent_conditional_appends_one_wins)
//! measures whether its calls overlapped and, when they did not, runs this
//! race itself (with [`ThreadRace::default`] and [`ParkThread`]).
//!
//! Whether the race was exercised is measured, not assumed: a counter of
//! calls in flight is raised when a call starts and lowered when it
//! returns; a round in which no call started while another was in flight
//! did not race. If no round raced, the verdict is
//! [`RaceVerdict::NotExercised`], never a pass.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use crate::store::{AppendCondition, Event, EventStore, Position, Query, QueryItem, ReadOptions, StoreError};

/// Runs a future to completion on the calling OS thread: how each racing
/// thread drives the store's futures.
///
/// [`ParkThread`] needs no runtime and suits stores whose futures need
/// none (blocking engines, engines that only use runtime-neutral
/// primitives). With feature `tokio`, a `tokio::runtime::Handle` of a
/// multi-thread runtime drives stores on tokio I/O (e.g. `PostgresStore`):
/// each thread enters the runtime with `Handle::block_on`.
pub trait BlockOn: Sync {
    /// Runs `future` to completion on the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// The runtime-free executor: polls the future on the calling thread and
/// parks the thread until its waker is called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParkThread;

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl BlockOn for ParkThread {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // A wake before this park makes it return at once (the token).
            std::thread::park();
        }
    }
}

/// Enters the runtime on each racing thread (`Handle::block_on`). The
/// handle must belong to a multi-thread runtime, and `race_on_threads`
/// must not be called from one of its worker threads.
#[cfg(feature = "tokio")]
impl BlockOn for tokio::runtime::Handle {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        tokio::runtime::Handle::block_on(self, future)
    }
}

/// How to run [`race_on_threads`]: how many threads append at once, how
/// many rounds, and what drives each thread's futures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRace<E = ParkThread> {
    /// Appends racing in each round, one per OS thread (at least 2).
    pub threads: usize,
    /// Rounds; each races on a condition key of its own.
    pub rounds: usize,
    /// What drives each thread's store futures.
    pub executor: E,
}

impl ThreadRace {
    /// [`THREADS`](Self::THREADS) threads, [`ROUNDS`](Self::ROUNDS) rounds,
    /// [`ParkThread`].
    pub const DEFAULT: ThreadRace = ThreadRace { threads: Self::THREADS, rounds: Self::ROUNDS, executor: ParkThread };
    /// Default number of racing threads.
    pub const THREADS: usize = 8;
    /// Default number of rounds: enough for a check-then-insert adapter to
    /// show more than one winner, few enough for a test (each round is 8
    /// appends and one read; about 1 s on SQLite with fsync).
    pub const ROUNDS: usize = 24;

    /// `threads` × `rounds` with [`ParkThread`].
    pub fn new(threads: usize, rounds: usize) -> Self {
        ThreadRace { threads, rounds, executor: ParkThread }
    }
}

impl Default for ThreadRace {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl<E> ThreadRace<E> {
    /// The same race driven by `executor` (e.g. a tokio runtime handle).
    pub fn executor<E2: BlockOn>(self, executor: E2) -> ThreadRace<E2> {
        ThreadRace { threads: self.threads, rounds: self.rounds, executor }
    }
}

/// The verdict of a [`RaceReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaceVerdict {
    /// Calls overlapped in at least one round, and every round had exactly
    /// one winner with every acknowledged write in the log once at its
    /// position.
    Passed,
    /// No two calls were ever in flight at once (each completed before the
    /// next started), and nothing went wrong: the race proves nothing
    /// about concurrency. Not a pass.
    NotExercised,
    /// A round had more than one winner or none, a write was lost,
    /// duplicated, misplaced or written although rejected, or a call
    /// failed with an error other than the conflict.
    Failed,
}

/// What [`race_on_threads`] saw. Counts are over all rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceReport {
    /// Threads per round.
    pub threads: usize,
    /// Rounds run.
    pub rounds: usize,
    /// Rounds in which at least one call started while another was in
    /// flight.
    pub overlapped_rounds: usize,
    /// The most calls in flight at once.
    pub max_in_flight: usize,
    /// Rounds with more than one successful append.
    pub multi_winner_rounds: usize,
    /// Successful appends beyond the one allowed per round.
    pub extra_winners: usize,
    /// Rounds in which every append failed with the conflict although the
    /// key was fresh (nothing to conflict with).
    pub no_winner_rounds: usize,
    /// Acknowledged appends whose event is not in the log.
    pub lost_writes: usize,
    /// Acknowledged appends whose event is in the log more than once.
    pub duplicated_writes: usize,
    /// Acknowledged appends whose event is in the log at another position
    /// than the one the store returned.
    pub misplaced_writes: usize,
    /// Rejected appends whose event is in the log anyway.
    pub phantom_writes: usize,
    /// Positions held by more than one event of the race.
    pub shared_positions: usize,
    /// Losers whose `ConditionFailed` named a position other than the
    /// round's winner (a position is optional; `None` is fine).
    pub wrong_conflict_positions: usize,
    /// Calls that failed with another error than the conflict, or panicked.
    pub unexpected_errors: usize,
    /// The first few problems, in words (round, thread, values).
    pub examples: Vec<String>,
    /// Why the race could not start its threads, if it could not (then
    /// the verdict is [`RaceVerdict::NotExercised`]).
    pub setup_error: Option<String>,
    /// The verdict.
    pub verdict: RaceVerdict,
}

impl RaceReport {
    /// Whether the verdict is [`RaceVerdict::Passed`].
    pub fn passed(&self) -> bool {
        self.verdict == RaceVerdict::Passed
    }

    /// Panics with the report unless the race passed (a race that was not
    /// exercised panics too: it proves nothing).
    ///
    /// # Panics
    /// Unless the verdict is [`RaceVerdict::Passed`].
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "{self}");
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |n: usize, what: &str| {
            if n > 0 {
                out.push(format!("{n} {what}"));
            }
        };
        add(self.multi_winner_rounds, "rounds with more than one winner");
        add(self.extra_winners, "extra winners");
        add(self.no_winner_rounds, "rounds with no winner");
        add(self.lost_writes, "acknowledged writes missing from the log");
        add(self.duplicated_writes, "acknowledged writes in the log more than once");
        add(self.misplaced_writes, "acknowledged writes at another position than reported");
        add(self.phantom_writes, "rejected writes present in the log");
        add(self.shared_positions, "positions held by more than one event");
        add(self.wrong_conflict_positions, "conflicts naming another position than the winner's");
        add(self.unexpected_errors, "calls failing with another error than the conflict");
        out
    }
}

/// One paragraph: the verdict, the counts, and the first examples.
impl fmt::Display for RaceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "race on {} OS threads x {} rounds (same append condition per round): ", self.threads, self.rounds)?;
        let overlap = format!(
            "calls overlapped in {} of {} rounds (at most {} in flight)",
            self.overlapped_rounds, self.rounds, self.max_in_flight
        );
        match self.verdict {
            RaceVerdict::Passed => write!(
                f,
                "passed: exactly one winner per round, every acknowledged write in the log once at its reported position; {overlap}"
            )?,
            RaceVerdict::NotExercised if self.setup_error.is_some() => write!(
                f,
                "race not exercised: {}",
                self.setup_error.as_deref().unwrap_or_default()
            )?,
            RaceVerdict::NotExercised => write!(
                f,
                "race not exercised: {overlap}, so every call completed before the next started and the race proves nothing; \
                 drive the store with an executor that lets calls run at once (see dcb_sim::conformance::race_on_threads)"
            )?,
            RaceVerdict::Failed => write!(f, "FAILED: {}; {overlap}", self.problems().join(", "))?,
        }
        for example in &self.examples {
            write!(f, "\n  {example}")?;
        }
        Ok(())
    }
}

/// How many examples a report keeps.
const EXAMPLES: usize = 8;

/// Distinguishes races run in one process (their condition keys).
static RACE_RUNS: AtomicU64 = AtomicU64::new(0);

/// Runs `race.threads` OS threads that append, in each of `race.rounds`
/// rounds, one event each under the same condition (no event of the
/// round's key may exist), started together; then reads the log and
/// checks it. Blocks until done.
///
/// While no two calls have overlapped yet, it runs more batches of
/// `race.rounds` rounds, up to [`MAX_BATCHES`] in all; the report counts
/// every round run.
///
/// Fails ([`RaceVerdict::Failed`]) on more than one winner in a round (or
/// none), on an acknowledged append whose event is missing, duplicated or
/// at another position than the one returned, on a rejected append whose
/// event was written, on two events at one position, or on an error other
/// than `ConditionFailed`; reports [`RaceVerdict::NotExercised`] when no
/// two calls were ever in flight at once.
///
/// Each round uses a condition key of its own (a tag
/// `race:<process>-<run>-<round>`), so the store may already hold events
/// and several races may share it; events of type `RaceAppended` are
/// written. The store is borrowed by scoped threads: it must be `Sync`
/// (every [`EventStore`] is).
///
/// A panic inside a call is caught and counted as an unexpected error.
/// With `panic = "abort"`, or a store that aborts, the process ends: run
/// the suite [in child processes](super::Suite::in_child_processes).
///
/// ```
/// use dcb_sim::conformance::{ThreadRace, race_on_threads};
/// let store = dcb_sim::store::MemoryStore::new();
/// let report = race_on_threads(&store, &ThreadRace::new(4, 10));
/// assert_eq!(report.multi_winner_rounds, 0, "{report}");
/// ```
pub fn race_on_threads<S: EventStore, E: BlockOn>(store: &S, race: &ThreadRace<E>) -> RaceReport {
    let mut report = race_batch(store, race);
    let mut batches = 1;
    while report.verdict == RaceVerdict::NotExercised && report.setup_error.is_none() && batches < MAX_BATCHES {
        let next = race_batch(store, race);
        report.absorb(next);
        batches += 1;
    }
    report
}

/// While no call has overlapped yet, the race runs up to this many times
/// `rounds` rounds: on a busy machine, a store whose calls take a
/// microsecond may need many rounds before two of them are in flight at
/// once (each batch is cheap for such a store).
pub const MAX_BATCHES: usize = 64;

impl RaceReport {
    /// Adds the counts of a later batch of rounds and decides again.
    fn absorb(&mut self, next: RaceReport) {
        self.rounds += next.rounds;
        self.overlapped_rounds += next.overlapped_rounds;
        self.max_in_flight = self.max_in_flight.max(next.max_in_flight);
        self.multi_winner_rounds += next.multi_winner_rounds;
        self.extra_winners += next.extra_winners;
        self.no_winner_rounds += next.no_winner_rounds;
        self.lost_writes += next.lost_writes;
        self.duplicated_writes += next.duplicated_writes;
        self.misplaced_writes += next.misplaced_writes;
        self.phantom_writes += next.phantom_writes;
        self.shared_positions += next.shared_positions;
        self.wrong_conflict_positions += next.wrong_conflict_positions;
        self.unexpected_errors += next.unexpected_errors;
        let room = EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(next.examples.into_iter().take(room));
        self.setup_error = self.setup_error.take().or(next.setup_error);
        self.verdict = self.decide();
    }

    /// The verdict from the counts.
    fn decide(&self) -> RaceVerdict {
        if !self.problems().is_empty() {
            RaceVerdict::Failed
        } else if self.overlapped_rounds == 0 {
            RaceVerdict::NotExercised
        } else {
            RaceVerdict::Passed
        }
    }
}

/// One batch of `race.rounds` rounds.
fn race_batch<S: EventStore, E: BlockOn>(store: &S, race: &ThreadRace<E>) -> RaceReport {
    let threads = race.threads.max(1);
    let rounds = race.rounds;
    let run = RACE_RUNS.fetch_add(1, Ordering::Relaxed);
    let keys: Vec<String> = (0..rounds).map(|r| format!("race:{}-{run}-{r}", std::process::id())).collect();
    let arrived = AtomicUsize::new(0);
    let in_flight = AtomicUsize::new(0);
    let max_in_flight = AtomicUsize::new(0);
    let overlapped: Vec<AtomicUsize> = (0..rounds).map(|_| AtomicUsize::new(0)).collect();
    let abandoned = std::sync::atomic::AtomicBool::new(false);
    let mut setup_error = None;

    // results[thread][round]
    let results: Vec<Vec<Result<Position, String>>> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (keys, arrived, in_flight, max_in_flight, overlapped, abandoned) =
                (&keys, &arrived, &in_flight, &max_in_flight, &overlapped, &abandoned);
            // A madsim runtime forbids OS threads by failing
            // `pthread_attr_init`, which std turns into a panic.
            let spawned = catch_unwind(AssertUnwindSafe(|| std::thread::Builder::new().name(format!("dcb-race-{t}")).spawn_scoped(scope, move || {
                    (0..rounds)
                        .map_while(|r| {
                            // Start together: wait (yielding) until every
                            // thread reached this round.
                            // Spinning (not parking) so that the threads
                            // on a CPU leave together, within nanoseconds;
                            // yielding now and then lets the threads not
                            // yet scheduled arrive.
                            arrived.fetch_add(1, Ordering::SeqCst);
                            let mut spins = 0u32;
                            while arrived.load(Ordering::SeqCst) < threads * (r + 1) {
                                if abandoned.load(Ordering::SeqCst) {
                                    return None;
                                }
                                spins = spins.wrapping_add(1);
                                if spins % 4096 == 0 {
                                    std::thread::yield_now();
                                } else {
                                    std::hint::spin_loop();
                                }
                            }
                            let event = race_event(&keys[r], r, t);
                            let condition = AppendCondition::new(race_query(&keys[r]), None);
                            // In flight from the call's first poll to its
                            // completion, as the executor runs it.
                            let call = async {
                                let before = in_flight.fetch_add(1, Ordering::SeqCst);
                                if before > 0 {
                                    overlapped[r].fetch_add(1, Ordering::SeqCst);
                                }
                                max_in_flight.fetch_max(before + 1, Ordering::SeqCst);
                                let _leave = Leave(in_flight);
                                store.append(vec![event], Some(condition)).await
                            };
                            let result = catch_unwind(AssertUnwindSafe(|| race.executor.block_on(call)));
                            Some(match result {
                                Ok(Ok(position)) => Ok(position),
                                Ok(Err(StoreError::ConditionFailed { conflicting, .. })) => Err(format!("conflict:{}", conflicting.map_or(0, |p| p))),
                                Ok(Err(e)) => Err(format!("error: {e}")),
                                Err(panic) => Err(format!("error: panicked: {}", super::runner::panic_message(&*panic))),
                            })
                        })
                        .collect::<Vec<_>>()
                })))
                .unwrap_or_else(|panic| Err(std::io::Error::other(super::runner::panic_message(&*panic))));
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    abandoned.store(true, Ordering::SeqCst);
                    setup_error = Some(format!(
                        "could not start OS thread {} of {threads}: {e}; inside a madsim runtime, threads must be allowed \
                         (dcb_sim::conformance::check_in_madsim does; or Runtime::set_allow_system_thread(true))",
                        t + 1
                    ));
                    break;
                }
            }
        }
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| vec![Err("error: the racing thread panicked".into()); rounds])).collect()
    });
    if let Some(error) = setup_error {
        return RaceReport { setup_error: Some(error), verdict: RaceVerdict::NotExercised, ..RaceReport::blank(threads, rounds, 0, max_in_flight.load(Ordering::SeqCst)) };
    }

    // Read each round's key back (on a thread of its own: the executor
    // may refuse to run on the caller's runtime thread).
    let logs: Vec<Result<Vec<(Position, String)>, String>> = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            keys.iter()
                .map(|key| {
                    let read = catch_unwind(AssertUnwindSafe(|| race.executor.block_on(store.read(&race_query(key), ReadOptions::default()))));
                    match read {
                        Ok(Ok(events)) => Ok(events.into_iter().map(|e| (e.position, e.event.data.to_string())).collect()),
                        Ok(Err(e)) => Err(format!("reading the race's events failed: {e}")),
                        Err(panic) => Err(format!("reading the race's events panicked: {}", super::runner::panic_message(&*panic))),
                    }
                })
                .collect()
        });
        reader.join().unwrap_or_else(|_| vec![Err("the reading thread panicked".into()); rounds])
    });

    let overlapped_rounds = overlapped.iter().filter(|n| n.load(Ordering::SeqCst) > 0).count();
    let mut report = RaceReport::blank(threads, rounds, overlapped_rounds, max_in_flight.load(Ordering::SeqCst));
    let example = |report: &mut RaceReport, text: String| {
        if report.examples.len() < EXAMPLES {
            report.examples.push(text);
        }
    };
    let mut positions = std::collections::BTreeMap::<Position, usize>::new();
    for r in 0..rounds {
        let round: Vec<&Result<Position, String>> = results.iter().map(|per_thread| &per_thread[r]).collect();
        let winners: Vec<(usize, Position)> =
            round.iter().enumerate().filter_map(|(t, res)| res.as_ref().ok().map(|p| (t, *p))).collect();
        if winners.len() > 1 {
            report.multi_winner_rounds += 1;
            report.extra_winners += winners.len() - 1;
            example(&mut report, format!("round {r}: {} winners (thread, position): {winners:?}", winners.len()));
        }
        for (t, res) in round.iter().enumerate() {
            match res {
                Err(e) if e.starts_with("error: ") => {
                    report.unexpected_errors += 1;
                    example(&mut report, format!("round {r}, thread {t}: {}", &e["error: ".len()..]));
                }
                Err(e) => {
                    let named: Position = e["conflict:".len()..].parse().unwrap_or(0);
                    if named != 0 && winners.len() == 1 && named != winners[0].1 {
                        report.wrong_conflict_positions += 1;
                        example(&mut report, format!("round {r}, thread {t}: ConditionFailed names position {named}, the winner is at {}", winners[0].1));
                    }
                }
                Ok(_) => {}
            }
        }
        if winners.is_empty() && round.iter().all(|res| matches!(res, Err(e) if e.starts_with("conflict:"))) {
            report.no_winner_rounds += 1;
            example(&mut report, format!("round {r}: every append failed with ConditionFailed, but the key was fresh"));
        }
        let log = match &logs[r] {
            Ok(log) => log,
            Err(e) => {
                report.unexpected_errors += 1;
                example(&mut report, format!("round {r}: {e}"));
                continue;
            }
        };
        for (position, _) in log {
            *positions.entry(*position).or_default() += 1;
        }
        for (t, res) in round.iter().enumerate() {
            let data = race_data(r, t);
            let found: Vec<Position> = log.iter().filter(|(_, d)| *d == data).map(|(p, _)| *p).collect();
            match res {
                Ok(reported) => {
                    if found.is_empty() {
                        report.lost_writes += 1;
                        example(&mut report, format!("round {r}, thread {t}: acknowledged at position {reported}, but its event is not in the log"));
                    } else if found.len() > 1 {
                        report.duplicated_writes += 1;
                        example(&mut report, format!("round {r}, thread {t}: acknowledged at {reported}, in the log {} times at {found:?}", found.len()));
                    } else if found[0] != *reported {
                        report.misplaced_writes += 1;
                        example(&mut report, format!("round {r}, thread {t}: acknowledged at position {reported}, in the log at {}", found[0]));
                    }
                }
                Err(_) if !found.is_empty() => {
                    report.phantom_writes += 1;
                    example(&mut report, format!("round {r}, thread {t}: rejected, but its event is in the log at {found:?}"));
                }
                Err(_) => {}
            }
        }
    }
    report.shared_positions = positions.values().filter(|n| **n > 1).count();
    if report.shared_positions > 0 {
        let shared: Vec<Position> = positions.iter().filter(|(_, n)| **n > 1).map(|(p, _)| *p).take(EXAMPLES).collect();
        example(&mut report, format!("positions held by more than one event: {shared:?}"));
    }
    report.verdict = report.decide();
    report
}

/// Lowers the in-flight count when a call ends, also by a panic.
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The condition (and read) query of a round.
fn race_query(key: &str) -> Query {
    Query::from_item(QueryItem::new().types(["RaceAppended"]).tags([key])).expect("the race's query is valid")
}

/// The payload that identifies thread `t`'s append of round `r`.
fn race_data(r: usize, t: usize) -> String {
    format!("{{\"round\":{r},\"thread\":{t}}}")
}

/// Thread `t`'s event of round `r`.
fn race_event(key: &str, r: usize, t: usize) -> Event {
    Event::new("RaceAppended", [key], race_data(r, t)).expect("the race's event is valid")
}

impl RaceReport {
    /// A passing report with nothing counted yet.
    fn blank(threads: usize, rounds: usize, overlapped_rounds: usize, max_in_flight: usize) -> Self {
        RaceReport {
            threads,
            rounds,
            overlapped_rounds,
            max_in_flight,
            multi_winner_rounds: 0,
            extra_winners: 0,
            no_winner_rounds: 0,
            lost_writes: 0,
            duplicated_writes: 0,
            misplaced_writes: 0,
            phantom_writes: 0,
            shared_positions: 0,
            wrong_conflict_positions: 0,
            unexpected_errors: 0,
            examples: Vec::new(),
            setup_error: None,
            verdict: RaceVerdict::Passed,
        }
    }
}
