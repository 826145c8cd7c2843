//! [`MemoryRecorder`]: an in-memory `metrics` recorder, installed for the
//! duration of one simulated run so tests can assert on metrics.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use metrics::{Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use serde::{Deserialize, Serialize};

/// What a run recorded: counters and histogram samples by
/// `name{label="value",…}` (labels sorted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    /// Counter values.
    pub counters: BTreeMap<String, u64>,
    /// Histogram samples in recording order.
    pub histograms: BTreeMap<String, Vec<f64>>,
}

impl Eq for MetricsSnapshot {}

impl Hash for MetricsSnapshot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.counters.hash(state);
        for (k, v) in &self.histograms {
            k.hash(state);
            for x in v {
                x.to_bits().hash(state);
            }
        }
    }
}

impl MetricsSnapshot {
    /// Sum of every counter named `name` (over all label sets).
    pub fn counter_total(&self, name: &str) -> u64 {
        self.series(&self.counters, name).sum()
    }

    /// All samples of histograms named `name` (over all label sets).
    pub fn histogram_samples(&self, name: &str) -> Vec<f64> {
        self.series(&self.histograms, name).flatten().collect()
    }

    fn series<'a, V>(&'a self, map: &'a BTreeMap<String, V>, name: &'a str) -> impl Iterator<Item = V> + 'a
    where
        V: Clone,
    {
        map.iter().filter(move |(k, _)| k.split('{').next() == Some(name)).map(|(_, v)| v.clone())
    }
}

/// Formats a key as `name{a="1",b="2"}` with labels sorted.
fn key_string(key: &Key) -> String {
    let mut labels: Vec<_> = key.labels().map(|l| format!("{}=\"{}\"", l.key(), l.value())).collect();
    if labels.is_empty() {
        return key.name().to_string();
    }
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

#[derive(Debug, Default)]
struct Store {
    snapshot: Mutex<MetricsSnapshot>,
    /// `key_string` of each key registered so far: handlers emit the same
    /// few metrics on every attempt, and formatting a key is the costly part.
    names: Mutex<BTreeMap<Key, String>>,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, MetricsSnapshot> {
        self.snapshot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn name(&self, key: &Key) -> String {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names.entry(key.clone()).or_insert_with(|| key_string(key)).clone()
    }
}

struct CounterHandle(Arc<Store>, String);
impl CounterFn for CounterHandle {
    fn increment(&self, value: u64) {
        *self.0.lock().counters.entry(self.1.clone()).or_default() += value;
    }
    fn absolute(&self, value: u64) {
        self.0.lock().counters.insert(self.1.clone(), value);
    }
}

struct HistogramHandle(Arc<Store>, String);
impl HistogramFn for HistogramHandle {
    fn record(&self, value: f64) {
        self.0.lock().histograms.entry(self.1.clone()).or_default().push(value);
    }
}

/// An in-memory [`Recorder`]: counters and histograms (gauges are ignored).
#[derive(Debug, Clone, Default)]
pub struct MemoryRecorder {
    store: Arc<Store>,
}

impl MemoryRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// What was recorded so far.
    pub fn snapshot(&self) -> MetricsSnapshot {
        self.store.lock().clone()
    }

    /// What was recorded, leaving the recorder empty (no copy).
    pub fn take(&self) -> MetricsSnapshot {
        std::mem::take(&mut *self.store.lock())
    }
}

impl Recorder for MemoryRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(Arc::new(CounterHandle(self.store.clone(), self.store.name(key))))
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(Arc::new(HistogramHandle(self.store.clone(), self.store.name(key))))
    }
}
