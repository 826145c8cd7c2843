//! `dcb-sim replay`.

use std::path::PathBuf;

use clap::Args;

use super::WorkloadArgs;
use super::scheduler::SchedulerArgs;
use crate::explore::{SCENARIO_STREAM, replay_program};
use crate::sim::{Scenario, Scheduler, Workload};
use crate::view::{html, timeline_with};

/// `replay` flags.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub(super) workload: WorkloadArgs,
    #[command(flatten)]
    scheduler: SchedulerArgs,
    /// The seed to replay.
    #[arg(long)]
    seed: u64,
    /// Scenario file (JSON); default: the scenario the workload generates from the seed.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Print the scenario as JSON and exit (a starting point for your own files).
    #[arg(long)]
    print_scenario: bool,
    /// Also write a self-contained HTML timeline (SVG swimlanes, violations, event log) to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// Runs `replay` on `workload` (built from the registry entry `args.workload` names).
pub(super) fn run_replay<W: Workload>(workload: &W, args: &ReplayArgs) -> i32 {
    let mut scenario = match &args.scenario {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read scenario file {}: {e}", path.display());
                    return 2;
                }
            };
            match Scenario::from_json(&text) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return 2;
                }
            }
        }
        None => workload.generate(&mut crate::rng::substream(args.seed, SCENARIO_STREAM)),
    };
    if args.workload.plant.is_some() {
        scenario.plant = args.workload.plant;
    }
    if let Some(engine) = args.workload.engine() {
        scenario.engine = engine;
    }
    if args.scheduler.exhaustive().is_some() {
        eprintln!("error: replay runs one schedule; use --schedule with the string a report printed, or --scheduler pct");
        return 2;
    }
    let scheduler = args.scheduler.scheduler();
    if !scheduler.is_random() {
        scenario.scheduler = scheduler;
    }
    if args.print_scenario {
        println!("{}", scenario.to_json());
        return 0;
    }
    let result = crate::sim::run(workload, &scenario, args.seed);
    println!(
        "dcb-sim replay · workload {} · seed {} · {} clients · {} commands · plant {} · history hash {:016x}",
        workload.name(),
        args.seed,
        scenario.clients(),
        scenario.setup.len() + scenario.commands.len(),
        scenario.plant.map_or("none", |p| p.name()),
        result.history.hash64()
    );
    println!("policy: {}", serde_json::to_string(&scenario.policy).expect("policies serialize"));
    if !scenario.faults.is_none() {
        println!("faults: {}", serde_json::to_string(&scenario.faults).expect("plans serialize"));
    }
    if let Some(record) = &result.history.schedule {
        println!("scheduler: {} · schedule {} · {} preemptions", scenario.scheduler, record.schedule, record.preemptions);
        if let Scheduler::Script { schedule } = &scenario.scheduler
            && !record.schedule.choices().starts_with(schedule.choices())
        {
            println!("note: the schedule did not fit this scenario everywhere; where a scripted step was not pending, the run went on without preempting");
        }
    }
    print!("{}", timeline_with(&result.history, &result.violations));
    if let Some(path) = &args.html {
        let json = serde_json::to_value(&scenario).expect("scenarios serialize");
        let replay = match &args.scenario {
            Some(file) => format!("{} replay --workload {} --seed {} --scenario {}", replay_program(), workload.name(), args.seed, file.display()),
            None => format!(
                "{} replay --workload {} --seed {}{}",
                replay_program(),
                workload.name(),
                args.seed,
                scenario.plant.map_or(String::new(), |p| format!(" --plant {}", p.name()))
            ),
        };
        let page = html::render_page(&result.history, &result.violations, &html::Page { workload: Some(workload.name()), scenario: Some(&json), replay: Some(&replay) });
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 2;
        }
        eprintln!("wrote {}", path.display());
    }
    if result.violations.is_empty() {
        println!("all invariants held");
        0
    } else {
        result.violations.iter().map(|v| v.exit_code()).min().unwrap_or(1)
    }
}
