//! [`Coverage`]: the probes ([`check::coverage`](crate::check::coverage)
//! and [`Workload::probes`](crate::sim::Workload::probes)) summed over an
//! exploration — how often each fired, in how many schedules, and the
//! first seed that fired it (so any probe can be replayed) — and the
//! vacuity guard: the required probes that never fired.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sim::workload::{Cmd, Workload};
use crate::sim::{History, Scenario};

/// One probe over an exploration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// Times it fired (a probe can fire several times in one run).
    pub hits: u64,
    /// Schedules in which it fired at least once.
    pub schedules: u64,
    /// The first seed (lowest) whose run fired it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seed: Option<u64>,
    /// That run's schedule string, when its scheduler recorded one: the
    /// probe fired in an enumerated order (exhaustive, or a race derived
    /// from the seed's run), which replays with that schedule, not from
    /// the seed alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_schedule: Option<String>,
    /// The first seed's run played a mutated scenario (guided exploration,
    /// [`guided`](mod@crate::explore::guided)), not the one the seed
    /// generates: the seed alone does not replay the probe.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_mutated: bool,
    /// Required by the workload or the check: the run is vacuous if it never fires.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The run that last counted a schedule (not serialized).
    #[serde(skip)]
    last_run: u64,
}

/// Every probe of an exploration, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Probes by name (sorted).
    pub probes: BTreeMap<String, Probe>,
    /// Runs counted (not serialized: `Summary::schedules` says it).
    #[serde(skip)]
    runs: u64,
}

impl Coverage {
    /// Marks `names` as required (a required probe is listed even when it
    /// never fired).
    pub fn require<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            self.entry(name).required = true;
        }
    }

    /// The required probes that never fired.
    pub fn missing(&self) -> Vec<&str> {
        self.probes.iter().filter(|(_, p)| p.required && p.schedules == 0).map(|(n, _)| n.as_str()).collect()
    }

    /// The probe `name`, allocating its key only the first time.
    fn entry(&mut self, name: &str) -> &mut Probe {
        if !self.probes.contains_key(name) {
            self.probes.insert(name.to_string(), Probe::default());
        }
        self.probes.get_mut(name).expect("just inserted")
    }

    /// Counts the probes of one run of `scenario` (its `history`).
    pub fn count_run<W: Workload>(&mut self, workload: &W, scenario: &Scenario<Cmd<W>>, history: &History<Cmd<W>>) {
        self.runs += 1;
        let run = self.runs;
        let seed = history.seed;
        let schedule = history.schedule.as_ref();
        let mut hit = |name: &str| {
            let p = self.entry(name);
            p.hits += 1;
            if p.last_run != run {
                p.last_run = run;
                p.schedules += 1;
                if p.first_seed.is_none_or(|s| seed < s) {
                    p.first_seed = Some(seed);
                    p.first_schedule = schedule.map(|s| s.schedule.to_string());
                    p.first_mutated = false;
                }
            }
        };
        crate::check::coverage::probes(history, &mut hit);
        workload.probes(scenario, history, &mut hit);
        // A user probe evaluated but never true is listed (0 hits), so the
        // table shows it was reached and never held.
        for c in &history.commands {
            for p in c.probes.iter().filter(|p| p.hits == 0) {
                self.entry(&p.name);
            }
        }
    }

    /// Marks the probes the last counted run (under `seed`) fired first as
    /// fired by a mutated scenario.
    pub(crate) fn last_run_was_mutated(&mut self, seed: u64) {
        let run = self.runs;
        for p in self.probes.values_mut().filter(|p| p.last_run == run && p.first_seed == Some(seed)) {
            p.first_mutated = true;
        }
    }

    /// The fewest schedules among the probes the last counted run fired
    /// (1: it fired one for the first time); `None` when it fired none.
    pub(crate) fn rarest_of_last_run(&self) -> Option<u64> {
        self.probes.values().filter(|p| p.last_run == self.runs && self.runs > 0).map(|p| p.schedules).min()
    }

    /// Adds `other` (another shard or seed range of the same exploration).
    pub fn merge(&mut self, other: Coverage) {
        for (name, o) in other.probes {
            let p = self.entry(&name);
            p.hits += o.hits;
            p.schedules += o.schedules;
            p.required |= o.required;
            if let Some(seed) = o.first_seed
                && p.first_seed.is_none_or(|s| seed < s)
            {
                p.first_seed = Some(seed);
                p.first_schedule = o.first_schedule;
                p.first_mutated = o.first_mutated;
            }
        }
        self.runs += other.runs;
    }

    /// The table as text (`schedules` is the exploration's total, for the
    /// share column), indented by `indent` spaces.
    pub fn table(&self, schedules: u64, indent: usize) -> String {
        let mut out = String::new();
        let pad = " ".repeat(indent);
        let width = self.probes.keys().map(|k| k.chars().count()).max().unwrap_or(0).max(5);
        for (name, p) in &self.probes {
            let share = if schedules == 0 { 0.0 } else { 100.0 * p.schedules as f64 / schedules as f64 };
            let first = match (p.first_seed, &p.first_schedule) {
                (Some(s), Some(sched)) => format!("seed {s}, order {sched}"),
                (Some(s), None) => format!("seed {s}"),
                (None, _) => "never".to_string(),
            };
            let first = if p.first_mutated { format!("{first} (mutated scenario)") } else { first };
            let flag = match (p.required, p.schedules) {
                (true, 0) => "  MISSING (required)",
                (true, _) => "  (required)",
                _ => "",
            };
            out.push_str(&format!("{pad}{name:<width$} {:>9} {:>6.1}%  {first}{flag}\n", p.hits, share));
        }
        out
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table(self.runs, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(hits: u64, schedules: u64, first: Option<u64>) -> Probe {
        Probe { hits, schedules, first_seed: first, ..Probe::default() }
    }

    #[test]
    fn merge_sums_counts_and_keeps_the_lowest_first_seed() {
        let mut a = Coverage::default();
        a.probes.insert("x".into(), probe(3, 2, Some(7)));
        a.require(["never"]);
        let mut b = Coverage::default();
        b.probes.insert("x".into(), Probe { first_schedule: Some("0.1".into()), ..probe(1, 1, Some(4)) });
        b.probes.insert("y".into(), probe(5, 5, Some(9)));
        a.merge(b);
        assert_eq!(a.probes["x"], Probe { first_schedule: Some("0.1".into()), ..probe(4, 3, Some(4)) });
        assert_eq!(a.probes["y"], probe(5, 5, Some(9)));
        assert_eq!(a.missing(), vec!["never"]);
        let table = a.table(10, 2);
        assert!(table.contains("  never") && table.contains("MISSING (required)"), "{table}");
        assert!(table.contains("x             4   30.0%  seed 4, order 0.1"), "{table}");
    }
}
