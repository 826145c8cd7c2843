//! The line a user writes to declare the retry policy a handler follows,
//! read off one command's recorded attempts: shown by the `attempts` and
//! `delays` checkers when a command broke the policy it was judged by.

use std::time::Duration;

/// `Workload::policy` as Rust source for a handler that made `attempts`
/// attempts (at least) and waited `waits` before its retries.
pub(crate) fn declare_policy(attempts: usize, waits: &[Duration]) -> String {
    let mut line = format!("RetryPolicy::builder().max_attempts({attempts})");
    let mut regular = true;
    if let Some(&base) = waits.iter().find(|w| !w.is_zero()) {
        let first = waits.iter().position(|w| !w.is_zero()).unwrap_or(0);
        let multiplier = match waits.get(first + 1) {
            Some(next) => ((next.as_secs_f64() / base.as_secs_f64()) * 10.0).round().max(10.0) / 10.0,
            None => 2.0,
        };
        regular = waits[first..].iter().enumerate().all(|(i, w)| {
            let expected = base.as_secs_f64() * multiplier.powi(i as i32);
            (w.as_secs_f64() - expected).abs() <= 0.000_5
        });
        line += &format!(".base_delay(Duration::from_millis({})).multiplier({multiplier:?})", base.as_millis());
        if regular {
            line += ".jitter(Jitter::None)";
        }
    }
    let note = if regular {
        " (read off this command's attempts: put in your loop's own maximum and cap)"
    } else {
        " (read off this command's attempts, whose waits vary: put in your loop's own maximum, jitter and cap)"
    };
    format!(
        "if your handler runs its own retry loop, declare the policy it follows in your Workload: \
         `fn policy(&self) -> Option<RetryPolicy> {{ {line}.build().ok() }}`{note}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn doubling_waits_give_the_exact_builder_line() {
        let hint = declare_policy(4, &[ms(20), ms(40), ms(80)]);
        assert!(
            hint.contains("`fn policy(&self) -> Option<RetryPolicy> { RetryPolicy::builder().max_attempts(4).base_delay(Duration::from_millis(20)).multiplier(2.0).jitter(Jitter::None).build().ok() }`"),
            "{hint}"
        );
        assert!(!hint.contains("vary") && hint.contains("your loop's own maximum and cap"), "{hint}");
    }

    #[test]
    fn irregular_waits_say_so_and_a_first_zero_wait_is_skipped() {
        let hint = declare_policy(5, &[ms(0), ms(50), ms(70), ms(200)]);
        assert!(hint.contains(".max_attempts(5).base_delay(Duration::from_millis(50)).multiplier(1.4).build()"), "{hint}");
        assert!(hint.contains("whose waits vary"), "{hint}");
        let hint = declare_policy(3, &[ms(10), ms(15), ms(50)]);
        assert!(hint.contains(".multiplier(1.5)") && hint.contains("whose waits vary"), "{hint}");
    }

    #[test]
    fn no_retry_means_only_the_attempt_count() {
        assert!(declare_policy(1, &[]).contains("{ RetryPolicy::builder().max_attempts(1).build().ok() }"));
    }
}
