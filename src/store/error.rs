//! Typed store errors.

use super::types::Position;

/// Errors an [`EventStore`](super::EventStore) returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The append condition failed: an event matching `fail_if_events_match`
    /// exists after the condition's `after` position. Nothing was written.
    /// This is the concurrency conflict a command handler retries.
    #[error("append condition failed: event at position {conflicting} matches the condition query (after = {after:?}); re-read and decide again")]
    ConditionFailed {
        /// Position of the first conflicting event.
        conflicting: Position,
        /// The condition's `after` position.
        after: Option<Position>,
    },
    /// The caller passed something the store cannot accept.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InvalidInput),
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

impl StoreError {
    /// True for [`StoreError::ConditionFailed`], the concurrency conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::ConditionFailed { .. })
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
