//! `dcb-sim bench`: throughput against the madsim floor, the retry engine's
//! per-attempt overhead, and memory over a long run. Timing lives here and
//! in no pass/fail test.
//!
//! One-thread rows are timed in the CPU time of this process (on Unix), not
//! in wall time: on a shared machine another process's load then slows a row
//! only through what it shares (caches, a hyperthread's core), not by taking
//! the core away. The `--jobs 2` scaling row is wall time (parallel speed-up
//! is a wall-time notion).

#![allow(clippy::disallowed_methods, reason = "benchmarks measure wall-clock time outside any simulation")]

use std::ops::Range;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::retry::{NoopObserver, RetryEngine, RetryPolicy, RuntimeSleeper};
use crate::domain::enrollment::EnrollmentWorkload;
use crate::domain::library::LibraryWorkload;
use super::registry::{Knobs, Registry};
use crate::explore::{ExploreOptions, explore, explore_parallel};
use crate::sim::Workload;
use crate::store::StoreError;

/// `bench` flags.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seeds per throughput measurement.
    #[arg(long, default_value_t = 20_000)]
    seeds: u64,
    /// Schedules of the memory run (the figure is 1,000,000).
    #[arg(long, default_value_t = 200_000)]
    rss_seeds: u64,
    /// Calls per retry-overhead measurement.
    #[arg(long, default_value_t = 1_000_000)]
    calls: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Also measure this registered workload (repeatable): a user's
    /// workload in their own CLI binary (`Registry`), run through the same
    /// runner and checkers, beside a built-in workload of the same size.
    #[arg(long = "workload", value_name = "NAME")]
    workloads: Vec<String>,
    /// Clients per scenario of each `--workload` row and of the built-in
    /// enrollment row it is compared with.
    #[arg(long, default_value_t = 3)]
    clients: u32,
    /// Skip the `--jobs 2` against `--jobs 1` measurement.
    #[arg(long)]
    no_scaling: bool,
}

#[derive(Debug, Serialize)]
struct Throughput {
    name: String,
    schedules_per_sec: f64,
    /// The floor, measured in slices alternating with this row's.
    floor_per_sec: f64,
    /// `floor_per_sec / schedules_per_sec`.
    ratio_to_floor: f64,
}

impl Throughput {
    fn new(name: String, schedules_per_sec: f64, floor_per_sec: f64) -> Self {
        Throughput { name, schedules_per_sec, floor_per_sec, ratio_to_floor: floor_per_sec / schedules_per_sec }
    }
}

/// Slices each row and its floor are cut into, run alternately.
const SLICES: u64 = 20;

/// Runs `row` (over seeds `0..schedules`, in slices of consecutive seeds)
/// interleaved with slices of the floor (`floor_runtimes` runtimes in all),
/// and returns both rates: a shared machine's speed drifts by tens of
/// percent within seconds, so the row and the floor it is divided by are
/// measured in alternating slices of a fraction of a second each, not one
/// after the other.
fn beside_floor(name: String, floor_runtimes: u64, schedules: u64, mut row: impl FnMut(Range<u64>)) -> Throughput {
    let (mut floor_time, mut row_time) = (Duration::ZERO, Duration::ZERO);
    for i in 0..SLICES {
        let part = |n: u64| n * i / SLICES..n * (i + 1) / SLICES;
        floor_time += timed(|| floor(part(floor_runtimes)));
        row_time += timed(|| row(part(schedules)));
    }
    Throughput::new(name, rate(schedules, row_time), rate(floor_runtimes, floor_time))
}

/// This process's CPU time spent in `f` (wall time where the platform has
/// no process CPU clock).
fn timed(f: impl FnOnce()) -> Duration {
    let (start, wall) = (process_cpu_time(), Instant::now());
    f();
    match (start, process_cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    }
}

/// CPU time used so far by the calling thread (zero where the platform
/// has no thread CPU clock). Read outside any simulation.
pub(super) fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec for the call's duration.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    Duration::ZERO
}

/// CPU time used so far by this process, all threads (`None`: not on Unix,
/// or the clock failed). Read outside any simulation: inside one, madsim's
/// `clock_gettime` override serves only the wall clocks.
fn process_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec for the call's duration.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `--jobs 2` against `--jobs 1` on the same seeds.
#[derive(Debug, Serialize)]
struct Scaling {
    name: String,
    jobs1_per_sec: f64,
    jobs2_per_sec: f64,
    /// jobs2 / jobs1 (2.0 = perfect on two cores).
    speedup: f64,
}

