//! Library under simulation: the six Go handlers (add / remove copy,
//! register / cancel reader, lend, return) from many clients at once.
//!
//! - 2,000 generated schedules of [`LibraryWorkload`] with every checker on
//!   (seed-driven: `DCB_SEED` replays one, `DCB_SEEDS` widens the run), plus
//!   reachability: conflicts, retries, exhaustion, idempotent outcomes and
//!   every Go failure reason the generator can reach actually occur;
//! - 1,000 schedules with injected faults hold every invariant too;
//! - the same scenario under different seeds gives different histories;
//! - a proptest drawing library scenarios + seed (2,000 cases, `DCB_SEEDS`
//!   overrides; failures shrink, persist to
//!   `proptest-regressions/library_sim.txt`, and save their scenario under
//!   `target/dcb-failures/`);
//! - negative controls: every planted bug ([`Plant`]) is caught on the
//!   library workload within [`BUDGET`] seeds by exactly the invariants of
//!   its row in [`CAUGHT_BY`] ([`Catch`]), and each catch replays; each of
//!   the five library checkers is in some row and fires on some planted
//!   bug; the correct code passes the same budget.
//!
//! Run: `cargo test --test sim -- library_sim::` (add `--nocapture` for the
//! exploration summary and the seeds each plant needed).

use std::collections::BTreeSet;
use std::time::Duration;

use dcb_sim::domain::library::{FailureReason, LibraryCommand, types};
use dcb_sim::plant::Plant;
use dcb_sim::retry::RetryPolicy;
use dcb_sim::domain::library::check::{
    cancelled_holds_none as library_cancelled_holds_none, copy_lent_once as library_copy_lent_once, reader_limit as library_reader_limit,
    removed_not_lent as library_removed_not_lent, returns_match as library_returns_match,
};
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::explore::{Catch, Caught, ExploreOptions, FailureReport, assert_no_violations, explore};
use dcb_sim::sim::{Latency, Scenario, Scheduled, SimConfig, Workload, run};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// The `cargo test` target and filter a failure report's replay line names
/// (`DCB_SEED=… cargo test --release --test sim -- library_sim::`).
const TEST: &str = "sim -- library_sim::";

/// The library's own invariants.
const LIBRARY_INVARIANTS: [&str; 5] = [
    library_copy_lent_once::NAME,
    library_reader_limit::NAME,
    library_removed_not_lent::NAME,
    library_cancelled_holds_none::NAME,
    library_returns_match::NAME,
];

/// Every business error the generator can reach, as
/// `"<FailedEventType>: <reason>"`.
fn reachable_rejections() -> Vec<String> {
    use FailureReason as R;
    [
        (types::LENDING_FAILED, R::ReaderNotCurrentlyRegistered),
        (types::LENDING_FAILED, R::BookNotInCirculation),
        (types::LENDING_FAILED, R::BookAlreadyLent),
        (types::LENDING_FAILED, R::ReaderHasTooManyBooks),
        (types::REMOVING_FAILED, R::BookNeverAddedToCirculation),
        (types::REMOVING_FAILED, R::BookIsCurrentlyLent),
        (types::CANCELING_FAILED, R::ReaderNeverRegistered),
        (types::CANCELING_FAILED, R::ReaderHasOutstandingLoans),
        (types::RETURNING_FAILED, R::ReaderNeverRegistered),
        (types::RETURNING_FAILED, R::BookNeverAddedToCirculation),
        (types::RETURNING_FAILED, R::BookNotLentToThisReader),
    ]
    .into_iter()
    .map(|(t, r)| format!("{t}: {r}"))
    .collect()
}

/// 2,000 generated schedules with every checker on; also proves the
/// explorer reaches conflicts, retries, exhaustion, idempotent outcomes and
/// every reachable rejection.
#[test]
fn explore_library_seeds_hold_every_invariant() {
    let s = assert_no_violations(&LibraryWorkload::default(), TEST, 0, 2_000);
    println!("{s}");
    assert!(s.schedules > 0);
    if SimConfig::from_env().is_replay() {
        return; // a single replayed seed need not reach everything
    }
    assert!(s.conflicts > 0, "no conflicts: the workload is not contended\n{s}");
    let retried: u64 = s.attempts_histogram.range(2..).map(|(_, n)| n).sum();
    assert!(retried > 0, "no command was retried\n{s}");
    assert!(s.attempts_histogram.get(&3).copied().unwrap_or(0) > 0, "no command needed 3 attempts\n{s}");
    assert!(s.outcomes.get("exhausted").copied().unwrap_or(0) > 0, "no command exhausted its retries\n{s}");
    assert!(s.outcomes.get("idempotent").copied().unwrap_or(0) > 0, "no idempotent outcome\n{s}");
    assert!(s.outcomes.get("succeeded").copied().unwrap_or(0) > 0, "nothing succeeded\n{s}");
    for reason in reachable_rejections() {
        assert!(s.rejections.get(&reason).copied().unwrap_or(0) > 0, "never rejected with {reason:?}\n{s}");
    }
}

