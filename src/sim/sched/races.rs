//! [`races`]: small scopes derived from any scenario, enumerated exhaustively.
//!
//! Most concurrency bugs need two or three commands on one consistency
//! boundary in a narrow window (a write between two reads, a third
//! conflict that makes a cap bind). Random latency reaches such a window
//! after thousands of seeds; an exhaustive enumeration of just those
//! commands reaches it in a handful of orders. No one should have to write
//! those races by hand, so they are derived from a recorded run:
//!
//! 1. Run the scenario once (its own scheduler and latency) and record
//!    every store call.
//! 2. Two commands **conflict** when a (counted) read of one matches an
//!    event the other wrote. Triples of a command and two commands it
//!    conflicts with are races, and so are conflicting pairs; triples come
//!    first (a command conflicting with two others can be pushed to a third
//!    attempt, or see one write between its two reads and another after).
//! 3. A race's scenario: the original setup, then the commands whose writes
//!    landed before the race's first read, played one by one in log order
//!    (as setup), then the race's commands started together on clients of
//!    their own, without latency or random faults.
//! 4. Every order of its store steps is enumerated with the sleep-set
//!    reduction ([`exhaustive`](super::exhaustive())), up to a budget of
//!    orders per race. A race enumerated completely with no violation is a
//!    proof for that race; a failing order comes with its schedule string
//!    and the race's scenario, which replay it exactly.
//!
//! What this does not reach: bugs that need four or more commands, a
//! command that never conflicted in the recorded run, and injected faults
//! (random faults change with the order of steps, so races run without
//! them; scripted faults are dropped too).

use serde::{Deserialize, Serialize};

use super::exhaustive::{ExhaustiveError, ExhaustiveOptions, ExhaustiveReport, exhaustive_with};
use crate::sim::calls::{CallOp, ReadResult};
use crate::sim::faults::FaultPlan;
use crate::sim::history::History;
use crate::sim::runner::{RunResult, run_unchecked};
use crate::sim::scenario::{Scenario, Scheduled};
use crate::sim::workload::{Cmd, Workload};
use crate::store::{Position, Query};

/// How many races, and how many orders of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceOptions {
    /// At most this many races per scenario (triples first, then pairs).
    pub races: usize,
    /// At most this many runs (checked orders plus pruned ones) per race.
    pub orders: u64,
    /// Derive triples as well as pairs.
    pub triples: bool,
}

impl Default for RaceOptions {
    /// 6 races per scenario, pairs and triples, up to 2,000 runs each.
    fn default() -> Self {
        RaceOptions { races: 6, orders: 2_000, triples: true }
    }
}

/// One race: commands of a scenario that conflict, and the small scenario
/// that plays them together.
#[derive(Debug, Clone, PartialEq)]
pub struct Race<C> {
    /// Indices into the original scenario's `commands` of the racing
    /// commands, ascending.
    pub members: Vec<usize>,
    /// The race's scenario (see the [module docs](self)).
    pub scenario: Scenario<C>,
}

impl<C: std::fmt::Display> Race<C> {
    /// The racing commands, for reports: `#3 "Enroll s1 in c2" × #5 "…"`.
    pub fn describe(&self, original: &Scenario<C>) -> String {
        let names: Vec<String> = self.members.iter().map(|&i| format!("#{} \"{}\"", original.setup.len() + i, original.commands[i].command)).collect();
        names.join(" × ")
    }
}

/// The races of `scenario` under `seed`: derived from one recorded run
/// (nothing when that run cannot start, e.g. an invalid scenario).
pub fn races<W: Workload>(workload: &W, scenario: &Scenario<Cmd<W>>, seed: u64, options: RaceOptions) -> Vec<Race<Cmd<W>>> {
    match run_unchecked(workload, scenario, seed) {
        Ok(history) => races_of(scenario, &history, options),
        Err(_) => Vec::new(),
    }
}

/// What one command did that races are made of.
#[derive(Debug, Default)]
struct Footprint {
    /// Its counted reads' queries.
    reads: Vec<Query>,
    /// The head of its first read (`None`: it read nothing).
    first_read: Option<Position>,
    /// The positions it wrote.
    writes: Vec<(Position, Position)>,
}

