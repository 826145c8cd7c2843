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

use std::path::{Path, PathBuf};

use crate::explore::explorer::{ExploreOptions, Summary, scenario_for};
use crate::explore::gate::{SCENARIO_ENV, TestTarget, failures_dir, parse_scenario};
use crate::explore::regression::{Expect, Regression};
use crate::explore::report::replay_program;
use crate::sim::workload::{Cmd, Workload};
use crate::sim::{RunResult, Scenario, run_realtime};
use crate::store::{EventStore, StoreError};
use crate::view::timeline_with;

/// A real-thread check of `workload` over the stores `open` makes: the
/// workload's generated scenarios on real OS threads (one per client, the
/// real clock), one store per run, every checker; a failure reports its
/// scenario file, which replays the scenario (never the interleaving).
/// Build it with [`RealtimeCheck::new`] or
/// [`Check::realtime`](crate::explore::Check::realtime); hand it
/// [`reusing`](crate::explore::reusing) instead of an opener to reset one
/// store between runs instead of opening one per run.
pub struct RealtimeCheck<'w, W, F> {
    workload: &'w W,
    open: F,
    start: u64,
    runs: u64,
    max_reports: usize,
    cli: Option<PathBuf>,
}

/// What [`RealtimeCheck::play`] found: the summary, and the failure report
/// when a run violated an invariant.
pub(crate) struct Played {
    pub(crate) summary: Summary,
    pub(crate) report: Option<String>,
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
        RealtimeCheck { workload, open, start: 0, runs: 100, max_reports: 3, cli: None }
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

