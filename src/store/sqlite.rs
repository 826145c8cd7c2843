//! [`SqliteStore`]: the embedded durable DCB engine (SQLite through
//! `rusqlite`, with SQLite compiled in: nothing to install).
//!
//! # Schema (version 1, `PRAGMA user_version = 1`)
//!
//! ```sql
//! CREATE TABLE dcb_events (
//!     position   INTEGER PRIMARY KEY,  -- the rowid; assigned as MAX + 1 by the append
//!     event_type TEXT NOT NULL,
//!     tags       TEXT NOT NULL,        -- JSON array of the event's tags, for reads
//!     data       BLOB NOT NULL         -- the payload's UTF-8 bytes
//! );
//! CREATE INDEX dcb_events_type ON dcb_events (event_type, position);
//! CREATE TABLE dcb_event_tags (         -- one row per (tag, event): the tag index
//!     tag      TEXT NOT NULL,
//!     position INTEGER NOT NULL,
//!     PRIMARY KEY (tag, position)
//! ) WITHOUT ROWID;
//! ```
//!
//! A query item with tags is answered from `dcb_event_tags` (one index range
//! per tag, intersected, joined to `dcb_events` by rowid for the type), an
//! item with only types from `dcb_events_type`; items are OR-ed with
//! `UNION`. So a query by tag reads the index entries of its tags and the
//! matching rows, never the whole log (a unit test pins the query plan).
//!
//! # Why an append cannot interleave with another writer
//!
//! An append runs as **one** transaction opened with `BEGIN IMMEDIATE`:
//!
//! 1. `BEGIN IMMEDIATE` takes SQLite's write lock (the RESERVED lock; in WAL
//!    mode the WAL write lock) *before* anything is read. Only one
//!    connection in any process can hold it; the others wait (the busy
//!    timeout, 5 s) or get `SQLITE_BUSY`.
//! 2. Holding it, the append reads the latest committed log: the condition
//!    check (`SELECT MIN(position) ... WHERE position > after AND <query>`)
//!    and the head (`SELECT MAX(position)`).
//! 3. It inserts the events at `head + 1 ..= head + n` and commits, which
//!    releases the lock.
//!
//! Since no other writer can commit between 2 and 3, the check is made on
//! exactly the log the events are appended to: two appends can never both
//! pass the same condition. A *deferred* transaction (`BEGIN`) would not do:
//! two connections could both read, both pass the check, and then one
//! upgrade to a writer after the other committed (SQLite would answer
//! `SQLITE_BUSY_SNAPSHOT` in WAL mode, but in rollback-journal mode the
//! second could deadlock-wait; `IMMEDIATE` avoids both by ordering the lock
//! before the read). Within one handle, calls are serialized by a mutex
//! around its connection; handles on the same file in one process also
//! share a write gate (a mutex taken before `BEGIN IMMEDIATE`), only so
//! that they queue on it rather than in SQLite's sleeping busy handler:
//! the argument above does not rely on it, and other processes are kept
//! out by SQLite's lock alone.
//!
//! Positions are gap-free: they are `MAX(position) + 1` computed under the
//! write lock, not an `AUTOINCREMENT` counter, and a failed or rolled-back
//! append inserts nothing, so it consumes nothing.
//!
//! # Crash safety
//!
//! A file store runs in WAL mode with `synchronous = FULL`: SQLite's atomic
//! commit makes each append all-or-nothing after a crash (a kill -9 or a
//! power loss: frames of an uncommitted transaction are ignored when the WAL
//! is recovered), and an append that returned `Ok` is on disk.
//! `sim-tests/engines_sqlite.rs` kills a child process in the middle of a
//! stream of multi-event appends, several times, and checks that the
//! reopened file holds only whole appends, gap-free, including every append
//! the child reported as done.
//!
//! # Threads and async
//!
//! `rusqlite::Connection` is `Send` but not `Sync`; a handle keeps one
//! connection behind a `std::sync::Mutex` and never holds the guard across
//! an `.await` (the calls are synchronous inside the `async fn`s), so the
//! futures are `Send`. A call blocks its thread for one SQLite transaction:
//! on tokio use a multi-thread runtime (or `spawn_blocking`). For
//! concurrency across threads, give each thread its own handle with
//! [`SqliteStore::open_another`] (file stores): they contend on SQLite's own
//! lock, as separate processes would. A `:memory:` store is one database per
//! handle; share it with an `Arc`.
//!
//! # In the simulator
//!
//! The engine makes no `.await` and takes no wall-clock time into account,
//! so on a `:memory:` database it is deterministic and runs unchanged inside
//! a madsim simulation (see [`SqliteStore`]'s `*_now` methods, which mirror
//! [`MemoryStore`](super::MemoryStore)'s API for the simulator's planted
//! stores). What the simulation exercises is the engine's SQL: the query
//! translation, the condition check, position assignment and the encoding
//! of events. What it cannot see: contention between *connections* (a
//! simulated run shares one connection, so `BEGIN IMMEDIATE` never waits),
//! `SQLITE_BUSY` and the busy timeout, fsync and crash recovery, file
//! locking across processes, and real latency (the simulator adds its own
//! latency around each call instead). Those are covered by the real-thread
//! stress tests and the crash test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params_from_iter};

