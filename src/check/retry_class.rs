//! **retry-classification**: only retryable errors are retried, and a
//! command stops only when it must.
//!
//! Verified: every attempt but the last ended with an error the policy
//! retries (a conflict; a transient error when enabled; never a business
//! rejection, deadline or cancellation); an `Exhausted` outcome used all
//! attempts and ended on a retryable error; a command that ended on a
//! retryable error with attempts left did so because of its deadline or
//! budget (outcome `Failed`), never silently.
//!
//! Which errors may be retried is written here from the design (only
//! concurrency conflicts, plus transient store errors when the policy
//! enables them; never deadline, cancellation, business or other errors),
//! not taken from `RetryPolicy::retries`, which the retry engine itself
//! consults: a checker that shares code with what it checks agrees with its
//! bugs.
//!
//! Not verified: the waits (see `delays`).

use crate::handler::Outcome;
use crate::retry::{ErrorKind, RetryPolicy};
use crate::sim::{History, Scenario, Violation};

/// The invariant's name.
pub const NAME: &str = "retry-classification";

/// Whether an error of `kind` may be retried under `policy`, by the
/// design's rule.
pub fn retryable(policy: &RetryPolicy, kind: ErrorKind) -> bool {
    match kind {
        ErrorKind::Conflict => true,
        ErrorKind::Transient => policy.retry_transient,
        ErrorKind::DeadlineExceeded | ErrorKind::Canceled | ErrorKind::Business | ErrorKind::Other => false,
    }
}

