//! [`first_catch`]: how many seeds (and schedules) an exploration takes to
//! catch a bug, for measuring checkers and schedulers against each other.

use crate::check;
use crate::explore::explorer::{ExploreOptions, explore};
use crate::sim::workload::Workload;

/// The invariants every workload gets without writing any: the generic
/// checkers ([`check::all`] and serializability by re-execution).
pub const GENERIC_INVARIANTS: [&str; 6] =
    [check::attempts::NAME, check::delays::NAME, check::retry_class::NAME, check::log::NAME, check::soundness::NAME, check::serializable::NAME];

/// The first catch of an exploration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstCatch {
    /// Seeds run up to and including the catching one.
    pub seeds: u64,
    /// Schedules checked up to and including the catching seed's (race
    /// orders and exhaustive orders count).
    pub schedules: u64,
    /// The catching seed.
    pub seed: u64,
    /// The invariants that fired on it (only generic ones when asked).
    pub invariants: Vec<String>,
}

/// Explores seed after seed from `opts.start_seed` (at most `opts.seeds`)
/// until one violates an invariant — only one of [`GENERIC_INVARIANTS`]
/// when `generic_only` — and says where; `None` when none did.
pub fn first_catch<W: Workload>(workload: &W, opts: &ExploreOptions, generic_only: bool) -> Option<FirstCatch> {
    if opts.guided && opts.exhaustive.is_none() {
        return crate::sim::collect_probes(|| guided_catch(workload, opts, generic_only));
    }
    let mut schedules = 0;
    for i in 0..opts.seeds {
        let seed = opts.start_seed + i;
        // One seed at a time, so the seed's races (if any) are derived as in a full run.
        let one = ExploreOptions { start_seed: seed, seeds: 1, max_reports: 0, shrink_budget: 0, stop_on_failure: false, race_every: 1, ..opts.clone() };
        let race_here = opts.races.is_some() && i % opts.race_every.max(1) == 0;
        let summary = explore(workload, &ExploreOptions { races: opts.races.filter(|_| race_here), ..one });
        schedules += summary.schedules;
        let invariants: Vec<String> = summary.violations_by_invariant.keys().filter(|k| !generic_only || GENERIC_INVARIANTS.contains(&k.as_str())).cloned().collect();
        if !invariants.is_empty() {
            return Some(FirstCatch { seeds: i + 1, schedules, seed, invariants });
        }
    }
    None
}

/// [`first_catch`] of a guided exploration: one schedule per seed, the
/// corpus carried from seed to seed (and renewed every
/// [`CHUNK`](crate::explore::CHUNK) seeds, as [`explore`] does).
fn guided_catch<W: Workload>(workload: &W, opts: &ExploreOptions, generic_only: bool) -> Option<FirstCatch> {
    let mut guide = crate::explore::guided::Guide::new();
    for i in 0..opts.seeds {
        if i.is_multiple_of(crate::explore::CHUNK) {
            guide = crate::explore::guided::Guide::new();
        }
        let seed = opts.start_seed + i;
        let (scenario, _) = guide.scenario(workload, opts, seed);
        let result = crate::sim::run(workload, &scenario, seed);
        guide.learn(workload, &scenario, &result.history);
        let mut invariants: Vec<String> = result.violations.iter().map(|v| v.invariant()).filter(|k| !generic_only || GENERIC_INVARIANTS.contains(k)).map(str::to_string).collect();
        invariants.sort_unstable();
        invariants.dedup();
        if !invariants.is_empty() {
            return Some(FirstCatch { seeds: i + 1, schedules: i + 1, seed, invariants });
        }
    }
    None
}
