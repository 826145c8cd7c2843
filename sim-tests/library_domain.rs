//! Library domain, end to end: each of the six handlers runs through
//! `library::handler(store, RuntimeSleeper::new())` on a madsim runtime, and
//! every step checks the outcome and the exact events it appended (a
//! rejection appends exactly its `...Failed` event; an idempotent command
//! appends nothing). Then two readers race for one copy on spawned tasks:
//! exactly one lends it, the other is rejected "book is already lent"
//! (directly, or after a conflict and a retry).
//!
//! Run: `cargo test --test sim -- library_domain::` (needs `--cfg madsim`, set in
//! `.cargo/config.toml`).

use std::sync::Arc;

use dcb_sim::domain::library::{self, FailureReason, LibraryCommand, LibraryDecider, LibraryEvent, queries};
use dcb_sim::handler::{AppendRecord, CommandHandler, DecisionRecord, HandleReport, Outcome};
use dcb_sim::retry::{NoopObserver, RuntimeSleeper};
use dcb_sim::sim::Latency;
use dcb_sim::store::{EventStore, MemoryStore, SequencedEvent};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------------------
// Fixtures

/// Random virtual latency before and after every call (1–3 ms), so two
/// handlers on one store interleave differently per seed.
struct LatencyStore<S> {
    inner: S,
    latency: Latency,
    rng: std::sync::Mutex<ChaCha8Rng>,
}

impl<S> LatencyStore<S> {
    fn new(inner: S, latency: Latency, rng: ChaCha8Rng) -> Self {
        LatencyStore { inner, latency, rng: std::sync::Mutex::new(rng) }
    }
    fn inner(&self) -> &S {
        &self.inner
    }
    async fn pause(&self) {
        use rand::RngExt;
        let (lo, hi) = (self.latency.read_min.as_nanos() as u64, self.latency.read_max.as_nanos() as u64);
        let d = self.rng.lock().unwrap().random_range(lo..=hi);
        madsim::time::sleep(std::time::Duration::from_nanos(d)).await;
    }
}

impl<S: EventStore> EventStore for LatencyStore<S> {
    async fn read(&self, query: &dcb_sim::store::Query, options: dcb_sim::store::ReadOptions) -> Result<Vec<SequencedEvent>, dcb_sim::store::StoreError> {
        self.pause().await;
        let r = self.inner.read(query, options).await;
        self.pause().await;
        r
    }
    async fn append(&self, events: Vec<dcb_sim::store::Event>, condition: Option<dcb_sim::store::AppendCondition>) -> Result<u64, dcb_sim::store::StoreError> {
        self.pause().await;
        let r = self.inner.append(events, condition).await;
        self.pause().await;
        r
    }
}

fn sim<F: Future>(f: impl FnOnce() -> F) -> F::Output {
    madsim::runtime::Runtime::new().block_on(f())
}

fn add(b: &str) -> LibraryCommand {
    LibraryCommand::AddBookCopy { book: b.into(), title: format!("Title of {b}") }
}
fn remove(b: &str) -> LibraryCommand {
    LibraryCommand::RemoveBookCopy { book: b.into() }
}
fn register(r: &str) -> LibraryCommand {
    LibraryCommand::RegisterReader { reader: r.into(), name: format!("Name of {r}") }
}
fn cancel(r: &str) -> LibraryCommand {
    LibraryCommand::CancelReaderContract { reader: r.into() }
}
fn lend(b: &str, r: &str) -> LibraryCommand {
    LibraryCommand::LendBookCopy { book: b.into(), reader: r.into() }
}
fn ret(b: &str, r: &str) -> LibraryCommand {
    LibraryCommand::ReturnBookCopy { book: b.into(), reader: r.into() }
}

