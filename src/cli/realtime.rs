//! `explore --realtime`: the seeds' generated scenarios on real OS threads
//! (one per client, the real clock) against a real store chosen with
//! `--store` (memory, a SQLite file, a PostgreSQL schema), judged by every
//! checker, through [`RealtimeCheck`](crate::explore::RealtimeCheck). A
//! failure's interleaving does not replay (the OS ordered the calls); its
//! scenario is saved and the report prints the `replay` line that plays it
//! under the simulator.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::explore::ExploreArgs;
use crate::sim::{Scheduler, Workload};

/// The real stores `explore --realtime` can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum RealStore {
    /// The in-memory reference store, shared by the client threads.
    Memory,
    /// A SQLite file in a temporary directory (a new file per run, or one reset between runs with --reuse).
    Sqlite,
    /// A schema on the PostgreSQL server of --pg-url or DCB_PG_URL (created anew per run, or one truncated between runs with --reuse).
    Postgres,
}

impl RealStore {
    fn name(self) -> &'static str {
        match self {
            RealStore::Memory => "memory",
            RealStore::Sqlite => "sqlite",
            RealStore::Postgres => "postgres",
        }
    }
}

/// The flags of `explore --realtime`.
#[derive(Debug, Clone, Args)]
pub(super) struct RealtimeArgs {
    /// Play the seeds' scenarios on real OS threads (one per client, the real clock) against a real store (--store) instead of the simulator; a failure's interleaving does not replay, only its scenario.
    #[arg(long)]
    pub realtime: bool,
    /// --realtime: the store the clients share: memory (the default), sqlite (a file in a temp dir) or postgres (a schema on --pg-url).
    #[arg(long, value_enum)]
    pub store: Option<RealStore>,
    /// --realtime --store postgres: the server (default: the DCB_PG_URL environment variable).
    #[arg(long, value_name = "URL")]
    pub pg_url: Option<String>,
    /// --realtime with sqlite or postgres: open one store and reset it between runs instead of opening one per run.
    #[arg(long)]
    pub reuse: bool,
}

impl RealtimeArgs {
    /// The store chosen (memory by default).
    fn store(&self) -> RealStore {
        self.store.unwrap_or(RealStore::Memory)
    }
}

/// What is wrong with `args` for `explore` (a usage error) in the light of
/// `--realtime` and its flags, if anything.
pub(super) fn usage_error(args: &ExploreArgs) -> Option<String> {
    let rt = &args.realtime;
    if !rt.realtime {
        if rt.store.is_some() || rt.pg_url.is_some() || rt.reuse {
            return Some("--store, --pg-url and --reuse choose the real store of --realtime; add --realtime (the simulator's engine is --engine)".into());
        }
        return None;
    }
    let w = &args.workload;
    let refused = if w.plant.is_some() {
        Some("--plant is simulated; a real-time run judges the real store and the workload's own handler")
    } else if w.faults {
        Some("--faults are injected by the simulator; a real-time run has only the store's own failures")
    } else if w.engine.is_some() {
        Some("--engine chooses the simulator's engine; a real-time run uses --store")
    } else if args.scheduler.scheduler() != Scheduler::Random || args.scheduler.exhaustive().is_some() || args.scheduler.races().is_some() {
        Some("--scheduler and --schedule order simulated store steps; in a real-time run the OS orders them")
    } else if args.shard.is_some() || args.save_regressions.is_some() {
        Some("--shard and --save-regressions are for simulated runs")
    } else {
        None
    };
    if let Some(why) = refused {
        return Some(format!("{why} (drop it, or drop --realtime)"));
    }
    if rt.reuse && rt.store() == RealStore::Memory {
        return Some("--reuse needs --store sqlite or --store postgres (a memory store opens instantly and has nothing to reset)".into());
    }
    if rt.store() == RealStore::Postgres && pg_url(rt).is_none() {
        return Some(
            "--store postgres needs a server: pass --pg-url postgresql://USER@HOST:PORT/DB or set DCB_PG_URL \
             (`eval \"$(scripts/pg-throwaway.sh start)\"` starts a throwaway one and sets it)"
                .into(),
        );
    }
    if rt.store() != RealStore::Postgres && rt.pg_url.is_some() {
        return Some("--pg-url is the server of --store postgres; add --store postgres".into());
    }
    None
}

/// `--pg-url`, else a non-empty `DCB_PG_URL`.
fn pg_url(rt: &RealtimeArgs) -> Option<String> {
    rt.pg_url.clone().or_else(|| std::env::var("DCB_PG_URL").ok()).filter(|u| !u.trim().is_empty())
}

/// Runs `explore --realtime` on `workload`; `args` passed [`usage_error`].
#[cfg(feature = "tokio")]
pub(super) fn explore_realtime<W: Workload>(workload: &W, args: &ExploreArgs) -> i32
where
    W::Handler: Sync,
{
    let rt = &args.realtime;
    let reuse = if rt.reuse { "one store reset between runs" } else { "a new store per run" };
    let header = format!("dcb-sim explore --realtime · store {} · {reuse} · one OS thread per client, the real clock, the OS orders the calls", rt.store().name());
    // With --json, stdout holds the JSON summary alone.
    if args.json {
        eprintln!("{header}");
    } else {
        println!("{header}");
    }
    let result = match rt.store() {
        RealStore::Memory => play(workload, args, |_| Ok(crate::store::MemoryStore::new())),
        RealStore::Sqlite => sqlite(workload, args),
        RealStore::Postgres => postgres(workload, args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            4
        }
    }
}

