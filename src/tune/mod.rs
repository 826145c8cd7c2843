//! The retry tuning lab: which [`RetryPolicy`] serves a contended workload best?
//!
//! [`tune`] runs every policy under test over the **same** seeds of a
//! workload. For each seed the scenario is generated exactly as
//! [`explore`](crate::explore::explore) does (`workload.generate(&mut
//! rng::substream(seed, SCENARIO_STREAM))`), then only its
//! [`Scenario::policy`](crate::sim::Scenario::policy) is replaced by the policy
//! under test, so every policy faces identical clients, commands, start times,
//! store latency ranges and faults. Every run is checked like any other
//! (violations are counted: anything but 0 is a bug, not a tuning result).
//!
//! The figures are the ones the C# design asks to monitor and the Go design
//! exports as metrics (`commandhandler_retries_total`,
//! `commandhandler_max_retries_reached_total`, handle duration), aggregated
//! per policy into a [`PolicyStats`] row of a [`TuneReport`]. Only the
//! concurrent commands count; setup commands (run one by one before the
//! clients start, never contended) are left out.
//!
//! # Columns
//!
//! With `N` the number of concurrent commands over all seeds and, per
//! command, `a` its attempts (≥ 1):
//!
//! | column | definition |
//! |---|---|
//! | `commands` | `N` (identical for every policy: same scenarios) |
//! | `success %` | (succeeded + idempotent) / (`N` − rejected): of the commands a business rule did not reject, the share that took effect. A rejection is a correct answer, not a failure of the retry policy, so it is left out of the denominator; note that which commands get rejected can depend on the policy (a command that retries may then find the course full) |
//! | `rejected %` | business rejections / `N` |
//! | `retried %` | commands with `a ≥ 2` (at least one retry) / `N` |
//! | `retries/cmd` | Σ (`a` − 1) / `N` |
//! | `exhausted %` | commands whose every attempt hit a retryable error (`Outcome::Exhausted`, "failed after k attempts") / `N` |
//! | `p50/p95/p99 ms` | nearest-rank percentiles of `ended_at − started_at` in virtual milliseconds over all `N` commands, whatever their outcome: the value at rank ⌈p/100 · N⌉ of the sorted latencies (exact: all latencies are kept and sorted) |
//! | `failed %` | commands ended by a non-retryable store error, the deadline or the retry budget (`Outcome::Failed`; only with faults, deadlines or budgets) / `N`: neither a success nor a rejection |
//! | `calls/cmd` | store calls / `N`: one read per attempt (every attempt starts with exactly one read, which reaches the store even when it then fails), plus one append per attempt whose append was attempted (its [`AppendRecord`] is not `NotAttempted`: written, conflict or error) |
//! | `violations` | invariant violations found by the checkers over all runs of this policy (must be 0; the first violating seeds are kept in [`PolicyStats::violating_seeds`]) |
//!
//! Every command ends in exactly one of succeeded, idempotent, rejected,
//! exhausted or failed, so `N` = their sum.
//!
//! A report is deterministic: the same workload, policies and seeds give an
//! identical report (no wall-clock figures are stored in it; time the call
//! yourself if you need throughput).
//!
//! To compare policies as the number of clients grows (work, completion
//! time, latency distribution, with charts), see [`sweep`](mod@crate::tune::sweep).
//!
//! ```
//! use dcb_sim::domain::enrollment::EnrollmentWorkload;
//! use dcb_sim::tune::{parse_policies, tune};
//!
//! let policies = parse_policies("csharp,no-retry").unwrap();
//! let report = tune(&EnrollmentWorkload::with_clients(8), &policies, 0, 5);
//! let (csharp, no_retry) = (&report.policies[0], &report.policies[1]);
//! assert_eq!(csharp.commands, no_retry.commands); // same scenarios
//! assert_eq!(no_retry.retry_rate, 0.0);
//! assert!(report.policies.iter().all(|p| p.violations == 0));
//! println!("{report}"); // an aligned text table
//! ```

pub mod sweep;
#[cfg(feature = "plots")]
pub mod sweep_html;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::explore::explorer::SCENARIO_STREAM;
use crate::sim::runner::{RunResult, run};
use crate::sim::workload::{Cmd, Workload};
use crate::handler::{AppendRecord, Outcome};
use crate::retry::{Jitter, RetryPolicy};
use crate::rng;

