//! The conformance cases: one `async fn <name><S: EventStore>(store: S)`
//! per case, each given a fresh, empty store, returning its first failed
//! check as a [`CaseFailure`]. Cases only use the [`EventStore`] trait, so
//! they hold for any engine; [`CASES`](super::CASES) lists them with the
//! rule each checks.
//!
//! Most cases seed the standard 8-event log first
//! ([`standard_events`], positions 1..=8).
//! Positions are checked exactly (1, 2, 3, ... with no gaps, also after
//! rejected appends). The conflicting position of a `ConditionFailed` is
//! optional: cases check it only when the store gives it
//! (`ensure_conflict!`).

use super::CaseFailure;
use super::fixtures::*;
use super::join::{BoxFuture, join_all};
use crate::store::{
    AppendCondition, Event, EventStore, InvalidInput, MAX_NAME_BYTES, NameKind, Position, Query, QueryItem,
    SequencedEvent, StoreError, Tag,
};

/// The result of a case.
type CaseResult = Result<(), CaseFailure>;

/// How many appends race in [`concurrent_conditional_appends_one_wins`].
pub const RACE_WRITERS: usize = 8;

/// Shorthand for the typed invalid-input error.
fn invalid(i: InvalidInput) -> StoreError {
    StoreError::InvalidInput(i)
}

// --- reads on an empty store -----------------------------------------

/// Every kind of read on an empty store returns no events.
pub async fn empty_store_read<S: EventStore>(store: S) -> CaseResult {
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
            let read = ensure_ok!(store.read(&query, options).await, "read of {query:?} with {options:?} on an empty store");
            ensure_eq!(read, vec![], "empty store, query {query:?}, options {options:?}");
        }
    }
    Ok(())
}

// --- positions and appends -------------------------------------------

/// Positions start at 1 and increase by one per event; the read returns
/// exactly the appended events.
pub async fn positions_start_at_one_and_are_consecutive<S: EventStore>(store: S) -> CaseResult {
    let events = standard_events();
    for (i, e) in events.iter().enumerate() {
        let pos = ensure_ok!(store.append(vec![e.clone()], None).await, "unconditional append {}", i + 1);
        ensure_eq!(pos, i as Position + 1, "position returned by unconditional append {} to a fresh store", i + 1);
    }
    let expected: Vec<SequencedEvent> =
        events.into_iter().enumerate().map(|(i, event)| SequencedEvent::new(i as Position + 1, event)).collect();
    ensure_eq!(read_all(&store).await?, expected);
    Ok(())
}

/// A multi-event append gets consecutive positions, in list order, and
/// returns the position of its last event.
pub async fn multi_event_append_is_consecutive_and_returns_last<S: EventStore>(store: S) -> CaseResult {
    let first = ev("CourseCreated", &["course:c1"]);
    ensure_eq!(store.append(vec![first.clone()], None).await, Ok(1));

    let batch = vec![
        ev_data("StudentRegistered", &["student:s1"], "a"),
        ev_data("StudentRegistered", &["student:s2"], "b"),
        ev_data("StudentEnrolled", &["course:c1", "student:s1"], "c"),
    ];
    ensure_eq!(store.append(batch.clone(), None).await, Ok(4), "a 3-event append after position 1 returns its last position");

    // A batch of identical events is still three events.
    let same = ev("Tick", &["clock:1"]);
    ensure_eq!(
        store.append(vec![same.clone(), same.clone(), same.clone()], None).await,
        Ok(7),
        "a batch of 3 identical events is 3 events"
    );

    let mut expected = vec![SequencedEvent::new(1, first)];
    expected.extend(batch.into_iter().zip(2..).map(|(event, position)| SequencedEvent::new(position, event)));
    expected.extend((5..=7).map(|position| SequencedEvent::new(position, same.clone())));
    ensure_eq!(read_all(&store).await?, expected);

    // A conditional multi-event append too.
    let c = cond(q1(&["Never"], &[]), Some(7));
    ensure_eq!(store.append(vec![unrelated(), unrelated()], c).await, Ok(9), "a conditional 2-event append");
    ensure_eq!(positions(&read_all(&store).await?), (1..=9).collect::<Vec<_>>());
    Ok(())
}

// --- query matching --------------------------------------------------

/// Items are OR-ed: an event matching any item is returned once.
pub async fn query_items_are_ored<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let query = q(vec![item(&["CourseCreated"], &[]), item(&[], &["student:s2"])]);
    ensure_eq!(read_pos(&store, &query, fwd()).await?, vec![1, 2, 7, 8]);

    // Overlapping items: event 4 matches both, returned once.
    let overlapping = q(vec![item(&[], &["course:c1"]), item(&[], &["student:s1"])]);
    ensure_eq!(read_pos(&store, &overlapping, fwd()).await?, vec![1, 3, 4, 5, 6, 8], "overlapping items return each event once");

    // An item matching nothing does not restrict the others.
    let with_dead = q(vec![item(&["Never"], &[]), item(&["StudentRegistered"], &[])]);
    ensure_eq!(read_pos(&store, &with_dead, fwd()).await?, vec![3, 7], "an item matching nothing does not restrict the others");
    Ok(())
}

/// Several types in one item: any of them matches.
pub async fn item_types_are_any_of<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let query = q1(&["CourseCreated", "StudentRegistered"], &[]);
    ensure_eq!(read_pos(&store, &query, fwd()).await?, vec![1, 2, 3, 7]);
    let with_unknown = q1(&["Never", "CourseCapacityChanged"], &[]);
    ensure_eq!(read_pos(&store, &with_unknown, fwd()).await?, vec![6]);
    Ok(())
}

