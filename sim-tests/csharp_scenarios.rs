//! The C# document's three concurrent enrollment scenarios, forced by a
//! scripted interleaving: fixed 1 ms store latency, client A at t = 0 and
//! client B 1 ms later (the clock's smallest sleep), so both read (at 1 and
//! 2 ms) before either appends (at 3 and 4 ms), A's append lands first and B's conflicts. B then waits exactly
//! 50 ms (the C# policy) and decides again on fresh state.

#[cfg(not(madsim))]
compile_error!("sim-tests need --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

use std::time::Duration;

use dcb_sim::domain::enrollment::{EnrollmentCommand, Tier};
use dcb_sim::handler::{AppendRecord, DecisionRecord, Outcome};
use dcb_sim::retry::ErrorKind;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{CommandRecord, Latency, RunResult, Scenario, Scheduled, run};

const MS: Duration = Duration::from_millis(1);

fn course(id: &str, capacity: u32) -> EnrollmentCommand {
    EnrollmentCommand::CreateCourse { course: id.into(), capacity }
}
fn student(id: &str) -> EnrollmentCommand {
    EnrollmentCommand::RegisterStudent { student: id.into(), tier: Tier::Basic }
}
fn enroll(c: &str, s: &str) -> EnrollmentCommand {
    EnrollmentCommand::Enroll { course: c.into(), student: s.into() }
}

/// Two enrollments racing: A at t=0, B at t=1 ms, fixed 1 ms latency on
/// each side of every store call.
fn race(setup: Vec<EnrollmentCommand>, a: EnrollmentCommand, b: EnrollmentCommand, seed: u64) -> RunResult<EnrollmentCommand> {
    let commands = vec![
        Scheduled { client: 0, start: Duration::ZERO, command: a },
        Scheduled { client: 1, start: MS, command: b },
    ];
    let mut scenario = Scenario::new(setup, commands);
    scenario.latency = Latency { read_min: MS, read_max: MS, append_min: MS, append_max: MS };
    let result = run(&EnrollmentWorkload::default(), &scenario, seed);
    assert!(result.violations.is_empty(), "seed {seed}: {:?}", result.violations);
    result
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
    assert_eq!(b.report.attempts[0].append, AppendRecord::Conflict { conflicting: a_pos });
    assert_eq!(b.report.attempts[0].error, Some(ErrorKind::Conflict));
    assert_eq!(b.report.attempts.len(), 2);
    assert_eq!(b.report.attempts[1].delay_before, Duration::from_millis(50));
    assert_eq!(b.report.total_delay, Duration::from_millis(50));
    // Virtual time: setup ends at T; A starts at T, reads at T+1, appends at
    // T+3 and returns at T+4 ms. B starts at T+1, reads at T+2, appends at
    // T+4 and returns at T+5 ms; its retry starts exactly 50 ms later. madsim advances
    // its clock 50–100 ns per task poll, so each instant may be a few
    // hundred ns late, never early.
    let ticks = |d: Duration, expected: Duration| d >= expected && d < expected + Duration::from_micros(5);
    let t = r.history.commands.iter().filter(|c| c.client.is_none()).map(|c| c.ended_at).max().expect("setup ran");
    assert!(ticks(a.started_at - t, Duration::ZERO), "A started at {:?}", a.started_at - t);
    assert!(ticks(a.ended_at - t, 4 * MS), "A ended at {:?}", a.ended_at - t);
    assert!(ticks(b.started_at - t, MS), "B started at {:?}", b.started_at - t);
    let b1_end = b.report.attempts[0].ended_at - t;
    assert!(ticks(b1_end, 5 * MS), "B's first attempt ended at {b1_end:?}");
    let b2_start = b.report.attempts[1].started_at - t;
    assert!(ticks(b2_start, b1_end + 50 * MS), "retry started at {b2_start:?}, first attempt ended at {b1_end:?}");
    assert_eq!(b.report.outcome, b_outcome);
}

#[test]
fn enrollment_two_different_students_race_for_a_roomy_course_both_succeed() {
    for seed in 0..20 {
        let r = race(vec![course("c1", 10), student("s1"), student("s2")], enroll("c1", "s1"), enroll("c1", "s2"), seed);
        assert_a_wins_b_retries_into(&r, Outcome::Succeeded);
        assert_eq!(r.history.log.iter().filter(|e| e.event.event_type == "StudentEnrolledToCourse").count(), 2);
    }
}

#[test]
fn enrollment_same_student_twice_at_once_gets_already_enrolled() {
    for seed in 0..20 {
        let r = race(vec![course("c1", 10), student("s1")], enroll("c1", "s1"), enroll("c1", "s1"), seed);
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
        let r = race(setup.clone(), enroll("c1", "s29"), enroll("c1", "s30"), seed);
        assert!(r.history.commands[..setup.len()].iter().all(|c| c.report.outcome == Outcome::Succeeded));
        assert_a_wins_b_retries_into(&r, Outcome::Rejected { reason: "Course is at maximum capacity (30 students).".into() });
        assert_eq!(r.history.log.iter().filter(|e| e.event.event_type == "StudentEnrolledToCourse").count(), 30);
    }
}

#[test]
fn enrollment_three_conflicts_in_a_row_fail_after_three_attempts_with_waits_0_50_100() {
    // B retries into a stream of other enrollments: each of B's attempts
    // reads, then another client appends for the same course before B does.
    let setup: Vec<_> = [course("c1", 10)].into_iter().chain((0..4).map(|i| student(&format!("s{i}")))).collect();
    let mut commands = vec![Scheduled { client: 9, start: Duration::from_micros(1), command: enroll("c1", "s0") }];
    // B's attempts read at ≈1 ms, ≈55 ms and ≈159 ms; an interferer reads
    // just before each and appends just before B.
    for (i, start_us) in [0u64, 54_000, 158_000].into_iter().enumerate() {
        commands.push(Scheduled { client: i as u32, start: Duration::from_micros(start_us), command: enroll("c1", &format!("s{}", i + 1)) });
    }
    let mut scenario = Scenario::new(setup, commands);
    scenario.latency = Latency { read_min: MS, read_max: MS, append_min: MS, append_max: MS };
    let r = run(&EnrollmentWorkload::default(), &scenario, 7);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    let b = racer(&r, 9);
    let delays: Vec<_> = b.report.attempts.iter().map(|a| a.delay_before).collect();
    assert_eq!(delays, [Duration::ZERO, 50 * MS, 100 * MS], "{}", dcb_sim::sim::timeline(&r.history));
    assert_eq!(b.report.outcome, Outcome::Exhausted { attempts: 3 });
    assert_eq!(b.report.outcome.to_string(), "failed after 3 attempts due to concurrent updates");
}
