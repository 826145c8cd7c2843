//! PostgreSQL engine beyond the conformance suite, with real parallel
//! connections on a multi-thread tokio runtime:
//!
//! * `non_atomic_lets_every_writer_pass_the_same_condition`: 8 writers,
//!   released together by a barrier, append under the same condition ("no
//!   event with this round's tag"). Through the simulator's
//!   [`NonAtomicStore`] over this engine (check with a read, sleep on the
//!   real clock, append with no condition: two transactions), a second
//!   barrier between check and insert ([`InsertAfterAllChecked`]) forces
//!   the race: in every round all 8 pass the same condition. The engine
//!   itself, in as many rounds, lets exactly one through each time.
//! * `locked_chains_never_break`: 8 writers race in lock step on 4 keys in
//!   turn: each round all read the round's key, a barrier waits until all
//!   have read, then all append under "nothing after what I read" — every
//!   condition but one is stale by construction, so exactly one append
//!   wins each of the 40 rounds; each append records the position it read;
//!   per key the chain must be unbroken and positions gap-free despite the
//!   280 rejected appends.
//! * `lost_connections_are_retryable_and_the_pool_recovers`: the server
//!   terminates every connection of the store (found by its
//!   `application_name`, `dcb-sim:<schema>`) and the test waits until they
//!   are gone; the next call fails with a retryable `Unavailable` or
//!   succeeds on a fresh connection, and calls after that succeed.
//! * `missing_server_is_skipped_locally_and_fails_in_ci`: re-runs this
//!   binary without `DCB_PG_URL`: it passes with `SKIPPED: ...` when `CI` is
//!   unset and fails when `CI=true` (needs no server).
//!
//! No wall-clock sleep decides an outcome: races are forced by barriers,
//! and every wait is bounded, failing the test with a message after 60 s.
//!
//! Without `DCB_PG_URL` the PostgreSQL tests print `SKIPPED: DCB_PG_URL not
//! set (start one with scripts/pg-throwaway.sh)` and pass, except with
//! `CI=true`, where they fail. Run: `eval "$(scripts/pg-throwaway.sh start)";
//! cargo test --test sim -- engines_postgres::`.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use dcb_sim::retry::TokioSleeper;
use dcb_sim::sim::plants::NonAtomicStore;
use dcb_sim::store::postgres::test_url;
use dcb_sim::store::{AppendCondition, Event, EventStore, PgOptions, Position, PostgresStore, Query, QueryItem, ReadOptions, SequencedEvent, StoreError};
use tokio::sync::Barrier;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("tokio runtime")
}

async fn store(url: &str, connections: usize) -> Arc<PostgresStore> {
    let store = PostgresStore::connect(url, PgOptions::fresh("dcb_eng").max_connections(connections)).await.expect("connect");
    store.prewarm().await.expect("prewarm");
    Arc::new(store)
}

/// Placed under a [`NonAtomicStore`] (which calls it between its check and
/// its insert): every append waits until `n` appends have arrived, i.e.
/// until all `n` writers have made their check. This forces the
/// check-then-insert race in every round instead of hoping the real
/// clock interleaves the writers.
struct InsertAfterAllChecked<S> {
    inner: S,
    barrier: Arc<Barrier>,
}

impl<S: EventStore> InsertAfterAllChecked<S> {
    fn new(inner: S, n: usize) -> Self {
        InsertAfterAllChecked { inner, barrier: Arc::new(Barrier::new(n)) }
    }
}

impl<S: EventStore> EventStore for InsertAfterAllChecked<S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.inner.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        self.barrier.wait().await;
        self.inner.append(events, condition).await
    }
}

/// Runs `rounds` rounds of `writers` appends released together under one
/// condition, each round on the store `store_for_round` returns; returns
/// how many appends passed in each round.
async fn race_rounds<S: EventStore + 'static>(writers: usize, rounds: usize, mut store_for_round: impl FnMut() -> S) -> Vec<usize> {
    let mut passed = Vec::new();
    for round in 0..rounds {
        let store = Arc::new(store_for_round());
        let barrier = Arc::new(Barrier::new(writers));
        let query = Query::from_item(QueryItem::new().types(["Claimed"]).tags([format!("round:{round}")])).expect("valid");
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (store, barrier, query) = (store.clone(), barrier.clone(), query.clone());
                tokio::spawn(async move {
                    let event = Event::new("Claimed", [format!("round:{round}")], format!("writer {w}")).expect("valid");
                    barrier.wait().await;
                    store.append(vec![event], Some(AppendCondition::new(query, None))).await
                })
            })
            .collect();
        let results = tokio::time::timeout(Duration::from_secs(60), async {
            let mut results = Vec::new();
            for t in tasks {
                results.push(t.await.expect("task"));
            }
            results
        })
        .await
        .unwrap_or_else(|_| panic!("round {round}: the writers did not finish within 60 s (one never reached a barrier?)"));
        let mut ok = 0;
        for r in results {
            match r {
                Ok(_) => ok += 1,
                Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => panic!("round {round}: unexpected error {e}"),
            }
        }
        passed.push(ok);
    }
    passed
}

