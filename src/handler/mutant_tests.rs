//! Unit tests of the shell's accessors, records and labels, written for the
//! mutants that survived `scripts/mutants.sh handler` (see `mutants.md`).
//! Each test checks a value the module's documentation defines.

use std::sync::Mutex;
use std::time::Duration;

use rand::RngExt;

use super::request::{REQUEST_TAG_PREFIX, decide_request, request_query, request_tag};
use super::*;
use crate::retry::{ErrorKind, Jitter, NoopObserver, RecordingObserver, RetryEvent, RetryPolicy, RetrySummary, RuntimeSleeper, Sleeper};
use crate::store::{
    AppendCondition, Event, EventStore, MemoryStore, Position, Query, QueryItem, ReadOptions, SequencedEvent, StoreError,
};

const MS: Duration = Duration::from_millis(1);

fn sim<F: std::future::Future<Output = ()>>(f: impl FnOnce() -> F) {
    madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(f());
}

/// Hooks that remember what they were told.
#[derive(Default)]
struct Recorded {
    slept: Mutex<Vec<Duration>>,
    independent: Mutex<u32>,
}

impl CallHooks for Recorded {
    fn sleeping(&self, d: Duration) {
        self.slept.lock().unwrap().push(d);
    }
    fn next_read_independent(&self) {
        *self.independent.lock().unwrap() += 1;
    }
}

fn ev(event_type: &str, tags: &[&str]) -> Event {
    Event::new(event_type, tags.iter().copied(), "{}").unwrap()
}

fn tag_query(tag: &str) -> Query {
    Query::from_item(QueryItem::new().tags([tag])).unwrap()
}

/// Claims a name once: appends `Claimed` and `Noted` (two events) when
/// nothing carries `name:<n>` yet; otherwise rejects with "taken",
/// recording one `ClaimRefused` event.
#[derive(Debug, Clone, PartialEq)]
struct Claims;

impl Decider for Claims {
    type Command = String;
    fn command_type(&self, _: &String) -> &'static str {
        "Claim"
    }
    fn query(&self, name: &String) -> Query {
        tag_query(&format!("name:{name}"))
    }
    fn decide(&self, name: &String, events: &[SequencedEvent]) -> Decision {
        let tag = format!("name:{name}");
        if events.is_empty() {
            Decision::Append(vec![ev("Claimed", &[&tag]), ev("Noted", &[&tag])])
        } else {
            Decision::Reject { reason: "taken".into(), events: vec![ev("ClaimRefused", &[&tag])] }
        }
    }
}

// ---------------------------------------------------------------------------
// Clock and Ctx
// ---------------------------------------------------------------------------

#[test]
fn clock_reports_each_sleep_to_its_hooks_and_reads_the_runtime_sleepers_clock() {
    sim(|| async {
        let hooks = Recorded::default();
        let clock = Clock::new(RuntimeSleeper::new(), &hooks);
        assert_eq!(clock.min_sleep(), RuntimeSleeper::MIN_SLEEP);
        clock.sleep(7 * MS).await;
        clock.sleep(3 * MS).await;
        assert_eq!(*hooks.slept.lock().unwrap(), [7 * MS, 3 * MS]);
        // Virtual time: at least the 10 ms slept, less than 1 ms more.
        let now = clock.now();
        assert!(now >= 10 * MS && now < 11 * MS, "{now:?}");
        assert!(format!("{clock:?}").starts_with("Clock { inner: Virtual(RuntimeSleeper"), "{clock:?}");
    });
}

