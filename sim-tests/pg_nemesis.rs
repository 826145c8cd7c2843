//! Real ambiguous commits on PostgreSQL ([`PgCommitNemesis`]): in
//! real-time runs of the built-in workloads, every 4th append (the first of
//! each run included, a setup command's) commits on the server and has its
//! backend terminated before the acknowledgement (`pg_terminate_backend`
//! while the commit waits for a synchronous standby that never comes; see
//! the nemesis's docs). The client gets an error for a commit that
//! happened; the policy retries it (`retry_transient`, as the simulator's
//! fault swarm does).
//!
//! * With request ids (the scenarios' default) the retry recognises its own
//!   write: no duplicate effect, 0 violations, every ambiguous commit
//!   recorded as a ghost write of its command.
//! * Without request ids, enrollment's retry re-reads, does not know the
//!   event is its own, and rejects its own effect ("already exists",
//!   "already enrolled") or writes again: `log-consistency` fails every run.
//!
//! No timing decides an outcome: the kill is made while the commit waits
//! for the standby (found in `pg_stat_activity`, not guessed), the first
//! append of every run is a setup command's (made before any client
//! starts), and every wait is bounded (60 s, then a failure with a message).
//!
//! Without `DCB_PG_URL` the test prints `SKIPPED: …` and passes, except
//! with `CI=true`, where it fails (as `engines_postgres.rs`). Run:
//! `eval "$(scripts/pg-throwaway.sh start)"; cargo test --release --test sim -- --nocapture pg_nemesis::`.

use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::explore::SCENARIO_STREAM;
use dcb_sim::sim::{PgCommitNemesis, Workload, run_realtime};
use dcb_sim::store::PgOptions;
use dcb_sim::store::postgres::test_url;

/// Runs per workload and setting.
const RUNS: u64 = 8;

/// What `RUNS` real-time runs of `workload` over the nemesis gave.
#[derive(Debug, Default)]
struct Tally {
    /// Ambiguous commits the nemesis made.
    ambiguous: u64,
    /// Runs with fewer than one.
    runs_without_one: u64,
    /// Ghost writes the runs recorded.
    ghost_writes: u64,
    /// Runs with any violation, and with a `log-consistency` one.
    violated: u64,
    log_consistency: u64,
    /// The first violations seen, for the message.
    examples: Vec<String>,
}

fn play<W: Workload>(runtime: &tokio::runtime::Runtime, nemesis: &PgCommitNemesis, workload: &W, request_ids: bool) -> Tally
where
    W::Handler: Sync,
{
    let mut t = Tally::default();
    for seed in 0..RUNS {
        let mut scenario = workload.generate(&mut dcb_sim::rng::substream(seed, SCENARIO_STREAM));
        scenario.policy.retry_transient = true;
        scenario.request_ids = request_ids;
        runtime.block_on(nemesis.reset()).expect("reset");
        let result = run_realtime(workload, &scenario, seed, nemesis);
        let ambiguous = nemesis.ambiguous_commits();
        t.ambiguous += ambiguous;
        t.runs_without_one += u64::from(ambiguous == 0);
        t.ghost_writes += result.history.faults.iter().filter(|f| f.applied.is_some()).count() as u64;
        if !result.violations.is_empty() {
            t.violated += 1;
            t.log_consistency += u64::from(result.violations.iter().any(|v| v.invariant() == "log-consistency"));
            if t.examples.len() < 3 {
                t.examples.push(format!("seed {seed}: {}", result.violations[0]));
            }
        }
    }
    t
}

#[test]
fn ambiguous_commits_duplicate_nothing_with_request_ids_and_are_caught_without() {
    let Some(url) = test_url("pg_nemesis::ambiguous_commits_duplicate_nothing_with_request_ids_and_are_caught_without") else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    let nemesis = runtime.block_on(PgCommitNemesis::connect(&url, PgOptions::fresh("dcb_nemesis").max_connections(16), 4)).unwrap_or_else(|e| panic!("{e}"));

    let enrollment = EnrollmentWorkload::with_clients(6);
    let library = LibraryWorkload::with_clients(6);
    // The nemesis is released (the cluster's standby setting restored) even when a run panics.
    let played = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let with_ids = [("enrollment", play(&runtime, &nemesis, &enrollment, true)), ("library", play(&runtime, &nemesis, &library, true))];
        (with_ids, play(&runtime, &nemesis, &enrollment, false), play(&runtime, &nemesis, &library, false))
    }));
    runtime.block_on(nemesis.release()).expect("release the nemesis");
    let (with_ids, without, library_without) = played.unwrap_or_else(|panic| std::panic::resume_unwind(panic));

    for (name, t) in &with_ids {
        eprintln!("{name}, request ids: {RUNS} runs, {} ambiguous commits, {} ghost writes recorded, {} runs violated", t.ambiguous, t.ghost_writes, t.violated);
        assert_eq!(t.runs_without_one, 0, "{name}: the first append of every run is made ambiguous: {t:?}");
        assert_eq!(t.ghost_writes, t.ambiguous, "{name}: every ambiguous commit is recorded as its command's ghost write: {t:?}");
        assert_eq!(t.violated, 0, "{name}: with request ids a retry recognises its own write: {t:?}");
    }
    eprintln!("enrollment, no request ids: {RUNS} runs, {} ambiguous commits, {} runs violated, {} by log-consistency; e.g. {:?}", without.ambiguous, without.violated, without.log_consistency, without.examples);
    eprintln!("library, no request ids: {RUNS} runs, {} ambiguous commits, {} runs violated, {} by log-consistency; e.g. {:?}", library_without.ambiguous, library_without.violated, library_without.log_consistency, library_without.examples);
    assert_eq!(without.runs_without_one, 0, "{without:?}");
    assert_eq!(without.log_consistency, RUNS, "without request ids the retry of the first (setup) append rejects its own effect in every run: {without:?}");
}
