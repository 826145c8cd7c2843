//! The wait before a retry, from the policy the caller hands us.

use std::time::Duration;

use dcb_sim::retry::RetryPolicy;

/// The delay before `attempt` (≥ 2): `base_delay · multiplier^(attempt-2)`,
/// capped by `max_delay` when set. No jitter: this handler is meant for
/// jitter-free policies such as [`RetryPolicy::csharp`].
pub fn delay_before(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exponent = i32::try_from(attempt.saturating_sub(2)).unwrap_or(i32::MAX);
    let secs = policy.base_delay.as_secs_f64() * policy.multiplier.powi(exponent);
    let cap = policy.max_delay.unwrap_or(RetryPolicy::MAX_DELAY_LIMIT);
    Duration::try_from_secs_f64(secs).map_or(cap, |d| d.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csharp_waits_50_then_100_ms() {
        let p = RetryPolicy::csharp();
        assert_eq!(delay_before(&p, 2), Duration::from_millis(50));
        assert_eq!(delay_before(&p, 3), Duration::from_millis(100));
    }

    #[test]
    fn the_cap_applies() {
        let p = RetryPolicy { max_delay: Some(Duration::from_millis(70)), ..RetryPolicy::csharp() };
        assert_eq!(delay_before(&p, 3), Duration::from_millis(70));
        assert_eq!(delay_before(&p, 60), Duration::from_millis(70));
    }
}
