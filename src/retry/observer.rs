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
