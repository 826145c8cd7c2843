//! [`PostgresStore`]: the DCB engine on a PostgreSQL server (`tokio-postgres`).
//!
//! # Schema
//!
//! One table per store, in the schema [`PgOptions::schema`] (created if
//! missing):
//!
//! ```sql
//! CREATE TABLE <schema>.dcb_events (
//!     position   bigint PRIMARY KEY,   -- assigned as MAX + 1 under the append lock
//!     event_type text   NOT NULL,
//!     tags       text[] NOT NULL,
//!     data       bytea  NOT NULL       -- the payload's UTF-8 bytes (text cannot hold NUL)
//! );
//! CREATE INDEX dcb_events_tags ON <schema>.dcb_events USING gin (tags) WITH (fastupdate = off);
//! CREATE INDEX dcb_events_type ON <schema>.dcb_events (event_type, position);
//! ```
//!
//! A query item becomes `(event_type = ANY($types) AND tags @> $tags)`
//! (either half alone when the other is empty), items are OR-ed; the GIN
//! index answers `tags @> ...` without scanning the log (a unit test pins
//! the plan). `fastupdate = off`: every append reads by tag for its
//! condition, and GIN's pending list (unsorted until the next vacuum) makes
//! such reads slow and the planner fall back to a sequential scan; paying a
//! little more per insert keeps the tag index always sorted.
//!
//! # Concurrency control, and why it is correct
//!
//! An append is one transaction at **READ COMMITTED**:
//!
//! ```sql
//! BEGIN ISOLATION LEVEL READ COMMITTED;
//! SELECT pg_advisory_xact_lock(<key>);     -- key = 0x0DCB << 32 | the table's oid
//! WITH conflict AS (SELECT position FROM dcb_events
//!                   WHERE position > $after AND (<condition query>)
//!                   ORDER BY position LIMIT 1),
//!      head AS (SELECT COALESCE(MAX(position), 0) AS h FROM dcb_events),
//!      ins AS (INSERT INTO dcb_events SELECT head.h + ord, ... FROM head, unnest(...) WITH ORDINALITY
//!              WHERE NOT EXISTS (SELECT 1 FROM conflict) RETURNING position)
//! SELECT (SELECT position FROM conflict), (SELECT MAX(position) FROM ins);
//! COMMIT;                                  -- inserts nothing when `conflict` found a row
//! ```
//!
//! The three requests are pipelined in one round trip (the server runs them
//! in order), so the lock is held only while the server executes the
//! statement and the commit, never across a client round trip.
//!
//! Proof that two appends can never both pass the same condition (and that
//! positions are gap-free and committed in order):
//!
//! 1. Every append takes the same transaction-scoped advisory lock before
//!    its first read and holds it until its transaction ends, so appends to
//!    one table run their check-and-insert one at a time: A's lock is
//!    granted only after B's transaction has committed or rolled back.
//! 2. At READ COMMITTED each *statement* takes a new snapshot when it
//!    starts. The check-and-insert statement starts after the lock was
//!    granted, so after B's commit; and PostgreSQL makes a commit visible
//!    (`ProcArrayEndTransaction`) *before* it releases the committing
//!    transaction's locks. So A's snapshot contains every append that held
//!    the lock before it: the condition is checked against the complete log
//!    that A then appends to, and nothing can commit in between (everyone
//!    else who writes is waiting for the lock).
//! 3. `head` is read in the same snapshot, under the same lock: positions are
//!    `head + 1 ..= head + n`, consecutive and gap-free; a conflicting or
//!    failed append inserts nothing and consumes nothing (no sequence is
//!    used); commit order equals position order, so any snapshot a reader
//!    takes holds a gap-free prefix of the log.
//!
//! Why not SERIALIZABLE: SSI would also reject the write skew (both read the
//! condition's predicate, both insert), but only by aborting one transaction
//! with a serialization failure that must be retried, with false positives
//! from page-level predicate locks, and gap-free positions would still need
//! every append to serialize on the head. Why an advisory lock and not
//! `LOCK TABLE ... EXCLUSIVE`: a table lock that blocks writers also
//! conflicts with (auto)vacuum's SHARE UPDATE EXCLUSIVE lock; the advisory
//! lock only serializes appends. Readers take no lock at all. Every writer
//! must go through this store (or take the same lock): a bare `INSERT` from
//! elsewhere bypasses it.
//!
//! # The negative control lives outside the engine
//!
//! There is no unsafe mode here. The check-then-insert race that the lock
//! prevents is shown by the simulator's plant
//! [`NonAtomicStore`](crate::sim::plants::NonAtomicStore) wrapped around
//! this engine (with a real-clock [`TokioSleeper`](crate::retry::TokioSleeper)):
//! it checks the condition with a read, then appends with no condition, in
//! two transactions. `sim-tests/engines_postgres.rs`,
//! `sim-tests/store_conformance.rs` (`postgres_non_atomic`) and
//! `sim-tests/stress_engines.rs` force that race and show two appends
//! passing the same condition, and this engine passing the same tests.
//!
//! # Runtime and connections
//!
//! [`PostgresStore::connect`] must run inside a tokio runtime: it captures
//! the runtime's handle and spawns each connection's I/O task on it. The
//! store then keeps a pool of at most [`PgOptions::max_connections`]
//! connections (opened on demand); an append checks one out for its whole
//! transaction. A connection whose transaction was interrupted (the future
//! was dropped, or the connection broke) is discarded, never reused. Calls
//! must be made while that runtime is alive; the store is not usable inside
//! a madsim simulation (its I/O is real). Connections carry
//! `application_name = 'dcb-sim:<schema>'`.
//!
//! # Errors
//!
//! Connection loss and SQLSTATE classes 08 / 40001 / 40P01 / 53300 / 57P0x
//! before the commit are [`StoreError::Unavailable`] with `retryable: true`
//! (nothing was written); a failure *during* `COMMIT` is `retryable: false`
//! and says the outcome is unknown (an ambiguous commit).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Row};

