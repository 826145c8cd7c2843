//! [`LatencyStore`]: random virtual latency around every store call, the
//! source of most distinct interleavings.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::scenario::Latency;
use crate::store::{AppendCondition, Event, EventStore, Position, Query, ReadOptions, SequencedEvent, StoreError};

/// Wraps a store; each call sleeps a random time before and after it takes
/// effect (each drawn from the [`Latency`] range) from the run's seeded RNG.
#[derive(Debug, Clone)]
pub struct LatencyStore<S> {
    inner: S,
    latency: Latency,
    rng: Arc<Mutex<ChaCha8Rng>>,
}

impl<S> LatencyStore<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, latency: Latency, rng: ChaCha8Rng) -> Self {
        LatencyStore { inner, latency, rng: Arc::new(Mutex::new(rng)) }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn draw(&self, min: Duration, max: Duration) -> Duration {
        let (lo, hi) = (min.as_nanos() as u64, max.as_nanos() as u64);
        if hi <= lo {
            return Duration::from_nanos(lo);
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        Duration::from_nanos(rng.random_range(lo..=hi))
    }

    async fn pause(&self, min: Duration, max: Duration) {
        let d = self.draw(min, max);
        if !d.is_zero() {
            madsim::time::sleep(d).await;
        }
    }
}

impl<S: EventStore> EventStore for LatencyStore<S> {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        let l = self.latency;
        self.pause(l.read_min, l.read_max).await;
        let result = self.inner.read(query, options).await;
        self.pause(l.read_min, l.read_max).await;
        result
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let l = self.latency;
        self.pause(l.append_min, l.append_max).await;
        let result = self.inner.append(events, condition).await;
        self.pause(l.append_min, l.append_max).await;
        result
    }
}