/// Several tags in one item: the event must carry all of them.
pub async fn item_tags_are_all_of<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    ensure_eq!(read_pos(&store, &q1(&[], &["course:c1", "student:s1"]), fwd()).await?, vec![4]);
    ensure_eq!(read_pos(&store, &q1(&[], &["student:s1", "course:c2"]), fwd()).await?, vec![5]);
    ensure_eq!(read_pos(&store, &q1(&[], &["course:c1", "student:s9"]), fwd()).await?, Vec::<u64>::new());
    ensure_eq!(read_pos(&store, &q1(&[], &["course:c1", "course:c2"]), fwd()).await?, Vec::<u64>::new());
    Ok(())
}

/// An item with only types: no tag constraint.
pub async fn item_with_only_types<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    ensure_eq!(read_pos(&store, &q1(&["StudentEnrolled"], &[]), fwd()).await?, vec![4, 5, 8]);
    ensure_eq!(read_pos(&store, &q1(&["Never"], &[]), fwd()).await?, Vec::<u64>::new());
    Ok(())
}

/// An item with only tags: any type.
pub async fn item_with_only_tags<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    ensure_eq!(read_pos(&store, &q1(&[], &["course:c1"]), fwd()).await?, vec![1, 4, 6, 8]);
    ensure_eq!(read_pos(&store, &q1(&[], &["student:s1"]), fwd()).await?, vec![3, 4, 5]);
    ensure_eq!(read_pos(&store, &q1(&[], &["course:c9"]), fwd()).await?, Vec::<u64>::new());
    Ok(())
}

/// An item with both: type among the types AND all tags.
pub async fn item_with_types_and_tags<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    ensure_eq!(read_pos(&store, &q1(&["StudentEnrolled"], &["course:c1"]), fwd()).await?, vec![4, 8]);
    ensure_eq!(
        read_pos(&store, &q1(&["CourseCreated", "CourseCapacityChanged"], &["course:c1"]), fwd()).await?,
        vec![1, 6]
    );
    ensure_eq!(read_pos(&store, &q1(&["CourseCreated"], &["student:s1"]), fwd()).await?, Vec::<u64>::new());
    Ok(())
}

/// `Query::all()` matches every event, with full payloads.
pub async fn query_all_matches_everything<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let all = ensure_ok!(store.read(&Query::all(), fwd()).await, "read of Query::all()");
    ensure_eq!(positions(&all), (1..=8).collect::<Vec<_>>());
    let events: Vec<Event> = all.into_iter().map(|e| (*e.event).clone()).collect();
    ensure_eq!(events, standard_events(), "the events read back by Query::all()");
    Ok(())
}

// --- read options ----------------------------------------------------

/// Forwards, `from` is the first position considered, inclusive.
pub async fn from_is_inclusive_forwards<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let all = Query::all();
    let c1 = q1(&[], &["course:c1"]);
    ensure_eq!(read_pos(&store, &all, opts(Some(1), false, None)).await?, (1..=8).collect::<Vec<_>>());
    ensure_eq!(read_pos(&store, &all, opts(Some(4), false, None)).await?, vec![4, 5, 6, 7, 8]);
    ensure_eq!(read_pos(&store, &all, opts(Some(8), false, None)).await?, vec![8]);
    // `from` on a matching position includes it ...
    ensure_eq!(read_pos(&store, &c1, opts(Some(4), false, None)).await?, vec![4, 6, 8], "`from` on a matching position includes it");
    // ... and on a non-matching one starts at the next match.
    ensure_eq!(
        read_pos(&store, &c1, opts(Some(5), false, None)).await?,
        vec![6, 8],
        "`from` on a non-matching position starts at the next match"
    );
    Ok(())
}

/// Backwards, `from` is the highest position considered, inclusive.
pub async fn from_is_highest_inclusive_backwards<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let all = Query::all();
    let c1 = q1(&[], &["course:c1"]);
    ensure_eq!(read_pos(&store, &all, opts(Some(4), true, None)).await?, vec![4, 3, 2, 1]);
    ensure_eq!(read_pos(&store, &all, opts(Some(1), true, None)).await?, vec![1]);
    ensure_eq!(read_pos(&store, &all, opts(Some(8), true, None)).await?, (1..=8).rev().collect::<Vec<_>>());
    ensure_eq!(read_pos(&store, &c1, opts(Some(6), true, None)).await?, vec![6, 4, 1]);
    ensure_eq!(read_pos(&store, &c1, opts(Some(5), true, None)).await?, vec![4, 1]);
    Ok(())
}

/// `backwards` returns newest first.
pub async fn backwards_is_newest_first<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let all = ensure_ok!(store.read(&Query::all(), bwd()).await, "backwards read of Query::all()");
    ensure_eq!(positions(&all), vec![8, 7, 6, 5, 4, 3, 2, 1]);
    let mut expected = standard_events();
    expected.reverse();
    ensure_eq!(all.into_iter().map(|e| (*e.event).clone()).collect::<Vec<_>>(), expected, "the events read backwards");
    ensure_eq!(read_pos(&store, &q1(&[], &["course:c1"]), bwd()).await?, vec![8, 6, 4, 1]);
    Ok(())
}

