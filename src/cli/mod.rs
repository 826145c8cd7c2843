//! Argument parsing and dispatch.

mod bench;
mod explore;
mod replay;
mod tune;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dcb_sim::plant::Plant;
use dcb_sim::sim::Workload;

/// Deterministic simulation of DCB command handlers with retries.
#[derive(Debug, Parser)]
#[command(
    name = "dcb-sim",
    version,
    about,
    after_help = "Exit codes: 0 ok, 1 safety violation, 2 usage error, 3 liveness violation, 4 harness error, 5 nondeterminism."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// A built-in workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkloadName {
    /// Course enrollment (C# sample): capacity, double enrollment, tier limits.
    Enrollment,
    /// The library (Go example): six handlers, loans, the 10-book limit.
    Library,
}

/// Which workload and how it is drawn; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct WorkloadArgs {
    /// Workload to run.
    #[arg(long, value_enum, default_value = "enrollment")]
    pub workload: WorkloadName,
    /// Exactly this many clients per scenario (default: 3–10, drawn per seed).
    #[arg(long)]
    pub clients: Option<u32>,
    /// Inject storage faults (latency spikes, unavailability, timeouts, ambiguous commits, client crashes), drawn per seed.
    #[arg(long)]
    pub faults: bool,
    /// Plant a bug (negative control): non-atomic-store, narrow-condition, stale-decision, after-equality, retry-business, ignore-cap.
    #[arg(long, value_parser = parse_plant)]
    pub plant: Option<Plant>,
    /// Storage engine under the simulation: memory (the model) or sqlite (in-memory SQLite per run).
    #[arg(long, value_enum)]
    pub engine: Option<EngineName>,
}

/// A storage engine the simulator can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineName {
    /// The in-memory reference store.
    Memory,
    /// SQLite, an in-memory database per run.
    Sqlite,
}

impl WorkloadArgs {
    /// The engine to use, if one was given.
    pub fn engine(&self) -> Option<dcb_sim::sim::Engine> {
        self.engine.map(|e| match e {
            EngineName::Memory => dcb_sim::sim::Engine::Memory,
            EngineName::Sqlite => dcb_sim::sim::Engine::Sqlite,
        })
    }
}

/// Runs `$body` with `$w` bound to the selected workload.
macro_rules! with_workload {
    ($args:expr, |$w:ident| $body:expr) => {{
        let a: &$crate::cli::WorkloadArgs = &$args;
        match a.workload {
            $crate::cli::WorkloadName::Enrollment => {
                let mut $w = a.clients.map_or_else(
                    dcb_sim::sim::enrollment::EnrollmentWorkload::default,
                    dcb_sim::sim::enrollment::EnrollmentWorkload::with_clients,
                );
                $w.faults = a.faults;
                $body
            }
            $crate::cli::WorkloadName::Library => {
                let mut $w = a.clients.map_or_else(dcb_sim::sim::library::LibraryWorkload::default, dcb_sim::sim::library::LibraryWorkload::with_clients);
                $w.faults = a.faults;
                $body
            }
        }
    }};
}
pub(crate) use with_workload;

#[derive(Debug, Subcommand)]
enum Command {
    /// Run many seeds of a workload and print a summary (failures shrunk).
    Explore(explore::ExploreArgs),
    /// Re-run one seed and print its timeline and any violations.
    Replay(replay::ReplayArgs),
    /// Run each seed twice and compare history hashes; report the first divergence.
    CheckDeterminism {
        #[command(flatten)]
        workload: WorkloadArgs,
        /// Seeds to check.
        #[arg(long, default_value_t = 1_000)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 0)]
        start_seed: u64,
    },
    /// Merge the `--json` summaries of sharded explore runs into one.
    Merge {
        /// The JSON files written by `explore --json`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the merged summary as JSON.
        #[arg(long)]
        json: bool,
        /// Failure reports to keep.
        #[arg(long, default_value_t = 5)]
        max_reports: usize,
    },
    /// Measure schedules/s against the madsim floor, retry overhead and memory.
    Bench(bench::BenchArgs),
    /// Compare retry policies on the same seeds of a contended workload: success, retries, exhaustion, latency, store calls.
    Tune(tune::TuneArgs),
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
        Command::Explore(args) => explore::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::CheckDeterminism { workload, seeds, start_seed } => with_workload!(workload, |w| {
            match dcb_sim::sim::check_determinism(&w, start_seed, seeds) {
                Ok(n) => {
                    println!("dcb-sim check-determinism · workload {} · {n} seeds from {start_seed}: every seed ran twice gave identical histories", w.name());
                    0
                }
                Err(d) => {
                    println!("{d}");
                    println!("replay: cargo run --release -- replay --workload {} --seed {}", w.name(), d.seed);
                    5
                }
            }
        }),
        Command::Merge { files, json, max_reports } => explore::merge(&files, json, max_reports),
        Command::Bench(args) => bench::run(&args),
        Command::Tune(args) => tune::run(&args),
    }
}
