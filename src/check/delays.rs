//! **delays**: every wait between attempts is what the policy says.
//!
//! Verified: the delay before attempt `n ≥ 2` lies within the policy's
//! bounds for `n` (exactly `base·m^(n-2)` without jitter; within the
//! jitter formula's range otherwise; never above the cap); the first
//! attempt does not wait; the sum stays within the budget; no attempt
//! starts at or after the deadline; and the virtual time that actually
//! passed between two attempts is the delay: never less, and at most
//! [`SLACK`] more (madsim advances its clock 50–100 ns per task poll). Like
//! tokio, madsim sleeps at least 1 ms ([`RuntimeSleeper::MIN_SLEEP`]), so a
//! delay below 1 ms is measured against 1 ms.
//!
//! The bounds are written here from the published definitions ([`allowed`]),
//! not taken from the backoff's own helpers (`RetryPolicy::bounds_before`,
//! `RetryPolicy::exponential`): a checker that shares code with what it
//! checks agrees with its bugs.
//!
//! Not verified: that jittered delays are *distributed* as the formula says
//! (only their range), which the delay-table snapshots, the exact-value
//! tests of each formula and a proptest cover.

use std::time::Duration;

use crate::retry::{Jitter, RetryPolicy, RuntimeSleeper};
use crate::sim::{History, Scenario, Violation};

/// The invariant's name.
pub const NAME: &str = "delays";

/// How much longer than the delay the measured gap may be (poll ticks).
pub const SLACK: Duration = Duration::from_micros(100);

/// The range the delay before `attempt` (≥ 2) may take under `policy`,
/// `previous` being the delay taken before the previous attempt (`None`
/// before attempt 2), from the definitions alone. With `d = base ·
/// multiplier^(attempt-2)` and `c` the cap (the global limit
/// [`RetryPolicy::MAX_DELAY_LIMIT`] when unset):
///
/// | jitter | range, then both ends clamped to `c` |
/// |---|---|
/// | none (C#) | `d` |
/// | proportional `f` (Go) | `d ..= d · (1 + f)` |
/// | full (AWS: `random_between(0, min(cap, base · 2^attempt))`) | `0 ..= min(c, d)` |
/// | equal (AWS: `t/2 + random_between(0, t/2)`, `t = min(cap, …)`) | `min(c, d)/2 ..= min(c, d)` |
/// | decorrelated (AWS: `min(cap, random_between(base, sleep · 3))`) | `base ..= 3 · previous` (`previous` = `base` before attempt 2) |
///
/// Both ends are widened by 1 ns (or 10⁻¹³ of their value, if more) for the
/// floating-point rounding of a delay's computation, except that the upper
/// end never passes `c`. Attempt 1 never waits: `0 ..= 0`.
pub fn allowed(policy: &RetryPolicy, attempt: u32, previous: Option<Duration>) -> (Duration, Duration) {
    if attempt <= 1 {
        return (Duration::ZERO, Duration::ZERO);
    }
    let ns = |d: Duration| d.as_nanos() as f64;
    let cap = policy.max_delay.unwrap_or(RetryPolicy::MAX_DELAY_LIMIT).min(RetryPolicy::MAX_DELAY_LIMIT);
    let c = ns(cap);
    let base = ns(policy.base_delay);
    let d = base * policy.multiplier.powf(f64::from(attempt - 2));
    let d = if d.is_nan() { f64::INFINITY } else { d };
    let t = d.min(c);
    let (lo, hi) = match policy.jitter {
        Jitter::None => (d, d),
        Jitter::Proportional { factor } => (d, d * (1.0 + factor)),
        Jitter::Full => (0.0, t),
        Jitter::Equal => (t / 2.0, t),
        Jitter::Decorrelated => {
            let previous = previous.map_or(base, ns);
            (base, (3.0 * previous).max(base))
        }
    };
    let (lo, hi) = (lo.min(c), hi.min(c));
    let slack = |x: f64| (x * 1e-13).max(1.0);
    let to_duration = |x: f64| if x <= 0.0 { Duration::ZERO } else { Duration::from_nanos(x as u64) };
    (to_duration((lo - slack(lo)).floor()), to_duration((hi + slack(hi)).ceil()).min(cap))
}