/// 1,000 schedules with a swarm fault plan per seed (latency spikes,
/// unavailability, timeouts, ambiguous commits, crashes between read and
/// append): a retried lend or return must see its own earlier write and
/// end idempotent, so no library invariant may break.
#[test]
fn explore_library_with_faults_holds_every_invariant() {
    let s = assert_no_violations(&LibraryWorkload::default().with_faults(), TEST, 0, 1_000);
    println!("{s}");
}

/// The same scenario under different seeds gives different histories, and
/// under the same seed the same history (the generator too is a pure
/// function of its seed).
#[test]
fn different_seeds_give_different_interleavings() {
    let w = LibraryWorkload::with_clients(6);
    let scenario = w.generate(&mut dcb_sim::rng::seeded(11));
    assert_eq!(scenario, w.generate(&mut dcb_sim::rng::seeded(11)));
    let hashes: BTreeSet<u64> = (0..200).map(|seed| run(&w, &scenario, seed).history.hash64()).collect();
    assert!(hashes.len() >= 180, "only {} distinct histories in 200 seeds", hashes.len());
    for seed in [0, 7, 42] {
        assert_eq!(run(&w, &scenario, seed).history.hash64(), run(&w, &scenario, seed).history.hash64(), "seed {seed} did not replay");
    }
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// Scenarios drawn by proptest (so failures shrink): 2–5 copies (or 11–14,
/// with `r1` holding up to 9 after setup), 2–4 readers, each added /
/// registered in setup with probability 0.9, up to 4 more setup loans, 1–24
/// commands of all six kinds from up to 8 clients over 10 ms, a preset
/// policy, latency 1 ms up to 1–4 ms.
fn scenario() -> impl Strategy<Value = Scenario<LibraryCommand>> {
    let books = prop_oneof![4 => 2usize..=5, 1 => 11usize..=14];
    let readers = 2usize..=4;
    let present = (prop::collection::vec(prop::bool::weighted(0.9), 14), prop::collection::vec(prop::bool::weighted(0.9), 4));
    let loans = (0usize..=9, prop::collection::vec((0usize..14, 0usize..4), 0..=4));
    let command = (0u32..8, 0u64..=10_000, 0u8..100, 0usize..14, 0usize..4);
    let commands = prop::collection::vec(command, 1..=24);
    let policy = prop::sample::select(RetryPolicy::PRESETS.to_vec());
    let latency = 1_000u64..4_000;
    (books, readers, present, loans, commands, policy, latency).prop_map(
        |(books, readers, (book_present, reader_present), (heavy_loans, loans), commands, policy, latency_max)| {
            let book_ids = ids("b", books);
            let reader_ids = ids("r", readers);
            let mut setup = Vec::new();
            for (b, _) in book_ids.iter().zip(&book_present).filter(|(_, p)| **p) {
                setup.push(LibraryCommand::AddBookCopy { book: b.clone(), title: format!("Title of {b}") });
            }
            for (r, _) in reader_ids.iter().zip(&reader_present).filter(|(_, p)| **p) {
                setup.push(LibraryCommand::RegisterReader { reader: r.clone(), name: format!("Reader {r}") });
            }
            let lend = |b: &str, r: &str| LibraryCommand::LendBookCopy { book: b.into(), reader: r.into() };
            if books > 10 {
                setup.extend(book_ids[..heavy_loans].iter().map(|b| lend(b, &reader_ids[0])));
            }
            setup.extend(loans.iter().map(|(b, r)| lend(&book_ids[b % books], &reader_ids[r % readers])));
            let commands = commands
                .into_iter()
                .map(|(client, start_us, kind, b, r)| {
                    let book = book_ids[b % books].clone();
                    let reader = reader_ids[r % readers].clone();
                    let command = match kind {
                        0..45 => LibraryCommand::LendBookCopy { book, reader },
                        45..72 => LibraryCommand::ReturnBookCopy { book, reader },
                        72..79 => LibraryCommand::RemoveBookCopy { book },
                        79..86 => LibraryCommand::AddBookCopy { title: format!("Title of {book}"), book },
                        86..93 => LibraryCommand::CancelReaderContract { reader },
                        _ => LibraryCommand::RegisterReader { name: format!("Reader {reader}"), reader },
                    };
                    Scheduled { client, start: Duration::from_micros(start_us), command }
                })
                .collect();
            let mut scenario = Scenario::new(setup, commands);
            scenario.policy = RetryPolicy::preset(policy).expect("preset");
            let max = Duration::from_micros(latency_max);
            scenario.latency = Latency { read_min: Duration::from_millis(1), read_max: max, append_min: Duration::from_millis(1), append_max: max };
            scenario
        },
    )
}

fn cases() -> u32 {
    SimConfig::from_env().seeds.map_or(2_000, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/library_sim.txt"))),
        ..ProptestConfig::default()
    })]

    /// 2,000 proptest-drawn scenario + seed pairs (`DCB_SEEDS` widens it).
    #[test]
    fn prop_drawn_library_scenarios_hold_every_invariant(scenario in scenario(), seed in any::<u64>()) {
        let w = LibraryWorkload::default();
        let result = run(&w, &scenario, seed);
        if !result.violations.is_empty() {
            let mut report = FailureReport::new(w.name(), seed, &scenario, result.violations.clone());
            let _ = report.save_scenario(std::path::Path::new("target/dcb-failures"));
            prop_assert!(false, "{report}");
        }
    }
}

