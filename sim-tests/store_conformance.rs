//! DCB store conformance suite, run on every engine.
//!
//! The cases themselves are exported by the library, as
//! [`dcb_sim::conformance`] (`src/conformance/`), so that users run the
//! very same suite against their own adapter with one call
//! (`dcb_sim::conformance::check(|| async { MyAdapter::new() }).await`).
//! This file holds every engine of the crate to it: the in-memory
//! reference engine, SQLite on `:memory:` and on a file, PostgreSQL with a
//! fresh schema per test. It pins down the semantic choices documented in
//! `src/store/mod.rs` and `DESIGN.md` ("DCB store semantics"): inclusive
//! `from`, `limit: Some(0)` = no events, OR of items / any-of types / all-of
//! tags, strictly-greater `after`, all-or-nothing appends, typed
//! `InvalidInput` errors instead of panics.
//!
//! # Layout
//!
//! * [`conformance_tests!`]: instantiates every exported case (plus the
//!   model-based property test) as `#[test]` functions for one engine, each
//!   on a fresh store, on a fresh madsim runtime (or, for engines with real
//!   I/O, a multi-thread tokio runtime: see [`runners`]). A failing test
//!   prints the case's rule and the check that failed.
//! * [`model`]: a brute-force reference model (a `Vec` and a linear filter)
//!   and a property test that compares an engine with it over random
//!   sequences of appends (with random conditions) and reads. It needs
//!   proptest (a dev-dependency), so it stays here, not in the library.
//! * [`suite_api`]: the exported entry points themselves (`check`, the
//!   report, panics caught per case, negative controls in the simulator).
//!
//! # Adding an engine
//!
//! Add one line at the bottom of the "Engines" section:
//!
//! ```ignore
//! conformance_tests!(sqlite, || async { SqliteStore::open_in_memory().await.unwrap() });
//! ```
//!
//! The second argument is a closure (called once per test and once per
//! property-test case, so it must be `Fn`) returning a future that yields a
//! fresh, empty store. Tests are then named `store_conformance::sqlite::<case>`,
//! e.g. `cargo test --test sim -- store_conformance::sqlite::`.
//!
//! To add a case, write it in `src/conformance/cases.rs`, list it in
//! `src/conformance/suite.rs`, and add its name to the list in
//! [`conformance_tests!`] (`test_list_matches_exported_cases` fails until
//! both lists agree).
//!
//! Note: positions are asserted exactly (1, 2, 3, ... with no gaps, also
//! after rejected appends), for every engine: the durable engines assign
//! `MAX(position) + 1` under their write lock instead of using a sequence.
//!
//! PostgreSQL tests need `DCB_PG_URL` (`eval "$(scripts/pg-throwaway.sh start)"`);
//! without it they print `SKIPPED: ...` and pass, except under `CI=true`,
//! where they fail. `postgres_non_atomic` shows the unsafe check-then-insert
//! (the simulator's `NonAtomicStore` over PostgreSQL) failing
//! `concurrent_conditional_appends_one_wins` under real concurrency.
//!
//! Run: `cargo test --test sim -- store_conformance::` (needs `--cfg madsim`, set in
//! `.cargo/config.toml`).

use std::future::Future;

use dcb_sim::conformance::{CASES, Case, CaseFailure, CaseResult};
use dcb_sim::store::{
    AppendCondition, Event, EventStore, Position, Query, QueryItem, ReadOptions, SequencedEvent, StoreError,
};

// ---------------------------------------------------------------------------
// Runner and per-engine instantiation macro
// ---------------------------------------------------------------------------

/// How a case runs: on which runtime, and whether the engine is available.
mod runners {
    use super::*;

    /// Runs futures to completion.
    pub trait Exec {
        /// Runs `f` to completion.
        fn block_on<F: Future>(&self, f: F) -> F::Output;
    }

    /// A fresh madsim runtime (seed 0) per future: in-process engines.
    /// OS threads are allowed: the race case runs on threads for engines
    /// whose calls block (as `conformance::check_in_madsim` allows them).
    pub struct Madsim;

    impl Exec for Madsim {
        fn block_on<F: Future>(&self, f: F) -> F::Output {
            let mut runtime = madsim::runtime::Runtime::new();
            runtime.set_allow_system_thread(true);
            runtime.block_on(f)
        }
    }

    /// One multi-thread tokio runtime (2 workers, real time): engines with
    /// real I/O (PostgreSQL), whose connection tasks run on the workers.
    pub struct Tokio(tokio::runtime::Runtime);

    impl Tokio {
        pub fn new() -> Self {
            Tokio(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime"))
        }
    }

    impl Exec for Tokio {
        fn block_on<F: Future>(&self, f: F) -> F::Output {
            self.0.block_on(f)
        }
    }

    /// The exported case named `name`.
    pub fn exported(name: &str) -> &'static Case {
        Case::named(name).unwrap_or_else(|| panic!("dcb_sim::conformance::CASES has no case named {name:?}"))
    }

    /// Builds a fresh store with `make` and runs the exported case `name`
    /// on it with `exec`, returning its outcome.
    pub fn try_case<S, M, MF>(exec: &impl Exec, make: M, name: &str) -> Result<(), CaseFailure>
    where
        S: EventStore,
        M: FnOnce() -> MF,
        MF: Future<Output = S>,
    {
        let case = exported(name);
        exec.block_on(async move { case.run(make().await).await })
    }

    /// [`try_case`], panicking with the rule and the failed check if the
    /// case fails.
    pub fn run_case<S, M, MF>(exec: &impl Exec, make: M, name: &str)
    where
        S: EventStore,
        M: FnOnce() -> MF,
        MF: Future<Output = S>,
    {
        if let Err(failure) = try_case(exec, make, name) {
            panic!("{}", CaseResult { case: exported(name), outcome: Err(failure) });
        }
    }

    /// In-process engines: madsim runtime, always available.
    pub mod madsim_rt {
        use super::*;
        pub fn case<S: EventStore, M: FnOnce() -> MF, MF: Future<Output = S>>(make: M, name: &str) {
            run_case(&Madsim, make, name);
        }
        pub fn model<S: EventStore, M: Fn() -> MF, MF: Future<Output = S>>(make: M) {
            crate::store_conformance::model::run_model_check(&Madsim, make, crate::store_conformance::model::CASES);
        }
    }