/// `limit`: `Some(0)` gives none, `Some(n)` caps (oldest n forwards,
/// newest n backwards), applied after the query filter and `from`.
pub async fn limit<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let all = Query::all();
    let c1 = q1(&[], &["course:c1"]);
    ensure_eq!(read_pos(&store, &all, opts(None, false, Some(0))).await?, Vec::<u64>::new(), "`limit: Some(0)` returns no events");
    ensure_eq!(read_pos(&store, &all, opts(None, true, Some(0))).await?, Vec::<u64>::new(), "`limit: Some(0)` returns no events");
    ensure_eq!(read_pos(&store, &c1, opts(Some(2), false, Some(0))).await?, Vec::<u64>::new(), "`limit: Some(0)` returns no events");
    ensure_eq!(read_pos(&store, &all, opts(None, false, Some(3))).await?, vec![1, 2, 3]);
    ensure_eq!(read_pos(&store, &all, opts(None, true, Some(3))).await?, vec![8, 7, 6]);
    ensure_eq!(read_pos(&store, &c1, opts(None, false, Some(2))).await?, vec![1, 4]);
    ensure_eq!(read_pos(&store, &c1, opts(None, true, Some(2))).await?, vec![8, 6]);
    ensure_eq!(read_pos(&store, &c1, opts(None, true, Some(1))).await?, vec![8]);
    // Limit above the number of matches returns all matches.
    ensure_eq!(read_pos(&store, &c1, opts(None, false, Some(100))).await?, vec![1, 4, 6, 8]);
    ensure_eq!(read_pos(&store, &all, opts(None, false, Some(usize::MAX))).await?, (1..=8).collect::<Vec<_>>());
    // Combined with `from`.
    ensure_eq!(read_pos(&store, &all, opts(Some(3), false, Some(2))).await?, vec![3, 4]);
    ensure_eq!(read_pos(&store, &all, opts(Some(6), true, Some(2))).await?, vec![6, 5]);
    ensure_eq!(read_pos(&store, &c1, opts(Some(5), false, Some(1))).await?, vec![6]);
    ensure_eq!(read_pos(&store, &c1, opts(Some(5), true, Some(1))).await?, vec![4]);
    Ok(())
}

/// Forwards from beyond the head gives no events; backwards from beyond
/// the head is the same as backwards from the head.
pub async fn from_beyond_head<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let all = Query::all();
    for from in [9, 10, 1_000, Position::MAX] {
        ensure_eq!(read_pos(&store, &all, opts(Some(from), false, None)).await?, Vec::<u64>::new(), "forwards from {from} (head 8)");
        ensure_eq!(
            read_pos(&store, &all, opts(Some(from), true, None)).await?,
            (1..=8).rev().collect::<Vec<_>>(),
            "backwards from {from} (head 8)"
        );
    }
    Ok(())
}

// --- append conditions -----------------------------------------------

/// Without `after`, any matching event fails the append; none passes.
pub async fn condition_without_after<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let err = store.append(vec![unrelated()], cond(q1(&[], &["course:c1"]), None)).await;
    ensure_conflict!(err, 1, None, "append failing if course:c1 exists");
    let err = store.append(vec![unrelated()], cond(q1(&["StudentEnrolled"], &[]), None)).await;
    ensure_conflict!(err, 4, None, "append failing if StudentEnrolled exists");
    let err = store.append(vec![unrelated()], cond(Query::all(), None)).await;
    ensure_conflict!(err, 1, None, "append failing if any event exists");

    let ok = store.append(vec![unrelated()], cond(q1(&[], &["course:c3"]), None)).await;
    ensure_eq!(ok, Ok(9), "append failing if course:c3 exists (none does)");
    ensure_eq!(positions(&read_all(&store).await?), (1..=9).collect::<Vec<_>>());
    Ok(())
}

/// With `after`, only matches at positions strictly greater than `after`
/// fail the append. Matches of `course:c1`: 1, 4, 6, 8.
pub async fn condition_with_after_is_strictly_greater<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let c1 = q1(&[], &["course:c1"]);

    // Last match exactly at `after`: passes.
    ensure_eq!(
        store.append(vec![unrelated()], cond(c1.clone(), Some(8))).await,
        Ok(9),
        "course:c1 condition with after = 8, the last match: passes"
    );
    // A match just above `after`: fails, naming it.
    ensure_conflict!(store.append(vec![unrelated()], cond(c1.clone(), Some(7))).await, 8, Some(7), "course:c1 condition with after = 7, a match at 8");
    // Several matches above `after`: fails with the first.
    ensure_conflict!(store.append(vec![unrelated()], cond(c1.clone(), Some(4))).await, 6, Some(4), "course:c1 condition with after = 4, matches at 6 and 8");
    // `after: Some(0)` ("nothing read") behaves like no `after`.
    ensure_conflict!(store.append(vec![unrelated()], cond(c1.clone(), Some(0))).await, 1, Some(0), "course:c1 condition with after = 0 (nothing read)");
    // `after` above the last match (the head read): passes.
    ensure_eq!(
        store.append(vec![unrelated()], cond(c1.clone(), Some(9))).await,
        Ok(10),
        "course:c1 condition with after = 9, above the last match"
    );
    // `after` above the head: passes.
    ensure_eq!(
        store.append(vec![unrelated()], cond(c1.clone(), Some(1_000))).await,
        Ok(11),
        "course:c1 condition with after = 1000, above the head"
    );
    // `Query::all()` with `after` = head passes, with head - 1 fails.
    ensure_eq!(
        store.append(vec![unrelated()], cond(Query::all(), Some(11))).await,
        Ok(12),
        "Query::all() condition with after = head (11)"
    );
    ensure_conflict!(store.append(vec![unrelated()], cond(Query::all(), Some(11))).await, 12, Some(11), "Query::all() condition with after = head - 1 (11, head 12)");
    ensure_eq!(positions(&read_all(&store).await?), (1..=12).collect::<Vec<_>>());
    Ok(())
}

