//! Argument parsing and dispatch.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use dcb_sim::plant::Plant;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{ExploreOptions, Scenario, Workload, explore, run, timeline};

/// Deterministic simulation of DCB command handlers with retries.
#[derive(Debug, Parser)]
#[command(name = "dcb-sim", version, about, after_help = "Exit codes: 0 ok, 1 safety violation, 2 usage error, 3 liveness violation, 4 harness error.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum WorkloadName {
    /// Course enrollment (C# sample): capacity, double enrollment, tier limits.
    Enrollment,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run many seeds of a workload and print a summary.
    Explore {
        /// Number of schedules (seeds) to run.
        #[arg(long, default_value_t = 10_000)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 0)]
        start_seed: u64,
        /// Workload to run.
        #[arg(long, value_enum, default_value = "enrollment")]
        workload: WorkloadName,
        /// Exactly this many clients per scenario (default: 3–10, drawn per seed).
        #[arg(long)]
        clients: Option<u32>,
        /// Plant a bug (negative control): non-atomic-store, narrow-condition, stale-decision, after-equality, retry-business, ignore-cap.
        #[arg(long, value_parser = parse_plant)]
        plant: Option<Plant>,
        /// Inject storage faults (latency spikes, unavailability, timeouts, ambiguous commits, client crashes), drawn per seed.
        #[arg(long)]
        faults: bool,
        /// Print one JSON object instead of the text summary.
        #[arg(long)]
        json: bool,
        /// Failure reports to print in full.
        #[arg(long, default_value_t = 3)]
        max_reports: usize,
    },
    /// Re-run one seed and print its timeline and any violations.
    Replay {
        /// The seed to replay.
        #[arg(long)]
        seed: u64,
        /// Scenario file (JSON); default: the scenario the workload generates from the seed.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Workload of the seed.
        #[arg(long, value_enum, default_value = "enrollment")]
        workload: WorkloadName,
        /// Exactly this many clients (must match the explore run that found the seed).
        #[arg(long)]
        clients: Option<u32>,
        /// The planted bug the explore run used, if any.
        #[arg(long, value_parser = parse_plant)]
        plant: Option<Plant>,
        /// The explore run used --faults.
        #[arg(long)]
        faults: bool,
        /// Print the scenario as JSON and exit (a starting point for your own files).
        #[arg(long)]
        print_scenario: bool,
    },
}

fn parse_plant(s: &str) -> Result<Plant, String> {
    Plant::from_name(s).ok_or_else(|| {
        let names: Vec<_> = Plant::ALL.iter().map(|p| p.name()).collect();
        format!("unknown planted bug {s:?}; choose one of: {}", names.join(", "))
    })
}

/// Runs the CLI; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Explore { seeds, start_seed, workload, clients, plant, faults, json, max_reports } => {
            let opts = ExploreOptions { start_seed, seeds, plant, max_reports, stop_on_failure: false, test: None };
            match workload {
                WorkloadName::Enrollment => explore_cmd(&enrollment(clients, faults), &opts, json),
            }
        }
        Command::Replay { seed, scenario, workload, clients, plant, faults, print_scenario } => match workload {
            WorkloadName::Enrollment => replay_cmd(&enrollment(clients, faults), seed, scenario, plant, print_scenario),
        },
    }
}

fn enrollment(clients: Option<u32>, faults: bool) -> EnrollmentWorkload {
    let w = clients.map_or_else(EnrollmentWorkload::default, EnrollmentWorkload::with_clients);
    if faults { w.with_faults() } else { w }
}

fn explore_cmd<W: Workload>(workload: &W, opts: &ExploreOptions, json: bool) -> i32 {
    let summary = explore(workload, opts);
    if json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("summaries serialize"));
    } else {
        print!("{summary}");
    }
    summary.failures.iter().flat_map(|f| f.violations.iter().map(|v| v.exit_code())).min().unwrap_or(0)
}

fn replay_cmd<W: Workload>(workload: &W, seed: u64, file: Option<PathBuf>, plant: Option<Plant>, print_scenario: bool) -> i32 {
    let mut scenario = match &file {
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
        None => workload.generate(&mut dcb_sim::rng::substream(seed, dcb_sim::sim::SCENARIO_STREAM)),
    };
    if plant.is_some() {
        scenario.plant = plant;
    }
    if print_scenario {
        println!("{}", scenario.to_json());
        return 0;
    }
    let result = run(workload, &scenario, seed);
    println!(
        "dcb-sim replay · workload {} · seed {} · {} clients · {} commands · plant {} · history hash {:016x}",
        workload.name(),
        seed,
        scenario.clients(),
        scenario.setup.len() + scenario.commands.len(),
        scenario.plant.map_or("none", |p| p.name()),
        result.history.hash64()
    );
    println!("policy: {}", serde_json::to_string(&scenario.policy).expect("policies serialize"));
    print!("{}", timeline(&result.history));
    if result.violations.is_empty() {
        println!("all invariants held");
        0
    } else {
        println!("violations ({}):", result.violations.len());
        for v in &result.violations {
            println!("  - {v}");
        }
        result.violations.iter().map(|v| v.exit_code()).min().unwrap_or(1)
    }
}
