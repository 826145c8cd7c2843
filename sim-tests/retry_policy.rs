//! Retry policy and retry engine tests.
//!
//! # Layout
//!
//! * [`validation`]: one test per [`PolicyError`] variant (exact variant and a
//!   message that names the field and says what to change), plus the boundary
//!   values that must be accepted.
//! * [`tables`]: human-readable delay tables (attempt, exponential term,
//!   bounds, drawn delay) for every preset at seed 42, pinned as insta
//!   snapshots in the top-level `snapshots/` directory; the C# and Go seed
//!   schedules are also asserted numerically.
//! * [`exact`]: one exact-value test per published formula (the Go
//!   library's proportional jitter, the C# schedule, AWS full, equal and
//!   decorrelated jitter): the draws of a fixed RNG are pinned, and each
//!   delay is worked out by hand from the formula and compared to the
//!   nanosecond.
//! * [`seeds`]: same seed ⇒ same jittered schedule; different seeds ⇒
//!   different schedules.
//! * [`properties`]: proptest over random valid policies, attempts (up to
//!   `u32::MAX`), previous delays and seeds: no panic, never above the cap /
//!   ceiling, always inside the range the definition allows
//!   ([`definition::bounds`], written here, not taken from the backoff
//!   code), and `bounds_before` (the public helper) agrees with it;
//!   schedule length; exact delays without jitter.
//! * [`engine`]: [`RetryEngine`] on madsim virtual time: classification,
//!   exhaustion, deadline, budget, observer callbacks, measured sleeps.
//!
//! Run: `cargo test --test sim -- retry_policy::` (needs `--cfg madsim`, set
//! in `.cargo/config.toml`). To regenerate snapshots after an intended
//! change: `INSTA_UPDATE=always cargo test --test sim -- retry_policy::`,
//! then review the diff of `snapshots/` like code.

#![allow(clippy::disallowed_methods, reason = "Instant here is madsim::time::Instant (std's type): inside the simulation runtime it reads virtual time")]

use std::time::Duration;