/// A failed condition writes nothing, for single and multi-event appends,
/// and consumes no position.
pub async fn condition_failure_writes_nothing<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let before = read_all(&store).await?;

    let batch = vec![unrelated(), ev("CourseCreated", &["course:c3"]), unrelated()];
    let err = store.append(batch, cond(q1(&["StudentRegistered"], &[]), Some(3))).await;
    ensure_conflict!(err, 7, Some(3), "3-event append failing on StudentRegistered after 3");
    let err = store.append(vec![unrelated()], cond(Query::all(), None)).await;
    ensure!(
        matches!(err, Err(StoreError::ConditionFailed { .. })),
        "append failing if any event exists, on a non-empty store: expected Err(ConditionFailed {{ .. }}), got {err:?}"
    );
    ensure_eq!(read_all(&store).await?, before, "a failed append changed the log");
    ensure_eq!(read_pos(&store, &q1(&["Unrelated"], &[]), fwd()).await?, Vec::<u64>::new(), "a failed append wrote events");

    // The next successful append continues right after the head.
    ensure_eq!(store.append(vec![unrelated()], None).await, Ok(9), "the append after two failed ones (head 8)");
    Ok(())
}

/// `ConditionFailed` echoes `after` and is the conflict a handler
/// retries; when it names a conflicting position (optional: the DCB
/// specification does not require one), that is the first matching
/// position after `after`.
pub async fn condition_failed_carries_first_conflicting_position<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let err = ensure_err!(
        store.append(vec![unrelated()], cond(q1(&["StudentRegistered"], &[]), Some(3))).await,
        "append failing on StudentRegistered after 3 (there is one at 7)"
    );
    ensure_conflict!(Err::<(), _>(err.clone()), 7, Some(3), "the error of the append failing on StudentRegistered after 3");
    ensure!(err.is_conflict(), "the error of a failed condition must be the conflict (`is_conflict()`), got {err:?}");

    // Multi-item condition: the first position matching any item.
    let multi = q(vec![item(&["StudentEnrolled"], &["student:s2"]), item(&["CourseCapacityChanged"], &[])]);
    ensure_conflict!(store.append(vec![unrelated()], cond(multi.clone(), Some(2))).await, 6, Some(2), "2-item condition after 2 (matches at 6 and 8)");
    ensure_conflict!(store.append(vec![unrelated()], cond(multi, Some(6))).await, 8, Some(6), "2-item condition after 6 (a match at 8)");
    let msg = err.to_string();
    if err.conflicting_position().is_some() {
        ensure!(msg.contains('7'), "ConditionFailed message should name the position it carries: {msg}");
    } else {
        ensure!(msg.contains("position unknown"), "ConditionFailed without a position should say \"position unknown\": {msg}");
    }
    Ok(())
}

/// A condition whose query matches nothing passes, with or without `after`.
pub async fn condition_query_matching_nothing_passes<S: EventStore>(store: S) -> CaseResult {
    // Even `Query::all()` passes on an empty store.
    ensure_eq!(store.append(vec![unrelated()], cond(Query::all(), None)).await, Ok(1), "Query::all() condition on an empty store");
    ensure_eq!(
        store.append(vec![ev("CourseCreated", &["course:c1"])], cond(q1(&["CourseCreated"], &[]), None)).await,
        Ok(2),
        "CourseCreated condition when none exists"
    );
    ensure_eq!(store.append(vec![unrelated()], cond(q1(&["Never"], &[]), None)).await, Ok(3));
    ensure_eq!(store.append(vec![unrelated()], cond(q1(&["Never"], &[]), Some(1))).await, Ok(4));
    ensure_eq!(store.append(vec![unrelated()], cond(q1(&[], &["course:c1", "student:s9"]), None)).await, Ok(5));
    ensure_eq!(positions(&read_all(&store).await?), (1..=5).collect::<Vec<_>>());
    Ok(())
}

/// Events after `after` that don't match the condition query don't fail it,
/// even when they share a type or a tag with it.
pub async fn non_matching_events_do_not_fail_condition<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    // course:c1 events at 4, 6, 8 are not CourseCreated; CourseCreated at 2 is course:c2.
    ensure_eq!(
        store.append(vec![unrelated()], cond(q1(&["CourseCreated"], &["course:c1"]), Some(1))).await,
        Ok(9),
        "CourseCreated+course:c1 condition after 1 (later course:c1 events have other types)"
    );
    // Events 4, 5 carry student:s1 but not course:c3.
    ensure_eq!(
        store.append(vec![unrelated()], cond(q1(&[], &["student:s1", "course:c3"]), None)).await,
        Ok(10),
        "student:s1+course:c3 condition (no event carries both)"
    );
    // The appended events themselves are not checked against the condition.
    ensure_eq!(
        store
            .append(vec![ev("CourseCreated", &["course:c3"])], cond(q1(&["CourseCreated"], &["course:c3"]), None))
            .await,
        Ok(11),
        "an append whose own event matches its condition (the appended events are not checked)"
    );
    ensure_conflict!(
        store.append(vec![unrelated()], cond(q1(&["CourseCreated"], &["course:c3"]), None)).await,
        11,
        None,
        "CourseCreated+course:c3 condition after the append of CourseCreated course:c3 at 11"
    );
    Ok(())
}

