//! `dcb-sim tune`: compare retry policies on the same seeds of a contended workload.

use clap::Args;

use super::WorkloadArgs;
use crate::retry::RetryPolicy;
use crate::sim::Workload;

/// Named retry policies, as parsed from `--policies` (a type alias, so clap
/// takes the whole list as one value).
type NamedPolicies = Vec<(String, RetryPolicy)>;

/// Arguments of `dcb-sim tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub(super) workload: WorkloadArgs,
    /// Comma-separated retry policies to compare: default, csharp, full-jitter, equal-jitter, decorrelated, no-retry, or all.
    #[arg(long, default_value = "all", value_parser = crate::sim::parse_policies)]
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

/// Refuses `--plant` (exit code 2): tune compares policies on correct code.
pub(super) fn check_args(args: &TuneArgs) -> Result<(), i32> {
    if args.workload.plant.is_some() {
        eprintln!("error: tune compares retry policies on correct code; use --plant with explore or replay");
        return Err(2);
    }
    Ok(())
}

/// Runs `tune` on `workload`; exit code 0, or 1 when any run violated an invariant.
pub(super) fn run_tune<W: Workload>(workload: &W, args: &TuneArgs) -> i32 {
    let report = crate::sim::tune(workload, &args.policies, args.start_seed, args.seeds);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("tune reports serialize"));
    } else {
        print!("{report}");
    }
    if report.policies.iter().any(|p| p.violations > 0) { 1 } else { 0 }
}
