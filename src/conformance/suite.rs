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

/// Where the rule a case checks comes from: the DCB specification, which
/// every store must follow, or dcb-sim's own input profile (its choices
/// for input the specification leaves open: see the table in
/// [`store`](crate::store), with the reason for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleSource {
    /// A rule of the DCB specification (<https://dcb.events>): query
    /// matching, read options, append conditions, atomicity, positions,
    /// concurrency.
    Specification,
    /// dcb-sim's input profile: which input a store rejects (empty append,
    /// empty tag or type, empty query or item, `from: 0`, name length and
    /// characters) and with which typed [`InvalidInput`](crate::store::InvalidInput).
    /// The specification leaves these open; a store may follow other
    /// rules and still be a DCB store. Waive them with
    /// [`Suite::waive_profile`](super::Suite::waive_profile).
    InputProfile,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleSource::Specification => "DCB specification",
            RuleSource::InputProfile => "dcb-sim input profile",
        })
    }
}

/// One conformance case: a named check of one DCB rule, run on a fresh
/// empty store. The function behind it is the same-named one in
/// [`cases`](super::cases).
pub struct Case {
    /// The case's name, the name of its function in
    /// [`cases`](super::cases) (e.g. `"limit"`).
    pub name: &'static str,
    /// The DCB rule the case checks, in one line.
    pub rule: &'static str,
    /// Whether the rule is the DCB specification's or dcb-sim's input
    /// profile.
    pub source: RuleSource,
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
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("rule", &self.rule)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Cases are equal when they have the same name.
impl PartialEq for Case {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Case {}

/// `name: spec|profile "rule", ...` → `pub const CASES`, each entry
/// calling `cases::name` on the erased store.
macro_rules! case_list {
    (@source spec) => { RuleSource::Specification };
    (@source profile) => { RuleSource::InputProfile };
    ($($name:ident: $source:ident $rule:literal,)*) => {
        /// Every case of the suite, in the order [`check`](super::check)
        /// runs them. Names are unique.
        pub const CASES: &[Case] = &[$(
            Case {
                name: stringify!($name),
                rule: $rule,
                source: case_list!(@source $source),
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
    empty_store_read: spec "every read of an empty store (any query, direction, `from`, `limit`) returns no events",
    positions_start_at_one_and_are_consecutive: spec "positions start at 1 and grow by exactly 1 per event; a read returns the appended events unchanged",
    multi_event_append_is_consecutive_and_returns_last: spec "a multi-event append takes consecutive positions in list order and returns the position of its last event",
    query_items_are_ored: spec "a query's items are OR-ed; an event matching several items is returned once",
    item_types_are_any_of: spec "an item's types are any-of: the event's type must be one of them",
    item_tags_are_all_of: spec "an item's tags are all-of: the event must carry every one of them",
    item_with_only_types: spec "an item with types and no tags constrains only the type",
    item_with_only_tags: spec "an item with tags and no types matches events of any type",
    item_with_types_and_tags: spec "an item with types and tags needs one of the types AND all of the tags",
    query_all_matches_everything: spec "`Query::all()` matches every event, payloads included",
    from_is_inclusive_forwards: spec "reading forwards, `from` is the first position considered (inclusive)",
    from_is_highest_inclusive_backwards: spec "reading backwards, `from` is the highest position considered (inclusive)",
    backwards_is_newest_first: spec "a backwards read returns the newest event first",
    limit: spec "`limit: Some(0)` returns no events; `Some(n)` keeps the first n matches in read order, after the query and `from`",
    from_beyond_head: spec "forwards from beyond the head returns nothing; backwards from beyond the head reads from the head",
    condition_without_after: spec "a condition without `after` fails if any event matches its query",
    condition_with_after_is_strictly_greater: spec "a condition with `after` fails only on matches at positions strictly greater than `after`",
    condition_failure_writes_nothing: spec "an append whose condition fails writes none of its events and consumes no position",
    condition_failed_carries_first_conflicting_position: spec "`ConditionFailed` is the conflict and echoes `after`; when it names a conflicting position (optional), that is the first match after `after`",
    condition_query_matching_nothing_passes: spec "a condition whose query matches no stored event passes, with or without `after`",
    non_matching_events_do_not_fail_condition: spec "only stored events that match the condition query fail it (not ones sharing a type or a tag, nor the appended events)",
    concurrent_conditional_appends_one_wins: spec "of 8 concurrent appends under the same condition exactly one wins; the others get `ConditionFailed` (at its position, if they name one); the calls must overlap, else the race runs on OS threads",
    invalid_empty_append: profile "an append of no events is `InvalidInput::EmptyAppend`, with or without a condition",
    invalid_empty_query_item: profile "a query item with neither types nor tags is `InvalidInput::EmptyQueryItem { index }`, in reads and conditions",
    invalid_empty_query: profile "a query with no items is `InvalidInput::EmptyQuery`, in reads and conditions",
    invalid_empty_tag: profile "an empty tag in a query item is `InvalidInput::EmptyTag`, in reads and conditions",
    invalid_empty_event_type: profile "an empty event type is `InvalidInput::EmptyEventType`, in appended events and query items",
    invalid_from_zero: profile "`from: Some(0)` is `InvalidInput::FromZero`, in both directions, with any query",
    invalid_append_leaves_log_unchanged: profile "an append rejected as invalid input changes nothing and consumes no position",
    error_messages_say_how_to_fix: profile "every invalid-input and conflict error is the typed `StoreError` whose message says how to fix the call",
    invalid_oversized_names: profile "tags and event types above 255 bytes are `InvalidInput::NameTooLong`, in events and queries, and change nothing",
    invalid_control_characters: profile "control characters in tags and event types are `InvalidInput::ControlCharacter`, in events and queries; payloads may hold anything",
    names_at_the_limit_round_trip: profile "names of exactly 255 bytes (ASCII or multi-byte) are stored, read back exactly and matched",
}
