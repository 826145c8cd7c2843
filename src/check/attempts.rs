//! **attempts**: no command makes more than `max_attempts` attempts, and
//! attempts are numbered 1, 2, 3, … with no gap.
//!
//! Not verified here: whether each retry was allowed (see `retry_class`) or
//! waited the right time (see `delays`).

use crate::sim::{History, Scenario, Violation};

/// The invariant's name.
pub const NAME: &str = "attempts";

/// Checks every command.
pub fn check<C>(scenario: &Scenario<C>, history: &History<C>, out: &mut Vec<Violation>) {
    let max = scenario.policy.max_attempts as usize;
    for c in &history.commands {
        let n = c.report.attempts.len();
        if n == 0 || n > max {
            out.push(Violation::safety(NAME, Some(c.index), {
                let waits: Vec<_> = c.report.attempts.iter().skip(1).map(|a| a.delay_before).collect();
                format!("made {n} attempts; the policy it was judged by allows 1..={max} (`max_attempts` of the scenario's policy, or of the one `Workload::policy` declares); {}", super::hint::declare_policy(n, &waits))
            }));
        }
        if let Some((i, a)) = c.report.attempts.iter().enumerate().find(|(i, a)| a.attempt as usize != i + 1) {
            out.push(Violation::safety(NAME, Some(c.index), format!("attempt at index {i} is numbered {}", a.attempt)));
        }
    }
}
