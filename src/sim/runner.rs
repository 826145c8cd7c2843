//! [`run`]: one scenario under one seed on a fresh madsim runtime.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::check;
use super::history::{CommandRecord, History};
use super::latency::LatencyStore;
use super::planted::SimStore;
use super::scenario::{Scenario, Scheduled};
use super::violation::Violation;
use super::workload::{Cmd, Workload};
use crate::handler::{CommandHandler, Decider};
use super::metrics::MemoryRecorder;
use crate::retry::{MetricsObserver, RuntimeSleeper, Sleeper};
use crate::store::FaultyStore;
use crate::rng;

/// RNG sub-stream for store latency; command `i` uses stream `i + 1`.
const LATENCY_STREAM: u64 = 0;
/// RNG sub-stream for fault decisions.
const FAULT_STREAM: u64 = u64::MAX - 1;

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunResult<C> {
    /// What happened.
    pub history: History<C>,
    /// What the checkers found (empty = all invariants held).
    pub violations: Vec<Violation>,
}

/// Runs `scenario` under `seed` and checks every invariant: the generic
/// ones ([`check::all`]) and the workload's own.
pub fn run<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64) -> RunResult<Cmd<W>> {
    let (history, mut violations) = match run_unchecked(workload, scenario, seed) {
        Ok(history) => (history, Vec::new()),
        Err(v) => {
            let history = History { seed, commands: Vec::new(), log: Vec::new(), faults: Vec::new(), metrics: Default::default() };
            return RunResult { history, violations: vec![v] };
        }
    };
    check::all(&workload.decider(), scenario, &history, &mut violations);
    workload.check(scenario, &history, &mut violations);
    RunResult { history, violations }
}

/// Runs `scenario` under `seed` and returns the history without checking it.
///
/// # Errors
/// A [`Violation::Harness`] for an invalid scenario or a panic inside the
/// run, a [`Violation::Liveness`] when every task blocked forever.
pub fn run_unchecked<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64) -> Result<History<Cmd<W>>, Violation> {
    scenario.validate().map_err(|e| Violation::Harness { detail: e.to_string() })?;
    let rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
    let decider = workload.decider();
    let recorder = MemoryRecorder::new();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        metrics::with_local_recorder(&recorder, || rt.block_on(simulate(decider, scenario, seed)))
    }));
    result.map(|mut history| {
        history.metrics = recorder.snapshot();
        history
    })
    .map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("(non-string panic)")
            .to_string();
        if msg.contains("no events, all tasks will block forever") {
            Violation::Liveness { detail: format!("deadlock: every task is blocked and no timer is pending ({msg})") }
        } else {
            Violation::Harness { detail: format!("panic during the run: {msg}") }
        }
    })
}

async fn simulate<D: Decider>(decider: D, scenario: &Scenario<D::Command>, seed: u64) -> History<D::Command> {
    let sleeper = RuntimeSleeper::new();
    let base = Arc::new(SimStore::with_engine(scenario.engine, scenario.plant));
    let faulty = Arc::new(FaultyStore::new(base.clone(), scenario.faults, rng::substream(seed, FAULT_STREAM)));
    let store = LatencyStore::new(faulty.clone(), scenario.latency, rng::substream(seed, LATENCY_STREAM));
    let handler = Rc::new(CommandHandler::new(decider, store, scenario.policy.clone(), sleeper).with_plant(scenario.plant));

    let mut records = Vec::with_capacity(scenario.setup.len() + scenario.commands.len());
    for (index, command) in scenario.setup.iter().enumerate() {
        records.push(execute(&handler, &sleeper, seed, index, scenario.request_id(index), None, command.clone()).await);
    }

    let t0 = sleeper.now();
    let offset = scenario.setup.len();
    let mut by_client: BTreeMap<u32, ClientQueue<'_, D::Command>> = BTreeMap::new();
    for (i, s) in scenario.commands.iter().enumerate() {
        by_client.entry(s.client).or_default().push((offset + i, s));
    }
    let mut tasks = Vec::with_capacity(by_client.len());
    for (client, mut commands) in by_client {
        commands.sort_by_key(|(i, s)| (s.start, *i));
        let commands: Vec<(usize, Duration, Option<String>, D::Command)> =
            commands.into_iter().map(|(i, s)| (i, s.start, scenario.request_id(i), s.command.clone())).collect();
        let handler = handler.clone();
        tasks.push(madsim::task::spawn_local(async move {
            let mut out = Vec::with_capacity(commands.len());
            for (index, start, request, command) in commands {
                let wait = (t0 + start).saturating_sub(sleeper.now());
                if !wait.is_zero() {
                    madsim::time::sleep(wait).await;
                }
                out.push(execute(&handler, &sleeper, seed, index, request, Some(client), command).await);
            }
            out
        }));
    }
    for task in tasks {
        records.extend(task.await.expect("client tasks do not panic"));
    }
    records.sort_by_key(|r| r.index);
    History { seed, commands: records, log: base.snapshot(), faults: faulty.journal(), metrics: Default::default() }
}

/// A client's commands with their indices.
type ClientQueue<'a, C> = Vec<(usize, &'a Scheduled<C>)>;

/// The handler every simulated client shares.
type SimHandler<D> = CommandHandler<D, LatencyStore<Arc<FaultyStore<Arc<SimStore>>>>, RuntimeSleeper>;

async fn execute<D: Decider>(
    handler: &SimHandler<D>,
    sleeper: &RuntimeSleeper,
    seed: u64,
    index: usize,
    request: Option<String>,
    client: Option<u32>,
    command: D::Command,
) -> CommandRecord<D::Command> {
    let mut rng = rng::substream(seed, index as u64 + 1);
    let started_at = sleeper.now();
    let mut observer = MetricsObserver::new(handler.decider().command_type(&command));
    let report = handler.handle_request(&command, request.as_deref(), &mut rng, &mut observer).await;
    CommandRecord { index, client, command, started_at, ended_at: sleeper.now(), report }
}