/// A registered workload beside the built-in enrollment of the same size.
#[derive(Debug, Serialize)]
struct Registered {
    row: Throughput,
    builtin: Throughput,
    /// How many times slower per schedule than the built-in row (1.0 = same).
    slowdown_vs_builtin: f64,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    floor_runtimes_per_sec: f64,
    workloads: Vec<Throughput>,
    registered: Vec<Registered>,
    scaling: Option<Scaling>,
    retry_engine_ns_per_call: f64,
    hand_loop_ns_per_call: f64,
    retry_overhead_ns_per_attempt: f64,
    rss_kib: Vec<(u64, u64)>,
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// Empty madsim runtimes, one per seed of `seeds`.
fn floor(seeds: Range<u64>) {
    let config = madsim::Config::default();
    for seed in seeds {
        madsim::runtime::Runtime::with_seed_and_config(seed, config.clone()).block_on(async {});
    }
}

fn throughput<W: Workload>(name: &str, w: &W, seeds: u64) -> Throughput {
    beside_floor(name.into(), seeds * 5, seeds, |range| {
        let s = explore(w, &ExploreOptions { start_seed: range.start, seeds: range.end - range.start, ..ExploreOptions::default() });
        assert_eq!(s.violations, 0, "the benchmark workload {name} violated invariants:\n{s}");
    })
}

/// Runs the seeds `seeds` of a registered workload on one thread (the
/// caller times it).
///
/// # Errors
/// When the workload violated an invariant: a benchmark of a failing
/// workload measures the shrinker, not the runner.
pub(super) fn registered_run<W: Workload>(w: &W, seeds: Range<u64>) -> Result<(), String> {
    let s = explore(w, &ExploreOptions { start_seed: seeds.start, seeds: seeds.end - seeds.start, ..ExploreOptions::default() });
    if s.violations > 0 {
        return Err(format!(
            "workload {} violated invariants in {} of seeds {}..{}; bench a workload that passes (run explore to see why):\n{s}",
            w.name(),
            s.violations,
            seeds.start,
            seeds.end
        ));
    }
    Ok(())
}

/// The same seeds of `w` on one thread and on two.
fn scaling<W: Workload + Sync>(name: &str, w: &W, seeds: u64) -> Scaling {
    let opts = ExploreOptions { seeds, ..ExploreOptions::default() };
    let one = explore_parallel(w, &opts, 1, &|_, _| {});
    let two = explore_parallel(w, &opts, 2, &|_, _| {});
    assert_eq!((one.violations, two.violations), (0, 0), "the benchmark workload {name} violated invariants");
    Scaling { name: name.into(), jobs1_per_sec: one.schedules_per_sec, jobs2_per_sec: two.schedules_per_sec, speedup: two.schedules_per_sec / one.schedules_per_sec }
}

/// Per-call cost of `RetryEngine::run` around an operation that succeeds
/// at once, and of a hand-written loop doing the same. Timed from outside
/// the runtime: inside it, madsim's clock is virtual.
fn retry_overhead(calls: u64) -> (f64, f64) {
    let engine_run = || {
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(async move {
            let engine = RetryEngine::new(RetryPolicy::go_default(), RuntimeSleeper::new());
            let mut rng = crate::rng::seeded(1);
            let mut ok = 0u64;
            for i in 0..calls {
                let r = engine.run(&mut rng, &mut NoopObserver, |_| async move { Ok::<u64, StoreError>(i) }).await;
                ok += u64::from(r.outcome.is_ok());
            }
            ok
        })
    };
    let hand_run = || {
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(async move {
            let mut ok = 0u64;
            for i in 0..calls {
                let mut attempt = 0;
                let r = loop {
                    attempt += 1;
                    match async move { Ok::<u64, StoreError>(std::hint::black_box(i)) }.await {
                        Ok(v) => break Ok(v),
                        Err(e) if e.is_conflict() && attempt < 5 => madsim::time::sleep(Duration::from_millis(10)).await,
                        Err(e) => break Err(e),
                    }
                };
                ok += u64::from(r.is_ok());
            }
            ok
        })
    };
    let per_call = |d: Duration| d.as_nanos() as f64 / calls as f64;
    let engine_ns = per_call(timed(|| assert_eq!(engine_run(), calls)));
    let hand_ns = per_call(timed(|| assert_eq!(hand_run(), calls)));
    (engine_ns, hand_ns)
}

fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Runs `bench`; `--workload` names resolve in `registry`.
pub fn run(args: &BenchArgs, registry: &Registry) -> i32 {
    let mut resolved = Vec::new();
    for name in &args.workloads {
        match registry.resolve(Some(name)) {
            Ok(w) => resolved.push((name.as_str(), w)),
            Err(code) => return code,
        }
    }
    let workloads = vec![
        throughput("enrollment, 3 clients", &EnrollmentWorkload::with_clients(3), args.seeds),
        throughput("enrollment, 3-10 clients", &EnrollmentWorkload::default(), args.seeds),
        throughput("enrollment, 3-10 clients, faults", &EnrollmentWorkload::default().with_faults(), args.seeds),
        throughput("library, 3 clients", &LibraryWorkload::with_clients(3), args.seeds),
        throughput("library, 3-10 clients", &LibraryWorkload::default(), args.seeds),
        throughput("library, 3-10 clients, faults", &LibraryWorkload::default().with_faults(), args.seeds),
    ];
    let knobs = Knobs { clients: Some(args.clients), faults: false };
    let mut registered = Vec::new();
    for (name, w) in resolved {
        let mut failed = None;
        let row = beside_floor(format!("{name}, {} clients", args.clients), args.seeds * 5, args.seeds, |range| {
            if failed.is_none()
                && let Err(e) = w.bench(&knobs, range)
            {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            eprintln!("error: {e}");
            return 1;
        }
        let label = format!("enrollment, {} clients", args.clients);
        let builtin = throughput(&label, &EnrollmentWorkload::with_clients(args.clients), args.seeds);
        registered.push(Registered { slowdown_vs_builtin: builtin.schedules_per_sec / row.schedules_per_sec, row, builtin });
    }
    let scaling = (!args.no_scaling).then(|| scaling("enrollment, 3-10 clients", &EnrollmentWorkload::default(), args.seeds * 2));
    let (engine_ns, hand_ns) = retry_overhead(args.calls);
    // Memory: explore in 10 slices and read RSS after each; flat = no per-schedule leak.
    let w = EnrollmentWorkload::with_clients(3);
    let slice = (args.rss_seeds / 10).max(1);
    let mut rss = Vec::new();
    for i in 0..10 {
        let s = explore(&w, &ExploreOptions { start_seed: i * slice, seeds: slice, ..ExploreOptions::default() });
        assert_eq!(s.violations, 0);
        rss.push(((i + 1) * slice, rss_kib().0));
    }
    let floors: Vec<f64> = workloads.iter().chain(registered.iter().flat_map(|r| [&r.row, &r.builtin])).map(|t| t.floor_per_sec).collect();
    let report = BenchReport {
        floor_runtimes_per_sec: floors.iter().sum::<f64>() / floors.len() as f64,
        workloads,
        registered,
        scaling,
        retry_engine_ns_per_call: engine_ns,
        hand_loop_ns_per_call: hand_ns,
        retry_overhead_ns_per_attempt: engine_ns - hand_ns,
        rss_kib: rss,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("reports serialize"));
        return 0;
    }
    println!("dcb-sim bench (one thread, release build recommended; rows in this process's CPU time, scaling in wall time)");
    println!("  floor: empty madsim runtime per seed   {:>10.0} /s (mean; each row is divided by the floor measured in slices alternating with it)", report.floor_runtimes_per_sec);
    for t in &report.workloads {
        println!("  {:<36} {:>10.0} schedules/s   floor/workload = {:.1}x", t.name, t.schedules_per_sec, t.ratio_to_floor);
    }
    for r in &report.registered {
        println!("  {:<36} {:>10.0} schedules/s   floor/workload = {:.1}x", r.row.name, r.row.schedules_per_sec, r.row.ratio_to_floor);
        println!(
            "    beside {:<29} {:>10.0} schedules/s   floor/workload = {:.1}x   registered/built-in time = {:.2}x",
            r.builtin.name, r.builtin.schedules_per_sec, r.builtin.ratio_to_floor, r.slowdown_vs_builtin
        );
    }
    if let Some(s) = &report.scaling {
        println!("  {}: --jobs 1 {:.0}/s, --jobs 2 {:.0}/s, speedup {:.2}x", s.name, s.jobs1_per_sec, s.jobs2_per_sec, s.speedup);
    }
    println!("  retry engine, op succeeds at once      {:>10.1} ns/call", report.retry_engine_ns_per_call);
    println!("  hand-written loop, same op             {:>10.1} ns/call", report.hand_loop_ns_per_call);
    println!("  engine overhead                        {:>10.1} ns/attempt", report.retry_overhead_ns_per_attempt);
    println!("  resident memory during a {}-schedule run (KiB):", args.rss_seeds);
    for (n, kib) in &report.rss_kib {
        println!("    after {n:>9} schedules  {kib:>8}");
    }
    0
}
