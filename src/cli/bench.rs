//! `dcb-sim bench`: throughput against the madsim floor, the retry engine's
//! per-attempt overhead, and memory over a long run. Wall-clock timing
//! lives here and in no pass/fail test.

#![allow(
    clippy::disallowed_methods,
    reason = "benchmarks measure wall-clock time outside any simulation"
)]

use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::registry::{Knobs, Registry};
use crate::retry::{NoopObserver, RetryEngine, RetryPolicy, RuntimeSleeper};
use crate::sim::enrollment::EnrollmentWorkload;
use crate::sim::library::LibraryWorkload;
use crate::sim::{ExploreOptions, Workload, explore, explore_parallel};
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
    /// The floor measured right before and right after this row (mean).
    floor_per_sec: f64,
    /// `floor_per_sec / schedules_per_sec`.
    ratio_to_floor: f64,
}

impl Throughput {
    fn new(name: String, schedules_per_sec: f64, floor_per_sec: f64) -> Self {
        Throughput {
            name,
            schedules_per_sec,
            floor_per_sec,
            ratio_to_floor: floor_per_sec / schedules_per_sec,
        }
    }
}

/// Runs `row` between two measurements of the floor and returns its
/// schedules/s with their mean: a shared machine's speed drifts by tens of
/// percent within a minute, so each row is divided by the floor of its own
/// moment, not by one measured at the start.
fn beside_floor(name: String, floor_runtimes: u64, row: impl FnOnce() -> f64) -> Throughput {
    let before = floor(floor_runtimes);
    let rate = row();
    let after = floor(floor_runtimes);
    Throughput::new(name, rate, (before + after) / 2.0)
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

fn floor(seeds: u64) -> f64 {
    let config = madsim::Config::default();
    let t = Instant::now();
    for seed in 0..seeds {
        madsim::runtime::Runtime::with_seed_and_config(seed, config.clone()).block_on(async {});
    }
    rate(seeds, t.elapsed())
}

fn throughput<W: Workload>(name: &str, w: &W, seeds: u64) -> Throughput {
    beside_floor(name.into(), seeds * 5, || {
        let s = explore(
            w,
            &ExploreOptions {
                seeds,
                ..ExploreOptions::default()
            },
        );
        assert_eq!(
            s.violations, 0,
            "the benchmark workload {name} violated invariants:\n{s}"
        );
        s.schedules_per_sec
    })
}

/// Schedules per second of a registered workload on one thread.
///
/// # Errors
/// When the workload violated an invariant: a benchmark of a failing
/// workload measures the shrinker, not the runner.
pub(super) fn registered_rate<W: Workload>(w: &W, seeds: u64) -> Result<f64, String> {
    let s = explore(
        w,
        &ExploreOptions {
            seeds,
            ..ExploreOptions::default()
        },
    );
    if s.violations > 0 {
        return Err(format!(
            "workload {} violated invariants in {} of {seeds} seeds; bench a workload that passes (run explore to see why):\n{s}",
            w.name(),
            s.violations
        ));
    }
    Ok(s.schedules_per_sec)
}

/// The same seeds of `w` on one thread and on two.
fn scaling<W: Workload + Sync>(name: &str, w: &W, seeds: u64) -> Scaling {
    let opts = ExploreOptions {
        seeds,
        ..ExploreOptions::default()
    };
    let one = explore_parallel(w, &opts, 1, &|_, _| {});
    let two = explore_parallel(w, &opts, 2, &|_, _| {});
    assert_eq!(
        (one.violations, two.violations),
        (0, 0),
        "the benchmark workload {name} violated invariants"
    );
    Scaling {
        name: name.into(),
        jobs1_per_sec: one.schedules_per_sec,
        jobs2_per_sec: two.schedules_per_sec,
        speedup: two.schedules_per_sec / one.schedules_per_sec,
    }
}

/// Per-call cost of `RetryEngine::run` around an operation that succeeds
/// at once, and of a hand-written loop doing the same. Timed from outside
/// the runtime: inside it, madsim's clock is virtual.
fn retry_overhead(calls: u64) -> (f64, f64) {
    let engine_run = || {
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(
            async move {
                let engine = RetryEngine::new(RetryPolicy::go_default(), RuntimeSleeper::new());
                let mut rng = crate::rng::seeded(1);
                let mut ok = 0u64;
                for i in 0..calls {
                    let r = engine
                        .run(&mut rng, &mut NoopObserver, |_| async move {
                            Ok::<u64, StoreError>(i)
                        })
                        .await;
                    ok += u64::from(r.outcome.is_ok());
                }
                ok
            },
        )
    };
    let hand_run = || {
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(
            async move {
                let mut ok = 0u64;
                for i in 0..calls {
                    let mut attempt = 0;
                    let r = loop {
                        attempt += 1;
                        match async move { Ok::<u64, StoreError>(std::hint::black_box(i)) }.await {
                            Ok(v) => break Ok(v),
                            Err(e) if e.is_conflict() && attempt < 5 => {
                                madsim::time::sleep(Duration::from_millis(10)).await
                            }
                            Err(e) => break Err(e),
                        }
                    };
                    ok += u64::from(r.is_ok());
                }
                ok
            },
        )
    };
    let t = Instant::now();
    assert_eq!(engine_run(), calls);
    let engine_ns = t.elapsed().as_nanos() as f64 / calls as f64;
    let t = Instant::now();
    assert_eq!(hand_run(), calls);
    let hand_ns = t.elapsed().as_nanos() as f64 / calls as f64;
    (engine_ns, hand_ns)
}

fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
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
        throughput(
            "enrollment, 3 clients",
            &EnrollmentWorkload::with_clients(3),
            args.seeds,
        ),
        throughput(
            "enrollment, 3-10 clients",
            &EnrollmentWorkload::default(),
            args.seeds,
        ),
        throughput(
            "enrollment, 3-10 clients, faults",
            &EnrollmentWorkload::default().with_faults(),
            args.seeds,
        ),
        throughput(
            "library, 3 clients",
            &LibraryWorkload::with_clients(3),
            args.seeds,
        ),
        throughput(
            "library, 3-10 clients",
            &LibraryWorkload::default(),
            args.seeds,
        ),
        throughput(
            "library, 3-10 clients, faults",
            &LibraryWorkload::default().with_faults(),
            args.seeds,
        ),
    ];
    let knobs = Knobs {
        clients: Some(args.clients),
        faults: false,
    };
    let mut registered = Vec::new();
    for (name, w) in resolved {
        let mut failed = None;
        let row = beside_floor(
            format!("{name}, {} clients", args.clients),
            args.seeds * 5,
            || {
                w.bench(&knobs, args.seeds).unwrap_or_else(|e| {
                    failed = Some(e);
                    f64::NAN
                })
            },
        );
        if let Some(e) = failed {
            eprintln!("error: {e}");
            return 1;
        }
        let label = format!("enrollment, {} clients", args.clients);
        let builtin = throughput(
            &label,
            &EnrollmentWorkload::with_clients(args.clients),
            args.seeds,
        );
        registered.push(Registered {
            slowdown_vs_builtin: builtin.schedules_per_sec / row.schedules_per_sec,
            row,
            builtin,
        });
    }
    let scaling = (!args.no_scaling).then(|| {
        scaling(
            "enrollment, 3-10 clients",
            &EnrollmentWorkload::default(),
            args.seeds * 2,
        )
    });
    let (engine_ns, hand_ns) = retry_overhead(args.calls);
    // Memory: explore in 10 slices and read RSS after each; flat = no per-schedule leak.
    let w = EnrollmentWorkload::with_clients(3);
    let slice = (args.rss_seeds / 10).max(1);
    let mut rss = Vec::new();
    for i in 0..10 {
        let s = explore(
            &w,
            &ExploreOptions {
                start_seed: i * slice,
                seeds: slice,
                ..ExploreOptions::default()
            },
        );
        assert_eq!(s.violations, 0);
        rss.push(((i + 1) * slice, rss_kib().0));
    }
    let floors: Vec<f64> = workloads
        .iter()
        .chain(registered.iter().flat_map(|r| [&r.row, &r.builtin]))
        .map(|t| t.floor_per_sec)
        .collect();
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
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialize")
        );
        return 0;
    }
    println!("dcb-sim bench (one thread, release build recommended)");
    println!(
        "  floor: empty madsim runtime per seed   {:>10.0} /s (mean; each row is divided by the floor measured around it)",
        report.floor_runtimes_per_sec
    );
    for t in &report.workloads {
        println!(
            "  {:<36} {:>10.0} schedules/s   floor/workload = {:.1}x",
            t.name, t.schedules_per_sec, t.ratio_to_floor
        );
    }
    for r in &report.registered {
        println!(
            "  {:<36} {:>10.0} schedules/s   floor/workload = {:.1}x",
            r.row.name, r.row.schedules_per_sec, r.row.ratio_to_floor
        );
        println!(
            "    beside {:<29} {:>10.0} schedules/s   floor/workload = {:.1}x   registered/built-in time = {:.2}x",
            r.builtin.name,
            r.builtin.schedules_per_sec,
            r.builtin.ratio_to_floor,
            r.slowdown_vs_builtin
        );
    }
    if let Some(s) = &report.scaling {
        println!(
            "  {}: --jobs 1 {:.0}/s, --jobs 2 {:.0}/s, speedup {:.2}x",
            s.name, s.jobs1_per_sec, s.jobs2_per_sec, s.speedup
        );
    }
    println!(
        "  retry engine, op succeeds at once      {:>10.1} ns/call",
        report.retry_engine_ns_per_call
    );
    println!(
        "  hand-written loop, same op             {:>10.1} ns/call",
        report.hand_loop_ns_per_call
    );
    println!(
        "  engine overhead                        {:>10.1} ns/attempt",
        report.retry_overhead_ns_per_attempt
    );
    println!(
        "  resident memory during a {}-schedule run (KiB):",
        args.rss_seeds
    );
    for (n, kib) in &report.rss_kib {
        println!("    after {n:>9} schedules  {kib:>8}");
    }
    0
}
