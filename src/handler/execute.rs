//! [`CommandHandler`]: runs a [`Decider`] against a store under the retry engine.

use std::sync::Mutex;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;

use super::decider::{Decider, Decision};
use super::outcome::{AppendRecord, AttemptRecord, DecisionRecord, HandleReport, Outcome};
use super::request::{decide_request, request_query, request_tag};
use crate::retry::{Classify, ErrorKind, RetryEngine, RetryError, RetryObserver, RetryPolicy, RetrySummary, Sleeper};
use crate::store::{AppendCondition, EventStore, Query, ReadOptions, StoreError};

/// Why one attempt did not succeed.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error("{0}")]
    Store(StoreError),
    /// A business rejection (never retried).
    #[error("rejected: {reason}")]
    Rejected { reason: String },
}

impl Classify for AttemptError {
    fn kind(&self) -> ErrorKind {
        match self {
            AttemptError::Store(e) => e.kind(),
            AttemptError::Rejected { .. } => ErrorKind::Business,
        }
    }
}

/// One command being handled, with the queries built for it once.
struct Request<'a, C> {
    command: &'a C,
    tag: Option<&'a str>,
    own_query: &'a Query,
    read_query: &'a Query,
}

impl<C> Clone for Request<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Request<'_, C> {}

/// Per-command bookkeeping shared by the attempt closure and the observer.
#[derive(Default)]
struct Recorder {
    attempts: Vec<AttemptRecord>,
    next_delay: Duration,
    /// Keep attempt records (off in [`CommandHandler::handle_unrecorded`]).
    record: bool,
}

/// Forwards to the caller's observer and notes each delay for the records.
struct Tap<'a, O> {
    inner: &'a mut O,
    recorder: &'a Mutex<Recorder>,
}

impl<O: RetryObserver> RetryObserver for Tap<'_, O> {
    fn on_attempt(&mut self, attempt: u32) {
        self.inner.on_attempt(attempt);
    }
    fn on_error(&mut self, attempt: u32, kind: ErrorKind, will_retry: bool) {
        self.inner.on_error(attempt, kind, will_retry);
    }
    fn on_delay(&mut self, next_attempt: u32, delay: Duration) {
        lock(self.recorder).next_delay = delay;
        self.inner.on_delay(next_attempt, delay);
    }
    fn on_finish(&mut self, summary: &RetrySummary) {
        self.inner.on_finish(summary);
    }
}

fn lock(m: &Mutex<Recorder>) -> std::sync::MutexGuard<'_, Recorder> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A command handler: the shell around a [`Decider`].
///
/// Each attempt reads the decider's query once, decides on exactly those
/// events, and appends with `AppendCondition { fail_if_events_match: <the
/// same query>, after: <last position read> }`; the [`RetryEngine`] re-runs
/// the whole attempt on a conflict.
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// use dcb_sim::domain::enrollment::{self, EnrollmentCommand, Tier};
/// use dcb_sim::handler::Outcome;
/// use dcb_sim::retry::{NoopObserver, RuntimeSleeper};
/// use dcb_sim::store::MemoryStore;
/// let handler = enrollment::handler(MemoryStore::new(), RuntimeSleeper::new());
/// let mut rng = dcb_sim::rng::seeded(1);
/// let create = EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: 1 };
/// assert_eq!(handler.handle(&create, &mut rng, &mut NoopObserver).await.outcome, Outcome::Succeeded);
/// let enroll = EnrollmentCommand::Enroll { course: "c1".into(), student: "s1".into() };
/// let report = handler.handle(&enroll, &mut rng, &mut NoopObserver).await;
/// assert_eq!(report.outcome, Outcome::Rejected { reason: "Student is not registered.".into() });
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct CommandHandler<D, S, Sl> {
    decider: D,
    store: S,
    engine: RetryEngine<Sl>,
}

impl<D: Decider, S: EventStore, Sl: Sleeper> CommandHandler<D, S, Sl> {
    /// A handler with the given policy (validate it first).
    pub fn new(decider: D, store: S, policy: RetryPolicy, sleeper: Sl) -> Self {
        Self { decider, store, engine: RetryEngine::new(policy, sleeper) }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The decider.
    pub fn decider(&self) -> &D {
        &self.decider
    }

    /// The policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        self.engine.policy()
    }

    /// Handles `command`: retries conflicts per the policy (jitter from
    /// `rng`), reports every step to `observer`, and returns the outcome
    /// with a record of each attempt.
    pub async fn handle(&self, command: &D::Command, rng: &mut ChaCha8Rng, observer: &mut impl RetryObserver) -> HandleReport {
        self.handle_request(command, None, rng, observer).await
    }

    /// Like [`CommandHandler::handle`], with a request id (idempotency
    /// key): events are tagged with it, and an attempt that finds the
    /// request's own event (e.g. after an ambiguous commit) returns
    /// [`Outcome::Idempotent`]. See [`request`](super::request).
    pub async fn handle_request(
        &self,
        command: &D::Command,
        request_id: Option<&str>,
        rng: &mut ChaCha8Rng,
        observer: &mut impl RetryObserver,
    ) -> HandleReport {
        self.run(command, request_id, rng, observer, true).await
    }

