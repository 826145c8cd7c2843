//! Observers: hooks that see every attempt, delay and outcome.

use std::time::Duration;

use super::classify::ErrorKind;

/// The end of one retried operation, as an observer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySummary {
    /// Attempts made (≥ 1).
    pub attempts: u32,
    /// Sum of delays slept.
    pub total_delay: Duration,
    /// Kind of the last error (`None` when the last attempt succeeded).
    pub last_error: Option<ErrorKind>,
    /// All attempts were used and the last error was retryable.
    pub exhausted: bool,
}

/// Sees each attempt, delay and outcome of a [`RetryEngine`](super::RetryEngine) run.
/// Every method has an empty default.
pub trait RetryObserver: Send {
    /// Attempt `attempt` (1-based) starts.
    fn on_attempt(&mut self, _attempt: u32) {}
    /// Attempt `attempt` failed with `kind`; `will_retry` says whether another attempt follows.
    fn on_error(&mut self, _attempt: u32, _kind: ErrorKind, _will_retry: bool) {}
    /// The engine sleeps `delay` before attempt `next_attempt`.
    fn on_delay(&mut self, _next_attempt: u32, _delay: Duration) {}
    /// The run ended.
    fn on_finish(&mut self, _summary: &RetrySummary) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl RetryObserver for NoopObserver {}

/// One callback a [`RecordingObserver`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryEvent {
    /// [`RetryObserver::on_attempt`]: the attempt number.
    Attempt(u32),
    /// [`RetryObserver::on_error`]: the attempt, the error's kind, whether another attempt follows.
    Error(u32, ErrorKind, bool),
    /// [`RetryObserver::on_delay`]: the next attempt and the delay slept before it.
    Delay(u32, Duration),
    /// [`RetryObserver::on_finish`].
    Finish(RetrySummary),
}

/// An observer that records every callback in order: for tests that assert
/// exactly what a retry loop did (which attempts, which errors, which
/// delays, how it ended).
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// use std::time::Duration;
/// use dcb_sim::retry::{ErrorKind, RecordingObserver, RetryEngine, RetryEvent, RetryPolicy, RuntimeSleeper};
/// use dcb_sim::store::StoreError;
/// let engine = RetryEngine::new(RetryPolicy::csharp(), RuntimeSleeper::new());
/// let mut seen = RecordingObserver::default();
/// let mut calls = 0;
/// let report = engine
///     .run(&mut dcb_sim::rng::seeded(1), &mut seen, |_| {
///         calls += 1;
///         let outcome = if calls == 1 { Err(StoreError::ConditionFailed { conflicting: Some(1), after: None }) } else { Ok(()) };
///         async move { outcome }
///     })
///     .await;
/// assert!(report.outcome.is_ok());
/// assert_eq!(seen.finish().map(|s| s.attempts), Some(2));
/// assert_eq!(seen.delays(), [Duration::from_millis(50)]);
/// assert_eq!(seen.events[..3], [RetryEvent::Attempt(1), RetryEvent::Error(1, ErrorKind::Conflict, true), RetryEvent::Delay(2, Duration::from_millis(50))]);
/// # });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingObserver {
    /// Every callback, in the order it came.
    pub events: Vec<RetryEvent>,
}

impl RecordingObserver {
    /// The delays slept, in order.
    pub fn delays(&self) -> Vec<Duration> {
        self.events.iter().filter_map(|e| if let RetryEvent::Delay(_, d) = e { Some(*d) } else { None }).collect()
    }

    /// The summary of the last finished run, if one finished.
    pub fn finish(&self) -> Option<&RetrySummary> {
        self.events.iter().rev().find_map(|e| if let RetryEvent::Finish(s) = e { Some(s) } else { None })
    }
}

impl RetryObserver for RecordingObserver {
    fn on_attempt(&mut self, attempt: u32) {
        self.events.push(RetryEvent::Attempt(attempt));
    }
    fn on_error(&mut self, attempt: u32, kind: ErrorKind, will_retry: bool) {
        self.events.push(RetryEvent::Error(attempt, kind, will_retry));
    }
    fn on_delay(&mut self, next_attempt: u32, delay: Duration) {
        self.events.push(RetryEvent::Delay(next_attempt, delay));
    }
    fn on_finish(&mut self, summary: &RetrySummary) {
        self.events.push(RetryEvent::Finish(*summary));
    }
}
