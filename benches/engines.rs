//! Engine benchmark: conditional appends per second and conflict rate for
//! each DCB engine under 1, 4 and 16 concurrent writers.
//!
//! ```text
//! eval "$(scripts/pg-throwaway.sh start)"     # optional: PostgreSQL rows
//! cargo bench --bench engines                 # release build
//! DCB_BENCH_SECS=5 DCB_BENCH_KEYS=16 cargo bench --bench engines
//! ```
//!
//! Each writer is an OS thread (with a current-thread tokio runtime, so the
//! async `EventStore` API is what is measured) running the DCB
//! read-decide-append cycle as fast as it can for `DCB_BENCH_SECS` (2):
//! pick one of `DCB_BENCH_KEYS` (16) hot keys, read that key's last event
//! (`backwards`, `limit: 1`), append one event under the condition "nothing
//! for this key after what I read". A `ConditionFailed` is a conflict (the
//! writer moves on to a new cycle; no backoff, so the rates are the
//! engine's, not a retry policy's).
//!
//! Reported per engine and writer count: successful appends/s, attempts/s,
//! conflict rate (conflicts / attempts) and **lost updates**: after the
//! run, each key's events are walked in order and every event must have read
//! its predecessor (its payload is the position it read); an event that
//! read an older one passed a condition it should have failed. Only the
//! negative control may show them: the simulator's `NonAtomicStore` over
//! PostgreSQL (check with a read, [`NON_ATOMIC_GAP_MS`] on the real clock,
//! append with no condition).
//!
//! SQLite on a file runs with `synchronous = FULL` (an fsync per commit);
//! PostgreSQL runs at whatever `DCB_PG_URL` points at (the throwaway
//! cluster has fsync off unless started with `DCB_PG_DURABLE=1`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dcb_sim::retry::TokioSleeper;
use dcb_sim::sim::plants::NonAtomicStore;
use dcb_sim::store::{AppendCondition, Event, EventStore, MemoryStore, PgOptions, PostgresStore, Query, QueryItem, ReadOptions, SequencedEvent, SqliteStore, StoreError};
use rand::RngExt;

/// Milliseconds the `NonAtomicStore` row sleeps between check and insert:
/// long enough that concurrent writers on the same key overlap often.
const NON_ATOMIC_GAP_MS: u64 = 2;

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    ok: u64,
    conflicts: u64,
    errors: u64,
}

#[allow(clippy::disallowed_methods, reason = "wall-clock benchmark outside any simulation")]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// One writer's loop until `stop`.
async fn writer<S: EventStore>(store: S, id: u64, keys: u64, stop: Arc<AtomicBool>) -> Counts {
    let mut rng = dcb_sim::rng::seeded(id);
    let mut c = Counts::default();
    while !stop.load(Ordering::Relaxed) {
        let key = rng.random_range(0..keys);
        let query = Query::from_item(QueryItem::new().tags([format!("key:{key}")])).expect("valid");
        let last = match store.read(&query, ReadOptions { from: None, backwards: true, limit: Some(1) }).await {
            Ok(events) => events.first().map(|e| e.position),
            Err(_) => {
                c.errors += 1;
                continue;
            }
        };
        let event = Event::new("Counted", [format!("key:{key}")], last.unwrap_or(0).to_string()).expect("valid");
        match store.append(vec![event], Some(AppendCondition::new(query, last))).await {
            Ok(_) => c.ok += 1,
            Err(StoreError::ConditionFailed { .. }) => c.conflicts += 1,
            Err(_) => c.errors += 1,
        }
    }
    c
}

/// Events whose recorded read is not their key's previous event.
fn lost_updates(log: &[SequencedEvent]) -> u64 {
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let mut lost = 0;
    for e in log {
        let key = e.event.tags.iter().next().map(|t| t.to_string()).unwrap_or_default();
        let read: u64 = e.event.data.parse().unwrap_or(u64::MAX);
        if read != last.insert(key, e.position).unwrap_or(0) {
            lost += 1;
        }
    }
    lost
}

struct Row {
    engine: &'static str,
    writers: usize,
    secs: f64,
    counts: Counts,
    lost: u64,
}

