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
//!
//! Before timing a schedule, the benchmark also prints how many heap
//! allocations (and bytes) one run of it makes. That count is
//! deterministic: it does not move with the machine's load, so a change
//! that adds work on the hot path shows in it exactly, run to run.

#![allow(missing_docs, reason = "criterion_group! generates an undocumented function")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dcb_sim::domain::enrollment::{EnrollmentCommand, EnrollmentDecider, EnrollmentEvent, Tier};
use dcb_sim::handler::Decider;
use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::explore::SCENARIO_STREAM;
use dcb_sim::sim::{Workload, run};
use dcb_sim::store::{AppendCondition, Event, MemoryStore, ReadOptions};

/// The system allocator, counting this thread's allocations and bytes.
struct Counting;

thread_local! {
    /// (allocations, bytes) made by this thread so far.
    static ALLOCATED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// const-initialized thread-local `Cell` (no allocation, no re-entry).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count(bytes: usize) {
    // `try_with`: allocations during thread teardown are not counted.
    let _ = ALLOCATED.try_with(|a| {
        let (n, b) = a.get();
        a.set((n + 1, b + bytes as u64));
    });
}

/// (allocations, bytes) this thread makes while running `f`.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, u64, T) {
    let (n0, b0) = ALLOCATED.with(Cell::get);
    let out = f();
    let (n1, b1) = ALLOCATED.with(Cell::get);
    (n1 - n0, b1 - b0, out)
}

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
    let (n, bytes, r) = allocations(|| run(w, &scenario, seed));
    assert!(r.violations.is_empty(), "the benchmark scenario must pass");
    // A second run must count the same: the figure is the schedule's, not a warm-up's.
    let (again, _, _) = allocations(|| run(w, &scenario, seed));
    assert_eq!(n, again, "{name}: allocations differ between two runs of one seed");
    println!("{name}: {n} allocations, {bytes} bytes allocated per schedule (seed {seed}; deterministic)");
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
