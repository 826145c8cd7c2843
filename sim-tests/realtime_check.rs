//! `Check::realtime` / `RealtimeCheck`: a user's store on real OS threads
//! under the generic checkers. A correct store passes; an adapter that
//! checks the condition and then inserts outside one lock (the bug only
//! real parallelism shows) fails, with the scenario file and the line that
//! plays it again. One store reused between runs (`reusing`) starts each
//! run on an empty log; a reset that leaves an event fails the check.

use std::time::Duration;

use dcb_sim::domain::sequence::HotKeyWorkload;
use dcb_sim::explore::{Check, reusing};
use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// Eight clients taking numbers of one sequence, all at time 0.
fn hot_key() -> HotKeyWorkload {
    HotKeyWorkload { clients_min: 8, clients_max: 8, faults: false }
}

/// A thread-unsafe adapter over a correct store: it checks the condition
/// with a read, and inserts unconditionally a moment later, outside any
/// lock (a check outside the transaction).
struct CheckThenInsert(MemoryStore);

impl EventStore for CheckThenInsert {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.0.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        if let Some(c) = &condition {
            let from = c.after.map_or(1, |a| a + 1);
            let found = self.0.read(&c.fail_if_events_match, ReadOptions { from: Some(from), ..ReadOptions::default() }).await?;
            if let Some(hit) = found.first() {
                return Err(StoreError::ConditionFailed { conflicting: Some(hit.position), after: c.after });
            }
        }
        // the window between the check and the insert, as a slow network hop
        std::thread::sleep(Duration::from_millis(2));
        self.0.append(events, None).await
    }
}

#[test]
fn the_memory_engine_passes_on_real_threads() {
    let s = Check::new(&hot_key()).seeds(10).realtime(|_| Ok(MemoryStore::new())).run();
    assert_eq!((s.schedules, s.violations), (10, 0), "{s}");
    assert!(s.commands >= 80, "{s}");
}

#[test]
fn a_check_outside_the_lock_fails_on_real_threads_with_its_scenario_file() {
    let report = Check::new(&hot_key()).seeds(10).max_reports(1).realtime(|_| Ok(CheckThenInsert(MemoryStore::new()))).try_run().expect_err("eight clients through a 2 ms window between check and insert");
    println!("{report}");
    assert!(report.contains("runs on real threads violated invariants"), "{report}");
    assert!(report.contains("a real run cannot replay its interleaving, only its scenario"), "{report}");
    assert!(report.contains("[sequence]") || report.contains("[serializability]") || report.contains("[dcb-soundness]"), "{report}");
    let file = report.lines().find_map(|l| l.trim().strip_prefix("scenario: ")).expect("a scenario file");
    assert!(std::path::Path::new(file).exists(), "{file}");
    assert!(report.contains(&format!("DCB_SCENARIO={file} cargo test")), "{report}");
}

#[test]
fn the_sqlite_file_engine_passes_on_real_threads() {
    let dir = std::env::temp_dir().join(format!("dcb-realtime-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let s = Check::new(&hot_key()).seeds(5).realtime(|seed| dcb_sim::store::SqliteStore::open(dir.join(format!("hot-{seed}.db")))).run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((s.schedules, s.violations), (5, 0), "{s}");
}

#[test]
fn one_reused_sqlite_file_passes_and_each_run_starts_on_an_empty_log() {
    let dir = std::env::temp_dir().join(format!("dcb-realtime-reuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let store = std::sync::Arc::new(dcb_sim::store::SqliteStore::open(dir.join("reused.db")).expect("open"));
    // Leftovers of an earlier run of this process: the first reset clears them too.
    store.append_now(vec![Event::new("Leftover", ["k:1"], "").expect("valid")], None).expect("append");
    let mut resets = 0;
    let s = Check::new(&hot_key())
        .seeds(5)
        .realtime(reusing(store.clone(), |s: &std::sync::Arc<dcb_sim::store::SqliteStore>| {
            resets += 1;
            s.reset()
        }))
        .run();
    assert_eq!((s.schedules, s.violations), (5, 0), "{s}");
    assert_eq!(resets, 5, "one reset before every run");
    // The file holds the last run's log alone (8 clients, at most one number each), from position 1.
    let log = store.snapshot().expect("read");
    assert!((1..=8).contains(&log.len()), "{log:?}");
    assert_eq!(log.iter().map(|e| e.position).collect::<Vec<_>>(), (1..=log.len() as u64).collect::<Vec<_>>(), "{log:?}");
    assert!(log.iter().all(|e| e.event.event_type != "Leftover"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reset_that_leaves_events_fails_the_check_naming_them() {
    let dir = std::env::temp_dir().join(format!("dcb-realtime-noreset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let store = dcb_sim::store::SqliteStore::open(dir.join("never-reset.db")).expect("open");
    let _ = store.reset();
    let report = Check::new(&hot_key()).seeds(3).realtime(reusing(store, |_: &dcb_sim::store::SqliteStore| Ok(()))).try_run().expect_err("the second run would start on the first one's log");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(report.contains("cannot open the store for seed 1"), "{report}");
    assert!(report.contains("the reset left the event at position 1 in the reused store"), "{report}");
}
