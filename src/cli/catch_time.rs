//! `dcb-sim catch-time`: seeds, schedules and CPU-seconds to the first
//! catch of a bug (a plant or a buggy workload), over several start seeds:
//! how the checkers and schedulers compare, measured on one thread.


use clap::Args;
use serde::Serialize;

use super::WorkloadArgs;
use super::bench::thread_cpu_time;
use super::scheduler::SchedulerArgs;
use crate::explore::{ExploreOptions, first_catch};
use crate::sim::Workload;

/// `catch-time` flags.
#[derive(Debug, Args)]
pub struct CatchTimeArgs {
    #[command(flatten)]
    pub(super) workload: WorkloadArgs,
    #[command(flatten)]
    scheduler: SchedulerArgs,
    /// Start seeds: 0, STRIDE, 2·STRIDE, … (this many).
    #[arg(long, default_value_t = 20)]
    starts: u64,
    /// Distance between start seeds.
    #[arg(long, default_value_t = 100_000)]
    stride: u64,
    /// Give up after this many seeds from a start (a miss).
    #[arg(long, default_value_t = 20_000)]
    cap: u64,
    /// Count any invariant, the workload's own included (default: only the generic checkers).
    #[arg(long)]
    all_invariants: bool,
    /// With `--scheduler races`: derive races on every N-th seed only (1: every seed).
    #[arg(long, default_value_t = 1)]
    race_every: u64,
    /// Print one JSON object instead of the table row.
    #[arg(long)]
    json: bool,
}

/// One start seed's result.
#[derive(Debug, Clone, Serialize)]
struct Start {
    start: u64,
    /// `None`: not caught within `cap` seeds.
    seeds: Option<u64>,
    schedules: u64,
    cpu_secs: f64,
    invariants: Vec<String>,
}

/// Median and worst of one column (a miss counts as above every catch).
#[derive(Debug, Clone, Serialize)]
struct Stat {
    median: Option<f64>,
    worst: Option<f64>,
}

fn stat(mut values: Vec<Option<f64>>) -> Stat {
    values.sort_by(|a, b| a.unwrap_or(f64::INFINITY).total_cmp(&b.unwrap_or(f64::INFINITY)));
    let n = values.len();
    if n == 0 {
        return Stat { median: None, worst: None };
    }
    let median = if n % 2 == 1 { values[n / 2] } else { values[n / 2 - 1].zip(values[n / 2]).map(|(a, b)| (a + b) / 2.0) };
    Stat { median, worst: values[n - 1] }
}

fn show(v: Option<f64>, cap: &str, digits: usize) -> String {
    v.map_or_else(|| format!(">{cap}"), |v| format!("{v:.digits$}"))
}

/// Runs `catch-time` on `workload` (registered as `name`).
pub(super) fn catch_time_cmd<W: Workload>(workload: &W, name: &str, args: &CatchTimeArgs) -> i32 {
    let mut starts = Vec::new();
    for i in 0..args.starts {
        let opts = ExploreOptions {
            start_seed: i * args.stride,
            seeds: args.cap,
            plant: args.workload.plant,
            engine: args.workload.engine(),
            scheduler: args.scheduler.scheduler(),
            exhaustive: args.scheduler.exhaustive(),
            races: args.scheduler.races(),
            race_every: args.race_every,
            guided: args.scheduler.guided(),
            ..ExploreOptions::default()
        };
        let before = thread_cpu_time();
        let caught = first_catch(workload, &opts, !args.all_invariants);
        let cpu = thread_cpu_time().saturating_sub(before);
        let (seeds, schedules, invariants) = caught.map_or((None, 0, Vec::new()), |c| (Some(c.seeds), c.schedules, c.invariants));
        starts.push(Start { start: opts.start_seed, seeds, schedules, cpu_secs: cpu.as_secs_f64(), invariants });
    }
    let seeds = stat(starts.iter().map(|s| s.seeds.map(|n| n as f64)).collect());
    let schedules = stat(starts.iter().map(|s| s.seeds.map(|_| s.schedules as f64)).collect());
    let cpu = stat(starts.iter().map(|s| s.seeds.map(|_| s.cpu_secs)).collect());
    let caught = starts.iter().filter(|s| s.seeds.is_some()).count();
    let label = args.workload.plant.map_or_else(|| name.to_string(), |p| format!("{name} + {p}"));
    let scheduler = match (args.scheduler.races(), args.scheduler.exhaustive()) {
        _ if args.scheduler.guided() => "guided".to_string(),
        (Some(_), _) => format!("races (every {} seed)", args.race_every),
        (_, Some(_)) => "exhaustive".to_string(),
        _ => args.scheduler.scheduler().to_string(),
    };
    if args.json {
        let value = serde_json::json!({
            "workload": label, "scheduler": scheduler, "generic_only": !args.all_invariants, "cap": args.cap,
            "caught": caught, "starts": starts, "seeds": seeds, "schedules": schedules, "cpu_secs": cpu,
        });
        println!("{value}");
    } else {
        let cap = args.cap.to_string();
        println!(
            "| {label} | {scheduler} | {caught}/{} | {} / {} | {} / {} | {} / {} |",
            args.starts,
            show(seeds.median, &cap, 0),
            show(seeds.worst, &cap, 0),
            show(schedules.median, "cap", 0),
            show(schedules.worst, "cap", 0),
            show(cpu.median, "cap", 3),
            show(cpu.worst, "cap", 3),
        );
    }
    i32::from(caught < args.starts as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_and_worst_count_a_miss_as_the_largest() {
        let s = stat(vec![Some(3.0), Some(1.0), Some(2.0)]);
        assert_eq!((s.median, s.worst), (Some(2.0), Some(3.0)));
        let s = stat(vec![Some(4.0), Some(1.0), Some(2.0), Some(10.0)]);
        assert_eq!((s.median, s.worst), (Some(3.0), Some(10.0)));
        let s = stat(vec![Some(1.0), None]);
        assert_eq!((s.median, s.worst), (None, None));
        assert_eq!(show(None, "20", 0), ">20");
    }
}
