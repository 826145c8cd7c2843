//! `Check::realtime` over the PostgreSQL engine: the README's worked
//! example of "Check your real store". The built-in workloads (enrollment
//! and library, 8 clients) play their generated scenarios on real OS
//! threads against one schema, truncated between runs
//! ([`reusing`] + [`PostgresStore::reset`]), every checker judging each
//! run: 0 violations. `PostgresStore::reset` itself must empty the log and
//! restart positions at 1 (a no-op reset fails that test).
//!
//! Without `DCB_PG_URL` the tests print `SKIPPED: DCB_PG_URL not set (start
//! one with scripts/pg-throwaway.sh)` and pass, except with `CI=true`, where
//! they fail (the convention of `engines_postgres.rs`, whose
//! `missing_server_is_skipped_locally_and_fails_in_ci` pins it). Run:
//! `eval "$(scripts/pg-throwaway.sh start)"; cargo test --release --test sim -- realtime_postgres::`.

use dcb_sim::domain::enrollment::EnrollmentWorkload;
use dcb_sim::domain::library::LibraryWorkload;
use dcb_sim::explore::{Check, reusing};
use dcb_sim::store::postgres::test_url;
use dcb_sim::store::{Event, EventStore, PgOptions, PostgresStore};

/// The README's example, verbatim (enrollment), then the same for library.
#[test]
fn the_builtin_workloads_pass_on_postgres_on_real_threads() {
    let Some(url) = test_url("realtime_postgres::the_builtin_workloads_pass_on_postgres_on_real_threads") else { return };
    // The store's connections run on this runtime; the clients' threads only poll their calls.
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let store = runtime.block_on(PostgresStore::connect(&url, PgOptions::fresh("dcb_rt_enrollment").max_connections(16))).expect("connect");
    let s = Check::new(&EnrollmentWorkload::with_clients(8)).seeds(20).realtime(reusing(store, |s: &PostgresStore| runtime.block_on(s.reset()))).run();
    eprintln!("enrollment on PostgreSQL, real threads: {} runs, {} commands, {} conflicts, {} violations", s.schedules, s.commands, s.conflicts, s.violations);
    assert_eq!((s.schedules, s.violations), (20, 0), "{s}");
    assert!(s.commands >= 20 * 8, "{s}");

    let store = runtime.block_on(PostgresStore::connect(&url, PgOptions::fresh("dcb_rt_library").max_connections(16))).expect("connect");
    let s = Check::new(&LibraryWorkload::with_clients(8)).seeds(20).realtime(reusing(store, |s: &PostgresStore| runtime.block_on(s.reset()))).run();
    eprintln!("library on PostgreSQL, real threads: {} runs, {} commands, {} conflicts, {} violations", s.schedules, s.commands, s.conflicts, s.violations);
    assert_eq!((s.schedules, s.violations), (20, 0), "{s}");
    for prefix in ["dcb_rt_enrollment", "dcb_rt_library"] {
        drop_schemas(&runtime, &url, prefix);
    }
}

/// A fresh store per run works too (a new schema each time, slower).
#[test]
fn a_fresh_schema_per_run_passes_too() {
    let Some(url) = test_url("realtime_postgres::a_fresh_schema_per_run_passes_too") else { return };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let s = Check::new(&EnrollmentWorkload::with_clients(8)).seeds(5).realtime(|_| runtime.block_on(PostgresStore::connect(&url, PgOptions::fresh("dcb_rt_fresh")))).run();
    assert_eq!((s.schedules, s.violations), (5, 0), "{s}");
    drop_schemas(&runtime, &url, "dcb_rt_fresh");
}

#[test]
fn reset_empties_the_log_and_restarts_positions_at_1() {
    let Some(url) = test_url("realtime_postgres::reset_empties_the_log_and_restarts_positions_at_1") else { return };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let store = PostgresStore::connect(&url, PgOptions::fresh("dcb_rt_reset")).await.expect("connect");
        let e = |i: u32| Event::new("E", ["k:1"], i.to_string()).expect("valid");
        assert_eq!(store.append(vec![e(1), e(2), e(3)], None).await, Ok(3));
        store.reset().await.expect("reset");
        assert_eq!(store.snapshot().await.expect("read"), vec![], "the log is empty after a reset");
        assert_eq!(store.append(vec![e(4)], None).await, Ok(1), "positions restart at 1");
        store.drop_schema().await.expect("drop");
    });
}

/// Drops the schemas `<prefix>_<pid>_*` this process created.
fn drop_schemas(runtime: &tokio::runtime::Runtime, url: &str, prefix: &str) {
    runtime.block_on(async {
        let (admin, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("admin connection");
        tokio::spawn(conn);
        let pattern = format!("{prefix}_{}_%", std::process::id());
        let rows = admin.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", &[&pattern]).await.expect("list schemas");
        for row in rows {
            let name: String = row.get(0);
            admin.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).await.expect("drop schema");
        }
    });
}
