//! [`SimConfig`]: the environment knobs of simulation tests, in one place.

use std::ops::Range;

/// Seeds for simulation tests, read from the environment as madsim users
/// expect:
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `DCB_SEED=S` | replay exactly seed `S` (with `DCB_SEEDS`, start there) | the test's own start seed |
/// | `DCB_SEEDS=N` | run `N` seeds (widen a property run) | the test's own count |
///
/// So `DCB_SEED=42 cargo test --test sim enrollment_sim::explore_` replays seed 42,
/// and `DCB_SEEDS=100000 cargo test --release …` runs a long exploration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimConfig {
    /// `DCB_SEED`.
    pub seed: Option<u64>,
    /// `DCB_SEEDS`.
    pub seeds: Option<u64>,
}

impl SimConfig {
    /// Reads `DCB_SEED` and `DCB_SEEDS`.
    ///
    /// # Panics
    /// On a value that is not an unsigned integer, naming the variable (a
    /// test run with a mistyped seed must not silently run other seeds).
    pub fn from_env() -> Self {
        let read = |name: &str| {
            std::env::var(name).ok().map(|v| {
                v.trim().parse::<u64>().unwrap_or_else(|_| panic!("{name}={v:?} is not an unsigned integer; unset it or give e.g. {name}=42"))
            })
        };
        SimConfig { seed: read("DCB_SEED"), seeds: read("DCB_SEEDS") }
    }

    /// The seeds to run: `DCB_SEED` alone gives exactly that seed; otherwise
    /// `DCB_SEED` (or `start`) onwards, `DCB_SEEDS` (or `count`) of them.
    pub fn seeds_or(&self, start: u64, count: u64) -> Range<u64> {
        match (self.seed, self.seeds) {
            (Some(s), None) => s..s.saturating_add(1),
            (s, n) => {
                let s = s.unwrap_or(start);
                s..s.saturating_add(n.unwrap_or(count))
            }
        }
    }

    /// True when `DCB_SEED` asks for a replay of a single seed.
    pub fn is_replay(&self) -> bool {
        self.seed.is_some() && self.seeds.is_none()
    }
}
