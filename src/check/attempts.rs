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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fixture::{attempt, command, history};
    use crate::handler::Outcome;
    use crate::retry::RetryPolicy;

    /// What the checker says of one command whose attempts carry `numbers`,
    /// judged by the C# policy (3 attempts).
    fn judged(numbers: &[u32]) -> Vec<String> {
        let history = history(vec![command(4, Outcome::Succeeded, numbers.iter().map(|&n| attempt(n)).collect())], 0);
        let mut scenario = Scenario::<String>::new(vec![], vec![]);
        scenario.policy = RetryPolicy::csharp();
        let mut out = Vec::new();
        check(&scenario, &history, &mut out);
        assert!(out.iter().all(|v| matches!(v, Violation::Safety { invariant, command: Some(4), .. } if invariant == NAME)), "{out:?}");
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn up_to_the_policys_attempts_numbered_from_one_pass() {
        assert_eq!(judged(&[1]), Vec::<String>::new());
        assert_eq!(judged(&[1, 2, 3]), Vec::<String>::new());
    }

    #[test]
    fn one_attempt_more_than_the_policy_allows_is_flagged() {
        let found = judged(&[1, 2, 3, 4]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("made 4 attempts; the policy it was judged by allows 1..=3"), "{found:?}");
    }

    #[test]
    fn a_command_without_any_attempt_is_flagged() {
        let found = judged(&[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("made 0 attempts"), "{found:?}");
    }

    #[test]
    fn a_gap_or_a_repeat_in_the_numbering_is_flagged() {
        assert!(judged(&[1, 3])[0].contains("attempt at index 1 is numbered 3"));
        assert!(judged(&[2])[0].contains("attempt at index 0 is numbered 2"));
        assert!(judged(&[1, 1])[0].contains("attempt at index 1 is numbered 1"));
    }
}