    /// In-process engines that fsync every append (SQLite on a file): as
    /// [`madsim_rt`] with a quarter of the property-test cases (the SQL is
    /// the same as on `:memory:`, which runs them all).
    pub mod madsim_fsync_rt {
        pub use super::madsim_rt::case;
        use super::*;
        pub fn model<S: EventStore, M: Fn() -> MF, MF: Future<Output = S>>(make: M) {
            crate::store_conformance::model::run_model_check(&Madsim, make, crate::store_conformance::model::CASES / 4);
        }
    }

    /// PostgreSQL: tokio runtime; skipped (or failed in CI) without `DCB_PG_URL`.
    pub mod postgres_rt {
        use super::*;
        pub fn case<S: EventStore, M: FnOnce() -> MF, MF: Future<Output = S>>(make: M, name: &str) {
            if dcb_sim::store::postgres::test_url("store_conformance::postgres").is_some() {
                run_case(&Tokio::new(), make, name);
            }
        }
        pub fn model<S: EventStore, M: Fn() -> MF, MF: Future<Output = S>>(make: M) {
            if dcb_sim::store::postgres::test_url("store_conformance::postgres").is_some() {
                // Each case opens a connection and creates a schema: fewer
                // cases than in-process engines, same strategy.
                crate::store_conformance::model::run_model_check(&Tokio::new(), make, crate::store_conformance::model::CASES / 4);
            }
        }
    }
}

/// `conformance_tests!(mod_name, || async { <fresh empty store> })` defines
/// `mod mod_name` with one `#[test]` per exported case
/// ([`dcb_sim::conformance::CASES`], run by name) plus
/// `matches_reference_model` (the property test in [`model`]), run on a
/// madsim runtime. `conformance_tests!(mod_name, runner = postgres_rt, ...)`
/// picks another module of [`runners`].
macro_rules! conformance_tests {
    ($name:ident, $make:expr) => {
        conformance_tests!($name, runner = madsim_rt, $make);
    };
    ($name:ident, runner = $runner:ident, $make:expr) => {
        conformance_tests!(@cases $name, $runner, $make, [
            empty_store_read,
            positions_start_at_one_and_are_consecutive,
            multi_event_append_is_consecutive_and_returns_last,
            query_items_are_ored,
            item_types_are_any_of,
            item_tags_are_all_of,
            item_with_only_types,
            item_with_only_tags,
            item_with_types_and_tags,
            query_all_matches_everything,
            from_is_inclusive_forwards,
            from_is_highest_inclusive_backwards,
            backwards_is_newest_first,
            limit,
            from_beyond_head,
            condition_without_after,
            condition_with_after_is_strictly_greater,
            condition_failure_writes_nothing,
            condition_failed_carries_first_conflicting_position,
            condition_query_matching_nothing_passes,
            non_matching_events_do_not_fail_condition,
            concurrent_conditional_appends_one_wins,
            invalid_empty_append,
            invalid_empty_query_item,
            invalid_empty_query,
            invalid_empty_tag,
            invalid_empty_event_type,
            invalid_from_zero,
            invalid_append_leaves_log_unchanged,
            error_messages_say_how_to_fix,
            invalid_oversized_names,
            invalid_control_characters,
            names_at_the_limit_round_trip,
        ]);
    };
    (@cases $name:ident, $runner:ident, $make:expr, [$($case:ident),* $(,)?]) => {
        mod $name {
            /// The cases this module tests, in order.
            #[allow(dead_code, reason = "read by test_list_matches_exported_cases for one engine")]
            pub const CASE_NAMES: &[&str] = &[$(stringify!($case)),*];

            $(
                #[test]
                fn $case() {
                    super::runners::$runner::case($make, stringify!($case));
                }
            )*

            #[test]
            fn matches_reference_model() {
                super::runners::$runner::model($make);
            }
        }
    };
}

/// The per-engine test list is the exported suite, case for case.
#[test]
fn test_list_matches_exported_cases() {
    let exported: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(memory::CASE_NAMES, exported.as_slice(), "the conformance_tests! list and dcb_sim::conformance::CASES differ");
}

// ---------------------------------------------------------------------------
// Reference model and property test
// ---------------------------------------------------------------------------

/// A brute-force reference model and the property test comparing an engine
/// with it.
mod model {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

    const TYPES: [&str; 3] = ["A", "B", "C"];
    const TAGS: [&str; 4] = ["t1", "t2", "t3", "t4"];

    /// A position spec resolved against the model's head when the op runs,
    /// so boundaries (head, head ± 1) are hit often.
    #[derive(Debug, Clone, Copy)]
    pub enum Pos {
        /// An absolute position.
        Abs(u64),
        /// `head + offset`, clamped at the lowest valid value.
        Rel(i64),
    }

    impl Pos {
        fn resolve(self, head: Position, min: Position) -> Position {
            match self {
                Pos::Abs(p) => p.max(min),
                Pos::Rel(d) => (head as i64 + d).max(min as i64) as Position,
            }
        }
    }

    /// One step of a random history.
    #[derive(Debug, Clone)]
    pub enum Op {
        /// Append `events` under an optional `(query, after)` condition.
        Append { events: Vec<Event>, condition: Option<(Query, Option<Pos>)> },
        /// Read `query` with `from`, `backwards`, `limit`.
        Read { query: Query, from: Option<Pos>, backwards: bool, limit: Option<usize> },
    }

    /// The reference: a `Vec` and linear scans, independent of the crate's
    /// own matching code.
    #[derive(Debug, Default)]
    pub struct Model {
        log: Vec<SequencedEvent>,
    }

    fn item_matches(item: &QueryItem, e: &Event) -> bool {
        let type_ok = item.types.is_empty() || item.types.contains(&e.event_type);
        let tags_ok = item.tags.iter().all(|t| e.tags.iter().any(|et| et.as_str() == t.as_str()));
        type_ok && tags_ok
    }

    fn query_matches(q: &Query, e: &Event) -> bool {
        match q {
            Query::All => true,
            Query::Items(items) => items.iter().any(|i| item_matches(i, e)),
        }
    }

    impl Model {
        pub fn head(&self) -> Position {
            self.log.len() as Position
        }

