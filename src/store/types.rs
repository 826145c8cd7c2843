//! Events, tags and positions.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::{InvalidInput, NameKind};

/// The longest tag or event type, in bytes of UTF-8: 255.
///
/// Every engine enforces the same limit (and the same character rule, see
/// [`validate_name`]) so that a store can be swapped without surprises: an
/// event the in-memory engine accepts is accepted by SQLite and PostgreSQL
/// too, and is indexed there as a short key. 255 bytes is far above any
/// real tag (`course:<uuid>` is 43 bytes) and keeps index entries small.
pub const MAX_NAME_BYTES: usize = 255;

/// Checks a tag or event type: non-empty, at most [`MAX_NAME_BYTES`]
/// bytes, no control characters (Unicode category Cc: NUL, tab, newline,
/// DEL, ...). Control characters are rejected because PostgreSQL cannot
/// store NUL in `text`, and because names appear in logs, CLI output and
/// failure reports, where a newline or escape sequence would mislead.
///
/// # Errors
/// [`InvalidInput::EmptyTag`] / [`InvalidInput::EmptyEventType`],
/// [`InvalidInput::NameTooLong`], [`InvalidInput::ControlCharacter`] (in
/// that order of precedence).
pub fn validate_name(kind: NameKind, name: &str) -> Result<(), InvalidInput> {
    if name.is_empty() {
        return Err(match kind {
            NameKind::Tag => InvalidInput::EmptyTag,
            NameKind::EventType => InvalidInput::EmptyEventType,
        });
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(InvalidInput::NameTooLong { kind, len: name.len(), max: MAX_NAME_BYTES });
    }
    // Fast path: ASCII without control bytes (0x00–0x1f, 0x7f) is the common case.
    if name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    if let Some((index, ch)) = name.char_indices().find(|(_, c)| c.is_control()) {
        return Err(InvalidInput::ControlCharacter { kind, index, ch });
    }
    Ok(())
}

/// A position in the log. Positions start at 1 and strictly increase.
pub type Position = u64;

/// A tag such as `course:c1`: an event carries a set of tags, and a query
/// item selects events that carry all of its tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(pub(super) String);

impl Tag {
    /// A validated tag.
    ///
    /// # Errors
    /// [`InvalidInput::EmptyTag`] for the empty string,
    /// [`InvalidInput::NameTooLong`] above [`MAX_NAME_BYTES`],
    /// [`InvalidInput::ControlCharacter`] (see [`validate_name`]).
    pub fn new(tag: impl Into<String>) -> Result<Self, InvalidInput> {
        let tag = tag.into();
        validate_name(NameKind::Tag, &tag)?;
        Ok(Tag(tag))
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = InvalidInput;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Tag::new(value)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> Self {
        tag.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event to append: a type, a set of tags and an opaque payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// The event type, e.g. `StudentEnrolledToCourse`.
    pub event_type: String,
    /// The tags that queries select on.
    pub tags: BTreeSet<Tag>,
    /// Opaque payload (dcb-sim's domains use JSON).
    pub data: String,
}

impl Event {
    /// A validated event.
    ///
    /// # Errors
    /// [`InvalidInput::EmptyEventType`], [`InvalidInput::EmptyTag`], or
    /// [`InvalidInput::NameTooLong`] / [`InvalidInput::ControlCharacter`]
    /// for the type or a tag (see [`validate_name`]).
    ///
    /// ```
    /// let e = dcb_sim::store::Event::new("CourseCreated", ["course:c1"], "{}").unwrap();
    /// assert_eq!(e.tags.len(), 1);
    /// ```
    pub fn new<I, T>(event_type: impl Into<String>, tags: I, data: impl Into<String>) -> Result<Self, InvalidInput>
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let event_type = event_type.into();
        validate_name(NameKind::EventType, &event_type)?;
        let tags = tags.into_iter().map(Tag::new).collect::<Result<_, _>>()?;
        Ok(Event { event_type, tags, data: data.into() })
    }

    /// Checks an event built by hand (fields are public): its type, then
    /// its tags in order, with [`validate_name`].
    ///
    /// # Errors
    /// As [`Event::new`].
    pub fn validate(&self) -> Result<(), InvalidInput> {
        validate_name(NameKind::EventType, &self.event_type)?;
        self.tags.iter().try_for_each(|t| validate_name(NameKind::Tag, &t.0))
    }

    /// Whether the event carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.0 == tag)
    }
}

/// An event with the position the store gave it. The event is shared
/// (`Arc`), so reads hand out copies of the log without copying events.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SequencedEvent {
    /// Position in the log (≥ 1).
    pub position: Position,
    /// The event.
    pub event: Arc<Event>,
}

impl SequencedEvent {
    /// An event at `position`.
    pub fn new(position: Position, event: Event) -> Self {
        SequencedEvent { position, event: Arc::new(event) }
    }
}
