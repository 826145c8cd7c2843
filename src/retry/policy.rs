//! [`RetryPolicy`]: a validated description of when and how long to retry.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::classify::ErrorKind;

/// How a delay is randomised.
///
/// With `d` the exponential delay before an attempt (`base ·
/// multiplier^(attempt-2)`), `c` the cap (or the global limit) and `U`
/// uniform in `[0, 1)` drawn from the run's RNG; every result is clamped to
/// `c` last:
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Jitter {
    /// `d` exactly (the C# design).
    None,
    /// `d + U · d · factor`, the jitter part truncated to whole
    /// nanoseconds: additive, positive-only (the Go design, factor 0.3).
    Proportional {
        /// In `0.0..=1.0`.
        factor: f64,
    },
    /// `U · min(c, d)` (AWS "full jitter": `random_between(0, min(cap,
    /// base · 2^attempt))`).
    Full,
    /// `t/2 + U · t/2` with `t = min(c, d)` (AWS "equal jitter").
    Equal,
    /// Uniform in `[base, 3 · previous delay]`, the previous delay
    /// starting at `base` (AWS "decorrelated jitter": `min(cap,
    /// random_between(base, sleep · 3))`; the exponential term is not used).
    Decorrelated,
}

/// Everything that was wrong with a policy. Each message says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// `max_attempts` was 0.
    #[error("max_attempts must be at least 1 (1 = no retries); got 0")]
    ZeroAttempts,
    /// `max_attempts` above [`RetryPolicy::MAX_ATTEMPTS_LIMIT`].
    #[error("max_attempts {0} is above the limit of {limit}; use a total budget or deadline for long retry loops", limit = RetryPolicy::MAX_ATTEMPTS_LIMIT)]
    TooManyAttempts(u32),
    /// `base_delay` was zero.
    #[error("base_delay must be positive; use at least 1µs (the first attempt never waits)")]
    ZeroBaseDelay,
    /// `multiplier` below 1 or not finite.
    #[error("multiplier must be a finite number >= 1.0 (1.0 = constant delay); got {0}")]
    InvalidMultiplier(f64),
    /// `max_delay` below `base_delay`.
    #[error("max_delay {cap:?} is below base_delay {base:?}; raise the cap or lower the base")]
    CapBelowBase {
        /// The cap.
        cap: Duration,
        /// The base.
        base: Duration,
    },
    /// Proportional jitter factor outside `0..=1` or not finite.
    #[error("jitter factor must be between 0.0 and 1.0; got {0}")]
    InvalidJitterFactor(f64),
    /// A duration too large for the delay arithmetic.
    #[error("{field} of {value:?} is above the supported maximum of {max:?}; lower it (or leave the limit unset)", max = RetryPolicy::MAX_DELAY_LIMIT)]
    DurationTooLarge {
        /// Which setting.
        field: &'static str,
        /// Its value.
        value: Duration,
    },
    /// A zero budget or deadline (would forbid every retry or every attempt).
    #[error("{0} must be positive when set; use None for no limit")]
    ZeroLimit(&'static str),
}

/// When and how long to retry. Build with [`RetryPolicy::builder`]; a
/// deserialized policy is checked with [`RetryPolicy::validate`].
///
/// # Default
/// The Go library design: 5 attempts, 10 ms base, multiplier 2, no cap,
/// proportional jitter 0.3, no budget, no deadline, only concurrency
/// conflicts retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Total attempts including the first (≥ 1).
    pub max_attempts: u32,
    /// Delay before attempt 2 (before jitter).
    #[serde(rename = "base_delay_us", with = "crate::util::duration_us")]
    pub base_delay: Duration,
    /// Growth per attempt (≥ 1).
    pub multiplier: f64,
    /// Cap on every delay, applied after jitter.
    #[serde(rename = "max_delay_us", with = "crate::util::duration_us::option", default)]
    pub max_delay: Option<Duration>,
    /// Randomisation of delays.
    pub jitter: Jitter,
    /// Cap on the sum of all delays of one command.
    #[serde(rename = "budget_us", with = "crate::util::duration_us::option", default)]
    pub budget: Option<Duration>,
    /// Time from the command's start at or after which no new attempt
    /// starts (a sleep that would end at or past it is not taken).
    #[serde(rename = "deadline_us", with = "crate::util::duration_us::option", default)]
    pub deadline: Option<Duration>,
    /// Also retry [`ErrorKind::Transient`] errors (store unavailable but
    /// retryable). Conflicts are always retried; deadline, cancellation and
    /// business errors never.
    #[serde(default)]
    pub retry_transient: bool,
}