    /// [`CommandHandler::handle_request`] without attempt records (for
    /// callers that derive them elsewhere, like the simulator): the
    /// returned report's `attempts` is empty.
    pub(crate) async fn handle_unrecorded(&self, command: &D::Command, request_id: Option<&str>, rng: &mut ChaCha8Rng, observer: &mut impl RetryObserver) -> HandleReport {
        self.run(command, request_id, rng, observer, false).await
    }

    async fn run(&self, command: &D::Command, request_id: Option<&str>, rng: &mut ChaCha8Rng, observer: &mut impl RetryObserver, record: bool) -> HandleReport {
        let recorder = Mutex::new(Recorder { record, ..Recorder::default() });
        let tag = request_id.map(request_tag);
        // Queries are built once per command, not once per attempt.
        let own_query = self.decider.query(command);
        let read_query = tag.as_deref().map_or_else(|| own_query.clone(), |t| request_query(&own_query, t));
        let request = Request { command, tag: tag.as_deref(), own_query: &own_query, read_query: &read_query };
        let mut tap = Tap { inner: observer, recorder: &recorder };
        let report = self.engine.run(rng, &mut tap, |attempt| self.attempt(&request, attempt, &recorder)).await;
        let outcome = match report.outcome {
            Ok(outcome) => outcome,
            Err(RetryError::NotRetryable(AttemptError::Rejected { reason })) => Outcome::Rejected { reason },
            Err(RetryError::Exhausted { attempts, .. }) => Outcome::Exhausted { attempts },
            Err(e @ RetryError::NotRetryable(AttemptError::Store(_))) => {
                Outcome::Failed { error: e.kind(), message: e.last().to_string() }
            }
            Err(e) => Outcome::Failed { error: e.kind(), message: e.to_string() },
        };
        let attempts = recorder.into_inner().unwrap_or_else(|p| p.into_inner()).attempts;
        HandleReport { outcome, attempts, total_delay: report.total_delay }
    }

    async fn attempt(&self, request: &Request<'_, D::Command>, attempt: u32, recorder: &Mutex<Recorder>) -> Result<Outcome, AttemptError> {
        let sleeper = self.engine.sleeper();
        let (keep, delay_before) = {
            let mut r = lock(recorder);
            (r.record, std::mem::take(&mut r.next_delay))
        };
        let mut record = AttemptRecord {
            attempt,
            delay_before,
            started_at: if keep { sleeper.now() } else { Duration::ZERO },
            ended_at: Duration::ZERO,
            read_after: None,
            read_events: 0,
            decision: None,
            append: AppendRecord::NotAttempted,
            error: None,
        };
        let result = self.attempt_inner(request, &mut record).await;
        if !keep {
            return result;
        }
        record.ended_at = sleeper.now();
        record.error = result.as_ref().err().map(|e| match e {
            AttemptError::Store(e) => e.kind(),
            AttemptError::Rejected { .. } => ErrorKind::Business,
        });
        lock(recorder).attempts.push(record);
        result
    }

    async fn attempt_inner(&self, request: &Request<'_, D::Command>, record: &mut AttemptRecord) -> Result<Outcome, AttemptError> {
        let Request { command, tag, own_query, read_query } = *request;
        let events = self.store.read(read_query, ReadOptions::default()).await.map_err(AttemptError::Store)?;
        let after = events.last().map(|e| e.position);
        record.read_after = after;
        record.read_events = u32::try_from(events.len()).unwrap_or(u32::MAX);
        let decision = decide_request(&self.decider, command, own_query, tag, &events);
        let (to_append, rejection) = match decision {
            Decision::Idempotent => {
                record.decision = Some(DecisionRecord::Idempotent);
                return Ok(Outcome::Idempotent);
            }
            Decision::Append(events) => {
                record.decision = Some(DecisionRecord::Append { events: count(&events) });
                (events, None)
            }
            Decision::Reject { reason, events } => {
                record.decision = Some(DecisionRecord::Reject { reason: reason.clone(), events: count(&events) });
                (events, Some(reason))
            }
        };
        let rejected = |reason| AttemptError::Rejected { reason };
        if to_append.is_empty() {
            return match rejection {
                Some(reason) => Err(rejected(reason)),
                None => Ok(Outcome::Succeeded),
            };
        }
        let n = to_append.len() as u64;
        let condition = AppendCondition::new(read_query.clone(), after);
        match self.store.append(to_append, Some(condition)).await {
            Ok(last) => {
                record.append = AppendRecord::Written { first: last + 1 - n, last };
                match rejection {
                    Some(reason) => Err(rejected(reason)),
                    None => Ok(Outcome::Succeeded),
                }
            }
            Err(e) => {
                record.append = match &e {
                    StoreError::ConditionFailed { conflicting, .. } => AppendRecord::Conflict { conflicting: *conflicting },
                    other => AppendRecord::Error { error: other.kind(), detail: other.to_string() },
                };
                Err(AttemptError::Store(e))
            }
        }
    }
}

fn count<T>(v: &[T]) -> u32 {
    u32::try_from(v.len()).unwrap_or(u32::MAX)
}
