//! The mutations of guided exploration ([`guided`](super::guided)): small
//! structural changes to a scenario that make commands race harder. Every
//! choice comes from the RNG handed in (seeded by the run's seed).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::sim::Scenario;

/// One mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutation {
    /// Copy the command on the hottest boundary (the one that conflicted
    /// most in the parent's run) onto another client, at the same start.
    DuplicateHot,
    /// Drop one command.
    Drop,
    /// Move one command's start onto another's.
    Together,
    /// Move one command onto a client of its own.
    AddClient,
    /// One attempt fewer in the retry policy (only for a workload whose
    /// handler follows the scenario's policy: one that declares none).
    Tighten,
}

const ALL: [Mutation; 5] = [Mutation::DuplicateHot, Mutation::Drop, Mutation::Together, Mutation::AddClient, Mutation::Tighten];

/// Applies one to three mutations drawn from `rng` to `scenario`; `hot` is
/// the index (in `scenario.commands`) of the command that conflicted most,
/// `tighten` whether the policy may be tightened.
pub(crate) fn mutate<C: Clone>(scenario: &mut Scenario<C>, hot: Option<usize>, tighten: bool, rng: &mut ChaCha8Rng) {
    for _ in 0..rng.random_range(1..=3u32) {
        let m = ALL[rng.random_range(0..ALL.len())];
        apply(scenario, m, hot, tighten, rng);
    }
}

/// Applies `m` (a no-op where it does not apply, e.g. dropping the only command).
pub(crate) fn apply<C: Clone>(s: &mut Scenario<C>, m: Mutation, hot: Option<usize>, tighten: bool, rng: &mut ChaCha8Rng) {
    let n = s.commands.len();
    if n == 0 {
        return;
    }
    let new_client = s.commands.iter().map(|c| c.client).max().map_or(0, |c| c + 1);
    match m {
        Mutation::DuplicateHot => {
            let i = hot.filter(|&i| i < n).unwrap_or_else(|| rng.random_range(0..n));
            let mut copy = s.commands[i].clone();
            let others: Vec<u32> = {
                let mut c: Vec<u32> = s.commands.iter().map(|c| c.client).filter(|&c| c != copy.client).collect();
                c.sort_unstable();
                c.dedup();
                c
            };
            copy.client = if others.is_empty() || rng.random_bool(0.5) { new_client } else { others[rng.random_range(0..others.len())] };
            s.commands.push(copy);
        }
        Mutation::Drop if n > 1 => {
            s.commands.remove(rng.random_range(0..n));
        }
        Mutation::Together if n > 1 => {
            let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
            s.commands[j].start = s.commands[i].start;
        }
        Mutation::AddClient => {
            let i = rng.random_range(0..n);
            s.commands[i].client = new_client;
        }
        Mutation::Tighten if tighten && s.policy.max_attempts > 2 => {
            s.policy.max_attempts -= 1;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sim::Scheduled;

    fn scenario() -> Scenario<&'static str> {
        Scenario::new(vec![], vec![Scheduled::at_ms(0, 0, "a"), Scheduled::at_ms(1, 5, "b"), Scheduled::at_ms(1, 9, "c")])
    }

    #[test]
    fn each_mutation_does_what_it_says() {
        let mut rng = crate::rng::seeded(3);
        let mut s = scenario();
        apply(&mut s, Mutation::DuplicateHot, Some(1), false, &mut rng);
        assert_eq!(s.commands.len(), 4);
        assert_eq!((s.commands[3].command, s.commands[3].start), ("b", Duration::from_millis(5)));
        assert_ne!(s.commands[3].client, 1, "the copy runs on another client");
        let mut s = scenario();
        apply(&mut s, Mutation::Drop, None, false, &mut rng);
        assert_eq!(s.commands.len(), 2);
        let mut s = scenario();
        apply(&mut s, Mutation::AddClient, None, false, &mut rng);
        assert_eq!(s.clients(), 3, "one command moved onto client 2");
        let mut s = scenario();
        let attempts = s.policy.max_attempts;
        apply(&mut s, Mutation::Tighten, None, false, &mut rng);
        assert_eq!(s.policy.max_attempts, attempts, "not for a workload that declares its policy");
        apply(&mut s, Mutation::Tighten, None, true, &mut rng);
        assert_eq!(s.policy.max_attempts, attempts - 1);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn the_same_rng_mutates_the_same_way() {
        let (mut a, mut b) = (scenario(), scenario());
        mutate(&mut a, Some(0), true, &mut crate::rng::seeded(9));
        mutate(&mut b, Some(0), true, &mut crate::rng::seeded(9));
        assert_eq!(a, b);
    }
}
