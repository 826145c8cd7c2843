//! [`run`]: one scenario under one seed on a fresh madsim runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Duration;

use crate::check;
use super::derive;
use super::harness::Harness;
use super::history::{CommandRecord, History};
use super::metrics::MemoryRecorder;
use super::plants::{PlantedStore, planted_policy};
use super::scenario::{Scenario, Scheduled};
use super::sched::turn::{Chooser, Tracked, Turn};
use super::violation::Violation;
use super::workload::{Cmd, Workload, with_declared_policy};
use crate::handler::{Ctx, Handler};
use crate::retry::{RetryPolicy, RunClock, RuntimeSleeper, Sleeper};
use crate::rng;
use crate::store::EventStore;

/// RNG sub-stream for store latency; command `i` uses stream `i + 1`.
pub const LATENCY_STREAM: u64 = 0;
/// RNG sub-stream for fault decisions.
pub const FAULT_STREAM: u64 = u64::MAX - 1;

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunResult<C> {
    /// What happened.
    pub history: History<C>,
    /// What the checkers found (empty = all invariants held).
    pub violations: Vec<Violation>,
    /// What the serializability re-execution ran and skipped
    /// ([`check::serializable`]).
    pub serializability: check::serializable::Tally,
}

impl<C> RunResult<C> {
    /// A run that could not happen: no history, only the harness's
    /// violation `v`.
    pub(crate) fn not_run(seed: u64, v: Violation) -> Self {
        let history = History { seed, commands: Vec::new(), log: Vec::new(), faults: Vec::new(), metrics: Default::default(), schedule: None };
        RunResult { history, violations: vec![v], serializability: check::serializable::Tally::default() }
    }
}

/// Runs `scenario` under `seed` and checks every invariant: the generic
/// ones ([`check::all`]) and the workload's own.
pub fn run<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64) -> RunResult<Cmd<W>> {
    let scenario = with_declared_policy(workload, scenario);
    checked(workload, &scenario, seed, unchecked(workload, &scenario, seed))
}

/// Checks the outcome of one run.
pub(crate) fn checked<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, outcome: Result<History<Cmd<W>>, Violation>) -> RunResult<Cmd<W>> {
    checked_timed(workload, scenario, seed, outcome, super::derive::Timing::Virtual)
}

/// [`checked`] for a history measured on `timing`'s clock.
pub(super) fn checked_timed<W: Workload>(
    workload: &W,
    scenario: &Scenario<Cmd<W>>,
    seed: u64,
    outcome: Result<History<Cmd<W>>, Violation>,
    timing: super::derive::Timing,
) -> RunResult<Cmd<W>> {
    let (history, mut violations) = match outcome {
        Ok(history) => (history, Vec::new()),
        Err(v) => return RunResult::not_run(seed, v),
    };
    check::all_timed(scenario, &history, timing, &mut violations);
    let serializability = check::serializable::check_timed(workload, scenario, &history, timing, &mut violations);
    workload.check(scenario, &history, &mut violations);
    RunResult { history, violations, serializability }
}

/// Runs `scenario` under `seed` and returns the history without checking it.
///
/// # Errors
/// A [`Violation::Harness`] for an invalid scenario, a plant the workload
/// does not support, a store that cannot open, or a panic inside the run;
/// a [`Violation::Liveness`] when every task blocked forever.
pub fn run_unchecked<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64) -> Result<History<Cmd<W>>, Violation> {
    unchecked(workload, &with_declared_policy(workload, scenario), seed)
}

/// [`run_unchecked`] of a scenario whose policy is already resolved.
fn unchecked<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64) -> Result<History<Cmd<W>>, Violation> {
    let clients: Vec<u32> = scenario.commands.iter().map(|s| s.client).collect::<BTreeSet<u32>>().into_iter().collect();
    let chooser = scenario.scheduler.chooser(seed, &clients, scenario.commands.len());
    run_with(workload, scenario, seed, chooser)
}

/// [`run_unchecked`] with the store steps ordered by `chooser` (`None`:
/// random latency), whatever the scenario's scheduler says.
pub(crate) fn run_with<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, chooser: Option<Box<dyn Chooser>>) -> Result<History<Cmd<W>>, Violation> {
    scenario.validate().map_err(|e| Violation::Harness { detail: e.to_string() })?;
    if scenario.engine != super::Engine::default() && !workload.follows_engine() {
        return Err(Violation::Harness {
            detail: format!(
                "the scenario asks for the {:?} engine, but workload {} opens a store of its own (Workload::follows_engine is false); \
                 drop the scenario's engine, or run the workload over another store with `workload.with_store(..)`",
                scenario.engine,
                workload.name()
            ),
        });
    }
    if let Some(plant) = scenario.plant
        && !workload.plants().contains(&plant)
    {
        let supported: Vec<&str> = workload.plants().iter().map(|p| p.name()).collect();
        return Err(Violation::Harness {
            detail: format!("plant {plant} does not apply to workload {}; it supports: {}", workload.name(), supported.join(", ")),
        });
    }
    let rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
    let recorder = MemoryRecorder::new();
    let probes = super::user_probes::collecting();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        metrics::with_local_recorder(&recorder, || rt.block_on(simulate(workload, scenario, seed, chooser, probes)))
    }));
    match result {
        Ok(Ok(mut history)) => {
            history.metrics = recorder.take();
            Ok(history)
        }
        Ok(Err(v)) => Err(v),
        Err(panic) => {
            let msg = panic_text(&*panic);
            Err(if msg.contains("no events, all tasks will block forever") {
                Violation::Liveness { detail: format!("deadlock: every task is blocked and no timer is pending ({msg})") }
            } else {
                Violation::Harness { detail: format!("panic during the run: {msg}") }
            })
        }
    }
}