/// How many violating seeds a [`PolicyStats`] keeps for replay.
pub const MAX_VIOLATING_SEEDS: usize = 5;

/// Why a policy list could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TuneError {
    /// A name that is not a preset.
    #[error(
        "unknown retry policy `{name}`; valid names: {}, {}, or `all` for the first six, `study` for the four study-* ones",
        RetryPolicy::PRESETS.join(", "),
        RetryPolicy::STUDY_PRESETS.join(", ")
    )]
    UnknownPolicy {
        /// The name given.
        name: String,
    },
    /// The list (or one of its comma-separated items) was empty.
    #[error("empty retry policy name in `{list}`; give comma-separated names from: {}", RetryPolicy::PRESETS.join(", "))]
    EmptyName {
        /// The whole list given.
        list: String,
    },
    /// The same name twice (it would give two identical rows).
    #[error("retry policy `{0}` is listed twice; name each policy once")]
    Duplicate(String),
}

/// Parses a comma-separated list of preset names ([`RetryPolicy::PRESETS`]
/// and [`RetryPolicy::STUDY_PRESETS`], plus the alias `go` for `default`,
/// which [`RetryPolicy::preset`] accepts) into named policies, in the order
/// given. `all` stands for every one of [`RetryPolicy::PRESETS`], `study`
/// for the four study presets (the AWS backoff study's policies, see
/// [`RetryPolicy::study`]). Whitespace around names is ignored.
///
/// ```
/// use dcb_sim::tune::parse_policies;
/// let p = parse_policies("default, csharp").unwrap();
/// assert_eq!(p[0].0, "default");
/// assert_eq!(p[1].1, dcb_sim::retry::RetryPolicy::csharp());
/// let err = parse_policies("default,fast").unwrap_err().to_string();
/// assert!(err.contains("unknown retry policy `fast`") && err.contains("full-jitter"), "{err}");
/// ```
///
/// # Errors
/// [`TuneError::UnknownPolicy`] (its message lists the valid names),
/// [`TuneError::EmptyName`], [`TuneError::Duplicate`].
pub fn parse_policies(list: &str) -> Result<Vec<(String, RetryPolicy)>, TuneError> {
    let mut out: Vec<(String, RetryPolicy)> = Vec::new();
    for raw in list.split(',') {
        let name = raw.trim();
        if name.is_empty() {
            return Err(TuneError::EmptyName { list: list.to_string() });
        }
        let names: Vec<&str> = match name {
            "all" => RetryPolicy::PRESETS.to_vec(),
            "study" => RetryPolicy::STUDY_PRESETS.to_vec(),
            _ => vec![name],
        };
        for name in names {
            let policy = RetryPolicy::preset(name).ok_or_else(|| TuneError::UnknownPolicy { name: name.to_string() })?;
            if out.iter().any(|(n, _)| n == name) {
                return Err(TuneError::Duplicate(name.to_string()));
            }
            out.push((name.to_string(), policy));
        }
    }
    Ok(out)
}

/// The figures of one policy over all seeds. Rates are fractions in `0..=1`
/// (the text table shows them as percentages), rounded to 6 decimals;
/// latencies are virtual milliseconds with microsecond resolution. See the
/// [module docs](self) for the exact definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyStats {
    /// The policy's name (as given to [`tune`]).
    pub name: String,
    /// The policy itself.
    pub policy: RetryPolicy,
    /// Concurrent commands run (setup excluded).
    pub commands: u64,
    /// Commands whose events were appended.
    pub succeeded: u64,
    /// Commands that found their effect already there (nothing appended).
    pub idempotent: u64,
    /// Commands a business rule rejected (never retried).
    pub rejected: u64,
    /// Commands whose every attempt hit a retryable error.
    pub exhausted: u64,
    /// Commands ended by a non-retryable error, the deadline or the budget.
    pub failed: u64,
    /// Commands that made at least one retry (≥ 2 attempts).
    pub retried: u64,
    /// Retries made: Σ (attempts − 1).
    pub retries: u64,
    /// Store reads: one per attempt.
    pub reads: u64,
    /// Store appends: one per attempt whose append was attempted.
    pub appends: u64,
    /// (succeeded + idempotent) / (commands − rejected); 1 when every command was rejected.
    pub success_rate: f64,
    /// rejected / commands.
    pub rejection_rate: f64,
    /// retried / commands.
    pub retry_rate: f64,
    /// retries / commands.
    pub avg_retries: f64,
    /// exhausted / commands.
    pub exhaustion_rate: f64,
    /// failed / commands.
    pub failure_rate: f64,
    /// (reads + appends) / commands.
    pub store_calls_per_command: f64,
    /// Median command latency (virtual ms, started → ended).
    pub latency_p50_ms: f64,
    /// 95th percentile latency (virtual ms).
    pub latency_p95_ms: f64,
    /// 99th percentile latency (virtual ms).
    pub latency_p99_ms: f64,
    /// Longest latency (virtual ms).
    pub latency_max_ms: f64,
    /// Invariant violations found (must be 0).
    pub violations: u64,
    /// The first seeds (up to [`MAX_VIOLATING_SEEDS`]) with a violation.
    pub violating_seeds: Vec<u64>,
}