impl Default for RetryPolicy {
    fn default() -> Self {
        Self::go_default()
    }
}

impl RetryPolicy {
    /// Upper limit for `max_attempts`.
    pub const MAX_ATTEMPTS_LIMIT: u32 = 1_000_000;
    /// Upper limit for any configured duration (one year).
    pub const MAX_DELAY_LIMIT: Duration = Duration::from_secs(365 * 24 * 3600);

    /// A builder starting from [`RetryPolicy::go_default`].
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder { policy: Self::go_default() }
    }

    /// The Go library design: 5 attempts, 10 ms base, ×2, jitter `+0–30 %`.
    pub fn go_default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            multiplier: 2.0,
            max_delay: None,
            jitter: Jitter::Proportional { factor: 0.3 },
            budget: None,
            deadline: None,
            retry_transient: false,
        }
    }

    /// The C# enrollment handler: 3 attempts; waits 0, 50 ms, 100 ms; no jitter.
    pub fn csharp() -> Self {
        RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(50), jitter: Jitter::None, ..Self::go_default() }
    }

    /// A named preset: `default`/`go`, `csharp`, `full-jitter`,
    /// `equal-jitter`, `decorrelated`, `no-retry`.
    pub fn preset(name: &str) -> Option<Self> {
        let p = match name {
            "default" | "go" => Self::go_default(),
            "csharp" => Self::csharp(),
            "full-jitter" => RetryPolicy { jitter: Jitter::Full, max_delay: Some(Duration::from_millis(50)), ..Self::go_default() },
            "equal-jitter" => RetryPolicy { jitter: Jitter::Equal, max_delay: Some(Duration::from_millis(50)), ..Self::go_default() },
            "decorrelated" => RetryPolicy { jitter: Jitter::Decorrelated, max_delay: Some(Duration::from_millis(50)), ..Self::go_default() },
            "no-retry" => RetryPolicy { max_attempts: 1, ..Self::go_default() },
            "study-none" => Self::study(Jitter::None),
            "study-full" => Self::study(Jitter::Full),
            "study-equal" => Self::study(Jitter::Equal),
            "study-decorrelated" => Self::study(Jitter::Decorrelated),
            _ => return None,
        };
        Some(p)
    }

    /// Names accepted by [`RetryPolicy::preset`] (besides the
    /// [`STUDY_PRESETS`](RetryPolicy::STUDY_PRESETS)).
    pub const PRESETS: &'static [&'static str] = &["default", "csharp", "full-jitter", "equal-jitter", "decorrelated", "no-retry"];

    /// The four policies of the AWS Architecture Blog's "Exponential Backoff
    /// And Jitter" study ([`RetryPolicy::study`]), also accepted by
    /// [`RetryPolicy::preset`]: no jitter, full, equal and decorrelated.
    pub const STUDY_PRESETS: &'static [&'static str] = &["study-none", "study-full", "study-equal", "study-decorrelated"];

    /// The attempt limit of the study presets: generous, so that contention
    /// and not the limit decides how long a client retries (the study
    /// retries until success).
    pub const STUDY_MAX_ATTEMPTS: u32 = 1_000;

    /// One of the study's policies, with its parameters: base 5 ms, cap 2 s,
    /// ×2, up to [`STUDY_MAX_ATTEMPTS`](RetryPolicy::STUDY_MAX_ATTEMPTS)
    /// attempts, and `jitter` (none, full, equal or decorrelated).
    ///
    /// The delays are the study simulator's
    /// (`aws-samples/aws-arch-backoff-simulator`), draw for draw: its
    /// exponential term before the retry after failure `n` is
    /// `min(cap, 2^n · 5 ms)` with `n` starting at 1, so its first retry
    /// waits 10 ms (full jitter: up to 10 ms), which is this crate's
    /// `base_delay` of 10 ms (`base · 2^(attempt−2)`); its decorrelated
    /// jitter starts from the 5 ms base itself (`uniform(base, 3 ·
    /// previous)`, the first previous being the base), so that one has
    /// `base_delay` 5 ms. The cap bounds the exponential term before the
    /// jitter is drawn, as in the study (and in every full and equal jitter
    /// policy, see [`RetryPolicy::delay_before`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use dcb_sim::retry::{Jitter, RetryPolicy};
    /// let full = RetryPolicy::study(Jitter::Full);
    /// assert_eq!(full, RetryPolicy::preset("study-full").unwrap());
    /// assert_eq!((full.max_attempts, full.max_delay), (1_000, Some(Duration::from_secs(2))));
    /// assert_eq!(RetryPolicy::study(Jitter::Decorrelated).base_delay, Duration::from_millis(5));
    /// ```
    pub fn study(jitter: Jitter) -> Self {
        let base_delay = if jitter == Jitter::Decorrelated { Duration::from_millis(5) } else { Duration::from_millis(10) };
        RetryPolicy {
            max_attempts: Self::STUDY_MAX_ATTEMPTS,
            base_delay,
            multiplier: 2.0,
            max_delay: Some(Duration::from_secs(2)),
            jitter,
            ..Self::go_default()
        }
    }

    /// Checks every rule; the first broken one is returned.
    ///
    /// # Errors
    /// One [`PolicyError`] variant per rule.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.max_attempts == 0 {
            return Err(PolicyError::ZeroAttempts);
        }
        if self.max_attempts > Self::MAX_ATTEMPTS_LIMIT {
            return Err(PolicyError::TooManyAttempts(self.max_attempts));
        }
        if self.base_delay.is_zero() {
            return Err(PolicyError::ZeroBaseDelay);
        }
        let too_large = |field, value: Duration| {
            if value > Self::MAX_DELAY_LIMIT { Err(PolicyError::DurationTooLarge { field, value }) } else { Ok(()) }
        };
        too_large("base_delay", self.base_delay)?;
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(PolicyError::InvalidMultiplier(self.multiplier));
        }
        if let Some(cap) = self.max_delay {
            too_large("max_delay", cap)?;
            if cap < self.base_delay {
                return Err(PolicyError::CapBelowBase { cap, base: self.base_delay });
            }
        }
        if let Jitter::Proportional { factor } = self.jitter
            && !(0.0..=1.0).contains(&factor)
        {
            return Err(PolicyError::InvalidJitterFactor(factor));
        }
        for (field, limit) in [("budget", self.budget), ("deadline", self.deadline)] {
            if let Some(limit) = limit {
                too_large(field, limit)?;
                if limit.is_zero() {
                    return Err(PolicyError::ZeroLimit(field));
                }
            }
        }
        Ok(())
    }

    /// Whether an error of `kind` may be retried under this policy.
    pub fn retries(&self, kind: ErrorKind) -> bool {
        match kind {
            ErrorKind::Conflict => true,
            ErrorKind::Transient => self.retry_transient,
            ErrorKind::DeadlineExceeded | ErrorKind::Canceled | ErrorKind::Business | ErrorKind::Other => false,
        }
    }
}