        pub fn read(&self, q: &Query, o: ReadOptions) -> Vec<SequencedEvent> {
            let mut out: Vec<SequencedEvent> = self
                .log
                .iter()
                .filter(|e| match o.from {
                    None => true,
                    Some(f) if o.backwards => e.position <= f,
                    Some(f) => e.position >= f,
                })
                .filter(|e| query_matches(q, &e.event))
                .cloned()
                .collect();
            if o.backwards {
                out.reverse();
            }
            if let Some(n) = o.limit {
                out.truncate(n);
            }
            out
        }

        pub fn append(&mut self, events: Vec<Event>, c: Option<AppendCondition>) -> Result<Position, StoreError> {
            if let Some(c) = c {
                let after = c.after.unwrap_or(0);
                if let Some(hit) =
                    self.log.iter().find(|e| e.position > after && query_matches(&c.fail_if_events_match, &e.event))
                {
                    return Err(StoreError::ConditionFailed { conflicting: Some(hit.position), after: c.after });
                }
            }
            for event in events {
                let position = self.head() + 1;
                self.log.push(SequencedEvent::new(position, event));
            }
            Ok(self.head())
        }
    }

    fn subset(pool: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<String>> {
        proptest::sample::subsequence(pool, 0..=max).prop_map(|v| v.into_iter().map(String::from).collect())
    }

    fn event_strategy() -> impl Strategy<Value = Event> {
        (proptest::sample::select(&TYPES[..]), subset(&TAGS, 3), 0u8..10)
            .prop_map(|(t, tags, d)| Event::new(t, tags, format!("{{\"d\":{d}}}")).unwrap())
    }

    fn item_strategy() -> impl Strategy<Value = QueryItem> {
        (subset(&TYPES, 2), subset(&TAGS, 2)).prop_map(|(types, tags)| {
            // Keep queries valid: an item needs types or tags.
            let types = if types.is_empty() && tags.is_empty() { vec!["A".to_string()] } else { types };
            QueryItem::new().types(types).tags(tags)
        })
    }

    fn query_strategy() -> impl Strategy<Value = Query> {
        prop_oneof![
            1 => Just(Query::all()),
            4 => proptest::collection::vec(item_strategy(), 1..=3).prop_map(|items| Query::from_items(items).unwrap()),
        ]
    }

    fn pos_strategy() -> impl Strategy<Value = Pos> {
        prop_oneof![(0u64..12).prop_map(Pos::Abs), (-4i64..=2).prop_map(Pos::Rel)]
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        let append = (
            proptest::collection::vec(event_strategy(), 1..=3),
            proptest::option::weighted(0.7, (query_strategy(), proptest::option::weighted(0.7, pos_strategy()))),
        )
            .prop_map(|(events, condition)| Op::Append { events, condition });
        let read = (
            query_strategy(),
            proptest::option::weighted(0.5, pos_strategy()),
            any::<bool>(),
            proptest::option::weighted(0.4, 0usize..5),
        )
            .prop_map(|(query, from, backwards, limit)| Op::Read { query, from, backwards, limit });
        prop_oneof![append, read]
    }

    /// Runs `ops` on `store` and on the model, comparing every result and
    /// the final log.
    async fn compare<S: EventStore>(store: S, ops: Vec<Op>) -> Result<(), TestCaseError> {
        let mut model = Model::default();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Append { events, condition } => {
                    let condition =
                        condition.map(|(q, after)| AppendCondition::new(q, after.map(|p| p.resolve(model.head(), 0))));
                    let expected = model.append(events.clone(), condition.clone());
                    let actual = store.append(events, condition.clone()).await;
                    prop_assert_eq!(actual, expected, "op {}: append with condition {:?}", i, condition);
                }
                Op::Read { query, from, backwards, limit } => {
                    let options = ReadOptions { from: from.map(|p| p.resolve(model.head(), 1)), backwards, limit };
                    let expected = model.read(&query, options);
                    let actual = store.read(&query, options).await;
                    prop_assert_eq!(actual, Ok(expected), "op {}: read {:?} {:?}", i, query, options);
                }
            }
        }
        let expected = model.read(&Query::all(), ReadOptions::default());
        prop_assert_eq!(store.read(&Query::all(), ReadOptions::default()).await, Ok(expected), "final log");
        Ok(())
    }

    /// Cases of the property test for in-process engines.
    pub const CASES: u32 = 256;

    /// Property test: random histories give identical results on the engine
    /// built by `make` and on the model (`cases` cases, each run with `exec`).
    pub fn run_model_check<S, M, MF>(exec: &impl crate::store_conformance::runners::Exec, make: M, cases: u32)
    where
        S: EventStore,
        M: Fn() -> MF,
        MF: Future<Output = S>,
    {
        let config = Config {
            cases,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
                "proptest-regressions/store_conformance.txt",
            ))),
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&proptest::collection::vec(op_strategy(), 1..=30), |ops| {
            exec.block_on(async {
                let store = make().await;
                compare(store, ops).await
            })
        });
        if let Err(e) = result {
            panic!("engine differs from the reference model: {e}");
        }
    }
}

// ---------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------

conformance_tests!(memory, || async { dcb_sim::store::MemoryStore::new() });
conformance_tests!(sqlite_memory, || async {
    crate::store_conformance::engines::Erased::new(dcb_sim::store::SqliteStore::open_in_memory().expect("open SQLite :memory:"))
});
conformance_tests!(sqlite_file, runner = madsim_fsync_rt, || async { crate::store_conformance::engines::Erased::new(crate::store_conformance::engines::TempSqlite::new()) });
conformance_tests!(postgres, runner = postgres_rt, || crate::store_conformance::engines::postgres(false));