/// What [`tune`] found: one [`PolicyStats`] per policy, in the order given.
/// `Display` prints an aligned text table with units in the headers and a
/// one-line description of each policy below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneReport {
    /// Workload name.
    pub workload: String,
    /// First seed.
    pub start_seed: u64,
    /// Seeds run per policy.
    pub seeds: u64,
    /// Fewest clients in a seed's scenario.
    pub clients_min: u64,
    /// Most clients in a seed's scenario.
    pub clients_max: u64,
    /// One row per policy.
    pub policies: Vec<PolicyStats>,
}

/// Counts of one policy while its runs accumulate.
#[derive(Default)]
struct Acc {
    commands: u64,
    succeeded: u64,
    idempotent: u64,
    rejected: u64,
    exhausted: u64,
    failed: u64,
    retried: u64,
    retries: u64,
    reads: u64,
    appends: u64,
    latencies: Vec<Duration>,
    violations: u64,
    violating_seeds: Vec<u64>,
}

/// Runs every policy in `policies` over seeds `start_seed..start_seed +
/// seeds` of `workload` (each seed's scenario generated as
/// [`explore`](crate::explore::explore) does, with only its policy replaced) and
/// aggregates the figures per policy. Policies should be valid
/// ([`RetryPolicy::validate`]); an invalid one runs no command and shows up
/// as one harness violation per seed.
pub fn tune<W: Workload>(workload: &W, policies: &[(String, RetryPolicy)], start_seed: u64, seeds: u64) -> TuneReport {
    tune_observed(workload, policies, start_seed, seeds, |_, _| {})
}

/// [`tune`], handing every run to `observe` as well (with the index of its
/// policy in `policies`), for figures a [`PolicyStats`] row does not keep
/// (the [sweep](crate::tune::sweep) takes completion times and latencies).
pub(crate) fn tune_observed<W: Workload>(
    workload: &W,
    policies: &[(String, RetryPolicy)],
    start_seed: u64,
    seeds: u64,
    mut observe: impl FnMut(usize, &RunResult<Cmd<W>>),
) -> TuneReport {
    let end = start_seed.saturating_add(seeds);
    let mut accs: Vec<Acc> = policies.iter().map(|_| Acc::default()).collect();
    let (mut clients_min, mut clients_max) = (u64::MAX, 0);
    for seed in start_seed..end {
        let mut scenario = workload.generate(&mut rng::substream(seed, SCENARIO_STREAM));
        let clients = scenario.clients() as u64;
        clients_min = clients_min.min(clients);
        clients_max = clients_max.max(clients);
        for (i, ((_, policy), acc)) in policies.iter().zip(&mut accs).enumerate() {
            scenario.policy = policy.clone();
            let result = run(workload, &scenario, seed);
            observe(i, &result);
            if !result.violations.is_empty() {
                acc.violations += result.violations.len() as u64;
                if acc.violating_seeds.len() < MAX_VIOLATING_SEEDS {
                    acc.violating_seeds.push(seed);
                }
            }
            for c in result.history.commands.iter().filter(|c| c.client.is_some()) {
                acc.commands += 1;
                match &c.report.outcome {
                    Outcome::Succeeded => acc.succeeded += 1,
                    Outcome::Idempotent => acc.idempotent += 1,
                    Outcome::Rejected { .. } => acc.rejected += 1,
                    Outcome::Exhausted { .. } => acc.exhausted += 1,
                    Outcome::Failed { .. } => acc.failed += 1,
                }
                let attempts = c.report.attempts.len() as u64;
                if attempts >= 2 {
                    acc.retried += 1;
                }
                acc.retries += attempts.saturating_sub(1);
                acc.reads += attempts;
                acc.appends += c.report.attempts.iter().filter(|a| a.append != AppendRecord::NotAttempted).count() as u64;
                acc.latencies.push(c.ended_at.saturating_sub(c.started_at));
            }
        }
    }
    if clients_min == u64::MAX {
        clients_min = 0;
    }
    let policies = policies.iter().zip(accs).map(|((name, policy), acc)| acc.finish(name, policy)).collect();
    TuneReport { workload: workload.name().to_string(), start_seed, seeds: end - start_seed, clients_min, clients_max, policies }
}