#[test]
fn ctx_hands_out_the_store_rng_request_id_and_policy_it_was_built_with() {
    sim(|| async {
        let store = MemoryStore::new();
        store.append_now(vec![ev("A", &["k:1"])], None).unwrap();
        let mut rng = crate::rng::seeded(42);
        let mut same_seed = crate::rng::seeded(42);
        let policy = RetryPolicy::study(Jitter::Full);
        let mut ctx = Ctx::new(&store, RuntimeSleeper::new(), &mut rng, Some("req-7"), &policy, &NoHooks);
        assert!(std::ptr::eq(ctx.store(), &store));
        assert!(std::ptr::eq(ctx.policy(), &policy));
        assert_eq!(ctx.request_id(), Some("req-7"));
        assert_eq!(ctx.clock().min_sleep(), RuntimeSleeper::MIN_SLEEP);
        // The command's RNG is the one passed in: same stream as a twin of the same seed.
        assert_eq!(ctx.rng().random::<u64>(), same_seed.random::<u64>());
        let (s, clock, rng) = ctx.parts();
        assert!(std::ptr::eq(s, &store));
        assert_eq!(clock.min_sleep(), RuntimeSleeper::MIN_SLEEP);
        assert_eq!(rng.random::<u64>(), same_seed.random::<u64>());
        let shown = format!("{ctx:?}");
        assert!(shown.starts_with("Ctx { request_id: Some(\"req-7\"), policy: RetryPolicy"), "{shown}");
    });
}

#[test]
fn read_independent_returns_the_store_read_and_tells_the_hooks_once() {
    sim(|| async {
        let store = MemoryStore::new();
        store.append_now(vec![ev("A", &["k:1"]), ev("B", &["k:2"]), ev("C", &["k:1"])], None).unwrap();
        let mut rng = crate::rng::seeded(1);
        let policy = RetryPolicy::csharp();
        let hooks = Recorded::default();
        let ctx = Ctx::new(&store, RuntimeSleeper::new(), &mut rng, None, &policy, &hooks);
        let read = ctx.read_independent(&tag_query("k:1"), ReadOptions::default()).await.unwrap();
        assert_eq!(read.iter().map(|e| (e.position, e.event.event_type.as_str())).collect::<Vec<_>>(), [(1, "A"), (3, "C")]);
        assert_eq!(*hooks.independent.lock().unwrap(), 1);
        // A plain read through the store is not independent.
        ctx.store().read(&tag_query("k:1"), ReadOptions::default()).await.unwrap();
        assert_eq!(*hooks.independent.lock().unwrap(), 1);
    });
}

// ---------------------------------------------------------------------------
// CommandHandler
// ---------------------------------------------------------------------------

#[test]
fn command_handler_exposes_its_store_decider_and_policy() {
    sim(|| async {
        let policy = RetryPolicy::study(Jitter::Equal);
        let store = MemoryStore::new();
        store.append_now(vec![ev("A", &["k:1"])], None).unwrap();
        let h = CommandHandler::new(Claims, store, policy.clone(), RuntimeSleeper::new());
        assert_eq!(h.store().head(), 1);
        assert_eq!(*h.decider(), Claims);
        assert_eq!(*h.policy(), policy);
    });
}

/// A store that, before the first `conflicts` appends it is asked for,
/// lets a competing writer append `Rival` (tagged `name:<n>`) first.
struct Racy {
    inner: MemoryStore,
    tag: String,
    conflicts: Mutex<u32>,
}

impl EventStore for Racy {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.inner.read_now(query, options)
    }
    async fn append(&self, events: Vec<Event>, condition: Option<AppendCondition>) -> Result<Position, StoreError> {
        let race = {
            let mut n = self.conflicts.lock().unwrap();
            let race = *n > 0;
            *n = n.saturating_sub(1);
            race
        };
        if race {
            self.inner.append_now(vec![ev("Unrelated", &["other:1"]), ev("Rival", &[&self.tag])], None).unwrap();
        }
        self.inner.append_now(events, condition)
    }
}

fn racy(conflicts: u32) -> Racy {
    let inner = MemoryStore::new();
    // Three events before the command: positions 1..=3, one of them matching.
    inner.append_now(vec![ev("Unrelated", &["other:1"]), ev("Unrelated", &["other:2"]), ev("Unrelated", &["other:3"])], None).unwrap();
    Racy { inner, tag: "name:ann".into(), conflicts: Mutex::new(conflicts) }
}

