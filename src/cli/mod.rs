//! The `dcb-sim` command line, as a library entry: `explore`, `replay`,
//! `check-determinism`, `tune` and `merge` for the workloads of a
//! [`Registry`] (and `bench`, which measures the built-in workloads).
//!
//! The `dcb-sim` binary is [`main`] over [`Registry::builtin`]. Your crate
//! gets the same command line for its own workloads with a three-line
//! binary (e.g. `examples/my-sim.rs`, with dcb-sim's `cli` feature on and
//! built with `--cfg madsim`):
//!
//! ```ignore
//! fn main() {
//!     std::process::exit(dcb_sim::cli::main(dcb_sim::cli::Registry::new().add("claims", "username claims", |_knobs| Claims)))
//! }
//! ```
//!
//! `cargo run --release --example my-sim -- explore --seeds 10000` then
//! explores it, and every failure it reports prints the replay command for
//! this very binary (see [`Registry::replay_program`]).

mod bench;
mod catch_time;
mod explore;
mod realtime;
mod registry;
mod replay;
mod scheduler;
mod tune;

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use registry::{Knobs, Registry};

use crate::plant::Plant;

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

/// Which workload and how it is drawn; shared by every subcommand.
#[derive(Debug, Clone, Args)]
struct WorkloadArgs {
    /// Workload to run.
    #[arg(long, id = WORKLOAD_ARG, value_name = "NAME")]
    workload: Option<String>,
    /// Exactly this many clients per scenario (default: the workload's range, drawn per seed; 3–10 for enrollment and library, 2–20 for hotkey).
    #[arg(long)]
    clients: Option<u32>,
    /// Inject storage faults (latency spikes, unavailability, timeouts, ambiguous commits, client crashes), drawn per seed.
    #[arg(long)]
    faults: bool,
    /// Plant a bug (negative control): non-atomic-store, narrow-condition, stale-decision, after-equality, retry-business, ignore-cap.
    #[arg(long, value_parser = parse_plant)]
    plant: Option<Plant>,
    /// Storage engine under the simulation: memory (the model) or sqlite (in-memory SQLite per run).
    #[arg(long, value_enum)]
    engine: Option<EngineName>,
}

/// The id of `--workload`, whose values come from the registry.
const WORKLOAD_ARG: &str = "workload";

/// The subcommands with a `--workload`.
const WORKLOAD_COMMANDS: [&str; 5] = ["explore", "replay", "check-determinism", "tune", "catch-time"];

/// A storage engine the simulator can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineName {
    /// The in-memory reference store.
    Memory,
    /// SQLite, an in-memory database per run.
    Sqlite,
}

impl WorkloadArgs {
    /// The engine to use, if one was given.
    fn engine(&self) -> Option<crate::sim::Engine> {
        self.engine.map(|e| match e {
            EngineName::Memory => crate::sim::Engine::Memory,
            EngineName::Sqlite => crate::sim::Engine::Sqlite,
        })
    }

    /// The knobs handed to the workload's factory.
    fn knobs(&self) -> Knobs {
        Knobs { clients: self.clients, faults: self.faults }
    }
}

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
        #[command(flatten)]
        scheduler: scheduler::SchedulerArgs,
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
    /// Measure schedules/s of the built-in workloads (and any `--workload` of this binary) against the madsim floor, `--jobs 2` scaling, retry overhead and memory.
    Bench(bench::BenchArgs),
    /// Seeds, schedules and CPU-seconds to the first catch of a bug (`--plant` or a buggy workload) over several start seeds, one thread; generic checkers only unless `--all-invariants`.
    CatchTime(catch_time::CatchTimeArgs),
    /// Compare retry policies on the same seeds of a contended workload: success, retries, exhaustion, latency, store calls.
    Tune(tune::TuneArgs),
}

fn parse_plant(s: &str) -> Result<Plant, String> {
    Plant::from_name(s).ok_or_else(|| {
        let names: Vec<_> = Plant::ALL.iter().map(|p| p.name()).collect();
        format!("unknown planted bug {s:?}; choose one of: {}", names.join(", "))
    })
}

/// Runs the command line over `registry`'s workloads and returns the exit
/// code: 0 all invariants held, 1 safety violation, 2 usage error (an
/// unknown `--workload` lists the registered names), 3 liveness violation,
/// 4 harness error, 5 nondeterminism. `--help` and `--version` print and
/// return 0.
///
/// Replay commands printed in reports start with the path this binary was
/// invoked with (`std::env::args_os().next()`, quoted for a shell when it
/// needs it), unless [`Registry::replay_program`] set another; it is set
/// process-wide with [`set_replay_program`](crate::explore::set_replay_program).
pub fn main(registry: Registry) -> i32 {
    exit_quietly_on_broken_pipe();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let program = registry.program().map(str::to_string).or_else(|| args.first().map(|a| shell_word(&a.to_string_lossy())));
    if let Some(program) = program.filter(|p| !p.is_empty()) {
        crate::explore::set_replay_program(program);
    }
    let matches = match command(&registry).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let workload = |args: &WorkloadArgs| registry.resolve(args.workload.as_deref());
    let run = || -> Result<i32, i32> {
        Ok(match cli.command {
            Command::Explore(args) => {
                if let Some(e) = realtime::usage_error(&args) {
                    eprintln!("error: {e}");
                    return Err(2);
                }
                workload(&args.workload)?.explore(&args.workload.knobs(), &args)
            }
            Command::Replay(args) => workload(&args.workload)?.replay(&args.workload.knobs(), &args),
            Command::CheckDeterminism { workload: w, scheduler, seeds, start_seed } => {
                if scheduler.exhaustive().is_some() || scheduler.guided() {
                    eprintln!("error: check-determinism runs each seed's schedule twice; use --scheduler random or pct (exhaustive and guided runs are checked by the explorer itself)");
                    return Err(2);
                }
                workload(&w)?.check_determinism(&w.knobs(), &scheduler.scheduler(), start_seed, seeds)
            }
            Command::Merge { files, json, max_reports } => explore::merge(&files, json, max_reports),
            Command::Bench(args) => bench::run(&args, &registry),
            Command::CatchTime(args) => workload(&args.workload)?.catch_time(&args.workload.knobs(), &args),
            Command::Tune(args) => {
                tune::check_args(&args)?;
                workload(&args.workload)?.tune(&args.workload.knobs(), &args)
            }
        })
    };
    run().unwrap_or_else(|code| code)
}

/// The clap command, with `--workload`'s values (and default) from `registry`.
fn command(registry: &Registry) -> clap::Command {
    let mut cmd = Cli::command();
    let values: Vec<PossibleValue> = registry.described().map(|(name, about)| PossibleValue::new(name).help(about)).collect();
    let Some(first) = registry.names().next() else { return cmd };
    for sub in WORKLOAD_COMMANDS {
        let values = values.clone();
        cmd = cmd.mut_subcommand(sub, |s| s.mut_arg(WORKLOAD_ARG, |a| a.value_parser(PossibleValuesParser::new(values)).default_value(first)));
    }
    cmd
}

/// `word` as one shell word: as is when that is safe, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) { word.to_string() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

/// Exit quietly when stdout is closed early (`dcb-sim explore | head`)
/// instead of panicking on the broken pipe; every other panic goes to the
/// previous hook.
fn exit_quietly_on_broken_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}
