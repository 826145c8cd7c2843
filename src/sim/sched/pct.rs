//! PCT (probabilistic concurrency testing, Burckhardt et al., ASPLOS 2010)
//! over store steps, as shuttle implements it: every client gets a random
//! distinct priority; at each decision the pending step of the
//! highest-priority client takes effect, or, when a blocked client (one
//! sleeping or inside a store call) has the highest priority, the
//! scheduler waits for it; at `depth − 1` change points,
//! drawn uniformly among the first `k` decisions, the client that took the
//! previous step drops below every initial priority. A bug that needs `d`
//! ordering constraints among `n` clients and `k` steps is found with
//! probability at least 1 / (n · k^(d−1)) per run.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::schedule::Choice;
use super::turn::{Chooser, Options};

/// The PCT scheduler of one run.
#[derive(Debug)]
pub(crate) struct Pct {
    priorities: BTreeMap<u32, u64>,
    change_points: Vec<usize>,
    decisions: usize,
    next_low: u64,
}

impl Pct {
    /// Priorities for `clients` and `depth − 1` change points among the
    /// first `steps` decisions, from `rng`.
    pub fn new(rng: &mut ChaCha8Rng, clients: &[u32], depth: u32, steps: usize) -> Self {
        let mut order = clients.to_vec();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let depth = u64::from(depth.max(1));
        let priorities = order.iter().enumerate().map(|(rank, c)| (*c, depth + rank as u64)).collect();
        let mut pool: Vec<usize> = (1..=steps.max(1)).collect();
        let mut change_points = Vec::new();
        for _ in 1..depth {
            if pool.is_empty() {
                break;
            }
            change_points.push(pool.swap_remove(rng.random_range(0..pool.len())));
        }
        Pct { priorities, change_points, decisions: 0, next_low: depth - 1 }
    }

    fn priority(&self, client: u32) -> u64 {
        self.priorities.get(&client).copied().unwrap_or(0)
    }
}

impl Chooser for Pct {
    fn choose(&mut self, options: &Options<'_>) -> Choice {
        self.decisions += 1;
        if self.change_points.contains(&self.decisions)
            && let Some(last) = options.last
        {
            self.priorities.insert(last, self.next_low);
            self.next_low = self.next_low.saturating_sub(1);
        }
        let best_step = options.steps.iter().map(|s| (self.priority(s.client), Choice::Step(s.client))).max();
        // Waiting lets a call in flight take effect first: it has the
        // priority of that call's client. (Not of a client sleeping a
        // backoff: waiting for it would run the clients one by one.)
        let wait = options.blocked.iter().filter(|(_, in_store)| *in_store).map(|(c, _)| (self.priority(*c), Choice::Wait)).max();
        best_step.into_iter().chain(wait).max_by_key(|(p, _)| *p).map_or_else(|| options.non_preemptive(), |(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sim::sched::step::{Footprint, Step};
    use crate::store::Query;

    fn step(client: u32) -> Step {
        Step { client, command: client as usize, call: 0, footprint: Footprint::Read(Query::all()) }
    }

    /// The client PCT picks at each of `decisions` decisions while all
    /// three clients have a step pending (`last`: the previous pick).
    fn picks(seed: u64, depth: u32, decisions: usize) -> Vec<u32> {
        let mut pct = Pct::new(&mut ChaCha8Rng::seed_from_u64(seed), &[0, 1, 2], depth, decisions);
        let steps = [step(0), step(1), step(2)];
        let mut last = None;
        (0..decisions)
            .map(|_| {
                let options = Options { steps: steps.iter().collect(), blocked: vec![], last };
                let Choice::Step(c) = pct.choose(&options) else { panic!("PCT waited with nothing blocked") };
                last = Some(c);
                c
            })
            .collect()
    }

    /// Without change points the highest-priority client always goes, and
    /// which client that is depends on the seed (the priorities are drawn).
    #[test]
    fn depth_one_runs_the_highest_priority_client_drawn_per_seed() {
        let mut firsts = std::collections::BTreeSet::new();
        for seed in 0..30 {
            let p = picks(seed, 1, 6);
            assert!(p.iter().all(|c| *c == p[0]), "seed {seed}: {p:?}");
            firsts.insert(p[0]);
        }
        assert_eq!(firsts.len(), 3, "every client should be drawn highest for some seed: {firsts:?}");
    }

    /// At a change point the client that took the previous step drops
    /// below every other: with depth 3, two clients are demoted in turn.
    #[test]
    fn change_points_demote_the_previous_client() {
        for seed in 0..30 {
            let p = picks(seed, 3, 4);
            let switches = p.windows(2).filter(|w| w[0] != w[1]).count();
            let distinct: std::collections::BTreeSet<u32> = p.iter().copied().collect();
            // two change points among the first 4 decisions: the first is
            // never one that switches (decision 1 has no previous client)
            assert!((1..=2).contains(&switches) && distinct.len() == switches + 1, "seed {seed}: {p:?}");
        }
    }
}