/// Events of the log tagged `round:<round>`.
async fn claims(store: &PostgresStore, round: usize) -> usize {
    let query = Query::from_item(QueryItem::new().tags([format!("round:{round}")])).expect("valid");
    store.read(&query, ReadOptions::default()).await.expect("read").len()
}

#[test]
fn non_atomic_lets_every_writer_pass_the_same_condition() {
    let Some(url) = test_url("engines_postgres::non_atomic_lets_every_writer_pass_the_same_condition") else { return };
    const WRITERS: usize = 8;
    const ROUNDS: usize = 50;
    runtime().block_on(async {
        // The unsafe variant: check (a read), 1 ms on the real clock, then
        // wait until every writer has checked, then append unconditionally.
        let pg = store(&url, WRITERS).await;
        let non_atomic = race_rounds(WRITERS, ROUNDS, || {
            NonAtomicStore::with_sleeper(InsertAfterAllChecked::new(pg.clone(), WRITERS), TokioSleeper::new(), TokioSleeper::MIN_SLEEP)
        })
        .await;
        eprintln!("non-atomic: appends passing per round {non_atomic:?}");
        assert!(
            non_atomic.iter().all(|&ok| ok == WRITERS),
            "with every check made before any insert, all {WRITERS} writers must pass the same condition in every round: {non_atomic:?}"
        );
        for round in 0..ROUNDS {
            assert_eq!(claims(&pg, round).await, WRITERS, "round {round}: the log must hold every writer's claim");
        }
        eprintln!("non-atomic: all {WRITERS} writers passed the same condition in each of {ROUNDS} rounds");

        // The engine itself, with the writers released together.
        let locked = store(&url, WRITERS).await;
        let passed = race_rounds(WRITERS, ROUNDS, || locked.clone()).await;
        assert!(passed.iter().all(|&ok| ok == 1), "the engine must let exactly one writer through per round: {passed:?}");
        for round in 0..ROUNDS {
            assert_eq!(claims(&locked, round).await, 1, "round {round}: exactly one claim in the log");
        }
    });
}

/// How long any step of a race may take before the test fails loudly.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// `fut`, failing the test with `what` after [`STEP_TIMEOUT`].
async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STEP_TIMEOUT, fut).await.unwrap_or_else(|_| panic!("{what}: not done within {STEP_TIMEOUT:?}"))
}

/// The lock-step chain race: `writers` tasks on the store's pool, `rounds`
/// rounds on `keys` keys in turn. Each round every writer reads the
/// round's key, a barrier waits until all have read, then all append under
/// "nothing of this key after what I read" (the event's payload is the
/// position read): every condition but one is stale by construction, so
/// exactly one append must win each round. Then, per key, every event must
/// have read its predecessor, and positions are gap-free despite the
/// rejected appends. Returns the number of conflicts.
async fn lockstep_chains(store: Arc<PostgresStore>, writers: usize, rounds: usize, keys: usize) -> usize {
    let read = Arc::new(Barrier::new(writers));
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (store, read) = (store.clone(), read.clone());
            tokio::spawn(async move {
                let mut won = Vec::with_capacity(rounds);
                for round in 0..rounds {
                    let key = round % keys;
                    let query = Query::from_item(QueryItem::new().tags([format!("key:{key}")])).expect("valid");
                    let seen = store.read(&query, ReadOptions::default()).await.unwrap_or_else(|e| panic!("writer {w} round {round}: read: {e}"));
                    let after = seen.last().map(|e| e.position);
                    bounded(&format!("round {round}: every writer's read"), read.wait()).await;
                    let event = Event::new("Counted", [format!("key:{key}")], after.unwrap_or(0).to_string()).expect("valid");
                    won.push(match store.append(vec![event], Some(AppendCondition::new(query, after))).await {
                        Ok(_) => true,
                        Err(StoreError::ConditionFailed { .. }) => false,
                        Err(e) => panic!("writer {w} round {round}: append: {e}"),
                    });
                    // The next round's reads must see this round's winner: a
                    // writer reads only when every append of the round is done.
                    bounded(&format!("round {round}: every writer's append"), read.wait()).await;
                }
                won
            })
        })
        .collect();
    let mut per_writer = Vec::new();
    for t in tasks {
        per_writer.push(bounded("a writer", t).await.expect("writer task"));
    }
    for round in 0..rounds {
        let won: Vec<usize> = per_writer.iter().enumerate().filter(|(_, won)| won[round]).map(|(w, _)| w).collect();
        assert_eq!(won.len(), 1, "round {round}: every writer read before any appended, so exactly one condition holds; writers that won: {won:?}");
    }
    let log = store.snapshot().await.expect("read");
    assert_eq!(log.len(), rounds, "one event per round");
    let mut last_by_key: BTreeMap<String, u64> = BTreeMap::new();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1, "positions must be gap-free (rejected appends consume none)");
        let key = e.event.tags.iter().next().expect("tag").to_string();
        let read: u64 = e.event.data.parse().expect("payload");
        let previous = last_by_key.insert(key.clone(), e.position).unwrap_or(0);
        assert_eq!(read, previous, "{key}: the append at {} read up to {read} but {previous} was its key's last event: two appends passed the same condition", e.position);
    }
    rounds * (writers - 1)
}

