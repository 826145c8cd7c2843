//! The store harness: one layer around the workload's store (any
//! [`EventStore`]) that gives every store call simulated latency, injects
//! the scenario's faults, tracks the head position, and records the call
//! for the command that made it ([`StoreCall`]).
//!
//! Each command gets its own [`CommandStore`] view of the shared
//! [`Harness`], so records are attributed without any bookkeeping in the
//! handler. Randomness comes from two seeded streams (latency and faults),
//! drawn in the order the calls are made.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::calls::{AppendResult, CallOp, ReadResult, StoreCall};
use super::derive::starts_attempt_at;
use super::faults::{CallKind, FaultKind, FaultPlan, FaultRecord, ScriptedFault, ScriptedKind};
use super::sched::turn::Turn;
use super::sched::{Footprint, Step};
use super::scenario::Latency;
use super::user_probes::UserProbe;
use crate::handler::CallHooks;
use crate::retry::{Classify, RuntimeSleeper, Sleeper};
use crate::store::{AppendCondition, Event, EventStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Latency, faults, head tracking and recording around one store.
#[derive(Debug)]
pub struct Harness<S> {
    store: S,
    latency: Latency,
    latency_rng: Mutex<ChaCha8Rng>,
    plan: FaultPlan,
    fault_rng: Mutex<ChaCha8Rng>,
    journal: Mutex<Vec<FaultRecord>>,
    head: AtomicU64,
    clock: Clock,
    turn: Option<Arc<Turn>>,
    scripted: Vec<ScriptedFault>,
    /// Record user probes ([`CallHooks::probe`]); off, they cost nothing.
    probes: bool,
}

/// The run's clock read straight from madsim's time source (no
/// `clock_gettime` shim per call), in the same frame as the run's
/// [`RuntimeSleeper`]: both read the same virtual instant at creation.
/// Or, for a real-time run ([`run_realtime`](super::run_realtime)), the
/// real clock of its [`TokioSleeper`](crate::retry::TokioSleeper).
#[derive(Clone)]
enum Clock {
    Virtual { time: madsim::time::TimeHandle, offset: Duration },
    #[cfg(feature = "tokio")]
    Real(crate::retry::TokioSleeper),
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clock::Virtual { offset, .. } => f.debug_struct("Clock").field("offset", offset).finish_non_exhaustive(),
            #[cfg(feature = "tokio")]
            Clock::Real(s) => f.debug_tuple("Clock").field(s).finish(),
        }
    }
}

impl Clock {
    fn new(sleeper: RuntimeSleeper) -> Self {
        let time = madsim::time::TimeHandle::current();
        let offset = time.elapsed().saturating_sub(sleeper.now());
        Clock::Virtual { time, offset }
    }

    fn now(&self) -> Duration {
        match self {
            Clock::Virtual { time, offset } => time.elapsed().saturating_sub(*offset),
            #[cfg(feature = "tokio")]
            Clock::Real(s) => s.now(),
        }
    }
}

impl<S: EventStore> Harness<S> {
    /// Wraps `store`. `clock` is the run's clock (times are measured from its origin).
    pub fn new(store: S, latency: Latency, latency_rng: ChaCha8Rng, plan: FaultPlan, fault_rng: ChaCha8Rng, clock: RuntimeSleeper) -> Self {
        Harness {
            store,
            latency,
            latency_rng: Mutex::new(latency_rng),
            plan,
            fault_rng: Mutex::new(fault_rng),
            journal: Mutex::new(Vec::new()),
            head: AtomicU64::new(0),
            clock: Clock::new(clock),
            turn: None,
            scripted: Vec::new(),
            probes: false,
        }
    }

    /// Wraps `store` for a real-time run: no latency (the store's own), no
    /// faults, times from `clock` (the real clock).
    #[cfg(feature = "tokio")]
    pub(crate) fn realtime(store: S, seed: u64, clock: crate::retry::TokioSleeper) -> Self {
        Harness {
            store,
            latency: Latency::zero(),
            latency_rng: Mutex::new(crate::rng::substream(seed, super::LATENCY_STREAM)),
            plan: FaultPlan::default(),
            fault_rng: Mutex::new(crate::rng::substream(seed, super::FAULT_STREAM)),
            journal: Mutex::new(Vec::new()),
            head: AtomicU64::new(0),
            clock: Clock::Real(clock),
            turn: None,
            scripted: Vec::new(),
            probes: false,
        }
    }

