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
//! Not verified: that jittered delays are *distributed* as the formula says
//! (only their range), which the delay-table snapshots and a proptest cover.

use std::time::Duration;

use crate::retry::RuntimeSleeper;
use crate::sim::{History, Scenario, Violation};

/// The invariant's name.
pub const NAME: &str = "delays";

/// How much longer than the delay the measured gap may be (poll ticks).
pub const SLACK: Duration = Duration::from_micros(100);

/// Checks every command.
pub fn check<C>(scenario: &Scenario<C>, history: &History<C>, out: &mut Vec<Violation>) {
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
            let bounds = p.bounds_before(a.attempt, previous);
            if !bounds.contains(a.delay_before) {
                bad(format!("waited {:?}, the policy allows {:?}..={:?}", a.delay_before, bounds.lo, bounds.hi));
            }
            let gap = a.started_at.saturating_sub(attempts[i - 1].ended_at);
            if gap < a.delay_before || gap > a.delay_before.max(RuntimeSleeper::MIN_SLEEP) + SLACK {
                bad(format!("{:?} of virtual time passed for a delay of {:?}", gap, a.delay_before));
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