/// Store factories for the durable engines.
mod engines {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};

    use dcb_sim::store::{PgOptions, PostgresStore, SqliteStore};

    use super::*;

    /// A file-backed SQLite store in a fresh file under the temp dir; the
    /// file (and its WAL) is removed when the store is dropped.
    pub struct TempSqlite {
        store: SqliteStore,
        path: PathBuf,
    }

    impl TempSqlite {
        pub fn new() -> Self {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("dcb-conformance-{}-{n}.db", std::process::id()));
            remove(&path);
            TempSqlite { store: SqliteStore::open(&path).expect("open SQLite file"), path }
        }
    }

    fn remove(path: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }

    impl Drop for TempSqlite {
        fn drop(&mut self) {
            remove(&self.path);
        }
    }

    impl EventStore for TempSqlite {
        fn read(
            &self,
            query: &Query,
            options: ReadOptions,
        ) -> impl Future<Output = Result<Vec<SequencedEvent>, StoreError>> + Send {
            EventStore::read(&self.store, query, options)
        }

        fn append(
            &self,
            events: Vec<Event>,
            condition: Option<AppendCondition>,
        ) -> impl Future<Output = Result<Position, StoreError>> + Send {
            EventStore::append(&self.store, events, condition)
        }
    }

    /// A type-erased engine (the suite's own [`ErasedStore`]): the cases
    /// and the model test are compiled once for it instead of once per
    /// engine type; each call is the engine's own future, boxed.
    pub type Erased = dcb_sim::conformance::ErasedStore<'static>;

    /// A PostgreSQL store on a fresh schema of `DCB_PG_URL` (the runner
    /// checked that it is set); `prewarm` opens all 8 connections up
    /// front, so that concurrent appends really race instead of queueing
    /// behind connection setup.
    pub async fn postgres_store(prewarm: bool) -> PostgresStore {
        let url = std::env::var("DCB_PG_URL").expect("the postgres runner checks DCB_PG_URL first");
        let store = PostgresStore::connect(&url, PgOptions::fresh("dcb_conf")).await.expect("connect to DCB_PG_URL");
        if prewarm {
            store.prewarm().await.expect("open connections");
        }
        store
    }

    /// [`postgres_store`], erased.
    pub async fn postgres(prewarm: bool) -> Erased {
        Erased::new(postgres_store(prewarm).await)
    }
}

/// The unsafe check-then-insert (the simulator's `NonAtomicStore` over
/// PostgreSQL: the check is one read transaction, the insert another,
/// with no lock in between) against the concurrency case of the suite,
/// with real parallel connections; and the engine itself against the same
/// case as many times.
mod postgres_non_atomic {
    use std::sync::Arc;

    use dcb_sim::conformance::cases::RACE_WRITERS;
    use dcb_sim::retry::TokioSleeper;
    use dcb_sim::sim::plants::NonAtomicStore;
    use tokio::sync::Barrier;

    use super::runners::{Tokio, run_case, try_case};
    use super::*;

    /// Rounds of the 8-writer case, for each store.
    const ROUNDS: usize = 30;

    /// Appends of the case that race (its 8 concurrent appends).
    const WRITERS: usize = RACE_WRITERS;

    /// The case under test.
    const CASE: &str = "concurrent_conditional_appends_one_wins";

    /// Placed under the `NonAtomicStore` (which calls it between its check
    /// and its insert): every append waits until all [`WRITERS`] appends
    /// have made their check, so the race happens in every round, not
    /// when the clock happens to interleave the appends.
    struct InsertAfterAllChecked<S> {
        inner: S,
        barrier: Arc<Barrier>,
    }

    impl<S: EventStore> EventStore for InsertAfterAllChecked<S> {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            self.inner.read(query, options).await
        }

        async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            // Bounded, so that a broken case fails instead of hanging.
            tokio::time::timeout(std::time::Duration::from_secs(60), self.barrier.wait())
                .await
                .expect("not all 8 appends reached the insert within 60 s");
            self.inner.append(events, condition).await
        }
    }

    /// The check-then-insert fails `concurrent_conditional_appends_one_wins`
    /// in every round: all eight appends pass the same condition.
    #[test]
    fn non_atomic_fails_concurrent_conditional_appends_one_wins() {
        if dcb_sim::store::postgres::test_url("store_conformance::postgres_non_atomic").is_none() {
            return;
        }
        let exec = Tokio::new();
        for round in 1..=ROUNDS {
            let make = || async {
                let inner = InsertAfterAllChecked { inner: super::engines::postgres_store(true).await, barrier: Arc::new(Barrier::new(WRITERS)) };
                super::engines::Erased::new(NonAtomicStore::with_sleeper(inner, TokioSleeper::new(), TokioSleeper::MIN_SLEEP))
            };
            let Err(failure) = try_case(&exec, make, CASE) else {
                panic!("round {round}: the check-then-insert passed the concurrent case: the test no longer shows its race");
            };
            let CaseFailure::Mismatch { check, .. } = &failure else {
                panic!("round {round}: failed for another reason: {failure}");
            };
            assert!(check.contains("exactly one append wins"), "round {round}: failed another check: {failure}");
            let wins = check.matches("Ok(").count();
            assert_eq!(wins, WRITERS, "round {round}: with every check made before any insert, all {WRITERS} appends must win: {failure}");
        }
        eprintln!("check-then-insert over PostgreSQL: all {WRITERS} appends passed the same condition in each of {ROUNDS} rounds");
    }

    /// The engine passes the same case every time.
    #[test]
    fn engine_passes_concurrent_conditional_appends_one_wins_repeatedly() {
        if dcb_sim::store::postgres::test_url("store_conformance::postgres_non_atomic").is_none() {
            return;
        }
        let exec = Tokio::new();
        for _ in 0..ROUNDS {
            run_case(&exec, || super::engines::postgres(true), CASE);
        }
    }
}

// ---------------------------------------------------------------------------
// The exported entry points
// ---------------------------------------------------------------------------

/// `dcb_sim::conformance` as a user calls it: `check` over a whole suite,
/// the report, failures that name the rule, panics caught per case, and
/// the simulator's planted stores caught by the cases they break.
mod suite_api {
    use std::collections::BTreeSet;

    use dcb_sim::conformance::{self, ConformanceReport};
    use dcb_sim::sim::plants::{AfterEqualityStore, NonAtomicStore};
    use dcb_sim::store::MemoryStore;

    use super::*;

    const RACE: &str = "concurrent_conditional_appends_one_wins";

