//! The contention sweep: every retry policy at a growing number of clients,
//! the question of the AWS Architecture Blog's "Exponential Backoff And
//! Jitter" study (how much work, and how long until every client is done,
//! as `N` grows).
//!
//! [`sweep`] runs [`tune`](crate::tune::tune()) once per client count `N` (the
//! workload built for exactly `N` clients by the caller's factory, every
//! policy over the same seeds, every run checked) and adds, per run, the
//! figures a [`PolicyStats`] row does not keep:
//!
//! | figure | definition |
//! |---|---|
//! | `time ms` ([`SweepPoint::completion_ms`]) | mean over runs of the completion time: from the first concurrent command's start to the last one's end, in virtual ms (the study's "time": when the last client is done) |
//! | `writes/run` ([`SweepPoint::writes_per_run`]) | mean over runs of the appends made (written, conflict or error); in a workload whose every attempt ends in a conditional write, the attempts: the study's "calls", which counts the writes its server saw |
//! | `calls/run` ([`SweepPoint::calls_per_run`]) | mean over runs of all store calls, reads and appends (tune's `calls/cmd` times the commands) |
//! | `calls/success` ([`SweepPoint::calls_per_success`]) | store calls / commands that took effect (succeeded or idempotent): the price of one success |
//! | `attempts p99` / `max` ([`SweepPoint::attempts_p99`], [`attempts_max`](SweepPoint::attempts_max)) | attempts of one command, nearest-rank 99th percentile and maximum over all commands of all runs: what an attempt limit must allow |
//!
//! and the [`PolicyStats`] columns per command (retries, exhaustion,
//! p50/p95/p99 latency, violations). At one chosen `N`
//! ([`SweepReport::cdf`]) it keeps the latency distribution of the commands
//! that took effect, per policy, for a CDF plot.
//!
//! Like a [`TuneReport`](crate::tune::TuneReport), a sweep is deterministic: the
//! same factory, client counts, policies and seeds give the same report.
//!
//! ```
//! use dcb_sim::domain::sequence::HotKeyWorkload;
//! use dcb_sim::tune::sweep::{parse_clients, sweep};
//! use dcb_sim::tune::parse_policies;
//!
//! let clients = parse_clients("2,8").unwrap();
//! let policies = parse_policies("study-full,study-none").unwrap();
//! let report = sweep(HotKeyWorkload::with_clients, &clients, &policies, 0, 3, Some(8));
//! let p = report.point(8, "study-full").unwrap();
//! assert_eq!(p.stats.commands, 8 * 3); // 8 clients, one command each, 3 seeds
//! assert!(p.writes_per_run >= 8.0);    // every client writes at least once
//! assert_eq!(report.cdf.as_ref().unwrap().series.len(), 2);
//! println!("{report}");
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::tune::{PolicyStats, ms, ratio, round6, tune_observed};
use crate::sim::workload::Workload;
use crate::handler::Outcome;
use crate::retry::RetryPolicy;

/// Why a list of client counts could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// An empty list or an empty item.
    #[error("empty client count in `{list}`; give comma-separated counts, e.g. 1,10,50,100,200")]
    Empty {
        /// The whole list given.
        list: String,
    },
    /// An item that is not a whole number.
    #[error("`{item}` is not a client count; give comma-separated whole numbers from 1 to {max}, e.g. 1,10,50,100,200", max = MAX_CLIENTS)]
    NotANumber {
        /// The item.
        item: String,
    },
    /// A count of 0 or above [`MAX_CLIENTS`].
    #[error("client count {0} is out of range; each must be from 1 to {max}", max = MAX_CLIENTS)]
    OutOfRange(u64),
    /// The same count twice.
    #[error("client count {0} is listed twice; name each once")]
    Duplicate(u32),
    /// The CDF count is not one of the swept counts.
    #[error("--cdf-at {at} is not one of the swept client counts ({})", list.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))]
    CdfNotSwept {
        /// The count asked for.
        at: u32,
        /// The swept counts.
        list: Vec<u32>,
    },
}

/// The most clients a sweep point may have.
pub const MAX_CLIENTS: u32 = 100_000;

/// Quantile steps of a [`CdfSeries`]: latencies at 0 ‰, 5 ‰, …, 1000 ‰.
pub const CDF_STEPS: u32 = 200;