    /// Injects `faults` into the calls they address (see [`ScriptedFault`]).
    pub fn with_scripted_faults(mut self, faults: Vec<ScriptedFault>) -> Self {
        self.scripted = faults;
        self
    }


    /// Records the user probes handlers fire (off by default: a probe call
    /// then returns at once, without locking or allocating).
    pub fn with_probes(mut self, on: bool) -> Self {
        self.probes = on;
        self
    }

    /// Hands the clients' store steps to a controlled scheduler: calls of a
    /// client view take no latency and take effect when the turn releases them.
    pub(crate) fn with_turn(mut self, turn: Arc<Turn>) -> Self {
        self.turn = Some(turn);
        self
    }

    /// Reads the store's head through the trait (a store may start non-empty).
    ///
    /// # Errors
    /// The store's read error.
    pub async fn init_head(&self) -> Result<(), StoreError> {
        let last = self.store.read(&Query::all(), ReadOptions { from: None, backwards: true, limit: Some(1) }).await?;
        self.head.store(last.first().map_or(0, |e| e.position), Ordering::Relaxed);
        Ok(())
    }

    /// The whole log, read back through the trait.
    ///
    /// # Errors
    /// The store's read error.
    pub async fn log(&self) -> Result<Vec<SequencedEvent>, StoreError> {
        self.store.read(&Query::all(), ReadOptions::default()).await
    }

    /// The faults injected so far.
    pub fn journal(&self) -> Vec<FaultRecord> {
        lock(&self.journal).clone()
    }