/// [`RACE_WRITERS`] appends decide on the same (empty) state and append
/// under the same condition, concurrently: exactly one wins, the others
/// get `ConditionFailed` (naming its position, if they name one).
///
/// The appends are first driven concurrently on the calling task (a join,
/// no spawn): every append is started, and runs to its first pending
/// `.await`, before any of them resumes. An adapter that awaits between
/// its check and its write (a read, then an insert) therefore lets all of
/// them pass the check, deterministically; an engine on real I/O has all
/// of them in flight at once on the server.
///
/// Whether the calls overlapped is measured (calls in flight at once). A
/// store whose calls block the thread completes each one in its first
/// poll: the join then ran them one at a time and proved nothing, so the
/// case runs the race on OS threads instead
/// ([`race_on_threads`](super::race_on_threads) with
/// [`ThreadRace::default`](super::ThreadRace::default): 8 threads, 24
/// rounds, each thread's futures driven by [`ParkThread`](super::ParkThread)),
/// blocking the task that awaits the case meanwhile. If the calls did not
/// overlap there either, the case is
/// [`NotExercised`](CaseFailure::NotExercised), not passed.
pub async fn concurrent_conditional_appends_one_wins<S: EventStore>(store: S) -> CaseResult {
    let query = q1(&["CourseCreated"], &["course:c1"]);
    let gauge = InFlight::default();
    let appends: Vec<BoxFuture<'_, Result<Position, StoreError>>> = (0..RACE_WRITERS)
        .map(|i| {
            let e = ev_data("CourseCreated", &["course:c1"], &format!("{{\"task\":{i}}}"));
            let (store, query, gauge) = (&store, query.clone(), &gauge);
            Box::pin(async move {
                gauge.start();
                let result = store.append(vec![e], cond(query, None)).await;
                gauge.end();
                result
            }) as BoxFuture<'_, _>
        })
        .collect();
    let results = join_all(appends).await;
    let wins: Vec<Position> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    ensure_eq!(
        wins,
        vec![1],
        "exactly one append wins: the positions of the {RACE_WRITERS} concurrent appends (all failing if CourseCreated+course:c1 exists) that succeeded; results {results:?}"
    );
    for r in &results {
        if let Err(e) = r {
            ensure_conflict!(Err::<(), _>(e.clone()), 1, None, "a losing append's error");
        }
    }
    ensure_eq!(positions(&read_all(&store).await?), vec![1]);
    if gauge.max() > 1 {
        return Ok(());
    }
    let report = super::race_on_threads(&store, &super::ThreadRace::default());
    match report.verdict {
        super::RaceVerdict::Passed => Ok(()),
        super::RaceVerdict::Failed => Err(CaseFailure::ThreadRace(Box::new(report))),
        super::RaceVerdict::NotExercised => Err(CaseFailure::NotExercised {
            reason: format!(
                "each of the {RACE_WRITERS} joined appends completed in its first poll, so they ran one at a time; then {report}"
            ),
        }),
    }
}

/// Counts calls in flight and remembers the most at once.
#[derive(Default)]
struct InFlight {
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

impl InFlight {
    fn start(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(now, SeqCst);
    }

