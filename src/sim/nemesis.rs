//! [`PgCommitNemesis`]: **real ambiguous commits** on PostgreSQL, for
//! real-time runs ([`run_realtime`](crate::sim::run_realtime)). A chosen
//! append commits on the server, and its connection is terminated before
//! the acknowledgement reaches the client: the client sees an error for a
//! commit that happened.
//!
//! # How the kill lands between the commit and its acknowledgement
//!
//! Not by timing. The nemesis sets `synchronous_standby_names` to a standby
//! that never connects (`ALTER SYSTEM`, then `pg_reload_conf()`), and sends
//! the chosen appends through a second [`PostgresStore`] on the same schema
//! whose sessions run with `synchronous_commit = on` (every other session of
//! a throwaway cluster runs with it `off`, so nothing else waits). Such a
//! commit is written to the WAL and then **waits for the standby**
//! (`wait_event = 'SyncRep'` in `pg_stat_activity`), still holding the
//! append lock and not yet acknowledged. The nemesis finds that backend and
//! its transaction id, calls `pg_terminate_backend(pid)`, and PostgreSQL
//! does what it documents for this case: "canceling the wait for synchronous
//! replication and terminating connection due to administrator command —
//! the transaction has already committed locally". The backend finishes the
//! commit (it becomes visible) and closes the connection without answering
//! the `COMMIT`. The engine sees the connection die during the commit and
//! reports what it can know: `Unavailable`, "may or may not be applied".
//!
//! The nemesis then waits until the backend is gone, reads the positions the
//! transaction wrote (`xmin` = its transaction id), and returns the error as
//! the simulator's ambiguous commit is returned: `Unavailable { retryable:
//! true }` (a retry may succeed), its message starting `[nemesis #n]` and
//! carrying the engine's. [`EventStore::applied_despite`] answers the
//! written positions for that error, so the real-time run records a ghost
//! write of the command, as the simulator does for its injected ones, and
//! `log-consistency` judges what the retry did: with request ids the
//! retry recognises its own write (`Idempotent`); without them it writes
//! again or rejects its own effect, and `log-consistency` fails the run.
//!
//! # Which appends
//!
//! Deterministically: appends 1, 1 + `every`, 1 + 2·`every`, … in the
//! order they reach the nemesis (counted from [`PgCommitNemesis::reset`]).
//! The first append of a run is a setup command's, made before any client
//! starts, so every run has at least one ambiguous commit whatever the OS
//! does with the clients. An append that writes nothing (its condition
//! failed) waits for no standby and is not killed. Chosen appends are sent
//! one at a time (they hold the append lock while they wait anyway).
//!
//! # Needs
//!
//! A throwaway cluster (`scripts/pg-throwaway.sh`): a superuser, WAL
//! senders enabled (the default), and `synchronous_commit` off or `local`
//! for other sessions, which [`PgCommitNemesis::connect`] checks (on a
//! cluster where it is `on`, every other session's commits would wait for
//! the missing standby too). [`PgCommitNemesis::release`] restores
//! `synchronous_standby_names`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

use crate::store::{AppendCondition, Event, EventStore, PgOptions, Position, PostgresStore, Query, ReadOptions, SequencedEvent, StoreError};

/// The standby the chosen commits wait for; it never connects.
const NO_STANDBY: &str = "dcb_sim_nemesis_no_such_standby";

/// How long any wait of the nemesis may take before it fails with a message.
const WAIT: Duration = Duration::from_secs(60);

/// What went wrong setting up or running the nemesis.
#[derive(Debug, thiserror::Error)]
pub enum NemesisError {
    /// A store could not be opened (see the engine's message).
    #[error("the PostgreSQL nemesis could not open its store: {0}")]
    Store(#[from] StoreError),
    /// The server refused or failed a statement of the nemesis.
    #[error("the PostgreSQL nemesis could not {what}: {error} (it needs a superuser on a throwaway cluster: scripts/pg-throwaway.sh start)")]
    Server {
        /// What the nemesis was doing.
        what: &'static str,
        /// The driver's error.
        error: String,
    },
    /// Other sessions commit with `synchronous_commit` waiting for standbys.
    #[error(
        "this cluster's sessions run with synchronous_commit = {0}: while the nemesis names a standby that never comes, every \
         other session's commits would wait for it; run the nemesis on a throwaway cluster (scripts/pg-throwaway.sh starts one \
         with synchronous_commit = off)"
    )]
    DurableCluster(String),
    /// Setting `synchronous_standby_names` did not make a probe commit wait.
    #[error("a probe commit with synchronous_commit = on did not wait for the standby within {0:?} after pg_reload_conf(): are WAL senders disabled (max_wal_senders = 0)?")]
    NotWaiting(Duration),
}

/// A [`PostgresStore`] whose chosen appends become real ambiguous commits:
/// committed on the server, their connection terminated before the
/// acknowledgement. See the [module docs](self).
pub struct PgCommitNemesis {
    store: PostgresStore,
    doomed: PostgresStore,
    admin: Client,
    every: u64,
    appends: AtomicU64,
    killed: AtomicU64,
    serial: tokio::sync::Mutex<()>,
    ghosts: Mutex<BTreeMap<String, (Position, Position)>>,
    application_name: String,
    table: String,
}