use dcb_sim::retry::{
    Classify, ErrorKind, Jitter, PolicyError, RecordingObserver, RetryEngine, RetryError, RetryEvent, RetryPolicy, RetryReport,
    RetrySummary, RuntimeSleeper,
};
use dcb_sim::rng::seeded;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A duration in milliseconds with 3 decimals (rounded to the nearest µs).
fn fmt_ms(d: Duration) -> String {
    let us = (d.as_nanos() + 500) / 1000;
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// The whole schedule of `policy` drawn from `seed`.
fn schedule(policy: &RetryPolicy, seed: u64) -> Vec<Duration> {
    let mut rng = seeded(seed);
    policy.schedule(&mut rng).collect()
}

/// Each jitter kind's range from its published definition, computed here
/// and not with the backoff's own helpers (`bounds_before`, `exponential`,
/// `ceiling`): an oracle that shares code with what it checks agrees with
/// its bugs.
mod definition {
    use super::*;

    /// The range of the delay before `attempt` (≥ 2) under `p`, `previous`
    /// being the delay before the previous attempt (`None` before attempt
    /// 2). With `d = base · m^(attempt-2)` and `c` the cap (else the global
    /// limit), both ends clamped to `c`:
    /// none `d`; proportional `f` (Go) `d ..= d·(1+f)`; full (AWS)
    /// `0 ..= min(c, d)`; equal (AWS) `min(c, d)/2 ..= min(c, d)`;
    /// decorrelated (AWS) `base ..= 3·previous` (previous = base at first).
    /// Widened by 1 ns, or 10⁻¹² of the value if more, for f64 rounding
    /// (the upper end never past `c`).
    pub fn bounds(p: &RetryPolicy, attempt: u32, previous: Option<Duration>) -> (Duration, Duration) {
        let ns = |d: Duration| d.as_nanos() as f64;
        let cap = p.max_delay.map_or(RetryPolicy::MAX_DELAY_LIMIT, |c| c.min(RetryPolicy::MAX_DELAY_LIMIT));
        let c = ns(cap);
        let base = ns(p.base_delay);
        let d = base * p.multiplier.powf(f64::from(attempt - 2));
        let t = d.min(c);
        let (lo, hi) = match p.jitter {
            Jitter::None => (t, t),
            Jitter::Proportional { factor } => (t, (d + d * factor).min(c)),
            Jitter::Full => (0.0, t),
            Jitter::Equal => (t / 2.0, t),
            Jitter::Decorrelated => {
                let prev = previous.map_or(base, ns);
                (base.min(c), (3.0 * prev).max(base).min(c))
            }
        };
        let slack = |x: f64| (x * 1e-12).max(1.0);
        let at = |x: f64| if x <= 0.0 { Duration::ZERO } else { Duration::from_nanos(x as u64) };
        (at((lo - slack(lo)).floor()), at((hi + slack(hi)).ceil()).min(cap))
    }

    /// Whether `d` is within [`bounds`].
    pub fn allows(p: &RetryPolicy, attempt: u32, previous: Option<Duration>, d: Duration) -> bool {
        let (lo, hi) = bounds(p, attempt, previous);
        lo <= d && d <= hi
    }
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// Every [`PolicyError`] variant: exact variant, and a message naming the
/// field and the way out.
mod validation {
    use super::*;

    /// Asserts the message mentions every fragment (field name, fix hint).
    fn assert_message(err: &PolicyError, fragments: &[&str]) {
        let msg = err.to_string();
        for f in fragments {
            assert!(msg.contains(f), "message {msg:?} should contain {f:?}");
        }
    }

    #[test]
    fn zero_attempts() {
        let err = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
        assert_eq!(err, PolicyError::ZeroAttempts);
        assert_message(&err, &["max_attempts", "at least 1", "got 0"]);
    }

    #[test]
    fn too_many_attempts() {
        let n = RetryPolicy::MAX_ATTEMPTS_LIMIT + 1;
        let err = RetryPolicy::builder().max_attempts(n).build().unwrap_err();
        assert_eq!(err, PolicyError::TooManyAttempts(n));
        assert_message(&err, &["max_attempts", "1000001", "limit of 1000000", "budget or deadline"]);
        let err = RetryPolicy::builder().max_attempts(u32::MAX).build().unwrap_err();
        assert_eq!(err, PolicyError::TooManyAttempts(u32::MAX));
    }

    #[test]
    fn zero_base_delay() {
        let err = RetryPolicy::builder().base_delay(Duration::ZERO).build().unwrap_err();
        assert_eq!(err, PolicyError::ZeroBaseDelay);
        assert_message(&err, &["base_delay", "positive", "at least 1µs"]);
    }

    #[test]
    fn multiplier_below_one() {
        let err = RetryPolicy::builder().multiplier(0.99).build().unwrap_err();
        assert_eq!(err, PolicyError::InvalidMultiplier(0.99));
        assert_message(&err, &["multiplier", ">= 1.0", "got 0.99"]);
        for m in [0.0, -2.0, f64::NEG_INFINITY] {
            let err = RetryPolicy::builder().multiplier(m).build().unwrap_err();
            assert_eq!(err, PolicyError::InvalidMultiplier(m));
        }
    }

    #[test]
    fn multiplier_not_finite() {
        // NaN != NaN, so match instead of assert_eq.
        let err = RetryPolicy::builder().multiplier(f64::NAN).build().unwrap_err();
        assert!(matches!(err, PolicyError::InvalidMultiplier(m) if m.is_nan()), "{err:?}");
        assert_message(&err, &["multiplier", "finite", "got NaN"]);
        let err = RetryPolicy::builder().multiplier(f64::INFINITY).build().unwrap_err();
        assert_eq!(err, PolicyError::InvalidMultiplier(f64::INFINITY));
    }

    #[test]
    fn cap_below_base() {
        let err = RetryPolicy::builder().base_delay(ms(10)).max_delay(ms(5)).build().unwrap_err();
        assert_eq!(err, PolicyError::CapBelowBase { cap: ms(5), base: ms(10) });
        assert_message(&err, &["max_delay 5ms", "base_delay 10ms", "raise the cap or lower the base"]);
        let one_ns_short = ms(10) - Duration::from_nanos(1);
        let err = RetryPolicy::builder().base_delay(ms(10)).max_delay(one_ns_short).build().unwrap_err();
        assert_eq!(err, PolicyError::CapBelowBase { cap: one_ns_short, base: ms(10) });
    }

    #[test]
    fn jitter_factor_out_of_range() {
        for factor in [-0.1, 1.1, -f64::MIN_POSITIVE, 1.0 + f64::EPSILON, f64::INFINITY] {
            let err = RetryPolicy::builder().jitter(Jitter::Proportional { factor }).build().unwrap_err();
            assert_eq!(err, PolicyError::InvalidJitterFactor(factor));
            assert_message(&err, &["jitter factor", "between 0.0 and 1.0"]);
        }
        let err = RetryPolicy::builder().jitter(Jitter::Proportional { factor: -0.1 }).build().unwrap_err();
        assert_message(&err, &["got -0.1"]);
        let err = RetryPolicy::builder().jitter(Jitter::Proportional { factor: 1.1 }).build().unwrap_err();
        assert_message(&err, &["got 1.1"]);
    }

    #[test]
    fn jitter_factor_nan() {
        let err = RetryPolicy::builder().jitter(Jitter::Proportional { factor: f64::NAN }).build().unwrap_err();
        assert!(matches!(err, PolicyError::InvalidJitterFactor(f) if f.is_nan()), "{err:?}");
        assert_message(&err, &["jitter factor", "between 0.0 and 1.0", "got NaN"]);
    }

    #[test]
    fn durations_too_large() {
        let max = RetryPolicy::MAX_DELAY_LIMIT;
        let over = max + Duration::from_nanos(1);
        type Build = fn(Duration) -> Result<RetryPolicy, PolicyError>;
        let cases: [(&str, Build); 4] = [
            ("base_delay", |d| RetryPolicy::builder().base_delay(d).build()),
            ("max_delay", |d| RetryPolicy::builder().max_delay(d).build()),
            ("budget", |d| RetryPolicy::builder().budget(d).build()),
            ("deadline", |d| RetryPolicy::builder().deadline(d).build()),
        ];
        for (field, build) in cases {
            let err = build(over).unwrap_err();
            assert_eq!(err, PolicyError::DurationTooLarge { field, value: over }, "{field}");
            // Names the field, the offending value and the maximum to stay under.
            assert_message(&err, &[field, &format!("{over:?}"), "supported maximum", &format!("{max:?}")]);
            // Exactly at the limit is fine.
            build(max).unwrap_or_else(|e| panic!("{field} = limit must be accepted: {e}"));
        }
        let err = RetryPolicy::builder().max_delay(Duration::MAX).build().unwrap_err();
        assert_eq!(err, PolicyError::DurationTooLarge { field: "max_delay", value: Duration::MAX });
    }

    #[test]
    fn zero_budget() {
        let err = RetryPolicy::builder().budget(Duration::ZERO).build().unwrap_err();
        assert_eq!(err, PolicyError::ZeroLimit("budget"));
        assert_message(&err, &["budget", "positive", "use None for no limit"]);
    }

    #[test]
    fn zero_deadline() {
        let err = RetryPolicy::builder().deadline(Duration::ZERO).build().unwrap_err();
        assert_eq!(err, PolicyError::ZeroLimit("deadline"));
        assert_message(&err, &["deadline", "positive", "use None for no limit"]);
    }

    /// `validate` (used for deserialized policies) applies the same rules as
    /// the builder.
    #[test]
    fn validate_checks_struct_literals() {
        let p = RetryPolicy { max_attempts: 0, ..RetryPolicy::csharp() };
        assert_eq!(p.validate(), Err(PolicyError::ZeroAttempts));
        let p = RetryPolicy { max_delay: Some(ms(1)), ..RetryPolicy::csharp() };
        assert_eq!(p.validate(), Err(PolicyError::CapBelowBase { cap: ms(1), base: ms(50) }));
    }

    /// Edges of every range that must be accepted.
    #[test]
    fn boundary_values_are_accepted() {
        for factor in [0.0, 1.0] {
            let p = RetryPolicy::builder().jitter(Jitter::Proportional { factor }).build().unwrap();
            assert_eq!(p.jitter, Jitter::Proportional { factor });
        }
        let p = RetryPolicy::builder().multiplier(1.0).build().unwrap();
        assert_eq!(p.multiplier, 1.0);
        let p = RetryPolicy::builder().base_delay(ms(10)).max_delay(ms(10)).build().unwrap();
        assert_eq!(p.max_delay, Some(ms(10)));
        RetryPolicy::builder().max_attempts(1).build().unwrap();
        RetryPolicy::builder().max_attempts(RetryPolicy::MAX_ATTEMPTS_LIMIT).build().unwrap();
        RetryPolicy::builder().base_delay(Duration::from_nanos(1)).build().unwrap();
        RetryPolicy::builder().budget(Duration::from_nanos(1)).deadline(Duration::from_nanos(1)).build().unwrap();
    }

    /// Every preset and both named seed policies are valid, and the names
    /// map to the named constructors.
    #[test]
    fn presets_are_valid() {
        for name in RetryPolicy::PRESETS {
            let p = RetryPolicy::preset(name).unwrap_or_else(|| panic!("preset {name} listed but unknown"));
            p.validate().unwrap_or_else(|e| panic!("preset {name}: {e}"));
        }
        assert_eq!(RetryPolicy::preset("default"), Some(RetryPolicy::go_default()));
        assert_eq!(RetryPolicy::preset("go"), Some(RetryPolicy::go_default()));
        assert_eq!(RetryPolicy::preset("csharp"), Some(RetryPolicy::csharp()));
        assert_eq!(RetryPolicy::default(), RetryPolicy::go_default());
        assert_eq!(RetryPolicy::preset("nope"), None);
    }
}

// ---------------------------------------------------------------------------
// Delay tables (insta snapshots in the top-level `snapshots/`)
// ---------------------------------------------------------------------------

/// Human-readable delay tables at a fixed seed, pinned as snapshots.
mod tables {
    use super::*;

    /// The seed every table is drawn with.
    const SEED: u64 = 42;

    fn opt(d: Option<Duration>) -> String {
        d.map_or_else(|| "none".to_string(), |d| format!("{} ms", fmt_ms(d)))
    }

    fn jitter_desc(j: Jitter) -> String {
        match j {
            Jitter::None => "none (d)".to_string(),
            Jitter::Proportional { factor } => format!("proportional {factor} (d · (1 + U · {factor}))"),
            Jitter::Full => "full (U · t, t = min(cap, d))".to_string(),
            Jitter::Equal => "equal (t/2 + U · t/2, t = min(cap, d))".to_string(),
            Jitter::Decorrelated => {
                "decorrelated (uniform in [base, 3 · previous]; the exponential term is not used)".to_string()
            }
        }
    }

    /// The policy's settings, then one row per attempt: exponential term,
    /// bounds from `bounds_before` and the delay drawn by `schedule`.
    /// Also checks each drawn delay against the definition's range.
    fn delay_table(title: &str, policy: &RetryPolicy, seed: u64) -> String {
        let mut out = String::new();
        out += &format!("policy: {title}\n");
        out += &format!("  max_attempts:    {}\n", policy.max_attempts);
        out += &format!("  base_delay:      {} ms\n", fmt_ms(policy.base_delay));
        out += &format!("  multiplier:      {}\n", policy.multiplier);
        out += &format!("  max_delay:       {}\n", opt(policy.max_delay));
        out += &format!("  jitter:          {}\n", jitter_desc(policy.jitter));
        out += &format!("  budget:          {}\n", opt(policy.budget));
        out += &format!("  deadline:        {}\n", opt(policy.deadline));
        out += &format!("  retry_transient: {}\n", policy.retry_transient);
        out += &format!("seed: {seed}\n\n");
        out += "attempt | exponential ms |           bounds ms |   delay ms\n";
        out += "--------+----------------+---------------------+-----------\n";
        out += &format!("{:>7} | {:>14} | {:>19} | {:>10}\n", 1, "-", "-", fmt_ms(Duration::ZERO));
        let mut previous = None;
        let mut total = Duration::ZERO;
        for (i, delay) in schedule(policy, seed).into_iter().enumerate() {
            let attempt = i as u32 + 2;
            let bounds = policy.bounds_before(attempt, previous);
            let allowed = definition::bounds(policy, attempt, previous);
            assert!(definition::allows(policy, attempt, previous, delay), "{title}: attempt {attempt}: {delay:?} outside {allowed:?}");
            let exp = format!("{:.3}", policy.exponential(attempt) * 1000.0);
            let range = format!("{} .. {}", fmt_ms(bounds.lo), fmt_ms(bounds.hi));
            out += &format!("{attempt:>7} | {exp:>14} | {range:>19} | {:>10}\n", fmt_ms(delay));
            previous = Some(delay);
            total += delay;
        }
        out += &format!("\ntotal delay: {} ms\n", fmt_ms(total));
        out
    }

    /// Runs `f` with snapshots going to the top-level `snapshots/` directory
    /// (the path is relative to this file), named by [`snap`] alone.
    fn in_snapshot_dir(f: impl FnOnce()) {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots");
        settings.set_omit_expression(true);
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(f);
    }

    /// The snapshot named `name`: `retry_policy__tables__<name>`, the name
    /// insta gave it when this file was a test binary of its own (module
    /// `retry_policy::tables`); inside the `sim` binary the module path
    /// would add `sim__`, so the prefix is spelled out and the committed
    /// snapshots keep their names.
    fn snap(name: &str) -> String {
        format!("retry_policy__tables__{name}")
    }

    /// One snapshot per name in [`RetryPolicy::PRESETS`]; a new preset fails
    /// in CI until its table is reviewed and committed.
    #[test]
    fn preset_delay_tables() {
        in_snapshot_dir(|| {
            for name in RetryPolicy::PRESETS {
                let policy = RetryPolicy::preset(name).unwrap();
                let table = delay_table(&format!("preset \"{name}\""), &policy, SEED);
                insta::assert_snapshot!(snap(&format!("preset_{name}")), table);
            }
        });
    }

    /// The C# enrollment handler: exactly 50 ms, then 100 ms.
    #[test]
    fn csharp_delay_table() {
        let policy = RetryPolicy::csharp();
        assert_eq!(schedule(&policy, SEED), [ms(50), ms(100)]);
        in_snapshot_dir(|| insta::assert_snapshot!(snap("csharp"), delay_table("RetryPolicy::csharp()", &policy, SEED)));
    }

    /// The Go library default: 10, 20, 40, 80 ms, each plus 0–30 %.
    #[test]
    fn go_default_delay_table() {
        let policy = RetryPolicy::go_default();
        let delays = schedule(&policy, SEED);
        assert_eq!(delays.len(), 4);
        for (d, base) in delays.iter().zip([10, 20, 40, 80]) {
            assert!(*d >= ms(base) && *d < ms(base).mul_f64(1.3), "{d:?} not in [{base} ms, {base} ms · 1.3)");
        }
        in_snapshot_dir(|| {
            insta::assert_snapshot!(snap("go_default"), delay_table("RetryPolicy::go_default()", &policy, SEED));
        });
    }

    /// The exact C# schedule through the public API, and its total.
    #[test]
    fn csharp_schedule_is_exact() {
        for seed in [0, 1, 42, u64::MAX] {
            let delays = schedule(&RetryPolicy::csharp(), seed);
            assert_eq!(delays, [ms(50), ms(100)]);
            assert_eq!(delays.iter().sum::<Duration>(), ms(150));
        }
    }
}

// ---------------------------------------------------------------------------
// Exact values of the published formulas
// ---------------------------------------------------------------------------

/// One exact-value test per published formula. The draws `U` of the fixed
/// RNG are pinned first; each expected delay is then worked out by hand
/// from the formula (shown next to it, in ms) and compared with what the
/// backoff returns, to the nanosecond (rounded to the nearest ns; the Go
/// formula truncates its jitter part, as Go's `time.Duration(…)` does).
/// Attempt `n` ≥ 2 is the AWS article's `attempt = n − 2`.
mod exact {
    use super::*;
    use rand::RngExt;

    /// The seed of every table.
    const SEED: u64 = 42;

    /// The first five draws of `seeded(42)` (`U` uniform in [0, 1)).
    const U: [f64; 5] = [0.6818961923066714, 0.950275407672484, 0.4275164028565197, 0.6273605211973403, 0.2885938791411826];

    fn ns(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|n| Duration::from_nanos(*n)).collect()
    }

    /// The backoff draws one number per delay, in order, from this RNG.
    #[test]
    fn the_fixed_rng_draws_these_numbers() {
        let mut rng = seeded(SEED);
        for u in U {
            assert_eq!(rng.random::<f64>(), u);
        }
    }

    /// Go library (`RetryWithExponentialBackoff`, seed-era defaults: 5
    /// attempts, 10 ms, jitter 0.3): before attempt k ≥ 2,
    /// `base·2^(k−2) + trunc(U · base·2^(k−2) · 0.3)` ns.
    #[test]
    fn go_library_proportional_jitter() {
        let expected = [
            10_000_000 + 2_045_688, // 10 + trunc(0.68190 · 10 · 0.3 = 2.0456885769) = 12.045688 ms
            20_000_000 + 5_701_652, // 20 + trunc(0.95028 · 20 · 0.3 = 5.7016524460) = 25.701652 ms
            40_000_000 + 5_130_196, // 40 + trunc(0.42752 · 40 · 0.3 = 5.1301968343) = 45.130196 ms
            80_000_000 + 15_056_652, // 80 + trunc(0.62736 · 80 · 0.3 = 15.056652509) = 95.056652 ms
        ];
        assert_eq!(schedule(&RetryPolicy::go_default(), SEED), ns(&expected));
    }

    /// C# (`ExecuteDecisionAsync(maxRetries = 3, initialDelayMs = 50)`):
    /// `50 · 2^i` ms after failed attempt i (0-based), no jitter, whatever
    /// the seed.
    #[test]
    fn csharp_schedule() {
        for seed in [SEED, 0, u64::MAX] {
            assert_eq!(schedule(&RetryPolicy::csharp(), seed), [ms(50), ms(100)]);
        }
    }

    /// 6 attempts, base 10 ms, ×2, cap 50 ms, with `jitter`.
    fn capped(jitter: Jitter) -> RetryPolicy {
        RetryPolicy::builder().max_attempts(6).base_delay(ms(10)).max_delay(ms(50)).jitter(jitter).build().unwrap()
    }

    /// AWS full jitter: `sleep = random_between(0, min(cap, base · 2^attempt))`.
    /// The cap binds from attempt 5 on (80 ms, 160 ms → 50 ms) and the
    /// jitter still spreads those delays.
    #[test]
    fn aws_full_jitter() {
        let expected = [
            6_818_962,  // 0.68190 · min(50, 10) = 6.8189619 ms
            19_005_508, // 0.95028 · min(50, 20) = 19.005508 ms
            17_100_656, // 0.42752 · min(50, 40) = 17.100656 ms
            31_368_026, // 0.62736 · min(50, 80) = 31.368026 ms
            14_429_694, // 0.28859 · min(50, 160) = 14.429694 ms
        ];
        assert_eq!(schedule(&capped(Jitter::Full), SEED), ns(&expected));
    }

    /// AWS equal jitter: `temp = min(cap, base · 2^attempt)`,
    /// `sleep = temp/2 + random_between(0, temp/2)`.
    #[test]
    fn aws_equal_jitter() {
        let expected = [
            8_409_481,  // 5 + 0.68190 · 5 = 8.4094810 ms
            19_502_754, // 10 + 0.95028 · 10 = 19.502754 ms
            28_550_328, // 20 + 0.42752 · 20 = 28.550328 ms
            40_684_013, // temp = min(50, 80) = 50: 25 + 0.62736 · 25 = 40.684013 ms
            32_214_847, // temp = min(50, 160) = 50: 25 + 0.28859 · 25 = 32.214847 ms
        ];
        assert_eq!(schedule(&capped(Jitter::Equal), SEED), ns(&expected));
    }

    /// AWS decorrelated jitter: `sleep = min(cap, random_between(base,
    /// sleep · 3))`, `sleep` starting at `base`: with a cap of 1 s (no cap
    /// binds), then with 50 ms (binds from the second delay on).
    #[test]
    fn aws_decorrelated_jitter() {
        let uncapped = RetryPolicy { max_delay: Some(ms(1_000)), ..capped(Jitter::Decorrelated) };
        let expected = [
            23_637_924,  // 10 + 0.68190 · (3 · 10 − 10) = 23.637924 ms
            67_884_860,  // 10 + 0.95028 · (3 · 23.637924 − 10) = 67.884860 ms
            92_790_509,  // 10 + 0.42752 · (3 · 67.884860 − 10) = 92.790509 ms
            178_365_701, // 10 + 0.62736 · (3 · 92.790509 − 10) = 178.365701 ms
            161_539_810, // 10 + 0.28859 · (3 · 178.365701 − 10) = 161.539810 ms
        ];
        assert_eq!(schedule(&uncapped, SEED), ns(&expected));
        let expected = [
            23_637_924, // as above
            50_000_000, // min(50, 10 + 0.95028 · (3 · 23.637924 − 10) = 67.88) = 50 ms
            50_000_000, // min(50, 10 + 0.42752 · (3 · 50 − 10) = 69.85) = 50 ms
            50_000_000, // min(50, 10 + 0.62736 · 140 = 97.83) = 50 ms
            50_000_000, // min(50, 10 + 0.28859 · 140 = 50.40) = 50 ms
        ];
        assert_eq!(schedule(&capped(Jitter::Decorrelated), SEED), ns(&expected));
    }
}

// ---------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------

/// Jitter comes only from the injected RNG.
mod seeds {
    use super::*;
    use std::collections::BTreeSet;

    const JITTERED: [&str; 4] = ["default", "full-jitter", "equal-jitter", "decorrelated"];

    #[test]
    fn same_seed_same_schedule() {
        for name in JITTERED {
            let p = RetryPolicy::preset(name).unwrap();
            for seed in [0, 1, 42, 1 << 40, u64::MAX] {
                assert_eq!(schedule(&p, seed), schedule(&p, seed), "{name} seed {seed}");
            }
        }
    }

    #[test]
    fn different_seeds_different_schedules() {
        for name in JITTERED {
            let p = RetryPolicy::preset(name).unwrap();
            let distinct: BTreeSet<Vec<Duration>> = (0..200).map(|seed| schedule(&p, seed)).collect();
            assert_eq!(distinct.len(), 200, "{name}: seeds 0..200 gave repeated schedules");
        }
    }

    #[test]
    fn unjittered_schedule_ignores_the_seed() {
        let p = RetryPolicy::builder().jitter(Jitter::None).max_attempts(8).build().unwrap();
        let first = schedule(&p, 0);
        assert!((1..100).all(|seed| schedule(&p, seed) == first));
        let zero_factor = RetryPolicy::builder().jitter(Jitter::Proportional { factor: 0.0 }).max_attempts(8).build();
        assert_eq!(schedule(&zero_factor.unwrap(), 7), first);
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// Delay math over random valid policies, attempts and seeds.
mod properties {
    use super::*;
    use dcb_sim::retry::RetryPolicyBuilder;
    use proptest::prelude::*;
    use proptest::test_runner::FileFailurePersistence;

    fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
                "proptest-regressions/retry_policy.txt",
            ))),
            ..ProptestConfig::default()
        }
    }

    fn jitter() -> impl Strategy<Value = Jitter> {
        prop_oneof![
            Just(Jitter::None),
            prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64].prop_map(|factor| Jitter::Proportional { factor }),
            Just(Jitter::Full),
            Just(Jitter::Equal),
            Just(Jitter::Decorrelated),
        ]
    }

    /// 1 µs ..= 10 s, spread over the orders of magnitude.
    fn base_delay() -> impl Strategy<Value = Duration> {
        prop_oneof![Just(1_000u64), Just(10_000_000_000), 1_000u64..=1_000_000, 1_000_000u64..=10_000_000_000]
            .prop_map(Duration::from_nanos)
    }

    /// A builder for a valid policy: any jitter, multiplier 1..=10, base
    /// 1 µs..=10 s, optional cap ≥ base (as a factor of the base, up to the
    /// global limit), 1..=10_000 attempts.
    fn policy() -> impl Strategy<Value = RetryPolicyBuilder> {
        let multiplier = prop_oneof![Just(1.0), Just(2.0), (1u32..=10).prop_map(f64::from), 1.0..=10.0f64];
        let cap_factor = proptest::option::of(prop_oneof![Just(1.0), 1.0..=4.0f64, 1.0..=1e6f64, Just(f64::MAX)]);
        (jitter(), multiplier, base_delay(), cap_factor, 1u32..=10_000).prop_map(|(j, m, base, cap, n)| {
            let mut b = RetryPolicy::builder().jitter(j).multiplier(m).base_delay(base).max_attempts(n);
            if let Some(f) = cap {
                let cap = if f >= 1e9 { RetryPolicy::MAX_DELAY_LIMIT } else { base.mul_f64(f) };
                b = b.max_delay(cap.min(RetryPolicy::MAX_DELAY_LIMIT));
            }
            b
        })
    }

    /// Attempts ≥ 2, from the first few to `u32::MAX`.
    fn attempt() -> impl Strategy<Value = u32> {
        prop_oneof![Just(2u32), 2u32..=12, 2u32..=10_000, 10_000u32..=u32::MAX, Just(u32::MAX)]
    }

    /// How to pick the previous delay: none, a few bases, or a fraction of
    /// the ceiling (resolved against the policy in the test).
    #[derive(Debug, Clone, Copy)]
    enum Previous {
        None,
        OfBase(f64),
        OfCeiling(f64),
    }

    fn previous() -> impl Strategy<Value = Previous> {
        prop_oneof![
            Just(Previous::None),
            (0.0..=10.0f64).prop_map(Previous::OfBase),
            (0.0..=1.0f64).prop_map(Previous::OfCeiling),
        ]
    }

    fn resolve(prev: Previous, p: &RetryPolicy) -> Option<Duration> {
        match prev {
            Previous::None => None,
            Previous::OfBase(f) => Some(p.base_delay.mul_f64(f).min(p.ceiling())),
            Previous::OfCeiling(f) => Some(p.ceiling().mul_f64(f)),
        }
    }

    proptest! {
        #![proptest_config(config(3_000))]

        /// `delay_before` never panics, never exceeds the ceiling or the cap,
        /// lies within the range the definition allows, and depends only on
        /// its inputs; `bounds_before` (the public helper for checkers)
        /// contains it and agrees with the definition's range (to 1 ns).
        #[test]
        fn delay_within_bounds_and_cap(
            builder in policy(),
            attempt in attempt(),
            prev in previous(),
            seed in any::<u64>(),
        ) {
            let built = builder.build();
            prop_assert!(built.is_ok(), "generated policy rejected: {:?}", built);
            let p = built.unwrap();
            let previous = resolve(prev, &p);
            let d = p.delay_before(attempt, previous, &mut seeded(seed));
            let bounds = p.bounds_before(attempt, previous);
            prop_assert!(d <= p.ceiling(), "{:?} above ceiling {:?}", d, p.ceiling());
            prop_assert!(p.ceiling() <= RetryPolicy::MAX_DELAY_LIMIT);
            if let Some(cap) = p.max_delay {
                prop_assert!(d <= cap, "{:?} above cap {:?}", d, cap);
            }
            let (lo, hi) = definition::bounds(&p, attempt, previous);
            prop_assert!(lo <= d && d <= hi, "{:?} outside the definition's {:?}..={:?}", d, lo, hi);
            prop_assert!(bounds.lo <= bounds.hi, "{:?}", bounds);
            prop_assert!(bounds.hi <= p.ceiling(), "{:?}", bounds);
            prop_assert!(bounds.contains(d), "{:?} outside {:?}", d, bounds);
            let ns = Duration::from_nanos(1);
            prop_assert!(lo <= bounds.lo + ns && bounds.hi <= hi + ns, "bounds_before {:?} not within 1 ns of the definition's {:?}..={:?}", bounds, lo, hi);
            prop_assert_eq!(d, p.delay_before(attempt, previous, &mut seeded(seed)));
        }

        /// The schedule has one delay per retry, each within the range the
        /// definition allows given the delay before it, and equals calling
        /// `delay_before` in a loop.
        #[test]
        fn schedule_has_one_delay_per_retry(builder in policy(), attempts in 1u32..=50, seed in any::<u64>()) {
            let p = builder.max_attempts(attempts).build().unwrap();
            let delays = schedule(&p, seed);
            prop_assert_eq!(delays.len(), attempts as usize - 1);
            let mut rng = seeded(seed);
            let mut previous = None;
            for (i, &d) in delays.iter().enumerate() {
                let attempt = i as u32 + 2;
                prop_assert!(definition::allows(&p, attempt, previous, d), "attempt {}: {:?} outside {:?}", attempt, d, definition::bounds(&p, attempt, previous));
                prop_assert!(d <= p.max_delay.unwrap_or(RetryPolicy::MAX_DELAY_LIMIT));
                prop_assert_eq!(d, p.delay_before(attempt, previous, &mut rng));
                previous = Some(d);
            }
        }

        /// Without jitter and with an integer multiplier, the delay before
        /// attempt n is exactly min(cap, base · m^(n-2)) to the nanosecond
        /// (for terms up to 2^46 ns ≈ 19.5 h, where f64 is exact enough).
        #[test]
        fn unjittered_delay_is_exact(
            base_ns in prop_oneof![1_000u64..=1_000_000, 1_000u64..=10_000_000_000],
            m in 1u64..=10,
            k in 0u32..=60,
            cap_extra in proptest::option::of(prop_oneof![Just(0u64), 0u64..=1_000_000, 0u64..=(1 << 46)]),
            seed in any::<u64>(),
        ) {
            const LIMIT: u128 = 1 << 46;
            // The largest exponent ≤ k whose term stays within LIMIT.
            let term = |k: u32| u128::from(m).checked_pow(k).and_then(|p| p.checked_mul(u128::from(base_ns)));
            let mut k = k;
            while k > 0 && term(k).is_none_or(|t| t > LIMIT) {
                k -= 1;
            }
            let raw = term(k).unwrap();
            let base = Duration::from_nanos(base_ns);
            let mut b = RetryPolicy::builder().jitter(Jitter::None).multiplier(m as f64).base_delay(base);
            let mut expected = raw;
            if let Some(extra) = cap_extra {
                let cap = base + Duration::from_nanos(extra);
                b = b.max_delay(cap);
                expected = expected.min(cap.as_nanos());
            }
            let p = b.build().unwrap();
            let d = p.delay_before(k + 2, None, &mut seeded(seed));
            prop_assert_eq!(d.as_nanos(), expected, "base {}ns m {} k {}", base_ns, m, k);
            let bounds = p.bounds_before(k + 2, None);
            prop_assert!(bounds.contains(d));
            prop_assert!(bounds.hi - bounds.lo <= Duration::from_nanos(2), "{:?}", bounds);
        }
    }
}