use super::error::StoreError;
use super::memory::validate_append;
use super::query::{AppendCondition, Query, QueryItem, ReadOptions};
use super::traits::EventStore;
use super::types::{Event, Position, SequencedEvent, Tag};

/// The schema version this code writes and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// How long a writer waits for another connection's write lock before the
/// call fails with a retryable [`StoreError::Unavailable`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dcb_events (
    position   INTEGER PRIMARY KEY,
    event_type TEXT NOT NULL,
    tags       TEXT NOT NULL,
    data       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dcb_events_type ON dcb_events (event_type, position);
CREATE TABLE IF NOT EXISTS dcb_event_tags (
    tag      TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tag, position)
) WITHOUT ROWID;
";

/// A durable DCB store on SQLite. See the [module docs](self) for the
/// schema, why appends are safe, crash safety and threading.
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// use dcb_sim::store::{AppendCondition, Event, EventStore, Query, QueryItem, ReadOptions, SqliteStore, StoreError};
/// let store = SqliteStore::open_in_memory()?;
/// let query = Query::from_item(QueryItem::new().tags(["course:c1"]))?;
/// let event = Event::new("CourseCreated", ["course:c1"], "{}")?;
/// let condition = AppendCondition::new(query.clone(), None);
/// assert_eq!(store.append(vec![event.clone()], Some(condition.clone())).await?, 1);
/// let err = store.append(vec![event], Some(condition)).await.unwrap_err();
/// assert_eq!(err, StoreError::ConditionFailed { conflicting: Some(1), after: None });
/// assert_eq!(store.read(&query, ReadOptions::default()).await?.len(), 1);
/// # Ok::<(), StoreError>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// Shared by every handle on the same file in this process: writers
    /// queue here instead of in SQLite's busy handler, which sleeps in
    /// steps of up to 100 ms and makes 16 writers 5× slower than one.
    /// Correctness does not depend on it (other processes only have
    /// SQLite's lock); see "Why an append cannot interleave".
    write_gate: Arc<Mutex<()>>,
}

/// The write gate of each open file (by canonical path) in this process.
fn write_gate(path: Option<&Path>) -> Arc<Mutex<()>> {
    static GATES: Mutex<BTreeMap<PathBuf, Weak<Mutex<()>>>> = Mutex::new(BTreeMap::new());
    let Some(path) = path else { return Arc::new(Mutex::new(())) };
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut gates = GATES.lock().unwrap_or_else(|p| p.into_inner());
    gates.retain(|_, g| g.strong_count() > 0);
    if let Some(gate) = gates.get(&key).and_then(Weak::upgrade) {
        return gate;
    }
    let gate = Arc::new(Mutex::new(()));
    gates.insert(key, Arc::downgrade(&gate));
    gate
}