    /// The names of the failed cases.
    fn failed(report: &ConformanceReport) -> Vec<&'static str> {
        report.failed().map(|r| r.case.name).collect()
    }

    /// Names are unique, rules are one non-empty line, lookup by name works.
    #[test]
    fn cases_have_unique_names_and_one_line_rules() {
        let names: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), CASES.len(), "duplicate case names");
        for case in CASES {
            assert!(!case.rule.trim().is_empty() && !case.rule.contains('\n'), "{case:?}: the rule must be one non-empty line");
            assert_eq!(Case::named(case.name), Some(case));
        }
        assert_eq!(Case::named("no_such_case"), None);
    }

    /// The one call, on the reference engine in the simulator: every case
    /// runs, in order, and passes.
    #[test]
    fn check_runs_every_case_and_the_memory_engine_passes_all() {
        let report = conformance::check_in_madsim(|| async { MemoryStore::new() });
        let ran: Vec<&str> = report.results().iter().map(|r| r.case.name).collect();
        assert_eq!(ran, CASES.iter().map(|c| c.name).collect::<Vec<_>>());
        assert!(report.all_passed(), "{report}");
        assert_eq!(
            report.to_string(),
            format!(
                "DCB conformance: {n} of {n} cases passed (DCB specification: 22 of 22 passed; dcb-sim input profile: 11 of 11 passed)",
                n = CASES.len()
            )
        );
        report.assert_all_passed();
    }

    /// The same call inside a tokio runtime (no madsim): the suite itself
    /// needs no particular runtime, and its future is `Send` (spawnable).
    #[test]
    fn check_runs_on_a_tokio_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let report = rt.block_on(async { tokio::spawn(conformance::check(|| async { MemoryStore::new() })).await.expect("not panicked") });
        assert_eq!(report.results().len(), CASES.len());
        report.assert_all_passed();
    }

    /// The one call on a real engine, in a multi-thread tokio runtime:
    /// PostgreSQL, a fresh schema per case. Needs `DCB_PG_URL`.
    #[test]
    fn check_runs_on_postgres_in_tokio() {
        if dcb_sim::store::postgres::test_url("store_conformance::suite_api").is_none() {
            return;
        }
        let rt = super::runners::Tokio::new();
        let report = super::runners::Exec::block_on(&rt, conformance::check(|| super::engines::postgres_store(false)));
        assert_eq!(report.results().len(), CASES.len());
        report.assert_all_passed();
    }

    /// Check-then-insert in the simulator (madsim time between check and
    /// insert): the race case catches it on every run, all 8 appends win;
    /// no other case notices.
    #[test]
    fn non_atomic_store_fails_exactly_the_race_case() {
        for _ in 0..3 {
            let report = conformance::check_in_madsim(|| async { NonAtomicStore::new(MemoryStore::new()) });
            assert_eq!(failed(&report), [RACE], "{report}");
            let failure = report.get(RACE).and_then(|r| r.failure()).expect("the race case failed");
            let CaseFailure::Mismatch { check, actual, .. } = failure else { panic!("{failure}") };
            assert!(check.contains("exactly one append wins"), "{failure}");
            assert_eq!(check.matches("Ok(").count(), 8, "all 8 appends pass the same check: {failure}");
            assert_eq!(*actual, "[1, 2, 3, 4, 5, 6, 7, 8]", "{failure}");
        }
    }

    /// A condition compared by equality with `after + 1`: the `after`
    /// cases fail, and the report says which rule and how.
    #[test]
    fn after_equality_store_fails_the_after_rule_with_a_clear_message() {
        let report = conformance::check_in_madsim(|| async { AfterEqualityStore::new(MemoryStore::new()) });
        let failed = failed(&report);
        assert!(failed.contains(&"condition_with_after_is_strictly_greater"), "{report}");
        assert!(!failed.contains(&"limit") && !failed.contains(&"empty_store_read"), "{report}");
        assert_eq!(report.passed().count() + failed.len(), CASES.len());
        let result = report.get("condition_with_after_is_strictly_greater").expect("ran");
        let text = result.to_string();
        for part in ["FAIL condition_with_after_is_strictly_greater [DCB specification]", result.case.rule, "expected", "got", "src/conformance/cases.rs:"] {
            assert!(text.contains(part), "the failure should mention {part:?}: {text}");
        }
        // The report lists every failed case; assert_all_passed panics with it.
        let shown = report.to_string();
        for name in &failed {
            assert!(shown.contains(&format!("FAIL {name} [")), "{name} missing from the report: {shown}");
        }
        let panic = std::panic::catch_unwind(|| report.assert_all_passed()).expect_err("a case failed");
        let msg = panic.downcast_ref::<String>().expect("a formatted message");
        assert!(msg.contains(&shown), "assert_all_passed should list every failed case: {msg}");
    }

    /// A store that panics in `append`.
    struct PanicsOnAppend(MemoryStore);

    impl EventStore for PanicsOnAppend {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            self.0.read(query, options).await
        }

        async fn append(&self, _: Vec<Event>, _: Option<AppendCondition>) -> Result<Position, StoreError> {
            panic!("disk on fire");
        }
    }

    /// A panic in the store fails the case it happens in, and only that
    /// one: every case still runs.
    #[test]
    fn a_panicking_store_fails_each_case_without_stopping_the_others() {
        let report = conformance::check_in_madsim(|| async { PanicsOnAppend(MemoryStore::new()) });
        assert_eq!(report.results().len(), CASES.len());
        // The only case that never appends.
        assert_eq!(report.passed().map(|r| r.case.name).collect::<Vec<_>>(), ["empty_store_read"], "{report}");
        for result in report.failed() {
            let failure = result.failure().expect("failed");
            assert!(matches!(failure, CaseFailure::Panicked { message } if message == "disk on fire"), "{result}");
        }
    }

    /// A panic in the factory is reported for each case it should have
    /// built a store for.
    #[test]
    fn a_panicking_factory_is_reported_per_case() {
        let cases = ["limit", RACE].map(|n| Case::named(n).expect("exists"));
        let report = madsim::runtime::Runtime::new().block_on(conformance::check_cases(cases, || async {
            if true {
                panic!("no database");
            }
            MemoryStore::new()
        }));
        assert_eq!(failed(&report), ["limit", RACE]);
        for result in report.results() {
            assert_eq!(result.outcome, Err(CaseFailure::FactoryPanicked { message: "no database".into() }));
        }
    }

    /// One case on a store built by hand.
    #[test]
    fn a_case_runs_on_a_given_store() {
        madsim::runtime::Runtime::new().block_on(async {
            assert_eq!(Case::named("limit").expect("exists").run(MemoryStore::new()).await, Ok(()));
            let store = MemoryStore::new();
            store.append(vec![Event::new("A", ["t:1"], "{}").expect("valid")], None).await.expect("append");
            // Not empty: the first append of the standard log gets position 2.
            let outcome = Case::named("limit").expect("exists").run(store).await;
            assert!(matches!(&outcome, Err(CaseFailure::Mismatch { check, .. }) if check.contains("seeding the standard log")), "{outcome:?}");
        });
    }
}

