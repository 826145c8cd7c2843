//! **Guided exploration**: steer by what is rare. A guide keeps a
//! corpus of scenarios whose runs fired a coverage probe for the first
//! time or rarely (in at most [`RARE`] schedules so far), and spends half
//! of the seeds on mutations of them (duplicate
//! the command on the hottest boundary onto another client, drop one, move
//! start times together, add a client, tighten the retry policy); the
//! other half run the scenario the workload generates from the seed.
//!
//! Every choice (fresh or mutated, which parent, which mutations) comes
//! from a ChaCha8 stream of the run's seed ([`GUIDED_STREAM`]), and the
//! corpus starts empty every [`CHUNK`](super::CHUNK) seeds (aligned on the
//! exploration's start), so a guided exploration gives the same results on
//! any number of threads. A mutated scenario is not the one its seed
//! generates: a failure on one is reported with its scenario (saved to a
//! file, which replays it), not with the seed alone.

use rand::RngExt;

use crate::explore::coverage::Coverage;
use crate::explore::explorer::{ExploreOptions, scenario_for};
use crate::retry::ErrorKind;
use crate::rng;
use crate::sim::workload::{Cmd, Workload};
use crate::sim::{History, Scenario};

/// RNG stream of a seed the guide draws its choices from.
pub const GUIDED_STREAM: u64 = u64::MAX - 4;

/// Scenarios the corpus holds at most (the least rare is replaced first).
pub const CORPUS: usize = 32;

/// A run is kept when one of its probes has fired in at most this many
/// schedules (counting this one): new or rare.
pub const RARE: u64 = 3;

/// One kept scenario.
#[derive(Debug, Clone)]
struct Entry<C> {
    scenario: Scenario<C>,
    /// The command (index in `scenario.commands`) that conflicted most in its run.
    hot: Option<usize>,
    /// The fewest schedules among the probes its run fired, when it was kept.
    rarity: u64,
}

/// The corpus and the coverage it steers by.
#[derive(Debug, Clone)]
pub(crate) struct Guide<C> {
    corpus: Vec<Entry<C>>,
    seen: Coverage,
}

impl<C: Clone> Guide<C> {
    /// An empty corpus.
    pub(crate) fn new() -> Self {
        Guide { corpus: Vec::new(), seen: Coverage::default() }
    }

    /// The scenario seed `seed` runs, and whether it is the one the seed
    /// generates (`false`: a mutation of a corpus entry).
    pub(crate) fn scenario<W: Workload<Command = C>>(&mut self, workload: &W, opts: &ExploreOptions, seed: u64) -> (Scenario<C>, bool) {
        let mut rng = rng::substream(seed, GUIDED_STREAM);
        if self.corpus.is_empty() || rng.random_bool(0.5) {
            return (scenario_for(workload, opts, seed), true);
        }
        let parent = &self.corpus[rng.random_range(0..self.corpus.len())];
        let mut child = parent.scenario.clone();
        super::mutate::mutate(&mut child, parent.hot, workload.policy().is_none(), &mut rng);
        (child, false)
    }

    /// Counts the probes of `scenario`'s run and keeps the scenario when
    /// one of them is new or rare.
    pub(crate) fn learn<W: Workload<Command = C>>(&mut self, workload: &W, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>) {
        self.seen.count_run(workload, scenario, history);
        let Some(rarity) = self.seen.rarest_of_last_run().filter(|&r| r <= RARE) else { return };
        let entry = Entry { scenario: scenario.clone(), hot: hottest(scenario, history), rarity };
        if self.corpus.len() < CORPUS {
            self.corpus.push(entry);
        } else if let Some((i, _)) = self.corpus.iter().enumerate().filter(|(_, e)| e.rarity >= rarity).max_by_key(|(i, e)| (e.rarity, std::cmp::Reverse(*i))) {
            self.corpus[i] = entry;
        }
    }

    /// Scenarios kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.corpus.len()
    }
}

/// The concurrent command (index in `scenario.commands`) with the most
/// conflicting attempts in `history`, if any conflicted.
fn hottest<C>(scenario: &Scenario<C>, history: &History<C>) -> Option<usize> {
    let setup = scenario.setup.len();
    history
        .commands
        .iter()
        .filter(|c| c.index >= setup)
        .map(|c| (c.report.attempts.iter().filter(|a| a.error == Some(ErrorKind::Conflict)).count(), std::cmp::Reverse(c.index)))
        .filter(|(n, _)| *n > 0)
        .max()
        .map(|(_, std::cmp::Reverse(i))| i - setup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enrollment::EnrollmentWorkload;
    use crate::sim::run;

    #[test]
    fn the_corpus_keeps_runs_that_fire_something_new_and_replays_the_same() {
        let w = EnrollmentWorkload::default();
        let opts = ExploreOptions::default();
        let go = || {
            let mut guide = Guide::new();
            let mut picked = Vec::new();
            for seed in 0..40 {
                let (scenario, fresh) = guide.scenario(&w, &opts, seed);
                let history = run(&w, &scenario, seed).history;
                guide.learn(&w, &scenario, &history);
                picked.push((fresh, scenario.commands.len(), history.hash64()));
            }
            (guide.len(), picked)
        };
        let (kept, picked) = go();
        assert!(kept > 0, "the first run fires every probe for the first time");
        assert!(picked.iter().any(|p| !p.0), "some seeds run mutations");
        assert!(picked[0].0, "an empty corpus: the seed's own scenario");
        assert_eq!(go(), (kept, picked), "the same seeds guide the same way");
    }
}
