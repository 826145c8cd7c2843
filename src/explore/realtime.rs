//! [`RealtimeCheck`]: your handlers over **your real store** on real OS
//! threads, one call. Where a store's bugs live (its isolation level, a
//! check outside its transaction, a missing lock) only real parallelism
//! shows them; the simulator runs store calls one at a time on madsim's
//! thread and cannot.
//!
//! Each run plays one generated scenario of the workload (the same
//! scenarios [`Check`](crate::explore::Check) plays, seed by seed) with
//! [`run_realtime`](crate::sim::run_realtime): one OS thread per client,
//! the real clock, one store per run from your factory, shared by the
//! clients; every generic checker and the workload's own judge it. A
//! failure is reported like [`Check`](crate::explore::Check)'s: the
//! invariant, the scenario file, the observed history as a timeline. A
//! real run **cannot replay its interleaving** (the OS ordered the calls);
//! only its scenario replays: the printed `DCB_SCENARIO=…` line plays that
//! scenario again on real threads, where the same bug usually shows again,
//! and in a simulation test it replays under the simulator.
//!
//! ```no_run
//! use dcb_sim::domain::sequence::HotKeyWorkload;
//! use dcb_sim::explore::Check;
//! use dcb_sim::store::SqliteStore;
//!
//! // In a test of yours: 50 runs, each on a fresh SQLite file.
//! Check::new(&HotKeyWorkload::default())
//!     .seeds(50)
//!     .realtime(|seed| SqliteStore::open(std::env::temp_dir().join(format!("hot-{seed}.db"))))
//!     .run();
//! ```

use std::path::Path;

use crate::explore::explorer::{ExploreOptions, Summary, scenario_for};
use crate::explore::gate::{SCENARIO_ENV, TestTarget, failures_dir, parse_scenario};
use crate::explore::regression::{Expect, Regression};
use crate::sim::workload::{Cmd, Workload};
use crate::sim::{RunResult, Scenario, run_realtime};
use crate::store::{EventStore, StoreError};
use crate::view::timeline_with;

/// A real-thread check of `workload` over the stores `open` makes: the
/// workload's generated scenarios on real OS threads (one per client, the
/// real clock), one store per run, every checker; a failure reports its
/// scenario file, which replays the scenario (never the interleaving).
/// Build it with [`RealtimeCheck::new`] or
/// [`Check::realtime`](crate::explore::Check::realtime).
pub struct RealtimeCheck<'w, W, F> {
    workload: &'w W,
    open: F,
    start: u64,
    runs: u64,
    max_reports: usize,
}

impl<'w, W, S, F> RealtimeCheck<'w, W, F>
where
    W: Workload,
    W::Handler: Sync,
    S: EventStore + Sync,
    F: FnMut(u64) -> Result<S, StoreError>,
{
    /// Runs `0..100` on stores from `open` (called with each run's seed).
    pub fn new(workload: &'w W, open: F) -> Self {
        RealtimeCheck { workload, open, start: 0, runs: 100, max_reports: 3 }
    }

    /// Play `n` runs (seeds `start..start + n`).
    pub fn runs(mut self, n: u64) -> Self {
        self.runs = n;
        self
    }

    /// First seed.
    pub fn start(mut self, seed: u64) -> Self {
        self.start = seed;
        self
    }

    /// Report at most `n` failing runs.
    pub fn max_reports(mut self, n: usize) -> Self {
        self.max_reports = n;
        self
    }

    /// Plays the runs and returns their summary.
    ///
    /// # Panics
    /// With the report when a run violates an invariant or a store cannot
    /// be opened.
    pub fn run(self) -> Summary {
        self.try_run().unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// Like [`RealtimeCheck::run`], returning the report instead of panicking.
    ///
    /// # Errors
    /// The report, as text.
    pub fn try_run(mut self) -> Result<Summary, String> {
        let target = TestTarget::detect(None);
        let name = self.workload.name();
        let plays: Vec<(Scenario<Cmd<W>>, u64)> = match std::env::var_os(SCENARIO_ENV) {
            Some(file) => {
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{SCENARIO_ENV}={}: cannot read it: {e}", Path::new(&file).display()))?;
                vec![parse_scenario::<Cmd<W>>(&text).map_err(|e| format!("{SCENARIO_ENV}={}: {e}", Path::new(&file).display()))?]
            }
            None => {
                let opts = ExploreOptions { start_seed: self.start, seeds: self.runs, ..ExploreOptions::default() };
                (self.start..self.start + self.runs).map(|seed| (scenario_for(self.workload, &opts, seed), seed)).collect()
            }
        };
        let opts = ExploreOptions { start_seed: self.start, seeds: plays.len() as u64, max_reports: self.max_reports, ..ExploreOptions::default() };
        let mut summary = Summary { workload: name.to_string(), start_seed: self.start, ..Summary::default() };
        let mut timelines = Vec::new();
        for (scenario, seed) in plays {
            let store = (self.open)(seed).map_err(|e| format!("dcb-sim: real-time check · workload {name}: cannot open the store for seed {seed}: {e}"))?;
            let result: RunResult<Cmd<W>> = crate::sim::collect_probes(|| run_realtime(self.workload, &scenario, seed, store));
            if !result.violations.is_empty() && timelines.len() < self.max_reports {
                timelines.push(timeline_with(&result.history, &result.violations));
            }
            summary.tally(self.workload, &opts, seed, &scenario, result, true);
        }
        if summary.violations == 0 {
            return Ok(summary);
        }
        let dir = failures_dir();
        let mut out = format!(
            "dcb-sim: real-time check · workload {name}: {} of {} runs on real threads violated invariants\n  \
             (a real run cannot replay its interleaving, only its scenario: the line below plays the scenario again on real threads)\n",
            summary.violations, summary.schedules
        );
        for (report, timeline) in summary.failures.iter().zip(&timelines) {
            out.push_str(&format!("\n  seed {}:\n", report.seed));
            for v in &report.violations {
                out.push_str(&format!("    {v}\n"));
            }
            out.push_str(&timeline.lines().map(|l| format!("  | {l}\n")).collect::<String>());
            let regression = Regression {
                workload: name.to_string(),
                seed: report.seed,
                expect: Expect::Violates(report.violations[0].invariant().to_string()),
                note: "a scenario that failed on real threads (its interleaving does not replay)".to_string(),
                scenario: report.scenario.clone(),
            };
            let path = dir.join(format!("realtime-{name}-{}.json", report.seed));
            let saved = std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, serde_json::to_string_pretty(&regression).expect("regressions serialize")))
                .map(|()| std::path::absolute(&path).unwrap_or(path.clone()));
            match saved {
                Ok(file) => out.push_str(&format!("  scenario: {}\n  replay:\n    {}\n", file.display(), target.command(&format!("{SCENARIO_ENV}={}", file.display())))),
                Err(e) => out.push_str(&format!("  scenario not saved ({}: {e})\n", path.display())),
            }
        }
        Err(out)
    }
}
