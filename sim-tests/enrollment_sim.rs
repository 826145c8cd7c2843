//! Enrollment under simulation: thousands of schedules of the default
//! workload (seed-driven, `DCB_SEED` / `DCB_SEEDS`), a proptest that draws
//! scenario + seed, and checks that the explorer reaches the interesting
//! states at all (conflicts, retries, exhaustion, each rejection) and that
//! seeds really give different interleavings.

use std::collections::BTreeSet;
use std::time::Duration;

use dcb_sim::domain::enrollment::{EnrollmentCommand, Tier};
use dcb_sim::retry::RetryPolicy;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::explore::{FailureReport, assert_no_violations};
use dcb_sim::sim::{Latency, Scenario, Scheduled, SimConfig, Workload, run};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// The `cargo test` target and filter a failure report's replay line names
/// (`DCB_SEED=… cargo test --release --test sim -- enrollment_sim::`).
const TEST: &str = "sim -- enrollment_sim::";

/// 3,000 generated schedules with every checker on; also proves the
/// explorer reaches conflicts, retries, exhaustion and every rejection.
#[test]
fn explore_enrollment_seeds_hold_every_invariant() {
    let s = assert_no_violations(&EnrollmentWorkload::default(), TEST, 0, 3_000);
    println!("{s}");
    assert!(s.schedules > 0);
    if SimConfig::from_env().is_replay() {
        return; // a single replayed seed need not reach everything
    }
    assert!(s.conflicts > 0, "no conflicts: the workload is not contended\n{s}");
    assert!(s.attempts_histogram.get(&3).copied().unwrap_or(0) > 0, "no command needed 3 attempts\n{s}");
    assert!(s.outcomes.get("exhausted").copied().unwrap_or(0) > 0, "no command exhausted its retries\n{s}");
    for reason in [
        "Course is at maximum capacity",
        "Student is already enrolled in this course",
        "Student has reached their enrollment limit",
        "Student is not registered",
        "Course does not exist",
    ] {
        assert!(s.rejections.get(reason).copied().unwrap_or(0) > 0, "never rejected with {reason:?}\n{s}");
    }
}

/// The same scenario under different seeds gives different histories.
#[test]
fn different_seeds_give_different_interleavings() {
    let w = EnrollmentWorkload::with_clients(6);
    let scenario = w.generate(&mut dcb_sim::rng::seeded(11));
    let hashes: BTreeSet<u64> = (0..200).map(|seed| run(&w, &scenario, seed).history.hash64()).collect();
    assert!(hashes.len() >= 180, "only {} distinct histories in 200 seeds", hashes.len());
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// Scenarios drawn by proptest (so failures shrink): 1–3 courses, 2–5
/// students, 1–24 commands from up to 8 clients over 10 ms, a preset policy.
fn scenario() -> impl Strategy<Value = Scenario<EnrollmentCommand>> {
    let courses = prop::collection::vec(1u32..=4, 1..=3);
    let students = prop::collection::vec(prop::sample::select(Tier::ALL.to_vec()), 2..=5);
    let command = (0u32..8, 0u64..10_000, 0u8..20, 0usize..3, 0usize..5, 1u32..=4);
    let commands = prop::collection::vec(command, 1..=24);
    let policy = prop::sample::select(RetryPolicy::PRESETS.to_vec());
    let latency = 1_000u64..4_000;
    (courses, students, commands, policy, latency).prop_map(|(courses, students, commands, policy, latency_max)| {
        let course_ids = ids("c", courses.len());
        let student_ids = ids("s", students.len());
        let mut setup: Vec<_> = course_ids.iter().zip(&courses).map(|(c, cap)| EnrollmentCommand::CreateCourse { course: c.clone(), capacity: *cap }).collect();
        setup.extend(student_ids.iter().zip(&students).map(|(s, tier)| EnrollmentCommand::RegisterStudent { student: s.clone(), tier: *tier }));
        let commands = commands
            .into_iter()
            .map(|(client, start_us, kind, c, s, n)| {
                let course = course_ids[c % course_ids.len()].clone();
                let student = student_ids[s % student_ids.len()].clone();
                let command = match kind {
                    0 => EnrollmentCommand::ChangeCapacity { course, capacity: n },
                    1 => EnrollmentCommand::ChangeTier { student, tier: Tier::ALL[n as usize % 4] },
                    _ => EnrollmentCommand::Enroll { course, student },
                };
                Scheduled { client, start: Duration::from_micros(start_us), command }
            })
            .collect();
        let max = Duration::from_micros(latency_max);
        let latency = Latency { read_min: Duration::from_millis(1), read_max: max, append_min: Duration::from_millis(1), append_max: max };
        Scenario { policy: RetryPolicy::preset(policy).expect("preset"), latency, ..Scenario::new(setup, commands) }
    })
}

fn cases() -> u32 {
    SimConfig::from_env().seeds.map_or(5_000, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/enrollment_sim.txt"))),
        ..ProptestConfig::default()
    })]

    /// 5,000 proptest-drawn scenario + seed pairs (`DCB_SEEDS` widens it).
    #[test]
    fn prop_drawn_enrollment_scenarios_hold_every_invariant(scenario in scenario(), seed in any::<u64>()) {
        let w = EnrollmentWorkload::default();
        let result = run(&w, &scenario, seed);
        if !result.violations.is_empty() {
            let mut report = FailureReport::new(w.name(), seed, &scenario, result.violations.clone());
            let _ = report.save_scenario(std::path::Path::new("target/dcb-failures"));
            prop_assert!(false, "{report}");
        }
    }
}

/// Liveness: with distinct students, enough capacity and (practically)
/// unlimited attempts, every enrollment eventually succeeds.
#[test]
fn with_room_for_everyone_and_unlimited_attempts_every_enrollment_succeeds() {
    let w = EnrollmentWorkload::default();
    let students = 12;
    let mut setup = vec![EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: students }];
    setup.extend((0..students).map(|i| EnrollmentCommand::RegisterStudent { student: format!("s{i}"), tier: Tier::Basic }));
    let commands = (0..students)
        .map(|i| Scheduled { client: i, start: Duration::from_micros(u64::from(i) * 100), command: EnrollmentCommand::Enroll { course: "c1".into(), student: format!("s{i}") } })
        .collect();
    let mut scenario = Scenario::new(setup, commands);
    scenario.policy = RetryPolicy::builder()
        .max_attempts(1_000)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(20))
        .jitter(dcb_sim::retry::Jitter::Full)
        .build()
        .unwrap();
    let mut retried = 0;
    for seed in 0..100 {
        let r = run(&w, &scenario, seed);
        assert!(r.violations.is_empty(), "seed {seed}: {:?}", r.violations);
        for c in r.history.commands.iter().filter(|c| c.client.is_some()) {
            assert_eq!(*c.outcome(), dcb_sim::handler::Outcome::Succeeded, "seed {seed}: {} ended {}", c.command, c.outcome());
            retried += usize::from(c.report.attempts.len() > 1);
        }
    }
    assert!(retried > 0, "no enrollment ever retried: the scenario is not contended");
}