/// Checks every command.
pub fn check<C>(scenario: &Scenario<C>, history: &History<C>, out: &mut Vec<Violation>) {
    let p = &scenario.policy;
    for c in &history.commands {
        let attempts = &c.report.attempts;
        let Some(last) = attempts.last() else { continue };
        for a in &attempts[..attempts.len() - 1] {
            match a.error {
                Some(kind) if retryable(p, kind) => {}
                other => out.push(Violation::safety(
                    NAME,
                    Some(c.index),
                    format!("attempt {} ended with {:?} but was retried", a.attempt, other.map(|k| k.label()).unwrap_or("success")),
                )),
            }
        }
        let retryable_end = last.error.is_some_and(|k| retryable(p, k));
        let all_used = last.attempt >= p.max_attempts;
        match c.outcome() {
            Outcome::Exhausted { attempts: n } if !(retryable_end && all_used && *n == last.attempt) => {
                out.push(Violation::safety(NAME, Some(c.index), format!("reported exhausted after {n} attempts but made {} of {} and ended on {:?}", last.attempt, p.max_attempts, last.error)));
            }
            Outcome::Failed { .. } if retryable_end && !all_used && p.deadline.is_none() && p.budget.is_none() => {
                out.push(Violation::safety(NAME, Some(c.index), format!("gave up after {} of {} attempts on a retryable error with no deadline or budget", last.attempt, p.max_attempts)));
            }
            Outcome::Succeeded | Outcome::Idempotent | Outcome::Rejected { .. } if retryable_end => {
                out.push(Violation::safety(NAME, Some(c.index), format!("outcome {} but the last attempt ended on a retryable error", c.outcome().label())));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ErrorKind; 6] = [ErrorKind::Conflict, ErrorKind::Transient, ErrorKind::DeadlineExceeded, ErrorKind::Canceled, ErrorKind::Business, ErrorKind::Other];

    /// The design's rule, and the retry engine's own (`RetryPolicy::retries`)
    /// agrees with it for every kind, with transient retries off and on.
    #[test]
    fn only_conflicts_and_enabled_transient_errors_are_retryable() {
        let off = RetryPolicy::go_default();
        let on = RetryPolicy { retry_transient: true, ..RetryPolicy::go_default() };
        let retried = |p: &RetryPolicy| KINDS.into_iter().filter(|k| retryable(p, *k)).collect::<Vec<_>>();
        assert_eq!(retried(&off), [ErrorKind::Conflict]);
        assert_eq!(retried(&on), [ErrorKind::Conflict, ErrorKind::Transient]);
        for p in [&off, &on] {
            for kind in KINDS {
                assert_eq!(p.retries(kind), retryable(p, kind), "{kind:?}, retry_transient {}", p.retry_transient);
            }
        }
    }

    use std::time::Duration;

    use crate::check::fixture::{attempt, command, failed, history};
    use crate::sim::Scenario;

    /// What the checker says of one command with these attempts and outcome,
    /// judged by the C# policy (3 attempts, no deadline or budget) changed by `tweak`.
    fn judged(outcome: Outcome, attempts: Vec<crate::handler::AttemptRecord>, tweak: impl FnOnce(&mut RetryPolicy)) -> Vec<String> {
        let mut scenario = Scenario::<String>::new(vec![], vec![]);
        scenario.policy = RetryPolicy::csharp();
        tweak(&mut scenario.policy);
        let mut out = Vec::new();
        check(&scenario, &history(vec![command(2, outcome, attempts)], 0), &mut out);
        assert!(out.iter().all(|v| matches!(v, Violation::Safety { invariant, command: Some(2), .. } if invariant == NAME)), "{out:?}");
        out.iter().map(ToString::to_string).collect()
    }

    fn as_is(_: &mut RetryPolicy) {}

    fn failure(kind: ErrorKind) -> Outcome {
        Outcome::Failed { error: kind, message: "m".into() }
    }

    #[test]
    fn retrying_conflicts_and_enabled_transient_errors_passes() {
        let conflicts = vec![failed(1, ErrorKind::Conflict), failed(2, ErrorKind::Conflict), attempt(3)];
        assert_eq!(judged(Outcome::Succeeded, conflicts, as_is), Vec::<String>::new());
        let transient = vec![failed(1, ErrorKind::Transient), attempt(2)];
        assert_eq!(judged(Outcome::Succeeded, transient, |p| p.retry_transient = true), Vec::<String>::new());
    }

    #[test]
    fn a_retry_after_a_non_retryable_end_or_a_success_is_flagged() {
        let found = judged(Outcome::Succeeded, vec![failed(1, ErrorKind::Business), attempt(2)], as_is);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("attempt 1 ended with \"business\" but was retried"), "{found:?}");
        let found = judged(Outcome::Succeeded, vec![failed(1, ErrorKind::Transient), attempt(2)], as_is);
        assert!(found[0].contains("attempt 1 ended with \"transient\" but was retried"), "{found:?}");
        let found = judged(Outcome::Succeeded, vec![attempt(1), attempt(2)], as_is);
        assert!(found[0].contains("attempt 1 ended with \"success\" but was retried"), "{found:?}");
    }

    #[test]
    fn exhausted_must_have_used_every_attempt_on_a_retryable_error_and_say_how_many() {
        let three = || vec![failed(1, ErrorKind::Conflict), failed(2, ErrorKind::Conflict), failed(3, ErrorKind::Conflict)];
        assert_eq!(judged(Outcome::Exhausted { attempts: 3 }, three(), as_is), Vec::<String>::new());
        let found = judged(Outcome::Exhausted { attempts: 2 }, three(), as_is);
        assert!(found[0].contains("reported exhausted after 2 attempts but made 3 of 3"), "{found:?}");
        let found = judged(Outcome::Exhausted { attempts: 2 }, vec![failed(1, ErrorKind::Conflict), failed(2, ErrorKind::Conflict)], as_is);
        assert!(found[0].contains("reported exhausted after 2 attempts but made 2 of 3"), "{found:?}");
        let last_other = vec![failed(1, ErrorKind::Conflict), failed(2, ErrorKind::Conflict), failed(3, ErrorKind::Other)];
        let found = judged(Outcome::Exhausted { attempts: 3 }, last_other, as_is);
        assert!(found[0].contains("ended on Some(Other)"), "{found:?}");
    }

    #[test]
    fn giving_up_early_on_a_retryable_error_is_flagged_unless_a_deadline_or_budget_ended_it() {
        let early = || vec![failed(1, ErrorKind::Conflict)];
        let found = judged(failure(ErrorKind::Conflict), early(), as_is);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("gave up after 1 of 3 attempts on a retryable error with no deadline or budget"), "{found:?}");
        assert_eq!(judged(failure(ErrorKind::Conflict), early(), |p| p.deadline = Some(Duration::from_millis(5))), Vec::<String>::new());
        assert_eq!(judged(failure(ErrorKind::Conflict), early(), |p| p.budget = Some(Duration::from_millis(5))), Vec::<String>::new());
        // a non-retryable end may give up at once
        assert_eq!(judged(failure(ErrorKind::Other), vec![failed(1, ErrorKind::Other)], as_is), Vec::<String>::new());
    }

    #[test]
    fn a_success_rejection_or_no_op_whose_last_attempt_ended_on_a_retryable_error_is_flagged() {
        for outcome in [Outcome::Succeeded, Outcome::Idempotent, Outcome::Rejected { reason: "r".into() }] {
            let label = outcome.label();
            let found = judged(outcome, vec![failed(1, ErrorKind::Conflict)], as_is);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(found[0].contains(&format!("outcome {label} but the last attempt ended on a retryable error")), "{found:?}");
        }
        assert_eq!(judged(Outcome::Rejected { reason: "r".into() }, vec![failed(1, ErrorKind::Business)], as_is), Vec::<String>::new());
    }
}