// ---------------------------------------------------------------------------
// Engine on madsim virtual time
// ---------------------------------------------------------------------------

/// [`RetryEngine`] with [`RuntimeSleeper`] inside a madsim runtime.
mod engine {
    use super::*;
    use std::cell::RefCell;
    use std::fmt;
    use std::future::Future;

    use madsim::time::Instant;

    /// madsim fires a timer 50 ns after its deadline and advances the clock
    /// 50–100 ns per task poll (madsim 0.2.34, `sim/time/mod.rs`,
    /// `sim/task/mod.rs`), so a sleep of `d` shows up as `d` plus a few
    /// hundred ns at most between two attempts.
    const SCHEDULER_SLACK: Duration = Duration::from_micros(1);

    /// One error per [`ErrorKind`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum TestError {
        Conflict,
        Transient,
        Deadline,
        Canceled,
        Business,
        Other,
    }

    impl Classify for TestError {
        fn kind(&self) -> ErrorKind {
            match self {
                TestError::Conflict => ErrorKind::Conflict,
                TestError::Transient => ErrorKind::Transient,
                TestError::Deadline => ErrorKind::DeadlineExceeded,
                TestError::Canceled => ErrorKind::Canceled,
                TestError::Business => ErrorKind::Business,
                TestError::Other => ErrorKind::Other,
            }
        }
    }

    impl fmt::Display for TestError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "test error {self:?}")
        }
    }

    /// An observer callback, as recorded.
    /// One engine run, seen from inside (attempt start times) and outside.
    #[derive(Debug)]
    struct Run {
        report: RetryReport<u32, TestError>,
        seen: RecordingObserver,
        /// Virtual time since the run started at which each attempt began.
        starts: Vec<Duration>,
        /// Virtual time the whole run took.
        elapsed: Duration,
    }

    /// Runs `f` on a fresh madsim runtime seeded with `seed`.
    fn sim<T>(seed: u64, f: impl Future<Output = T>) -> T {
        madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default()).block_on(f)
    }

    /// Runs the engine under `policy` on madsim; attempt `n` returns
    /// `script[n-1]` (the last entry repeats). Jitter is drawn from `seed`.
    fn run(seed: u64, policy: RetryPolicy, script: &[Result<u32, TestError>]) -> Run {
        assert!(!script.is_empty());
        sim(seed, async move {
            let origin = Instant::now();
            let engine = RetryEngine::new(policy, RuntimeSleeper::new());
            let mut rng = seeded(seed);
            let mut seen = RecordingObserver::default();
            let starts = RefCell::new(Vec::new());
            let starts_ref = &starts;
            let report = engine
                .run(&mut rng, &mut seen, |attempt| async move {
                    starts_ref.borrow_mut().push(Instant::now().duration_since(origin));
                    script[(attempt as usize - 1).min(script.len() - 1)]
                })
                .await;
            let elapsed = Instant::now().duration_since(origin);
            Run { report, seen, starts: starts.into_inner(), elapsed }
        })
    }

    fn no_jitter(max_attempts: u32, base: Duration) -> RetryPolicy {
        RetryPolicy::builder().max_attempts(max_attempts).base_delay(base).jitter(Jitter::None).build().unwrap()
    }

    /// `actual` is `expected` plus madsim's scheduling slack.
    fn assert_close(actual: Duration, expected: Duration, what: &str) {
        assert!(
            actual >= expected && actual - expected <= SCHEDULER_SLACK,
            "{what}: virtual {actual:?}, expected {expected:?} (+ at most {SCHEDULER_SLACK:?})"
        );
    }

    // --- classification --------------------------------------------------

    #[test]
    fn conflicts_retried_until_exhausted() {
        let r = run(1, no_jitter(4, ms(10)), &[Err(TestError::Conflict)]);
        assert_eq!(r.report.outcome, Err(RetryError::Exhausted { attempts: 4, last: TestError::Conflict }));
        assert_eq!(r.report.attempts, 4);
        assert_eq!(r.starts.len(), 4, "op called once per attempt");
        assert_eq!(r.report.total_delay, ms(10 + 20 + 40));
        assert_eq!(r.seen.delays(), [ms(10), ms(20), ms(40)]);
    }

    /// The seed's exhausted message: "failed after 3 attempts".
    #[test]
    fn csharp_exhaustion_message() {
        let r = run(1, RetryPolicy::csharp(), &[Err(TestError::Conflict)]);
        let err = r.report.outcome.unwrap_err();
        assert_eq!(err, RetryError::Exhausted { attempts: 3, last: TestError::Conflict });
        assert!(err.to_string().starts_with("failed after 3 attempts"), "{err}");
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(r.report.total_delay, ms(150));
    }

    /// Business, deadline, cancellation and other errors end the run at once.
    #[test]
    fn non_retryable_kinds_are_not_retried() {
        for e in [TestError::Business, TestError::Deadline, TestError::Canceled, TestError::Other] {
            // Even with transient retries on.
            let policy = RetryPolicy { retry_transient: true, ..RetryPolicy::csharp() };
            let r = run(1, policy, &[Err(e)]);
            assert_eq!(r.report.outcome, Err(RetryError::NotRetryable(e)), "{e:?}");
            assert_eq!(r.report.attempts, 1, "{e:?}");
            assert_eq!(r.starts.len(), 1, "{e:?}");
            assert_eq!(r.report.total_delay, Duration::ZERO, "{e:?}");
            assert!(r.elapsed < SCHEDULER_SLACK, "{e:?}: no sleep, yet {:?} passed", r.elapsed);
            assert_eq!(
                r.seen.events,
                [
                    RetryEvent::Attempt(1),
                    RetryEvent::Error(1, e.kind(), false),
                    RetryEvent::Finish(RetrySummary {
                        attempts: 1,
                        total_delay: Duration::ZERO,
                        last_error: Some(e.kind()),
                        exhausted: false
                    }),
                ],
                "{e:?}"
            );
        }
    }

    /// A business error after a conflict: retried once, then returned as is.
    #[test]
    fn business_error_after_conflict_stops() {
        let r = run(1, RetryPolicy::csharp(), &[Err(TestError::Conflict), Err(TestError::Business)]);
        assert_eq!(r.report.outcome, Err(RetryError::NotRetryable(TestError::Business)));
        assert_eq!(r.report.attempts, 2);
        assert_eq!(r.report.total_delay, ms(50));
    }

    #[test]
    fn transient_retried_only_when_enabled() {
        let off = run(1, RetryPolicy::csharp(), &[Err(TestError::Transient)]);
        assert_eq!(off.report.outcome, Err(RetryError::NotRetryable(TestError::Transient)));
        assert_eq!(off.report.attempts, 1);

        let policy = RetryPolicy::builder()
            .max_attempts(3)
            .base_delay(ms(50))
            .jitter(Jitter::None)
            .retry_transient(true)
            .build()
            .unwrap();
        let on = run(1, policy.clone(), &[Err(TestError::Transient)]);
        assert_eq!(on.report.outcome, Err(RetryError::Exhausted { attempts: 3, last: TestError::Transient }));
        let recovered = run(1, policy, &[Err(TestError::Transient), Err(TestError::Conflict), Ok(7)]);
        assert_eq!(recovered.report.outcome, Ok(7));
        assert_eq!(recovered.report.attempts, 3);
    }

    #[test]
    fn success_on_attempt_two() {
        let r = run(1, RetryPolicy::csharp(), &[Err(TestError::Conflict), Ok(42)]);
        assert_eq!(r.report.outcome, Ok(42));
        assert_eq!(r.report.attempts, 2);
        assert_eq!(r.report.total_delay, ms(50));
        assert_close(r.elapsed, ms(50), "run");
    }

    #[test]
    fn success_on_first_attempt_never_sleeps() {
        let r = run(1, RetryPolicy::go_default(), &[Ok(1)]);
        assert_eq!(r.report, RetryReport { outcome: Ok(1), attempts: 1, total_delay: Duration::ZERO });
        assert!(r.elapsed < SCHEDULER_SLACK);
    }

    /// `max_attempts(1)` ("no-retry"): a conflict is exhausted at once.
    #[test]
    fn no_retry_preset_exhausts_after_one_attempt() {
        let r = run(1, RetryPolicy::preset("no-retry").unwrap(), &[Err(TestError::Conflict)]);
        assert_eq!(r.report.outcome, Err(RetryError::Exhausted { attempts: 1, last: TestError::Conflict }));
        assert_eq!(r.report.total_delay, Duration::ZERO);
    }

    // --- virtual time ------------------------------------------------------

    /// The virtual time between attempt starts is the reported delay (plus
    /// madsim's sub-µs scheduling slack), for every jitter kind.
    #[test]
    fn virtual_time_between_attempts_matches_delays() {
        for name in ["default", "csharp", "full-jitter", "equal-jitter", "decorrelated"] {
            let policy = RetryPolicy::preset(name).unwrap();
            for seed in [1, 2, 42] {
                let r = run(seed, policy.clone(), &[Err(TestError::Conflict)]);
                let delays = r.seen.delays();
                assert_eq!(delays.len(), policy.max_attempts as usize - 1, "{name}");
                assert_eq!(delays, schedule(&policy, seed), "{name}: engine delays = pure schedule");
                assert_eq!(r.report.total_delay, delays.iter().sum::<Duration>());
                assert_eq!(r.starts[0], Duration::ZERO, "{name}: attempt 1 starts at once");
                for (i, pair) in r.starts.windows(2).enumerate() {
                    let what = format!("{name} seed {seed}: attempt {} → {}", i + 1, i + 2);
                    if delays[i] >= ms(1) {
                        assert_close(pair[1] - pair[0], delays[i], &what);
                    }
                }
                assert!(r.elapsed >= r.report.total_delay, "{name}");
            }
        }
    }

    /// madsim (like tokio) sleeps at least 1 ms: a sub-millisecond delay
    /// takes 1 ms of virtual time although the engine reports the policy's
    /// delay. Pinned so a change in madsim (or in the sleeper) is noticed.
    #[test]
    fn sub_millisecond_sleeps_take_one_millisecond_under_madsim() {
        let r = run(1, no_jitter(2, Duration::from_micros(10)), &[Err(TestError::Conflict)]);
        assert_eq!(r.report.total_delay, Duration::from_micros(10));
        assert_close(r.starts[1] - r.starts[0], RuntimeSleeper::MIN_SLEEP, "10 µs sleep");
        assert_eq!(RuntimeSleeper::MIN_SLEEP, ms(1));
    }

    // --- deadline and budget -------------------------------------------------

    /// C# with a 120 ms deadline: the 50 ms sleep is taken, the 100 ms one
    /// (ending at 150 ms) is not.
    #[test]
    fn deadline_stops_before_a_sleep_that_would_pass_it() {
        let policy = RetryPolicy { deadline: Some(ms(120)), ..RetryPolicy::csharp() };
        let r = run(1, policy, &[Err(TestError::Conflict)]);
        assert_eq!(r.report.outcome, Err(RetryError::DeadlineExceeded { attempts: 2, last: TestError::Conflict }));
        assert_eq!(r.report.attempts, 2);
        assert_eq!(r.report.total_delay, ms(50));
        assert_eq!(r.seen.delays(), [ms(50)]);
        assert_close(r.elapsed, ms(50), "run with deadline");
        assert!(r.elapsed < ms(120));
        assert!(matches!(r.seen.events.last(), Some(RetryEvent::Finish(s)) if !s.exhausted && s.attempts == 2));
    }

    /// A deadline the schedule fits in does not interfere.
    #[test]
    fn generous_deadline_lets_the_schedule_run() {
        let policy = RetryPolicy { deadline: Some(ms(1_000)), ..RetryPolicy::csharp() };
        let r = run(1, policy, &[Err(TestError::Conflict)]);
        assert_eq!(r.report.outcome, Err(RetryError::Exhausted { attempts: 3, last: TestError::Conflict }));
        assert_close(r.elapsed, ms(150), "run");
    }

    /// C# with a 60 ms budget: 50 ms fits, 50 + 100 does not.
    #[test]
    fn budget_stops_after_two_attempts() {
        let policy = RetryPolicy { budget: Some(ms(60)), ..RetryPolicy::csharp() };
        let r = run(1, policy, &[Err(TestError::Conflict)]);
        assert_eq!(r.report.outcome, Err(RetryError::BudgetExhausted { attempts: 2, last: TestError::Conflict }));
        assert_eq!(r.report.total_delay, ms(50));
        assert_close(r.elapsed, ms(50), "run with budget");
        assert!(matches!(r.seen.events.last(), Some(RetryEvent::Finish(s)) if !s.exhausted && s.attempts == 2));
    }

    /// The budget caps the total: a schedule summing to exactly the budget
    /// is allowed.
    #[test]
    fn budget_equal_to_the_total_is_enough() {
        let policy = RetryPolicy { budget: Some(ms(150)), ..RetryPolicy::csharp() };
        let r = run(1, policy, &[Err(TestError::Conflict)]);
        assert_eq!(r.report.outcome, Err(RetryError::Exhausted { attempts: 3, last: TestError::Conflict }));
        assert_eq!(r.report.total_delay, ms(150));
    }

    // --- observer ------------------------------------------------------------

    #[test]
    fn observer_sees_every_step_of_an_exhausted_run() {
        let r = run(1, RetryPolicy::csharp(), &[Err(TestError::Conflict)]);
        let c = ErrorKind::Conflict;
        assert_eq!(
            r.seen.events,
            [
                RetryEvent::Attempt(1),
                RetryEvent::Error(1, c, true),
                RetryEvent::Delay(2, ms(50)),
                RetryEvent::Attempt(2),
                RetryEvent::Error(2, c, true),
                RetryEvent::Delay(3, ms(100)),
                RetryEvent::Attempt(3),
                RetryEvent::Error(3, c, false),
                RetryEvent::Finish(RetrySummary { attempts: 3, total_delay: ms(150), last_error: Some(c), exhausted: true }),
            ]
        );
    }

    #[test]
    fn observer_sees_a_success() {
        let r = run(1, RetryPolicy::csharp(), &[Err(TestError::Conflict), Ok(5)]);
        assert_eq!(
            r.seen.events,
            [
                RetryEvent::Attempt(1),
                RetryEvent::Error(1, ErrorKind::Conflict, true),
                RetryEvent::Delay(2, ms(50)),
                RetryEvent::Attempt(2),
                RetryEvent::Finish(RetrySummary { attempts: 2, total_delay: ms(50), last_error: None, exhausted: false }),
            ]
        );
    }

    /// `exhausted` is true only when all attempts were used on retryable
    /// errors.
    #[test]
    fn summary_exhausted_only_for_exhaustion() {
        let finish = |policy: RetryPolicy, script: &[Result<u32, TestError>]| {
            match run(1, policy, script).seen.events.last() {
                Some(RetryEvent::Finish(s)) => *s,
                other => panic!("last callback {other:?}"),
            }
        };
        let csharp = RetryPolicy::csharp();
        let conflict = [Err(TestError::Conflict)];
        assert!(finish(csharp.clone(), &[Err(TestError::Conflict)]).exhausted);
        assert!(!finish(csharp.clone(), &[Ok(1)]).exhausted);
        assert!(!finish(csharp.clone(), &[Err(TestError::Conflict), Ok(1)]).exhausted);
        assert!(!finish(csharp.clone(), &[Err(TestError::Conflict), Err(TestError::Business)]).exhausted);
        assert!(!finish(RetryPolicy { deadline: Some(ms(120)), ..csharp.clone() }, &conflict).exhausted);
        assert!(!finish(RetryPolicy { budget: Some(ms(60)), ..csharp }, &conflict).exhausted);
    }

    // --- determinism -------------------------------------------------------

    /// Same seed ⇒ same engine delays and timing; other seeds differ.
    #[test]
    fn engine_runs_replay_by_seed() {
        let policy = RetryPolicy::go_default();
        let a = run(9, policy.clone(), &[Err(TestError::Conflict)]);
        let b = run(9, policy.clone(), &[Err(TestError::Conflict)]);
        assert_eq!(a.seen.events, b.seen.events);
        assert_eq!(a.starts, b.starts);
        let c = run(10, policy, &[Err(TestError::Conflict)]);
        assert_ne!(a.seen.delays(), c.seen.delays());
    }
}
