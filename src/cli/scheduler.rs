//! `--scheduler`, `--pct-depth`, `--exhaustive-budget` and `--schedule`:
//! who orders the store steps (see [`crate::sim::sched`]).

use clap::{Args, ValueEnum};

use crate::sim::{Schedule, Scheduler};

/// A scheduler by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(super) enum SchedulerName {
    /// Random store latency (the default).
    #[default]
    Random,
    /// Probabilistic concurrency testing over store steps (`--pct-depth`).
    Pct,
    /// Every distinct order of each scenario's store steps (`--exhaustive-budget` runs per scenario).
    Exhaustive,
    /// Random latency, plus the races of each seed's run (pairs and triples of conflicting commands) enumerated exhaustively (`--race-orders` runs per race).
    Races,
    /// Random latency, half of the seeds spent on mutations of scenarios that fired a rare coverage probe (explore and catch-time).
    Guided,
}

/// Scheduler flags.
#[derive(Debug, Clone, Args)]
pub(super) struct SchedulerArgs {
    /// Who orders the store steps: random (latency), pct, exhaustive, races or guided (the last three: explore and catch-time only).
    #[arg(long, value_enum, default_value_t = SchedulerName::Random)]
    pub scheduler: SchedulerName,
    /// PCT's bug depth d: d − 1 priority change points per run.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub pct_depth: u32,
    /// Exhaustive: at most this many runs per scenario (the summary says whether each enumeration completed).
    #[arg(long, default_value_t = 100_000)]
    pub exhaustive_budget: u64,
    /// Races: at most this many runs per race.
    #[arg(long, default_value_t = crate::sim::RaceOptions::default().orders)]
    pub race_orders: u64,
    /// Races: at most this many races per seed (triples first, then pairs).
    #[arg(long, default_value_t = crate::sim::RaceOptions::default().races)]
    pub races_per_seed: usize,
    /// Replay this schedule (the string a report printed after `--schedule`); overrides --scheduler.
    #[arg(long, value_parser = |s: &str| s.parse::<Schedule>().map_err(|e| e.to_string()))]
    pub schedule: Option<Schedule>,
}

impl SchedulerArgs {
    /// The per-run scheduler these flags select (`exhaustive` runs its
    /// scenarios one by one with [`crate::sim::exhaustive`], not through this).
    pub fn scheduler(&self) -> Scheduler {
        match (&self.schedule, self.scheduler) {
            (Some(schedule), _) => Scheduler::Script { schedule: schedule.clone() },
            (None, SchedulerName::Pct) => Scheduler::Pct { depth: self.pct_depth },
            (None, SchedulerName::Random | SchedulerName::Exhaustive | SchedulerName::Races | SchedulerName::Guided) => Scheduler::Random,
        }
    }

    /// The exhaustive budget, when `--scheduler exhaustive` (and no `--schedule`).
    pub fn exhaustive(&self) -> Option<u64> {
        (self.scheduler == SchedulerName::Exhaustive && self.schedule.is_none()).then_some(self.exhaustive_budget)
    }

    /// Guided exploration, when `--scheduler guided` (and no `--schedule`).
    pub fn guided(&self) -> bool {
        self.scheduler == SchedulerName::Guided && self.schedule.is_none()
    }

    /// The race options, when `--scheduler races` (and no `--schedule`).
    pub fn races(&self) -> Option<crate::sim::RaceOptions> {
        (self.scheduler == SchedulerName::Races && self.schedule.is_none())
            .then(|| crate::sim::RaceOptions { races: self.races_per_seed, orders: self.race_orders, ..crate::sim::RaceOptions::default() })
    }
}