#[test]
fn locked_chains_never_break() {
    let Some(url) = test_url("engines_postgres::locked_chains_never_break") else { return };
    runtime().block_on(async {
        let conflicts = lockstep_chains(store(&url, 8).await, 8, 40, 4).await;
        eprintln!("locked: 40 lock-step rounds of 8 writers, one append won each ({conflicts} conflicts), every chain unbroken, positions gap-free");
    });
}

#[test]
fn lost_connections_are_retryable_and_the_pool_recovers() {
    let Some(url) = test_url("engines_postgres::lost_connections_are_retryable_and_the_pool_recovers") else { return };
    runtime().block_on(async {
        let store = store(&url, 4).await;
        let e = |i: u32| Event::new("E", ["k:1"], i.to_string()).expect("valid");
        assert_eq!(store.append(vec![e(1)], None).await, Ok(1));
        // Another connection terminates every backend of this store.
        let (admin, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("admin connection");
        tokio::spawn(conn);
        let killed = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                &[&format!("dcb-sim:{}", store.options().schema)],
            )
            .await
            .expect("terminate");
        let killed: i64 = killed.get(0);
        assert!(killed >= 4, "expected the store's 4 connections, terminated {killed}");
        // Wait until the server has ended them (polling, bounded: a backend
        // that never goes away fails the test with a message).
        bounded("the terminated backends to end", async {
            loop {
                let left: i64 = admin
                    .query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", &[&format!("dcb-sim:{}", store.options().schema)])
                    .await
                    .expect("count backends")
                    .get(0);
                if left == 0 {
                    break;
                }
                tokio::task::yield_now().await;
            }
        })
        .await;
        // The next calls either fail as retryable (nothing written) or
        // succeed on a fresh connection; soon they all succeed.
        let mut failures = 0;
        let mut written = 1;
        for i in 2..12 {
            match store.append(vec![e(i)], None).await {
                Ok(p) => {
                    written += 1;
                    assert_eq!(p, written, "positions stay gap-free across lost connections");
                }
                Err(StoreError::Unavailable { retryable: true, .. }) => failures += 1,
                // The dead connection was noticed only after the append was
                // sent: the engine cannot know whether it applied, so it says
                // so (not retryable). The server had ended that backend, so
                // nothing was written: the log must not have grown.
                Err(StoreError::Unavailable { retryable: false, reason }) if reason.contains("may or may not be applied") => {
                    failures += 1;
                    assert_eq!(store.snapshot().await.expect("read").len() as u64, written, "append {i}: a call on a terminated backend wrote nothing");
                }
                Err(other) => panic!("append {i}: {other}"),
            }
        }
        assert!(failures <= 4, "each dead connection fails at most one call");
        assert_eq!(store.snapshot().await.expect("read").len() as u64, written);
        eprintln!("terminated {killed} connections: {failures} calls failed (retryable, or ambiguous and found unwritten), {} appends written", written - 1);
    });
}

/// A PostgreSQL test that only asks for the URL (used by the test below).
#[test]
fn probe_url() {
    if test_url("engines_postgres::probe_url").is_some() {
        eprintln!("probe_url: DCB_PG_URL is set");
    }
}

#[test]
fn missing_server_is_skipped_locally_and_fails_in_ci() {
    let exe = std::env::current_exe().expect("test binary");
    let run = |ci: Option<&str>| {
        let mut cmd = Command::new(&exe);
        cmd.args(["engines_postgres::probe_url", "--exact", "--nocapture", "--test-threads=1"]).env_remove("DCB_PG_URL").env_remove("CI");
        if let Some(ci) = ci {
            cmd.env("CI", ci);
        }
        let out = cmd.output().expect("re-run the test binary");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, output) = run(None);
    assert!(ok, "without CI a missing server must skip, not fail:\n{output}");
    assert!(output.contains("SKIPPED: DCB_PG_URL not set (start one with scripts/pg-throwaway.sh)"), "{output}");
    let (ok, output) = run(Some("true"));
    assert!(!ok, "with CI=true a missing server must fail the test:\n{output}");
    assert!(output.contains("DCB_PG_URL is not set but CI is"), "{output}");
    let (ok, _) = run(Some("false"));
    assert!(ok, "CI=false is not CI");
}
