//! Pure delay math: which delay comes before which attempt.

use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::policy::{Jitter, RetryPolicy};

/// The inclusive range a delay before some attempt must fall in, for
/// checkers (`lo == hi` without jitter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayBounds {
    /// Smallest allowed delay.
    pub lo: Duration,
    /// Largest allowed delay.
    pub hi: Duration,
}

impl DelayBounds {
    /// Whether `d` is within the bounds.
    pub fn contains(&self, d: Duration) -> bool {
        self.lo <= d && d <= self.hi
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// f64 seconds → Duration, saturating at `limit`; NaN and negatives give zero.
fn to_duration(s: f64, limit: Duration) -> Duration {
    if s.is_nan() || s <= 0.0 {
        Duration::ZERO
    } else if s >= secs(limit) {
        limit
    } else {
        Duration::from_secs_f64(s)
    }
}

impl RetryPolicy {
    /// The largest delay this policy can produce: the cap, or the global limit.
    pub fn ceiling(&self) -> Duration {
        self.max_delay.unwrap_or(RetryPolicy::MAX_DELAY_LIMIT).min(RetryPolicy::MAX_DELAY_LIMIT)
    }

    /// The exponential term before `attempt` (≥ 2), before jitter and cap:
    /// `base · multiplier^(attempt-2)`, saturating (never overflows).
    pub fn exponential(&self, attempt: u32) -> f64 {
        let exp = i32::try_from(attempt.saturating_sub(2)).unwrap_or(i32::MAX);
        let raw = secs(self.base_delay) * self.multiplier.powi(exp);
        if raw.is_finite() { raw } else { f64::MAX }
    }

    /// The delay before `attempt` (≥ 2; attempt 1 never waits). `previous`
    /// is the delay taken before the previous attempt (used only by
    /// decorrelated jitter; `None` before attempt 2). Draws at most one
    /// number from `rng`. The result never exceeds [`RetryPolicy::ceiling`].
    ///
    /// With `d` the exponential term, `c` the ceiling and `U` the draw:
    /// - proportional (the Go library): `d + U·d·factor`, the jitter part
    ///   truncated to whole nanoseconds as Go's `time.Duration(…)` does;
    /// - full / equal (AWS): the cap applies to the exponential term
    ///   *before* the jitter, `t = min(c, d)`; full is `U·t`, equal is
    ///   `t/2 + U·t/2` (so the jitter still spreads delays once the cap
    ///   binds, instead of piling them up at the cap);
    /// - decorrelated (AWS): `base + U·(3·previous − base)`, `previous`
    ///   starting at `base`.
    ///
    /// Every result is then clamped to `c` (last, after jitter).
    pub fn delay_before(&self, attempt: u32, previous: Option<Duration>, rng: &mut ChaCha8Rng) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let ceiling = self.ceiling();
        let d = self.exponential(attempt);
        let jittered = match self.jitter {
            Jitter::None => d,
            Jitter::Proportional { factor } => {
                let d = to_duration(d, ceiling);
                // Go: time.Duration(rand.Float64() * float64(delay) * jitterFactor), truncated.
                let extra = rng.random::<f64>() * d.as_nanos() as f64 * factor;
                return d.saturating_add(Duration::from_nanos(extra as u64)).min(ceiling);
            }
            Jitter::Full => rng.random::<f64>() * d.min(secs(ceiling)),
            Jitter::Equal => {
                let t = d.min(secs(ceiling));
                t / 2.0 + rng.random::<f64>() * t / 2.0
            }
            Jitter::Decorrelated => {
                let (lo, hi) = self.decorrelated_range(previous);
                lo + rng.random::<f64>() * (hi - lo)
            }
        };
        // Clamp last: jitter can never push a delay above the cap.
        to_duration(jittered, ceiling)
    }

    fn decorrelated_range(&self, previous: Option<Duration>) -> (f64, f64) {
        let base = secs(self.base_delay);
        let prev = previous.map_or(base, secs);
        (base, (prev * 3.0).max(base))
    }

    /// The range [`RetryPolicy::delay_before`] can return for `attempt`
    /// given `previous`, for checkers. Allows 1 ns of rounding either side.
    pub fn bounds_before(&self, attempt: u32, previous: Option<Duration>) -> DelayBounds {
        if attempt <= 1 {
            return DelayBounds { lo: Duration::ZERO, hi: Duration::ZERO };
        }
        let d = self.exponential(attempt);
        let t = d.min(secs(self.ceiling()));
        let (lo, hi) = match self.jitter {
            Jitter::None => (d, d),
            Jitter::Proportional { factor } => (d, d + d * factor),
            Jitter::Full => (0.0, t),
            Jitter::Equal => (t / 2.0, t),
            Jitter::Decorrelated => self.decorrelated_range(previous),
        };
        let ceiling = self.ceiling();
        let ns = Duration::from_nanos(1);
        DelayBounds {
            lo: to_duration(lo, ceiling).saturating_sub(ns),
            hi: (to_duration(hi, ceiling) + ns).min(ceiling),
        }
    }

    /// The delays before attempts 2..=max_attempts, drawn from `rng`
    /// (ignores budget and deadline, which depend on elapsed time).
    pub fn schedule<'a>(&'a self, rng: &'a mut ChaCha8Rng) -> Schedule<'a> {
        Schedule { policy: self, rng, next_attempt: 2, previous: None }
    }
}

/// Iterator over a policy's delays; see [`RetryPolicy::schedule`].
#[derive(Debug)]
pub struct Schedule<'a> {
    policy: &'a RetryPolicy,
    rng: &'a mut ChaCha8Rng,
    next_attempt: u32,
    previous: Option<Duration>,
}