// ---------------------------------------------------------------------------
// Issue 22: the race on OS threads, specification vs profile, crashes,
// errors a third-party engine can express
// ---------------------------------------------------------------------------

/// Planted adapters of the kind a user puts in front of an embedded
/// engine, each with one bug (or none), in test code only.
mod plants22 {
    use std::sync::Mutex;

    use dcb_sim::store::MemoryStore;

    use super::*;

    /// A store shared by threads that checks the condition and then
    /// inserts **without holding one lock over both**: the check and the
    /// insert each lock the log separately, with a `yield_now` between.
    /// With `overwrite`, the position is also taken at check time and the
    /// insert writes it there (overwriting a racing winner's event): the
    /// engine loses acknowledged writes too.
    pub struct CheckThenInsert {
        log: Mutex<Vec<SequencedEvent>>,
        overwrite: bool,
    }

    impl CheckThenInsert {
        pub fn new(overwrite: bool) -> Self {
            CheckThenInsert { log: Mutex::new(Vec::new()), overwrite }
        }

        fn append_now(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            dcb_sim::store::validate_append(&events, condition.as_ref())?;
            let count = events.len();
            let reserved = {
                let log = self.log.lock().expect("not poisoned");
                if let Some(c) = &condition {
                    let after = c.after.unwrap_or(0);
                    if let Some(hit) = log.iter().find(|e| e.position > after && c.fail_if_events_match.matches(&e.event)) {
                        return Err(StoreError::ConditionFailed { conflicting: Some(hit.position), after: c.after });
                    }
                }
                log.len()
            };
            std::thread::yield_now();
            let mut log = self.log.lock().expect("not poisoned");
            let start = if self.overwrite { reserved } else { log.len() };
            for (i, event) in events.into_iter().enumerate() {
                let at = start + i;
                let sequenced = SequencedEvent::new(at as Position + 1, event);
                if at < log.len() {
                    log[at] = sequenced;
                } else {
                    log.push(sequenced);
                }
            }
            Ok((start + count) as Position)
        }
    }

    impl EventStore for CheckThenInsert {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            let log = self.log.lock().expect("not poisoned").clone();
            let reference = MemoryStore::new();
            for e in log {
                reference.append(vec![(*e.event).clone()], None).await?;
            }
            reference.read(query, options).await
        }

        async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            self.append_now(events, condition)
        }
    }

    /// A correct store that serialises every call with one global lock
    /// held across the whole call.
    pub struct Serialised(pub Mutex<MemoryStore>);

    impl EventStore for Serialised {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            self.0.lock().expect("not poisoned").read_now(query, options)
        }

        async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            self.0.lock().expect("not poisoned").append_now(events, condition)
        }
    }

    /// What makes the calls never overlap: an executor that drives one
    /// future at a time in the whole process (one lock over `block_on`),
    /// as an adapter that funnels every call through one worker would.
    pub struct OneAtATime(pub Mutex<()>);

    impl dcb_sim::conformance::BlockOn for OneAtATime {
        fn block_on<F: Future>(&self, future: F) -> F::Output {
            let _one = self.0.lock().expect("not poisoned");
            dcb_sim::conformance::ParkThread.block_on(future)
        }
    }

    /// A third-party-like engine over the reference engine: it rejects
    /// input by its own rules (dcb-sim's `InvalidInput` becomes the
    /// engine's message in `StoreError::Rejected`) and cannot say where a
    /// condition failed (`conflicting: None`). With `wrong_position`, it
    /// names a position, but one past the right one.
    pub struct ThirdParty {
        pub inner: MemoryStore,
        pub wrong_position: bool,
    }

    impl ThirdParty {
        fn map(&self, e: StoreError) -> StoreError {
            match e {
                StoreError::InvalidInput(i) => StoreError::Rejected { reason: format!("engine says: {i}") },
                StoreError::ConditionFailed { conflicting, after } => StoreError::ConditionFailed {
                    conflicting: if self.wrong_position { conflicting.map(|p| p + 1) } else { None },
                    after,
                },
                other => other,
            }
        }
    }

    impl EventStore for ThirdParty {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            self.inner.read(query, options).await.map_err(|e| self.map(e))
        }

        async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            self.inner.append(events, condition).await.map_err(|e| self.map(e))
        }
    }

    /// An adapter that aborts the process on a read with `limit:
    /// Some(usize::MAX)` (the engine allocates a buffer of that size), as
    /// the user's engine did with `u32::MAX`.
    pub struct AbortsOnHugeLimit(pub MemoryStore);

    impl EventStore for AbortsOnHugeLimit {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            if options.limit == Some(usize::MAX) {
                std::process::abort();
            }
            self.0.read(query, options).await
        }

        async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            self.0.append(events, condition).await
        }
    }
}

/// The race on real OS threads ([`dcb_sim::conformance::race_on_threads`]).
mod thread_race {
    use std::sync::Mutex;

    use dcb_sim::conformance::{self, RaceVerdict, ThreadRace, race_on_threads};
    use dcb_sim::store::{MemoryStore, SqliteStore};

    use super::plants22::{CheckThenInsert, OneAtATime, Serialised};
    use super::*;

    /// Rounds for the planted adapters (8 threads each).
    const ROUNDS: usize = 60;

    /// The check-then-insert over a store shared by threads: caught by the
    /// race on threads (more than one winner), although every call of it
    /// completes without awaiting.
    #[test]
    fn check_then_insert_on_threads_has_more_than_one_winner() {
        let store = CheckThenInsert::new(false);
        let report = race_on_threads(&store, &ThreadRace::new(8, ROUNDS));
        eprintln!("check-then-insert: {report}");
        assert_eq!(report.verdict, RaceVerdict::Failed, "{report}");
        assert!(report.multi_winner_rounds > 0, "{report}");
        assert!(report.overlapped_rounds > 0, "{report}");
        assert!(report.to_string().contains("rounds with more than one winner"), "{report}");
    }

