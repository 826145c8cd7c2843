//! DCB store conformance suite.
//!
//! Every [`EventStore`] engine (the in-memory reference engine, SQLite on
//! `:memory:` and on a file, PostgreSQL with a fresh schema per test) must
//! pass this suite unchanged. It pins down the semantic choices documented in
//! `src/store/mod.rs` and `DESIGN.md` ("DCB store semantics"): inclusive
//! `from`, `limit: Some(0)` = no events, OR of items / any-of types / all-of
//! tags, strictly-greater `after`, all-or-nothing appends, typed
//! [`InvalidInput`] errors instead of panics.
//!
//! # Layout
//!
//! * [`fixtures`]: event/query builders and the standard 8-event log.
//! * [`cases`]: one generic `async fn name<S: EventStore>(store: S)` per case.
//!   Cases only use the trait, so they hold for any engine.
//! * [`conformance_tests!`]: instantiates every case (plus the model-based
//!   property test) as `#[test]` functions for one engine, each on a fresh
//!   store, on a fresh madsim runtime (or, for engines with real I/O, a
//!   multi-thread tokio runtime: see [`runners`]).
//! * [`model`]: a brute-force reference model (a `Vec` and a linear filter)
//!   and a property test that compares an engine with it over random
//!   sequences of appends (with random conditions) and reads.
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
//! fresh, empty store. Tests are then named `sqlite::<case>`, e.g.
//! `cargo test --test store_conformance sqlite::`.
//!
//! To add a case, write `async fn new_case<S: EventStore>(store: S)` in
//! [`cases`] and add its name to the list in [`conformance_tests!`].
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
//! Run: `cargo test --test store_conformance` (needs `--cfg madsim`, set in
//! `.cargo/config.toml`).

#[cfg(not(madsim))]
compile_error!(
    "sim-tests need --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)"
);

use std::future::Future;

use dcb_sim::store::{
    AppendCondition, Event, EventStore, InvalidInput, Position, Query, QueryItem, ReadOptions, SequencedEvent,
    StoreError,
};

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// Builders shared by the cases and the model test.
mod fixtures {
    use super::*;

    /// A valid event (panics on invalid fixture input: a test bug).
    pub fn ev(event_type: &str, tags: &[&str]) -> Event {
        ev_data(event_type, tags, "{}")
    }

    /// A valid event with a payload.
    pub fn ev_data(event_type: &str, tags: &[&str], data: &str) -> Event {
        Event::new(event_type, tags.iter().copied(), data).expect("fixture event is valid")
    }

    /// A query item (not validated).
    pub fn item(types: &[&str], tags: &[&str]) -> QueryItem {
        QueryItem::new().types(types.iter().copied()).tags(tags.iter().copied())
    }

    /// A validated query of `items`.
    pub fn q(items: Vec<QueryItem>) -> Query {
        Query::from_items(items).expect("fixture query is valid")
    }

    /// A validated single-item query.
    pub fn q1(types: &[&str], tags: &[&str]) -> Query {
        q(vec![item(types, tags)])
    }

    /// Read options.
    pub fn opts(from: Option<Position>, backwards: bool, limit: Option<usize>) -> ReadOptions {
        ReadOptions { from, backwards, limit }
    }

    /// Forward read with no `from` and no limit.
    pub fn fwd() -> ReadOptions {
        ReadOptions::default()
    }

    /// Backward read with no `from` and no limit.
    pub fn bwd() -> ReadOptions {
        opts(None, true, None)
    }

    /// A condition.
    pub fn cond(query: Query, after: Option<Position>) -> Option<AppendCondition> {
        Some(AppendCondition::new(query, after))
    }

    /// The positions of a read result.
    pub fn positions(events: &[SequencedEvent]) -> Vec<Position> {
        events.iter().map(|e| e.position).collect()
    }