fn footprint<C>(history: &History<C>, index: usize) -> Footprint {
    let mut f = Footprint::default();
    for call in &history.commands[index].calls {
        if let CallOp::Read { query, independent, head, result: ReadResult::Events { .. }, .. } = &call.op {
            f.first_read.get_or_insert(*head);
            if !independent {
                f.reads.push(query.clone());
            }
        }
        f.writes.extend(call.wrote());
    }
    f
}

/// Whether a read of `reader` matches an event `writer` wrote.
fn reads_writes_of<C>(history: &History<C>, reader: &Footprint, writer: &Footprint) -> bool {
    writer.writes.iter().any(|&(first, last)| {
        history.log.iter().filter(|e| (first..=last).contains(&e.position)).any(|e| reader.reads.iter().any(|q| q.matches(&e.event)))
    })
}

/// The races of a recorded run of `scenario`.
pub fn races_of<C: Clone>(scenario: &Scenario<C>, history: &History<C>, options: RaceOptions) -> Vec<Race<C>> {
    let offset = scenario.setup.len();
    let n = scenario.commands.len();
    if history.commands.len() != offset + n {
        return Vec::new();
    }
    let prints: Vec<Footprint> = (0..n).map(|i| footprint(history, offset + i)).collect();
    let conflict = |a: usize, b: usize| reads_writes_of(history, &prints[a], &prints[b]) || reads_writes_of(history, &prints[b], &prints[a]);
    let mut edges = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if conflict(a, b) {
                edges.push((a, b));
            }
        }
    }
    // Triples first: a command conflicting with two others can be pushed to
    // a third attempt, or see one write between two reads and another after;
    // a triple's orders include most orders of its pairs.
    let linked = |x: usize, y: usize| edges.contains(&(x.min(y), x.max(y)));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    if options.triples {
        for v in 0..n {
            for x in 0..n {
                for y in x + 1..n {
                    if x != v && y != v && linked(v, x) && linked(v, y) {
                        let mut t = vec![v, x, y];
                        t.sort_unstable();
                        if !groups.contains(&t) {
                            groups.push(t);
                        }
                    }
                }
            }
        }
    }
    groups.extend(edges.iter().map(|&(a, b)| vec![a, b]));
    groups.truncate(options.races);
    groups.into_iter().map(|members| race_scenario(scenario, history, &prints, members)).collect()
}

/// The scenario of the race of `members`.
fn race_scenario<C: Clone>(scenario: &Scenario<C>, history: &History<C>, prints: &[Footprint], members: Vec<usize>) -> Race<C> {
    let offset = scenario.setup.len();
    let start = members.iter().filter_map(|&m| prints[m].first_read).min().unwrap_or(0);
    // Commands whose writes all landed at or before the race's first read, in log order.
    let mut before: Vec<(Position, usize)> = (0..prints.len())
        .filter(|i| !members.contains(i))
        .filter_map(|i| {
            let first = prints[i].writes.iter().map(|w| w.0).min()?;
            let last = prints[i].writes.iter().map(|w| w.1).max()?;
            (last <= start).then_some((first, i))
        })
        .collect();
    before.sort_unstable();
    let mut setup = scenario.setup.clone();
    setup.extend(before.into_iter().map(|(_, i)| history.commands[offset + i].command.clone()));
    let commands = members.iter().enumerate().map(|(k, &m)| Scheduled::at_ms(k as u32, 0, scenario.commands[m].command.clone())).collect();
    let race = Scenario { setup, commands, faults: FaultPlan::default(), scripted_faults: Vec::new(), ..scenario.clone() };
    Race { members, scenario: race }
}

/// What [`check_races`] did for one scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RacesReport {
    /// Races derived.
    pub races: u64,
    /// Of those, enumerated completely without a violation (proofs).
    pub proved: u64,
    /// Orders checked over all races.
    pub orders: u64,
}