impl std::fmt::Debug for PgCommitNemesis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCommitNemesis").field("store", &self.store).field("every", &self.every).finish_non_exhaustive()
    }
}

impl PgCommitNemesis {
    /// Opens the store at `url` with `options` (as [`PostgresStore::connect`],
    /// inside a tokio runtime that outlives it), a second one on the same
    /// schema for the chosen appends, and an admin connection; names the
    /// standby that never comes and checks that a probe commit waits for
    /// it. Appends 1, 1 + `every`, … become ambiguous commits (`every` ≥ 1).
    ///
    /// `url` must not carry an `options` parameter (the chosen appends'
    /// store sets it).
    ///
    /// # Errors
    /// [`NemesisError`], saying what to fix.
    pub async fn connect(url: &str, options: PgOptions, every: u64) -> Result<Self, NemesisError> {
        let server = |what: &'static str| move |e: tokio_postgres::Error| NemesisError::Server { what, error: e.to_string() };
        let (admin, connection) = tokio_postgres::connect(url, NoTls).await.map_err(server("connect"))?;
        tokio::spawn(connection);
        let default: String = admin.query_one("SHOW synchronous_commit", &[]).await.map_err(server("read synchronous_commit"))?.get(0);
        if !matches!(default.as_str(), "off" | "local") {
            return Err(NemesisError::DurableCluster(default));
        }
        let store = PostgresStore::connect(url, options.clone()).await?;
        let separator = if url.contains('?') { '&' } else { '?' };
        let doomed_url = format!("{url}{separator}options=-c%20synchronous_commit%3Don");
        let doomed = PostgresStore::connect(&doomed_url, PgOptions { recreate: false, max_connections: 2, ..options.clone() }).await?;
        // Two statements: ALTER SYSTEM cannot run inside a (multi-statement) transaction.
        admin.batch_execute(&format!("ALTER SYSTEM SET synchronous_standby_names = '{NO_STANDBY}'")).await.map_err(server("set synchronous_standby_names"))?;
        admin.batch_execute("SELECT pg_reload_conf()").await.map_err(server("reload the configuration"))?;
        let nemesis = PgCommitNemesis {
            store,
            doomed,
            admin,
            every: every.max(1),
            appends: AtomicU64::new(0),
            killed: AtomicU64::new(0),
            serial: tokio::sync::Mutex::new(()),
            ghosts: Mutex::new(BTreeMap::new()),
            application_name: format!("dcb-sim:{}", options.schema),
            table: format!("\"{}\".dcb_events", options.schema),
        };
        let probe_table = format!("\"{}\".dcb_nemesis_probe", options.schema);
        nemesis.admin.batch_execute(&format!("CREATE TABLE IF NOT EXISTS {probe_table} (x int)")).await.map_err(server("create the probe table"))?;
        nemesis.probe(&doomed_url, &probe_table).await?;
        Ok(nemesis)
    }