    /// The same adapter that also takes its position at check time loses
    /// acknowledged writes (two winners at one position, one overwritten):
    /// the race counts them.
    #[test]
    fn check_then_insert_that_overwrites_loses_acknowledged_writes() {
        let store = CheckThenInsert::new(true);
        let report = race_on_threads(&store, &ThreadRace::new(8, ROUNDS));
        eprintln!("check-then-insert, overwriting: {report}");
        assert_eq!(report.verdict, RaceVerdict::Failed, "{report}");
        assert!(report.multi_winner_rounds > 0 && report.lost_writes > 0, "{report}");
    }

    /// The whole suite on that adapter: its join race cannot see the bug
    /// (every call completes in its first poll), so the race case runs on
    /// threads and fails with the thread race's report; no other case
    /// fails.
    #[test]
    fn the_suite_catches_check_then_insert_on_threads() {
        let report = conformance::check_in_madsim(|| async { CheckThenInsert::new(false) });
        let failed: Vec<&str> = report.failed().map(|r| r.case.name).collect();
        assert_eq!(failed, ["concurrent_conditional_appends_one_wins"], "{report}");
        let failure = report.get("concurrent_conditional_appends_one_wins").and_then(|r| r.failure()).expect("failed");
        let CaseFailure::ThreadRace(race) = failure else { panic!("expected the thread race's failure: {failure}") };
        assert!(race.multi_winner_rounds > 0, "{race}");
        eprintln!("suite on check-then-insert: {report}");
    }

    /// A correct store that serialises every call, driven so that calls
    /// never overlap: "race not exercised", not a pass.
    #[test]
    fn calls_that_never_overlap_are_not_exercised() {
        let store = Serialised(Mutex::new(MemoryStore::new()));
        let report = race_on_threads(&store, &ThreadRace::new(8, 10).executor(OneAtATime(Mutex::new(()))));
        assert_eq!(report.verdict, RaceVerdict::NotExercised, "{report}");
        assert_eq!((report.overlapped_rounds, report.max_in_flight), (0, 1), "{report}");
        assert!(report.to_string().contains("race not exercised"), "{report}");
        assert!(std::panic::catch_unwind(|| report.assert_passed()).is_err(), "not exercised must not pass");
        // With calls that may overlap, the same store passes.
        let report = race_on_threads(&store, &ThreadRace::new(8, 10));
        assert_eq!(report.verdict, RaceVerdict::Passed, "{report}");
    }

    /// A report with a case not exercised: counted apart, not a pass.
    #[test]
    fn a_case_not_exercised_is_not_a_pass() {
        let case = Case::named("concurrent_conditional_appends_one_wins").expect("exists");
        let report = dcb_sim::conformance::ConformanceReport::new(vec![CaseResult {
            case,
            outcome: Err(CaseFailure::NotExercised { reason: "no overlap".into() }),
        }]);
        assert!(!report.all_passed());
        assert_eq!((report.passed().count(), report.failed().count(), report.not_exercised().count()), (0, 0, 1));
        let text = report.to_string();
        assert!(text.starts_with("DCB conformance: 0 of 1 cases passed, 1 not exercised"), "{text}");
        assert!(text.contains("NOT EXERCISED concurrent_conditional_appends_one_wins"), "{text}");
    }

    fn engine_passes<S: EventStore>(name: &str, store: &S) {
        let report = race_on_threads(store, &ThreadRace::default());
        eprintln!("{name}: {report}");
        report.assert_passed();
    }

    #[test]
    fn memory_engine_passes() {
        engine_passes("memory", &MemoryStore::new());
    }

    #[test]
    fn sqlite_in_memory_passes() {
        engine_passes("sqlite :memory:", &SqliteStore::open_in_memory().expect("open"));
    }

    #[test]
    fn sqlite_file_passes() {
        engine_passes("sqlite file", &super::engines::TempSqlite::new());
    }

    /// PostgreSQL: each thread enters the tokio runtime through its handle.
    #[test]
    fn postgres_passes() {
        if dcb_sim::store::postgres::test_url("store_conformance::thread_race").is_none() {
            return;
        }
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let store = rt.block_on(super::engines::postgres_store(true));
        let report = race_on_threads(&store, &ThreadRace::default().executor(rt.handle().clone()));
        eprintln!("postgres: {report}");
        report.assert_passed();
    }

    /// The memory engine through the suite: the join is not exercised
    /// (calls complete in their first poll), the thread race is, and passes.
    #[test]
    fn the_suite_runs_the_race_on_threads_for_a_blocking_engine() {
        let report = conformance::check_in_madsim(|| async { MemoryStore::new() });
        report.assert_all_passed();
        assert_eq!(report.not_exercised().count(), 0, "{report}");
    }
}

/// Specification apart from dcb-sim's input profile, and the errors a
/// third-party engine can express.
mod spec_and_profile {
    use dcb_sim::conformance::{RuleSource, Suite};
    use dcb_sim::retry::{Classify, ErrorKind};
    use dcb_sim::store::MemoryStore;

    use super::plants22::ThirdParty;
    use super::*;

    /// 22 cases are the specification's, 11 dcb-sim's profile, and the
    /// profile's are exactly the input rules.
    #[test]
    fn every_case_is_labelled() {
        let profile: Vec<&str> = CASES.iter().filter(|c| c.source == RuleSource::InputProfile).map(|c| c.name).collect();
        assert_eq!(
            profile,
            [
                "invalid_empty_append",
                "invalid_empty_query_item",
                "invalid_empty_query",
                "invalid_empty_tag",
                "invalid_empty_event_type",
                "invalid_from_zero",
                "invalid_append_leaves_log_unchanged",
                "error_messages_say_how_to_fix",
                "invalid_oversized_names",
                "invalid_control_characters",
                "names_at_the_limit_round_trip",
            ]
        );
        assert_eq!(CASES.len() - profile.len(), 22);
        assert_eq!(RuleSource::Specification.to_string(), "DCB specification");
        assert_eq!(RuleSource::InputProfile.to_string(), "dcb-sim input profile");
    }

