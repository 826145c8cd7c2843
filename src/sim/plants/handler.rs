//! Handler-level planted bugs: [`PlantedShell`], a deliberately broken copy
//! of the [`Decider`] shell. It lives here, in the simulator, so the
//! production shell ([`CommandHandler`](crate::handler::CommandHandler))
//! carries no plant branches.

use std::sync::Mutex;

use crate::handler::request::{decide_request, request_query, request_tag};
use crate::handler::{Ctx, Decider, Decision, Handler, Outcome};
use crate::plant::Plant;
use crate::retry::{Classify, ErrorKind, MetricsObserver, RetryEngine, RetryError};
use crate::store::{AppendCondition, EventStore, Query, ReadOptions, StoreError};

/// The handler-level bugs [`PlantedShell`] can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellBug {
    /// [`Plant::NarrowCondition`]: the condition uses only the last item of
    /// the decider's query.
    NarrowCondition,
    /// [`Plant::StaleDecision`]: a retry re-reads (refreshing `after`) but
    /// reuses the first attempt's decision.
    StaleDecision,
    /// [`Plant::RetryBusiness`]: business rejections are retried as conflicts.
    RetryBusiness,
}

impl ShellBug {
    /// The handler-level bug of `plant`, if it is one.
    pub fn of(plant: Option<Plant>) -> Option<ShellBug> {
        match plant? {
            Plant::NarrowCondition => Some(ShellBug::NarrowCondition),
            Plant::StaleDecision => Some(ShellBug::StaleDecision),
            Plant::RetryBusiness => Some(ShellBug::RetryBusiness),
            Plant::NonAtomicStore | Plant::AfterEquality | Plant::IgnoreCap => None,
        }
    }
}

/// The [`Decider`] shell with one [`ShellBug`]: otherwise it reads, decides,
/// appends and retries exactly like [`CommandHandler`](crate::handler::CommandHandler)
/// (same RNG draws, same sleeps), so a planted run differs from a correct one
/// only by the bug.
#[derive(Debug, Clone)]
pub struct PlantedShell<D> {
    decider: D,
    bug: ShellBug,
}

impl<D: Decider> PlantedShell<D> {
    /// The shell around `decider` with `bug`.
    pub fn new(decider: D, bug: ShellBug) -> Self {
        PlantedShell { decider, bug }
    }
}

#[derive(Debug)]
enum AttemptError {
    Store(StoreError),
    Rejected { reason: String, retry: bool },
}

impl Classify for AttemptError {
    fn kind(&self) -> ErrorKind {
        match self {
            AttemptError::Store(e) => e.kind(),
            AttemptError::Rejected { retry: true, .. } => ErrorKind::Conflict,
            AttemptError::Rejected { retry: false, .. } => ErrorKind::Business,
        }
    }
}

impl<D: Decider> Handler<D::Command> for PlantedShell<D> {
    async fn handle<S: EventStore>(&self, mut ctx: Ctx<'_, S>, command: &D::Command) -> Outcome {
        let policy = ctx.policy().clone();
        let tag = ctx.request_id().map(request_tag);
        let (store, clock, rng) = ctx.parts();
        let engine = RetryEngine::new(policy, clock);
        let own_query = self.decider.query(command);
        let read_query = tag.as_deref().map_or_else(|| own_query.clone(), |t| request_query(&own_query, t));
        let condition_query = match (self.bug, &own_query) {
            (ShellBug::NarrowCondition, Query::Items(items)) if items.len() > 1 => {
                let narrow = Query::Items(vec![items[items.len() - 1].clone()].into());
                tag.as_deref().map_or_else(|| narrow.clone(), |t| request_query(&narrow, t))
            }
            _ => read_query.clone(),
        };
        let stale: Mutex<Option<Decision>> = Mutex::new(None);
        let mut observer = MetricsObserver::new(self.decider.command_type(command));
        let report = engine
            .run(rng, &mut observer, |_| async {
                let events = store.read(&read_query, ReadOptions::default()).await.map_err(AttemptError::Store)?;
                let after = events.last().map(|e| e.position);
                let fresh = || decide_request(&self.decider, command, &own_query, tag.as_deref(), &events);
                let decision = if self.bug == ShellBug::StaleDecision {
                    stale.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(fresh).clone()
                } else {
                    fresh()
                };
                let rejected = |reason| AttemptError::Rejected { reason, retry: self.bug == ShellBug::RetryBusiness };
                let (to_append, rejection) = match decision {
                    Decision::Idempotent => return Ok(Outcome::Idempotent),
                    Decision::Append(events) => (events, None),
                    Decision::Reject { reason, events } => (events, Some(reason)),
                };
                if !to_append.is_empty() {
                    let condition = AppendCondition::new(condition_query.clone(), after);
                    store.append(to_append, Some(condition)).await.map_err(AttemptError::Store)?;
                }
                match rejection {
                    Some(reason) => Err(rejected(reason)),
                    None => Ok(Outcome::Succeeded),
                }
            })
            .await;
        match report.outcome {
            Ok(outcome) => outcome,
            Err(RetryError::NotRetryable(AttemptError::Rejected { reason, .. })) => Outcome::Rejected { reason },
            Err(RetryError::Exhausted { attempts, .. }) => Outcome::Exhausted { attempts },
            Err(e @ RetryError::NotRetryable(AttemptError::Store(_))) => {
                let message = match e.last() {
                    AttemptError::Store(s) => s.to_string(),
                    AttemptError::Rejected { reason, .. } => reason.clone(),
                };
                Outcome::Failed { error: e.kind(), message }
            }
            Err(e) => {
                let message = match e.last() {
                    AttemptError::Store(s) => s.to_string(),
                    AttemptError::Rejected { reason, .. } => format!("rejected: {reason}"),
                };
                let prefix = match &e {
                    RetryError::DeadlineExceeded { attempts, .. } => format!("deadline reached after {attempts} attempts: "),
                    RetryError::BudgetExhausted { attempts, .. } => format!("retry budget spent after {attempts} attempts: "),
                    _ => String::new(),
                };
                Outcome::Failed { error: e.kind(), message: format!("{prefix}{message}") }
            }
        }
    }

    fn command_type(&self, command: &D::Command) -> &'static str {
        self.decider.command_type(command)
    }
}