/// `num / den` rounded to 6 decimals (so the value survives a JSON round
/// trip exactly); `empty` when `den` is 0.
pub(crate) fn ratio(num: u64, den: u64, empty: f64) -> f64 {
    if den == 0 { empty } else { round6(num as f64 / den as f64) }
}

pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Milliseconds with microsecond resolution.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e3
}

/// Nearest-rank percentile of sorted values: the value at rank ⌈p/100 · n⌉
/// (1-based); zero for no values.
pub(crate) fn percentile(sorted: &[Duration], p: u64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

impl Acc {
    fn finish(mut self, name: &str, policy: &RetryPolicy) -> PolicyStats {
        self.latencies.sort_unstable();
        let l = &self.latencies;
        let n = self.commands;
        PolicyStats {
            name: name.to_string(),
            policy: policy.clone(),
            success_rate: ratio(self.succeeded + self.idempotent, n - self.rejected, 1.0),
            rejection_rate: ratio(self.rejected, n, 0.0),
            retry_rate: ratio(self.retried, n, 0.0),
            avg_retries: ratio(self.retries, n, 0.0),
            exhaustion_rate: ratio(self.exhausted, n, 0.0),
            failure_rate: ratio(self.failed, n, 0.0),
            store_calls_per_command: ratio(self.reads + self.appends, n, 0.0),
            latency_p50_ms: ms(percentile(l, 50)),
            latency_p95_ms: ms(percentile(l, 95)),
            latency_p99_ms: ms(percentile(l, 99)),
            latency_max_ms: ms(l.last().copied().unwrap_or_default()),
            commands: n,
            succeeded: self.succeeded,
            idempotent: self.idempotent,
            rejected: self.rejected,
            exhausted: self.exhausted,
            failed: self.failed,
            retried: self.retried,
            retries: self.retries,
            reads: self.reads,
            appends: self.appends,
            violations: self.violations,
            violating_seeds: self.violating_seeds,
        }
    }
}

/// A one-line description of a policy, e.g. `3 attempts, 50 ms ×2, no jitter`.
pub fn describe(policy: &RetryPolicy) -> String {
    let mut s = format!("{} attempt{}", policy.max_attempts, if policy.max_attempts == 1 { "" } else { "s" });
    if policy.max_attempts > 1 {
        s += &format!(", {:?} ×{}", policy.base_delay, policy.multiplier);
        s += match policy.jitter {
            Jitter::None => ", no jitter".to_string(),
            Jitter::Proportional { factor } => format!(", jitter +0–{:.0} %", factor * 100.0),
            Jitter::Full => ", full jitter".to_string(),
            Jitter::Equal => ", equal jitter".to_string(),
            Jitter::Decorrelated => ", decorrelated jitter".to_string(),
        }
        .as_str();
        if let Some(cap) = policy.max_delay {
            s += &format!(", cap {cap:?}");
        }
        if let Some(budget) = policy.budget {
            s += &format!(", budget {budget:?}");
        }
    }
    if let Some(deadline) = policy.deadline {
        s += &format!(", deadline {deadline:?}");
    }
    if policy.retry_transient {
        s += ", retries transient errors";
    }
    s
}

impl fmt::Display for TuneReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clients = if self.clients_min == self.clients_max {
            format!("{}", self.clients_min)
        } else {
            format!("{}–{}", self.clients_min, self.clients_max)
        };
        writeln!(
            f,
            "dcb-sim tune · workload {} · {} clients · seeds {}..{} ({} per policy)",
            self.workload,
            clients,
            self.start_seed,
            self.start_seed + self.seeds,
            self.seeds
        )?;
        const HEAD: [&str; 13] = [
            "policy", "commands", "success %", "rejected %", "retried %", "retries/cmd", "exhausted %", "failed %", "p50 ms", "p95 ms",
            "p99 ms", "calls/cmd", "violations",
        ];
        let pct = |x: f64| format!("{:.2}", x * 100.0);
        let rows: Vec<[String; 13]> = self
            .policies
            .iter()
            .map(|p| {
                [
                    p.name.clone(),
                    p.commands.to_string(),
                    pct(p.success_rate),
                    pct(p.rejection_rate),
                    pct(p.retry_rate),
                    format!("{:.2}", p.avg_retries),
                    pct(p.exhaustion_rate),
                    pct(p.failure_rate),
                    format!("{:.1}", p.latency_p50_ms),
                    format!("{:.1}", p.latency_p95_ms),
                    format!("{:.1}", p.latency_p99_ms),
                    format!("{:.2}", p.store_calls_per_command),
                    p.violations.to_string(),
                ]
            })
            .collect();
        let mut left = [false; 13];
        left[0] = true;
        let columns = crate::util::table::Columns::fit(&HEAD, &rows, left);
        columns.line(f, &HEAD)?;
        for row in &rows {
            columns.line(f, row)?;
        }
        writeln!(f)?;
        let name_w = self.policies.iter().map(|p| p.name.chars().count()).max().unwrap_or(0);
        for p in &self.policies {
            writeln!(f, "  {:<name_w$}  {}", p.name, describe(&p.policy))?;
            if !p.violating_seeds.is_empty() {
                writeln!(f, "  {:<name_w$}  VIOLATIONS at seeds {:?}: a bug, not a tuning result", "", p.violating_seeds)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50), Duration::from_millis(50));
        assert_eq!(percentile(&v, 95), Duration::from_millis(95));
        assert_eq!(percentile(&v, 99), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100), Duration::from_millis(100));
        let one = [Duration::from_millis(7)];
        assert_eq!(percentile(&one, 50), Duration::from_millis(7));
        assert_eq!(percentile(&one, 99), Duration::from_millis(7));
        assert_eq!(percentile(&[], 99), Duration::ZERO);
        let three: Vec<Duration> = (1..=3).map(Duration::from_millis).collect();
        assert_eq!(percentile(&three, 50), Duration::from_millis(2));
        assert_eq!(percentile(&three, 95), Duration::from_millis(3));
    }

    #[test]
    fn ratios_round_and_handle_zero() {
        assert_eq!(ratio(1, 3, 0.0), 0.333333);
        assert_eq!(ratio(0, 0, 1.0), 1.0);
        assert_eq!(ms(Duration::from_micros(12_345)), 12.345);
    }

    #[test]
    fn parse_all_and_errors() {
        let all = parse_policies("all").unwrap();
        assert_eq!(all.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), RetryPolicy::PRESETS);
        assert_eq!(parse_policies("go").unwrap()[0].1, RetryPolicy::go_default());
        assert_eq!(parse_policies("csharp,csharp"), Err(TuneError::Duplicate("csharp".into())));
        assert!(matches!(parse_policies("csharp,"), Err(TuneError::EmptyName { .. })));
        assert!(matches!(parse_policies(""), Err(TuneError::EmptyName { .. })));
        let study = parse_policies("study,default").unwrap();
        assert_eq!(study.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["study-none", "study-full", "study-equal", "study-decorrelated", "default"]);
        assert_eq!(parse_policies("study,study-full"), Err(TuneError::Duplicate("study-full".into())));
        let unknown = parse_policies("nope").unwrap_err().to_string();
        assert!(unknown.contains("study-decorrelated") && unknown.contains("`study`"), "{unknown}");
    }

    #[test]
    fn describe_presets() {
        assert_eq!(describe(&RetryPolicy::csharp()), "3 attempts, 50ms ×2, no jitter");
        assert_eq!(describe(&RetryPolicy::preset("no-retry").unwrap()), "1 attempt");
        assert_eq!(describe(&RetryPolicy::preset("full-jitter").unwrap()), "5 attempts, 10ms ×2, full jitter, cap 50ms");
    }
}