/// Derives the races of `scenario` under `seed` and enumerates each,
/// handing every checked order to `each` with its race.
///
/// # Errors
/// The first race the exhaustive scheduler cannot run.
pub fn check_races<W: Workload>(
    workload: &W,
    scenario: &Scenario<Cmd<W>>,
    seed: u64,
    options: RaceOptions,
    mut each: impl FnMut(&Race<Cmd<W>>, &RunResult<Cmd<W>>),
) -> Result<RacesReport, ExhaustiveError> {
    let mut report = RacesReport::default();
    for race in races(workload, scenario, seed, options) {
        let opts = ExhaustiveOptions { budget: options.orders, reduction: true, stop_at_first: true };
        let r: ExhaustiveReport = exhaustive_with(workload, &race.scenario, seed, opts, |result| each(&race, result))?;
        report.races += 1;
        report.proved += u64::from(r.proved());
        report.orders += r.schedules;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::fixture::{call, calling};
    use crate::sim::calls::{AppendResult, StoreCall};
    use crate::store::{Event, QueryItem, ReadOptions, SequencedEvent};

    /// A counted read of tag `tag` when the log's head was `head`.
    fn read(tag: &str, head: Position) -> StoreCall {
        let query = Query::from_item(QueryItem::new().tags([tag])).expect("a valid query");
        call(CallOp::Read { query, options: ReadOptions::default(), independent: false, head, result: ReadResult::Events { count: 0, lowest: None, highest: None } })
    }

    fn wrote(p: Position) -> StoreCall {
        call(CallOp::Append { events: 1, conditional: true, after: None, result: AppendResult::Written { first: p, last: p } })
    }

    /// Four commands `c0`..`c3` (no setup); `c0` writes tag `a` at 1 and
    /// reads `b`, `c1` reads `a`, `c2` writes `b` at 2 and reads `d`, `c3`
    /// writes `d` at 3 and reads `d` (its own write races with nothing):
    /// conflicts 0–1, 0–2 and 2–3.
    fn four() -> (Scenario<String>, History<String>) {
        let commands = (0..4).map(|i| Scheduled::at_ms(i, u64::from(i), format!("c{i}"))).collect();
        let scenario = Scenario::new(vec![], commands);
        let calls = [vec![read("b", 0), wrote(1)], vec![read("a", 1)], vec![read("d", 1), wrote(2)], vec![read("d", 2), wrote(3)]];
        let records = calls
            .into_iter()
            .enumerate()
            .map(|(i, calls)| calling(i, crate::handler::Outcome::Succeeded, calls))
            .collect();
        let mut history = crate::check::fixture::history(records, 0);
        history.log = ["a", "b", "d"].iter().zip(1..).map(|(tag, p)| SequencedEvent::new(p, Event::new("E", [*tag], "").expect("a valid event"))).collect();
        (scenario, history)
    }

    #[test]
    fn races_are_the_triples_then_the_pairs_of_conflicting_commands() {
        let (mut scenario, history) = four();
        // a race is enumerated without the original's faults
        scenario.faults.unavailable_probability = 0.5;
        scenario.scripted_faults = vec![crate::sim::ScriptedFault { at: crate::sim::CallTarget::new(1, 1, crate::sim::CallKind::Read), fault: crate::sim::ScriptedKind::Unavailable { retryable: true } }];
        let races = races_of(&scenario, &history, RaceOptions { races: 10, ..RaceOptions::default() });
        assert!(races.iter().all(|r| r.scenario.faults.is_none() && r.scenario.scripted_faults.is_empty()));
        let members: Vec<Vec<usize>> = races.iter().map(|r| r.members.clone()).collect();
        assert_eq!(members, [vec![0, 1, 2], vec![0, 2, 3], vec![0, 1], vec![0, 2], vec![2, 3]]);
        // each race starts its commands together, one client each; the
        // commands that wrote before the race's first read come first, as setup
        for race in &races {
            let starts: Vec<(u32, Duration)> = race.scenario.commands.iter().map(|c| (c.client, c.start)).collect();
            assert_eq!(starts, (0..race.members.len() as u32).map(|k| (k, Duration::ZERO)).collect::<Vec<_>>());
            let played: Vec<&str> = race.scenario.commands.iter().map(|c| c.command.as_str()).collect();
            let expected: Vec<String> = race.members.iter().map(|m| format!("c{m}")).collect();
            assert_eq!(played, expected);
        }
        let setups: Vec<Vec<String>> = races.iter().map(|r| r.scenario.setup.clone()).collect();
        // c2 and c3 first read at 1: c0's write (at 1) came before
        assert_eq!(setups, [vec![], vec![], vec![], vec![], vec!["c0".to_string()]]);
        assert_eq!(races[4].describe(&scenario), "#2 \"c2\" × #3 \"c3\"");
        let pairs = races_of(&scenario, &history, RaceOptions { races: 10, triples: false, ..RaceOptions::default() });
        assert_eq!(pairs.len(), 3);
        assert_eq!(races_of(&scenario, &history, RaceOptions { races: 2, ..RaceOptions::default() }).len(), 2);
    }
}
