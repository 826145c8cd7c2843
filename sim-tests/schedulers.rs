//! The schedulers at the store boundary: PCT and scripted schedules are
//! deterministic and replay from their schedule string; the exhaustive
//! explorer proves a correct handler for a 3-client scope and catches a
//! planted bug, with and without its partial-order reduction.

#[cfg(not(madsim))]
compile_error!("sim-tests need --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

use std::time::Duration;

use dcb_sim::domain::enrollment::{EnrollmentCommand, Tier};
use dcb_sim::plant::Plant;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::{Choice, ExhaustiveOptions, Scenario, Schedule, Scheduled, Scheduler, Workload, exhaustive, run, scenario_for, ExploreOptions};

fn course(id: &str, capacity: u32) -> EnrollmentCommand {
    EnrollmentCommand::CreateCourse { course: id.into(), capacity }
}
fn student(id: &str) -> EnrollmentCommand {
    EnrollmentCommand::RegisterStudent { student: id.into(), tier: Tier::Basic }
}
fn enroll(c: &str, s: &str) -> EnrollmentCommand {
    EnrollmentCommand::Enroll { course: c.into(), student: s.into() }
}

/// `clients` clients; client `i` enrolls student `s{i}` in course `a`
/// (capacity `capacity`) and, with `two`, then in course `b` (capacity 1):
/// every client starts at 0.
fn scope(clients: u32, two: bool, capacity: u32) -> Scenario<EnrollmentCommand> {
    let mut setup = vec![course("a", capacity), course("b", 1)];
    let mut commands = Vec::new();
    for i in 0..clients {
        let s = format!("s{i}");
        setup.push(student(&s));
        commands.push(Scheduled { client: i, start: Duration::ZERO, command: enroll("a", &s) });
        if two {
            commands.push(Scheduled { client: i, start: Duration::ZERO, command: enroll("b", &s) });
        }
    }
    Scenario::new(setup, commands)
}

#[test]
fn exhaustive_proves_three_clients_with_two_enrollments_each() {
    let w = EnrollmentWorkload::default();
    let scenario = scope(3, true, 2);
    let reduced = exhaustive(&w, &scenario, 0, ExhaustiveOptions { stop_at_first: false, ..ExhaustiveOptions::default() }).unwrap();
    eprintln!("reduced: {reduced}");
    assert!(reduced.proved(), "{reduced}");
    let full = exhaustive(&w, &scenario, 0, ExhaustiveOptions { stop_at_first: false, reduction: false, ..ExhaustiveOptions::default() }).unwrap();
    eprintln!("full: {full}");
    assert!(full.proved(), "{full}");
    assert_eq!(full.pruned, 0);
    assert!(reduced.schedules < full.schedules, "the reduction pruned nothing: {reduced} vs {full}");
}

#[test]
fn exhaustive_catches_the_non_atomic_store() {
    let w = EnrollmentWorkload::default();
    let mut scenario = scope(2, false, 1);
    scenario.plant = Some(Plant::NonAtomicStore);
    let report = exhaustive(&w, &scenario, 0, ExhaustiveOptions::default()).unwrap();
    eprintln!("{report}");
    let failure = report.failures.first().unwrap_or_else(|| panic!("not caught: {report}"));
    eprintln!("schedule {} after {}", failure.schedule, failure.found_after);
    assert!(failure.violations.iter().any(|v| v.invariant() == "capacity"), "{:?}", failure.violations);
    let replay = run(&w, &Scenario { scheduler: Scheduler::Script { schedule: failure.schedule.clone() }, ..scenario.clone() }, 0);
    assert_eq!(replay.violations, failure.violations);
    assert_eq!(replay.history.schedule.unwrap().schedule, failure.schedule);
}

#[test]
fn pct_is_deterministic_and_its_schedule_string_replays_it() {
    let w = EnrollmentWorkload::default();
    let mut controlled = 0;
    for seed in 0..300 {
        let mut scenario = scenario_for(&w, &ExploreOptions::default(), seed);
        scenario.scheduler = Scheduler::Pct { depth: 3 };
        let a = run(&w, &scenario, seed);
        let b = run(&w, &scenario, seed);
        assert_eq!(a.history.hash64(), b.history.hash64(), "seed {seed} diverged");
        let record = a.history.schedule.clone().expect("PCT records its schedule");
        controlled += usize::from(!record.schedule.is_empty());
        let text = record.schedule.to_string();
        let parsed: Schedule = text.parse().unwrap();
        scenario.scheduler = Scheduler::Script { schedule: parsed };
        let replay = run(&w, &scenario, seed);
        assert_eq!(replay.history.commands, a.history.commands, "seed {seed}: schedule {text} did not replay");
        assert_eq!(replay.history.log, a.history.log);
        assert_eq!(replay.history.schedule, a.history.schedule);
    }
    assert!(controlled > 250, "only {controlled} runs made decisions");
}

#[test]
fn a_wait_choice_parses() {
    assert_eq!("w".parse::<Schedule>().unwrap().choices(), &[Choice::Wait]);
    let _ = EnrollmentWorkload::default().name();
}