    /// The standard log, appended one event per call at positions 1..=8:
    ///
    /// | pos | type                  | tags                  |
    /// |-----|-----------------------|-----------------------|
    /// | 1   | CourseCreated         | course:c1             |
    /// | 2   | CourseCreated         | course:c2             |
    /// | 3   | StudentRegistered     | student:s1            |
    /// | 4   | StudentEnrolled       | course:c1, student:s1 |
    /// | 5   | StudentEnrolled       | course:c2, student:s1 |
    /// | 6   | CourseCapacityChanged | course:c1             |
    /// | 7   | StudentRegistered     | student:s2            |
    /// | 8   | StudentEnrolled       | course:c1, student:s2 |
    pub fn standard_events() -> Vec<Event> {
        vec![
            ev_data("CourseCreated", &["course:c1"], r#"{"n":1}"#),
            ev_data("CourseCreated", &["course:c2"], r#"{"n":2}"#),
            ev_data("StudentRegistered", &["student:s1"], r#"{"n":3}"#),
            ev_data("StudentEnrolled", &["course:c1", "student:s1"], r#"{"n":4}"#),
            ev_data("StudentEnrolled", &["course:c2", "student:s1"], r#"{"n":5}"#),
            ev_data("CourseCapacityChanged", &["course:c1"], r#"{"n":6}"#),
            ev_data("StudentRegistered", &["student:s2"], r#"{"n":7}"#),
            ev_data("StudentEnrolled", &["course:c1", "student:s2"], r#"{"n":8}"#),
        ]
    }

    /// Appends [`standard_events`] one by one and checks the returned positions.
    pub async fn seed_standard<S: EventStore>(store: &S) {
        for (i, e) in standard_events().into_iter().enumerate() {
            let pos = store.append(vec![e], None).await.expect("seed append");
            assert_eq!(pos, i as Position + 1, "seed append {i} got the wrong position");
        }
    }

    /// The whole log, ascending.
    pub async fn read_all<S: EventStore>(store: &S) -> Vec<SequencedEvent> {
        store.read(&Query::all(), fwd()).await.expect("read all")
    }

    /// Reads `query` with `options` and returns the positions.
    pub async fn read_pos<S: EventStore>(store: &S, query: &Query, options: ReadOptions) -> Vec<Position> {
        positions(&store.read(query, options).await.expect("valid read"))
    }

    /// An event of a type/tag no case queries for, used to probe "did the
    /// append go through and at which position".
    pub fn unrelated() -> Event {
        ev("Unrelated", &["other:x"])
    }
}

use fixtures::*;

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
    pub struct Madsim;

    impl Exec for Madsim {
        fn block_on<F: Future>(&self, f: F) -> F::Output {
            madsim::runtime::Runtime::new().block_on(f)
        }
    }

    /// One multi-thread tokio runtime (2 workers, real time): engines with
    /// real I/O (PostgreSQL), where spawned tasks run truly in parallel.
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

    /// Builds a fresh store with `make` and runs `case` on it with `exec`.
    pub fn run_case<S, M, MF, C, CF>(exec: &impl Exec, make: M, case: C)
    where
        M: FnOnce() -> MF,
        MF: Future<Output = S>,
        C: FnOnce(S) -> CF,
        CF: Future<Output = ()>,
    {
        exec.block_on(async move {
            let store = make().await;
            case(store).await;
        });
    }

    /// In-process engines: madsim runtime, always available.
    pub mod madsim_rt {
        use super::*;
        pub fn case<S, M, MF, C, CF>(make: M, case: C)
        where
            M: FnOnce() -> MF,
            MF: Future<Output = S>,
            C: FnOnce(S) -> CF,
            CF: Future<Output = ()>,
        {
            run_case(&Madsim, make, case);
        }
        pub fn model<S: EventStore, M: Fn() -> MF, MF: Future<Output = S>>(make: M) {
            crate::model::run_model_check(&Madsim, make, crate::model::CASES);
        }
    }

    /// In-process engines that fsync every append (SQLite on a file): as
    /// [`madsim_rt`] with a quarter of the property-test cases (the SQL is
    /// the same as on `:memory:`, which runs them all).
    pub mod madsim_fsync_rt {
        pub use super::madsim_rt::case;
        use super::*;
        pub fn model<S: EventStore, M: Fn() -> MF, MF: Future<Output = S>>(make: M) {
            crate::model::run_model_check(&Madsim, make, crate::model::CASES / 4);
        }
    }

    /// PostgreSQL: tokio runtime; skipped (or failed in CI) without `DCB_PG_URL`.
    pub mod postgres_rt {
        use super::*;
        pub fn case<S, M, MF, C, CF>(make: M, case: C)
        where
            M: FnOnce() -> MF,
            MF: Future<Output = S>,
            C: FnOnce(S) -> CF,
            CF: Future<Output = ()>,
        {
            if dcb_sim::store::postgres::test_url("store_conformance::postgres").is_some() {
                run_case(&Tokio::new(), make, case);
            }
        }
        pub fn model<S: EventStore, M: Fn() -> MF, MF: Future<Output = S>>(make: M) {
            if dcb_sim::store::postgres::test_url("store_conformance::postgres").is_some() {
                // Each case opens a connection and creates a schema: fewer
                // cases than in-process engines, same strategy.
                crate::model::run_model_check(&Tokio::new(), make, crate::model::CASES / 4);
            }
        }
    }
}

/// Spawns `f` on the runtime the case runs on (tokio when inside one,
/// otherwise madsim) and returns a future of its output.
fn spawn<F>(f: F) -> std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            let task = handle.spawn(f);
            Box::pin(async move { task.await.expect("task panicked") })
        }
        Err(_) => {
            let task = madsim::task::spawn(f);
            Box::pin(async move { task.await.expect("task panicked") })
        }
    }
}

/// `conformance_tests!(mod_name, || async { <fresh empty store> })` defines
/// `mod mod_name` with one `#[test]` per case in [`cases`] plus
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
            $(
                #[test]
                fn $case() {
                    super::runners::$runner::case($make, super::cases::$case);
                }
            )*

            #[test]
            fn matches_reference_model() {
                super::runners::$runner::model($make);
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

/// The conformance cases, generic over the engine.
mod cases {
    use super::*;

    /// Shorthand for the typed invalid-input error.
    fn invalid(i: InvalidInput) -> StoreError {
        StoreError::InvalidInput(i)
    }

    // --- reads on an empty store -----------------------------------------

    /// Every kind of read on an empty store returns no events.
    pub async fn empty_store_read<S: EventStore>(store: S) {
        let specific = q1(&["CourseCreated"], &["course:c1"]);
        for query in [Query::all(), specific] {
            for options in [
                fwd(),
                bwd(),
                opts(Some(1), false, None),
                opts(Some(1), true, None),
                opts(Some(5), true, Some(3)),
                opts(None, false, Some(10)),
            ] {
                let read = store.read(&query, options).await.expect("valid read on empty store");
                assert_eq!(read, vec![], "empty store, query {query:?}, options {options:?}");
            }
        }
    }

    // --- positions and appends -------------------------------------------

    /// Positions start at 1 and increase by one per event; the read returns
    /// exactly the appended events.
    pub async fn positions_start_at_one_and_are_consecutive<S: EventStore>(store: S) {
        let events = standard_events();
        for (i, e) in events.iter().enumerate() {
            let pos = store.append(vec![e.clone()], None).await.expect("append");
            assert_eq!(pos, i as Position + 1);
        }
        let expected: Vec<SequencedEvent> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| SequencedEvent::new(i as Position + 1, event))
            .collect();
        assert_eq!(read_all(&store).await, expected);
    }

    /// A multi-event append gets consecutive positions, in list order, and
    /// returns the position of its last event.
    pub async fn multi_event_append_is_consecutive_and_returns_last<S: EventStore>(store: S) {
        let first = ev("CourseCreated", &["course:c1"]);
        assert_eq!(store.append(vec![first.clone()], None).await, Ok(1));

        let batch = vec![
            ev_data("StudentRegistered", &["student:s1"], "a"),
            ev_data("StudentRegistered", &["student:s2"], "b"),
            ev_data("StudentEnrolled", &["course:c1", "student:s1"], "c"),
        ];
        assert_eq!(store.append(batch.clone(), None).await, Ok(4));

        // A batch of identical events is still three events.
        let same = ev("Tick", &["clock:1"]);
        assert_eq!(store.append(vec![same.clone(), same.clone(), same.clone()], None).await, Ok(7));

        let mut expected = vec![SequencedEvent::new(1, first)];
        expected.extend(batch.into_iter().zip(2..).map(|(event, position)| SequencedEvent::new(position, event)));
        expected.extend((5..=7).map(|position| SequencedEvent::new(position, same.clone())));
        assert_eq!(read_all(&store).await, expected);

        // A conditional multi-event append too.
        let c = cond(q1(&["Never"], &[]), Some(7));
        assert_eq!(store.append(vec![unrelated(), unrelated()], c).await, Ok(9));
        assert_eq!(positions(&read_all(&store).await), (1..=9).collect::<Vec<_>>());
    }

    // --- query matching --------------------------------------------------

    /// Items are OR-ed: an event matching any item is returned once.
    pub async fn query_items_are_ored<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let query = q(vec![item(&["CourseCreated"], &[]), item(&[], &["student:s2"])]);
        assert_eq!(read_pos(&store, &query, fwd()).await, vec![1, 2, 7, 8]);

        // Overlapping items: event 4 matches both, returned once.
        let overlapping = q(vec![item(&[], &["course:c1"]), item(&[], &["student:s1"])]);
        assert_eq!(read_pos(&store, &overlapping, fwd()).await, vec![1, 3, 4, 5, 6, 8]);

        // An item matching nothing does not restrict the others.
        let with_dead = q(vec![item(&["Never"], &[]), item(&["StudentRegistered"], &[])]);
        assert_eq!(read_pos(&store, &with_dead, fwd()).await, vec![3, 7]);
    }

    /// Several types in one item: any of them matches.
    pub async fn item_types_are_any_of<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let query = q1(&["CourseCreated", "StudentRegistered"], &[]);
        assert_eq!(read_pos(&store, &query, fwd()).await, vec![1, 2, 3, 7]);
        let with_unknown = q1(&["Never", "CourseCapacityChanged"], &[]);
        assert_eq!(read_pos(&store, &with_unknown, fwd()).await, vec![6]);
    }

    /// Several tags in one item: the event must carry all of them.
    pub async fn item_tags_are_all_of<S: EventStore>(store: S) {
        seed_standard(&store).await;
        assert_eq!(read_pos(&store, &q1(&[], &["course:c1", "student:s1"]), fwd()).await, vec![4]);
        assert_eq!(read_pos(&store, &q1(&[], &["student:s1", "course:c2"]), fwd()).await, vec![5]);
        assert_eq!(read_pos(&store, &q1(&[], &["course:c1", "student:s9"]), fwd()).await, Vec::<u64>::new());
        assert_eq!(read_pos(&store, &q1(&[], &["course:c1", "course:c2"]), fwd()).await, Vec::<u64>::new());
    }

    /// An item with only types: no tag constraint.
    pub async fn item_with_only_types<S: EventStore>(store: S) {
        seed_standard(&store).await;
        assert_eq!(read_pos(&store, &q1(&["StudentEnrolled"], &[]), fwd()).await, vec![4, 5, 8]);
        assert_eq!(read_pos(&store, &q1(&["Never"], &[]), fwd()).await, Vec::<u64>::new());
    }

    /// An item with only tags: any type.
    pub async fn item_with_only_tags<S: EventStore>(store: S) {
        seed_standard(&store).await;
        assert_eq!(read_pos(&store, &q1(&[], &["course:c1"]), fwd()).await, vec![1, 4, 6, 8]);
        assert_eq!(read_pos(&store, &q1(&[], &["student:s1"]), fwd()).await, vec![3, 4, 5]);
        assert_eq!(read_pos(&store, &q1(&[], &["course:c9"]), fwd()).await, Vec::<u64>::new());
    }

    /// An item with both: type among the types AND all tags.
    pub async fn item_with_types_and_tags<S: EventStore>(store: S) {
        seed_standard(&store).await;
        assert_eq!(read_pos(&store, &q1(&["StudentEnrolled"], &["course:c1"]), fwd()).await, vec![4, 8]);
        assert_eq!(
            read_pos(&store, &q1(&["CourseCreated", "CourseCapacityChanged"], &["course:c1"]), fwd()).await,
            vec![1, 6]
        );
        assert_eq!(read_pos(&store, &q1(&["CourseCreated"], &["student:s1"]), fwd()).await, Vec::<u64>::new());
    }

    /// `Query::all()` matches every event, with full payloads.
    pub async fn query_all_matches_everything<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let all = store.read(&Query::all(), fwd()).await.unwrap();
        assert_eq!(positions(&all), (1..=8).collect::<Vec<_>>());
        let events: Vec<Event> = all.into_iter().map(|e| (*e.event).clone()).collect();
        assert_eq!(events, standard_events());
    }

    // --- read options ----------------------------------------------------

    /// Forwards, `from` is the first position considered, inclusive.
    pub async fn from_is_inclusive_forwards<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let all = Query::all();
        let c1 = q1(&[], &["course:c1"]);
        assert_eq!(read_pos(&store, &all, opts(Some(1), false, None)).await, (1..=8).collect::<Vec<_>>());
        assert_eq!(read_pos(&store, &all, opts(Some(4), false, None)).await, vec![4, 5, 6, 7, 8]);
        assert_eq!(read_pos(&store, &all, opts(Some(8), false, None)).await, vec![8]);
        // `from` on a matching position includes it ...
        assert_eq!(read_pos(&store, &c1, opts(Some(4), false, None)).await, vec![4, 6, 8]);
        // ... and on a non-matching one starts at the next match.
        assert_eq!(read_pos(&store, &c1, opts(Some(5), false, None)).await, vec![6, 8]);
    }