fn run<S: EventStore + 'static>(engine: &'static str, handles: Vec<S>, secs: f64, keys: u64, log: impl FnOnce() -> Vec<SequencedEvent>) -> Row {
    let writers = handles.len();
    let stop = Arc::new(AtomicBool::new(false));
    let started = now();
    let counts = std::thread::scope(|scope| {
        let threads: Vec<_> = handles
            .into_iter()
            .enumerate()
            .map(|(i, store)| {
                let stop = stop.clone();
                scope.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    rt.block_on(writer(store, i as u64, keys, stop))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        threads.into_iter().map(|t| t.join().expect("writer")).fold(Counts::default(), |a, b| Counts {
            ok: a.ok + b.ok,
            conflicts: a.conflicts + b.conflicts,
            errors: a.errors + b.errors,
        })
    });
    let secs = started.elapsed().as_secs_f64();
    let lost = lost_updates(&log());
    Row { engine, writers, secs, counts, lost }
}

fn temp_db(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dcb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{tag}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let secs = env_num("DCB_BENCH_SECS", 2.0);
    let keys = env_num("DCB_BENCH_KEYS", 16.0) as u64;
    let levels = [1usize, 4, 16];
    let mut rows = Vec::new();
    eprintln!("engines bench: {secs} s per cell, {keys} hot keys, writers {levels:?}");

    for &n in &levels {
        let store = Arc::new(MemoryStore::new());
        rows.push(run("memory", (0..n).map(|_| store.clone()).collect(), secs, keys, || store.snapshot()));
        eprintln!("  done: memory × {n}");
    }
    for &n in &levels {
        let store = Arc::new(SqliteStore::open_in_memory().expect("sqlite"));
        let snapshot = store.clone();
        rows.push(run("sqlite :memory: (1 conn)", (0..n).map(|_| store.clone()).collect(), secs, keys, || snapshot.snapshot().expect("log")));
        eprintln!("  done: sqlite :memory: × {n}");
    }
    for &n in &levels {
        let path = temp_db(&format!("file-{n}"));
        let first = SqliteStore::open(&path).expect("sqlite file");
        let handles: Vec<SqliteStore> = (0..n).map(|_| first.open_another().expect("connection")).collect();
        rows.push(run("sqlite file (conn/writer)", handles, secs, keys, || first.snapshot().expect("log")));
        eprintln!("  done: sqlite file × {n}");
    }
    match std::env::var("DCB_PG_URL") {
        Ok(url) => {
            let io = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            let gap = Duration::from_millis(NON_ATOMIC_GAP_MS);
            for non_atomic in [false, true] {
                let name = if non_atomic { "postgres NonAtomicStore (unsafe)" } else { "postgres" };
                for &n in &levels {
                    let store = io.block_on(async {
                        let s = PostgresStore::connect(&url, PgOptions::fresh("dcb_bench").max_connections(n)).await.expect("connect");
                        s.prewarm().await.expect("prewarm");
                        Arc::new(s)
                    });
                    let log = || io.block_on(store.snapshot()).expect("log");
                    let row = if non_atomic {
                        let handles = (0..n).map(|_| NonAtomicStore::with_sleeper(store.clone(), TokioSleeper::new(), gap)).collect();
                        run(name, handles, secs, keys, log)
                    } else {
                        run(name, (0..n).map(|_| store.clone()).collect(), secs, keys, log)
                    };
                    rows.push(row);
                    if let Ok(store) = Arc::try_unwrap(store) {
                        let _ = io.block_on(store.drop_schema());
                    }
                    eprintln!("  done: {name} × {n}");
                }
            }
        }
        Err(_) => eprintln!("SKIPPED PostgreSQL rows: DCB_PG_URL not set (start one with scripts/pg-throwaway.sh)"),
    }
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("dcb-bench-{}", std::process::id())));

    println!("| engine | writers | appends/s | attempts/s | conflict rate | lost updates | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let attempts = r.counts.ok + r.counts.conflicts;
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.1} % | {} | {} |",
            r.engine,
            r.writers,
            r.counts.ok as f64 / r.secs,
            attempts as f64 / r.secs,
            100.0 * r.counts.conflicts as f64 / attempts.max(1) as f64,
            r.lost,
            r.counts.errors
        );
    }
}
