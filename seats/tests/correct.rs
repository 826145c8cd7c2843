//! The correct handler over the correct adapter: no invariant breaks, and
//! the races the checkers look at really happen (conflicts, retries,
//! "seat taken" and "limit" rejections), so these tests could fail.

use crate::common;

use dcb_sim::handler::Outcome;
use dcb_sim::rng::substream;
use dcb_sim::explore::{ExploreOptions, SCENARIO_STREAM, explore};
use std::time::Duration;

use dcb_sim::explore::Check;
use dcb_sim::sim::sched::exhaustive_with;
use dcb_sim::sim::{ExhaustiveOptions, FaultPlan, Scenario, Scheduled, Violation, Workload, run};
use seats::decide::{SEAT_LIMIT, SEAT_TAKEN};
use dcb_sim::retry::RetryPolicy;
use seats::handler::own_policy;
use seats::{HandlerVariant, SeatCommand, SeatsWorkload};

/// The summary's rejection key of a reason (it drops `(…)` and the final dot).
fn key(reason: &str) -> &str {
    reason.trim_end_matches('.')
}

#[test]
fn generated_swarm_holds_every_invariant_and_races() {
    let s = explore(&SeatsWorkload::default(), &ExploreOptions { seeds: 2_000, ..Default::default() });
    println!("{s}");
    assert_eq!(s.violations, 0, "{s}");
    assert_eq!(s.schedules, 2_000);
    assert!(s.conflicts > 0, "no conflict happened\n{s}");
    let retried: u64 = s.attempts_histogram.range(2..).map(|(_, n)| n).sum();
    assert!(retried > 0, "no command was retried\n{s}");
    assert!(s.outcomes.get("succeeded").is_some_and(|n| *n > 0), "{s}");
    assert!(s.rejections.get(key(SEAT_TAKEN)).is_some_and(|n| *n > 0), "no \"seat taken\" rejection\n{s}");
    assert!(s.rejections.get(key(SEAT_LIMIT)).is_some_and(|n| *n > 0), "no \"limit\" rejection\n{s}");
}

/// Outcomes of the scenario's commands (setup left out), in order.
fn client_outcomes(w: &SeatsWorkload, scenario: &Scenario<SeatCommand>, seed: u64) -> (Vec<Outcome>, usize, u32) {
    let result = run(w, scenario, seed);
    assert!(result.violations.is_empty(), "seed {seed}: {:?}", result.violations);
    let clients = &result.history.commands[scenario.setup.len()..];
    let max_attempts = clients.iter().map(|c| c.report.attempts.len() as u32).max().unwrap_or(0);
    (clients.iter().map(|c| c.outcome().clone()).collect(), result.history.log.len(), max_attempts)
}

#[test]
fn two_customers_one_seat_exactly_one_wins() {
    let (w, scenario) = (SeatsWorkload::default(), common::one_seat_two_customers());
    let mut raced = 0;
    for seed in 0..common::SCRIPT_SEEDS {
        let (outcomes, log, attempts) = client_outcomes(&w, &scenario, seed);
        let won = outcomes.iter().filter(|o| **o == Outcome::Succeeded).count();
        let taken = outcomes.iter().filter(|o| matches!(o, Outcome::Rejected { reason } if reason == SEAT_TAKEN)).count();
        assert_eq!((won, taken, log), (1, 1, 1), "seed {seed}: {outcomes:?}");
        raced += u32::from(attempts > 1);
    }
    assert!(raced > 0, "the loser never had to retry: the scenario does not race");
}

#[test]
fn last_seat_of_a_customer_goes_to_one_client() {
    let (w, scenario) = (SeatsWorkload::default(), common::last_seat_of_a_customer());
    let mut raced = 0;
    for seed in 0..common::SCRIPT_SEEDS {
        let (outcomes, log, attempts) = client_outcomes(&w, &scenario, seed);
        let won = outcomes.iter().filter(|o| **o == Outcome::Succeeded).count();
        let limited = outcomes.iter().filter(|o| matches!(o, Outcome::Rejected { reason } if reason.starts_with(SEAT_LIMIT))).count();
        assert_eq!((won, limited, log), (1, 1, 2), "seed {seed}: {outcomes:?}");
        raced += u32::from(attempts > 1);
    }
    assert!(raced > 0, "the loser never had to retry: the scenario does not race");
}