    /// Backwards, `from` is the highest position considered, inclusive.
    pub async fn from_is_highest_inclusive_backwards<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let all = Query::all();
        let c1 = q1(&[], &["course:c1"]);
        assert_eq!(read_pos(&store, &all, opts(Some(4), true, None)).await, vec![4, 3, 2, 1]);
        assert_eq!(read_pos(&store, &all, opts(Some(1), true, None)).await, vec![1]);
        assert_eq!(read_pos(&store, &all, opts(Some(8), true, None)).await, (1..=8).rev().collect::<Vec<_>>());
        assert_eq!(read_pos(&store, &c1, opts(Some(6), true, None)).await, vec![6, 4, 1]);
        assert_eq!(read_pos(&store, &c1, opts(Some(5), true, None)).await, vec![4, 1]);
    }

    /// `backwards` returns newest first.
    pub async fn backwards_is_newest_first<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let all = store.read(&Query::all(), bwd()).await.unwrap();
        assert_eq!(positions(&all), vec![8, 7, 6, 5, 4, 3, 2, 1]);
        let mut expected = standard_events();
        expected.reverse();
        assert_eq!(all.into_iter().map(|e| (*e.event).clone()).collect::<Vec<_>>(), expected);
        assert_eq!(read_pos(&store, &q1(&[], &["course:c1"]), bwd()).await, vec![8, 6, 4, 1]);
    }

    /// `limit`: `Some(0)` gives none, `Some(n)` caps (oldest n forwards,
    /// newest n backwards), applied after the query filter and `from`.
    pub async fn limit<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let all = Query::all();
        let c1 = q1(&[], &["course:c1"]);
        assert_eq!(read_pos(&store, &all, opts(None, false, Some(0))).await, Vec::<u64>::new());
        assert_eq!(read_pos(&store, &all, opts(None, true, Some(0))).await, Vec::<u64>::new());
        assert_eq!(read_pos(&store, &c1, opts(Some(2), false, Some(0))).await, Vec::<u64>::new());
        assert_eq!(read_pos(&store, &all, opts(None, false, Some(3))).await, vec![1, 2, 3]);
        assert_eq!(read_pos(&store, &all, opts(None, true, Some(3))).await, vec![8, 7, 6]);
        assert_eq!(read_pos(&store, &c1, opts(None, false, Some(2))).await, vec![1, 4]);
        assert_eq!(read_pos(&store, &c1, opts(None, true, Some(2))).await, vec![8, 6]);
        assert_eq!(read_pos(&store, &c1, opts(None, true, Some(1))).await, vec![8]);
        // Limit above the number of matches returns all matches.
        assert_eq!(read_pos(&store, &c1, opts(None, false, Some(100))).await, vec![1, 4, 6, 8]);
        assert_eq!(read_pos(&store, &all, opts(None, false, Some(usize::MAX))).await, (1..=8).collect::<Vec<_>>());
        // Combined with `from`.
        assert_eq!(read_pos(&store, &all, opts(Some(3), false, Some(2))).await, vec![3, 4]);
        assert_eq!(read_pos(&store, &all, opts(Some(6), true, Some(2))).await, vec![6, 5]);
        assert_eq!(read_pos(&store, &c1, opts(Some(5), false, Some(1))).await, vec![6]);
        assert_eq!(read_pos(&store, &c1, opts(Some(5), true, Some(1))).await, vec![4]);
    }

    /// Forwards from beyond the head gives no events; backwards from beyond
    /// the head is the same as backwards from the head.
    pub async fn from_beyond_head<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let all = Query::all();
        for from in [9, 10, 1_000, Position::MAX] {
            assert_eq!(read_pos(&store, &all, opts(Some(from), false, None)).await, Vec::<u64>::new(), "from {from}");
            assert_eq!(
                read_pos(&store, &all, opts(Some(from), true, None)).await,
                (1..=8).rev().collect::<Vec<_>>(),
                "backwards from {from}"
            );
        }
    }

    // --- append conditions -----------------------------------------------

    /// Without `after`, any matching event fails the append; none passes.
    pub async fn condition_without_after<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let err = store.append(vec![unrelated()], cond(q1(&[], &["course:c1"]), None)).await;
        assert_eq!(err, Err(StoreError::ConditionFailed { conflicting: 1, after: None }));
        let err = store.append(vec![unrelated()], cond(q1(&["StudentEnrolled"], &[]), None)).await;
        assert_eq!(err, Err(StoreError::ConditionFailed { conflicting: 4, after: None }));
        let err = store.append(vec![unrelated()], cond(Query::all(), None)).await;
        assert_eq!(err, Err(StoreError::ConditionFailed { conflicting: 1, after: None }));

        let ok = store.append(vec![unrelated()], cond(q1(&[], &["course:c3"]), None)).await;
        assert_eq!(ok, Ok(9));
        assert_eq!(positions(&read_all(&store).await), (1..=9).collect::<Vec<_>>());
    }

    /// With `after`, only matches at positions strictly greater than `after`
    /// fail the append. Matches of `course:c1`: 1, 4, 6, 8.
    pub async fn condition_with_after_is_strictly_greater<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let c1 = q1(&[], &["course:c1"]);

        // Last match exactly at `after`: passes.
        assert_eq!(store.append(vec![unrelated()], cond(c1.clone(), Some(8))).await, Ok(9));
        // A match just above `after`: fails, naming it.
        assert_eq!(
            store.append(vec![unrelated()], cond(c1.clone(), Some(7))).await,
            Err(StoreError::ConditionFailed { conflicting: 8, after: Some(7) })
        );
        // Several matches above `after`: fails with the first.
        assert_eq!(
            store.append(vec![unrelated()], cond(c1.clone(), Some(4))).await,
            Err(StoreError::ConditionFailed { conflicting: 6, after: Some(4) })
        );
        // `after: Some(0)` ("nothing read") behaves like no `after`.
        assert_eq!(
            store.append(vec![unrelated()], cond(c1.clone(), Some(0))).await,
            Err(StoreError::ConditionFailed { conflicting: 1, after: Some(0) })
        );
        // `after` above the last match (the head read): passes.
        assert_eq!(store.append(vec![unrelated()], cond(c1.clone(), Some(9))).await, Ok(10));
        // `after` above the head: passes.
        assert_eq!(store.append(vec![unrelated()], cond(c1.clone(), Some(1_000))).await, Ok(11));
        // `Query::all()` with `after` = head passes, with head - 1 fails.
        assert_eq!(store.append(vec![unrelated()], cond(Query::all(), Some(11))).await, Ok(12));
        assert_eq!(
            store.append(vec![unrelated()], cond(Query::all(), Some(11))).await,
            Err(StoreError::ConditionFailed { conflicting: 12, after: Some(11) })
        );
        assert_eq!(positions(&read_all(&store).await), (1..=12).collect::<Vec<_>>());
    }

    /// A failed condition writes nothing, for single and multi-event appends,
    /// and consumes no position.
    pub async fn condition_failure_writes_nothing<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let before = read_all(&store).await;

        let batch = vec![unrelated(), ev("CourseCreated", &["course:c3"]), unrelated()];
        let err = store.append(batch, cond(q1(&["StudentRegistered"], &[]), Some(3))).await;
        assert_eq!(err, Err(StoreError::ConditionFailed { conflicting: 7, after: Some(3) }));
        let err = store.append(vec![unrelated()], cond(Query::all(), None)).await;
        assert!(matches!(err, Err(StoreError::ConditionFailed { .. })), "{err:?}");
        assert_eq!(read_all(&store).await, before, "a failed append changed the log");
        assert_eq!(read_pos(&store, &q1(&["Unrelated"], &[]), fwd()).await, Vec::<u64>::new());

        // The next successful append continues right after the head.
        assert_eq!(store.append(vec![unrelated()], None).await, Ok(9));
    }

    /// `ConditionFailed` names the first matching position after `after`,
    /// echoes `after`, and is the conflict a handler retries.
    pub async fn condition_failed_carries_first_conflicting_position<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let err = store
            .append(vec![unrelated()], cond(q1(&["StudentRegistered"], &[]), Some(3)))
            .await
            .expect_err("StudentRegistered at 7 > 3");
        assert_eq!(err, StoreError::ConditionFailed { conflicting: 7, after: Some(3) });
        assert!(err.is_conflict());

        // Multi-item condition: the first position matching any item.
        let multi = q(vec![item(&["StudentEnrolled"], &["student:s2"]), item(&["CourseCapacityChanged"], &[])]);
        assert_eq!(
            store.append(vec![unrelated()], cond(multi.clone(), Some(2))).await,
            Err(StoreError::ConditionFailed { conflicting: 6, after: Some(2) })
        );
        assert_eq!(
            store.append(vec![unrelated()], cond(multi, Some(6))).await,
            Err(StoreError::ConditionFailed { conflicting: 8, after: Some(6) })
        );
        let msg = err.to_string();
        assert!(msg.contains('7'), "ConditionFailed message should name the position: {msg}");
    }

    /// A condition whose query matches nothing passes, with or without `after`.
    pub async fn condition_query_matching_nothing_passes<S: EventStore>(store: S) {
        // Even `Query::all()` passes on an empty store.
        assert_eq!(store.append(vec![unrelated()], cond(Query::all(), None)).await, Ok(1));
        assert_eq!(
            store.append(vec![ev("CourseCreated", &["course:c1"])], cond(q1(&["CourseCreated"], &[]), None)).await,
            Ok(2)
        );
        assert_eq!(store.append(vec![unrelated()], cond(q1(&["Never"], &[]), None)).await, Ok(3));
        assert_eq!(store.append(vec![unrelated()], cond(q1(&["Never"], &[]), Some(1))).await, Ok(4));
        assert_eq!(store.append(vec![unrelated()], cond(q1(&[], &["course:c1", "student:s9"]), None)).await, Ok(5));
        assert_eq!(positions(&read_all(&store).await), (1..=5).collect::<Vec<_>>());
    }

    /// Events after `after` that don't match the condition query don't fail it,
    /// even when they share a type or a tag with it.
    pub async fn non_matching_events_do_not_fail_condition<S: EventStore>(store: S) {
        seed_standard(&store).await;
        // course:c1 events at 4, 6, 8 are not CourseCreated; CourseCreated at 2 is course:c2.
        assert_eq!(store.append(vec![unrelated()], cond(q1(&["CourseCreated"], &["course:c1"]), Some(1))).await, Ok(9));
        // Events 4, 5 carry student:s1 but not course:c3.
        assert_eq!(store.append(vec![unrelated()], cond(q1(&[], &["student:s1", "course:c3"]), None)).await, Ok(10));
        // The appended events themselves are not checked against the condition.
        assert_eq!(
            store
                .append(vec![ev("CourseCreated", &["course:c3"])], cond(q1(&["CourseCreated"], &["course:c3"]), None))
                .await,
            Ok(11)
        );
        assert_eq!(
            store.append(vec![unrelated()], cond(q1(&["CourseCreated"], &["course:c3"]), None)).await,
            Err(StoreError::ConditionFailed { conflicting: 11, after: None })
        );
    }

    /// Eight tasks decide on the same (empty) state and append under the same
    /// condition: exactly one wins, the others see its position as the
    /// conflict. Trivial for the in-memory engine; meaningful for engines
    /// whose append awaits between check and write.
    pub async fn concurrent_conditional_appends_one_wins<S: EventStore + 'static>(store: S) {
        let store = std::sync::Arc::new(store);
        let query = q1(&["CourseCreated"], &["course:c1"]);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let query = query.clone();
                super::spawn(async move {
                    let e = ev_data("CourseCreated", &["course:c1"], &format!("{{\"task\":{i}}}"));
                    store.append(vec![e], cond(query, None)).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await);
        }
        let wins: Vec<Position> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        assert_eq!(wins, vec![1], "exactly one append wins: {results:?}");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(*e, StoreError::ConditionFailed { conflicting: 1, after: None });
            }
        }
        assert_eq!(positions(&read_all(&*store).await), vec![1]);
    }

    // --- invalid input ---------------------------------------------------

    /// An empty append is `EmptyAppend`, with or without a condition.
    pub async fn invalid_empty_append<S: EventStore>(store: S) {
        assert_eq!(store.append(vec![], None).await, Err(invalid(InvalidInput::EmptyAppend)));
        assert_eq!(store.append(vec![], cond(Query::all(), None)).await, Err(invalid(InvalidInput::EmptyAppend)));
        seed_standard(&store).await;
        assert_eq!(
            store.append(vec![], cond(q1(&["Never"], &[]), Some(8))).await,
            Err(invalid(InvalidInput::EmptyAppend))
        );
    }

    /// A query item with neither types nor tags is `EmptyQueryItem { index }`
    /// in a read and in a condition (built by hand: the constructor rejects it).
    pub async fn invalid_empty_query_item<S: EventStore>(store: S) {
        assert_eq!(Query::from_items(vec![QueryItem::new()]), Err(InvalidInput::EmptyQueryItem { index: 0 }));
        seed_standard(&store).await;
        let first = Query::Items(vec![QueryItem::new()].into());
        let second = Query::Items(vec![item(&["CourseCreated"], &[]), QueryItem::new()].into());
        for options in [fwd(), bwd(), opts(Some(2), false, Some(1))] {
            assert_eq!(
                store.read(&first, options).await,
                Err(invalid(InvalidInput::EmptyQueryItem { index: 0 }))
            );
            assert_eq!(
                store.read(&second, options).await,
                Err(invalid(InvalidInput::EmptyQueryItem { index: 1 }))
            );
        }
        assert_eq!(
            store.append(vec![unrelated()], cond(second, None)).await,
            Err(invalid(InvalidInput::EmptyQueryItem { index: 1 }))
        );
        assert_eq!(
            store.append(vec![unrelated()], cond(first, Some(8))).await,
            Err(invalid(InvalidInput::EmptyQueryItem { index: 0 }))
        );
    }

    /// A query with no items is `EmptyQuery` in a read and in a condition.
    pub async fn invalid_empty_query<S: EventStore>(store: S) {
        assert_eq!(Query::from_items(vec![]), Err(InvalidInput::EmptyQuery));
        let empty = Query::Items(vec![].into());
        assert_eq!(store.read(&empty, fwd()).await, Err(invalid(InvalidInput::EmptyQuery)));
        seed_standard(&store).await;
        assert_eq!(store.read(&empty, bwd()).await, Err(invalid(InvalidInput::EmptyQuery)));
        assert_eq!(
            store.append(vec![unrelated()], cond(empty, None)).await,
            Err(invalid(InvalidInput::EmptyQuery))
        );
    }

    /// An empty tag string in a query item is `EmptyTag` in a read and in a
    /// condition (and the validated constructors reject it up front).
    pub async fn invalid_empty_tag<S: EventStore>(store: S) {
        let bad_item = QueryItem::new().tags([""]);
        assert_eq!(Query::from_item(bad_item.clone()), Err(InvalidInput::EmptyTag));
        assert_eq!(dcb_sim::store::Tag::new(""), Err(InvalidInput::EmptyTag));
        assert_eq!(Event::new("CourseCreated", [""], "{}"), Err(InvalidInput::EmptyTag));

        seed_standard(&store).await;
        let only_empty = Query::Items(vec![bad_item].into());
        let mixed = Query::Items(vec![QueryItem::new().types(["CourseCreated"]).tags(["course:c1", ""])].into());
        for query in [&only_empty, &mixed] {
            assert_eq!(store.read(query, fwd()).await, Err(invalid(InvalidInput::EmptyTag)));
            assert_eq!(
                store.append(vec![unrelated()], cond(query.clone(), None)).await,
                Err(invalid(InvalidInput::EmptyTag))
            );
        }
    }

    /// An empty event type is `EmptyEventType`: in an event built by struct
    /// literal (alone or inside a batch) and in a query item's types.
    pub async fn invalid_empty_event_type<S: EventStore>(store: S) {
        assert_eq!(Event::new("", ["course:c1"], "{}"), Err(InvalidInput::EmptyEventType));
        let bad = Event { event_type: String::new(), tags: Default::default(), data: "{}".into() };
        assert_eq!(store.append(vec![bad.clone()], None).await, Err(invalid(InvalidInput::EmptyEventType)));
        seed_standard(&store).await;
        assert_eq!(
            store.append(vec![unrelated(), bad.clone(), unrelated()], cond(q1(&["Never"], &[]), None)).await,
            Err(invalid(InvalidInput::EmptyEventType))
        );
        let bad_types = Query::Items(vec![QueryItem::new().types(["CourseCreated", ""])].into());
        assert_eq!(store.read(&bad_types, fwd()).await, Err(invalid(InvalidInput::EmptyEventType)));
        assert_eq!(
            store.append(vec![unrelated()], cond(bad_types, None)).await,
            Err(invalid(InvalidInput::EmptyEventType))
        );
    }

    /// `from: Some(0)` is `FromZero`, forwards and backwards, with any query.
    pub async fn invalid_from_zero<S: EventStore>(store: S) {
        assert_eq!(store.read(&Query::all(), opts(Some(0), false, None)).await, Err(invalid(InvalidInput::FromZero)));
        seed_standard(&store).await;
        for options in [opts(Some(0), false, None), opts(Some(0), true, None), opts(Some(0), false, Some(0))] {
            assert_eq!(store.read(&Query::all(), options).await, Err(invalid(InvalidInput::FromZero)));
            assert_eq!(
                store.read(&q1(&[], &["course:c1"]), options).await,
                Err(invalid(InvalidInput::FromZero))
            );
        }
    }

    /// No invalid append changes the log or consumes a position, even when
    /// its condition would have failed or passed.
    pub async fn invalid_append_leaves_log_unchanged<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let before = read_all(&store).await;
        let bad_event = Event { event_type: String::new(), tags: Default::default(), data: "{}".into() };
        let attempts: Vec<(Vec<Event>, Option<AppendCondition>)> = vec![
            (vec![], None),
            (vec![], cond(q1(&["Never"], &[]), None)),
            (vec![bad_event.clone()], None),
            (vec![unrelated(), unrelated(), bad_event.clone()], None),
            (vec![bad_event, unrelated()], cond(q1(&["Never"], &[]), Some(8))),
            (vec![unrelated()], cond(Query::Items(vec![].into()), None)),
            (vec![unrelated(), unrelated()], cond(Query::Items(vec![item(&["Never"], &[]), QueryItem::new()].into()), None)),
            (vec![unrelated()], cond(Query::Items(vec![QueryItem::new().tags([""])].into()), Some(8))),
        ];
        for (events, condition) in attempts {
            let desc = format!("{events:?} / {condition:?}");
            let result = store.append(events, condition).await;
            assert!(matches!(result, Err(StoreError::InvalidInput(_))), "{desc}: {result:?}");
            assert_eq!(read_all(&store).await, before, "{desc} changed the log");
        }
        assert_eq!(store.append(vec![unrelated()], None).await, Ok(9));
    }

    /// Every error the store returns has a non-empty message that says how
    /// to fix the input.
    pub async fn error_messages_say_how_to_fix<S: EventStore>(store: S) {
        seed_standard(&store).await;
        let bad_event = Event { event_type: String::new(), tags: Default::default(), data: "{}".into() };
        let errors = [
            (store.append(vec![], None).await, InvalidInput::EmptyAppend, vec!["at least one event"]),
            (
                store.read(&Query::Items(vec![item(&["A"], &[]), QueryItem::new()].into()), fwd()).await.map(|_| 0),
                InvalidInput::EmptyQueryItem { index: 1 },
                vec!["Query::all", "1", "types", "tags"],
            ),
            (
                store.read(&Query::Items(vec![].into()), fwd()).await.map(|_| 0),
                InvalidInput::EmptyQuery,
                vec!["Query::all"],
            ),
            (
                store.read(&Query::Items(vec![QueryItem::new().tags([""])].into()), fwd()).await.map(|_| 0),
                InvalidInput::EmptyTag,
                vec!["tag", "non-empty"],
            ),
            (
                store.append(vec![bad_event], None).await,
                InvalidInput::EmptyEventType,
                vec!["event type", "non-empty"],
            ),
            (
                store.read(&Query::all(), opts(Some(0), false, None)).await.map(|_| 0),
                InvalidInput::FromZero,
                vec![">= 1", "None"],
            ),
        ];
        for (result, expected, hints) in errors {
            let err = result.expect_err("invalid input must be rejected");
            assert_eq!(err, StoreError::InvalidInput(expected.clone()));
            for msg in [err.to_string(), expected.to_string()] {
                assert!(!msg.trim().is_empty(), "{expected:?} has an empty message");
                for hint in &hints {
                    assert!(msg.contains(hint), "message for {expected:?} should mention {hint:?}: {msg}");
                }
            }
        }

        let conflict = store
            .append(vec![unrelated()], cond(q1(&[], &["course:c1"]), Some(6)))
            .await
            .expect_err("course:c1 at 8 > 6");
        let msg = conflict.to_string();
        assert!(msg.contains('8') && msg.contains("re-read"), "ConditionFailed message: {msg}");
    }

    // --- name rules: MAX_NAME_BYTES and control characters ----------------

    fn long(n: usize) -> String {
        "x".repeat(n)
    }

    /// A tag as the store sees it, built without validation (through a
    /// query item, whose builder does not validate): the way a bad name can
    /// reach an event that was not built with `Event::new`.
    fn raw_tag(s: &str) -> dcb_sim::store::Tag {
        QueryItem::new().tags([s]).tags.remove(0)
    }

    /// Tags and event types above `MAX_NAME_BYTES` (255 bytes of UTF-8) are
    /// `NameTooLong { kind, len, max: 255 }`, in events (append) and in
    /// query items (read and condition), and change nothing.
    pub async fn invalid_oversized_names<S: EventStore>(store: S) {
        use dcb_sim::store::{MAX_NAME_BYTES, NameKind, Tag};
        assert_eq!(MAX_NAME_BYTES, 255);
        let too_long = |kind, len| InvalidInput::NameTooLong { kind, len, max: 255 };
        assert_eq!(Tag::new(long(256)), Err(too_long(NameKind::Tag, 256)));
        assert_eq!(Event::new("T", [long(300)], "{}"), Err(too_long(NameKind::Tag, 300)));
        assert_eq!(Event::new(long(256), ["a"], "{}"), Err(too_long(NameKind::EventType, 256)));
        // Bytes, not characters: 86 three-byte characters are 258 bytes.
        assert_eq!(Tag::new("✓".repeat(86)), Err(too_long(NameKind::Tag, 258)));

        seed_standard(&store).await;
        let before = read_all(&store).await;
        let bad_type = Event { event_type: long(256), tags: Default::default(), data: "{}".into() };
        let bad_tag = Event { event_type: "T".into(), tags: [raw_tag(&long(256))].into(), data: "{}".into() };
        assert_eq!(store.append(vec![bad_type], None).await, Err(invalid(too_long(NameKind::EventType, 256))));
        assert_eq!(
            store.append(vec![unrelated(), bad_tag], cond(q1(&["Never"], &[]), None)).await,
            Err(invalid(too_long(NameKind::Tag, 256)))
        );
        let long_tag = Query::Items(vec![QueryItem::new().tags(["course:c1".to_string(), long(1000)])].into());
        let long_type = Query::Items(vec![item(&["CourseCreated"], &[]), QueryItem::new().types([long(256)])].into());
        assert_eq!(store.read(&long_tag, fwd()).await, Err(invalid(too_long(NameKind::Tag, 1000))));
        assert_eq!(store.read(&long_type, bwd()).await, Err(invalid(too_long(NameKind::EventType, 256))));
        assert_eq!(
            store.append(vec![unrelated()], cond(long_tag, Some(8))).await,
            Err(invalid(too_long(NameKind::Tag, 1000)))
        );
        assert_eq!(
            store.append(vec![unrelated()], cond(long_type, None)).await,
            Err(invalid(too_long(NameKind::EventType, 256)))
        );
        assert_eq!(read_all(&store).await, before, "a rejected name changed the log");
        assert_eq!(store.append(vec![unrelated()], None).await, Ok(9), "a rejected name consumed a position");

        let msg = StoreError::InvalidInput(too_long(NameKind::Tag, 256)).to_string();
        for hint in ["tag", "256", "255", "MAX_NAME_BYTES", "shorter"] {
            assert!(msg.contains(hint), "NameTooLong message should mention {hint:?}: {msg}");
        }
    }

    /// Control characters (Unicode Cc: NUL, tab, CR/LF, ESC, DEL, C1) in a
    /// tag or event type are `ControlCharacter { kind, index (bytes), ch }`,
    /// in events and in queries; payloads may contain anything.
    pub async fn invalid_control_characters<S: EventStore>(store: S) {
        use dcb_sim::store::{NameKind, Tag};
        let cc = |kind, index, ch| InvalidInput::ControlCharacter { kind, index, ch };
        assert_eq!(Tag::new("course:\n1"), Err(cc(NameKind::Tag, 7, '\n')));
        assert_eq!(Event::new("Course\0Created", ["a"], "{}"), Err(cc(NameKind::EventType, 6, '\0')));
        assert_eq!(Event::new("T", ["ok", "tab\there"], "{}"), Err(cc(NameKind::Tag, 3, '\t')));
        assert_eq!(Tag::new("é\u{7f}"), Err(cc(NameKind::Tag, 2, '\u{7f}')));
        assert_eq!(Tag::new("a\u{85}"), Err(cc(NameKind::Tag, 1, '\u{85}')));
        assert!(Tag::new("naïve tag: ✓ / #1 (ok)").is_ok(), "printable text, spaces and punctuation are fine");

        seed_standard(&store).await;
        let before = read_all(&store).await;
        let bad_type = Event { event_type: "Evil\r\nType".into(), tags: Default::default(), data: "{}".into() };
        let bad_tag = Event { event_type: "T".into(), tags: [raw_tag("a\u{1b}[31m")].into(), data: "{}".into() };
        assert_eq!(store.append(vec![bad_type], None).await, Err(invalid(cc(NameKind::EventType, 4, '\r'))));
        assert_eq!(store.append(vec![unrelated(), bad_tag], None).await, Err(invalid(cc(NameKind::Tag, 1, '\u{1b}'))));
        let nul_tag = Query::Items(vec![QueryItem::new().types(["CourseCreated"]).tags(["course:\0c1"])].into());
        let tab_type = Query::Items(vec![item(&["StudentEnrolled"], &[]), QueryItem::new().types(["Course\tCreated"])].into());
        assert_eq!(store.read(&nul_tag, fwd()).await, Err(invalid(cc(NameKind::Tag, 7, '\0'))));
        assert_eq!(store.read(&tab_type, fwd()).await, Err(invalid(cc(NameKind::EventType, 6, '\t'))));
        assert_eq!(
            store.append(vec![unrelated()], cond(nul_tag, Some(8))).await,
            Err(invalid(cc(NameKind::Tag, 7, '\0')))
        );
        assert_eq!(
            store.append(vec![unrelated()], cond(tab_type, None)).await,
            Err(invalid(cc(NameKind::EventType, 6, '\t')))
        );
        assert_eq!(read_all(&store).await, before, "a rejected name changed the log");

        let payload = Event::new("Payload", ["p:1"], "line1\nline2\0end\t✓ '\"").expect("payloads are free-form");
        assert_eq!(store.append(vec![payload.clone()], None).await, Ok(9));
        let read = store.read(&q1(&["Payload"], &[]), fwd()).await.expect("read");
        assert_eq!(read.iter().map(|e| (*e.event).clone()).collect::<Vec<_>>(), vec![payload]);

        let msg = StoreError::InvalidInput(cc(NameKind::EventType, 4, '\r')).to_string();
        for hint in ["event type", "control character", "'\\r'", "byte 4", "printable"] {
            assert!(msg.contains(hint), "ControlCharacter message should mention {hint:?}: {msg}");
        }
    }

    /// Names of exactly 255 bytes (ASCII or multi-byte) are stored, read
    /// back exactly and matched, in reads and conditions.
    pub async fn names_at_the_limit_round_trip<S: EventStore>(store: S) {
        let ty = "T".repeat(255);
        let ascii = format!("k:{}", "a".repeat(253));
        let utf8 = "✓".repeat(85);
        assert_eq!((ty.len(), ascii.len(), utf8.len()), (255, 255, 255));
        let e = Event::new(ty.clone(), [ascii.clone(), utf8.clone()], "{}").expect("255 bytes is allowed");
        assert_eq!(store.append(vec![e.clone()], None).await, Ok(1));
        let q = q1(&[ty.as_str()], &[ascii.as_str(), utf8.as_str()]);
        let read = store.read(&q, fwd()).await.expect("read");
        assert_eq!(read.iter().map(|e| (*e.event).clone()).collect::<Vec<_>>(), vec![e]);
        assert_eq!(
            store.append(vec![unrelated()], cond(q.clone(), None)).await,
            Err(StoreError::ConditionFailed { conflicting: 1, after: None })
        );
        assert_eq!(store.append(vec![unrelated()], cond(q, Some(1))).await, Ok(2));
    }
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
                    return Err(StoreError::ConditionFailed { conflicting: hit.position, after: c.after });
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
    pub fn run_model_check<S, M, MF>(exec: &impl crate::runners::Exec, make: M, cases: u32)
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
    crate::engines::Erased::new(dcb_sim::store::SqliteStore::open_in_memory().expect("open SQLite :memory:"))
});
conformance_tests!(sqlite_file, runner = madsim_fsync_rt, || async { crate::engines::Erased::new(crate::engines::TempSqlite::new()) });
conformance_tests!(postgres, runner = postgres_rt, || crate::engines::postgres(false));

