//! [`Decider`]: the pure part of a command handler.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{Event, Query, SequencedEvent};

/// What a decision asks the shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Append these events (the command succeeds once they are written).
    Append(Vec<Event>),
    /// Nothing to do: the command's effect is already there.
    Idempotent,
    /// A business rule rejects the command. `events` (possibly empty) are
    /// appended under the same condition before the rejection is returned
    /// (the Go design's `...Failed` events).
    Reject {
        /// Why, in the words shown to the user.
        reason: String,
        /// Failure events to record.
        events: Vec<Event>,
    },
}

/// A domain's command handlers in pure form: which events each command
/// depends on ([`Decider::query`]) and what to do given them
/// ([`Decider::decide`]).
///
/// ```
/// use dcb_sim::handler::{Decider, Decision};
/// use dcb_sim::store::{Event, Query, QueryItem, SequencedEvent};
///
/// /// Claim a username at most once.
/// #[derive(Clone)]
/// struct Usernames;
/// impl Decider for Usernames {
///     type Command = String;
///     fn command_type(&self, _: &String) -> &'static str { "ClaimUsername" }
///     fn query(&self, name: &String) -> Query {
///         Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([format!("username:{name}")])).unwrap()
///     }
///     fn decide(&self, name: &String, events: &[SequencedEvent]) -> Decision {
///         if events.is_empty() {
///             Decision::Append(vec![Event::new("UsernameClaimed", [format!("username:{name}")], "").unwrap()])
///         } else {
///             Decision::Reject { reason: "Username is taken.".into(), events: vec![] }
///         }
///     }
/// }
/// ```
pub trait Decider: Clone + Send + Sync + 'static {
    /// The domain's command type.
    type Command: Clone + Debug + std::fmt::Display + PartialEq + Eq + std::hash::Hash + Send + Sync + Serialize + DeserializeOwned + 'static;

    /// The command's type name (metrics label, e.g. `LendBookCopy`).
    fn command_type(&self, command: &Self::Command) -> &'static str;

    /// The consistency boundary: every event the decision depends on.
    fn query(&self, command: &Self::Command) -> Query;

    /// The decision, given exactly the events `query` matched, ascending.
    fn decide(&self, command: &Self::Command, events: &[SequencedEvent]) -> Decision;
}