    fn end(&self) {
        self.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn max(&self) -> usize {
        self.max.load(std::sync::atomic::Ordering::SeqCst)
    }
}

// --- invalid input ---------------------------------------------------

/// An empty append is `EmptyAppend`, with or without a condition.
pub async fn invalid_empty_append<S: EventStore>(store: S) -> CaseResult {
    ensure_eq!(store.append(vec![], None).await, Err(invalid(InvalidInput::EmptyAppend)));
    ensure_eq!(store.append(vec![], cond(Query::all(), None)).await, Err(invalid(InvalidInput::EmptyAppend)));
    seed_standard(&store).await?;
    ensure_eq!(store.append(vec![], cond(q1(&["Never"], &[]), Some(8))).await, Err(invalid(InvalidInput::EmptyAppend)));
    Ok(())
}

/// A query item with neither types nor tags is `EmptyQueryItem { index }`
/// in a read and in a condition (built by hand: the constructor rejects it).
pub async fn invalid_empty_query_item<S: EventStore>(store: S) -> CaseResult {
    ensure_eq!(Query::from_items(vec![QueryItem::new()]), Err(InvalidInput::EmptyQueryItem { index: 0 }));
    seed_standard(&store).await?;
    let first = Query::Items(vec![QueryItem::new()].into());
    let second = Query::Items(vec![item(&["CourseCreated"], &[]), QueryItem::new()].into());
    for options in [fwd(), bwd(), opts(Some(2), false, Some(1))] {
        ensure_eq!(store.read(&first, options).await, Err(invalid(InvalidInput::EmptyQueryItem { index: 0 })), "read with {options:?}");
        ensure_eq!(store.read(&second, options).await, Err(invalid(InvalidInput::EmptyQueryItem { index: 1 })), "read with {options:?}");
    }
    ensure_eq!(
        store.append(vec![unrelated()], cond(second, None)).await,
        Err(invalid(InvalidInput::EmptyQueryItem { index: 1 }))
    );
    ensure_eq!(
        store.append(vec![unrelated()], cond(first, Some(8))).await,
        Err(invalid(InvalidInput::EmptyQueryItem { index: 0 }))
    );
    Ok(())
}

/// A query with no items is `EmptyQuery` in a read and in a condition.
pub async fn invalid_empty_query<S: EventStore>(store: S) -> CaseResult {
    ensure_eq!(Query::from_items(vec![]), Err(InvalidInput::EmptyQuery));
    let empty = Query::Items(vec![].into());
    ensure_eq!(store.read(&empty, fwd()).await, Err(invalid(InvalidInput::EmptyQuery)));
    seed_standard(&store).await?;
    ensure_eq!(store.read(&empty, bwd()).await, Err(invalid(InvalidInput::EmptyQuery)));
    ensure_eq!(store.append(vec![unrelated()], cond(empty, None)).await, Err(invalid(InvalidInput::EmptyQuery)));
    Ok(())
}

/// An empty tag string in a query item is `EmptyTag` in a read and in a
/// condition (and the validated constructors reject it up front).
pub async fn invalid_empty_tag<S: EventStore>(store: S) -> CaseResult {
    let bad_item = QueryItem::new().tags([""]);
    ensure_eq!(Query::from_item(bad_item.clone()), Err(InvalidInput::EmptyTag));
    ensure_eq!(Tag::new(""), Err(InvalidInput::EmptyTag));
    ensure_eq!(Event::new("CourseCreated", [""], "{}"), Err(InvalidInput::EmptyTag));

    seed_standard(&store).await?;
    let only_empty = Query::Items(vec![bad_item].into());
    let mixed = Query::Items(vec![QueryItem::new().types(["CourseCreated"]).tags(["course:c1", ""])].into());
    for query in [&only_empty, &mixed] {
        ensure_eq!(store.read(query, fwd()).await, Err(invalid(InvalidInput::EmptyTag)), "read of {query:?}");
        ensure_eq!(
            store.append(vec![unrelated()], cond(query.clone(), None)).await,
            Err(invalid(InvalidInput::EmptyTag)),
            "append with the condition query {query:?}"
        );
    }
    Ok(())
}

/// An empty event type is `EmptyEventType`: in an event built by struct
/// literal (alone or inside a batch) and in a query item's types.
pub async fn invalid_empty_event_type<S: EventStore>(store: S) -> CaseResult {
    ensure_eq!(Event::new("", ["course:c1"], "{}"), Err(InvalidInput::EmptyEventType));
    let bad = Event { event_type: String::new(), tags: Default::default(), data: "{}".into() };
    ensure_eq!(store.append(vec![bad.clone()], None).await, Err(invalid(InvalidInput::EmptyEventType)));
    seed_standard(&store).await?;
    ensure_eq!(
        store.append(vec![unrelated(), bad.clone(), unrelated()], cond(q1(&["Never"], &[]), None)).await,
        Err(invalid(InvalidInput::EmptyEventType))
    );
    let bad_types = Query::Items(vec![QueryItem::new().types(["CourseCreated", ""])].into());
    ensure_eq!(store.read(&bad_types, fwd()).await, Err(invalid(InvalidInput::EmptyEventType)));
    ensure_eq!(store.append(vec![unrelated()], cond(bad_types, None)).await, Err(invalid(InvalidInput::EmptyEventType)));
    Ok(())
}

/// `from: Some(0)` is `FromZero`, forwards and backwards, with any query.
pub async fn invalid_from_zero<S: EventStore>(store: S) -> CaseResult {
    ensure_eq!(store.read(&Query::all(), opts(Some(0), false, None)).await, Err(invalid(InvalidInput::FromZero)));
    seed_standard(&store).await?;
    for options in [opts(Some(0), false, None), opts(Some(0), true, None), opts(Some(0), false, Some(0))] {
        ensure_eq!(store.read(&Query::all(), options).await, Err(invalid(InvalidInput::FromZero)), "read with {options:?}");
        ensure_eq!(
            store.read(&q1(&[], &["course:c1"]), options).await,
            Err(invalid(InvalidInput::FromZero)),
            "read with {options:?}"
        );
    }
    Ok(())
}

/// No invalid append changes the log or consumes a position, even when
/// its condition would have failed or passed.
pub async fn invalid_append_leaves_log_unchanged<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let before = read_all(&store).await?;
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
        let desc = format!("append of {events:?} with condition {condition:?}");
        let result = store.append(events, condition).await;
        ensure!(matches!(result, Err(StoreError::InvalidInput(_))), "{desc}: expected Err(InvalidInput(..)), got {result:?}");
        ensure_eq!(read_all(&store).await?, before, "{desc} changed the log");
    }
    ensure_eq!(store.append(vec![unrelated()], None).await, Ok(9), "the append after the rejected ones (head 8)");
    Ok(())
}

