//! Planted bugs: named, documented ways to break concurrency control on
//! purpose, so tests can prove the checkers catch real bugs (negative
//! controls). Select one per scenario (`Scenario::plant`) or with
//! `dcb-sim explore --plant <name>`.

use serde::{Deserialize, Serialize};

/// A deliberately broken variant of the store or the handler shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Plant {
    /// The store checks the append condition, releases its lock, yields,
    /// and only then writes: two appends can both pass the check
    /// (check-then-insert without serialisation).
    NonAtomicStore,
    /// The handler's append condition uses only the last item of its read
    /// query (for enrollment: the student's events, not the course's): the
    /// Opossum bug where two students both take the last seat.
    NarrowCondition,
    /// A retry reuses the first attempt's read and decision instead of
    /// re-reading (only the condition's `after` is refreshed).
    StaleDecision,
    /// The store only fails a condition when a matching event sits exactly
    /// at `after + 1`, instead of at any position after `after`.
    AfterEquality,
    /// The handler retries business rejections as if they were conflicts.
    RetryBusiness,
    /// The backoff ignores the policy's `max_delay` cap.
    IgnoreCap,
}

impl Plant {
    /// Every planted bug.
    pub const ALL: [Plant; 6] = [
        Plant::NonAtomicStore,
        Plant::NarrowCondition,
        Plant::StaleDecision,
        Plant::AfterEquality,
        Plant::RetryBusiness,
        Plant::IgnoreCap,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Plant::NonAtomicStore => "non-atomic-store",
            Plant::NarrowCondition => "narrow-condition",
            Plant::StaleDecision => "stale-decision",
            Plant::AfterEquality => "after-equality",
            Plant::RetryBusiness => "retry-business",
            Plant::IgnoreCap => "ignore-cap",
        }
    }

    /// Parses a name from [`Plant::name`].
    pub fn from_name(name: &str) -> Option<Plant> {
        Plant::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Plant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