fn added(b: &str) -> LibraryEvent {
    LibraryEvent::BookCopyAddedToCirculation { book: b.into(), title: format!("Title of {b}") }
}
fn registered(r: &str) -> LibraryEvent {
    LibraryEvent::ReaderRegistered { reader: r.into(), name: format!("Name of {r}") }
}
fn lent(b: &str, r: &str) -> LibraryEvent {
    LibraryEvent::BookCopyLentToReader { book: b.into(), reader: r.into() }
}
fn returned(b: &str, r: &str) -> LibraryEvent {
    LibraryEvent::BookCopyReturnedByReader { book: b.into(), reader: r.into() }
}
fn lend_failed(b: &str, r: &str, reason: FailureReason) -> LibraryEvent {
    LibraryEvent::LendingBookToReaderFailed { book: b.into(), reader: r.into(), reason }
}
fn return_failed(b: &str, r: &str, reason: FailureReason) -> LibraryEvent {
    LibraryEvent::ReturningBookFromReaderFailed { book: b.into(), reader: r.into(), reason }
}
fn remove_failed(b: &str, reason: FailureReason) -> LibraryEvent {
    LibraryEvent::RemovingBookFromCirculationFailed { book: b.into(), reason }
}
fn cancel_failed(r: &str, reason: FailureReason) -> LibraryEvent {
    LibraryEvent::CancelingReaderContractFailed { reader: r.into(), reason }
}

fn decode(log: &[SequencedEvent]) -> Vec<LibraryEvent> {
    log.iter().map(|e| LibraryEvent::from_event(&e.event).expect("only library events in the log")).collect()
}

/// A library handler on a fresh [`MemoryStore`], run one command at a time.
struct Lib {
    handler: CommandHandler<LibraryDecider, MemoryStore, RuntimeSleeper>,
    rng: ChaCha8Rng,
}

impl Lib {
    /// Must be called inside a madsim runtime.
    fn new() -> Self {
        Lib { handler: library::handler(MemoryStore::new(), RuntimeSleeper::new()), rng: dcb_sim::rng::seeded(7) }
    }

    fn log(&self) -> Vec<LibraryEvent> {
        decode(&self.handler.store().snapshot())
    }

    /// Runs `c` and checks its outcome and exactly the events it appended.
    /// Commands run one at a time, so each takes exactly one attempt.
    async fn expect(&mut self, c: LibraryCommand, outcome: Outcome, appended: &[LibraryEvent]) -> HandleReport {
        let before = self.handler.store().head() as usize;
        let report = self.handler.handle(&c, &mut self.rng, &mut NoopObserver).await;
        assert_eq!(report.outcome, outcome, "{c}");
        assert_eq!(&self.log()[before..], appended, "events appended by {c}");
        assert_eq!(report.attempts.len(), 1, "{c}: no conflicts when run alone");
        report
    }

    async fn ok(&mut self, c: LibraryCommand, event: LibraryEvent) -> &mut Self {
        self.expect(c, Outcome::Succeeded, &[event]).await;
        self
    }

    async fn idempotent(&mut self, c: LibraryCommand) -> &mut Self {
        self.expect(c, Outcome::Idempotent, &[]).await;
        self
    }

    /// Expects a rejection with exactly `reason` that appended exactly `failed`.
    async fn reject(&mut self, c: LibraryCommand, reason: &str, failed: LibraryEvent) -> &mut Self {
        assert_eq!(failed.business_error().as_deref(), Some(reason), "fixture: the failure event matches the reason");
        let report = self.expect(c, Outcome::Rejected { reason: reason.into() }, &[failed]).await;
        let attempt = &report.attempts[0];
        assert_eq!(attempt.decision, Some(DecisionRecord::Reject { reason: reason.into(), events: 1 }));
        assert!(matches!(attempt.append, AppendRecord::Written { first, last } if first == last));
        self
    }
}

// ---------------------------------------------------------------------------
// The six handlers

#[test]
fn add_book_copy() {
    sim(|| async {
        let mut lib = Lib::new();
        lib.ok(add("b1"), added("b1")).await;
        lib.idempotent(add("b1")).await;
        lib.ok(remove("b1"), LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() }).await;
        // Re-adding after a removal is allowed.
        lib.ok(add("b1"), added("b1")).await;
        lib.idempotent(LibraryCommand::AddBookCopy { book: "b1".into(), title: "Another title".into() }).await;
        let books = queries::read_books_in_circulation(lib.handler.store()).await.unwrap();
        assert_eq!(books.items.len(), 1);
        assert_eq!((books.items[0].added_at, books.position), (3, Some(3)));
    });
}