impl SqliteStore {
    /// Opens (creating if needed) the store in the file at `path`, in WAL
    /// mode with `synchronous = FULL`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened, is not a
    /// dcb-sim SQLite store, or has another schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| unavailable("open", &e))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| unavailable("set busy timeout", &e))?;
        // WAL: readers never block the writer and vice versa; FULL: a commit
        // is on disk before `append` returns (also across a power loss).
        let mode: String =
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(|e| unavailable("enable WAL", &e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable { retryable: false, reason: format!("SQLite refused WAL mode (journal_mode = {mode})") });
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(|e| unavailable("set synchronous", &e))?;
        Self::init(conn, Some(path))
    }

    /// A fresh store in memory (one database per handle; gone when dropped).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|e| unavailable("open :memory:", &e))?;
        Self::init(conn, None)
    }

    /// Another handle (its own connection) on the same file, for another
    /// thread: handles contend on SQLite's lock, not on a mutex.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`]-like [`StoreError::Unavailable`] for an
    /// in-memory store (a new connection would see another, empty database);
    /// otherwise as [`SqliteStore::open`].
    pub fn open_another(&self) -> Result<Self, StoreError> {
        match &self.path {
            Some(path) => Self::open(path),
            None => Err(StoreError::Unavailable {
                retryable: false,
                reason: "an in-memory SQLite store has one connection; share the handle (Arc) instead of opening another".into(),
            }),
        }
    }

    /// The file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        conn.set_prepared_statement_cache_capacity(64);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| unavailable("begin schema", &e))?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| unavailable("read schema version", &e))?;
        let tables: i64 = tx
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))
            .map_err(|e| unavailable("inspect schema", &e))?;
        match version {
            0 if tables == 0 => {
                tx.execute_batch(SCHEMA).map_err(|e| unavailable("create schema", &e))?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(|e| unavailable("set schema version", &e))?;
            }
            SCHEMA_VERSION => {}
            other => {
                return Err(StoreError::Unavailable {
                    retryable: false,
                    reason: format!(
                        "{} is not a dcb-sim SQLite store of schema version {SCHEMA_VERSION} (user_version = {other}, {tables} tables); use another file",
                        path.as_deref().map_or(":memory:".into(), |p| p.display().to_string())
                    ),
                });
            }
        }
        tx.commit().map_err(|e| unavailable("commit schema", &e))?;
        let write_gate = write_gate(path.as_deref());
        Ok(SqliteStore { conn: Mutex::new(conn), path, write_gate })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the guard unwinds through the open
        // transaction's Drop, which rolls it back: the connection is clean.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The whole log, ascending.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on a database error.
    pub fn snapshot(&self) -> Result<Vec<SequencedEvent>, StoreError> {
        self.read_now(&Query::all(), ReadOptions::default())
    }

    /// The position of the last event (0 when empty).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on a database error.
    pub fn head(&self) -> Result<Position, StoreError> {
        head(&self.lock())
    }

    /// Deletes every event, in one `BEGIN IMMEDIATE` transaction: the log
    /// is empty afterwards and the next append lands at position 1
    /// (positions are `MAX + 1`). For tests that reuse one file between
    /// runs (`dcb_sim::explore::reusing`, feature `tokio`); not for production data.
    ///
    /// ```
    /// # madsim::runtime::Runtime::new().block_on(async {
    /// use dcb_sim::store::{Event, EventStore, SqliteStore, StoreError};
    /// let store = SqliteStore::open_in_memory()?;
    /// store.append(vec![Event::new("A", ["k:1"], "")?], None).await?;
    /// store.reset()?;
    /// assert!(store.snapshot()?.is_empty());
    /// assert_eq!(store.append(vec![Event::new("B", ["k:1"], "")?], None).await?, 1);
    /// # Ok::<(), StoreError>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on a database error (nothing deleted).
    pub fn reset(&self) -> Result<(), StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|p| p.into_inner());
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| unavailable("begin reset", &e))?;
        tx.execute_batch("DELETE FROM dcb_event_tags; DELETE FROM dcb_events;").map_err(|e| unavailable("reset", &e))?;
        tx.commit().map_err(|e| unavailable("commit reset", &e))
    }

    /// Synchronous read (the async trait method delegates here).
    ///
    /// # Errors
    /// As [`EventStore::read`].
    pub fn read_now(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        query.validate()?;
        options.validate()?;
        if options.limit == Some(0) {
            return Ok(Vec::new());
        }
        let (sql, params) = read_sql(query, options);
        let conn = self.lock();
        select_events(&conn, &sql, params)
    }

    /// Synchronous append (the async trait method delegates here): one
    /// `BEGIN IMMEDIATE` transaction that checks `condition` and inserts.
    ///
    /// # Errors
    /// As [`EventStore::append`]; [`StoreError::Unavailable`] (retryable)
    /// when another connection held the write lock for [`BUSY_TIMEOUT`].
    pub fn append_now(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        validate_append(&events, condition.as_ref())?;
        self.write(events, |conn| match &condition {
            Some(c) => check(conn, c),
            None => Ok(()),
        })
    }

    /// One write transaction: lock, `check`, insert at `head + 1 ..`, commit.
    fn write(&self, events: Vec<Event>, check: impl FnOnce(&Connection) -> Result<(), StoreError>) -> Result<Position, StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|p| p.into_inner());
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| unavailable("begin immediate", &e))?;
        // On any early return `tx` is dropped, which rolls back.
        check(&tx)?;
        let mut position = head(&tx)?;
        {
            let mut insert_event = tx
                .prepare_cached("INSERT INTO dcb_events (position, event_type, tags, data) VALUES (?1, ?2, ?3, ?4)")
                .map_err(|e| unavailable("prepare insert", &e))?;
            let mut insert_tag = tx
                .prepare_cached("INSERT INTO dcb_event_tags (tag, position) VALUES (?1, ?2)")
                .map_err(|e| unavailable("prepare insert tag", &e))?;
            for event in &events {
                position += 1;
                let p = to_i64(position);
                let tags = serde_json::to_string(&event.tags.iter().map(Tag::as_str).collect::<Vec<_>>())
                    .map_err(|e| StoreError::Unavailable { retryable: false, reason: format!("cannot encode tags: {e}") })?;
                insert_event
                    .execute((p, event.event_type.as_str(), tags, event.data.as_bytes()))
                    .map_err(|e| unavailable("insert event", &e))?;
                for tag in &event.tags {
                    insert_tag.execute((tag.as_str(), p)).map_err(|e| unavailable("insert tag", &e))?;
                }
            }
        }
        tx.commit().map_err(|e| StoreError::Unavailable {
            retryable: false,
            reason: format!("SQLite commit failed, the append may or may not be applied: {e}"),
        })?;
        Ok(position)
    }
}