use super::error::StoreError;
use super::memory::validate_append;
use super::query::{AppendCondition, Query, ReadOptions};
use super::traits::EventStore;
use super::types::{Event, Position, SequencedEvent, Tag};

/// Options of [`PostgresStore::connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// The schema holding the store's table: lowercase ASCII letters,
    /// digits and `_`, starting with a letter or `_`, at most 63 bytes.
    pub schema: String,
    /// Most connections the store opens (≥ 1).
    pub max_connections: usize,
    /// Drop the schema (with everything in it) and create it anew: for tests.
    pub recreate: bool,
}

impl Default for PgOptions {
    /// Schema `dcb`, 8 connections, keep existing data.
    fn default() -> Self {
        PgOptions { schema: "dcb".into(), max_connections: 8, recreate: false }
    }
}

impl PgOptions {
    /// Options for a test: a fresh, unique schema named
    /// `<prefix>_<pid>_<n>` (dropped first if a previous run left it).
    pub fn fresh(prefix: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        PgOptions { schema: format!("{prefix}_{}_{n}", std::process::id()), recreate: true, ..Default::default() }
    }

    /// The same options with another pool size.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }
}

/// A DCB store on PostgreSQL. See the [module docs](self).
pub struct PostgresStore {
    config: Config,
    options: PgOptions,
    runtime: tokio::runtime::Handle,
    idle: Mutex<Vec<Client>>,
    permits: Semaphore,
    /// SQL fragments for this store's table.
    table: String,
    lock_sql: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("options", &self.options).finish_non_exhaustive()
    }
}

/// Marks the advisory lock keys of dcb-sim (the high 32 bits).
const LOCK_KEY_PREFIX: i64 = 0x0DCB << 32;

/// Serializes concurrent schema creation in one database.
const DDL_LOCK_KEY: i64 = LOCK_KEY_PREFIX | 0xFFFF_FFFF;