#[test]
fn remove_book_copy() {
    sim(|| async {
        let mut lib = Lib::new();
        let removed = || LibraryEvent::BookCopyRemovedFromCirculation { book: "b1".into() };
        lib.reject(
            remove("b1"),
            "RemovingBookFromCirculationFailed: book was never added to circulation",
            remove_failed("b1", FailureReason::BookNeverAddedToCirculation),
        )
        .await;
        lib.ok(add("b1"), added("b1")).await;
        lib.ok(register("r1"), registered("r1")).await;
        lib.ok(lend("b1", "r1"), lent("b1", "r1")).await;
        lib.reject(
            remove("b1"),
            "RemovingBookFromCirculationFailed: book is currently lent",
            remove_failed("b1", FailureReason::BookIsCurrentlyLent),
        )
        .await;
        lib.ok(ret("b1", "r1"), returned("b1", "r1")).await;
        lib.ok(remove("b1"), removed()).await;
        lib.idempotent(remove("b1")).await;
        assert!(queries::read_books_in_circulation(lib.handler.store()).await.unwrap().items.is_empty());
    });
}

#[test]
fn register_reader() {
    sim(|| async {
        let mut lib = Lib::new();
        lib.ok(register("r1"), registered("r1")).await;
        lib.idempotent(register("r1")).await;
        lib.ok(cancel("r1"), LibraryEvent::ReaderContractCanceled { reader: "r1".into() }).await;
        // Re-registering after a cancellation is allowed.
        lib.ok(register("r1"), registered("r1")).await;
        let readers = queries::read_registered_readers(lib.handler.store()).await.unwrap();
        assert_eq!(readers.items.len(), 1);
        assert_eq!(readers.items[0].registered_at, 3);
    });
}

#[test]
fn cancel_reader_contract() {
    sim(|| async {
        let mut lib = Lib::new();
        let canceled = || LibraryEvent::ReaderContractCanceled { reader: "r1".into() };
        lib.reject(
            cancel("r1"),
            "CancelingReaderContractFailed: reader was never registered",
            cancel_failed("r1", FailureReason::ReaderNeverRegistered),
        )
        .await;
        lib.ok(register("r1"), registered("r1")).await;
        lib.ok(add("b1"), added("b1")).await;
        lib.ok(lend("b1", "r1"), lent("b1", "r1")).await;
        lib.reject(
            cancel("r1"),
            "CancelingReaderContractFailed: reader has outstanding book loans",
            cancel_failed("r1", FailureReason::ReaderHasOutstandingLoans),
        )
        .await;
        lib.ok(ret("b1", "r1"), returned("b1", "r1")).await;
        lib.ok(cancel("r1"), canceled()).await;
        lib.idempotent(cancel("r1")).await;
        assert!(queries::read_registered_readers(lib.handler.store()).await.unwrap().items.is_empty());
    });
}