/// Parses a comma-separated list of client counts (whitespace around items
/// ignored) into ascending order.
///
/// ```
/// use dcb_sim::tune::sweep::{SweepError, parse_clients};
/// assert_eq!(parse_clients("100, 1,10").unwrap(), vec![1, 10, 100]);
/// assert_eq!(parse_clients("1,0"), Err(SweepError::OutOfRange(0)));
/// assert!(parse_clients("1,x").unwrap_err().to_string().contains("`x` is not a client count"));
/// ```
///
/// # Errors
/// [`SweepError::Empty`], [`SweepError::NotANumber`],
/// [`SweepError::OutOfRange`], [`SweepError::Duplicate`].
pub fn parse_clients(list: &str) -> Result<Vec<u32>, SweepError> {
    let mut out = Vec::new();
    for raw in list.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            return Err(SweepError::Empty { list: list.to_string() });
        }
        let n: u64 = item.parse().map_err(|_| SweepError::NotANumber { item: item.to_string() })?;
        let n = u32::try_from(n).ok().filter(|n| (1..=MAX_CLIENTS).contains(n)).ok_or(SweepError::OutOfRange(n))?;
        if out.contains(&n) {
            return Err(SweepError::Duplicate(n));
        }
        out.push(n);
    }
    out.sort_unstable();
    Ok(out)
}

/// One policy at one client count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Clients (the workload's `N`).
    pub clients: u32,
    /// The tune row of this policy at `clients` (per-command figures).
    pub stats: PolicyStats,
    /// Runs (seeds).
    pub runs: u64,
    /// Mean completion time of a run, virtual ms: first start to last end.
    pub completion_ms: f64,
    /// Longest completion time of a run, virtual ms.
    pub completion_max_ms: f64,
    /// Mean appends attempted per run (the study's "calls").
    pub writes_per_run: f64,
    /// Mean store calls (reads + appends) per run.
    pub calls_per_run: f64,
    /// Store calls per command that took effect (`0` when none did).
    pub calls_per_success: f64,
    /// Attempts of a command, 99th percentile (nearest rank) over all
    /// commands of all runs: the attempt limit that would have ended 1 %.
    pub attempts_p99: u32,
    /// Most attempts any command made.
    pub attempts_max: u32,
}

/// The latency distribution of one policy's successful commands (all runs)
/// at one `N`: plotted against all commands, its curve ends at the share
/// that took effect, so a policy that gives up early cannot look fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdfSeries {
    /// The policy's name.
    pub policy: String,
    /// Concurrent commands over all runs.
    pub commands: u64,
    /// Those that took effect (succeeded or idempotent).
    pub succeeded: u64,
    /// Nearest-rank quantiles of the latencies of the commands that took
    /// effect, in virtual ms, at `k / CDF_STEPS` for `k = 0..=CDF_STEPS`
    /// ([`CDF_STEPS`] + 1 values, ascending; the first is the minimum, the
    /// last the maximum; empty when none took effect).
    pub quantiles_ms: Vec<f64>,
}

impl CdfSeries {
    /// The CDF's points: (latency ms, share of **all** commands that took
    /// effect within it), from the fastest success to the slowest.
    pub fn points(&self) -> Vec<(f64, f64)> {
        let share = if self.commands == 0 { 0.0 } else { self.succeeded as f64 / self.commands as f64 };
        let steps = f64::from(CDF_STEPS);
        self.quantiles_ms.iter().enumerate().map(|(k, &ms)| (ms, k as f64 / steps * share)).collect()
    }
}

/// Latency distributions per policy at one client count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyCdf {
    /// The client count.
    pub clients: u32,
    /// One series per policy, in the sweep's order.
    pub series: Vec<CdfSeries>,
}

/// What [`sweep`] found. `Display` prints one aligned table, grouped by
/// client count, with a description of each policy below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Workload name.
    pub workload: String,
    /// First seed.
    pub start_seed: u64,
    /// Seeds per point.
    pub seeds: u64,
    /// The client counts, ascending.
    pub clients: Vec<u32>,
    /// The policies, in the order given.
    pub policies: Vec<(String, RetryPolicy)>,
    /// One point per client count and policy: counts in `clients` order,
    /// within each the policies in order.
    pub points: Vec<SweepPoint>,
    /// Latency distributions at the chosen client count, if one was chosen.
    pub cdf: Option<LatencyCdf>,
}

