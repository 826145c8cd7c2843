//! [`MetricsObserver`]: records retries through the [`metrics`] facade with
//! the Go design's names and labels.
//!
//! | metric | kind | labels | when |
//! |---|---|---|---|
//! | `commandhandler_retries_total` | counter | `command`, `attempt`, `error_type` | an attempt failed with a retryable error and another attempt follows (`attempt` = the failed attempt's number) |
//! | `commandhandler_retry_delay_seconds` | histogram | `command` | each delay slept before a retry |
//! | `commandhandler_max_retries_reached_total` | counter | `command`, `error_type` | every attempt failed with a retryable error |
//!
//! Install any `metrics` recorder (Prometheus exporter, …) in production;
//! the simulator installs an in-memory one per run.

use std::time::Duration;

use super::classify::ErrorKind;
use super::observer::{RetryObserver, RetrySummary};

/// Name of the retries counter.
pub const RETRIES_TOTAL: &str = "commandhandler_retries_total";
/// Name of the delay histogram.
pub const RETRY_DELAY_SECONDS: &str = "commandhandler_retry_delay_seconds";
/// Name of the exhaustion counter.
pub const MAX_RETRIES_REACHED_TOTAL: &str = "commandhandler_max_retries_reached_total";

/// A [`RetryObserver`] that records metrics for one command type.
///
/// ```
/// use dcb_sim::retry::MetricsObserver;
/// let observer = MetricsObserver::new("LendBookCopy");
/// # let _ = observer;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MetricsObserver {
    command: &'static str,
}

impl MetricsObserver {
    /// An observer labelling everything with `command`.
    pub fn new(command: &'static str) -> Self {
        Self { command }
    }
}

impl RetryObserver for MetricsObserver {
    fn on_error(&mut self, attempt: u32, kind: ErrorKind, will_retry: bool) {
        if will_retry {
            metrics::counter!(RETRIES_TOTAL, "command" => self.command, "attempt" => attempt.to_string(), "error_type" => kind.label()).increment(1);
        }
    }

    fn on_delay(&mut self, _next_attempt: u32, delay: Duration) {
        metrics::histogram!(RETRY_DELAY_SECONDS, "command" => self.command).record(delay.as_secs_f64());
    }

    fn on_finish(&mut self, summary: &RetrySummary) {
        if summary.exhausted {
            let error_type = summary.last_error.map_or("none", ErrorKind::label);
            metrics::counter!(MAX_RETRIES_REACHED_TOTAL, "command" => self.command, "error_type" => error_type).increment(1);
        }
    }
}
