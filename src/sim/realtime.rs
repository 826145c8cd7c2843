//! [`run_realtime`]: the simulator's runner on the real clock, against real
//! storage, with one OS thread per client.
//!
//! The scenario is played exactly as [`run`](super::run) plays it (the same
//! setup, the same per-client queues and start times, the same per-command
//! RNG streams, request ids, handler and recording store view), and the
//! history goes through the same checkers. What differs is only what a real
//! run cannot have: no simulated latency (the engine's own), no injected
//! faults, no plants, no controlled scheduler (the OS orders the calls),
//! and the `delays` checker's upper bound on the gap between attempts (a
//! real sleep overshoots; see [`Timing::Real`]).
//!
//! ```no_run
//! use dcb_sim::domain::enrollment::EnrollmentWorkload;
//! use dcb_sim::explore::SCENARIO_STREAM;
//! use dcb_sim::sim::{Workload, run_realtime};
//! use dcb_sim::store::SqliteStore;
//!
//! let workload = EnrollmentWorkload::with_clients(8);
//! let scenario = workload.generate(&mut dcb_sim::rng::substream(1, SCENARIO_STREAM));
//! let store = SqliteStore::open("stress.db").unwrap();
//! let result = run_realtime(&workload, &scenario, 1, store);
//! assert!(result.violations.is_empty(), "{:?}", result.violations);
//! ```

use super::derive::Timing;
use super::harness::Harness;
use super::history::History;
use super::metrics::MemoryRecorder;
use super::plants::PlantedStore;
use super::runner::{RunResult, Shared, checked_timed, client_loop, client_queues, panic_text, setup};
use super::sched::Scheduler;
use super::scenario::Scenario;
use super::violation::Violation;
use super::workload::with_declared_policy;
use super::workload::{Cmd, Workload};
use crate::retry::{Sleeper, TokioSleeper};
use crate::store::EventStore;

/// Plays `scenario` under `seed` against `store` on the real clock, one OS
/// thread per client (each with a current-thread tokio runtime), and checks
/// every invariant the simulator checks.
///
/// `store` is shared by the client threads: an engine whose handle is one
/// connection should hand each call a connection of its own (a pool) for
/// the threads to contend on the engine's locks rather than on a mutex.
///
/// A scenario this mode cannot play is refused with a
/// [`Violation::Harness`] saying why: a plant (wrap `store` in the broken
/// adapter instead), a fault plan or scripted faults (a real run has only
/// the engine's own failures), or a controlled scheduler (the OS orders
/// real calls).
pub fn run_realtime<W, S>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, store: S) -> RunResult<Cmd<W>>
where
    W: Workload,
    W::Handler: Sync,
    S: EventStore + Sync,
{
    let scenario = &*with_declared_policy(workload, scenario);
    let outcome = refusal(scenario).map_or_else(|| play(workload, scenario, seed, store), Err);
    checked_timed(workload, scenario, seed, outcome, Timing::Real)
}

fn refusal<C>(scenario: &Scenario<C>) -> Option<Violation> {
    let detail = if let Err(e) = scenario.validate() {
        e.to_string()
    } else if let Some(plant) = scenario.plant {
        format!("plant {plant} is simulated; a real-time run uses the store it is given (pass a broken adapter to test one) and the workload's handler")
    } else if !scenario.faults.is_none() || !scenario.scripted_faults.is_empty() {
        "faults are injected by the simulator; a real-time run has only the engine's own failures (clear the scenario's fault plan and scripted faults)".into()
    } else if scenario.scheduler != Scheduler::Random {
        "a controlled scheduler orders simulated store steps; in a real-time run the OS orders them (use Scheduler::Random)".into()
    } else {
        return None;
    };
    Some(Violation::Harness { detail })
}

fn runtime() -> Result<tokio::runtime::Runtime, Violation> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Violation::Harness { detail: format!("could not start a tokio runtime for a real-time client: {e}") })
}

fn play<W, S>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, store: S) -> Result<History<Cmd<W>>, Violation>
where
    W: Workload,
    W::Handler: Sync,
    S: EventStore + Sync,
{
    let clock = TokioSleeper::new();
    let recorder = MemoryRecorder::new();
    let rt = runtime()?;
    let harness = Harness::realtime(PlantedStore::new(store, None), seed, clock).with_probes(super::user_probes::collecting());
    rt.block_on(harness.init_head()).map_err(|e| Violation::Harness { detail: format!("the store could not be read: {e}") })?;
    let shared = Shared { harness, handler: workload.handler(scenario), policy: scenario.policy.clone(), clock: clock.into(), timing: Timing::Real, seed };

    let mut records = metrics::with_local_recorder(&recorder, || rt.block_on(setup(&shared, scenario)));
    let t0 = clock.now();
    let (shared, recorder) = (&shared, &recorder);
    let clients = std::thread::scope(|scope| {
        let threads: Vec<_> = client_queues(scenario)
            .into_iter()
            .map(|(client, commands)| {
                #[allow(clippy::disallowed_methods, reason = "real-time mode: one OS thread per client, outside any simulation")]
                scope.spawn(move || {
                    let rt = runtime()?;
                    Ok(metrics::with_local_recorder(recorder, || rt.block_on(client_loop(shared, t0, client, commands))))
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|panic| Err(Violation::Harness { detail: format!("a client thread panicked: {}", panic_text(&*panic)) })))
            .collect::<Result<Vec<_>, Violation>>()
    })?;
    records.extend(clients.into_iter().flatten());
    records.sort_by_key(|r| r.index);
    let log = rt.block_on(shared.harness.log()).map_err(|e| Violation::Harness { detail: format!("the store could not be read back: {e}") })?;
    let faults = shared.harness.journal();
    Ok(History { seed, commands: records, log, faults, metrics: recorder.take(), schedule: None })
}