    /// A view for command `index`.
    pub fn view(&self, index: usize) -> CommandStore<'_, S> {
        self.view_as(index, None)
    }

    /// A view for command `index` of `client` (`None`: a setup command,
    /// which never waits for a turn).
    pub(crate) fn view_as(&self, index: usize, client: Option<u32>) -> CommandStore<'_, S> {
        CommandStore { harness: self, command: index, client, state: Mutex::new(ViewState::default()) }
    }

    fn draw(&self, min: Duration, max: Duration) -> Duration {
        let (lo, hi) = (min.as_nanos() as u64, max.as_nanos() as u64);
        if hi <= lo {
            return Duration::from_nanos(lo);
        }
        Duration::from_nanos(lock(&self.latency_rng).random_range(lo..=hi))
    }

    async fn pause(&self, min: Duration, max: Duration) {
        let d = self.draw(min, max);
        if !d.is_zero() {
            madsim::time::sleep(d).await;
        }
    }

    fn chance(&self, p: f64) -> bool {
        p > 0.0 && lock(&self.fault_rng).random_bool(p)
    }

    fn record(&self, kind: FaultKind, applied: Option<(Position, Position)>, command: usize, call: usize) -> u64 {
        let mut journal = lock(&self.journal);
        let id = journal.len() as u64 + 1;
        journal.push(FaultRecord { id, at: self.clock.now(), kind, applied, command, call });
        id
    }

    async fn maybe_spike(&self, command: usize, call: usize) {
        if self.chance(self.plan.spike_probability) {
            let max = self.plan.spike_max.as_nanos() as u64;
            let min = RuntimeSleeper::MIN_SLEEP.as_nanos() as u64;
            let d = Duration::from_nanos(lock(&self.fault_rng).random_range(min..=max.max(min)));
            self.record(FaultKind::Spike, None, command, call);
            madsim::time::sleep(d).await;
        }
    }

    fn unavailable(&self, command: usize, call: usize) -> (u64, StoreError) {
        self.unavailable_as(self.plan.unavailable_retryable, command, call)
    }

    fn unavailable_as(&self, retryable: bool, command: usize, call: usize) -> (u64, StoreError) {
        let id = self.record(FaultKind::Unavailable, None, command, call);
        let reason = format!("{} store unavailable", FaultRecord::tag(id));
        (id, StoreError::Unavailable { retryable, reason })
    }

    async fn scripted_spike(&self, d: Duration, command: usize, call: usize) {
        self.record(FaultKind::Spike, None, command, call);
        madsim::time::sleep(d).await;
    }

    /// A read with a scripted fault.
    async fn scripted_read(&self, fault: ScriptedKind, query: &Query, options: ReadOptions, command: usize, call: usize) -> (Result<Vec<SequencedEvent>, StoreError>, Position, Option<u64>) {
        match fault {
            ScriptedKind::Unavailable { retryable } => {
                let (id, e) = self.unavailable_as(retryable, command, call);
                (Err(e), self.head.load(Ordering::Relaxed), Some(id))
            }
            ScriptedKind::Timeout { after, .. } => {
                let id = self.record(FaultKind::TimeoutBefore, None, command, call);
                madsim::time::sleep(after).await;
                let e = StoreError::Timeout(format!("{} read timed out after {after:?}", FaultRecord::tag(id)));
                (Err(e), self.head.load(Ordering::Relaxed), Some(id))
            }
            ScriptedKind::Spike { duration } => {
                self.scripted_spike(duration, command, call).await;
                let head = self.head.load(Ordering::Relaxed);
                (self.store.read(query, options).await, head, None)
            }
            // Append-only faults are refused by validation.
            ScriptedKind::Ambiguous | ScriptedKind::Crash => {
                let head = self.head.load(Ordering::Relaxed);
                (self.store.read(query, options).await, head, None)
            }
        }
    }

    /// An append with a scripted fault.
    async fn scripted_append(&self, fault: ScriptedKind, events: Vec<Event>, condition: Option<AppendCondition>, command: usize, call: usize) -> (Result<Position, StoreError>, Option<(Position, Position)>, Option<u64>) {
        let n = events.len();
        match fault {
            ScriptedKind::Spike { duration } => {
                self.scripted_spike(duration, command, call).await;
                (self.inner_append(events, condition).await, None, None)
            }
            ScriptedKind::Unavailable { retryable } => {
                let (id, e) = self.unavailable_as(retryable, command, call);
                (Err(e), None, Some(id))
            }
            ScriptedKind::Crash => {
                let id = self.record(FaultKind::Crash, None, command, call);
                (Err(StoreError::Canceled(format!("{} client crashed between read and append", FaultRecord::tag(id)))), None, Some(id))
            }
            ScriptedKind::Timeout { applied, after } => {
                let applied = if applied { self.inner_append(events, condition).await.ok().map(|last| written(last, n)) } else { None };
                let kind = if applied.is_some() { FaultKind::TimeoutAfter } else { FaultKind::TimeoutBefore };
                let id = self.record(kind, applied, command, call);
                madsim::time::sleep(after).await;
                let e = StoreError::Timeout(format!("{} append timed out after {after:?}", FaultRecord::tag(id)));
                (Err(e), applied, Some(id))
            }
            ScriptedKind::Ambiguous => {
                let applied = self.inner_append(events, condition).await.ok().map(|last| written(last, n));
                let id = self.record(FaultKind::Ambiguous, applied, command, call);
                let reason = format!("{} connection lost after commit (outcome unknown)", FaultRecord::tag(id));
                (Err(StoreError::Unavailable { retryable: true, reason }), applied, Some(id))
            }
        }
    }

    async fn inner_append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let result = self.store.append(events, condition).await;
        if let Ok(last) = result {
            self.head.fetch_max(last, Ordering::Relaxed);
        }
        result
    }

    /// The read itself, with faults; returns the result, the head it ran
    /// at and the fault id.
    async fn faulty_read(&self, query: &Query, options: ReadOptions, command: usize, call: usize) -> (Result<Vec<SequencedEvent>, StoreError>, Position, Option<u64>) {
        if !self.plan.is_none() {
            self.maybe_spike(command, call).await;
            if self.chance(self.plan.unavailable_probability) {
                let (id, e) = self.unavailable(command, call);
                return (Err(e), self.head.load(Ordering::Relaxed), Some(id));
            }
            if self.chance(self.plan.timeout_probability) {
                let id = self.record(FaultKind::TimeoutBefore, None, command, call);
                madsim::time::sleep(self.plan.call_timeout).await;
                let e = StoreError::Timeout(format!("{} read timed out after {:?}", FaultRecord::tag(id), self.plan.call_timeout));
                return (Err(e), self.head.load(Ordering::Relaxed), Some(id));
            }
        }
        let head = self.head.load(Ordering::Relaxed);
        (self.store.read(query, options).await, head, None)
    }

    /// The append itself, with faults; returns the result, what was applied
    /// behind an error, and the fault id.
    async fn faulty_append(&self, events: Vec<Event>, condition: Option<AppendCondition>, command: usize, call: usize) -> (Result<Position, StoreError>, Option<(Position, Position)>, Option<u64>) {
        if self.plan.is_none() {
            let result = self.inner_append(events, condition).await;
            // A real store's wrapper that made this commit ambiguous on
            // purpose (real-time runs) says what it wrote: a ghost write.
            if let Err(e) = &result
                && let Some(applied) = self.store.applied_despite(e)
            {
                self.head.fetch_max(applied.1, Ordering::Relaxed);
                let id = self.record(FaultKind::Ambiguous, Some(applied), command, call);
                return (result, Some(applied), Some(id));
            }
            return (result, None, None);
        }
        self.maybe_spike(command, call).await;
        if self.chance(self.plan.crash_probability) {
            let id = self.record(FaultKind::Crash, None, command, call);
            return (Err(StoreError::Canceled(format!("{} client crashed between read and append", FaultRecord::tag(id)))), None, Some(id));
        }
        if self.chance(self.plan.unavailable_probability) {
            let (id, e) = self.unavailable(command, call);
            return (Err(e), None, Some(id));
        }
        let n = events.len();
        if self.chance(self.plan.timeout_probability) {
            let apply = self.chance(0.5);
            let applied = if apply { self.inner_append(events, condition).await.ok().map(|last| written(last, n)) } else { None };
            let kind = if applied.is_some() { FaultKind::TimeoutAfter } else { FaultKind::TimeoutBefore };
            let id = self.record(kind, applied, command, call);
            madsim::time::sleep(self.plan.call_timeout).await;
            let e = StoreError::Timeout(format!("{} append timed out after {:?}", FaultRecord::tag(id), self.plan.call_timeout));
            return (Err(e), applied, Some(id));
        }
        if self.chance(self.plan.ambiguous_probability) {
            let applied = self.inner_append(events, condition).await.ok().map(|last| written(last, n));
            let id = self.record(FaultKind::Ambiguous, applied, command, call);
            let reason = format!("{} connection lost after commit (outcome unknown)", FaultRecord::tag(id));
            return (Err(StoreError::Unavailable { retryable: true, reason }), applied, Some(id));
        }
        (self.inner_append(events, condition).await, None, None)
    }
}