impl EventStore for SqliteStore {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.read_now(query, options)
    }

    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        self.append_now(events, condition)
    }
}

/// Positions are `u64`; SQLite integers are `i64`. Real positions never
/// reach `i64::MAX`; bounds above it (e.g. `from: u64::MAX`) are clamped,
/// which selects the same events.
fn to_i64(p: Position) -> i64 {
    i64::try_from(p).unwrap_or(i64::MAX)
}

fn unavailable(what: &str, e: &rusqlite::Error) -> StoreError {
    let busy = matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked));
    StoreError::Unavailable { retryable: busy, reason: format!("SQLite {what}: {e}") }
}

fn head(conn: &Connection) -> Result<Position, StoreError> {
    let h: i64 = conn
        .query_row("SELECT COALESCE(MAX(position), 0) FROM dcb_events", [], |r| r.get(0))
        .map_err(|e| unavailable("read head", &e))?;
    Ok(h as Position)
}

/// The SQL and parameters of a (validated) read.
fn read_sql(query: &Query, options: ReadOptions) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let mut sql = String::from("SELECT position, event_type, tags, data FROM dcb_events WHERE 1");
    let bound = options.from.map(|f| (if options.backwards { "<=" } else { ">=" }, to_i64(f)));
    if let Some((op, p)) = bound {
        sql.push_str(&format!(" AND position {op} ?"));
        params.push(Value::Integer(p));
    }
    if let Some(m) = match_sql(query, bound, &mut params) {
        sql.push_str(" AND position IN (");
        sql.push_str(&m);
        sql.push(')');
    }
    sql.push_str(if options.backwards { " ORDER BY position DESC" } else { " ORDER BY position" });
    if let Some(limit) = options.limit {
        sql.push_str(" LIMIT ?");
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    }
    (sql, params)
}

