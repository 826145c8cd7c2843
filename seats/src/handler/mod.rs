//! [`SeatsHandler`]: the command handler, written as plain imperative async
//! code with its own retry loop — read the boundary, fold, decide, append
//! with a condition on the same query after the last position read, retry
//! on a conflict — plus four buggy variants ([`HandlerVariant`]).
//!
//! The handler keeps no attempt bookkeeping: whoever runs it (production,
//! or dcb-sim's simulator) sees attempts through its store calls.
//!
//! From the caller's [`RetryPolicy`] it
//! follows `max_attempts`, the exponential delay and its cap, and which
//! error kinds to retry (conflicts always, transient errors when enabled);
//! it draws no jitter and keeps no budget or deadline, so give it a
//! jitter-free policy without them, such as `RetryPolicy::csharp()`.

mod backoff;
mod read;

use dcb_sim::handler::request::request_tag;
use dcb_sim::handler::{Ctx, Handler, Outcome};
use dcb_sim::retry::{Classify, ErrorKind, Jitter, RetryPolicy, Sleeper};
use dcb_sim::store::{AppendCondition, Event, EventStore, StoreError, Tag};

pub use backoff::delay_before;
use read::Snapshot;

use crate::boundary::Boundary;
use crate::commands::SeatCommand;
use crate::decide::{Decision, decide};
use crate::events::{CodecError, SeatEvent};
use crate::state::Holdings;

/// Which handler code runs: the correct one or a known bug.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum HandlerVariant {
    /// Read the whole boundary once; condition on the same query after the
    /// last position read; re-read on every retry.
    #[default]
    Correct,
    /// The append condition covers only the seat(s), not the customer: two
    /// holds of one customer can both pass and break the seat limit.
    NarrowCondition,
    /// A retry does not re-read: it reuses the first attempt's events and
    /// decision and only refreshes `after` from the store's head.
    StaleRetry,
    /// The seat part and the customer part are read separately; the
    /// condition uses the whole boundary with `after` = the larger of the
    /// two last positions.
    TwoReadsMaxAfter,
    /// A retry re-reads the whole boundary (so its condition is right for
    /// what it read) and then appends the decision of its **first**
    /// attempt. The store boundary sees a correct read → append; only a
    /// re-run of the command on what it read can tell.
    StaleDecision,
    /// Correct decisions, with a retry loop of its own: [`own_policy`]
    /// (4 attempts, waits of 20, 40 and 80 ms), whatever
    /// [`Ctx::policy`](dcb_sim::handler::Ctx::policy) says — as a team's
    /// handler with hard-coded retries is. Not a bug: its workload declares
    /// the policy ([`SeatsWorkload::declare_policy`](crate::SeatsWorkload::declare_policy)),
    /// and the checkers judge it by that.
    OwnPolicy,
}

/// The retry policy [`HandlerVariant::OwnPolicy`] follows, hard-coded:
/// 4 attempts, waits of 20, 40 and 80 ms, no jitter, no cap.
pub fn own_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(4)
        .base_delay(std::time::Duration::from_millis(20))
        .multiplier(2.0)
        .jitter(Jitter::None)
        .build()
        .expect("a valid policy")
}

impl HandlerVariant {
    /// The correct variant first, then every bug ([`HandlerVariant::OwnPolicy`],
    /// correct code with its own retry loop, is not among them).
    pub const ALL: [HandlerVariant; 5] =
        [HandlerVariant::Correct, HandlerVariant::NarrowCondition, HandlerVariant::StaleRetry, HandlerVariant::TwoReadsMaxAfter, HandlerVariant::StaleDecision];
}

/// The seat reservation handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeatsHandler {
    /// Which code runs.
    pub variant: HandlerVariant,
}

impl SeatsHandler {
    /// A handler running `variant`.
    pub fn new(variant: HandlerVariant) -> Self {
        SeatsHandler { variant }
    }
}

/// A non-retryable failure.
fn failed(error: &StoreError) -> Outcome {
    Outcome::Failed { error: error.kind(), message: error.to_string() }
}

/// A failure to encode or decode events (a bug or foreign data, never retried).
fn codec_failed(error: &CodecError) -> Outcome {
    let kind = match error {
        CodecError::InvalidName(e) => StoreError::InvalidInput(e.clone()).kind(),
        CodecError::Payload(_) | CodecError::UnknownType(_) => ErrorKind::Other,
    };
    Outcome::Failed { error: kind, message: error.to_string() }
}