#[test]
fn handle_records_a_written_append_at_its_first_and_last_positions() {
    sim(|| async {
        let h = CommandHandler::new(Claims, racy(0), RetryPolicy::csharp(), RuntimeSleeper::new());
        let report = h.handle(&"ann".to_string(), &mut crate::rng::seeded(1), &mut NoopObserver).await;
        assert_eq!(report.outcome, Outcome::Succeeded);
        assert_eq!(report.total_delay, Duration::ZERO);
        let [a] = report.attempts.as_slice() else { panic!("{:?}", report.attempts) };
        assert_eq!((a.attempt, a.delay_before, a.read_after, a.read_events), (1, Duration::ZERO, None, 0));
        assert_eq!(a.decision, Some(DecisionRecord::Append { events: 2 }));
        // Two events after positions 1..=3: written at 4..=5.
        assert_eq!(a.append, AppendRecord::Written { first: 4, last: 5 });
        assert_eq!(a.error, None);
    });
}

#[test]
fn handle_records_a_conflict_then_the_policys_delay_before_the_retry() {
    sim(|| async {
        let h = CommandHandler::new(Claims, racy(1), RetryPolicy::csharp(), RuntimeSleeper::new());
        let report = h.handle(&"ann".to_string(), &mut crate::rng::seeded(1), &mut NoopObserver).await;
        // The rival's claim (position 5) conflicts; the retry reads it and is refused.
        assert_eq!(report.outcome, Outcome::Rejected { reason: "taken".into() });
        assert_eq!(report.total_delay, 50 * MS);
        let [first, second] = report.attempts.as_slice() else { panic!("{:?}", report.attempts) };
        assert_eq!(first.append, AppendRecord::Conflict { conflicting: Some(5) });
        assert_eq!(first.error, Some(ErrorKind::Conflict));
        assert_eq!((second.attempt, second.delay_before), (2, 50 * MS));
        assert!(second.started_at >= first.ended_at + 50 * MS, "{first:?} {second:?}");
        assert_eq!((second.read_after, second.read_events), (Some(5), 1));
        assert_eq!(second.decision, Some(DecisionRecord::Reject { reason: "taken".into(), events: 1 }));
        assert_eq!(second.append, AppendRecord::Written { first: 6, last: 6 });
        assert_eq!(second.error, Some(ErrorKind::Business));
    });
}

#[test]
fn handle_reports_every_attempt_error_delay_and_the_end_to_the_callers_observer() {
    sim(|| async {
        let h = CommandHandler::new(Claims, racy(1), RetryPolicy::csharp(), RuntimeSleeper::new());
        let mut watcher = RecordingObserver::default();
        h.handle(&"ann".to_string(), &mut crate::rng::seeded(1), &mut watcher).await;
        let end = RetrySummary { attempts: 2, total_delay: 50 * MS, last_error: Some(ErrorKind::Business), exhausted: false };
        assert_eq!(
            watcher.events,
            [
                RetryEvent::Attempt(1),
                RetryEvent::Error(1, ErrorKind::Conflict, true),
                RetryEvent::Delay(2, 50 * MS),
                RetryEvent::Attempt(2),
                RetryEvent::Error(2, ErrorKind::Business, false),
                RetryEvent::Finish(end),
            ]
        );
    });
}

#[test]
fn handle_unrecorded_keeps_no_attempt_records_but_the_same_outcome() {
    sim(|| async {
        let h = CommandHandler::new(Claims, racy(1), RetryPolicy::csharp(), RuntimeSleeper::new());
        let report = h.handle_unrecorded(&"ann".to_string(), None, &mut crate::rng::seeded(1), &mut NoopObserver).await;
        assert_eq!(report.outcome, Outcome::Rejected { reason: "taken".into() });
        assert!(report.attempts.is_empty(), "{:?}", report.attempts);
        assert_eq!(report.total_delay, 50 * MS);
    });
}

/// A store whose appends fail with `Unavailable { retryable: false }`.
struct ReadOnly(MemoryStore);

impl EventStore for ReadOnly {
    async fn read(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.0.read_now(query, options)
    }
    async fn append(&self, _: Vec<Event>, _: Option<AppendCondition>) -> Result<Position, StoreError> {
        Err(StoreError::Unavailable { retryable: false, reason: "read-only replica".into() })
    }
}