    /// Reports for the command line: scenario files (plain scenarios) go
    /// into `out`, and the replay lines are this binary's `replay`.
    pub(crate) fn for_cli(mut self, out: PathBuf) -> Self {
        self.cli = Some(out);
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
    pub fn try_run(self) -> Result<Summary, String> {
        let played = self.play()?;
        match played.report {
            None => Ok(played.summary),
            Some(report) => Err(report),
        }
    }

    /// Plays the runs: the summary, with the failure report if any run
    /// violated an invariant.
    ///
    /// # Errors
    /// When a store cannot be opened, or the `DCB_SCENARIO` file cannot be read.
    pub(crate) fn play(mut self) -> Result<Played, String> {
        let name = self.workload.name();
        let plays: Vec<(Scenario<Cmd<W>>, u64)> = match std::env::var_os(SCENARIO_ENV) {
            Some(file) if self.cli.is_none() => {
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{SCENARIO_ENV}={}: cannot read it: {e}", Path::new(&file).display()))?;
                vec![parse_scenario::<Cmd<W>>(&text).map_err(|e| format!("{SCENARIO_ENV}={}: {e}", Path::new(&file).display()))?]
            }
            _ => {
                let opts = ExploreOptions { start_seed: self.start, seeds: self.runs, ..ExploreOptions::default() };
                (self.start..self.start + self.runs).map(|seed| (scenario_for(self.workload, &opts, seed), seed)).collect()
            }
        };
        let opts = ExploreOptions { start_seed: self.start, seeds: plays.len() as u64, max_reports: self.max_reports, ..ExploreOptions::default() };
        let mut summary = Summary { workload: name.to_string(), start_seed: self.start, ..Summary::default() };
        let mut timelines = Vec::new();
        // Measurement only (schedules/s in the summary); never decides a result.
        #[allow(clippy::disallowed_methods, reason = "real-time mode: wall-clock throughput of real runs, reported only")]
        let clock = std::time::Instant::now();
        for (scenario, seed) in plays {
            let store = (self.open)(seed).map_err(|e| format!("dcb-sim: real-time check · workload {name}: cannot open the store for seed {seed}: {e}"))?;
            let result: RunResult<Cmd<W>> = crate::sim::collect_probes(|| run_realtime(self.workload, &scenario, seed, store));
            if !result.violations.is_empty() && timelines.len() < self.max_reports {
                timelines.push(timeline_with(&result.history, &result.violations));
            }
            summary.tally(self.workload, &opts, seed, &scenario, result, true);
        }
        summary.set_elapsed(clock.elapsed().as_secs_f64());
        let report = (summary.violations > 0).then(|| self.report(&summary, &timelines));
        Ok(Played { summary, report })
    }

    /// The failure report: each failing run's violations, timeline and
    /// scenario file, with the line that plays the scenario again.
    fn report(&self, summary: &Summary, timelines: &[String]) -> String {
        let name = self.workload.name();
        let dir = self.cli.clone().unwrap_or_else(failures_dir);
        let again = if self.cli.is_some() { "under the simulator" } else { "again on real threads" };
        let mut out = format!(
            "dcb-sim: real-time check · workload {name}: {} of {} runs on real threads violated invariants\n  \
             (a real run cannot replay its interleaving, only its scenario: the line below plays the scenario {again})\n",
            summary.violations, summary.schedules
        );
        for (report, timeline) in summary.failures.iter().zip(timelines) {
            out.push_str(&format!("\n  seed {}:\n", report.seed));
            for v in &report.violations {
                out.push_str(&format!("    {v}\n"));
            }
            out.push_str(&timeline.lines().map(|l| format!("  | {l}\n")).collect::<String>());
            let path = dir.join(format!("realtime-{name}-{}.json", report.seed));
            let text = if self.cli.is_some() {
                serde_json::to_string_pretty(&report.scenario)
            } else {
                serde_json::to_string_pretty(&Regression {
                    workload: name.to_string(),
                    seed: report.seed,
                    expect: Expect::Violates(report.violations[0].invariant().to_string()),
                    note: "a scenario that failed on real threads (its interleaving does not replay)".to_string(),
                    scenario: report.scenario.clone(),
                })
            }
            .expect("scenarios serialize");
            let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)).map(|()| std::path::absolute(&path).unwrap_or(path.clone()));
            match saved {
                Ok(file) => {
                    let replay = if self.cli.is_some() {
                        format!("{} replay --workload {name} --seed {} --scenario {}", replay_program(), report.seed, file.display())
                    } else {
                        TestTarget::detect(None).command(&format!("{SCENARIO_ENV}={}", file.display()))
                    };
                    out.push_str(&format!("  scenario: {}\n  replay:\n    {replay}\n", file.display()));
                }
                Err(e) => out.push_str(&format!("  scenario not saved ({}: {e})\n", path.display())),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sequence::HotKeyWorkload;
    use crate::store::{AppendCondition, Event, MemoryStore, Position, Query, ReadOptions, SequencedEvent};

    /// A broken adapter whatever the interleaving: every append is written
    /// twice, and the caller is told only of the second copy.
    struct WritesTwice(MemoryStore);

    impl EventStore for WritesTwice {
        async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
            self.0.read(query, options).await
        }

        async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
            self.0.append(events.clone(), condition).await?;
            self.0.append(events, None).await
        }
    }

    /// The command line's report: a plain scenario file (what `replay
    /// --scenario` reads) and this binary's `replay` line for it.
    #[test]
    fn the_cli_report_saves_a_plain_scenario_and_prints_the_replay_line() {
        let dir = std::env::temp_dir().join(format!("dcb-realtime-cli-report-{}", std::process::id()));
        let workload = HotKeyWorkload { clients_min: 2, clients_max: 2, faults: false };
        let played = RealtimeCheck::new(&workload, |_| Ok(WritesTwice(MemoryStore::new()))).runs(2).max_reports(1).for_cli(dir.clone()).play().expect("the stores open");
        let report = played.report.expect("every append written twice violates log-consistency");
        assert_eq!(played.summary.violations, 2, "{report}");
        assert!(report.contains("a real run cannot replay its interleaving, only its scenario: the line below plays the scenario under the simulator"), "{report}");
        assert!(report.contains("[log-consistency]"), "{report}");
        let file = report.lines().find_map(|l| l.trim().strip_prefix("scenario: ")).expect("a scenario file");
        assert!(report.contains(&format!(" replay --workload hotkey --seed 0 --scenario {file}")), "{report}");
        let text = std::fs::read_to_string(file).expect("the scenario file");
        Scenario::<Cmd<HotKeyWorkload>>::from_json(&text).expect("a plain scenario, as replay --scenario reads");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
