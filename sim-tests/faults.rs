//! The fault model: injected storage faults, what the checkers allow after
//! each, and the metrics observer.

use std::time::Duration;

use dcb_sim::domain::enrollment::{EnrollmentCommand, Tier};
use dcb_sim::handler::{Decider, DeciderHandler, Decision, Outcome};
use dcb_sim::retry::ErrorKind;
use dcb_sim::retry::metrics::{MAX_RETRIES_REACHED_TOTAL, RETRIES_TOTAL, RETRY_DELAY_SECONDS};
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{CallKind, CallTarget, FaultKind, FaultPlan, History, Latency, RunResult, Scenario, Scheduled, ScriptedFault, ScriptedKind, Violation, Workload, run};
use dcb_sim::explore::assert_no_violations;
use dcb_sim::store::{Event, MemoryStore, Query, QueryItem, SequencedEvent, StoreError};
use rand_chacha::ChaCha8Rng;

const MS: Duration = Duration::from_millis(1);

fn one_enrollment(faults: FaultPlan) -> Scenario<EnrollmentCommand> {
    let setup = vec![
        EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: 5 },
        EnrollmentCommand::RegisterStudent { student: "s1".into(), tier: Tier::Basic },
    ];
    let commands = vec![Scheduled { client: 0, start: Duration::ZERO, command: EnrollmentCommand::Enroll { course: "c1".into(), student: "s1".into() } }];
    let mut s = Scenario::new(setup, commands);
    s.latency = Latency { read_min: MS, read_max: MS, append_min: MS, append_max: MS };
    s.faults = faults;
    s.policy.retry_transient = true;
    s
}

fn enrolled(r: &RunResult<EnrollmentCommand>) -> usize {
    r.history.log.iter().filter(|e| e.event.event_type == "StudentEnrolledToCourse").count()
}

fn last(r: &RunResult<EnrollmentCommand>) -> &Outcome {
    r.history.commands.last().unwrap().outcome()
}

/// The enroll command's index (after the two setup commands).
const ENROLL: usize = 2;

/// One enrollment (seed 0, no random faults) with `fault` aimed at the
/// call `at`; asserts the journal holds exactly that fault, on that call
/// of that attempt (numbered as the history's attempt records are).
fn scripted(at: CallTarget, fault: ScriptedKind, kind: FaultKind, request_ids: bool) -> RunResult<EnrollmentCommand> {
    let mut scenario = one_enrollment(FaultPlan::default());
    scenario.request_ids = request_ids;
    scenario.scripted_faults = vec![ScriptedFault { at, fault }];
    let r = run(&EnrollmentWorkload::default(), &scenario, 0);
    assert_eq!(r.history.faults.len(), 1, "{:?}", r.history.faults);
    let f = &r.history.faults[0];
    assert_eq!((f.kind, f.command), (kind, at.command));
    let calls = &r.history.commands[at.command].calls;
    assert_eq!(dcb_sim::sim::derive::attempt_numbers(calls)[f.call], at.attempt, "the fault hit another attempt");
    assert_eq!(calls[f.call].fault, Some(f.id));
    assert_eq!(calls[f.call].is_append(), at.kind == CallKind::Append);
    r
}

fn append_of(attempt: u32) -> CallTarget {
    CallTarget::new(ENROLL, attempt, CallKind::Append)
}

fn attempts(r: &RunResult<EnrollmentCommand>) -> usize {
    r.history.commands[ENROLL].report.attempts.len()
}

#[test]
fn ambiguous_commit_then_retry_sees_its_own_event_and_reports_it_done() {
    let r = scripted(append_of(1), ScriptedKind::Ambiguous, FaultKind::Ambiguous, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(enrolled(&r), 1, "the effect happened exactly once");
    let ghosts = r.history.ghost_writes();
    assert_eq!(ghosts.len(), 1);
    let ghost = ghosts[0].expect("attributed to an attempt");
    assert_eq!((ghost.command, ghost.attempt), (ENROLL, 1));
    assert_eq!(attempts(&r), 2);
    assert_eq!(r.history.commands[ENROLL].report.attempts[1].delay_before, 50 * MS);
    assert_eq!(*last(&r), Outcome::Idempotent);
}

#[test]
fn without_request_ids_an_ambiguous_commit_turns_into_already_enrolled_and_is_reported() {
    let r = scripted(append_of(1), ScriptedKind::Ambiguous, FaultKind::Ambiguous, false);
    assert_eq!(enrolled(&r), 1);
    assert_eq!(*last(&r), Outcome::Rejected { reason: "Student is already enrolled in this course.".into() });
    let names: Vec<&str> = r.violations.iter().map(Violation::invariant).collect();
    assert_eq!(names, ["log-consistency"], "{:?}", r.violations);
    assert!(r.violations[0].to_string().contains("did not recognise its own write"), "{}", r.violations[0]);
}

#[test]
fn an_ambiguous_commit_on_the_second_append_is_addressed_by_attempt() {
    // Attempt 1's append is refused (retryable), attempt 2's append commits
    // behind a lost connection, attempt 3 finds its own write.
    let mut scenario = one_enrollment(FaultPlan::default());
    scenario.scripted_faults = vec![
        ScriptedFault { at: append_of(1), fault: ScriptedKind::Unavailable { retryable: true } },
        ScriptedFault { at: append_of(2), fault: ScriptedKind::Ambiguous },
    ];
    let r = run(&EnrollmentWorkload::default(), &scenario, 0);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    let kinds: Vec<FaultKind> = r.history.faults.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FaultKind::Unavailable, FaultKind::Ambiguous]);
    let numbers = dcb_sim::sim::derive::attempt_numbers(&r.history.commands[ENROLL].calls);
    assert_eq!(r.history.faults.iter().map(|f| numbers[f.call]).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(attempts(&r), 3);
    assert_eq!(enrolled(&r), 1);
    assert_eq!(*last(&r), Outcome::Idempotent);
}

