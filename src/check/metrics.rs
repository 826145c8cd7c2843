//! **metrics**: the metrics the handlers recorded agree with the history.
//!
//! Verified: `commandhandler_retries_total` (summed over labels, and per
//! `command` label) equals the number of retries in the history (attempts
//! after the first); `commandhandler_retry_delay_seconds` has one sample
//! per retry and its samples sum to the commands' total delay;
//! `commandhandler_max_retries_reached_total` equals the number of
//! `Exhausted` outcomes.
//!
//! Not verified: the `attempt` and `error_type` labels' values beyond their
//! totals (the retry-classification checker covers which errors retried).

use std::collections::BTreeMap;

use crate::handler::{Decider, Outcome};
use crate::retry::metrics::{MAX_RETRIES_REACHED_TOTAL, RETRIES_TOTAL, RETRY_DELAY_SECONDS};
use crate::sim::{History, Violation};

/// The invariant's name.
pub const NAME: &str = "metrics";

/// Checks the recorded metrics against the history.
pub fn check<D: Decider>(decider: &D, history: &History<D::Command>, out: &mut Vec<Violation>) {
    let m = &history.metrics;
    let mut retries_by_command: BTreeMap<&str, u64> = BTreeMap::new();
    let mut total_delay = 0.0;
    let mut exhausted = 0;
    for c in &history.commands {
        let retries = c.report.attempts.len().saturating_sub(1) as u64;
        if retries > 0 {
            *retries_by_command.entry(decider.command_type(&c.command)).or_default() += retries;
        }
        total_delay += c.report.total_delay.as_secs_f64();
        exhausted += u64::from(matches!(c.outcome(), Outcome::Exhausted { .. }));
    }
    let mut bad = |detail: String| out.push(Violation::safety(NAME, None, detail));
    let retries: u64 = retries_by_command.values().sum();
    if m.counter_total(RETRIES_TOTAL) != retries {
        bad(format!("{RETRIES_TOTAL} is {} but the history has {retries} retries", m.counter_total(RETRIES_TOTAL)));
    }
    for (command, n) in &retries_by_command {
        let label = format!("command=\"{command}\"");
        let recorded: u64 = m.counters.iter().filter(|(k, _)| k.starts_with(RETRIES_TOTAL) && k.contains(&label)).map(|(_, v)| v).sum();
        if recorded != *n {
            bad(format!("{RETRIES_TOTAL}{{{label}}} is {recorded} but {command} retried {n} times"));
        }
    }
    let samples = m.histogram_samples(RETRY_DELAY_SECONDS);
    if samples.len() as u64 != retries {
        bad(format!("{RETRY_DELAY_SECONDS} has {} samples for {retries} retries", samples.len()));
    }
    let sum: f64 = samples.iter().sum();
    if (sum - total_delay).abs() > 1e-6 * (1.0 + total_delay) {
        bad(format!("{RETRY_DELAY_SECONDS} sums to {sum}s but the commands waited {total_delay}s"));
    }
    if m.counter_total(MAX_RETRIES_REACHED_TOTAL) != exhausted {
        bad(format!("{MAX_RETRIES_REACHED_TOTAL} is {} but {exhausted} commands exhausted their attempts", m.counter_total(MAX_RETRIES_REACHED_TOTAL)));
    }
}