impl Handler<SeatCommand> for SeatsHandler {
    async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, command: &SeatCommand) -> Outcome {
        let request = ctx.request_id().map(request_tag);
        let boundary = match Boundary::of(command, request.as_deref()) {
            Ok(b) => b,
            Err(e) => return failed(&StoreError::InvalidInput(e)),
        };
        let own;
        let policy = if self.variant == HandlerVariant::OwnPolicy {
            own = own_policy();
            &own
        } else {
            ctx.policy()
        };
        let mut first = Memo::default();
        for attempt in 1..=policy.max_attempts {
            if attempt > 1 {
                ctx.clock().sleep(delay_before(policy, attempt)).await;
            }
            match self.attempt(ctx.store(), command, &boundary, request.as_deref(), &mut first).await {
                Ok(outcome) => return outcome,
                // A conflict always; a transient error if the policy says so.
                Err(e) if policy.retries(e.kind()) => {}
                Err(e) => return failed(&e),
            }
        }
        Outcome::Exhausted { attempts: policy.max_attempts }
    }

    fn command_type(&self, command: &SeatCommand) -> &'static str {
        command.name()
    }
}

impl SeatsHandler {
    /// One read → decide → append cycle. `Ok` ends the command; `Err` is a
    /// store error the caller may retry (a conflict, for one). `first`
    /// keeps the first attempt's snapshot for [`HandlerVariant::StaleRetry`]
    /// and its decision for [`HandlerVariant::StaleDecision`].
    async fn attempt<S: EventStore>(
        &self,
        store: &S,
        command: &SeatCommand,
        boundary: &Boundary,
        request: Option<&str>,
        first: &mut Memo,
    ) -> Result<Outcome, StoreError> {
        let snapshot = match (self.variant, first.snapshot.as_ref()) {
            (HandlerVariant::Correct | HandlerVariant::NarrowCondition | HandlerVariant::StaleDecision | HandlerVariant::OwnPolicy, _) => read::once(store, boundary.full()).await?,
            (HandlerVariant::StaleRetry, None) => first.snapshot.insert(read::once(store, boundary.full()).await?).clone(),
            (HandlerVariant::StaleRetry, Some(stale)) => read::head_only(store, stale).await?,
            (HandlerVariant::TwoReadsMaxAfter, _) => read::twice(store, boundary.seats(), boundary.customer()).await?,
        };
        if let Some(tag) = request
            && snapshot.events.iter().any(|e| e.event.has_tag(tag))
        {
            return Ok(Outcome::Idempotent);
        }
        let facts: Result<Vec<SeatEvent>, CodecError> = snapshot.events.iter().map(|e| SeatEvent::decode(&e.event)).collect();
        let facts = match facts {
            Ok(f) => f,
            Err(e) => return Ok(codec_failed(&e)),
        };
        let decision = match (self.variant, first.decision.take()) {
            (HandlerVariant::StaleDecision, Some(stale)) => stale,
            _ => decide(command, &Holdings::fold(&facts)),
        };
        if self.variant == HandlerVariant::StaleDecision {
            first.decision = Some(decision.clone());
        }
        let facts = match decision {
            Decision::Reject(reason) => return Ok(Outcome::Rejected { reason }),
            Decision::Append(facts) => facts,
        };
        let events = match encode(&facts, request) {
            Ok(events) => events,
            Err(e) => return Ok(codec_failed(&e)),
        };
        let condition = match self.variant {
            HandlerVariant::NarrowCondition => boundary.seats(),
            HandlerVariant::Correct | HandlerVariant::StaleRetry | HandlerVariant::TwoReadsMaxAfter | HandlerVariant::StaleDecision | HandlerVariant::OwnPolicy => boundary.full(),
        };
        store.append(events, Some(AppendCondition::new(condition.clone(), snapshot.after))).await?;
        Ok(Outcome::Succeeded)
    }
}

/// What the buggy variants keep from their first attempt.
#[derive(Debug, Default)]
struct Memo {
    /// The first attempt's snapshot ([`HandlerVariant::StaleRetry`]).
    snapshot: Option<Snapshot>,
    /// The first attempt's decision ([`HandlerVariant::StaleDecision`]).
    decision: Option<Decision>,
}

/// The DCB events of `facts`, each tagged with the request (if any).
fn encode(facts: &[SeatEvent], request: Option<&str>) -> Result<Vec<Event>, CodecError> {
    facts
        .iter()
        .map(|f| {
            let mut event = f.to_event()?;
            if let Some(tag) = request {
                event.tags.insert(Tag::new(tag)?);
            }
            Ok(event)
        })
        .collect()
}
