//! [`DeciderHandler`]: the [`Decider`] shell as a [`Handler`], so the
//! simulator runs it exactly like any imperative handler.

use super::context::Ctx;
use super::decider::Decider;
use super::execute::CommandHandler;
use super::outcome::Outcome;
use super::traits::Handler;
use crate::retry::MetricsObserver;
use crate::store::EventStore;

/// Runs a [`Decider`] through [`CommandHandler`] (read the boundary,
/// decide, append under the same query, retry conflicts per the context's
/// policy) and records the Go design's retry metrics through the `metrics`
/// facade ([`MetricsObserver`]).
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// use dcb_sim::domain::enrollment::{EnrollmentCommand, EnrollmentDecider};
/// use dcb_sim::handler::{Ctx, DeciderHandler, Handler, NoHooks, Outcome};
/// use dcb_sim::retry::{RetryPolicy, RuntimeSleeper};
/// use dcb_sim::store::MemoryStore;
/// let store = MemoryStore::new();
/// let (mut rng, policy) = (dcb_sim::rng::seeded(1), RetryPolicy::csharp());
/// let create = EnrollmentCommand::CreateCourse { course: "c1".into(), capacity: 1 };
/// let ctx = Ctx::new(&store, RuntimeSleeper::new(), &mut rng, None, &policy, &NoHooks);
/// assert_eq!(DeciderHandler::new(EnrollmentDecider).handle(ctx, &create).await, Outcome::Succeeded);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct DeciderHandler<D> {
    decider: D,
}

impl<D: Decider> DeciderHandler<D> {
    /// The shell around `decider`.
    pub fn new(decider: D) -> Self {
        DeciderHandler { decider }
    }

    /// The decider.
    pub fn decider(&self) -> &D {
        &self.decider
    }
}

impl<D: Decider> Handler<D::Command> for DeciderHandler<D> {
    async fn handle<S: EventStore>(&self, mut ctx: Ctx<'_, S>, command: &D::Command) -> Outcome {
        let policy = ctx.policy().clone();
        let request = ctx.request_id();
        let (store, clock, rng) = ctx.parts();
        let shell = CommandHandler::new(self.decider.clone(), store, policy, clock);
        let mut observer = MetricsObserver::new(self.decider.command_type(command));
        shell.handle_unrecorded(command, request, rng, &mut observer).await.outcome
    }

    fn command_type(&self, command: &D::Command) -> &'static str {
        self.decider.command_type(command)
    }
}