/// Every error the store returns has a non-empty message that says how
/// to fix the input.
pub async fn error_messages_say_how_to_fix<S: EventStore>(store: S) -> CaseResult {
    seed_standard(&store).await?;
    let bad_event = Event { event_type: String::new(), tags: Default::default(), data: "{}".into() };
    let errors = [
        (store.append(vec![], None).await, InvalidInput::EmptyAppend, vec!["at least one event"]),
        (
            store.read(&Query::Items(vec![item(&["A"], &[]), QueryItem::new()].into()), fwd()).await.map(|_| 0),
            InvalidInput::EmptyQueryItem { index: 1 },
            vec!["Query::all", "1", "types", "tags"],
        ),
        (store.read(&Query::Items(vec![].into()), fwd()).await.map(|_| 0), InvalidInput::EmptyQuery, vec!["Query::all"]),
        (
            store.read(&Query::Items(vec![QueryItem::new().tags([""])].into()), fwd()).await.map(|_| 0),
            InvalidInput::EmptyTag,
            vec!["tag", "non-empty"],
        ),
        (store.append(vec![bad_event], None).await, InvalidInput::EmptyEventType, vec!["event type", "non-empty"]),
        (
            store.read(&Query::all(), opts(Some(0), false, None)).await.map(|_| 0),
            InvalidInput::FromZero,
            vec![">= 1", "None"],
        ),
    ];
    for (result, expected, hints) in errors {
        let err = ensure_err!(result, "a call with invalid input ({expected:?}) must be rejected");
        ensure_eq!(err, StoreError::InvalidInput(expected.clone()), "the error of a call with invalid input");
        for msg in [err.to_string(), expected.to_string()] {
            ensure!(!msg.trim().is_empty(), "{expected:?} has an empty message");
            for hint in &hints {
                ensure!(msg.contains(hint), "message for {expected:?} should mention {hint:?}: {msg}");
            }
        }
    }

    let conflict = ensure_err!(
        store.append(vec![unrelated()], cond(q1(&[], &["course:c1"]), Some(6))).await,
        "append failing on course:c1 after 6 (there is one at 8)"
    );
    let msg = conflict.to_string();
    ensure!(msg.contains("re-read"), "ConditionFailed message should say \"re-read\": {msg}");
    match conflict.conflicting_position() {
        Some(8) => ensure!(msg.contains('8'), "ConditionFailed message should name position 8: {msg}"),
        Some(other) => ensure!(false, "ConditionFailed names position {other}, but the first match after 6 is at 8"),
        None => ensure!(msg.contains("position unknown"), "ConditionFailed without a position should say \"position unknown\": {msg}"),
    }
    Ok(())
}

// --- name rules: MAX_NAME_BYTES and control characters ----------------

/// `n` bytes of `x`.
fn long(n: usize) -> String {
    "x".repeat(n)
}

/// A tag as the store sees it, built without validation (through a
/// query item, whose builder does not validate): the way a bad name can
/// reach an event that was not built with `Event::new`.
fn raw_tag(s: &str) -> Tag {
    QueryItem::new().tags([s]).tags.remove(0)
}

/// Tags and event types above `MAX_NAME_BYTES` (255 bytes of UTF-8) are
/// `NameTooLong { kind, len, max: 255 }`, in events (append) and in
/// query items (read and condition), and change nothing.
pub async fn invalid_oversized_names<S: EventStore>(store: S) -> CaseResult {
    ensure_eq!(MAX_NAME_BYTES, 255);
    let too_long = |kind, len| InvalidInput::NameTooLong { kind, len, max: 255 };
    ensure_eq!(Tag::new(long(256)), Err(too_long(NameKind::Tag, 256)));
    ensure_eq!(Event::new("T", [long(300)], "{}"), Err(too_long(NameKind::Tag, 300)));
    ensure_eq!(Event::new(long(256), ["a"], "{}"), Err(too_long(NameKind::EventType, 256)));
    // Bytes, not characters: 86 three-byte characters are 258 bytes.
    ensure_eq!(Tag::new("✓".repeat(86)), Err(too_long(NameKind::Tag, 258)));

    seed_standard(&store).await?;
    let before = read_all(&store).await?;
    let bad_type = Event { event_type: long(256), tags: Default::default(), data: "{}".into() };
    let bad_tag = Event { event_type: "T".into(), tags: [raw_tag(&long(256))].into(), data: "{}".into() };
    ensure_eq!(
        store.append(vec![bad_type], None).await,
        Err(invalid(too_long(NameKind::EventType, 256))),
        "append of an event whose type is 256 bytes"
    );
    ensure_eq!(
        store.append(vec![unrelated(), bad_tag], cond(q1(&["Never"], &[]), None)).await,
        Err(invalid(too_long(NameKind::Tag, 256))),
        "append of a batch with an event whose tag is 256 bytes"
    );
    let long_tag = Query::Items(vec![QueryItem::new().tags(["course:c1".to_string(), long(1000)])].into());
    let long_type = Query::Items(vec![item(&["CourseCreated"], &[]), QueryItem::new().types([long(256)])].into());
    ensure_eq!(store.read(&long_tag, fwd()).await, Err(invalid(too_long(NameKind::Tag, 1000))), "read of a query with a 1000-byte tag");
    ensure_eq!(
        store.read(&long_type, bwd()).await,
        Err(invalid(too_long(NameKind::EventType, 256))),
        "read of a query with a 256-byte type"
    );
    ensure_eq!(
        store.append(vec![unrelated()], cond(long_tag, Some(8))).await,
        Err(invalid(too_long(NameKind::Tag, 1000))),
        "append with a condition query holding a 1000-byte tag"
    );
    ensure_eq!(
        store.append(vec![unrelated()], cond(long_type, None)).await,
        Err(invalid(too_long(NameKind::EventType, 256))),
        "append with a condition query holding a 256-byte type"
    );
    ensure_eq!(read_all(&store).await?, before, "a rejected name changed the log");
    ensure_eq!(store.append(vec![unrelated()], None).await, Ok(9), "a rejected name consumed a position");

    let msg = StoreError::InvalidInput(too_long(NameKind::Tag, 256)).to_string();
    for hint in ["tag", "256", "255", "MAX_NAME_BYTES", "shorter"] {
        ensure!(msg.contains(hint), "NameTooLong message should mention {hint:?}: {msg}");
    }
    Ok(())
}

