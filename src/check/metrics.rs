//! **metrics**: the metrics the handlers recorded agree with the history.
//!
//! Verified: `commandhandler_retries_total` (summed over labels, and per
//! `command` label for every command type in the history, also one that
//! never retried) equals the number of retries in the history (attempts
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
        // Every command type gets an entry, also one that never retried: a
        // retry counted under it is then named there as well as under the
        // type it was taken from.
        let retries = c.report.attempts.len().saturating_sub(1) as u64;
        *retries_by_command.entry(decider.command_type(&c.command)).or_default() += retries;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::fixture::{attempt, command, failed, history};
    use crate::handler::Decision;
    use crate::retry::ErrorKind;
    use crate::sim::CommandRecord;
    use crate::store::{Query, QueryItem, SequencedEvent};

    /// Commands named `enroll…` are of type `Enroll`, `list…` of type
    /// `List`, the others `Drop`.
    #[derive(Clone)]
    struct Types;

    impl Decider for Types {
        type Command = String;
        fn command_type(&self, command: &String) -> &'static str {
            if command.starts_with("enroll") {
                "Enroll"
            } else if command.starts_with("list") {
                "List"
            } else {
                "Drop"
            }
        }
        fn query(&self, _: &String) -> Query {
            Query::from_item(QueryItem::new().tags(["t"])).expect("a valid query")
        }
        fn decide(&self, _: &String, _: &[SequencedEvent]) -> Decision {
            Decision::Idempotent
        }
    }

    /// `enroll` retried twice (10 ms, then 20 ms) and exhausted; `drop`
    /// retried once (5 ms); `list` succeeded at once.
    fn commands() -> Vec<CommandRecord<String>> {
        let mut enroll = command(0, Outcome::Exhausted { attempts: 3 }, vec![failed(1, ErrorKind::Conflict), failed(2, ErrorKind::Conflict), failed(3, ErrorKind::Conflict)]);
        enroll.command = "enroll".into();
        enroll.report.total_delay = Duration::from_millis(30);
        let mut drop = command(1, Outcome::Succeeded, vec![failed(1, ErrorKind::Conflict), attempt(2)]);
        drop.command = "drop".into();
        drop.report.total_delay = Duration::from_millis(5);
        let mut list = command(2, Outcome::Succeeded, vec![attempt(1)]);
        list.command = "list".into();
        vec![enroll, drop, list]
    }

    /// The metrics a correct handler records for [`commands`].
    fn recorded() -> crate::sim::metrics::MetricsSnapshot {
        let mut m = crate::sim::metrics::MetricsSnapshot::default();
        m.counters.insert(format!("{RETRIES_TOTAL}{{attempt=\"2\",command=\"Enroll\"}}"), 1);
        m.counters.insert(format!("{RETRIES_TOTAL}{{attempt=\"3\",command=\"Enroll\"}}"), 1);
        m.counters.insert(format!("{RETRIES_TOTAL}{{attempt=\"2\",command=\"Drop\"}}"), 1);
        m.counters.insert(format!("{MAX_RETRIES_REACHED_TOTAL}{{command=\"Enroll\"}}"), 1);
        m.histograms.insert(format!("{RETRY_DELAY_SECONDS}{{command=\"Enroll\"}}"), vec![0.010, 0.020]);
        m.histograms.insert(format!("{RETRY_DELAY_SECONDS}{{command=\"Drop\"}}"), vec![0.005]);
        m
    }

    fn judged(tweak: impl FnOnce(&mut crate::sim::metrics::MetricsSnapshot)) -> Vec<String> {
        let mut h = history(commands(), 0);
        h.metrics = recorded();
        tweak(&mut h.metrics);
        let mut out = Vec::new();
        check(&Types, &h, &mut out);
        assert!(out.iter().all(|v| v.invariant() == NAME), "{out:?}");
        out.iter().map(ToString::to_string).collect()
    }

    fn one(found: &[String], needle: &str) {
        assert!(found.len() == 1 && found[0].contains(needle), "expected one violation saying {needle:?}, got {found:?}");
    }

    #[test]
    fn metrics_that_agree_with_the_history_pass() {
        assert_eq!(judged(|_| {}), Vec::<String>::new());
    }

    #[test]
    fn a_retry_counted_under_the_wrong_command_is_flagged_per_label() {
        let found = judged(|m| {
            m.counters.remove(&format!("{RETRIES_TOTAL}{{attempt=\"2\",command=\"Drop\"}}"));
            m.counters.insert(format!("{RETRIES_TOTAL}{{attempt=\"4\",command=\"Enroll\"}}"), 1);
        });
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("{command=\"Drop\"} is 0 but Drop retried 1 times"), "{found:?}");
        assert!(found[1].contains("{command=\"Enroll\"} is 3 but Enroll retried 2 times"), "{found:?}");
    }

    #[test]
    fn a_retry_moved_to_a_command_that_never_retried_is_named_on_both_sides() {
        let found = judged(|m| {
            m.counters.remove(&format!("{RETRIES_TOTAL}{{attempt=\"2\",command=\"Drop\"}}"));
            m.counters.insert(format!("{RETRIES_TOTAL}{{attempt=\"2\",command=\"List\"}}"), 1);
        });
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("{command=\"Drop\"} is 0 but Drop retried 1 times"), "{found:?}");
        assert!(found[1].contains("{command=\"List\"} is 1 but List retried 0 times"), "{found:?}");
    }

    #[test]
    fn a_missing_retry_is_flagged_in_the_total() {
        let found = judged(|m| *m.counters.get_mut(&format!("{RETRIES_TOTAL}{{attempt=\"2\",command=\"Drop\"}}")).expect("recorded") = 0);
        assert!(found.iter().any(|f| f.contains(&format!("{RETRIES_TOTAL} is 2 but the history has 3 retries"))), "{found:?}");
    }

    #[test]
    fn a_missing_or_wrong_delay_sample_is_flagged() {
        let found = judged(|m| {
            m.histograms.insert(format!("{RETRY_DELAY_SECONDS}{{command=\"Drop\"}}"), vec![]);
        });
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains(&format!("{RETRY_DELAY_SECONDS} has 2 samples for 3 retries")), "{found:?}");
        assert!(found[1].contains("sums to 0.03s but the commands waited 0.03"), "{found:?}");
        one(&judged(|m| m.histograms.get_mut(&format!("{RETRY_DELAY_SECONDS}{{command=\"Drop\"}}")).expect("recorded")[0] = 0.006), "sums to 0.036");
        // within rounding: no violation
        assert_eq!(judged(|m| m.histograms.get_mut(&format!("{RETRY_DELAY_SECONDS}{{command=\"Drop\"}}")).expect("recorded")[0] = 0.005 + 5e-7), Vec::<String>::new());
    }

    #[test]
    fn the_delay_sum_is_compared_within_a_tolerance_relative_to_the_total() {
        // 1,000 s of waiting: the tolerance is a millionth of it (1 ms)
        let long = |m: &mut crate::sim::metrics::MetricsSnapshot, drop_sample: f64| {
            m.histograms.insert(format!("{RETRY_DELAY_SECONDS}{{command=\"Drop\"}}"), vec![drop_sample]);
        };
        let judged_long = |drop_sample: f64| {
            let mut h = history(commands(), 0);
            h.commands[1].report.total_delay = Duration::from_secs(1_000);
            h.metrics = recorded();
            long(&mut h.metrics, drop_sample);
            let mut out = Vec::new();
            check(&Types, &h, &mut out);
            out.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        assert_eq!(judged_long(1_000.0), Vec::<String>::new());
        // 0.1 ms off in 1,000 s: rounding, not a bug
        assert_eq!(judged_long(1_000.0001), Vec::<String>::new());
        // 10 ms off: flagged
        one(&judged_long(1_000.01), "sums to 1000.04");
    }

    #[test]
    fn an_exhaustion_not_counted_is_flagged() {
        one(&judged(|m| *m.counters.get_mut(&format!("{MAX_RETRIES_REACHED_TOTAL}{{command=\"Enroll\"}}")).expect("recorded") = 2), &format!("{MAX_RETRIES_REACHED_TOTAL} is 2 but 1 commands exhausted their attempts"));
    }

    #[test]
    fn the_decider_checkers_include_this_one() {
        let mut h = history(commands(), 0);
        h.metrics = recorded();
        let mut out = Vec::new();
        crate::check::decider(&Types, &crate::sim::Scenario::new(vec![], vec![]), &h, &mut out);
        assert_eq!(out, Vec::new());
        h.metrics.counters.clear();
        crate::check::decider(&Types, &crate::sim::Scenario::new(vec![], vec![]), &h, &mut out);
        assert!(!out.is_empty() && out.iter().all(|v| v.invariant() == NAME), "{out:?}");
    }
}
