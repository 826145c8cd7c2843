//! The retry tuning lab ([`dcb_sim::tune::tune`]): every policy faces the same
//! scenarios, the report is deterministic and survives JSON, the figures obey
//! their definitions, and the policies rank as contention says they must
//! (no retries ⇒ no retry rate and more exhaustion than the default).
//!
//! `tune_table_50_clients` prints the README's table; see it with
//! `cargo test --release --test sim -- --nocapture tune::tune_table`.

use std::sync::OnceLock;

use dcb_sim::retry::RetryPolicy;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::tune::{TuneError, TuneReport, parse_policies, tune};

/// Seeds per policy for the shared report (the README's table; the same as
/// `dcb-sim tune --workload enrollment --clients 50 --policies all --seeds 200`).
const SEEDS: u64 = 200;

/// Every preset over seeds 0..200 of 50-client enrollment, computed once and
/// shared by the tests that only read it.
fn report() -> &'static TuneReport {
    static REPORT: OnceLock<TuneReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        #[allow(clippy::disallowed_methods, reason = "wall-clock timing of the whole tune call, outside any simulation")]
        let clock = std::time::Instant::now();
        let report = tune(&EnrollmentWorkload::with_clients(50), &parse_policies("all").unwrap(), 0, SEEDS);
        eprintln!("tune: {} policies × {SEEDS} seeds × 50 clients in {:.2?}", report.policies.len(), clock.elapsed());
        report
    })
}

fn row<'a>(report: &'a TuneReport, name: &str) -> &'a dcb_sim::tune::PolicyStats {
    report.policies.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no row {name}"))
}

/// Prints the table (the README's "How to choose a retry policy" comes from
/// this output) and checks its shape: one row per preset in order, units in
/// the header, no violations.
#[test]
fn tune_table_50_clients() {
    let report = report();
    let text = report.to_string();
    println!("{text}");
    let names: Vec<&str> = report.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, RetryPolicy::PRESETS);
    assert_eq!((report.clients_min, report.clients_max, report.seeds), (50, 50, SEEDS));
    let header = text.lines().nth(1).unwrap();
    for col in ["success %", "rejected %", "retried %", "retries/cmd", "exhausted %", "failed %", "p50 ms", "p95 ms", "p99 ms", "calls/cmd", "violations"] {
        assert!(header.contains(col), "header lacks {col}: {header}");
    }
    // Aligned: every table line (header + rows) has the same width.
    let widths: Vec<usize> = text.lines().skip(1).take(1 + names.len()).map(|l| l.chars().count()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
    for p in &report.policies {
        assert_eq!(p.violations, 0, "{} found violations at seeds {:?}: a bug", p.name, p.violating_seeds);
    }
}

/// Every policy runs the same seeds' scenarios, so each sees exactly the
/// same commands; the outcome counts add up to them.
#[test]
fn every_policy_sees_the_same_commands() {
    let report = report();
    let n = report.policies[0].commands;
    assert!(n > SEEDS * 50, "50 clients issue 1–3 commands each: {n}");
    for p in &report.policies {
        assert_eq!(p.commands, n, "{}", p.name);
        assert_eq!(p.succeeded + p.idempotent + p.rejected + p.exhausted + p.failed, p.commands, "{}", p.name);
        assert!(p.reads >= p.commands && p.reads == p.commands + p.retries, "{}: one read per attempt", p.name);
        assert!(p.appends <= p.reads, "{}", p.name);
        assert_eq!(p.failed, 0, "{}: no faults, no deadline, nothing fails for good", p.name);
    }
}