impl PostgresStore {
    /// Connects to `url` (e.g. `postgresql://postgres@127.0.0.1:5432/postgres`),
    /// creates the schema and table if missing, and returns the store.
    /// Must be called inside a tokio runtime (see the module docs).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL or options are invalid or
    /// the server cannot be reached.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let bad = |reason: String| StoreError::Unavailable { retryable: false, reason };
        let config: Config = url.parse().map_err(|e| bad(format!("invalid PostgreSQL URL: {e}")))?;
        validate_schema(&options.schema).map_err(bad)?;
        if options.max_connections == 0 {
            return Err(bad("PgOptions::max_connections must be at least 1".into()));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| bad("PostgresStore::connect must be called inside a tokio runtime".into()))?;
        let schema = format!("\"{}\"", options.schema);
        let table = format!("{schema}.dcb_events");
        let mut store = PostgresStore {
            config,
            permits: Semaphore::new(options.max_connections),
            options,
            runtime,
            idle: Mutex::new(Vec::new()),
            table,
            lock_sql: String::new(),
        };
        let client = store.open().await?;
        let drop_first = if store.options.recreate { format!("DROP SCHEMA IF EXISTS {schema} CASCADE;") } else { String::new() };
        let t = &store.table;
        let ddl = format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock({DDL_LOCK_KEY});
             {drop_first}
             CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {t} (
                 position   bigint PRIMARY KEY,
                 event_type text   NOT NULL,
                 tags       text[] NOT NULL,
                 data       bytea  NOT NULL
             );
             CREATE INDEX IF NOT EXISTS dcb_events_tags ON {t} USING gin (tags) WITH (fastupdate = off);
             CREATE INDEX IF NOT EXISTS dcb_events_type ON {t} (event_type, position);
             COMMIT;"
        );
        client.batch_execute(&ddl).await.map_err(|e| pg_error("create schema", &e, false))?;
        let oid: i64 = client
            .query_one(&format!("SELECT '{t}'::regclass::oid::bigint"), &[])
            .await
            .map_err(|e| pg_error("look up table oid", &e, false))?
            .get(0);
        store.lock_sql = format!("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({});", LOCK_KEY_PREFIX | oid);
        store.lock_idle().push(client);
        Ok(store)
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &PgOptions {
        &self.options
    }

    /// The whole log, ascending.
    ///
    /// # Errors
    /// As [`EventStore::read`].
    pub async fn snapshot(&self) -> Result<Vec<SequencedEvent>, StoreError> {
        self.read(&Query::all(), ReadOptions::default()).await
    }

    /// Opens connections until the pool holds [`PgOptions::max_connections`]
    /// (concurrent callers then start at once instead of waiting for a
    /// connection to be set up: benchmarks and race tests want that).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a connection cannot be opened.
    pub async fn prewarm(&self) -> Result<(), StoreError> {
        let missing = self.options.max_connections.saturating_sub(self.lock_idle().len());
        let mut opened = Vec::with_capacity(missing);
        for _ in 0..missing {
            opened.push(self.open().await?);
        }
        self.lock_idle().extend(opened);
        Ok(())
    }

    /// Deletes every event (`TRUNCATE`, in one transaction holding the
    /// append lock): the log is empty afterwards and the next append lands
    /// at position 1 (positions are `MAX + 1`). For tests that reuse one
    /// schema between runs ([`reusing`](crate::explore::reusing)); not for
    /// production data.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on a database error (nothing deleted).
    pub async fn reset(&self) -> Result<(), StoreError> {
        let mut conn = self.checkout().await?;
        conn.in_transaction = true;
        let sql = format!("{} TRUNCATE {}; COMMIT;", self.lock_sql, self.table);
        conn.client().batch_execute(&sql).await.map_err(|e| pg_error("reset", &e, false))?;
        conn.in_transaction = false;
        Ok(())
    }

    /// Drops the store's schema and everything in it (for tests that clean
    /// up after themselves).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn drop_schema(self) -> Result<(), StoreError> {
        let conn = self.checkout().await?;
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.options.schema);
        conn.client().batch_execute(&sql).await.map_err(|e| pg_error("drop schema", &e, false))
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Client>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn open(&self) -> Result<Client, StoreError> {
        let mut config = self.config.clone();
        // `dcb-sim:<schema>`: operators (and tests) can tell the stores apart
        // in pg_stat_activity.
        config.application_name(format!("dcb-sim:{}", self.options.schema));
        if self.config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // The connection's I/O runs on the store's runtime, so calls may be
        // polled from any task of it.
        let (client, connection) = self
            .runtime
            .spawn(async move { config.connect(NoTls).await })
            .await
            .map_err(|e| StoreError::Unavailable { retryable: true, reason: format!("PostgreSQL connect task failed: {e}") })?
            .map_err(|e| pg_error("connect", &e, false))?;
        self.runtime.spawn(async move {
            // Ends when the client is dropped or the server goes away.
            let _ = connection.await;
        });
        Ok(client)
    }

    async fn checkout(&self) -> Result<Conn<'_>, StoreError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable { retryable: false, reason: "connection pool closed".into() })?;
        let reused = {
            let mut idle = self.lock_idle();
            idle.retain(|c| !c.is_closed());
            idle.pop()
        };
        let client = match reused {
            Some(c) => c,
            None => self.open().await?,
        };
        Ok(Conn { client: Some(client), store: self, in_transaction: false, _permit: permit })
    }

    async fn read_impl(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        query.validate()?;
        options.validate()?;
        if options.limit == Some(0) {
            return Ok(Vec::new());
        }
        let (sql, p) = self.read_sql(query, options);
        let conn = self.checkout().await?;
        let rows = conn.client().query_typed(&sql, &p.refs()).await.map_err(|e| pg_error("read", &e, false))?;
        rows.iter().map(decode).collect()
    }

    /// The SQL and parameters of a (validated) read.
    fn read_sql(&self, query: &Query, options: ReadOptions) -> (String, Params) {
        let mut p = Params::default();
        let mut sql = format!("SELECT position, event_type, tags, data FROM {} WHERE true", self.table);
        if let Some(from) = options.from {
            let op = if options.backwards { "<=" } else { ">=" };
            sql.push_str(&format!(" AND position {op} {}", p.push(to_i64(from), Type::INT8)));
        }
        sql.push_str(&format!(" AND {}", match_sql(query, &mut p)));
        sql.push_str(if options.backwards { " ORDER BY position DESC" } else { " ORDER BY position" });
        if let Some(limit) = options.limit {
            sql.push_str(&format!(" LIMIT {}", p.push(i64::try_from(limit).unwrap_or(i64::MAX), Type::INT8)));
        }
        (sql, p)
    }

    async fn append_impl(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        validate_append(&events, condition.as_ref())?;
        let mut p = Params::default();
        let conflict = match &condition {
            Some(c) => {
                let after = p.push(to_i64(c.after.unwrap_or(0)), Type::INT8);
                let m = match_sql(&c.fail_if_events_match, &mut p);
                format!("SELECT position FROM {} WHERE position > {after} AND {m} ORDER BY position LIMIT 1", self.table)
            }
            None => "SELECT NULL::bigint AS position WHERE false".to_string(),
        };
        let types = p.push(events.iter().map(|e| e.event_type.clone()).collect::<Vec<_>>(), Type::TEXT_ARRAY);
        let tags_json: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(&e.tags.iter().map(Tag::as_str).collect::<Vec<_>>()))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Unavailable { retryable: false, reason: format!("cannot encode tags: {e}") })?;
        let tags = p.push(tags_json, Type::TEXT_ARRAY);
        let data = p.push(events.iter().map(|e| e.data.as_bytes().to_vec()).collect::<Vec<_>>(), Type::BYTEA_ARRAY);
        let t = &self.table;
        let rows = format!("unnest({types}::text[], {tags}::text[], {data}::bytea[]) WITH ORDINALITY AS e(t, tg, d, ord)");
        let values = "e.t, ARRAY(SELECT jsonb_array_elements_text(e.tg::jsonb)), e.d";
        let sql = format!(
            "WITH conflict AS ({conflict}),
                  head AS (SELECT COALESCE(MAX(position), 0) AS h FROM {t}),
                  ins AS (INSERT INTO {t} (position, event_type, tags, data)
                          SELECT head.h + e.ord, {values} FROM head, {rows}
                          WHERE NOT EXISTS (SELECT 1 FROM conflict)
                          RETURNING position)
             SELECT (SELECT position FROM conflict), (SELECT MAX(position) FROM ins)"
        );
        let mut conn = self.checkout().await?;
        // One round trip: the three requests are pipelined (sent in this
        // order, executed by the server one after the other). COMMIT is
        // right in every case: on a conflict the CTE inserted nothing, and
        // if BEGIN/lock or the CTE failed the transaction is aborted and
        // PostgreSQL turns the COMMIT into a ROLLBACK. The lock is held
        // only while the server executes the CTE and the COMMIT, never
        // across a client round trip.
        conn.in_transaction = true;
        let client = conn.client();
        let refs = p.refs();
        let (begin, rows, commit) =
            tokio::join!(client.batch_execute(&self.lock_sql), client.query_typed(&sql, &refs), client.batch_execute("COMMIT"));
        let is_db = |e: &tokio_postgres::Error| e.as_db_error().is_some();
        match (begin, rows, commit) {
            // Committed (or, on a conflict, nothing to commit).
            (Ok(()), Ok(rows), Ok(())) => {
                conn.in_transaction = false;
                append_result(&rows, condition.as_ref())
            }
            // The server answered the COMMIT, so the transaction is over and
            // the earlier error aborted it: nothing was written.
            (Err(e), _, Ok(())) | (Ok(()), Err(e), Ok(())) => {
                conn.in_transaction = false;
                Err(pg_error("append", &e, true))
            }
            // The COMMIT itself failed on the server: nothing was written.
            (_, _, Err(e)) if is_db(&e) => {
                conn.in_transaction = false;
                Err(pg_error("commit", &e, true))
            }
            // The connection failed; if the server had already rejected the
            // transaction (or found a conflict) nothing was written ...
            (Err(e), _, Err(_)) | (_, Err(e), Err(_)) if is_db(&e) => Err(pg_error("append", &e, true)),
            (Ok(()), Ok(rows), Err(_)) if matches!(append_result(&rows, condition.as_ref()), Err(StoreError::ConditionFailed { .. })) => {
                append_result(&rows, condition.as_ref())
            }
            // ... otherwise the COMMIT may or may not have been applied.
            (_, _, Err(e)) => Err(StoreError::Unavailable {
                retryable: false,
                reason: format!("PostgreSQL connection failed during the append, which may or may not be applied: {e}"),
            }),
        }
    }
}

