//! [`RetryEngine`]: runs an operation until it succeeds, fails for good, or
//! the policy says stop.

use std::future::Future;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;

use super::classify::{Classify, ErrorKind};
use super::observer::{RetryObserver, RetrySummary};
use super::policy::RetryPolicy;
use super::sleeper::Sleeper;

/// Why a retried operation finally failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryError<E> {
    /// The error is not retryable (business rejection, deadline, cancellation, …).
    #[error("not retryable: {0}")]
    NotRetryable(E),
    /// Every attempt failed with a retryable error.
    #[error("failed after {attempts} attempts: {last}")]
    Exhausted {
        /// Attempts made (= `max_attempts`).
        attempts: u32,
        /// The last error.
        last: E,
    },
    /// The next sleep would have passed the deadline.
    #[error("deadline reached after {attempts} attempts: {last}")]
    DeadlineExceeded {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: E,
    },
    /// The next sleep would have exceeded the total delay budget.
    #[error("retry budget spent after {attempts} attempts: {last}")]
    BudgetExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: E,
    },
}

impl<E> RetryError<E> {
    /// The error of the last attempt.
    pub fn last(&self) -> &E {
        match self {
            RetryError::NotRetryable(e) => e,
            RetryError::Exhausted { last, .. }
            | RetryError::DeadlineExceeded { last, .. }
            | RetryError::BudgetExhausted { last, .. } => last,
        }
    }
}

/// The result of [`RetryEngine::run`] with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryReport<T, E> {
    /// The operation's value, or why it failed.
    pub outcome: Result<T, RetryError<E>>,
    /// Attempts made (≥ 1).
    pub attempts: u32,
    /// Sum of delays slept.
    pub total_delay: Duration,
}

/// Runs an operation under a [`RetryPolicy`], sleeping on a [`Sleeper`].
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// use std::time::Duration;
/// use dcb_sim::retry::{NoopObserver, RetryEngine, RetryError, RetryPolicy, RuntimeSleeper};
/// use dcb_sim::store::StoreError;
/// let engine = RetryEngine::new(RetryPolicy::csharp(), RuntimeSleeper::new());
/// let mut rng = dcb_sim::rng::seeded(1);
/// let report = engine
///     .run(&mut rng, &mut NoopObserver, |_attempt| async {
///         Err::<(), _>(StoreError::ConditionFailed { conflicting: Some(2), after: Some(1) })
///     })
///     .await;
/// assert_eq!(report.attempts, 3);
/// assert_eq!(report.total_delay, Duration::from_millis(150));
/// assert!(matches!(report.outcome, Err(RetryError::Exhausted { attempts: 3, .. })));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RetryEngine<S> {
    policy: RetryPolicy,
    sleeper: S,
}

impl<S: Sleeper> RetryEngine<S> {
    /// An engine; `policy` should come from [`RetryPolicy::builder`] or be
    /// checked with [`RetryPolicy::validate`].
    pub fn new(policy: RetryPolicy, sleeper: S) -> Self {
        Self { policy, sleeper }
    }

    /// The same engine with another policy.
    pub fn with_policy(self, policy: RetryPolicy) -> Self {
        Self { policy, sleeper: self.sleeper }
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The sleeper.
    pub fn sleeper(&self) -> &S {
        &self.sleeper
    }

    /// Runs `op(attempt)` (attempt is 1-based) until it succeeds, returns a
    /// non-retryable error, or the policy stops it. Jitter is drawn from
    /// `rng`; every step is reported to `observer`.
    pub async fn run<T, E, F, Fut>(&self, rng: &mut ChaCha8Rng, observer: &mut impl RetryObserver, mut op: F) -> RetryReport<T, E>
    where
        E: Classify,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let policy = &self.policy;
        let start = self.sleeper.now();
        let mut total_delay = Duration::ZERO;
        let mut previous = None;
        let mut attempt = 1;
        loop {
            observer.on_attempt(attempt);
            let error = match op(attempt).await {
                Ok(value) => {
                    let summary = RetrySummary { attempts: attempt, total_delay, last_error: None, exhausted: false };
                    observer.on_finish(&summary);
                    return RetryReport { outcome: Ok(value), attempts: attempt, total_delay };
                }
                Err(e) => e,
            };
            let kind = error.kind();
            let stop = if !policy.retries(kind) {
                Some(RetryError::NotRetryable(error))
            } else if attempt >= policy.max_attempts {
                Some(RetryError::Exhausted { attempts: attempt, last: error })
            } else {
                let delay = policy.delay_before(attempt + 1, previous, rng);
                let elapsed = self.sleeper.now().saturating_sub(start);
                if policy.deadline.is_some_and(|dl| elapsed + delay >= dl) {
                    Some(RetryError::DeadlineExceeded { attempts: attempt, last: error })
                } else if policy.budget.is_some_and(|b| total_delay + delay > b) {
                    Some(RetryError::BudgetExhausted { attempts: attempt, last: error })
                } else {
                    observer.on_error(attempt, kind, true);
                    observer.on_delay(attempt + 1, delay);
                    self.sleeper.sleep(delay).await;
                    total_delay += delay;
                    previous = Some(delay);
                    attempt += 1;
                    None
                }
            };
            if let Some(stop) = stop {
                observer.on_error(attempt, kind, false);
                let exhausted = matches!(stop, RetryError::Exhausted { .. });
                let summary = RetrySummary { attempts: attempt, total_delay, last_error: Some(kind), exhausted };
                observer.on_finish(&summary);
                return RetryReport { outcome: Err(stop), attempts: attempt, total_delay };
            }
        }
    }
}

impl<E> RetryError<E> {
    /// Kind used in metrics for the final error.
    pub fn kind(&self) -> ErrorKind
    where
        E: Classify,
    {
        self.last().kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sleeper that never waits (no runtime needed).
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Instant;
    impl Sleeper for Instant {
        async fn sleep(&self, _: Duration) {}
        fn now(&self) -> Duration {
            Duration::ZERO
        }
    }

    #[test]
    fn policy_and_sleeper_accessors_return_what_the_engine_was_built_with() {
        let engine = RetryEngine::new(RetryPolicy::csharp(), Instant);
        assert_eq!(engine.policy(), &RetryPolicy::csharp());
        assert_eq!(engine.sleeper(), &Instant);
        let engine = engine.with_policy(RetryPolicy::study(crate::retry::Jitter::Full));
        assert_eq!(engine.policy(), &RetryPolicy::study(crate::retry::Jitter::Full));
    }
}
