//! [`History`]: what a run did, recorded for the checkers.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::calls::StoreCall;
use super::faults::FaultRecord;
use super::metrics::MetricsSnapshot;
use super::sched::ScheduleRecord;
use super::user_probes::UserProbe;
use crate::handler::{HandleReport, Outcome};
use crate::store::{Position, SequencedEvent};

/// One handled command.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommandRecord<C> {
    /// Index: setup commands first, then the scenario's commands in order.
    pub index: usize,
    /// The client (`None` for setup).
    pub client: Option<u32>,
    /// The command.
    pub command: C,
    /// Virtual time of invocation (since the run's start).
    pub started_at: Duration,
    /// Virtual time of the response.
    pub ended_at: Duration,
    /// Outcome and attempts (derived from `calls`, see [`derive`](mod@super::derive)).
    pub report: HandleReport,
    /// Every store call the command made, in order.
    pub calls: Vec<StoreCall>,
    /// The probes its handler fired ([`Ctx::sometimes`](crate::handler::Ctx::sometimes),
    /// [`Ctx::reachable`](crate::handler::Ctx::reachable)), recorded only
    /// while coverage is collected ([`collect_probes`](super::collect_probes)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<UserProbe>,
}

impl<C> CommandRecord<C> {
    /// The outcome.
    pub fn outcome(&self) -> &Outcome {
        &self.report.outcome
    }
}

/// Everything one run did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct History<C> {
    /// The run's seed.
    pub seed: u64,
    /// Every command, ordered by index.
    pub commands: Vec<CommandRecord<C>>,
    /// The store's final log.
    pub log: Vec<SequencedEvent>,
    /// Faults injected, in order.
    pub faults: Vec<FaultRecord>,
    /// Metrics recorded by the handlers' [`MetricsObserver`](crate::retry::MetricsObserver)s.
    pub metrics: MetricsSnapshot,
    /// The order of store steps a controlled scheduler chose (`None` under
    /// [`Scheduler::Random`](super::Scheduler::Random)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleRecord>,
}

/// An append that was applied although its caller got an error (ambiguous
/// commit or timeout after the write), attributed to the attempt that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GhostWrite {
    /// Index into [`History::commands`].
    pub command: usize,
    /// The attempt number.
    pub attempt: u32,
    /// First position written.
    pub first: Position,
    /// Last position written.
    pub last: Position,
    /// The fault's id.
    pub fault: u64,
}

impl<C> History<C> {
    /// The writes that happened behind an error, from the fault journal,
    /// each attributed to the attempt whose store call got the fault. A
    /// fault whose write no recorded append claims yields `Err(fault id)`.
    pub fn ghost_writes(&self) -> Vec<Result<GhostWrite, u64>> {
        self.ghost_writes_timed(super::derive::Timing::Virtual)
    }

    /// [`History::ghost_writes`] of a history measured on `timing`'s clock:
    /// each attempt numbered as the command's report numbers it.
    pub(crate) fn ghost_writes_timed(&self, timing: super::derive::Timing) -> Vec<Result<GhostWrite, u64>> {
        self.faults
            .iter()
            .filter_map(|f| f.applied.map(|range| (f, range)))
            .map(|(f, (first, last))| {
                let c = self.commands.get(f.command).filter(|c| c.index == f.command).ok_or(f.id)?;
                c.calls.get(f.call).filter(|call| call.fault == Some(f.id) && call.wrote() == Some((first, last))).ok_or(f.id)?;
                let attempt = super::derive::attempt_numbers_timed(&c.calls, timing)[f.call];
                Ok(GhostWrite { command: f.command, attempt, first, last, fault: f.id })
            })
            .collect()
    }
}

impl<C: Hash> History<C> {
    /// A stable 64-bit hash (FNV-1a) of the whole history: equal for two
    /// runs of the same scenario and seed, on any machine and build.
    pub fn hash64(&self) -> u64 {
        let mut h = crate::util::fnv::Fnv64::default();
        self.hash(&mut h);
        h.finish()
    }
}