impl EventStore for PostgresStore {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.read_impl(query, options).await
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        self.append_impl(events, condition).await
    }
}

/// A checked-out connection; goes back to the pool on drop unless it is
/// closed or was left inside a transaction.
struct Conn<'a> {
    client: Option<Client>,
    store: &'a PostgresStore,
    in_transaction: bool,
    _permit: SemaphorePermit<'a>,
}

impl Conn<'_> {
    fn client(&self) -> &Client {
        self.client.as_ref().expect("present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && !self.in_transaction
            && !client.is_closed()
        {
            self.store.lock_idle().push(client);
        }
        // Otherwise the client is dropped: the connection closes and the
        // server rolls back whatever transaction it had open.
    }
}

/// Query parameters with their types (`query_typed`: one round trip, no
/// prepared statement).
#[derive(Default)]
struct Params {
    values: Vec<(Box<dyn ToSql + Sync + Send>, Type)>,
}

impl Params {
    /// Adds a parameter and returns its placeholder (`$n`).
    fn push(&mut self, value: impl ToSql + Sync + Send + 'static, ty: Type) -> String {
        self.values.push((Box::new(value), ty));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<(&(dyn ToSql + Sync), Type)> {
        self.values.iter().map(|(v, t)| (v.as_ref() as &(dyn ToSql + Sync), t.clone())).collect()
    }
}

/// The SQL condition for `query` (`true` for [`Query::All`]).
fn match_sql(query: &Query, p: &mut Params) -> String {
    let Query::Items(items) = query else { return "true".into() };
    let parts: Vec<String> = items
        .iter()
        .map(|item| {
            let mut conds = Vec::new();
            if !item.types.is_empty() {
                conds.push(format!("event_type = ANY({})", p.push(item.types.clone(), Type::TEXT_ARRAY)));
            }
            if !item.tags.is_empty() {
                let tags: Vec<String> = item.tags.iter().map(|t| t.as_str().to_string()).collect();
                conds.push(format!("tags @> {}::text[]", p.push(tags, Type::TEXT_ARRAY)));
            }
            format!("({})", conds.join(" AND "))
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

fn append_result(rows: &[Row], condition: Option<&AppendCondition>) -> Result<Position, StoreError> {
    let row = rows.first().ok_or_else(|| StoreError::Unavailable { retryable: false, reason: "append returned no row".into() })?;
    let conflicting: Option<i64> = row.get(0);
    let last: Option<i64> = row.get(1);
    match (conflicting, last) {
        (Some(c), _) => Err(StoreError::ConditionFailed { conflicting: Some(c as Position), after: condition.and_then(|c| c.after) }),
        (None, Some(last)) => Ok(last as Position),
        (None, None) => Err(StoreError::Unavailable { retryable: false, reason: "append inserted nothing and found no conflict".into() }),
    }
}

fn decode(row: &Row) -> Result<SequencedEvent, StoreError> {
    let position: i64 = row.get(0);
    let event_type: String = row.get(1);
    let tags: Vec<String> = row.get(2);
    let data: Vec<u8> = row.get(3);
    let data = String::from_utf8(data).map_err(|e| StoreError::Unavailable {
        retryable: false,
        reason: format!("corrupt event at position {position}: data is not UTF-8: {e}"),
    })?;
    let event = Event { event_type, tags: tags.into_iter().map(Tag).collect(), data };
    Ok(SequencedEvent { position: position as Position, event: Arc::new(event) })
}

/// Positions are `u64`, PostgreSQL's `bigint` is `i64`: bounds above
/// `i64::MAX` (e.g. `from: u64::MAX`) are clamped, which selects the same events.
fn to_i64(p: Position) -> i64 {
    i64::try_from(p).unwrap_or(i64::MAX)
}

fn validate_schema(schema: &str) -> Result<(), String> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!("invalid schema name {schema:?}: use lowercase ASCII letters, digits and _, starting with a letter or _, at most 63 bytes"))
    }
}

/// Maps a driver error. `before_commit`: nothing can have been written, so
/// transient errors are retryable.
fn pg_error(what: &str, e: &tokio_postgres::Error, before_commit: bool) -> StoreError {
    let transient = match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || matches!(c, "40001" | "40P01" | "53300" | "57P01" | "57P02" | "57P03")
        }
        None => e.is_closed() || e.as_db_error().is_none(),
    };
    let detail = match e.as_db_error() {
        Some(db) => format!("{db} (SQLSTATE {})", db.code().code()),
        None => e.to_string(),
    };
    StoreError::Unavailable { retryable: before_commit && transient, reason: format!("PostgreSQL {what}: {detail}") }
}