impl Iterator for Schedule<'_> {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        if self.next_attempt > self.policy.max_attempts {
            return None;
        }
        let d = self.policy.delay_before(self.next_attempt, self.previous, self.rng);
        self.previous = Some(d);
        self.next_attempt += 1;
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_ten_thousand_with_one_second_base_stays_at_the_cap() {
        let p = RetryPolicy::builder()
            .base_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(30))
            .max_attempts(10_001)
            .build()
            .unwrap();
        let mut rng = crate::rng::seeded(1);
        assert_eq!(p.delay_before(10_000, None, &mut rng), Duration::from_secs(30));
        let no_cap = RetryPolicy { max_delay: None, ..p };
        assert_eq!(no_cap.delay_before(10_000, None, &mut rng), RetryPolicy::MAX_DELAY_LIMIT);
    }

    /// Each jitter kind stays within its definition's range, written here
    /// in integer nanoseconds (not with this module's helpers): base 10 ms,
    /// ×2, cap 50 ms, attempts 2..=8, 200 seeds.
    #[test]
    fn each_jitter_kind_stays_within_its_definition() {
        const BASE: u128 = 10_000_000;
        const CAP: u128 = 50_000_000;
        for jitter in [Jitter::None, Jitter::Proportional { factor: 0.3 }, Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = RetryPolicy { jitter, max_attempts: 8, max_delay: Some(Duration::from_nanos(CAP as u64)), ..RetryPolicy::go_default() };
            for seed in 0..200 {
                let mut previous = BASE;
                for (i, d) in p.schedule(&mut crate::rng::seeded(seed)).enumerate() {
                    let d = d.as_nanos();
                    let exp = BASE << i; // base · 2^(attempt-2)
                    let t = exp.min(CAP);
                    let (lo, hi) = match jitter {
                        Jitter::None => (t, t),
                        // d + U·d·0.3, U < 1; the jitter part truncated.
                        Jitter::Proportional { .. } => (exp.min(CAP), (exp + exp * 3 / 10).min(CAP)),
                        Jitter::Full => (0, t),
                        Jitter::Equal => (t / 2, t),
                        Jitter::Decorrelated => (BASE, (3 * previous).min(CAP)),
                    };
                    assert!(lo <= d && d <= hi, "{jitter:?} seed {seed} attempt {}: {d} ns outside {lo}..={hi}", i + 2);
                    previous = d;
                }
            }
        }
    }

    #[test]
    fn full_and_equal_jitter_keep_their_spread_once_the_cap_binds() {
        let policy = RetryPolicy::builder().base_delay(Duration::from_millis(10)).max_delay(Duration::from_secs(2)).max_attempts(100).jitter(Jitter::Full).build().unwrap();
        // Attempt 20: d = 10 ms · 2^18 ≈ 44 min, far above the 2 s cap; the
        // cap bounds d before the draw, so the delays stay uniform below it
        // (clamping after the draw would put almost every one at the cap).
        let mut at_cap = 0;
        let mut rng = crate::rng::seeded(5);
        for _ in 0..1_000 {
            let d = policy.delay_before(20, None, &mut rng);
            assert!(d <= Duration::from_secs(2));
            at_cap += u32::from(d == Duration::from_secs(2));
        }
        assert!(at_cap < 10, "bounded before jitter: uniform below the cap ({at_cap} at the cap)");
        assert_eq!(policy.bounds_before(20, None).lo, Duration::ZERO);
        let equal = RetryPolicy { jitter: Jitter::Equal, ..policy };
        let b = equal.bounds_before(20, None);
        assert!(b.lo < Duration::from_secs(1) && b.lo > Duration::from_millis(999) && b.hi == Duration::from_secs(2), "{b:?}");
    }

    #[test]
    fn go_default_delays_are_within_thirty_percent() {
        let p = RetryPolicy::go_default();
        let mut rng = crate::rng::seeded(3);
        for (i, d) in p.schedule(&mut rng).enumerate() {
            let base = Duration::from_millis(10 << i);
            assert!(d >= base && d < base.mul_f64(1.3), "delay {i}: {d:?}");
        }
    }

    #[test]
    fn delay_bounds_contain_exactly_the_closed_range() {
        let b = DelayBounds { lo: Duration::from_millis(10), hi: Duration::from_millis(20) };
        assert!(b.contains(Duration::from_millis(10)) && b.contains(Duration::from_millis(15)) && b.contains(Duration::from_millis(20)));
        assert!(!b.contains(Duration::from_millis(9)), "below lo");
        assert!(!b.contains(Duration::from_millis(21)), "above hi");
    }

    #[test]
    fn to_duration_maps_nan_and_non_positive_seconds_to_zero_and_saturates_at_the_limit() {
        let limit = Duration::from_secs(2);
        assert_eq!(to_duration(f64::NAN, limit), Duration::ZERO);
        assert_eq!(to_duration(-1.0, limit), Duration::ZERO);
        assert_eq!(to_duration(0.0, limit), Duration::ZERO);
        assert_eq!(to_duration(0.5, limit), Duration::from_millis(500));
        assert_eq!(to_duration(2.0, limit), limit);
        assert_eq!(to_duration(f64::INFINITY, limit), limit);
    }
}