#[test]
fn lend_book_copy() {
    sim(|| async {
        let mut lib = Lib::new();
        let failed = |reason| lend_failed("b1", "r1", reason);
        lib.reject(lend("b1", "r1"), "LendingBookToReaderFailed: reader is not currently registered", failed(FailureReason::ReaderNotCurrentlyRegistered))
            .await;
        lib.ok(register("r1"), registered("r1")).await;
        lib.reject(lend("b1", "r1"), "LendingBookToReaderFailed: book is not in circulation", failed(FailureReason::BookNotInCirculation))
            .await;
        lib.ok(add("b1"), added("b1")).await;
        lib.ok(lend("b1", "r1"), lent("b1", "r1")).await;
        // The same reader again: idempotent.
        lib.idempotent(lend("b1", "r1")).await;
        // Another reader: already lent.
        lib.ok(register("r2"), registered("r2")).await;
        lib.reject(
            lend("b1", "r2"),
            "LendingBookToReaderFailed: book is already lent",
            lend_failed("b1", "r2", FailureReason::BookAlreadyLent),
        )
        .await;
        // Limit: r1 holds b1; with 9 the 10th succeeds, the 11th fails.
        for i in 2..=11 {
            lib.ok(add(&format!("b{i}")), added(&format!("b{i}"))).await;
        }
        for i in 2..=10 {
            lib.ok(lend(&format!("b{i}"), "r1"), lent(&format!("b{i}"), "r1")).await;
        }
        let held = queries::read_books_lent_by_reader(lib.handler.store(), "r1").await.unwrap();
        assert_eq!(held.items.len(), library::MAX_BOOKS_PER_READER as usize);
        lib.reject(
            lend("b11", "r1"),
            "LendingBookToReaderFailed: reader has too many books",
            lend_failed("b11", "r1", FailureReason::ReaderHasTooManyBooks),
        )
        .await;
        lib.ok(ret("b5", "r1"), returned("b5", "r1")).await;
        lib.ok(lend("b11", "r1"), lent("b11", "r1")).await;
        // A canceled reader may not borrow.
        lib.ok(cancel("r2"), LibraryEvent::ReaderContractCanceled { reader: "r2".into() }).await;
        lib.reject(
            lend("b5", "r2"),
            "LendingBookToReaderFailed: reader is not currently registered",
            lend_failed("b5", "r2", FailureReason::ReaderNotCurrentlyRegistered),
        )
        .await;
        let out = queries::read_books_lent_out(lib.handler.store()).await.unwrap();
        assert_eq!(out.items.len(), 10);
        assert!(out.items.iter().all(|l| l.reader == "r1"));
    });
}

#[test]
fn return_book_copy() {
    sim(|| async {
        let mut lib = Lib::new();
        lib.reject(
            ret("b1", "r1"),
            "ReturningBookFromReaderFailed: reader was never registered",
            return_failed("b1", "r1", FailureReason::ReaderNeverRegistered),
        )
        .await;
        lib.ok(register("r1"), registered("r1")).await;
        lib.reject(
            ret("b1", "r1"),
            "ReturningBookFromReaderFailed: book was never added to circulation",
            return_failed("b1", "r1", FailureReason::BookNeverAddedToCirculation),
        )
        .await;
        lib.ok(add("b1"), added("b1")).await;
        lib.reject(
            ret("b1", "r1"),
            "ReturningBookFromReaderFailed: book is not lent to this reader",
            return_failed("b1", "r1", FailureReason::BookNotLentToThisReader),
        )
        .await;
        // Lent to another reader: still not lent to this one.
        lib.ok(register("r2"), registered("r2")).await;
        lib.ok(lend("b1", "r2"), lent("b1", "r2")).await;
        lib.reject(
            ret("b1", "r1"),
            "ReturningBookFromReaderFailed: book is not lent to this reader",
            return_failed("b1", "r1", FailureReason::BookNotLentToThisReader),
        )
        .await;
        lib.ok(ret("b1", "r2"), returned("b1", "r2")).await;
        lib.idempotent(ret("b1", "r2")).await;
        lib.ok(lend("b1", "r1"), lent("b1", "r1")).await;
        lib.ok(ret("b1", "r1"), returned("b1", "r1")).await;
        assert!(queries::read_books_lent_out(lib.handler.store()).await.unwrap().items.is_empty());
    });
}

#[test]
fn failure_events_are_in_the_log_but_change_no_decision() {
    sim(|| async {
        let mut lib = Lib::new();
        let reason = "LendingBookToReaderFailed: reader is not currently registered";
        for _ in 0..3 {
            lib.reject(lend("b1", "r1"), reason, lend_failed("b1", "r1", FailureReason::ReaderNotCurrentlyRegistered)).await;
        }
        assert_eq!(lib.log().len(), 3);
        lib.ok(register("r1"), registered("r1")).await.ok(add("b1"), added("b1")).await;
        lib.ok(lend("b1", "r1"), lent("b1", "r1")).await;
    });
}