    /// An engine with its own input rules (`Rejected`) and no conflicting
    /// position passes every case of the specification, fails the
    /// profile's input cases, and passes once the profile is waived.
    #[test]
    fn a_third_party_engine_passes_the_specification_and_can_waive_the_profile() {
        let make = || async { ThirdParty { inner: MemoryStore::new(), wrong_position: false } };
        let report = conformance_check(Suite::new(), make);
        assert_eq!(report.score(RuleSource::Specification), (22, 22), "{report}");
        let (profile_passed, profile_ran) = report.score(RuleSource::InputProfile);
        assert_eq!((profile_passed, profile_ran), (1, 11), "{report}");
        assert!(!report.all_passed());
        let text = report.to_string();
        assert!(text.contains("DCB specification: 22 of 22 passed; dcb-sim input profile: 1 of 11 passed"), "{text}");
        assert!(report.failed().all(|r| r.case.source == RuleSource::InputProfile), "{report}");

        let waived = conformance_check(Suite::new().waive_profile(), make);
        assert!(waived.all_passed(), "{waived}");
        waived.assert_all_passed();
        let text = waived.to_string();
        assert!(text.contains("dcb-sim input profile: 1 of 11 passed, waived"), "{text}");
        assert!(text.contains("\n(waived) FAIL invalid_empty_append [dcb-sim input profile]"), "{text}");
    }

    /// A waiver does not hide a broken specification rule.
    #[test]
    fn a_waiver_does_not_waive_the_specification() {
        let report = conformance_check(Suite::new().waive_profile(), || async {
            dcb_sim::sim::plants::AfterEqualityStore::new(MemoryStore::new())
        });
        assert!(!report.all_passed(), "{report}");
    }

    /// The conflicting position is checked when given: a wrong one fails.
    #[test]
    fn a_wrong_conflicting_position_fails_the_cases_that_see_it() {
        let report = conformance_check(Suite::new().waive_profile(), || async { ThirdParty { inner: MemoryStore::new(), wrong_position: true } });
        let failed: Vec<&str> = report.failed().filter(|r| r.case.source == RuleSource::Specification).map(|r| r.case.name).collect();
        for name in ["condition_without_after", "condition_with_after_is_strictly_greater", "condition_failed_carries_first_conflicting_position"] {
            assert!(failed.contains(&name), "{name} should fail: {report}");
        }
    }

    /// The engine's own rejection: not retryable, message kept.
    #[test]
    fn rejected_is_not_retried_and_keeps_the_engines_message() {
        let e = StoreError::Rejected { reason: "key too long (max 64)".into() };
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(e.to_string().contains("key too long (max 64)"), "{e}");
        let none = StoreError::ConditionFailed { conflicting: None, after: Some(3) };
        assert_eq!(none.kind(), ErrorKind::Conflict);
        assert!(none.to_string().contains("position unknown"), "{none}");
    }

    fn conformance_check<S: EventStore, F: FnMut() -> Fut, Fut: Future<Output = S>>(suite: Suite, make: F) -> dcb_sim::conformance::ConformanceReport {
        suite.check_in_madsim(make)
    }
}

/// A case that aborts the process: the progress file names it, and in
/// child processes the other cases still report.
mod crashes {
    use std::process::Command;

    use dcb_sim::conformance::{PROGRESS_ENV, Suite};
    use dcb_sim::store::MemoryStore;

    use super::plants22::AbortsOnHugeLimit;
    use super::*;

    /// Set by [`progress_file_names_the_case_that_aborted`] for its child.
    const PLANT_ABORT: &str = "DCB_TEST_PLANT_ABORT";

    /// Not a test of its own: the child of
    /// [`progress_file_names_the_case_that_aborted`]. It aborts (in case
    /// `limit`) only when that test sets [`PLANT_ABORT`].
    #[test]
    #[ignore = "run by progress_file_names_the_case_that_aborted in a child process"]
    fn aborting_adapter_child() {
        if std::env::var_os(PLANT_ABORT).is_none() {
            return;
        }
        let _ = Suite::new().check_in_madsim(|| async { AbortsOnHugeLimit(MemoryStore::new()) });
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("dcb-conformance-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn progress_file_names_the_case_that_aborted() {
        let progress = temp("progress.txt");
        let status = Command::new(std::env::current_exe().expect("test binary"))
            .args(["store_conformance::crashes::aborting_adapter_child", "--exact", "--ignored", "--test-threads=1"])
            .env(PROGRESS_ENV, &progress)
            .env(PLANT_ABORT, "1")
            .output()
            .expect("run the child");
        assert!(!status.status.success(), "the child should have aborted: {status:?}");
        let text = std::fs::read_to_string(&progress).expect("the progress file was written");
        let _ = std::fs::remove_file(&progress);
        let last = text.lines().last().expect("a line");
        assert_eq!(last, "running: limit", "the last line names the case that aborted:\n{text}");
        assert!(text.contains("done: backwards_is_newest_first: ok\n"), "{text}");
    }

    /// Each case in a child process: `limit` aborts and is reported as
    /// crashed (signal 6), every other case passes.
    #[test]
    fn child_processes_report_an_aborting_case_and_run_the_rest() {
        let report = Suite::new()
            .in_child_processes("store_conformance::crashes::child_processes_report_an_aborting_case_and_run_the_rest")
            .check_in_madsim(|| async { AbortsOnHugeLimit(MemoryStore::new()) });
        let failed: Vec<&str> = report.failed().map(|r| r.case.name).collect();
        assert_eq!(failed, ["limit"], "{report}");
        assert_eq!(report.passed().count(), CASES.len() - 1, "{report}");
        let failure = report.get("limit").and_then(|r| r.failure()).expect("limit failed");
        let CaseFailure::Crashed { status, .. } = failure else { panic!("expected a crash: {failure}") };
        assert!(status.contains("signal 6"), "{failure}");
        eprintln!("{report}");
    }

    /// A wrong test name is reported, not taken for a crash of the store.
    #[test]
    fn a_wrong_test_name_says_so() {
        let cases = [Case::named("limit").expect("exists")];
        let report = madsim::runtime::Runtime::new().block_on(
            Suite::new().in_child_processes("no::such::test").check_cases(cases, || async { MemoryStore::new() }),
        );
        let failure = report.get("limit").and_then(|r| r.failure()).expect("failed");
        assert!(failure.to_string().contains("ran no test named \"no::such::test\""), "{failure}");
    }
}
