//! `dcb-sim tune`: compare retry policies on the same seeds of a contended
//! workload, at one client count (a table per policy) or over several
//! (`--clients-sweep`: a table per policy and count, and with `--html` the
//! page of charts of [`sweep_html`](crate::tune::sweep_html)).

use std::path::PathBuf;

use clap::Args;

use super::WorkloadArgs;
use crate::retry::RetryPolicy;
use crate::sim::Workload;
use crate::tune::sweep::{SweepError, parse_clients, sweep};

/// Named retry policies, as parsed from `--policies` (a type alias, so clap
/// takes the whole list as one value).
type NamedPolicies = Vec<(String, RetryPolicy)>;

/// Client counts, as parsed from `--clients-sweep` (one value, like `--policies`).
type ClientCounts = Vec<u32>;

/// Arguments of `dcb-sim tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub(super) workload: WorkloadArgs,
    /// Comma-separated retry policies to compare: default, csharp, full-jitter, equal-jitter, decorrelated, no-retry, or all (those six); study-none, study-full, study-equal, study-decorrelated, or study (those four: the AWS backoff study's policies, base 5 ms, cap 2 s, 1000 attempts).
    #[arg(long, default_value = "all", value_parser = crate::tune::parse_policies)]
    policies: NamedPolicies,
    /// Seeds per policy (every policy runs the same seeds' scenarios); per policy and client count with --clients-sweep.
    #[arg(long, default_value_t = 200)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    start_seed: u64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Sweep the number of clients: run every policy at each of these comma-separated counts (e.g. 1,10,50,100,200) and report work, completion time and latency per policy and count.
    #[arg(long, value_name = "LIST", value_parser = parse_clients, conflicts_with = "clients")]
    clients_sweep: Option<ClientCounts>,
    /// With --clients-sweep: also write a self-contained HTML page with SVG charts (writes and completion time against clients, latency CDF per policy) to FILE.
    #[arg(long, value_name = "FILE", requires = "clients_sweep")]
    html: Option<PathBuf>,
    /// With --clients-sweep: also write each chart as a standalone SVG file to DIR (writes.svg, time.svg, cdf.svg), e.g. for a README.
    #[arg(long, value_name = "DIR", requires = "clients_sweep")]
    svg_dir: Option<PathBuf>,
    /// With --clients-sweep: the client count (one of the swept ones) whose latency distribution the page plots as a CDF (default: the largest).
    #[arg(long, value_name = "N", requires = "clients_sweep")]
    cdf_at: Option<u32>,
}

impl TuneArgs {
    /// The swept client counts, if `--clients-sweep` was given.
    pub(super) fn clients_sweep(&self) -> Option<&[u32]> {
        self.clients_sweep.as_deref()
    }
}

/// Refuses `--plant` (exit code 2): tune compares policies on correct code;
/// and a `--cdf-at` that is not one of the swept counts.
pub(super) fn check_args(args: &TuneArgs) -> Result<(), i32> {
    if args.workload.plant.is_some() {
        eprintln!("error: tune compares retry policies on correct code; use --plant with explore or replay");
        return Err(2);
    }
    if let (Some(list), Some(at)) = (&args.clients_sweep, args.cdf_at)
        && !list.contains(&at)
    {
        eprintln!("error: {}", SweepError::CdfNotSwept { at, list: list.clone() });
        return Err(2);
    }
    Ok(())
}

/// Runs `tune` on `workload`; exit code 0, or 1 when any run violated an invariant.
pub(super) fn run_tune<W: Workload>(workload: &W, args: &TuneArgs) -> i32 {
    let report = crate::tune::tune(workload, &args.policies, args.start_seed, args.seeds);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("tune reports serialize"));
    } else {
        print!("{report}");
    }
    if report.policies.iter().any(|p| p.violations > 0) { 1 } else { 0 }
}

/// Runs `tune --clients-sweep` with `workload(n)` the workload for `n`
/// clients; exit code 0, 1 when any run violated an invariant, 2 when the
/// page or a chart cannot be written, 4 when one cannot be drawn.
pub(super) fn run_sweep<W: Workload, F: Fn(u32) -> W>(workload: F, args: &TuneArgs) -> i32 {
    let clients = args.clients_sweep().unwrap_or_default();
    let cdf_at = args.cdf_at.or_else(|| clients.last().copied());
    let report = sweep(workload, clients, &args.policies, args.start_seed, args.seeds, cdf_at);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("sweep reports serialize"));
    } else {
        print!("{report}");
    }
    if let Some(dir) = &args.svg_dir {
        let charts = match crate::tune::sweep_html::charts(&report) {
            Ok(charts) => charts,
            Err(e) => {
                eprintln!("error: {e}");
                return 4;
            }
        };
        for (name, svg) in charts {
            let path = dir.join(format!("{name}.svg"));
            if let Err(e) = std::fs::write(&path, svg) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return 2;
            }
            eprintln!("wrote {}", path.display());
        }
    }
    if let Some(path) = &args.html {
        let page = match crate::tune::sweep_html::render(&report) {
            Ok(page) => page,
            Err(e) => {
                eprintln!("error: {e}");
                return 4;
            }
        };
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 2;
        }
        eprintln!("wrote {}", path.display());
    }
    if report.has_violations() { 1 } else { 0 }
}