/// With injected faults the policies still face the same commands, and
/// commands that fail for good (unavailable store, timeouts, crashes) show
/// up as `failed`, outside success and rejection.
#[test]
fn faults_show_up_as_failed_for_every_policy_alike() {
    let report = tune(&EnrollmentWorkload::with_clients(50).with_faults(), &parse_policies("default,no-retry").unwrap(), 0, 20);
    let (a, b) = (&report.policies[0], &report.policies[1]);
    assert_eq!(a.commands, b.commands);
    for p in &report.policies {
        assert_eq!(p.violations, 0, "{} at seeds {:?}", p.name, p.violating_seeds);
        assert!(p.failed > 0 && p.failure_rate > 0.0, "{}: faults make some commands fail", p.name);
        assert_eq!(p.succeeded + p.idempotent + p.rejected + p.exhausted + p.failed, p.commands, "{}", p.name);
    }
}

/// Same inputs ⇒ identical report (a different start seed ⇒ a different one).
#[test]
fn same_inputs_give_the_identical_report() {
    let w = EnrollmentWorkload::with_clients(50);
    let policies = parse_policies("default,decorrelated").unwrap();
    let a = tune(&w, &policies, 100, 5);
    let b = tune(&w, &policies, 100, 5);
    assert_eq!(a, b);
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    let c = tune(&w, &policies, 105, 5);
    assert_ne!(a.policies, c.policies, "other seeds, other figures");
}

/// Under 50-client contention, `no-retry` never retries and exhausts more
/// commands than `default` (5 attempts), and every rate is a fraction.
#[test]
fn no_retry_exhausts_more_than_default() {
    let report = report();
    let (none, default) = (row(report, "no-retry"), row(report, "default"));
    assert_eq!((none.retry_rate, none.retries, none.avg_retries), (0.0, 0, 0.0));
    assert!(none.exhaustion_rate > default.exhaustion_rate, "no-retry {} vs default {}", none.exhaustion_rate, default.exhaustion_rate);
    assert!(none.exhaustion_rate > 0.0, "50 clients must conflict");
    assert!(default.retry_rate > 0.0 && default.avg_retries > 0.0);
    for p in &report.policies {
        for x in [p.success_rate, p.rejection_rate, p.retry_rate, p.exhaustion_rate, p.failure_rate] {
            assert!((0.0..=1.0).contains(&x), "{}: {x}", p.name);
        }
        assert!(p.avg_retries <= f64::from(p.policy.max_attempts - 1), "{}", p.name);
        assert!(p.store_calls_per_command >= 1.0 && p.store_calls_per_command <= 2.0 * f64::from(p.policy.max_attempts), "{}", p.name);
    }
}

/// Percentiles are ordered: p50 ≤ p95 ≤ p99 ≤ max, all positive (store
/// calls take at least 2 ms of virtual time).
#[test]
fn percentiles_are_ordered() {
    for p in &report().policies {
        assert!(p.latency_p50_ms > 0.0, "{}", p.name);
        assert!(p.latency_p50_ms <= p.latency_p95_ms, "{}", p.name);
        assert!(p.latency_p95_ms <= p.latency_p99_ms, "{}", p.name);
        assert!(p.latency_p99_ms <= p.latency_max_ms, "{}", p.name);
    }
}

/// An unknown name is an error whose message lists every valid name.
#[test]
fn unknown_policy_lists_valid_names() {
    let err = parse_policies("default,aggressive").unwrap_err();
    assert_eq!(err, TuneError::UnknownPolicy { name: "aggressive".into() });
    let msg = err.to_string();
    assert!(msg.contains("`aggressive`"), "{msg}");
    for name in RetryPolicy::PRESETS {
        assert!(msg.contains(name), "{msg} lacks {name}");
    }
    assert!(parse_policies(" csharp , full-jitter ").is_ok(), "whitespace is trimmed");
}

/// JSON round trip: the report parses back to an equal value, and
/// re-serializes to the same text.
#[test]
fn json_round_trip() {
    let report = report();
    let json = serde_json::to_string_pretty(report).unwrap();
    let back: TuneReport = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, report);
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
    for key in ["\"success_rate\"", "\"latency_p99_ms\"", "\"store_calls_per_command\"", "\"exhaustion_rate\""] {
        assert!(json.contains(key), "{key}");
    }
}
