//! Hot-path benchmark (criterion): the memory engine's `read` and `append`
//! as the simulator calls them, and one full simulated schedule with every
//! checker on. Wall-clock numbers per change, with criterion's statistics
//! and its saved baselines:
//!
//! ```text
//! cargo bench --bench hot_path -- --save-baseline before   # on the old commit
//! cargo bench --bench hot_path -- --baseline before        # on the new one
//! ```
//!
//! Whole-run throughput against the madsim floor is `dcb-sim bench`.

#![allow(missing_docs, reason = "criterion_group! generates an undocumented function")]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dcb_sim::domain::enrollment::{EnrollmentCommand, EnrollmentDecider, EnrollmentEvent, Tier};
use dcb_sim::handler::Decider;
use dcb_sim::sim::enrollment::EnrollmentWorkload;
use dcb_sim::sim::library::LibraryWorkload;
use dcb_sim::sim::{SCENARIO_STREAM, Workload, run};
use dcb_sim::store::{AppendCondition, Event, MemoryStore, ReadOptions};

/// A store holding one course with `enrolled` students and their registrations.
fn course_store(enrolled: u32) -> MemoryStore {
    let store = MemoryStore::new();
    let d = EnrollmentDecider;
    let apply = |c: EnrollmentCommand| {
        let q = d.query(&c);
        let events = store.read_now(&q, ReadOptions::default()).expect("valid query");
        if let dcb_sim::handler::Decision::Append(new) = d.decide(&c, &events) {
            store.append_now(new, None).expect("valid events");
        }
    };
    apply(EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: 1000 });
    for i in 0..enrolled {
        apply(EnrollmentCommand::RegisterStudent { student: format!("s{i}"), tier: Tier::Master });
        apply(EnrollmentCommand::Enroll { course: "c1".into(), student: format!("s{i}") });
    }
    store
}

fn store_calls(c: &mut Criterion) {
    let store = course_store(20);
    let enroll = EnrollmentCommand::Enroll { course: "c1".into(), student: "new".into() };
    let query = EnrollmentDecider.query(&enroll);
    c.bench_function("memory/read enroll query over 41 events", |b| {
        b.iter(|| store.read_now(black_box(&query), ReadOptions::default()).expect("valid query"));
    });
    let head = store.head();
    c.bench_function("memory/conditional append that conflicts", |b| {
        let events = enrolled("c1", "late");
        b.iter(|| store.append_now(black_box(events.clone()), Some(AppendCondition::new(query.clone(), Some(head - 1)))).expect_err("conflicts"));
    });
    c.bench_function("memory/conditional append that succeeds", |b| {
        b.iter_batched(
            || (course_store(20), enrolled("c1", "new")),
            // The store is returned, so criterion drops it outside the timing.
            |(store, events)| {
                let last = store.append_now(events, Some(AppendCondition::new(query.clone(), Some(head)))).expect("no conflict");
                (store, last)
            },
            BatchSize::SmallInput,
        );
    });
}

/// An enrollment event, built the way the decider builds it.
fn enrolled(course: &str, student: &str) -> Vec<Event> {
    vec![EnrollmentEvent::Enrolled { course: course.into(), student: student.into() }.to_event()]
}

fn one_schedule<W: Workload>(c: &mut Criterion, name: &str, w: &W) {
    // A fixed seed's scenario, generated once: the benchmark times the run and the checks.
    let seed = 7;
    let scenario = w.generate(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM));
    c.bench_function(name, |b| {
        b.iter(|| {
            let r = run(w, black_box(&scenario), seed);
            assert!(r.violations.is_empty(), "the benchmark scenario must pass");
            r
        });
    });
}

fn schedules(c: &mut Criterion) {
    one_schedule(c, "schedule/enrollment, 3 clients", &EnrollmentWorkload::with_clients(3));
    one_schedule(c, "schedule/library, 3 clients", &LibraryWorkload::with_clients(3));
}

criterion_group!(benches, store_calls, schedules);
criterion_main!(benches);