#[test]
fn handle_ends_on_a_non_retryable_store_error_as_failed_with_its_kind_and_message() {
    sim(|| async {
        let h = CommandHandler::new(Claims, ReadOnly(MemoryStore::new()), RetryPolicy::csharp(), RuntimeSleeper::new());
        let report = h.handle(&"ann".to_string(), &mut crate::rng::seeded(1), &mut NoopObserver).await;
        let message = "store unavailable (read-only replica); retryable: false".to_string();
        assert_eq!(report.outcome, Outcome::Failed { error: ErrorKind::Other, message: message.clone() });
        let [a] = report.attempts.as_slice() else { panic!("{:?}", report.attempts) };
        assert_eq!(a.append, AppendRecord::Error { error: ErrorKind::Other, detail: message });
        assert_eq!(a.error, Some(ErrorKind::Other));
    });
}

// ---------------------------------------------------------------------------
// Outcome labels
// ---------------------------------------------------------------------------

#[test]
fn outcome_labels_and_messages_are_the_documented_ones() {
    let failed = Outcome::Failed { error: ErrorKind::Transient, message: "down".into() };
    let cases = [
        (Outcome::Succeeded, "succeeded", "succeeded".to_string()),
        (Outcome::Idempotent, "idempotent", "succeeded (idempotent, nothing appended)".to_string()),
        (Outcome::Rejected { reason: "full".into() }, "rejected", "rejected: full".to_string()),
        (Outcome::Exhausted { attempts: 3 }, "exhausted", "failed after 3 attempts due to concurrent updates".to_string()),
        (failed, "failed", format!("failed ({}): down", ErrorKind::Transient.label())),
    ];
    for (outcome, label, shown) in cases {
        assert_eq!(outcome.label(), label);
        assert_eq!(outcome.to_string(), shown);
    }
}

// ---------------------------------------------------------------------------
// Request ids
// ---------------------------------------------------------------------------

#[test]
fn request_tag_is_the_prefix_and_the_id() {
    assert_eq!(REQUEST_TAG_PREFIX, "request:");
    assert_eq!(request_tag("r-9"), "request:r-9");
}

#[test]
fn request_query_adds_an_item_for_the_request_tag() {
    let own = Query::from_items(vec![QueryItem::new().types(["A"]).tags(["k:1"])]).unwrap();
    let expected = Query::from_items(vec![QueryItem::new().types(["A"]).tags(["k:1"]), QueryItem::new().tags(["request:r"])]).unwrap();
    assert_eq!(request_query(&own, "request:r"), expected);
    assert_eq!(request_query(&Query::all(), "request:r"), Query::All);
}

#[test]
fn decide_request_stamps_the_request_tag_on_every_event_it_appends() {
    let own = Claims.query(&"ann".into());
    let Decision::Append(events) = decide_request(&Claims, &"ann".into(), &own, Some("request:r"), &[]) else { panic!() };
    assert_eq!(events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), ["Claimed", "Noted"]);
    assert!(events.iter().all(|e| e.has_tag("request:r") && e.has_tag("name:ann")), "{events:?}");
}

// ---------------------------------------------------------------------------
// DeciderHandler and Handler
// ---------------------------------------------------------------------------

#[test]
fn decider_handler_exposes_its_decider_and_the_deciders_command_type() {
    let h = DeciderHandler::new(Claims);
    assert_eq!(*h.decider(), Claims);
    assert_eq!(Handler::command_type(&h, &"ann".to_string()), "Claim");
}

#[test]
fn decider_handler_runs_the_shell_and_returns_its_outcome() {
    sim(|| async {
        let store = racy(1);
        let mut rng = crate::rng::seeded(1);
        let policy = RetryPolicy::csharp();
        let hooks = Recorded::default();
        let ctx = Ctx::new(&store, RuntimeSleeper::new(), &mut rng, None, &policy, &hooks);
        let outcome = DeciderHandler::new(Claims).handle(ctx, &"ann".to_string()).await;
        assert_eq!(outcome, Outcome::Rejected { reason: "taken".into() });
        // The shell slept the policy's 50 ms on the context's clock.
        assert_eq!(*hooks.slept.lock().unwrap(), [50 * MS]);
    });
}

#[test]
fn a_handler_that_does_not_name_its_commands_labels_them_command() {
    struct Anonymous;
    impl Handler<u8> for Anonymous {
        async fn handle<S: EventStore>(&self, _: Ctx<'_, S>, _: &u8) -> Outcome {
            Outcome::Succeeded
        }
    }
    assert_eq!(Anonymous.command_type(&0), "command");
}
