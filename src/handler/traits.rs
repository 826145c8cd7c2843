//! [`Handler`]: any command handler the simulator can run — imperative
//! async code with its own retry loop, or the [`Decider`](super::Decider)
//! shell ([`DeciderHandler`](super::DeciderHandler)).

use std::future::Future;

use super::context::Ctx;
use super::outcome::Outcome;
use crate::store::EventStore;

/// A command handler: given a command and its [`Ctx`] (store, clock, seeded
/// RNG, request id, policy), do whatever it takes — read, decide, append,
/// retry — and say how the command ended.
///
/// The simulator observes a handler only at the store boundary: every
/// read and append through `ctx.store()` is recorded, and attempts,
/// delays, ghost writes and the timeline are derived from those records,
/// so a handler keeps no bookkeeping. Generic over the store, the same
/// code runs on your production adapter.
///
/// ```
/// use dcb_sim::handler::{Ctx, Handler, Outcome};
/// use dcb_sim::retry::Sleeper;
/// use dcb_sim::retry::Classify;
/// use dcb_sim::store::{AppendCondition, Event, EventStore, Query, QueryItem, ReadOptions, StoreError};
///
/// /// Claim a username once; retry conflicts up to the policy's attempts.
/// struct Claim;
/// impl Handler<String> for Claim {
///     async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, name: &String) -> Outcome {
///         let tag = format!("username:{name}");
///         let query = Query::from_item(QueryItem::new().types(["UsernameClaimed"]).tags([tag.as_str()])).unwrap();
///         for attempt in 1..=ctx.policy().max_attempts {
///             if attempt > 1 {
///                 ctx.clock().sleep(std::time::Duration::from_millis(10)).await;
///             }
///             let seen = match ctx.store().read(&query, ReadOptions::default()).await {
///                 Ok(events) => events,
///                 Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
///             };
///             if !seen.is_empty() {
///                 return Outcome::Rejected { reason: "Username is taken.".into() };
///             }
///             let after = seen.last().map(|e| e.position);
///             let event = Event::new("UsernameClaimed", [tag.as_str()], "").unwrap();
///             match ctx.store().append(vec![event], Some(AppendCondition::new(query.clone(), after))).await {
///                 Ok(_) => return Outcome::Succeeded,
///                 Err(StoreError::ConditionFailed { .. }) => continue,
///                 Err(e) => return Outcome::Failed { error: e.kind(), message: e.to_string() },
///             }
///         }
///         Outcome::Exhausted { attempts: ctx.policy().max_attempts }
///     }
/// }
/// ```
pub trait Handler<C> {
    /// Handles one command.
    fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, command: &C) -> impl Future<Output = Outcome>;

    /// A label for the command (timelines and metrics), e.g. `Enroll`.
    fn command_type(&self, _command: &C) -> &'static str {
        "command"
    }
}
