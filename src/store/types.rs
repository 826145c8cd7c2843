//! Events, tags and positions.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::InvalidInput;

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
    /// [`InvalidInput::EmptyTag`] for the empty string.
    pub fn new(tag: impl Into<String>) -> Result<Self, InvalidInput> {
        let tag = tag.into();
        if tag.is_empty() {
            return Err(InvalidInput::EmptyTag);
        }
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
    /// [`InvalidInput::EmptyEventType`] or [`InvalidInput::EmptyTag`].
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
        if event_type.is_empty() {
            return Err(InvalidInput::EmptyEventType);
        }
        let tags = tags.into_iter().map(Tag::new).collect::<Result<_, _>>()?;
        Ok(Event { event_type, tags, data: data.into() })
    }

    /// Checks an event built by hand (fields are public).
    ///
    /// # Errors
    /// [`InvalidInput::EmptyEventType`] or [`InvalidInput::EmptyTag`].
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.event_type.is_empty() {
            return Err(InvalidInput::EmptyEventType);
        }
        if self.tags.iter().any(|t| t.0.is_empty()) {
            return Err(InvalidInput::EmptyTag);
        }
        Ok(())
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
