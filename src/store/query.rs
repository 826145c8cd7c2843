//! Queries, read options and append conditions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::{InvalidInput, NameKind};
use super::types::{Event, Position, Tag, is_plain_name, validate_name};

/// One OR-branch of a [`Query`]: matches an event whose type is one of
/// `types` (empty = any type) **and** that carries all of `tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueryItem {
    /// Event types, any of which matches (empty = any type).
    pub types: Vec<String>,
    /// Tags, all of which the event must carry.
    pub tags: Vec<Tag>,
}

impl QueryItem {
    /// An empty item; add types and/or tags before use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the types (any of).
    pub fn types<I, T>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the tags (all of). Empty tag strings are caught by
    /// [`Query::from_items`] / the store as [`InvalidInput::EmptyTag`].
    pub fn tags<I, T>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.tags = tags.into_iter().map(|t| Tag(t.into())).collect();
        self
    }

    /// Whether this item matches `event`.
    pub fn matches(&self, event: &Event) -> bool {
        (self.types.is_empty() || self.types.contains(&event.event_type))
            && self.tags.iter().all(|t| event.tags.contains(t))
    }

    fn validate(&self, index: usize) -> Result<(), InvalidInput> {
        if self.types.is_empty() && self.tags.is_empty() {
            return Err(InvalidInput::EmptyQueryItem { index });
        }
        // One pass for the common case; the ordered checks below name the error.
        if self.types.iter().all(|t| is_plain_name(t)) && self.tags.iter().all(|t| is_plain_name(t.as_str())) {
            return Ok(());
        }
        // Empty names first (as before), then length and characters, so
        // that queries obey the same name rules as events (validate_name).
        if self.types.iter().any(String::is_empty) {
            return Err(InvalidInput::EmptyEventType);
        }
        if self.tags.iter().any(|t| t.as_str().is_empty()) {
            return Err(InvalidInput::EmptyTag);
        }
        self.types.iter().try_for_each(|t| validate_name(NameKind::EventType, t))?;
        self.tags.iter().try_for_each(|t| validate_name(NameKind::Tag, t.as_str()))
    }
}

/// A DCB query: the OR of its items, or [`Query::all`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Query {
    /// Matches every event.
    All,
    /// Matches an event that any item matches. Shared, so cloning a query
    /// (into an append condition, into a simulator record) is one counter
    /// increment; build it with `vec![…].into()` or [`Query::from_items`].
    Items(Arc<[QueryItem]>),
}

impl Query {
    /// The query that matches every event.
    pub fn all() -> Self {
        Query::All
    }

    /// A query of one item.
    ///
    /// # Errors
    /// As [`Query::from_items`].
    pub fn from_item(item: QueryItem) -> Result<Self, InvalidInput> {
        Self::from_items(vec![item])
    }

    /// A validated query (the OR of `items`).
    ///
    /// # Errors
    /// [`InvalidInput::EmptyQuery`], [`InvalidInput::EmptyQueryItem`],
    /// [`InvalidInput::EmptyEventType`], [`InvalidInput::EmptyTag`],
    /// [`InvalidInput::NameTooLong`] or [`InvalidInput::ControlCharacter`].
    pub fn from_items(items: Vec<QueryItem>) -> Result<Self, InvalidInput> {
        let q = Query::Items(items.into());
        q.validate()?;
        Ok(q)
    }

    /// Checks a query built by hand (the enum is public).
    ///
    /// # Errors
    /// As [`Query::from_items`].
    pub fn validate(&self) -> Result<(), InvalidInput> {
        match self {
            Query::All => Ok(()),
            Query::Items(items) if items.is_empty() => Err(InvalidInput::EmptyQuery),
            Query::Items(items) => items.iter().enumerate().try_for_each(|(i, item)| item.validate(i)),
        }
    }

    /// Whether this query matches `event`.
    pub fn matches(&self, event: &Event) -> bool {
        match self {
            Query::All => true,
            Query::Items(items) => items.iter().any(|i| i.matches(event)),
        }
    }
}

/// Options of a read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadOptions {
    /// First position to consider, inclusive (`None` = from the start, or
    /// from the end when `backwards`). Must be ≥ 1.
    pub from: Option<Position>,
    /// Read from newest to oldest; `from` then is the highest position considered.
    pub backwards: bool,
    /// At most this many events (`Some(0)` gives none; `None` = no limit).
    pub limit: Option<usize>,
}

impl ReadOptions {
    /// Checks the options.
    ///
    /// # Errors
    /// [`InvalidInput::FromZero`].
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.from == Some(0) {
            return Err(InvalidInput::FromZero);
        }
        Ok(())
    }
}

/// The condition of an append: fail if any event matching
/// `fail_if_events_match` exists with position `> after` (any at all when
/// `after` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppendCondition {
    /// The query whose matches make the append fail.
    pub fail_if_events_match: Query,
    /// Only matches after this position count.
    pub after: Option<Position>,
}

impl AppendCondition {
    /// A condition.
    pub fn new(fail_if_events_match: Query, after: Option<Position>) -> Self {
        Self { fail_if_events_match, after }
    }
}
