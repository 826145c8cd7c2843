//! [`Ctx`]: what a [`Handler`](super::Handler) gets besides its command —
//! the store, a clock, the command's seeded RNG and its request id.
//!
//! The same handler code runs in production (build a `Ctx` with
//! [`Ctx::new`]) and under the simulator (which builds one per command with
//! a recording store view, so it can derive attempts, delays and the
//! timeline from the store calls alone).

use std::future::Future;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;

use crate::retry::{RetryPolicy, RunClock, Sleeper};
use crate::store::{EventStore, Query, ReadOptions, SequencedEvent, StoreError};

/// Notes a handler's own hints for whoever observes it (the simulator's
/// recorder); a no-op in production.
pub trait CallHooks: Send + Sync {
    /// The handler is about to sleep `d` (a backoff delay).
    fn sleeping(&self, d: Duration);
    /// The next read's result does not feed the decision (see
    /// [`Ctx::read_independent`]).
    fn next_read_independent(&self);
    /// The handler evaluated probe `name`; its condition `held` (see
    /// [`Ctx::sometimes`]). Ignored by default (production).
    fn probe(&self, _name: &str, _held: bool) {}
}

/// Hooks that do nothing: production.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl CallHooks for NoHooks {
    fn sleeping(&self, _: Duration) {}
    fn next_read_independent(&self) {}
}

/// The clock a handler sleeps on: [`RuntimeSleeper`](crate::retry::RuntimeSleeper) (madsim's virtual time
/// in simulation, tokio's timer in production) that also tells the
/// simulator how long each requested sleep was, so delays are checked
/// exactly instead of measured. Hand it to a [`RetryEngine`](crate::retry::RetryEngine)
/// or call [`Clock::sleep`] in your own retry loop.
#[derive(Clone, Copy)]
pub struct Clock<'a> {
    inner: RunClock,
    hooks: &'a dyn CallHooks,
}

impl std::fmt::Debug for Clock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<'a> Clock<'a> {
    /// A clock over `inner` reporting sleeps to `hooks`.
    pub fn new(inner: impl Into<RunClock>, hooks: &'a dyn CallHooks) -> Self {
        Clock { inner: inner.into(), hooks }
    }
}

impl Sleeper for Clock<'_> {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        self.hooks.sleeping(d);
        self.inner.sleep(d)
    }
    fn now(&self) -> Duration {
        self.inner.now()
    }
    fn min_sleep(&self) -> Duration {
        self.inner.min_sleep()
    }
}

/// One command's context.
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// use dcb_sim::handler::{Ctx, NoHooks};
/// use dcb_sim::retry::{RetryPolicy, RuntimeSleeper, Sleeper};
/// use dcb_sim::store::{EventStore, MemoryStore, Query, ReadOptions};
/// let store = MemoryStore::new();
/// let mut rng = dcb_sim::rng::seeded(7);
/// let policy = RetryPolicy::csharp();
/// let ctx = Ctx::new(&store, RuntimeSleeper::new(), &mut rng, None, &policy, &NoHooks);
/// assert!(ctx.store().read(&Query::all(), ReadOptions::default()).await.unwrap().is_empty());
/// ctx.clock().sleep(std::time::Duration::from_millis(5)).await;
/// # });
/// ```
pub struct Ctx<'a, S> {
    store: &'a S,
    clock: Clock<'a>,
    rng: &'a mut ChaCha8Rng,
    request_id: Option<&'a str>,
    policy: &'a RetryPolicy,
    hooks: &'a dyn CallHooks,
}

impl<S> std::fmt::Debug for Ctx<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("request_id", &self.request_id).field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl<'a, S: EventStore> Ctx<'a, S> {
    /// A context: `store`, a clock on `sleeper`, the command's `rng` (draw
    /// jitter from it, never from a global RNG), its request id
    /// (idempotency key, if any), the retry `policy` the handler should
    /// follow, and `hooks` ([`NoHooks`] in production).
    pub fn new(
        store: &'a S,
        sleeper: impl Into<RunClock>,
        rng: &'a mut ChaCha8Rng,
        request_id: Option<&'a str>,
        policy: &'a RetryPolicy,
        hooks: &'a dyn CallHooks,
    ) -> Self {
        Ctx { store, clock: Clock::new(sleeper, hooks), rng, request_id, policy, hooks }
    }

    /// The event store (under the simulator: a view that records every call).
    pub fn store(&self) -> &'a S {
        self.store
    }

    /// The clock to sleep on between attempts.
    pub fn clock(&self) -> Clock<'a> {
        self.clock
    }

    /// The command's seeded RNG.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }

    /// The command's request id (idempotency key), if the scenario gives one.
    pub fn request_id(&self) -> Option<&'a str> {
        self.request_id
    }

    /// The retry policy the scenario asks for (the simulator checks attempt
    /// counts and delays against it).
    pub fn policy(&self) -> &'a RetryPolicy {
        self.policy
    }

    /// Splits the context into the store, the clock and the RNG, for
    /// handing to code that borrows them separately.
    pub fn parts(&mut self) -> (&'a S, Clock<'a>, &mut ChaCha8Rng) {
        (self.store, self.clock, self.rng)
    }

    /// A **sometimes** probe: `condition` should hold at least once over a
    /// whole exploration (say, "the second attempt saw the other client's
    /// event"). Under the simulator each evaluation is recorded for this
    /// command and summed in the run's [`Coverage`](crate::explore::Coverage)
    /// under `name` verbatim — hits are the times it held — so a check can
    /// require it and fails, naming it, when it never held
    /// ([`Check::require`](crate::explore::Check::require)). A probe it
    /// evaluated but that never held is listed with 0 hits. Never fails a
    /// run by itself; in production (and in simulated runs no check
    /// collects) it does nothing and allocates nothing.
    ///
    /// Pick names that do not clash with the built-in probes
    /// ([`check::coverage`](crate::check::coverage)).
    ///
    /// ```
    /// use dcb_sim::handler::{Ctx, Handler, Outcome};
    /// use dcb_sim::store::{EventStore, Query, ReadOptions};
    /// struct Counting;
    /// impl Handler<u32> for Counting {
    ///     async fn handle<S: EventStore>(&self, ctx: Ctx<'_, S>, _: &u32) -> Outcome {
    ///         let Ok(seen) = ctx.store().read(&Query::all(), ReadOptions::default()).await else {
    ///             return Outcome::Exhausted { attempts: 1 };
    ///         };
    ///         ctx.sometimes("saw another command's event", !seen.is_empty());
    ///         if seen.len() > 3 {
    ///             ctx.reachable("the log grew past three events");
    ///         }
    ///         Outcome::Succeeded
    ///     }
    /// }
    /// ```
    pub fn sometimes(&self, name: &str, condition: bool) {
        self.hooks.probe(name, condition);
    }

    /// A **reachable** probe: this point of the handler was reached (a
    /// [`sometimes`](Ctx::sometimes) probe whose condition is `true`).
    pub fn reachable(&self, name: &str) {
        self.hooks.probe(name, true);
    }

    /// A read whose result the decision does **not** depend on (a lookup
    /// for display, a read model that is not part of the consistency
    /// boundary). The simulator's DCB-soundness check leaves such reads
    /// out; every other read counts as a dependency of the next append.
    ///
    /// # Errors
    /// As [`EventStore::read`].
    pub async fn read_independent(&self, query: &Query, options: ReadOptions) -> Result<Vec<SequencedEvent>, StoreError> {
        self.hooks.next_read_independent();
        self.store.read(query, options).await
    }
}
