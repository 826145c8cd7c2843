//! The peer to beat: the plain madsim test a team would write **without**
//! dcb-sim — the same handler and the same store adapter, the same command
//! mix and start times (our generator), clients started on madsim tasks,
//! and only our domain invariants asserted on the final log. No harness: no
//! store latency, no recorded calls, no generic checkers, no races.
//!
//! It hunts each known bug from 20 start seeds (0, 100 000, …) and prints
//! seeds and CPU-seconds (this thread) to the first catch, median and
//! worst, as the `catch-time` rows of `seats-sim` print them:
//!
//! ```sh
//! cargo run --release -p seats --example plain-madsim            # every bug, 20 starts, cap 20,000 seeds
//! cargo run --release -p seats --example plain-madsim -- 5 2000  # 5 starts, cap 2,000
//! ```

#[cfg(not(madsim))]
compile_error!("plain-madsim needs --cfg madsim (set in .cargo/config.toml)");

use std::rc::Rc;
use std::time::Duration;

use dcb_sim::handler::{Ctx, Handler, NoHooks};
use dcb_sim::retry::{RuntimeSleeper, Sleeper};
use dcb_sim::explore::SCENARIO_STREAM;
use seats::{AdapterVariant, HandlerVariant, SeatCommand, SeatsHandler, SeatsStore};

/// One seed: the generated scenario's commands on madsim tasks; true when
/// a domain invariant fails on the final log.
fn violated(handler: SeatsHandler, adapter: AdapterVariant, seed: u64) -> bool {
    let scenario = seats::generate::scenario(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM), 3, 8);
    let rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
    rt.block_on(async move {
        let store = Rc::new(SeatsStore::new(adapter));
        let policy = scenario.policy.clone();
        let run = move |store: Rc<SeatsStore>, policy: dcb_sim::retry::RetryPolicy, index: u64, command: SeatCommand| async move {
            let mut rng = dcb_sim::rng::substream(seed, index + 1);
            let request = index.to_string();
            let ctx = Ctx::new(&*store, RuntimeSleeper::new(), &mut rng, Some(&request), &policy, &NoHooks);
            handler.handle(ctx, &command).await;
        };
        for (i, command) in scenario.setup.iter().enumerate() {
            run(store.clone(), policy.clone(), i as u64, command.clone()).await;
        }
        let mut tasks = Vec::new();
        for (i, s) in scenario.commands.iter().enumerate() {
            let (store, policy, command, start) = (store.clone(), policy.clone(), s.command.clone(), s.start);
            let index = (scenario.setup.len() + i) as u64;
            let run = run.clone();
            tasks.push(madsim::task::spawn_local(async move {
                RuntimeSleeper::new().sleep(start).await;
                run(store, policy, index, command).await;
            }));
        }
        for t in tasks {
            t.await.expect("client task");
        }
        let mut out = Vec::new();
        seats::check::all(&store.inner().snapshot(), &mut out);
        !out.is_empty()
    })
}

/// CPU time of this thread.
fn cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc == 0 { Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32) } else { Duration::ZERO }
}

/// Median and worst (a miss, `None`, counts above every catch).
fn stat(mut v: Vec<Option<f64>>) -> (Option<f64>, Option<f64>) {
    v.sort_by(|a, b| a.unwrap_or(f64::INFINITY).total_cmp(&b.unwrap_or(f64::INFINITY)));
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { v[n / 2 - 1].zip(v[n / 2]).map(|(a, b)| (a + b) / 2.0) };
    (median, v[n - 1])
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (starts, cap) = (args.first().copied().unwrap_or(20), args.get(1).copied().unwrap_or(20_000));
    let bugs = [
        ("seats + narrow-condition", HandlerVariant::NarrowCondition, AdapterVariant::Correct),
        ("seats + stale-retry", HandlerVariant::StaleRetry, AdapterVariant::Correct),
        ("seats + two-reads", HandlerVariant::TwoReadsMaxAfter, AdapterVariant::Correct),
        ("seats + stale-decision", HandlerVariant::StaleDecision, AdapterVariant::Correct),
        ("seats + check-then-insert", HandlerVariant::Correct, AdapterVariant::CheckThenInsert),
        ("seats (correct: no catch expected)", HandlerVariant::Correct, AdapterVariant::Correct),
    ];
    println!("| bug | plain madsim test | caught | seeds median / worst | CPU s median / worst |");
    println!("|---|---|---:|---:|---:|");
    for (label, h, a) in bugs {
        let mut seeds = Vec::new();
        let mut secs = Vec::new();
        for i in 0..starts {
            let start = i * 100_000;
            let t0 = cpu();
            let caught = (0..cap).find(|k| violated(SeatsHandler::new(h), a, start + k)).map(|k| k + 1);
            let t = (cpu() - t0).as_secs_f64();
            seeds.push(caught.map(|n| n as f64));
            secs.push(caught.map(|_| t));
        }
        let caught = seeds.iter().filter(|s| s.is_some()).count();
        let show = |v: Option<f64>, d: usize| v.map_or_else(|| format!(">{cap}"), |v| format!("{v:.d$}"));
        let (sm, sw) = stat(seeds);
        let (cm, cw) = stat(secs);
        println!("| {label} | domain invariants | {caught}/{starts} | {} / {} | {} / {} |", show(sm, 0), show(sw, 0), show(cm, 3), show(cw, 3));
    }
}