pub use crate::sim::derive::Timing;

/// Checks every command (virtual time).
pub fn check<C>(scenario: &Scenario<C>, history: &History<C>, out: &mut Vec<Violation>) {
    check_timed(scenario, history, Timing::Virtual, out);
}

/// Checks every command of a history measured on `timing`'s clock.
pub fn check_timed<C>(scenario: &Scenario<C>, history: &History<C>, timing: Timing, out: &mut Vec<Violation>) {
    let p = &scenario.policy;
    for c in &history.commands {
        let attempts = &c.report.attempts;
        let mut total = Duration::ZERO;
        let mut previous = None;
        for (i, a) in attempts.iter().enumerate() {
            let mut bad = |detail: String| out.push(Violation::safety(NAME, Some(c.index), format!("attempt {}: {detail}", a.attempt)));
            if i == 0 {
                if !a.delay_before.is_zero() {
                    bad(format!("the first attempt waited {:?}", a.delay_before));
                }
                continue;
            }
            let (lo, hi) = allowed(p, a.attempt, previous);
            if a.delay_before < lo || a.delay_before > hi {
                let waits: Vec<Duration> = attempts.iter().skip(1).map(|a| a.delay_before).collect();
                bad(format!(
                    "waited {:?}, the policy allows {lo:?}..={hi:?} (judged by the scenario's policy, or the one `Workload::policy` declares: {} attempts, base {:?}, multiplier {}, cap {:?}, jitter {:?}; this command waited {waits:?}); {}",
                    a.delay_before,
                    p.max_attempts,
                    p.base_delay,
                    p.multiplier,
                    p.max_delay,
                    p.jitter,
                    super::hint::declare_policy(attempts.len(), &waits)
                ));
            }
            let gap = a.started_at.saturating_sub(attempts[i - 1].ended_at);
            let overshot = timing == Timing::Virtual && gap > a.delay_before.max(RuntimeSleeper::MIN_SLEEP) + SLACK;
            if gap < a.delay_before || overshot {
                let clock = if timing == Timing::Virtual { "virtual" } else { "real" };
                bad(format!("{gap:?} of {clock} time passed for a delay of {:?}", a.delay_before));
            }
            if let Some(deadline) = p.deadline
                && a.started_at.saturating_sub(c.started_at) >= deadline
            {
                bad(format!("started {:?} after the command, past the deadline {:?}", a.started_at - c.started_at, deadline));
            }
            total += a.delay_before;
            previous = Some(a.delay_before);
        }
        if total != c.report.total_delay {
            out.push(Violation::safety(NAME, Some(c.index), format!("reported total delay {:?} but the attempts waited {total:?}", c.report.total_delay)));
        }
        if let Some(budget) = p.budget
            && total > budget
        {
            out.push(Violation::safety(NAME, Some(c.index), format!("waited {total:?} in all, above the budget {budget:?}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::handler::{Ctx, Handler, Outcome};
    use crate::retry::{Classify, Sleeper};
    use crate::sim::{Scheduled, Workload, run};
    use crate::store::{AppendCondition, Event, EventStore, MemoryStore, Query, QueryItem, ReadOptions, StoreError};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const NS: Duration = Duration::from_nanos(1);

    /// Each jitter kind's range, worked out by hand from its definition
    /// (base 10 ms, ×2, cap 50 ms where set).
    #[test]
    fn allowed_ranges_follow_the_definitions() {
        let capped = |jitter| RetryPolicy { jitter, max_delay: Some(ms(50)), ..RetryPolicy::go_default() };
        // C#: 50 ms, then 100 ms, exactly.
        assert_eq!(allowed(&RetryPolicy::csharp(), 2, None), (ms(50) - NS, ms(50) + NS));
        assert_eq!(allowed(&RetryPolicy::csharp(), 3, Some(ms(50))), (ms(100) - NS, ms(100) + NS));
        // Go: before attempt 3, 20 ms + 0–30 %.
        assert_eq!(allowed(&RetryPolicy::go_default(), 3, Some(ms(12))), (ms(20) - NS, ms(26) + NS));
        // Full: before attempt 3, 0..=min(50, 20); before attempt 5, 0..=min(50, 80).
        assert_eq!(allowed(&capped(Jitter::Full), 3, None), (Duration::ZERO, ms(20) + NS));
        assert_eq!(allowed(&capped(Jitter::Full), 5, None), (Duration::ZERO, ms(50)));
        // Equal: t = min(50, 80) = 50 → 25..=50.
        assert_eq!(allowed(&capped(Jitter::Equal), 5, None), (ms(25) - NS, ms(50)));
        // Decorrelated: base..=3·previous (previous = base before attempt 2), capped.
        assert_eq!(allowed(&capped(Jitter::Decorrelated), 2, None), (ms(10) - NS, ms(30) + NS));
        assert_eq!(allowed(&capped(Jitter::Decorrelated), 3, Some(ms(12))), (ms(10) - NS, ms(36) + NS));
        assert_eq!(allowed(&capped(Jitter::Decorrelated), 9, Some(ms(20))), (ms(10) - NS, ms(50)));
        // The first attempt never waits.
        assert_eq!(allowed(&capped(Jitter::Full), 1, None), (Duration::ZERO, Duration::ZERO));
        // Far out, the cap holds and nothing overflows.
        let far = allowed(&RetryPolicy { jitter: Jitter::None, ..capped(Jitter::None) }, u32::MAX, None);
        assert_eq!(far, (ms(50) - NS, ms(50)));
    }

    /// How a test handler's backoff picks the delay before `attempt` (≥ 2),
    /// given the delay before the previous one and the draw `u`.
    type Backoff = fn(&RetryPolicy, u32, Duration, f64) -> Duration;

    /// The draws the handler's backoff uses, fixed: the test forces the
    /// delays it needs instead of hunting seeds for them.
    const DRAWS: [f64; 3] = [0.05, 0.9, 0.5];

    /// AWS decorrelated jitter as defined: `base + U · (3 · previous − base)`.
    fn decorrelated(p: &RetryPolicy, _attempt: u32, previous: Duration, u: f64) -> Duration {
        p.base_delay + (previous * 3 - p.base_delay).mul_f64(u)
    }

    /// The bug: decorrelated jitter that grows from the base
    /// (`3 · base · 2^(attempt-2)`) instead of from the previous delay.
    fn decorrelated_from_the_base(p: &RetryPolicy, attempt: u32, _previous: Duration, u: f64) -> Duration {
        let grown = p.base_delay * 3 * 2u32.pow(attempt - 2);
        p.base_delay + (grown - p.base_delay).mul_f64(u)
    }

    /// Claims `key` once; the setup wrote it already, so every append
    /// conflicts and the handler retries until its attempts run out,
    /// sleeping what `backoff` says between attempts.
    struct Retrying {
        policy: RetryPolicy,
        backoff: Backoff,
    }

    impl Handler<String> for Retrying {
        async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, key: &String) -> Outcome {
            let query = Query::from_item(QueryItem::new().types(["Claimed"]).tags([key.as_str()])).expect("valid");
            let claim = || vec![Event::new("Claimed", [key.as_str()], "").expect("valid")];
            let mut previous = self.policy.base_delay;
            for attempt in 1..=self.policy.max_attempts {
                if attempt > 1 {
                    let d = (self.backoff)(&self.policy, attempt, previous, DRAWS[attempt as usize - 2]);
                    ctx.clock().sleep(d).await;
                    previous = d;
                }
                let seen = match ctx.store().read(&query, ReadOptions::default()).await {
                    Ok(seen) => seen,
                    Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
                };
                // The setup claims unconditionally; the command must not
                // find a claim after the one it read (there is none after
                // position 0, so the condition always fails).
                let condition = if seen.is_empty() { None } else { Some(AppendCondition::new(query.clone(), None)) };
                match ctx.store().append(claim(), condition).await {
                    Ok(_) => return Outcome::Succeeded,
                    Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
                }
            }
            Outcome::Exhausted { attempts: self.policy.max_attempts }
        }
    }

    /// One setup claim and one command that retries 4 attempts against it,
    /// under a decorrelated policy (base 10 ms, cap 1 s).
    struct Claims(Backoff);

    impl Workload for Claims {
        type Command = String;
        type Store = MemoryStore;
        type Handler = Retrying;
        fn name(&self) -> &'static str {
            "claims"
        }
        fn store(&self, _: &Scenario<String>) -> Result<MemoryStore, StoreError> {
            Ok(MemoryStore::new())
        }
        fn handler(&self, scenario: &Scenario<String>) -> Retrying {
            Retrying { policy: scenario.policy.clone(), backoff: self.0 }
        }
        fn generate(&self, _: &mut ChaCha8Rng) -> Scenario<String> {
            let mut s = Scenario::new(vec!["k:1".to_string()], vec![Scheduled::at_ms(0, 0, "k:1".to_string())]);
            s.policy = RetryPolicy { max_attempts: 4, jitter: Jitter::Decorrelated, max_delay: Some(ms(1_000)), ..RetryPolicy::go_default() };
            s
        }
        fn check(&self, _: &Scenario<String>, _: &History<String>, _: &mut Vec<Violation>) {}
    }

    fn violations(backoff: Backoff, seed: u64) -> Vec<Violation> {
        let w = Claims(backoff);
        let scenario = w.generate(&mut crate::rng::seeded(0));
        let result = run(&w, &scenario, seed);
        let command = result.history.commands.last().expect("the command ran");
        assert_eq!(command.report.attempts.len(), 4, "every attempt conflicts: {:?}", result.violations);
        result.violations
    }

    /// The checker is independent of the backoff code: a handler whose
    /// decorrelated jitter grows from the base instead of the previous
    /// delay waits 11 ms, then 10 + 0.9 · (60 − 10) = 55 ms, above 3 · 11 =
    /// 33 ms, and is flagged for exactly that attempt; the same draws
    /// through the definition (11 ms, 10 + 0.9 · (33 − 10) = 30.7 ms,
    /// 10 + 0.5 · (92.1 − 10) = 51.05 ms) pass, under every seed.
    #[test]
    fn decorrelated_jitter_growing_from_the_base_is_flagged() {
        for seed in 0..5 {
            assert_eq!(violations(decorrelated, seed), vec![], "seed {seed}");
            let found = violations(decorrelated_from_the_base, seed);
            assert_eq!(found.len(), 1, "seed {seed}: {found:?}");
            assert_eq!(found[0].invariant(), NAME);
            let text = found[0].to_string();
            assert!(text.contains("attempt 3: waited 55ms, the policy allows"), "{text}");
            assert!(text.contains("..=33.000001ms"), "{text}");
        }
    }

    /// The engine's own decorrelated backoff passes the same check.
    #[test]
    fn the_engines_decorrelated_backoff_passes() {
        fn engine(p: &RetryPolicy, attempt: u32, previous: Duration, u: f64) -> Duration {
            let previous = if attempt == 2 { None } else { Some(previous) };
            p.delay_before(attempt, previous, &mut crate::rng::seeded(u.to_bits()))
        }
        for seed in 0..5 {
            assert_eq!(violations(engine, seed), vec![], "seed {seed}");
        }
    }
}

#[cfg(test)]
mod timing_tests {
    use super::*;
    use crate::handler::{AttemptRecord, HandleReport, Outcome};
    use crate::sim::CommandRecord;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// One command under the C# policy: attempt 1 ends at 10 ms, attempt 2
    /// (which waited its exact 50 ms delay) starts at `10 + gap` ms.
    fn retried_after(gap: u64) -> (Scenario<String>, History<String>) {
        let attempt = |n, delay_before, started_at, ended_at| AttemptRecord { delay_before, started_at, ended_at, ..crate::check::fixture::attempt(n) };
        let attempts = vec![attempt(1, Duration::ZERO, ms(0), ms(10)), attempt(2, ms(50), ms(10 + gap), ms(11 + gap))];
        let report = HandleReport { outcome: Outcome::Succeeded, attempts, total_delay: ms(50) };
        let record = CommandRecord { index: 0, client: None, command: "c".to_string(), started_at: ms(0), ended_at: ms(11 + gap), report, calls: Vec::new(), probes: Vec::new() };
        let mut scenario = Scenario::new(vec!["c".to_string()], Vec::new());
        scenario.policy = RetryPolicy::csharp();
        let history = History { seed: 0, commands: vec![record], log: Vec::new(), faults: Vec::new(), metrics: Default::default(), schedule: None };
        (scenario, history)
    }

    fn found(gap: u64, timing: Timing) -> Vec<String> {
        let (scenario, history) = retried_after(gap);
        let mut out = Vec::new();
        check_timed(&scenario, &history, timing, &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn on_the_real_clock_only_a_late_wake_up_is_allowed_never_an_early_retry() {
        // Exactly the delay: fine on both clocks.
        assert_eq!(found(50, Timing::Virtual), Vec::<String>::new());
        assert_eq!(found(50, Timing::Real), Vec::<String>::new());
        // 30 ms late: a violation of virtual time, an OS wake-up on the real clock.
        assert_eq!(found(80, Timing::Virtual).len(), 1, "{:?}", found(80, Timing::Virtual));
        assert!(found(80, Timing::Virtual)[0].contains("80ms of virtual time passed for a delay of 50ms"));
        assert_eq!(found(80, Timing::Real), Vec::<String>::new());
        // 20 ms early: a violation on both clocks.
        assert!(found(30, Timing::Virtual)[0].contains("30ms of virtual time passed for a delay of 50ms"));
        assert_eq!(found(30, Timing::Real).len(), 1);
        assert!(found(30, Timing::Real)[0].contains("30ms of real time passed for a delay of 50ms"));
    }

    /// What the checker says of one command (started at 0) whose attempts
    /// are `(delay_before, started_at, ended_at)` in ms (µs where noted),
    /// reporting `total` waited, judged by the C# policy changed by `tweak`.
    fn judged(attempts: &[(Duration, Duration, Duration)], total: Duration, tweak: impl FnOnce(&mut RetryPolicy)) -> Vec<String> {
        use crate::check::fixture::{attempt, command, history};
        let attempts = attempts
            .iter()
            .enumerate()
            .map(|(i, &(delay_before, started_at, ended_at))| AttemptRecord { delay_before, started_at, ended_at, ..attempt(i as u32 + 1) })
            .collect();
        let mut record = command(3, Outcome::Succeeded, attempts);
        record.report.total_delay = total;
        let mut scenario = Scenario::<String>::new(vec![], vec![]);
        scenario.policy = RetryPolicy::csharp();
        tweak(&mut scenario.policy);
        let mut out = Vec::new();
        check(&scenario, &history(vec![record], 0), &mut out);
        assert!(out.iter().all(|v| matches!(v, Violation::Safety { invariant, command: Some(3), .. } if invariant == NAME)), "{out:?}");
        out.iter().map(ToString::to_string).collect()
    }

    fn as_is(_: &mut RetryPolicy) {}

    /// C#: attempt 2 waits 50 ms, attempt 3 waits 100 ms; each attempt takes 1 ms.
    fn csharp_three() -> Vec<(Duration, Duration, Duration)> {
        vec![(ms(0), ms(0), ms(1)), (ms(50), ms(51), ms(52)), (ms(100), ms(152), ms(153))]
    }

    #[test]
    fn the_exact_csharp_delays_pass() {
        assert_eq!(judged(&csharp_three(), ms(150), as_is), Vec::<String>::new());
    }

    #[test]
    fn a_first_attempt_that_waits_is_flagged() {
        let mut a = csharp_three();
        a[0].0 = ms(5);
        let found = judged(&a[..1], ms(0), as_is);
        assert!(found.len() == 1 && found[0].contains("attempt 1: the first attempt waited 5ms"), "{found:?}");
    }

    #[test]
    fn a_delay_off_the_policy_by_a_millisecond_either_way_is_flagged() {
        for wrong in [49, 51] {
            let mut a = csharp_three();
            a[1] = (ms(wrong), ms(1 + wrong), ms(2 + wrong));
            a[2] = (ms(100), ms(102 + wrong), ms(103 + wrong));
            let found = judged(&a, ms(100 + wrong), as_is);
            assert!(found.len() == 1 && found[0].contains(&format!("attempt 2: waited {wrong}ms, the policy allows 49.999999ms..=50.000001ms")), "{found:?}");
        }
    }

    #[test]
    fn the_gap_may_exceed_the_delay_by_the_slack_and_no_more() {
        let us = Duration::from_micros;
        let at = |gap: Duration| vec![(ms(0), ms(0), ms(1)), (ms(50), ms(1) + gap, ms(2) + gap)];
        assert_eq!(judged(&at(ms(50)), ms(50), as_is), Vec::<String>::new());
        assert_eq!(judged(&at(ms(50) + SLACK), ms(50), as_is), Vec::<String>::new());
        let late = judged(&at(ms(50) + SLACK + us(1)), ms(50), as_is);
        assert!(late.len() == 1 && late[0].contains("50.101ms of virtual time passed for a delay of 50ms"), "{late:?}");
        let early = judged(&at(ms(50) - us(1)), ms(50), as_is);
        assert!(early.len() == 1 && early[0].contains("49.999ms of virtual time passed"), "{early:?}");
    }

    #[test]
    fn a_delay_below_the_runtimes_minimum_sleep_is_measured_against_it() {
        let us = Duration::from_micros;
        let tiny = |p: &mut RetryPolicy| {
            p.base_delay = us(10);
            p.max_attempts = 2;
        };
        let at = |gap: Duration| vec![(ms(0), ms(0), ms(1)), (us(10), ms(1) + gap, ms(2) + gap)];
        assert_eq!(judged(&at(RuntimeSleeper::MIN_SLEEP + SLACK), us(10), tiny), Vec::<String>::new());
        let late = judged(&at(RuntimeSleeper::MIN_SLEEP + SLACK + us(1)), us(10), tiny);
        assert!(late.len() == 1 && late[0].contains("of virtual time passed for a delay of 10µs"), "{late:?}");
    }

    #[test]
    fn an_attempt_at_or_past_the_deadline_is_flagged() {
        let deadline = |d: u64| move |p: &mut RetryPolicy| p.deadline = Some(ms(d));
        assert_eq!(judged(&csharp_three(), ms(150), deadline(153)), Vec::<String>::new());
        let at = judged(&csharp_three(), ms(150), deadline(152));
        assert!(at.len() == 1 && at[0].contains("attempt 3: started 152ms after the command, past the deadline 152ms"), "{at:?}");
    }

    #[test]
    fn the_reported_total_must_be_the_sum_of_the_waits() {
        let found = judged(&csharp_three(), ms(149), as_is);
        assert!(found.len() == 1 && found[0].contains("reported total delay 149ms but the attempts waited 150ms"), "{found:?}");
    }

    #[test]
    fn waiting_more_than_the_budget_is_flagged_and_exactly_the_budget_is_not() {
        let budget = |b: u64| move |p: &mut RetryPolicy| p.budget = Some(ms(b));
        assert_eq!(judged(&csharp_three(), ms(150), budget(150)), Vec::<String>::new());
        let over = judged(&csharp_three(), ms(150), budget(149));
        assert!(over.len() == 1 && over[0].contains("waited 150ms in all, above the budget 149ms"), "{over:?}");
    }

    #[test]
    fn a_delay_at_either_end_of_the_range_passes() {
        // Full jitter under a 40 ms cap below the 50 ms base: 0 ..= 40 ms exactly.
        let full = |p: &mut RetryPolicy| {
            p.jitter = crate::retry::Jitter::Full;
            p.max_delay = Some(ms(40));
            p.max_attempts = 2;
        };
        let waited = |d: Duration| vec![(ms(0), ms(0), ms(1)), (d, ms(1) + d, ms(2) + d)];
        assert_eq!(judged(&waited(ms(0)), ms(0), full), Vec::<String>::new());
        assert_eq!(judged(&waited(ms(40)), ms(40), full), Vec::<String>::new());
        let over = judged(&waited(ms(40) + Duration::from_nanos(1)), ms(40) + Duration::from_nanos(1), full);
        assert!(over.len() == 1 && over[0].contains("the policy allows 0ns..=40ms"), "{over:?}");
    }
}