impl SweepReport {
    /// The point of `policy` at `clients`.
    pub fn point(&self, clients: u32, policy: &str) -> Option<&SweepPoint> {
        self.points.iter().find(|p| p.clients == clients && p.stats.name == policy)
    }

    /// Every point of `policy`, by ascending client count.
    pub fn series(&self, policy: &str) -> impl Iterator<Item = &SweepPoint> + '_ {
        let policy = policy.to_string();
        self.points.iter().filter(move |p| p.stats.name == policy)
    }

    /// Whether any run violated an invariant.
    pub fn has_violations(&self) -> bool {
        self.points.iter().any(|p| p.stats.violations > 0)
    }
}

/// Per-run figures of one policy at one client count.
#[derive(Default)]
struct RunAcc {
    runs: u64,
    completion: Duration,
    completion_max: Duration,
    writes: u64,
    calls: u64,
    attempts: Vec<u32>,
    latencies: Vec<Duration>,
}

/// Runs every policy at every client count in `clients` over seeds
/// `start_seed..start_seed + seeds`: `workload(n)` builds the workload for
/// `n` clients (e.g. [`HotKeyWorkload::with_clients`](crate::domain::sequence::HotKeyWorkload::with_clients)).
/// With `cdf_at = Some(n)` (a count in `clients`), the report keeps each
/// policy's latency distribution at `n`.
pub fn sweep<W: Workload, F: Fn(u32) -> W>(workload: F, clients: &[u32], policies: &[(String, RetryPolicy)], start_seed: u64, seeds: u64, cdf_at: Option<u32>) -> SweepReport {
    let mut points = Vec::with_capacity(clients.len() * policies.len());
    let mut cdf = None;
    let mut name = String::new();
    for &n in clients {
        let w = workload(n);
        name = w.name().to_string();
        let mut accs: Vec<RunAcc> = policies.iter().map(|_| RunAcc::default()).collect();
        let keep = cdf_at == Some(n);
        let report = tune_observed(&w, policies, start_seed, seeds, |i, result| {
            let acc = &mut accs[i];
            let concurrent = || result.history.commands.iter().filter(|c| c.client.is_some());
            let first = concurrent().map(|c| c.started_at).min().unwrap_or_default();
            let last = concurrent().map(|c| c.ended_at).max().unwrap_or_default();
            let completion = last.saturating_sub(first);
            acc.runs += 1;
            acc.completion += completion;
            acc.completion_max = acc.completion_max.max(completion);
            for c in concurrent() {
                let writes = c.calls.iter().filter(|call| call.is_append()).count() as u64;
                acc.writes += writes;
                acc.calls += c.calls.len() as u64;
                acc.attempts.push(u32::try_from(c.report.attempts.len()).unwrap_or(u32::MAX));
                if keep && matches!(c.outcome(), Outcome::Succeeded | Outcome::Idempotent) {
                    acc.latencies.push(c.ended_at.saturating_sub(c.started_at));
                }
            }
        });
        let mut series = Vec::new();
        for (stats, mut acc) in report.policies.into_iter().zip(accs) {
            if keep {
                acc.latencies.sort_unstable();
                let (commands, succeeded) = (stats.commands, stats.succeeded + stats.idempotent);
                series.push(CdfSeries { policy: stats.name.clone(), commands, succeeded, quantiles_ms: quantiles(&acc.latencies) });
            }
            acc.attempts.sort_unstable();
            let attempts_p99 = if acc.attempts.is_empty() { 0 } else { acc.attempts[(acc.attempts.len() * 99).div_ceil(100).max(1) - 1] };
            let runs = acc.runs.max(1) as f64;
            let successes = stats.succeeded + stats.idempotent;
            points.push(SweepPoint {
                clients: n,
                runs: acc.runs,
                completion_ms: round6(ms(acc.completion) / runs),
                completion_max_ms: ms(acc.completion_max),
                writes_per_run: round6(acc.writes as f64 / runs),
                calls_per_run: round6(acc.calls as f64 / runs),
                calls_per_success: ratio(acc.calls, successes, 0.0),
                attempts_p99,
                attempts_max: acc.attempts.last().copied().unwrap_or(0),
                stats,
            });
        }
        if keep {
            cdf = Some(LatencyCdf { clients: n, series });
        }
    }
    SweepReport { workload: name, start_seed, seeds, clients: clients.to_vec(), policies: policies.to_vec(), points, cdf }
}

