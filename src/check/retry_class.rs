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
}
