//! The C# document's concurrent enrollment scenarios, forced by an
//! explicit order of store steps ([`Scheduler::Script`]): store calls take
//! no latency, and the schedule string says which client's read or append
//! takes effect next (`w`: let virtual time run first). Both clients of a
//! race read before either appends, A's append lands first and B's
//! conflicts; B then waits exactly the C# policy's 50 ms and decides again
//! on fresh state. Each test asserts that its schedule fit exactly (every
//! scripted step was the one taken).

use std::time::Duration;

use dcb_sim::domain::enrollment::{EnrollmentCommand, Tier};
use dcb_sim::handler::{AppendRecord, DecisionRecord, Outcome};
use dcb_sim::retry::ErrorKind;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{CommandRecord, Latency, RunResult, Scenario, Schedule, Scheduled, Scheduler, run};

const MS: Duration = Duration::from_millis(1);

use crate::support::enrollment::{course, enroll, student};

/// Runs `commands` (all starting at 0) after `setup` under `schedule`,
/// with no store latency; asserts no invariant broke and the schedule was
/// followed exactly.
fn scripted(setup: Vec<EnrollmentCommand>, commands: Vec<Scheduled<EnrollmentCommand>>, schedule: &str, seed: u64) -> RunResult<EnrollmentCommand> {
    let schedule: Schedule = schedule.parse().expect("a valid schedule");
    let mut scenario = Scenario::new(setup, commands);
    scenario.latency = Latency::zero();
    scenario.scheduler = Scheduler::Script { schedule: schedule.clone() };
    let result = run(&EnrollmentWorkload::default(), &scenario, seed);
    assert!(result.violations.is_empty(), "seed {seed}: {:?}", result.violations);
    let taken = &result.history.schedule.as_ref().expect("a scripted run records its schedule").schedule;
    assert_eq!(taken, &schedule, "seed {seed}: the run did not follow the script\n{}", dcb_sim::view::timeline(&result.history));
    result
}

/// A (client 0) reads, B (client 1) reads, A appends, B appends and
/// conflicts, B waits 50 ms, then reads and appends again.
const RACE_THEN_APPEND: &str = "0.1.0.1.1.1";
/// As [`RACE_THEN_APPEND`], but B's second read leads to a rejection: no append.
const RACE_THEN_REJECT: &str = "0.1.0.1.1";

fn race(setup: Vec<EnrollmentCommand>, a: EnrollmentCommand, b: EnrollmentCommand, schedule: &str, seed: u64) -> RunResult<EnrollmentCommand> {
    let commands = vec![Scheduled { client: 0, start: Duration::ZERO, command: a }, Scheduled { client: 1, start: Duration::ZERO, command: b }];
    scripted(setup, commands, schedule, seed)
}

fn racer(r: &RunResult<EnrollmentCommand>, client: u32) -> &CommandRecord<EnrollmentCommand> {
    r.history.commands.iter().find(|c| c.client == Some(client)).expect("both clients ran")
}

/// A wins on its first attempt; B conflicts on its first attempt, waits
/// exactly 50 ms, and its second attempt decides `b_outcome`.
fn assert_a_wins_b_retries_into(r: &RunResult<EnrollmentCommand>, b_outcome: Outcome) {
    let (a, b) = (racer(r, 0), racer(r, 1));
    assert_eq!(a.report.outcome, Outcome::Succeeded);
    assert_eq!(a.report.attempts.len(), 1);
    // Both read before either appended: B decided to enroll on the state
    // of setup, and its append conflicted on exactly A's event.
    let AppendRecord::Written { first: a_pos, .. } = a.report.attempts[0].append else { panic!("A wrote nothing") };
    assert_eq!(b.report.attempts[0].decision, Some(DecisionRecord::Append { events: 1 }));
    assert_eq!(b.report.attempts[0].append, AppendRecord::Conflict { conflicting: Some(a_pos) });
    assert_eq!(b.report.attempts[0].error, Some(ErrorKind::Conflict));
    assert_eq!(b.report.attempts.len(), 2);
    assert_eq!(b.report.attempts[1].delay_before, 50 * MS);
    assert_eq!(b.report.total_delay, 50 * MS);
    // Virtual time: the retry cannot start before the 50 ms have passed.
    assert!(b.report.attempts[1].started_at >= b.report.attempts[0].ended_at + 50 * MS);
    assert_eq!(b.report.outcome, b_outcome);
}