/// Builder for [`RetryPolicy`]; every setter has the default of
/// [`RetryPolicy::go_default`].
///
/// ```
/// use std::time::Duration;
/// use dcb_sim::retry::{Jitter, PolicyError, RetryPolicy};
/// let err = RetryPolicy::builder().jitter(Jitter::Proportional { factor: 1.5 }).build().unwrap_err();
/// assert_eq!(err, PolicyError::InvalidJitterFactor(1.5));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Total attempts including the first.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.policy.max_attempts = n;
        self
    }
    /// Delay before attempt 2.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.policy.base_delay = d;
        self
    }
    /// Growth per attempt.
    pub fn multiplier(mut self, m: f64) -> Self {
        self.policy.multiplier = m;
        self
    }
    /// Cap on each delay (applied after jitter).
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.policy.max_delay = Some(d);
        self
    }
    /// Jitter kind.
    pub fn jitter(mut self, j: Jitter) -> Self {
        self.policy.jitter = j;
        self
    }
    /// Cap on the total of all delays of one command.
    pub fn budget(mut self, d: Duration) -> Self {
        self.policy.budget = Some(d);
        self
    }
    /// Per-command deadline measured from the command's start.
    pub fn deadline(mut self, d: Duration) -> Self {
        self.policy.deadline = Some(d);
        self
    }
    /// Also retry transient (retryable) store errors.
    pub fn retry_transient(mut self, yes: bool) -> Self {
        self.policy.retry_transient = yes;
        self
    }
    /// The validated policy.
    ///
    /// # Errors
    /// See [`RetryPolicy::validate`].
    pub fn build(self) -> Result<RetryPolicy, PolicyError> {
        self.policy.validate()?;
        Ok(self.policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_round_trips_through_json() {
        for policy in [RetryPolicy::go_default(), RetryPolicy::csharp(), RetryPolicy::study(Jitter::Full)] {
            let json = serde_json::to_value(&policy).unwrap();
            assert_eq!(serde_json::from_value::<RetryPolicy>(json).unwrap(), policy);
        }
    }

    /// The documented limit is one year (365 days), inclusive: a base
    /// delay or cap of exactly one year is accepted, a nanosecond more is
    /// refused with the field named.
    #[test]
    fn durations_are_limited_to_one_year_inclusive() {
        let year = Duration::from_secs(365 * 86_400);
        assert_eq!(RetryPolicy::MAX_DELAY_LIMIT, year);
        let with = |base: Duration, cap: Duration| RetryPolicy { base_delay: base, max_delay: Some(cap), ..RetryPolicy::go_default() };
        assert_eq!(with(Duration::from_millis(10), year).validate(), Ok(()));
        assert_eq!(with(year, year).validate(), Ok(()));
        let over = year + Duration::from_nanos(1);
        assert_eq!(with(Duration::from_millis(10), over).validate(), Err(PolicyError::DurationTooLarge { field: "max_delay", value: over }));
        assert_eq!(with(over, over).validate(), Err(PolicyError::DurationTooLarge { field: "base_delay", value: over }));
    }

    /// Each named preset is the Go default with exactly the documented
    /// changes (the three jitter presets cap every delay at 50 ms).
    #[test]
    fn presets_change_exactly_their_documented_fields() {
        let go = RetryPolicy::go_default();
        assert_eq!(RetryPolicy::preset("default"), Some(go.clone()));
        assert_eq!(RetryPolicy::preset("go"), Some(go.clone()));
        assert_eq!(RetryPolicy::preset("csharp"), Some(RetryPolicy::csharp()));
        for (name, jitter) in [("full-jitter", Jitter::Full), ("equal-jitter", Jitter::Equal), ("decorrelated", Jitter::Decorrelated)] {
            let expected = RetryPolicy { jitter, max_delay: Some(Duration::from_millis(50)), ..go.clone() };
            assert_eq!(RetryPolicy::preset(name), Some(expected), "{name}");
        }
        assert_eq!(RetryPolicy::preset("no-retry"), Some(RetryPolicy { max_attempts: 1, ..go.clone() }));
        assert_eq!(RetryPolicy::preset("no-such-preset"), None);
    }

    /// A study policy keeps the jitter it was built with.
    #[test]
    fn study_policies_keep_their_jitter() {
        for jitter in [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            assert_eq!(RetryPolicy::study(jitter).jitter, jitter, "{jitter:?}");
        }
        for (name, jitter) in RetryPolicy::STUDY_PRESETS.iter().zip([Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated]) {
            assert_eq!(RetryPolicy::preset(name).map(|p| p.jitter), Some(jitter), "{name}");
        }
    }

    #[test]
    fn study_policies_have_the_study_attempts_and_base_delays() {
        let full = RetryPolicy::study(Jitter::Full);
        assert_eq!((full.max_attempts, full.base_delay), (RetryPolicy::STUDY_MAX_ATTEMPTS, Duration::from_millis(10)));
        assert_ne!(full.max_attempts, RetryPolicy::go_default().max_attempts);
        assert_eq!(full.max_delay, Some(Duration::from_secs(2)), "the study caps every delay at 2 s");
        let decorrelated = RetryPolicy::study(Jitter::Decorrelated);
        assert_eq!((decorrelated.max_attempts, decorrelated.base_delay), (RetryPolicy::STUDY_MAX_ATTEMPTS, Duration::from_millis(5)));
    }
}