/// Store factories for the durable engines.
mod engines {
    use std::path::PathBuf;
    use std::pin::Pin;
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

    type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// The object-safe face of an engine (boxed futures).
    trait DynStore: Send + Sync {
        fn read<'a>(&'a self, query: &'a Query, options: ReadOptions) -> BoxFuture<'a, Result<Vec<SequencedEvent>, StoreError>>;
        fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> BoxFuture<'_, Result<Position, StoreError>>;
    }

    impl<S: EventStore> DynStore for S {
        fn read<'a>(&'a self, query: &'a Query, options: ReadOptions) -> BoxFuture<'a, Result<Vec<SequencedEvent>, StoreError>> {
            Box::pin(EventStore::read(self, query, options))
        }
        fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> BoxFuture<'_, Result<Position, StoreError>> {
            Box::pin(EventStore::append(self, events, condition))
        }
    }

    /// A type-erased engine. The cases are generic; instantiating every
    /// case and the model test once per engine type made this the slowest
    /// test binary to compile, so the durable engines all go through this
    /// one type: a pure forwarding adapter (each call is the engine's own,
    /// boxed), so the cases test exactly the engine inside.
    pub struct Erased(Box<dyn DynStore>);

    impl Erased {
        pub fn new(store: impl EventStore + 'static) -> Self {
            Erased(Box::new(store))
        }
    }

    impl EventStore for Erased {
        fn read(
            &self,
            query: &Query,
            options: ReadOptions,
        ) -> impl Future<Output = Result<Vec<SequencedEvent>, StoreError>> + Send {
            async move { self.0.read(query, options).await }
        }

        fn append(
            &self,
            events: Vec<Event>,
            condition: Option<AppendCondition>,
        ) -> impl Future<Output = Result<Position, StoreError>> + Send {
            self.0.append(events, condition)
        }
    }

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

    use dcb_sim::retry::TokioSleeper;
    use dcb_sim::sim::plants::NonAtomicStore;
    use tokio::sync::Barrier;

    use super::runners::{Tokio, run_case};
    use super::*;

    /// Rounds of the 8-writer case, for each store.
    const ROUNDS: usize = 30;

    /// Appends of the case that race (its 8 tasks).
    const WRITERS: usize = 8;

    /// Placed under the `NonAtomicStore` (which calls it between its check
    /// and its insert): every append waits until all [`WRITERS`] appends
    /// have made their check, so the race happens in every round, not
    /// when the clock happens to interleave the tasks.
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
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_case(&exec, make, super::cases::concurrent_conditional_appends_one_wins)
            }));
            let Err(panic) = outcome else {
                panic!("round {round}: the check-then-insert passed the concurrent case: the test no longer shows its race");
            };
            let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(msg.contains("exactly one append wins"), "round {round}: failed for another reason: {msg}");
            let wins = msg.matches("Ok(").count();
            assert_eq!(wins, WRITERS, "round {round}: with every check made before any insert, all {WRITERS} appends must win: {msg}");
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
            run_case(&exec, || super::engines::postgres(true), super::cases::concurrent_conditional_appends_one_wins);
        }
    }
}