/// Without the `tokio` feature there are no real-time runs.
#[cfg(not(feature = "tokio"))]
pub(super) fn explore_realtime<W: Workload>(_workload: &W, _args: &ExploreArgs) -> i32 {
    eprintln!("error: this binary was built without dcb-sim's `tokio` feature, which --realtime needs (enable it, and `sqlite` / `postgres` for those stores)");
    2
}

/// Plays the check with stores from `open`, prints the summary and the
/// failure report; the exit code.
#[cfg(feature = "tokio")]
fn play<W, S, F>(workload: &W, args: &ExploreArgs, open: F) -> Result<i32, String>
where
    W: Workload,
    W::Handler: Sync,
    S: crate::store::EventStore + Sync,
    F: FnMut(u64) -> Result<S, crate::store::StoreError>,
{
    let played = crate::explore::RealtimeCheck::new(workload, open)
        .start(args.start_seed)
        .runs(args.seeds)
        .max_reports(args.max_reports)
        .for_cli(args.out.clone())
        .play()?;
    let code = super::explore::exit_code(&played.summary);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&played.summary).expect("summaries serialize"));
        if let Some(report) = &played.report {
            eprint!("{report}");
        }
    } else {
        // The failure reports below replace the summary's own (whose replay
        // lines would replay a simulated run of the seed, not this one).
        print!("{}", crate::explore::Summary { failures: Vec::new(), ..played.summary });
        if let Some(report) = &played.report {
            print!("\n{report}");
        }
    }
    Ok(code)
}

/// A SQLite file per run (the previous run's deleted), or one reused, in a
/// temporary directory removed afterwards.
#[cfg(all(feature = "tokio", feature = "sqlite"))]
fn sqlite<W: Workload>(workload: &W, args: &ExploreArgs) -> Result<i32, String>
where
    W::Handler: Sync,
{
    use crate::store::SqliteStore;
    let dir = std::env::temp_dir().join(format!("dcb-sim-realtime-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create the directory for the SQLite files, {}: {e}", dir.display()))?;
    let code = if args.realtime.reuse {
        let store = SqliteStore::open(dir.join("reused.db")).map_err(|e| format!("cannot open the SQLite store: {e}"))?;
        play(workload, args, crate::explore::reusing(store, SqliteStore::reset))
    } else {
        let mut previous: Option<PathBuf> = None;
        play(workload, args, |seed| {
            if let Some(old) = previous.take() {
                remove_sqlite_files(&old);
            }
            let path = dir.join(format!("run-{seed}.db"));
            remove_sqlite_files(&path);
            previous = Some(path.clone());
            SqliteStore::open(path)
        })
    };
    let _ = std::fs::remove_dir_all(&dir);
    code
}

/// Removes a SQLite file and its WAL companions, if present.
#[cfg(all(feature = "tokio", feature = "sqlite"))]
fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

#[cfg(all(feature = "tokio", not(feature = "sqlite")))]
fn sqlite<W: Workload>(_workload: &W, _args: &ExploreArgs) -> Result<i32, String> {
    Err("this binary was built without dcb-sim's `sqlite` feature, which --store sqlite needs".into())
}

/// A schema `dcb_realtime_<pid>` on the server, created anew per run or
/// truncated between runs, dropped afterwards.
#[cfg(feature = "postgres")]
fn postgres<W: Workload>(workload: &W, args: &ExploreArgs) -> Result<i32, String>
where
    W::Handler: Sync,
{
    use crate::store::{PgOptions, PostgresStore};
    let url = pg_url(&args.realtime).ok_or("--store postgres needs --pg-url or DCB_PG_URL")?;
    // The store's connections run on this runtime; the clients' threads
    // only poll their calls.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime for PostgreSQL: {e}"))?;
    let options = PgOptions { schema: format!("dcb_realtime_{}", std::process::id()), max_connections: 16, recreate: true };
    let connect = |options: PgOptions| runtime.block_on(PostgresStore::connect(&url, options));
    let code = if args.realtime.reuse {
        let store = connect(options.clone()).map_err(|e| format!("cannot connect to PostgreSQL at {url}: {e}"))?;
        play(workload, args, crate::explore::reusing(store, |s: &PostgresStore| runtime.block_on(s.reset())))
    } else {
        play(workload, args, |_| connect(options.clone()))
    };
    if let Ok(store) = connect(PgOptions { recreate: false, ..options.clone() }) {
        let _ = runtime.block_on(store.drop_schema());
    }
    code
}

#[cfg(all(feature = "tokio", not(feature = "postgres")))]
fn postgres<W: Workload>(_workload: &W, _args: &ExploreArgs) -> Result<i32, String> {
    Err("this binary was built without dcb-sim's `postgres` feature, which --store postgres needs".into())
}