// ---------------------------------------------------------------------------
// Negative controls

/// Seeds the exploration may use to find each planted bug (the slowest,
/// `ignore-cap`, first fails at seed 54: it needs a capped policy and a
/// command that reaches its third attempt).
const BUDGET: u64 = 1_000;

/// Exactly the invariants each plant is caught by on the library workload
/// over seeds `0..BUDGET` (measured, then pinned: a plant caught by another
/// invariant, or an expected one that stops firing, fails its test).
/// Failing seeds of 1,000 in parentheses, as measured when pinned.
///
/// | plant | caught by exactly |
/// |---|---|
/// | `non-atomic-store` | `dcb-soundness` (559), `serializability` (358), `library-copy-lent-once` (160), `library-returns-match` (68), `library-cancelled-holds-none` (38), `library-removed-not-lent` (26), `library-reader-limit` (10) |
/// | `narrow-condition` | `dcb-soundness` (480), `serializability` (353), `library-copy-lent-once` (226), `library-returns-match` (75), `library-removed-not-lent` (74) — the condition keeps the reader item, so the reader's limit and contract stay protected |
/// | `stale-decision` | `serializability` (701), `library-copy-lent-once` (448), `library-returns-match` (143), `library-cancelled-holds-none` (109), `library-removed-not-lent` (96), `library-reader-limit` (24) — no `dcb-soundness`: the retry re-reads |
/// | `after-equality` | `dcb-soundness` (795), `serializability` (641), `library-copy-lent-once` (367), `library-returns-match` (161), `library-cancelled-holds-none` (112), `library-removed-not-lent` (83), `library-reader-limit` (8) |
/// | `retry-business` | `retry-classification` (992), `log-consistency` (992) — a library rule violation appends its `...Failed` event, so each retry of it writes one more; run alone, each of those writes is the same rejection again, so serializability by re-execution explains them (a serial run could repeat the command) and only the retry rules see the bug |
/// | `ignore-cap` | `delays` (19; first at seed 54) |
const CAUGHT_BY: [(Plant, &[&str]); 6] = [
    (Plant::NonAtomicStore, &[
        "dcb-soundness",
        "serializability",
        library_copy_lent_once::NAME,
        library_returns_match::NAME,
        library_cancelled_holds_none::NAME,
        library_removed_not_lent::NAME,
        library_reader_limit::NAME,
    ]),
    (Plant::NarrowCondition, &["dcb-soundness", "serializability", library_copy_lent_once::NAME, library_returns_match::NAME, library_removed_not_lent::NAME]),
    (Plant::StaleDecision, &[
        "serializability",
        library_copy_lent_once::NAME,
        library_returns_match::NAME,
        library_cancelled_holds_none::NAME,
        library_removed_not_lent::NAME,
        library_reader_limit::NAME,
    ]),
    (Plant::AfterEquality, &[
        "dcb-soundness",
        "serializability",
        library_copy_lent_once::NAME,
        library_returns_match::NAME,
        library_cancelled_holds_none::NAME,
        library_removed_not_lent::NAME,
        library_reader_limit::NAME,
    ]),
    (Plant::RetryBusiness, &["retry-classification", "log-consistency"]),
    (Plant::IgnoreCap, &["delays"]),
];