/// Ambiguous commits (applied, but the caller hears "unavailable"): with
/// request ids the handler recognises its own write on the retry; without
/// them the log-consistency checker sees a command write twice.
#[test]
fn request_ids_make_ambiguous_commits_idempotent() {
    let w = SeatsWorkload::default();
    let run_with = |request_ids: bool| {
        let (mut idempotent, mut failing) = (0, 0);
        let mut names = Vec::new();
        for seed in 0..500 {
            let mut scenario = w.generate(&mut substream(seed, SCENARIO_STREAM));
            scenario.faults = FaultPlan { ambiguous_probability: 0.2, ..FaultPlan::default() };
            scenario.policy.retry_transient = true;
            scenario.request_ids = request_ids;
            let result = run(&w, &scenario, seed);
            idempotent += result.history.commands.iter().filter(|c| *c.outcome() == Outcome::Idempotent).count();
            failing += u32::from(!result.violations.is_empty());
            names.extend(common::fired(&result));
        }
        names.sort();
        names.dedup();
        (idempotent, failing, names)
    };
    let (idempotent, failing, names) = run_with(true);
    assert_eq!(failing, 0, "with request ids: {names:?}");
    assert!(idempotent > 0, "no retry ever found its own write");
    let (idempotent, failing, names) = run_with(false);
    assert_eq!(idempotent, 0);
    assert!(failing > 0 && names.contains(&"log-consistency".to_string()), "without request ids nothing was caught: {names:?}");
}

#[test]
fn an_invalid_id_fails_without_retrying() {
    let bad = SeatCommand::hold("e1", "s\u{7}", "c1");
    let scenario = Scenario::new(vec![], vec![Scheduled::at_ms(0, 0, bad)]);
    let result = run(&SeatsWorkload::default(), &scenario, 1);
    assert!(result.violations.is_empty(), "{:?}", result.violations);
    let c = &result.history.commands[0];
    assert!(matches!(c.outcome(), Outcome::Failed { .. }), "{:?}", c.outcome());
    assert!(c.calls.is_empty() && result.history.log.is_empty());
}

/// Every order of two customers holding one seat, over the handler with its
/// own hard-coded retry loop (4 attempts, 20 / 40 / 80 ms): each checked run,
/// and how many of them retried after the handler's own 20 ms.
fn own_loop_orders(w: &SeatsWorkload) -> (dcb_sim::sim::ExhaustiveReport, u64) {
    own_loop_orders_of(w, &common::one_seat_two_customers())
}

fn own_loop_orders_of(w: &SeatsWorkload, scenario: &Scenario<SeatCommand>) -> (dcb_sim::sim::ExhaustiveReport, u64) {
    let mut retried_after_20ms = 0;
    let report = exhaustive_with(w, scenario, 0, ExhaustiveOptions { stop_at_first: false, ..Default::default() }, |r| {
        let waits = r.history.commands.iter().flat_map(|c| c.report.attempts.iter().skip(1));
        if waits.into_iter().any(|a| a.delay_before == Duration::from_millis(20)) {
            retried_after_20ms += 1;
        }
    })
    .expect("a scripted scenario without random faults");
    (report, retried_after_20ms)
}

#[test]
fn a_handler_with_its_own_retry_loop_is_judged_by_the_policy_its_workload_declares() {
    let declared = SeatsWorkload::with_handler(HandlerVariant::OwnPolicy);
    assert_eq!(declared.policy(), Some(own_policy()));
    let (report, retried) = own_loop_orders(&declared);
    assert!(report.complete, "{report:?}");
    assert!(retried > 0, "no order made the handler retry: the declared policy was never exercised");
    assert!(report.failures.is_empty(), "false positives under the declared policy: {:?}", report.failures);
    // and over generated scenarios, where commands retry more than once
    Check::new(&declared).seeds(1_000).jobs(1).run();
}

#[test]
fn an_undeclared_own_retry_loop_fails_with_the_line_to_write() {
    let undeclared = SeatsWorkload::with_handler(HandlerVariant::OwnPolicy).declare_policy(false);
    assert_eq!(undeclared.policy(), None);
    let (report, retried) = own_loop_orders(&undeclared);
    assert!(retried > 0, "no order made the handler retry");
    let failure = report.failures.first().expect("the C# policy (50 ms first wait) does not allow the handler's 20 ms");
    let delays: Vec<&Violation> = failure.violations.iter().filter(|v| v.invariant() == "delays").collect();
    assert!(!delays.is_empty(), "{:?}", failure.violations);
    let text = delays[0].to_string();
    assert!(text.contains("waited 20ms, the policy allows 49.999999ms..=50.000001ms"), "{text}");
    assert!(
        text.contains("declare the policy it follows in your Workload: `fn policy(&self) -> Option<RetryPolicy> { RetryPolicy::builder().max_attempts(2).base_delay(Duration::from_millis(20))"),
        "{text}"
    );
}

#[test]
fn a_scenario_that_sets_its_own_policy_keeps_it_over_the_declared_one() {
    let declared = SeatsWorkload::with_handler(HandlerVariant::OwnPolicy);
    let scenario = Scenario { policy: RetryPolicy::go_default(), ..common::one_seat_two_customers() };
    let (report, retried) = own_loop_orders_of(&declared, &scenario);
    assert!(retried > 0, "no order made the handler retry");
    let failure = report.failures.first().expect("judged by the scenario's Go policy, the handler's 20 ms wait is too long");
    assert!(failure.violations.iter().any(|v| v.invariant() == "delays" && v.to_string().contains("5 attempts, base 10ms")), "{:?}", failure.violations);
}