/// Control characters (Unicode Cc: NUL, tab, CR/LF, ESC, DEL, C1) in a
/// tag or event type are `ControlCharacter { kind, index (bytes), ch }`,
/// in events and in queries; payloads may contain anything.
pub async fn invalid_control_characters<S: EventStore>(store: S) -> CaseResult {
    let cc = |kind, index, ch| InvalidInput::ControlCharacter { kind, index, ch };
    ensure_eq!(Tag::new("course:\n1"), Err(cc(NameKind::Tag, 7, '\n')));
    ensure_eq!(Event::new("Course\0Created", ["a"], "{}"), Err(cc(NameKind::EventType, 6, '\0')));
    ensure_eq!(Event::new("T", ["ok", "tab\there"], "{}"), Err(cc(NameKind::Tag, 3, '\t')));
    ensure_eq!(Tag::new("é\u{7f}"), Err(cc(NameKind::Tag, 2, '\u{7f}')));
    ensure_eq!(Tag::new("a\u{85}"), Err(cc(NameKind::Tag, 1, '\u{85}')));
    ensure!(Tag::new("naïve tag: ✓ / #1 (ok)").is_ok(), "printable text, spaces and punctuation are fine");

    seed_standard(&store).await?;
    let before = read_all(&store).await?;
    let bad_type = Event { event_type: "Evil\r\nType".into(), tags: Default::default(), data: "{}".into() };
    let bad_tag = Event { event_type: "T".into(), tags: [raw_tag("a\u{1b}[31m")].into(), data: "{}".into() };
    ensure_eq!(
        store.append(vec![bad_type], None).await,
        Err(invalid(cc(NameKind::EventType, 4, '\r'))),
        "append of an event whose type holds CR LF"
    );
    ensure_eq!(
        store.append(vec![unrelated(), bad_tag], None).await,
        Err(invalid(cc(NameKind::Tag, 1, '\u{1b}'))),
        "append of a batch with an event whose tag holds ESC"
    );
    let nul_tag = Query::Items(vec![QueryItem::new().types(["CourseCreated"]).tags(["course:\0c1"])].into());
    let tab_type = Query::Items(vec![item(&["StudentEnrolled"], &[]), QueryItem::new().types(["Course\tCreated"])].into());
    ensure_eq!(store.read(&nul_tag, fwd()).await, Err(invalid(cc(NameKind::Tag, 7, '\0'))), "read of a query whose tag holds NUL");
    ensure_eq!(
        store.read(&tab_type, fwd()).await,
        Err(invalid(cc(NameKind::EventType, 6, '\t'))),
        "read of a query whose type holds a tab"
    );
    ensure_eq!(
        store.append(vec![unrelated()], cond(nul_tag, Some(8))).await,
        Err(invalid(cc(NameKind::Tag, 7, '\0'))),
        "append with a condition query whose tag holds NUL"
    );
    ensure_eq!(
        store.append(vec![unrelated()], cond(tab_type, None)).await,
        Err(invalid(cc(NameKind::EventType, 6, '\t'))),
        "append with a condition query whose type holds a tab"
    );
    ensure_eq!(read_all(&store).await?, before, "a rejected name changed the log");

    let payload = Event::new("Payload", ["p:1"], "line1\nline2\0end\t✓ '\"").expect("payloads are free-form");
    ensure_eq!(store.append(vec![payload.clone()], None).await, Ok(9), "append of an event whose payload holds control characters");
    let read = ensure_ok!(store.read(&q1(&["Payload"], &[]), fwd()).await, "read of the Payload event");
    ensure_eq!(read.iter().map(|e| (*e.event).clone()).collect::<Vec<_>>(), vec![payload], "the payload read back");

    let msg = StoreError::InvalidInput(cc(NameKind::EventType, 4, '\r')).to_string();
    for hint in ["event type", "control character", "'\\r'", "byte 4", "printable"] {
        ensure!(msg.contains(hint), "ControlCharacter message should mention {hint:?}: {msg}");
    }
    Ok(())
}

/// Names of exactly 255 bytes (ASCII or multi-byte) are stored, read
/// back exactly and matched, in reads and conditions.
pub async fn names_at_the_limit_round_trip<S: EventStore>(store: S) -> CaseResult {
    let ty = "T".repeat(255);
    let ascii = format!("k:{}", "a".repeat(253));
    let utf8 = "✓".repeat(85);
    ensure_eq!((ty.len(), ascii.len(), utf8.len()), (255, 255, 255));
    let e = Event::new(ty.clone(), [ascii.clone(), utf8.clone()], "{}").expect("255 bytes is allowed");
    ensure_eq!(store.append(vec![e.clone()], None).await, Ok(1), "append of an event with a 255-byte type and 255-byte tags");
    let q = q1(&[ty.as_str()], &[ascii.as_str(), utf8.as_str()]);
    let read = ensure_ok!(store.read(&q, fwd()).await, "read of a query with a 255-byte type and 255-byte tags");
    ensure_eq!(read.iter().map(|e| (*e.event).clone()).collect::<Vec<_>>(), vec![e], "the 255-byte names read back");
    ensure_conflict!(store.append(vec![unrelated()], cond(q.clone(), None)).await, 1, None, "a condition on the 255-byte names must see the event at 1");
    ensure_eq!(store.append(vec![unrelated()], cond(q, Some(1))).await, Ok(2));
    Ok(())
}
