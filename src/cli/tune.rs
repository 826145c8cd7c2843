//! `dcb-sim tune`: compare retry policies on the same seeds of a contended workload.

use clap::Args;
use dcb_sim::retry::RetryPolicy;

use super::{WorkloadArgs, with_workload};

/// Named retry policies, as parsed from `--policies` (a type alias, so clap
/// takes the whole list as one value).
type NamedPolicies = Vec<(String, RetryPolicy)>;

/// Arguments of `dcb-sim tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Comma-separated retry policies to compare: default, csharp, full-jitter, equal-jitter, decorrelated, no-retry, or all.
    #[arg(long, default_value = "all", value_parser = dcb_sim::sim::parse_policies)]
    policies: NamedPolicies,
    /// Seeds per policy (every policy runs the same seeds' scenarios).
    #[arg(long, default_value_t = 200)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    start_seed: u64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `tune`; exit code 0, 1 when any run violated an invariant, 2 for `--plant`.
pub fn run(args: &TuneArgs) -> i32 {
    if args.workload.plant.is_some() {
        eprintln!("error: tune compares retry policies on correct code; use --plant with explore or replay");
        return 2;
    }
    with_workload!(args.workload, |w| {
        let report = dcb_sim::sim::tune(&w, &args.policies, args.start_seed, args.seeds);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report).expect("tune reports serialize"));
        } else {
            print!("{report}");
        }
        if report.policies.iter().any(|p| p.violations > 0) { 1 } else { 0 }
    })
}