fn written(last: Position, n: usize) -> (Position, Position) {
    (last + 1 - n as u64, last)
}

#[derive(Debug, Default)]
struct ViewState {
    /// Calls in the order they were made (a slot is filled when its call returns).
    calls: Vec<Option<StoreCall>>,
    /// Sleeps announced since the last call.
    slept: Duration,
    /// The next read is marked independent.
    independent: bool,
    /// The current attempt (as [`derive`](super::derive) numbers them) and
    /// the reads and appends made in it so far.
    attempt: u32,
    reads: u32,
    appends: u32,
    /// User probes fired (only when the harness records them).
    probes: Vec<UserProbe>,
}

/// One command's view of the [`Harness`]: an [`EventStore`] whose every
/// call is recorded for that command, and the [`CallHooks`] its clock and
/// context report to.
#[derive(Debug)]
pub struct CommandStore<'h, S> {
    harness: &'h Harness<S>,
    command: usize,
    client: Option<u32>,
    state: Mutex<ViewState>,
}

impl<S> CommandStore<'_, S> {
    /// The calls recorded, in the order they were made.
    pub fn into_calls(self) -> Vec<StoreCall> {
        self.into_records().0
    }

    /// The calls recorded, in the order they were made, and the user
    /// probes fired (empty unless the harness records them).
    pub fn into_records(self) -> (Vec<StoreCall>, Vec<UserProbe>) {
        let state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        (state.calls.into_iter().flatten().collect(), state.probes)
    }

    /// Reserves the next call's slot; returns its index, the sleep announced
    /// before it, whether it is marked independent, and the scripted fault
    /// aimed at it.
    fn begin(&self, kind: CallKind, started_at: Duration) -> (usize, Duration, bool, Option<ScriptedKind>) {
        let mut st = lock(&self.state);
        let slept = std::mem::take(&mut st.slept);
        let scripted = if self.harness.scripted.is_empty() {
            None
        } else {
            if starts_attempt_at(st.calls.last().and_then(Option::as_ref), slept, started_at) {
                st.attempt += 1;
                (st.reads, st.appends) = (0, 0);
            }
            let nth = match kind {
                CallKind::Read => {
                    st.reads += 1;
                    st.reads
                }
                CallKind::Append => {
                    st.appends += 1;
                    st.appends
                }
            };
            let (command, attempt) = (self.command, st.attempt);
            self.harness.scripted.iter().find(|f| f.at.command == command && f.at.attempt == attempt && f.at.kind == kind && f.at.nth == nth).map(|f| f.fault)
        };
        st.calls.push(None);
        (st.calls.len() - 1, slept, std::mem::take(&mut st.independent), scripted)
    }

    fn finish(&self, index: usize, call: StoreCall) {
        lock(&self.state).calls[index] = Some(call);
    }

    /// The turn this view's calls wait for, with the client, if controlled.
    fn turn(&self) -> Option<(&Turn, u32)> {
        self.harness.turn.as_deref().zip(self.client)
    }

    /// A call of this view is in the store (controlled schedulers only).
    fn entered(&self) {
        if let Some((turn, client)) = self.turn() {
            turn.entered_store(client);
        }
    }

    /// Waits until the scheduler releases call `call` with `footprint`
    /// (controlled schedulers only; the footprint is built only then).
    async fn released(&self, call: usize, footprint: impl FnOnce() -> Footprint) {
        if let Some((turn, client)) = self.turn() {
            turn.take_turn(Step { client, command: self.command, call, footprint: footprint() }).await;
        }
    }

    /// The call has taken effect (controlled schedulers only).
    fn left(&self) {
        if let Some((turn, client)) = self.turn() {
            turn.left_store(client);
        }
    }
}