fn check(conn: &Connection, condition: &AppendCondition) -> Result<(), StoreError> {
    let after = to_i64(condition.after.unwrap_or(0));
    let mut params = vec![Value::Integer(after)];
    let mut sql = String::from("SELECT MIN(position) FROM dcb_events WHERE position > ?");
    if let Some(m) = match_sql(&condition.fail_if_events_match, Some((">", after)), &mut params) {
        sql.push_str(" AND position IN (");
        sql.push_str(&m);
        sql.push(')');
    }
    let mut stmt = conn.prepare_cached(&sql).map_err(|e| unavailable("prepare check", &e))?;
    let first: Option<i64> = stmt.query_row(params_from_iter(params), |r| r.get(0)).map_err(|e| unavailable("check condition", &e))?;
    match first {
        Some(p) => Err(StoreError::ConditionFailed { conflicting: Some(p as Position), after: condition.after }),
        None => Ok(()),
    }
}

/// A `SELECT position ...` (possibly a compound select) of the positions
/// matching `query`, or `None` for [`Query::All`]. `bound` (`op`, position)
/// is pushed into every index range so only the relevant part is read.
fn match_sql(query: &Query, bound: Option<(&str, i64)>, params: &mut Vec<Value>) -> Option<String> {
    let Query::Items(items) = query else { return None };
    let parts: Vec<String> = items.iter().map(|item| item_sql(item, bound, params)).collect();
    Some(if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        // INTERSECT and UNION have equal precedence in SQLite: wrap each item.
        parts.iter().map(|p| format!("SELECT position FROM ({p})")).collect::<Vec<_>>().join(" UNION ")
    })
}

fn item_sql(item: &QueryItem, bound: Option<(&str, i64)>, params: &mut Vec<Value>) -> String {
    let bound_sql = |col: &str, params: &mut Vec<Value>| match bound {
        Some((op, p)) => {
            params.push(Value::Integer(p));
            format!(" AND {col} {op} ?")
        }
        None => String::new(),
    };
    let types_in = |params: &mut Vec<Value>, col: &str| {
        params.extend(item.types.iter().map(|t| Value::Text(t.clone())));
        format!("{col} IN ({})", vec!["?"; item.types.len()].join(", "))
    };
    // Dedup tags: the same tag twice is the same constraint.
    let tags: BTreeSet<&str> = item.tags.iter().map(Tag::as_str).collect();
    if tags.is_empty() {
        let mut sql = format!("SELECT position FROM dcb_events WHERE {}", types_in(params, "event_type"));
        sql.push_str(&bound_sql("position", params));
        return sql;
    }
    let mut parts = Vec::with_capacity(tags.len());
    for (i, tag) in tags.into_iter().enumerate() {
        let mut part = if i == 0 && !item.types.is_empty() {
            // The first tag drives; the type is checked on the joined row.
            params.push(Value::Text(tag.to_string()));
            let types = types_in(params, "e.event_type");
            format!("SELECT t.position FROM dcb_event_tags t JOIN dcb_events e ON e.position = t.position WHERE t.tag = ? AND {types}")
        } else {
            params.push(Value::Text(tag.to_string()));
            "SELECT t.position FROM dcb_event_tags t WHERE t.tag = ?".to_string()
        };
        part.push_str(&bound_sql("t.position", params));
        parts.push(part);
    }
    parts.join(" INTERSECT ")
}

fn select_events(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<SequencedEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(|e| unavailable("prepare read", &e))?;
    let rows = stmt
        .query_map(params_from_iter(params), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Vec<u8>>(3)?))
        })
        .map_err(|e| unavailable("read", &e))?;
    let mut out = Vec::new();
    for row in rows {
        let (position, event_type, tags, data) = row.map_err(|e| unavailable("read row", &e))?;
        out.push(decode(position, event_type, &tags, data)?);
    }
    Ok(out)
}

