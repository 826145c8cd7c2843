//! [`Step`]: one store call waiting at the store boundary for its turn, and
//! the independence relation the exhaustive explorer prunes with.

use crate::store::{Event, Query};

/// What a pending store call touches.
#[derive(Debug, Clone)]
pub(crate) enum Footprint {
    /// A read of this query.
    Read(Query),
    /// An append of these events (its condition aside: any two appends are
    /// treated as dependent).
    Append(Vec<Event>),
}

/// A client's store call waiting for its turn.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// The client.
    pub client: u32,
    /// The command's index in the history.
    pub command: usize,
    /// The call's index among the command's calls.
    pub call: usize,
    /// What it touches.
    pub footprint: Footprint,
}

impl Step {
    /// Whether this is the same call as `other` (same client, command and call).
    pub fn same_call(&self, other: &Step) -> bool {
        (self.client, self.command, self.call) == (other.client, other.command, other.call)
    }
}

/// Whether two pending steps of different clients commute: taking them in
/// either order leaves the store and both calls' results the same.
///
/// - two reads commute;
/// - a read and an append commute when no appended event matches the
///   read's query (the read returns the same events either way; only the
///   store's head position, which a read does not return, differs);
/// - two appends never commute (each moves the global position the other
///   gets, and a condition may see the other's events).
pub(crate) fn independent(a: &Footprint, b: &Footprint) -> bool {
    match (a, b) {
        (Footprint::Read(_), Footprint::Read(_)) => true,
        (Footprint::Read(q), Footprint::Append(events)) | (Footprint::Append(events), Footprint::Read(q)) => !events.iter().any(|e| q.matches(e)),
        (Footprint::Append(_), Footprint::Append(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::QueryItem;

    fn event(tag: &str) -> Event {
        Event::new("Booked", [tag], "{}").unwrap()
    }

    fn read(tag: &str) -> Footprint {
        Footprint::Read(Query::from_item(QueryItem::new().tags([tag])).unwrap())
    }

    #[test]
    fn reads_commute_appends_do_not() {
        assert!(independent(&read("a"), &read("a")));
        assert!(!independent(&Footprint::Append(vec![event("a")]), &Footprint::Append(vec![event("b")])));
    }

    #[test]
    fn a_read_and_an_append_commute_only_on_disjoint_boundaries() {
        assert!(independent(&read("a"), &Footprint::Append(vec![event("b")])));
        assert!(!independent(&read("a"), &Footprint::Append(vec![event("b"), event("a")])));
        assert!(!independent(&Footprint::Append(vec![event("a")]), &Footprint::Read(Query::all())));
    }
}