impl<S: EventStore> EventStore for CommandStore<'_, S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        let h = self.harness;
        let started_at = h.clock.now();
        let (index, slept_before, independent, scripted) = self.begin(CallKind::Read, started_at);
        let l = h.latency;
        self.entered();
        h.pause(l.read_min, l.read_max).await;
        self.released(index, || Footprint::Read(query.clone())).await;
        let (result, head, fault) = match scripted {
            Some(f) => h.scripted_read(f, query, options, self.command, index).await,
            None => h.faulty_read(query, options, self.command, index).await,
        };
        self.left();
        h.pause(l.read_min, l.read_max).await;
        let recorded = match &result {
            Ok(events) => ReadResult::Events {
                count: u32::try_from(events.len()).unwrap_or(u32::MAX),
                lowest: events.iter().map(|e| e.position).min(),
                highest: events.iter().map(|e| e.position).max(),
            },
            Err(e) => ReadResult::Error { error: e.kind() },
        };
        let op = CallOp::Read { query: query.clone(), options, independent, head, result: recorded };
        self.finish(index, StoreCall { started_at, ended_at: h.clock.now(), slept_before, fault, op });
        result
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let h = self.harness;
        let started_at = h.clock.now();
        let (index, slept_before, _, scripted) = self.begin(CallKind::Append, started_at);
        let n = u32::try_from(events.len()).unwrap_or(u32::MAX);
        let (conditional, after) = (condition.is_some(), condition.as_ref().and_then(|c| c.after));
        let l = h.latency;
        self.entered();
        h.pause(l.append_min, l.append_max).await;
        self.released(index, || Footprint::Append(events.clone())).await;
        let (result, applied, fault) = match scripted {
            Some(f) => h.scripted_append(f, events, condition, self.command, index).await,
            None => h.faulty_append(events, condition, self.command, index).await,
        };
        self.left();
        h.pause(l.append_min, l.append_max).await;
        let recorded = match &result {
            Ok(last) => AppendResult::Written { first: last + 1 - u64::from(n), last: *last },
            Err(StoreError::ConditionFailed { conflicting, .. }) => AppendResult::Conflict { conflicting: *conflicting },
            Err(e) => AppendResult::Error { error: e.kind(), applied, message: e.to_string() },
        };
        let op = CallOp::Append { events: n, conditional, after, result: recorded };
        self.finish(index, StoreCall { started_at, ended_at: h.clock.now(), slept_before, fault, op });
        result
    }
}

impl<S: Send + Sync> CallHooks for CommandStore<'_, S> {
    fn sleeping(&self, d: Duration) {
        lock(&self.state).slept += d;
    }
    fn next_read_independent(&self) {
        lock(&self.state).independent = true;
    }
    fn probe(&self, name: &str, held: bool) {
        if self.harness.probes {
            super::user_probes::record(&mut lock(&self.state).probes, name, held);
        }
    }
}
