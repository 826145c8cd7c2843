//! How a handler variant reads its boundary: one read (correct), two
//! separate reads merged (a bug), or only the store's head (a stale retry).

use dcb_sim::store::{EventStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// What an attempt decides on: the events read and the `after` position
/// its append condition uses.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The events, ascending by position, each once.
    pub events: Vec<SequencedEvent>,
    /// The position the append condition starts after.
    pub after: Option<Position>,
}

/// One read of `query`; `after` is the last position it returned.
pub async fn once<S: EventStore>(store: &S, query: &Query) -> Result<Snapshot, StoreError> {
    let events = store.read(query, ReadOptions::default()).await?;
    let after = events.last().map(|e| e.position);
    Ok(Snapshot { events, after })
}

/// **Bug** (`TwoReadsMaxAfter`): `first` and then `second` in two separate
/// reads, merged; `after` is the larger of the two last positions, which
/// skips whatever matched `first` between the two reads.
pub async fn twice<S: EventStore>(store: &S, first: &Query, second: Option<&Query>) -> Result<Snapshot, StoreError> {
    let mut snapshot = once(store, first).await?;
    if let Some(second) = second {
        let more = once(store, second).await?;
        snapshot.after = snapshot.after.max(more.after);
        snapshot.events.extend(more.events);
        snapshot.events.sort_by_key(|e| e.position);
        snapshot.events.dedup_by_key(|e| e.position);
    }
    Ok(snapshot)
}

/// **Bug** (`StaleRetry`): keeps `stale`'s events and takes `after` from the
/// store's head (a backwards read of everything, limit 1).
pub async fn head_only<S: EventStore>(store: &S, stale: &Snapshot) -> Result<Snapshot, StoreError> {
    let head = store.read(&Query::all(), ReadOptions { from: None, backwards: true, limit: Some(1) }).await?;
    Ok(Snapshot { events: stale.events.clone(), after: head.first().map(|e| e.position) })
}