/// The message of a caught panic.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string())).unwrap_or_else(|| "(non-string panic)".into())
}

/// What every client task shares.
pub(super) struct Shared<S, H> {
    pub(super) harness: Harness<PlantedStore<S>>,
    pub(super) handler: H,
    pub(super) policy: RetryPolicy,
    pub(super) clock: RunClock,
    /// Which clock the calls are timed on (how attempts are derived).
    pub(super) timing: super::derive::Timing,
    pub(super) seed: u64,
}

async fn simulate<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, chooser: Option<Box<dyn Chooser>>, probes: bool) -> Result<History<Cmd<W>>, Violation> {
    let clock = RuntimeSleeper::new();
    let turn = chooser.map(|c| Turn::new(scenario.commands.iter().map(|s| s.client).collect::<BTreeSet<u32>>(), c));
    let store = workload.store(scenario).map_err(|e| Violation::Harness { detail: format!("the workload's store could not open: {e}") })?;
    let store = PlantedStore::new(store, scenario.plant);
    let mut harness = Harness::new(store, scenario.latency, rng::substream(seed, LATENCY_STREAM), scenario.faults, rng::substream(seed, FAULT_STREAM), clock)
        .with_probes(probes);
    if let Some(turn) = &turn {
        harness = harness.with_turn(turn.clone());
    }
    if !scenario.scripted_faults.is_empty() {
        harness = harness.with_scripted_faults(scenario.scripted_faults.clone());
    }
    harness.init_head().await.map_err(|e| Violation::Harness { detail: format!("the workload's store could not be read: {e}") })?;
    let policy = planted_policy(&scenario.policy, scenario.plant);
    let shared = Rc::new(Shared { harness, handler: workload.handler(scenario), policy, clock: clock.into(), timing: super::derive::Timing::Virtual, seed });

    let mut records = setup(&shared, scenario).await;
    let t0 = clock.now();
    let mut tasks = Vec::new();
    for (client, commands) in client_queues(scenario) {
        let shared = shared.clone();
        let client_task = async move { client_loop(&*shared, t0, client, commands).await };
        tasks.push(match &turn {
            Some(turn) => madsim::task::spawn_local(Tracked::new(turn.clone(), client, client_task)),
            None => madsim::task::spawn_local(client_task),
        });
    }
    for task in tasks {
        records.extend(task.await.expect("client tasks do not panic"));
    }
    records.sort_by_key(|r| r.index);
    let log = shared.harness.log().await.map_err(|e| Violation::Harness { detail: format!("the workload's store could not be read back: {e}") })?;
    let schedule = turn.map(|t| t.record());
    Ok(History { seed, commands: records, log, faults: shared.harness.journal(), metrics: Default::default(), schedule })
}

/// One client's commands in the order it runs them: (index, start, request id, command).
pub(super) type ClientQueue<C> = Vec<(usize, Duration, Option<String>, C)>;

/// Runs the scenario's setup commands one at a time.
pub(super) async fn setup<C: Clone, S: EventStore, H: Handler<C>>(shared: &Shared<S, H>, scenario: &Scenario<C>) -> Vec<CommandRecord<C>> {
    let mut records = Vec::with_capacity(scenario.setup.len() + scenario.commands.len());
    for (index, command) in scenario.setup.iter().enumerate() {
        records.push(execute(shared, index, scenario.request_id(index), None, command.clone()).await);
    }
    records
}

/// Each client's commands (indices after the setup's), by client, each
/// client's sorted by start time.
pub(super) fn client_queues<C: Clone>(scenario: &Scenario<C>) -> BTreeMap<u32, ClientQueue<C>> {
    let offset = scenario.setup.len();
    let mut by_client: BTreeMap<u32, Vec<(usize, &Scheduled<C>)>> = BTreeMap::new();
    for (i, s) in scenario.commands.iter().enumerate() {
        by_client.entry(s.client).or_default().push((offset + i, s));
    }
    by_client
        .into_iter()
        .map(|(client, mut commands)| {
            commands.sort_by_key(|(i, s)| (s.start, *i));
            (client, commands.into_iter().map(|(i, s)| (i, s.start, scenario.request_id(i), s.command.clone())).collect())
        })
        .collect()
}

/// One client: waits for each command's start (from `t0`) and handles it.
pub(super) async fn client_loop<C, S: EventStore, H: Handler<C>>(shared: &Shared<S, H>, t0: Duration, client: u32, commands: ClientQueue<C>) -> Vec<CommandRecord<C>> {
    let mut out = Vec::with_capacity(commands.len());
    for (index, start, request, command) in commands {
        let wait = (t0 + start).saturating_sub(shared.clock.now());
        if !wait.is_zero() {
            shared.clock.sleep(wait).await;
        }
        out.push(execute(shared, index, request, Some(client), command).await);
    }
    out
}

async fn execute<C, S: EventStore, H: Handler<C>>(shared: &Shared<S, H>, index: usize, request: Option<String>, client: Option<u32>, command: C) -> CommandRecord<C> {
    let mut rng = rng::substream(shared.seed, index as u64 + 1);
    let started_at = shared.clock.now();
    let view = shared.harness.view_as(index, client);
    let ctx = Ctx::new(&view, shared.clock, &mut rng, request.as_deref(), &shared.policy, &view);
    let outcome = shared.handler.handle(ctx, &command).await;
    let ended_at = shared.clock.now();
    let (calls, probes) = view.into_records();
    let report = derive::report_timed(&calls, &outcome, started_at, shared.timing);
    CommandRecord { index, client, command, started_at, ended_at, report, calls, probes }
}