    /// Waits until a commit with `synchronous_commit = on` waits for the
    /// standby (the setting reaches the server's processes asynchronously
    /// after `pg_reload_conf()`), killing each probe that waits.
    async fn probe(&self, doomed_url: &str, probe_table: &str) -> Result<(), NemesisError> {
        let server = |what: &'static str| move |e: tokio_postgres::Error| NemesisError::Server { what, error: e.to_string() };
        let waited = tokio::time::timeout(WAIT, async {
            loop {
                let (probe, connection) = tokio_postgres::connect(doomed_url, NoTls).await.map_err(server("connect a probe"))?;
                tokio::spawn(connection);
                let pid: i32 = probe.query_one("SELECT pg_backend_pid()", &[]).await.map_err(server("read the probe's pid"))?.get(0);
                // A transaction that wrote to the WAL waits for the standby at its commit.
                let insert = format!("INSERT INTO {probe_table} VALUES (1)");
                let commit = probe.batch_execute(&insert);
                let seen = async {
                    loop {
                        let rows = self.admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'SyncRep'", &[&pid]).await.map_err(server("watch the probe"))?;
                        if !rows.is_empty() {
                            return Ok::<_, NemesisError>(());
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                };
                tokio::select! {
                    _ = commit => {}
                    seen = seen => {
                        seen?;
                        self.admin.query("SELECT pg_terminate_backend($1)", &[&pid]).await.map_err(server("terminate the probe"))?;
                        return Ok(());
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        waited.unwrap_or(Err(NemesisError::NotWaiting(WAIT)))
    }

    /// Empties the log ([`PostgresStore::reset`]) and restarts the count of
    /// appends, so the next append is chosen: for
    /// [`reusing`](crate::explore::reusing) or between runs.
    ///
    /// # Errors
    /// As [`PostgresStore::reset`].
    pub async fn reset(&self) -> Result<(), StoreError> {
        self.store.reset().await?;
        self.appends.store(0, Ordering::Relaxed);
        self.killed.store(0, Ordering::Relaxed);
        self.ghosts.lock().unwrap_or_else(|p| p.into_inner()).clear();
        Ok(())
    }

    /// Ambiguous commits made since the last [`PgCommitNemesis::reset`].
    pub fn ambiguous_commits(&self) -> u64 {
        self.killed.load(Ordering::Relaxed)
    }

    /// The store underneath (e.g. to read its log).
    pub fn store(&self) -> &PostgresStore {
        &self.store
    }

    /// Restores `synchronous_standby_names` (reset to the server's default)
    /// and drops the schema.
    ///
    /// # Errors
    /// [`NemesisError::Server`] when the server refuses.
    pub async fn release(self) -> Result<(), NemesisError> {
        let server = |what: &'static str| move |e: tokio_postgres::Error| NemesisError::Server { what, error: e.to_string() };
        self.admin.batch_execute("ALTER SYSTEM RESET synchronous_standby_names").await.map_err(server("reset synchronous_standby_names"))?;
        self.admin.batch_execute("SELECT pg_reload_conf()").await.map_err(server("reload the configuration"))?;
        drop(self.doomed);
        self.store.drop_schema().await?;
        Ok(())
    }

    /// A chosen append: through the waiting store, killed while it waits.
    async fn doomed_append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let _one_at_a_time = self.serial.lock().await;
        let append = self.doomed.append(events, condition);
        tokio::pin!(append);
        let waiting = self.waiting_commit();
        tokio::pin!(waiting);
        let (pid, xid) = tokio::select! {
            biased;
            // Done without waiting: nothing written (a failed condition) or
            // an error before the commit.
            result = &mut append => return result,
            found = &mut waiting => found?,
        };
        self.admin.query("SELECT pg_terminate_backend($1)", &[&pid]).await.map_err(|e| nemesis_failed("terminate the committing backend", &e))?;
        let result = tokio::time::timeout(WAIT, append).await.map_err(|_| StoreError::Unavailable {
            retryable: false,
            reason: format!("[nemesis] the append on terminated backend {pid} did not return within {WAIT:?}"),
        })?;
        let engine_error = match result {
            // The acknowledgement arrived after all: not ambiguous.
            Ok(position) => return Ok(position),
            Err(e) => e,
        };
        self.gone(pid).await?;
        let row = self
            .admin
            .query_one(&format!("SELECT min(position), max(position) FROM {} WHERE xmin::text = $1", self.table), &[&xid])
            .await
            .map_err(|e| nemesis_failed("read what the terminated transaction wrote", &e))?;
        let (first, last): (Option<i64>, Option<i64>) = (row.get(0), row.get(1));
        let (Some(first), Some(last)) = (first, last) else {
            // Terminated, yet nothing of it is in the log: not a commit.
            return Err(engine_error);
        };
        let n = self.killed.fetch_add(1, Ordering::Relaxed) + 1;
        let reason = format!(
            "[nemesis #{n}] backend {pid} was terminated after its commit (transaction {xid} wrote positions {first}..={last}) and before the acknowledgement; the engine said: {engine_error}"
        );
        self.ghosts.lock().unwrap_or_else(|p| p.into_inner()).insert(reason.clone(), (first as Position, last as Position));
        Err(StoreError::Unavailable { retryable: true, reason })
    }

    /// The pid and transaction id of the chosen append's backend once it
    /// waits for the standby.
    async fn waiting_commit(&self) -> Result<(i32, String), StoreError> {
        let sql = "SELECT pid, backend_xid::text FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'SyncRep' AND backend_xid IS NOT NULL";
        loop {
            let rows = self.admin.query(sql, &[&self.application_name]).await.map_err(|e| nemesis_failed("watch the committing backend", &e))?;
            if let Some(row) = rows.first() {
                return Ok((row.get(0), row.get(1)));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Waits (bounded) until backend `pid` has exited.
    async fn gone(&self, pid: i32) -> Result<(), StoreError> {
        let wait = async {
            loop {
                let rows = self.admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", &[&pid]).await.map_err(|e| nemesis_failed("watch the terminated backend", &e))?;
                if rows.is_empty() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable { retryable: false, reason: format!("[nemesis] backend {pid} did not exit within {WAIT:?} of its termination") }))
    }
}

/// A failure of the nemesis's own admin connection (not retryable: the
/// run cannot go on as planned).
fn nemesis_failed(what: &str, e: &tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable { retryable: false, reason: format!("[nemesis] could not {what}: {e}") }
}

impl EventStore for PgCommitNemesis {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.store.read(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        if self.appends.fetch_add(1, Ordering::Relaxed) % self.every == 0 {
            self.doomed_append(events, condition).await
        } else {
            self.store.append(events, condition).await
        }
    }

    fn applied_despite(&self, error: &StoreError) -> Option<(Position, Position)> {
        let StoreError::Unavailable { reason, .. } = error else { return None };
        self.ghosts.lock().unwrap_or_else(|p| p.into_inner()).get(reason).copied()
    }
}