/// Nearest-rank quantiles at `k / CDF_STEPS` of sorted latencies, in ms
/// (the 0-quantile is the minimum); empty for no latencies.
fn quantiles(sorted: &[Duration]) -> Vec<f64> {
    if sorted.is_empty() {
        return Vec::new();
    }
    let n = sorted.len() as u64;
    let steps = u64::from(CDF_STEPS);
    (0..=steps).map(|k| (k * n).div_ceil(steps).max(1)).map(|rank| ms(sorted[(rank - 1) as usize])).collect()
}

impl fmt::Display for SweepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<String> = self.clients.iter().map(u32::to_string).collect();
        writeln!(
            f,
            "dcb-sim tune · workload {} · clients {} · seeds {}..{} ({} per point)",
            self.workload,
            counts.join(","),
            self.start_seed,
            self.start_seed + self.seeds,
            self.seeds
        )?;
        const HEAD: [&str; 14] = [
            "clients", "policy", "time ms", "writes/run", "calls/run", "calls/success", "retries/cmd", "attempts p99", "attempts max", "exhausted %",
            "p50 ms", "p95 ms", "p99 ms", "violations",
        ];
        let rows: Vec<[String; 14]> = self
            .points
            .iter()
            .map(|p| {
                let s = &p.stats;
                [
                    p.clients.to_string(),
                    s.name.clone(),
                    format!("{:.0}", p.completion_ms),
                    format!("{:.1}", p.writes_per_run),
                    format!("{:.1}", p.calls_per_run),
                    format!("{:.2}", p.calls_per_success),
                    format!("{:.2}", s.avg_retries),
                    p.attempts_p99.to_string(),
                    p.attempts_max.to_string(),
                    format!("{:.2}", s.exhaustion_rate * 100.0),
                    format!("{:.1}", s.latency_p50_ms),
                    format!("{:.1}", s.latency_p95_ms),
                    format!("{:.1}", s.latency_p99_ms),
                    s.violations.to_string(),
                ]
            })
            .collect();
        let mut left = [false; 14];
        left[1] = true;
        let columns = crate::util::table::Columns::fit(&HEAD, &rows, left);
        columns.line(f, &HEAD)?;
        for (i, row) in rows.iter().enumerate() {
            if i > 0 && self.points[i - 1].clients != self.points[i].clients {
                writeln!(f)?;
            }
            columns.line(f, row)?;
        }
        writeln!(f)?;
        let name_w = self.policies.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
        for (name, policy) in &self.policies {
            writeln!(f, "  {name:<name_w$}  {}", crate::tune::describe(policy))?;
        }
        for p in self.points.iter().filter(|p| !p.stats.violating_seeds.is_empty()) {
            writeln!(f, "  VIOLATIONS: {} at {} clients, seeds {:?}: a bug, not a tuning result", p.stats.name, p.clients, p.stats.violating_seeds)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors() {
        assert!(matches!(parse_clients(""), Err(SweepError::Empty { .. })));
        assert!(matches!(parse_clients("1,,2"), Err(SweepError::Empty { .. })));
        assert_eq!(parse_clients("5,5"), Err(SweepError::Duplicate(5)));
        assert_eq!(parse_clients("100001"), Err(SweepError::OutOfRange(100_001)));
        assert_eq!(parse_clients("99999999999"), Err(SweepError::OutOfRange(99_999_999_999)));
        assert!(matches!(parse_clients("-1"), Err(SweepError::NotANumber { .. })));
        assert_eq!(parse_clients(" 200 ,1").unwrap(), vec![1, 200]);
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<Duration> = (1..=400).map(Duration::from_millis).collect();
        let q = quantiles(&v);
        assert_eq!(q.len(), CDF_STEPS as usize + 1);
        assert_eq!((q[0], q[100], q[200]), (1.0, 200.0, 400.0));
        assert_eq!(quantiles(&[Duration::from_millis(3)]), vec![3.0; CDF_STEPS as usize + 1]);
        assert!(quantiles(&[]).is_empty());
    }
}