/// The PostgreSQL URL for tests, from `DCB_PG_URL`.
///
/// Without it, outside CI, prints `SKIPPED: DCB_PG_URL not set (start one
/// with scripts/pg-throwaway.sh)` naming `test` and returns `None` (the
/// caller returns early, so the test passes as skipped). When `CI` is set
/// (to anything but empty, `0` or `false`) a missing URL **panics**: in CI
/// the PostgreSQL tests must run, never pass silently.
///
/// # Panics
/// In CI without `DCB_PG_URL`.
pub fn test_url(test: &str) -> Option<String> {
    if let Ok(url) = std::env::var("DCB_PG_URL")
        && !url.trim().is_empty()
    {
        return Some(url);
    }
    let ci = std::env::var("CI").map(|v| !matches!(v.trim(), "" | "0" | "false")).unwrap_or(false);
    assert!(
        !ci,
        "{test}: DCB_PG_URL is not set but CI is: the PostgreSQL tests must run in CI. \
         Start a server with `eval \"$(scripts/pg-throwaway.sh start)\"` (as .ci/run does)"
    );
    eprintln!("SKIPPED: DCB_PG_URL not set (start one with scripts/pg-throwaway.sh) [{test}]");
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::QueryItem;

    /// On a log of 30,000 events over 1,000 tags, a query by tag (with or
    /// without a type, alone or OR-ed) is answered through the GIN index,
    /// never by a sequential scan of the log. Needs `DCB_PG_URL`.
    #[test]
    fn tag_queries_use_the_gin_index() {
        let Some(url) = test_url("store::postgres::tests::tag_queries_use_the_gin_index") else { return };
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        rt.block_on(async {
            let store = PostgresStore::connect(&url, PgOptions::fresh("dcb_unit")).await.expect("connect");
            let events: Vec<Event> = (0..30_000).map(|i| Event::new("A", [format!("k:{}", i % 1000), "all".into()], "{}").expect("valid")).collect();
            store.append(events, None).await.expect("append");
            let conn = store.checkout().await.expect("connection");
            conn.client().batch_execute(&format!("ANALYZE {}", store.table)).await.expect("analyze");
            let queries = [
                Query::from_item(QueryItem::new().tags(["k:3"])).expect("valid"),
                Query::from_item(QueryItem::new().types(["A", "B"]).tags(["k:3", "all"])).expect("valid"),
                Query::from_items(vec![QueryItem::new().tags(["k:3"]), QueryItem::new().types(["B"]).tags(["k:4"])]).expect("valid"),
            ];
            for q in &queries {
                for options in [ReadOptions::default(), ReadOptions { from: Some(50), ..Default::default() }] {
                    let (sql, p) = store.read_sql(q, options);
                    let plan: Vec<String> = conn
                        .client()
                        .query_typed(&format!("EXPLAIN {sql}"), &p.refs())
                        .await
                        .expect("explain")
                        .iter()
                        .map(|r| r.get(0))
                        .collect();
                    let plan = plan.join("\n");
                    assert!(!plan.contains("Seq Scan"), "query {q:?} scans the log:\n{plan}");
                    assert!(plan.contains("dcb_events_tags"), "query {q:?} does not use the GIN index:\n{plan}");
                }
            }
            drop(conn);
            store.drop_schema().await.expect("drop schema");
        });
    }
}