#[test]
fn enrollment_two_different_students_race_for_a_roomy_course_both_succeed() {
    for seed in 0..20 {
        let r = race(vec![course("c1", 10), student("s1"), student("s2")], enroll("c1", "s1"), enroll("c1", "s2"), RACE_THEN_APPEND, seed);
        assert_a_wins_b_retries_into(&r, Outcome::Succeeded);
        assert_eq!(r.history.log.iter().filter(|e| e.event.event_type == "StudentEnrolledToCourse").count(), 2);
    }
}

#[test]
fn enrollment_same_student_twice_at_once_gets_already_enrolled() {
    for seed in 0..20 {
        let r = race(vec![course("c1", 10), student("s1")], enroll("c1", "s1"), enroll("c1", "s1"), RACE_THEN_REJECT, seed);
        assert_a_wins_b_retries_into(&r, Outcome::Rejected { reason: "Student is already enrolled in this course.".into() });
        assert_eq!(r.history.log.iter().filter(|e| e.event.event_type == "StudentEnrolledToCourse").count(), 1);
    }
}

#[test]
fn enrollment_last_seat_of_thirty_two_students_race_one_gets_at_maximum_capacity() {
    let mut setup = vec![course("c1", 30)];
    for i in 0..31 {
        setup.push(EnrollmentCommand::RegisterStudent { student: format!("s{i}"), tier: Tier::Basic });
    }
    for i in 0..29 {
        setup.push(enroll("c1", &format!("s{i}")));
    }
    for seed in 0..20 {
        let r = race(setup.clone(), enroll("c1", "s29"), enroll("c1", "s30"), RACE_THEN_REJECT, seed);
        assert!(r.history.commands[..setup.len()].iter().all(|c| c.report.outcome == Outcome::Succeeded));
        assert_a_wins_b_retries_into(&r, Outcome::Rejected { reason: "Course is at maximum capacity (30 students).".into() });
        assert_eq!(r.history.log.iter().filter(|e| e.event.event_type == "StudentEnrolledToCourse").count(), 30);
    }
}

#[test]
fn enrollment_three_conflicts_in_a_row_fail_after_three_attempts_with_waits_0_50_100() {
    // B (client 9) retries into a stream of other enrollments: before each
    // of B's appends, another client (0, 1, 2) reads and appends for the
    // same course; while B waits, the others wait too (`w`).
    let setup: Vec<_> = [course("c1", 10)].into_iter().chain((0..4).map(|i| student(&format!("s{i}")))).collect();
    let mut commands = vec![Scheduled { client: 9, start: Duration::ZERO, command: enroll("c1", "s0") }];
    for i in 0..3u32 {
        commands.push(Scheduled { client: i, start: Duration::ZERO, command: enroll("c1", &format!("s{}", i + 1)) });
    }
    for seed in 0..20 {
        let r = scripted(setup.clone(), commands.clone(), "9.0*2.9.w.9.1*2.9.w.9.2*2.9", seed);
        let b = racer(&r, 9);
        let delays: Vec<_> = b.report.attempts.iter().map(|a| a.delay_before).collect();
        assert_eq!(delays, [Duration::ZERO, 50 * MS, 100 * MS], "{}", dcb_sim::view::timeline(&r.history));
        assert!(b.report.attempts.iter().all(|a| a.error == Some(ErrorKind::Conflict)));
        assert_eq!(b.report.outcome, Outcome::Exhausted { attempts: 3 });
        assert_eq!(b.report.outcome.to_string(), "failed after 3 attempts due to concurrent updates");
        for i in 0..3 {
            assert_eq!(racer(&r, i).report.outcome, Outcome::Succeeded);
        }
    }
}