#[test]
fn timeout_after_the_write_is_not_retried_and_leaves_a_whole_append() {
    let r = scripted(append_of(1), ScriptedKind::Timeout { applied: true, after: 5 * MS }, FaultKind::TimeoutAfter, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(matches!(last(&r), Outcome::Failed { error: ErrorKind::DeadlineExceeded, .. }), "{:?}", last(&r));
    assert_eq!(attempts(&r), 1);
    assert_eq!(enrolled(&r), 1);
    assert!(r.history.faults[0].applied.is_some());
}

#[test]
fn timeout_before_the_write_leaves_nothing() {
    let r = scripted(append_of(1), ScriptedKind::Timeout { applied: false, after: 5 * MS }, FaultKind::TimeoutBefore, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(matches!(last(&r), Outcome::Failed { error: ErrorKind::DeadlineExceeded, .. }), "{:?}", last(&r));
    assert_eq!(attempts(&r), 1);
    assert_eq!(enrolled(&r), 0);
    assert_eq!(r.history.faults[0].applied, None);
}

#[test]
fn a_read_timeout_fails_the_command_before_any_write() {
    let r = scripted(CallTarget::new(ENROLL, 1, CallKind::Read), ScriptedKind::Timeout { applied: false, after: 5 * MS }, FaultKind::TimeoutBefore, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(matches!(last(&r), Outcome::Failed { error: ErrorKind::DeadlineExceeded, .. }), "{:?}", last(&r));
    assert_eq!(enrolled(&r), 0);
}

#[test]
fn a_client_crash_between_read_and_append_writes_nothing_and_is_not_retried() {
    let r = scripted(append_of(1), ScriptedKind::Crash, FaultKind::Crash, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(matches!(last(&r), Outcome::Failed { error: ErrorKind::Canceled, .. }), "{:?}", last(&r));
    assert_eq!(attempts(&r), 1);
    assert_eq!(enrolled(&r), 0);
}

#[test]
fn unavailable_is_retried_only_when_retryable() {
    let read = CallTarget::new(ENROLL, 1, CallKind::Read);
    let r = scripted(read, ScriptedKind::Unavailable { retryable: true }, FaultKind::Unavailable, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(attempts(&r), 2, "a retryable error is retried once, then the enrollment goes through");
    assert_eq!(*last(&r), Outcome::Succeeded);
    assert_eq!(enrolled(&r), 1);
    let r = scripted(read, ScriptedKind::Unavailable { retryable: false }, FaultKind::Unavailable, true);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(attempts(&r), 1);
    assert!(matches!(last(&r), Outcome::Failed { error: ErrorKind::Other, .. }), "{:?}", last(&r));
    assert_eq!(enrolled(&r), 0);
}

#[test]
fn a_scripted_fault_that_only_an_append_can_have_is_refused_on_a_read() {
    let mut scenario = one_enrollment(FaultPlan::default());
    scenario.scripted_faults = vec![ScriptedFault { at: CallTarget::new(ENROLL, 1, CallKind::Read), fault: ScriptedKind::Ambiguous }];
    let r = run(&EnrollmentWorkload::default(), &scenario, 0);
    assert_eq!(r.violations.len(), 1);
    assert_eq!(r.violations[0].invariant(), "harness");
    assert!(r.violations[0].to_string().contains("only happens to an append"), "{}", r.violations[0]);
}

#[test]
fn explore_enrollment_with_faults_holds_every_invariant() {
    let s = assert_no_violations(&EnrollmentWorkload::default().with_faults(), "sim -- faults::", 0, 2_000);
    println!("{s}");
    if dcb_sim::sim::SimConfig::from_env().is_replay() {
        return;
    }
    for kind in ["Spike", "Unavailable", "TimeoutBefore", "TimeoutAfter", "Ambiguous", "Crash"] {
        assert!(s.faults.get(kind).copied().unwrap_or(0) > 0, "no {kind} fault injected\n{s}");
    }
}

// --- The checkers know what faults allow, and no more -------------------

/// A deposit handler with no idempotency: every attempt appends. Under
/// ambiguous commits its retry duplicates the effect, which the checkers
/// must report.
#[derive(Clone)]
struct Deposits;

impl Decider for Deposits {
    type Command = String;
    fn command_type(&self, _: &String) -> &'static str {
        "Deposit"
    }
    fn query(&self, account: &String) -> Query {
        Query::from_item(QueryItem::new().types(["Deposited"]).tags([format!("account:{account}")])).unwrap()
    }
    fn decide(&self, account: &String, _: &[SequencedEvent]) -> Decision {
        Decision::Append(vec![Event::new("Deposited", [format!("account:{account}")], "10").unwrap()])
    }
}

struct DepositWorkload;

impl Workload for DepositWorkload {
    type Command = String;
    type Store = MemoryStore;
    type Handler = DeciderHandler<Deposits>;
    fn name(&self) -> &'static str {
        "deposits"
    }
    fn store(&self, _: &Scenario<String>) -> Result<MemoryStore, StoreError> {
        Ok(MemoryStore::new())
    }
    fn handler(&self, _: &Scenario<String>) -> DeciderHandler<Deposits> {
        DeciderHandler::new(Deposits)
    }
    fn generate(&self, _: &mut ChaCha8Rng) -> Scenario<String> {
        let mut s = Scenario::new(vec![], vec![Scheduled { client: 0, start: Duration::ZERO, command: "a1".to_string() }]);
        s.faults = FaultPlan { ambiguous_probability: 1.0, ..FaultPlan::default() };
        s.policy.retry_transient = true;
        s.request_ids = false; // with request ids the shell would catch the repeat
        s
    }
    fn check(&self, scenario: &Scenario<String>, history: &History<String>, out: &mut Vec<Violation>) {
        dcb_sim::check::decider(&Deposits, scenario, history, out);
    }
}

#[test]
fn a_handler_that_duplicates_its_effect_after_an_ambiguous_commit_is_caught() {
    let w = DepositWorkload;
    let scenario = w.generate(&mut dcb_sim::rng::seeded(0));
    let r = run(&w, &scenario, 1);
    let names: Vec<&str> = r.violations.iter().map(Violation::invariant).collect();
    assert!(names.contains(&"log-consistency"), "{:?}", r.violations);
    assert!(r.violations.iter().any(|v| v.to_string().contains("at most once")), "{:?}", r.violations);

    // The same handler with request ids: the shell recognises the repeat.
    let mut scenario = scenario;
    scenario.request_ids = true;
    let r = run(&w, &scenario, 1);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(r.history.log.len(), 1);
}

// --- Metrics ------------------------------------------------------------

#[test]
fn metrics_record_each_retry_delay_and_exhaustion_with_the_go_names() {
    // The C# race: B conflicts once, waits 50 ms, succeeds.
    let setup = vec![
        EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: 10 },
        EnrollmentCommand::RegisterStudent { student: "s1".into(), tier: Tier::Basic },
        EnrollmentCommand::RegisterStudent { student: "s2".into(), tier: Tier::Basic },
    ];
    let commands = vec![
        Scheduled { client: 0, start: Duration::ZERO, command: EnrollmentCommand::Enroll { course: "c1".into(), student: "s1".into() } },
        Scheduled { client: 1, start: MS, command: EnrollmentCommand::Enroll { course: "c1".into(), student: "s2".into() } },
    ];
    let mut s = Scenario::new(setup, commands);
    s.latency = Latency { read_min: MS, read_max: MS, append_min: MS, append_max: MS };
    let r = run(&EnrollmentWorkload::default(), &s, 3);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    let m = &r.history.metrics;
    let key = format!("{RETRIES_TOTAL}{{attempt=\"1\",command=\"EnrollStudentToCourse\",error_type=\"concurrency_conflict\"}}");
    assert_eq!(m.counters.get(&key), Some(&1), "{m:?}");
    assert_eq!(m.counter_total(RETRIES_TOTAL), 1);
    assert_eq!(m.histogram_samples(RETRY_DELAY_SECONDS), vec![0.05]);
    assert_eq!(m.counter_total(MAX_RETRIES_REACHED_TOTAL), 0);
}

#[test]
fn metrics_checker_catches_a_history_that_disagrees_with_the_metrics() {
    let w = EnrollmentWorkload::default();
    let scenario = w.generate(&mut dcb_sim::rng::substream(4, dcb_sim::explore::SCENARIO_STREAM));
    let mut found = false;
    for seed in 0..50 {
        let mut r = run(&w, &scenario, seed);
        if r.history.metrics.counter_total(RETRIES_TOTAL) == 0 {
            continue;
        }
        found = true;
        // Drop one retry from the recorded metrics: the checker must notice.
        let key = r.history.metrics.counters.keys().find(|k| k.starts_with(RETRIES_TOTAL)).unwrap().clone();
        *r.history.metrics.counters.get_mut(&key).unwrap() -= 1;
        let mut out = Vec::new();
        dcb_sim::check::metrics::check(&dcb_sim::domain::enrollment::EnrollmentDecider, &r.history, &mut out);
        assert!(!out.is_empty(), "tampered metrics passed the checker");
        break;
    }
    assert!(found, "no retries in 50 seeds");
}