/// Runs the budget with `plant` on the library workload and asserts it is
/// caught by exactly its row of [`CAUGHT_BY`], every catch replaying
/// ([`Catch::expect`]).
fn catch(plant: Plant) -> Caught {
    let expected = CAUGHT_BY.iter().find(|(p, _)| *p == plant).map(|(_, e)| *e).expect("every plant has a row");
    let caught = Catch::new(&LibraryWorkload::default()).plant(plant).seeds(BUDGET).expect(expected);
    assert_eq!(caught.first.plant.as_deref(), Some(plant.name()));
    println!("{caught}");
    caught
}

#[test]
fn non_atomic_store_is_caught() {
    catch(Plant::NonAtomicStore);
}

/// The lend query is `(types, book:b) ∨ (types, reader:r)`; the narrowed
/// condition keeps only the reader item, so two readers can lend one copy.
#[test]
fn narrow_condition_is_caught() {
    catch(Plant::NarrowCondition);
}

#[test]
fn stale_decision_is_caught() {
    catch(Plant::StaleDecision);
}

#[test]
fn after_equality_is_caught() {
    catch(Plant::AfterEquality);
}

#[test]
fn retrying_business_rejections_is_caught() {
    catch(Plant::RetryBusiness);
}

#[test]
fn ignoring_the_cap_is_caught() {
    catch(Plant::IgnoreCap);
}

/// Every plant has exactly one row, and every library checker is in some
/// row (so each one is pinned to catch a real planted bug).
#[test]
fn the_table_covers_every_plant_once_and_every_library_checker() {
    let rows: Vec<Plant> = CAUGHT_BY.iter().map(|(p, _)| *p).collect();
    assert_eq!(rows, Plant::ALL);
    for name in LIBRARY_INVARIANTS {
        assert!(CAUGHT_BY.iter().any(|(_, e)| e.contains(&name)), "[{name}] catches no plant in the table");
    }
}

/// Every library checker catches a real planted bug in simulated runs (not
/// only in its unit tests): over the first 500 seeds of each concurrency
/// plant, each of the five library invariants fires at least once, always
/// together with `serializability` (the independent models agree with the
/// sequential re-run).
#[test]
fn every_library_checker_fires_on_some_planted_bug() {
    let w = LibraryWorkload::default();
    let mut fired: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for plant in [Plant::NonAtomicStore, Plant::NarrowCondition, Plant::StaleDecision, Plant::AfterEquality] {
        let s = explore(&w, &ExploreOptions { seeds: 500, plant: Some(plant), max_reports: 0, ..ExploreOptions::default() });
        for (name, n) in &s.violations_by_invariant {
            fired.entry(name.clone()).or_default().push(format!("{plant}: {n}"));
        }
        let library: u64 = LIBRARY_INVARIANTS.iter().filter_map(|n| s.violations_by_invariant.get(*n)).max().copied().unwrap_or(0);
        let serial = s.violations_by_invariant.get("serializability").copied().unwrap_or(0);
        assert!(serial >= library, "{plant}: a library invariant fired in {library} schedules but serializability only in {serial}\n{s}");
    }
    println!("{fired:#?}");
    for name in LIBRARY_INVARIANTS {
        assert!(fired.contains_key(name), "[{name}] never fired under any concurrency plant: {fired:#?}");
    }
}

/// Without a plant the budget the controls use finds nothing.
#[test]
fn correct_code_passes_the_plant_budget() {
    let summary = explore(&LibraryWorkload::default(), &ExploreOptions { start_seed: 1_000_000, seeds: BUDGET, ..ExploreOptions::default() });
    assert_eq!(summary.violations, 0, "{summary}");
}

/// Fails on purpose: `scripts/replay-lines.sh` (run by `.ci/run`) runs it,
/// takes the replay lines its report prints and runs each verbatim.
#[test]
#[ignore = "fixture: fails on purpose; .ci/run replays the lines it prints"]
fn fixture_library_stale_decision_fails_the_check() {
    dcb_sim::explore::Check::new(&LibraryWorkload::default()).plant(Plant::StaleDecision).seeds(BUDGET).max_reports(1).run();
}