// ---------------------------------------------------------------------------
// Two readers race for one copy

/// Registers r1 and r2 and adds b1 through `handler`, then lends b1 to r1
/// and to r2 on two spawned tasks; checks that exactly one succeeded and
/// the other was rejected "book is already lent" with its failure event.
/// Returns (the winner, whether the loser hit a conflict and retried).
async fn race<S: EventStore + 'static>(
    handler: CommandHandler<LibraryDecider, S, RuntimeSleeper>,
    seed: u64,
    log: impl Fn(&S) -> Vec<SequencedEvent>,
) -> (&'static str, bool) {
    let mut rng = dcb_sim::rng::substream(seed, 0);
    for c in [register("r1"), register("r2"), add("b1")] {
        assert_eq!(handler.handle(&c, &mut rng, &mut NoopObserver).await.outcome, Outcome::Succeeded);
    }
    let handler = Arc::new(handler);
    let tasks: Vec<_> = ["r1", "r2"]
        .into_iter()
        .enumerate()
        .map(|(i, reader)| {
            let handler = Arc::clone(&handler);
            madsim::task::spawn(async move {
                let mut rng = dcb_sim::rng::substream(seed, i as u64 + 1);
                handler.handle(&lend("b1", reader), &mut rng, &mut NoopObserver).await
            })
        })
        .collect();
    let mut reports = Vec::new();
    for t in tasks {
        reports.push(t.await.expect("task finished"));
    }
    let winners: Vec<usize> = (0..2).filter(|&i| reports[i].outcome == Outcome::Succeeded).collect();
    assert_eq!(winners.len(), 1, "seed {seed}: exactly one lend succeeds: {reports:?}");
    let (w, l) = (winners[0], 1 - winners[0]);
    let (winner, loser) = (["r1", "r2"][w], ["r1", "r2"][l]);
    assert_eq!(
        reports[l].outcome,
        Outcome::Rejected { reason: "LendingBookToReaderFailed: book is already lent".into() },
        "seed {seed}"
    );
    // The loser either saw the loan at once, or conflicted first and then
    // saw it on its retry; never more than one retry is needed.
    let conflicted = reports[l].attempts.len() == 2;
    assert!(reports[l].attempts.len() <= 2, "seed {seed}: {:?}", reports[l].attempts);
    if conflicted {
        assert!(matches!(reports[l].attempts[0].append, AppendRecord::Conflict { .. }), "seed {seed}");
    }
    // The log: setup, the winner's loan, the loser's failure event.
    let events = decode(&log(handler.store()));
    assert_eq!(
        events[3..],
        [lent("b1", winner), lend_failed("b1", loser, FailureReason::BookAlreadyLent)],
        "seed {seed}"
    );
    let out = queries::books_lent_out(&log(handler.store()));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].reader, winner);
    (winner, conflicted)
}

#[test]
fn two_readers_race_for_one_copy() {
    for seed in 0..20 {
        let rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
        rt.block_on(async move {
            let handler = library::handler(MemoryStore::new(), RuntimeSleeper::new());
            race(handler, seed, MemoryStore::snapshot).await;
        });
    }
}

#[test]
fn two_readers_race_for_one_copy_with_store_latency() {
    // Random virtual latency around each store call lets both readers read
    // before either appends: the loser's append then conflicts, and its
    // retry is rejected. Both readers must win on some seeds.
    let mut winners = std::collections::BTreeSet::new();
    let mut conflicts = 0;
    for seed in 0..40 {
        let rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
        let (winner, conflicted) = rt.block_on(async move {
            let store = LatencyStore::new(MemoryStore::new(), Latency::default(), dcb_sim::rng::substream(seed, 99));
            let handler = library::handler(store, RuntimeSleeper::new());
            race(handler, seed, |s: &LatencyStore<MemoryStore>| s.inner().snapshot()).await
        });
        winners.insert(winner);
        conflicts += usize::from(conflicted);
    }
    assert_eq!(winners.len(), 2, "both readers win on some seed");
    assert!(conflicts > 0, "some seed makes the loser conflict and retry");
}
