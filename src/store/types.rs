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
    if is_plain_name(name) {
        return Ok(());
    }
    if name.is_empty() {
        return Err(match kind {
            NameKind::Tag => InvalidInput::EmptyTag,
            NameKind::EventType => InvalidInput::EmptyEventType,
        });
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(InvalidInput::NameTooLong { kind, len: name.len(), max: MAX_NAME_BYTES });
    }
    if let Some((index, ch)) = name.char_indices().find(|(_, c)| c.is_control()) {
        return Err(InvalidInput::ControlCharacter { kind, index, ch });
    }
    Ok(())
}

/// The common case of a valid name, decided without branching per byte:
/// 1 to [`MAX_NAME_BYTES`] bytes of printable ASCII (0x20–0x7e). A name
/// that fails this may still be valid (non-ASCII text without control
/// characters); [`validate_name`] then takes the slow path.
#[inline]
pub(crate) fn is_plain_name(name: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const SPACE: u64 = u64::from_ne_bytes([0x20; 8]);
    const DEL: u64 = u64::from_ne_bytes([0x7f; 8]);
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_NAME_BYTES {
        return false;
    }
    // Eight bytes at a time: a byte is bad if its high bit is set (not
    // ASCII), if it is below 0x20 (`x - 0x20` borrows into the high bit) or
    // if it equals 0x7f (`x ^ 0x7f` is zero). Exact once no byte is >= 0x80.
    let mut chunks = bytes.chunks_exact(8);
    let mut bad = 0u64;
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().expect("chunks of 8"));
        let y = x ^ DEL;
        bad |= x | (x.wrapping_sub(SPACE) & !x) | (y.wrapping_sub(ONES) & !y);
    }
    bad & HIGH == 0 && chunks.remainder().iter().all(|b| b.wrapping_sub(0x20) < 0x5f)
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
        if is_plain_name(&self.event_type) && self.tags.iter().all(|t| is_plain_name(&t.0)) {
            return Ok(());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition the eight-byte check must agree with.
    fn plain_by_definition(name: &str) -> bool {
        !name.is_empty() && name.len() <= MAX_NAME_BYTES && name.bytes().all(|b| (0x20..0x7f).contains(&b))
    }

    #[test]
    fn plain_name_check_agrees_with_the_byte_definition_for_every_byte_at_every_position() {
        // Lengths around the 8-byte chunk boundaries; each byte value at each position.
        for len in [1usize, 7, 8, 9, 15, 16, 17, 24] {
            for pos in 0..len {
                for b in 0u8..=0x7f {
                    let mut bytes = vec![b'a'; len];
                    bytes[pos] = b;
                    let name = std::str::from_utf8(&bytes).expect("ASCII");
                    assert_eq!(is_plain_name(name), plain_by_definition(name), "byte {b:#04x} at {pos} of {len}");
                }
                // A non-ASCII character (2 bytes) there is not plain.
                let name = format!("{}é{}", "a".repeat(pos), "a".repeat(len - pos));
                assert!(!is_plain_name(&name), "é at {pos} of {len}");
            }
        }
        assert!(!is_plain_name(""));
        assert!(is_plain_name(&"x".repeat(MAX_NAME_BYTES)));
        assert!(!is_plain_name(&"x".repeat(MAX_NAME_BYTES + 1)));
    }

    #[test]
    fn validate_name_still_accepts_non_ascii_text_and_names_the_first_control_character() {
        assert_eq!(validate_name(NameKind::Tag, "café:1"), Ok(()));
        assert_eq!(validate_name(NameKind::Tag, "é\u{7f}"), Err(InvalidInput::ControlCharacter { kind: NameKind::Tag, index: 2, ch: '\u{7f}' }));
        assert_eq!(validate_name(NameKind::EventType, ""), Err(InvalidInput::EmptyEventType));
    }
}
