//! `dcb-sim explore` and `dcb-sim merge` (`explore --realtime` is in
//! [`super::realtime`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::WorkloadArgs;
use super::realtime::RealtimeArgs;
use super::scheduler::SchedulerArgs;
use crate::explore::{Expect, ExploreOptions, Regression, Summary, explore_parallel, shard_range};
use crate::sim::Workload;

/// `explore` flags.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub(super) workload: WorkloadArgs,
    #[command(flatten)]
    pub(super) scheduler: SchedulerArgs,
    #[command(flatten)]
    pub(super) realtime: RealtimeArgs,
    /// Number of schedules (seeds) to run (in all shards together).
    #[arg(long, default_value_t = 10_000)]
    pub(super) seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub(super) start_seed: u64,
    /// Run only shard I of N (0-based, `I/N`): N machines cover disjoint seeds; merge their `--json` with `dcb-sim merge`.
    #[arg(long, value_parser = parse_shard)]
    pub(super) shard: Option<(u64, u64)>,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long)]
    jobs: Option<usize>,
    /// Print one JSON object instead of the text summary.
    #[arg(long)]
    pub(super) json: bool,
    /// Failure reports to keep and print in full.
    #[arg(long, default_value_t = 3)]
    pub(super) max_reports: usize,
    /// Runs the shrinker may spend per reported failure (0 = do not shrink).
    #[arg(long, default_value_t = 3_000)]
    shrink_budget: u64,
    /// Where failing scenarios (and their shrunk forms) are written.
    #[arg(long, default_value = "target/dcb-failures")]
    pub(super) out: PathBuf,
    /// Also write each shrunk failure as a regression file into this directory (e.g. sim-tests/regressions).
    #[arg(long)]
    pub(super) save_regressions: Option<PathBuf>,
    /// Also write the summary with its coverage table (probe, hits, share of schedules, first seed and its replay line) as a self-contained HTML page.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Show a progress bar (default: only on a terminal and not in CI).
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let err = || format!("--shard takes I/N with 0 <= I < N, e.g. 0/4; got {s:?}");
    let (i, n) = s.split_once('/').ok_or_else(err)?;
    let (i, n): (u64, u64) = (i.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
    if n == 0 || i >= n {
        return Err(err());
    }
    Ok((i, n))
}

/// Runs `explore` on `workload` (built from the registry entry `args.workload` names).
pub(super) fn explore_cmd<W: Workload + Sync>(workload: &W, args: &ExploreArgs) -> i32 {
    let range = match args.shard {
        Some((i, n)) => shard_range(args.start_seed, args.seeds, i, n),
        None => args.start_seed..args.start_seed + args.seeds,
    };
    let opts = ExploreOptions {
        start_seed: range.start,
        seeds: range.end - range.start,
        plant: args.workload.plant,
        max_reports: args.max_reports,
        stop_on_failure: false,
        test: None,
        shrink_budget: args.shrink_budget,
        engine: args.workload.engine(),
        // --faults selects the workload's own fault swarm (see WorkloadArgs).
        faults: false,
        scheduler: args.scheduler.scheduler(),
        exhaustive: args.scheduler.exhaustive(),
        races: args.scheduler.races(),
        race_every: 1,
        guided: args.scheduler.guided(),
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let show_progress = args.progress || (!args.no_progress && !args.json && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none());
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(opts.seeds);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} schedules · {per_sec} · eta {eta} · {msg}")
                .expect("valid template"),
        );
        bar
    });
    let progress = |done: u64, failing: u64| {
        if let Some(bar) = &bar {
            bar.set_position(done);
            bar.set_message(format!("{failing} failing"));
        }
    };
    let mut summary = explore_parallel(workload, &opts, jobs, &progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for f in &mut summary.failures {
        if let Err(e) = f.save_scenario(&args.out) {
            eprintln!("warning: cannot write failing scenario to {}: {e}", args.out.display());
        }
        if let (Some(dir), Some(s)) = (&args.save_regressions, &f.shrunk) {
            let reg = Regression {
                workload: f.workload.clone(),
                seed: s.seed,
                expect: Expect::Violates(s.violations.first().map_or_else(String::new, |v| v.invariant().to_string())),
                note: format!("shrunk from explore seed {} ({} → {} commands)", f.seed, s.commands.0, s.commands.1),
                scenario: s.scenario.clone(),
            };
            if let Err(e) = write_regression(dir, &reg) {
                eprintln!("warning: cannot write regression file into {}: {e}", dir.display());
            }
        }
    }
    if let Some(path) = &args.html {
        let plant = args.workload.plant.map_or_else(String::new, |p| format!(" --plant {p}"));
        let replay = |p: &crate::explore::Probe| {
            let schedule = p.first_schedule.as_ref().map_or_else(String::new, |s| format!(" --schedule {s}"));
            p.first_seed.map(|seed| format!("{} replay --workload {}{plant} --seed {seed}{schedule}", crate::explore::replay_program(), summary.workload))
        };
        let page = crate::view::coverage_html::summary_page(&summary, &replay);
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    print_summary(&summary, args.json);
    exit_code(&summary)
}

fn write_regression(dir: &Path, reg: &Regression) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let plant = reg.scenario.get("plant").and_then(|p| p.as_str()).map_or_else(String::new, |p| format!("{p}-"));
    let path = dir.join(format!("{}-{plant}{}.json", reg.workload, reg.seed));
    std::fs::write(path, serde_json::to_string_pretty(reg).expect("regressions serialize"))
}

fn print_summary(summary: &Summary, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(summary).expect("summaries serialize"));
    } else {
        print!("{summary}");
    }
}

/// The exit code of a summary: 0, or the most severe violation's.
pub(super) fn exit_code(summary: &Summary) -> i32 {
    if summary.violations == 0 {
        return 0;
    }
    summary.failures.iter().flat_map(|f| f.violations.iter().map(|v| v.exit_code())).min().unwrap_or(1)
}

/// Runs `merge`.
pub fn merge(files: &[PathBuf], json: bool, max_reports: usize) -> i32 {
    let mut merged = Summary::default();
    let mut workload: Option<String> = None;
    for path in files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return 2;
            }
        };
        let part: Summary = match serde_json::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {} is not the output of `dcb-sim explore --json`: {e}", path.display());
                return 2;
            }
        };
        if let Some(w) = &workload
            && *w != part.workload
        {
            eprintln!("error: {} is a {} run but the others are {w}; merge runs of one workload", path.display(), part.workload);
            return 2;
        }
        workload = Some(part.workload.clone());
        merged.merge(part, max_reports);
    }
    print_summary(&merged, json);
    exit_code(&merged)
}
