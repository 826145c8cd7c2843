//! The list of cases ([`CASES`]) and the [`Case`] type: a name, the DCB
//! rule it checks, and the case function of [`cases`](super::cases).

use std::fmt;
use std::future::Future;

use super::CaseFailure;
use super::cases;
use super::erased::ErasedStore;
use super::join::BoxFuture;
use super::runner::CatchPanic;
use crate::store::EventStore;

/// A case function over the erased store.
type CaseFn = for<'a> fn(ErasedStore<'a>) -> BoxFuture<'a, Result<(), CaseFailure>>;

/// One conformance case: a named check of one DCB rule, run on a fresh
/// empty store. The function behind it is the same-named one in
/// [`cases`](super::cases).
pub struct Case {
    /// The case's name, the name of its function in
    /// [`cases`](super::cases) (e.g. `"limit"`).
    pub name: &'static str,
    /// The DCB rule the case checks, in one line.
    pub rule: &'static str,
    run: CaseFn,
}

impl Case {
    /// The case named `name`, if there is one.
    pub fn named(name: &str) -> Option<&'static Case> {
        CASES.iter().find(|c| c.name == name)
    }

    /// Runs the case on `store`, which must be fresh and empty. A panic in
    /// the store (or the case) is caught and returned as
    /// [`CaseFailure::Panicked`].
    ///
    /// The future is `Send` (the store's futures are, by the
    /// [`EventStore`] contract), needs no particular runtime, and spawns
    /// nothing: it runs on the task that awaits it.
    ///
    /// # Errors
    /// The first check of the case that the store failed.
    pub fn run<'a, S: EventStore + 'a>(
        &self,
        store: S,
    ) -> impl Future<Output = Result<(), CaseFailure>> + Send + use<'a, S> {
        let run = self.run;
        async move {
            match CatchPanic::new(run(ErasedStore::new(store))).await {
                Ok(outcome) => outcome,
                Err(message) => Err(CaseFailure::Panicked { message }),
            }
        }
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case").field("name", &self.name).field("rule", &self.rule).finish_non_exhaustive()
    }
}

/// Cases are equal when they have the same name.
impl PartialEq for Case {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Case {}

/// `name: rule, ...` → `pub const CASES`, each entry calling
/// `cases::name` on the erased store.
macro_rules! case_list {
    ($($name:ident: $rule:literal,)*) => {
        /// Every case of the suite, in the order [`check`](super::check)
        /// runs them. Names are unique.
        pub const CASES: &[Case] = &[$(
            Case {
                name: stringify!($name),
                rule: $rule,
                run: {
                    fn run(store: ErasedStore<'_>) -> BoxFuture<'_, Result<(), CaseFailure>> {
                        Box::pin(cases::$name(store))
                    }
                    run
                },
            },
        )*];
    };
}

case_list! {
    empty_store_read: "every read of an empty store (any query, direction, `from`, `limit`) returns no events",
    positions_start_at_one_and_are_consecutive: "positions start at 1 and grow by exactly 1 per event; a read returns the appended events unchanged",
    multi_event_append_is_consecutive_and_returns_last: "a multi-event append takes consecutive positions in list order and returns the position of its last event",
    query_items_are_ored: "a query's items are OR-ed; an event matching several items is returned once",
    item_types_are_any_of: "an item's types are any-of: the event's type must be one of them",
    item_tags_are_all_of: "an item's tags are all-of: the event must carry every one of them",
    item_with_only_types: "an item with types and no tags constrains only the type",
    item_with_only_tags: "an item with tags and no types matches events of any type",
    item_with_types_and_tags: "an item with types and tags needs one of the types AND all of the tags",
    query_all_matches_everything: "`Query::all()` matches every event, payloads included",
    from_is_inclusive_forwards: "reading forwards, `from` is the first position considered (inclusive)",
    from_is_highest_inclusive_backwards: "reading backwards, `from` is the highest position considered (inclusive)",
    backwards_is_newest_first: "a backwards read returns the newest event first",
    limit: "`limit: Some(0)` returns no events; `Some(n)` keeps the first n matches in read order, after the query and `from`",
    from_beyond_head: "forwards from beyond the head returns nothing; backwards from beyond the head reads from the head",
    condition_without_after: "a condition without `after` fails if any event matches its query",
    condition_with_after_is_strictly_greater: "a condition with `after` fails only on matches at positions strictly greater than `after`",
    condition_failure_writes_nothing: "an append whose condition fails writes none of its events and consumes no position",
    condition_failed_carries_first_conflicting_position: "`ConditionFailed` names the first matching position after `after` and echoes `after`",
    condition_query_matching_nothing_passes: "a condition whose query matches no stored event passes, with or without `after`",
    non_matching_events_do_not_fail_condition: "only stored events that match the condition query fail it (not ones sharing a type or a tag, nor the appended events)",
    concurrent_conditional_appends_one_wins: "of 8 concurrent appends under the same condition exactly one wins; the others get `ConditionFailed` at its position",
    invalid_empty_append: "an append of no events is `InvalidInput::EmptyAppend`, with or without a condition",
    invalid_empty_query_item: "a query item with neither types nor tags is `InvalidInput::EmptyQueryItem { index }`, in reads and conditions",
    invalid_empty_query: "a query with no items is `InvalidInput::EmptyQuery`, in reads and conditions",
    invalid_empty_tag: "an empty tag in a query item is `InvalidInput::EmptyTag`, in reads and conditions",
    invalid_empty_event_type: "an empty event type is `InvalidInput::EmptyEventType`, in appended events and query items",
    invalid_from_zero: "`from: Some(0)` is `InvalidInput::FromZero`, in both directions, with any query",
    invalid_append_leaves_log_unchanged: "an append rejected as invalid input changes nothing and consumes no position",
    error_messages_say_how_to_fix: "every invalid-input and conflict error is the typed `StoreError` whose message says how to fix the call",
    invalid_oversized_names: "tags and event types above 255 bytes are `InvalidInput::NameTooLong`, in events and queries, and change nothing",
    invalid_control_characters: "control characters in tags and event types are `InvalidInput::ControlCharacter`, in events and queries; payloads may hold anything",
    names_at_the_limit_round_trip: "names of exactly 255 bytes (ASCII or multi-byte) are stored, read back exactly and matched",
}
