//! Typed store errors.

use super::types::Position;

/// Errors an [`EventStore`](super::EventStore) returns.
///
/// How the retry engine classifies each variant is documented (and
/// decided) at `impl Classify for StoreError` in
/// [`retry::classify`](crate::retry::Classify): only
/// [`ConditionFailed`](StoreError::ConditionFailed) is a conflict, only
/// `Unavailable { retryable: true }` is transient; [`InvalidInput`] and
/// [`Rejected`](StoreError::Rejected) are never retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The append condition failed: an event matching `fail_if_events_match`
    /// exists after the condition's `after` position. Nothing was written.
    /// This is the concurrency conflict a command handler retries.
    ///
    /// `conflicting` is the position of the first matching event after
    /// `after` when the engine can tell (dcb-sim's engines always can);
    /// `None` when it cannot (many engines only report "the condition
    /// failed"). Nothing in dcb-sim depends on it being present: the
    /// conformance suite checks it only when it is given.
    #[error("append condition failed: {} matches the condition query (after = {after:?}); re-read and decide again", describe_conflict(*.conflicting))]
    ConditionFailed {
        /// Position of the first conflicting event, if the engine reports it.
        conflicting: Option<Position>,
        /// The condition's `after` position.
        after: Option<Position>,
    },
    /// The caller passed something the store cannot accept, by dcb-sim's
    /// input rules (see [`store`](super) for each rule and why).
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InvalidInput),
    /// The engine itself rejected the call's input, by a rule of its own
    /// that dcb-sim's [`InvalidInput`] does not name (a length limit of its
    /// own, a reserved character, a batch too large, ...): the adapter of a
    /// third-party engine maps the engine's validation error here, with
    /// the engine's message. Nothing was written. Not retryable: the same
    /// input is rejected again.
    #[error("the engine rejected the input: {reason}; change the input as the engine's message says (retrying the same call fails again)")]
    Rejected {
        /// The engine's own message, saying what was wrong.
        reason: String,
    },
    /// The store could not be reached or failed transiently. `retryable`
    /// says whether the caller may retry the whole operation.
    #[error("store unavailable ({reason}); retryable: {retryable}")]
    Unavailable {
        /// Whether retrying may succeed.
        retryable: bool,
        /// What happened.
        reason: String,
    },
    /// The call did not finish before its deadline; with an append, the
    /// caller cannot know whether it was applied.
    #[error("store call timed out: {0}")]
    Timeout(String),
    /// The caller went away (e.g. its client crashed) before finishing.
    #[error("canceled: {0}")]
    Canceled(String),
}

/// "event at position 7" or "an event (position unknown)".
fn describe_conflict(conflicting: Option<Position>) -> String {
    match conflicting {
        Some(position) => format!("event at position {position}"),
        None => "an event (position unknown)".to_string(),
    }
}

impl StoreError {
    /// True for [`StoreError::ConditionFailed`], the concurrency conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::ConditionFailed { .. })
    }

    /// The position of the first conflicting event of a
    /// [`ConditionFailed`](StoreError::ConditionFailed), when the engine
    /// reported it; `None` for other errors and for engines that do not.
    pub fn conflicting_position(&self) -> Option<Position> {
        match self {
            StoreError::ConditionFailed { conflicting, .. } => *conflicting,
            _ => None,
        }
    }
}

/// Invalid input to a store call. Every variant says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    /// `append` was called with no events.
    #[error("append needs at least one event; skip the call when there is nothing to write")]
    EmptyAppend,
    /// A query item had neither types nor tags.
    #[error("query item {index} has neither types nor tags; give at least one, or use Query::all() to match every event")]
    EmptyQueryItem {
        /// Index of the offending item.
        index: usize,
    },
    /// A query had no items.
    #[error("query has no items; add an item, or use Query::all() to match every event")]
    EmptyQuery,
    /// A tag was the empty string.
    #[error("tag must not be empty; use a non-empty string such as \"course:c1\"")]
    EmptyTag,
    /// An event type was the empty string.
    #[error("event type must not be empty; use a non-empty name such as \"CourseCreated\"")]
    EmptyEventType,
    /// `ReadOptions::from` was `Some(0)`.
    #[error("read option `from` must be >= 1 (positions start at 1); use None to read from the start")]
    FromZero,
    /// A tag or event type is longer than
    /// [`MAX_NAME_BYTES`](super::MAX_NAME_BYTES) bytes (UTF-8).
    #[error("{kind} is {len} bytes long, above the limit of {max} bytes (dcb_sim::store::MAX_NAME_BYTES); use a shorter name, e.g. an id instead of a description")]
    NameTooLong {
        /// Which kind of name.
        kind: NameKind,
        /// Its length in bytes.
        len: usize,
        /// The limit ([`MAX_NAME_BYTES`](super::MAX_NAME_BYTES)).
        max: usize,
    },
    /// A tag or event type contains a control character (NUL, tab,
    /// newline, DEL, ...: Unicode category Cc).
    #[error("{kind} contains the control character {ch:?} at byte {index}; use printable text only (no NUL, tab, newline or other control characters)")]
    ControlCharacter {
        /// Which kind of name.
        kind: NameKind,
        /// Byte offset of the character.
        index: usize,
        /// The character.
        ch: char,
    },
}

/// Which kind of name an [`InvalidInput`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A tag (of an event or a query item).
    Tag,
    /// An event type (of an event or a query item).
    EventType,
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameKind::Tag => "tag",
            NameKind::EventType => "event type",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_failed_message_names_the_position_or_says_it_is_unknown() {
        let known = StoreError::ConditionFailed { conflicting: Some(7), after: Some(3) };
        assert_eq!(
            known.to_string(),
            "append condition failed: event at position 7 matches the condition query (after = Some(3)); re-read and decide again"
        );
        let unknown = StoreError::ConditionFailed { conflicting: None, after: None };
        assert_eq!(
            unknown.to_string(),
            "append condition failed: an event (position unknown) matches the condition query (after = None); re-read and decide again"
        );
        assert_eq!((known.conflicting_position(), unknown.conflicting_position()), (Some(7), None));
        assert!(known.is_conflict() && unknown.is_conflict());
    }

    #[test]
    fn rejected_carries_the_engines_message_and_is_not_a_conflict() {
        let e = StoreError::Rejected { reason: "tag longer than 64 characters".into() };
        let msg = e.to_string();
        assert!(msg.contains("tag longer than 64 characters") && msg.contains("rejected"), "{msg}");
        assert!(!e.is_conflict());
        assert_eq!(e.conflicting_position(), None);
    }
}