fn decode(position: i64, event_type: String, tags: &str, data: Vec<u8>) -> Result<SequencedEvent, StoreError> {
    let corrupt = |what: String| StoreError::Unavailable { retryable: false, reason: format!("corrupt event at position {position}: {what}") };
    let tags: Vec<String> = serde_json::from_str(tags).map_err(|e| corrupt(format!("tags column: {e}")))?;
    let data = String::from_utf8(data).map_err(|e| corrupt(format!("data is not UTF-8: {e}")))?;
    let event = Event { event_type, tags: tags.into_iter().map(Tag).collect(), data };
    Ok(SequencedEvent { position: position as Position, event: Arc::new(event) })
}

#[cfg(test)]
#[path = "sqlite_mutant_tests.rs"]
mod mutant_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: &str, tags: &[&str]) -> Event {
        Event::new(t, tags.iter().copied(), "{}").unwrap()
    }

    fn plan(store: &SqliteStore, query: &Query, options: ReadOptions) -> String {
        let (sql, params) = read_sql(query, options);
        let conn = store.lock();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map(params_from_iter(params), |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    /// A query by tag (with or without a type) is answered from the tag
    /// index and rowid lookups: the plan never scans `dcb_events`.
    #[test]
    fn tag_queries_use_the_tag_index() {
        let store = SqliteStore::open_in_memory().unwrap();
        for i in 0..200 {
            store.append_now(vec![ev("A", &[&format!("k:{}", i % 20), "all"])], None).unwrap();
        }
        let queries = [
            Query::from_item(QueryItem::new().tags(["k:3"])).unwrap(),
            Query::from_item(QueryItem::new().types(["A", "B"]).tags(["k:3", "all"])).unwrap(),
            Query::from_items(vec![QueryItem::new().tags(["k:3"]), QueryItem::new().types(["B"]).tags(["k:4"])]).unwrap(),
        ];
        for q in &queries {
            for options in [ReadOptions::default(), ReadOptions { from: Some(50), ..Default::default() }] {
                let p = plan(&store, q, options);
                assert!(!p.contains("SCAN dcb_events"), "query {q:?} scans the log:\n{p}");
                assert!(!p.contains("SCAN t"), "query {q:?} scans the tag index:\n{p}");
                assert!(p.contains("USING PRIMARY KEY (tag=?"), "query {q:?} does not use the tag index:\n{p}");
                if std::env::var_os("DCB_SHOW_PLANS").is_some() {
                    eprintln!("{q:?} {options:?}\n{p}\n");
                }
            }
        }
        // And the answers are right.
        assert_eq!(store.read_now(&queries[0], ReadOptions::default()).unwrap().len(), 10);
    }

    #[test]
    fn reopening_a_file_keeps_the_log_and_rejects_foreign_files() {
        let dir = std::env::temp_dir().join(format!("dcb-sqlite-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reopen.db");
        let _ = std::fs::remove_file(&path);
        {
            let store = SqliteStore::open(&path).unwrap();
            assert_eq!(store.append_now(vec![ev("A", &["x"]), ev("B", &[])], None), Ok(2));
            let other = store.open_another().unwrap();
            assert_eq!(other.append_now(vec![ev("C", &["x"])], None), Ok(3));
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.head(), Ok(3));
        assert_eq!(store.snapshot().unwrap().iter().map(|e| e.event.event_type.as_str()).collect::<Vec<_>>(), ["A", "B", "C"]);

        let foreign = dir.join("foreign.db");
        let _ = std::fs::remove_file(&foreign);
        Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        let err = SqliteStore::open(&foreign).unwrap_err();
        assert!(err.to_string().contains("not a dcb-sim SQLite store"), "{err}");
        assert!(SqliteStore::open_in_memory().unwrap().open_another().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn payloads_round_trip_bytes_exactly() {
        let store = SqliteStore::open_in_memory().unwrap();
        let data = "nul \0 tab \t unicode ✓ quote ' \" backslash \\";
        let e = Event::new("T", ["a:1", "b:\"q\""], data).unwrap();
        store.append_now(vec![e.clone()], None).unwrap();
        assert_eq!(*store.snapshot().unwrap()[0].event, e);
    }
}
