//! Running cases: [`check`] (every case, each on a fresh store from a
//! factory), [`check_cases`] (a chosen list), [`check_in_madsim`] (blocking,
//! on a fresh madsim runtime), and the panic catching that keeps one
//! failing case from stopping the others.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::report::{CaseFailure, CaseResult, ConformanceReport};
use super::suite::{CASES, Case};
use crate::store::EventStore;

/// Runs every case of [`CASES`], each on a fresh store built by `factory`
/// (called once per case, and must return an **empty** store), and
/// reports which passed and which failed, with the rule each failure broke.
///
/// Every case runs, whatever the others did: a case returns its first
/// failed check as a [`CaseFailure`], and a panic in the store or in
/// `factory` is caught and reported as [`CaseFailure::Panicked`] /
/// [`CaseFailure::FactoryPanicked`] (with `panic = "abort"` a panic ends
/// the process instead). Cases run one after the other, in [`CASES`]
/// order, on the task that awaits this future: it spawns nothing and
/// needs no particular runtime beyond what the store itself needs (a
/// tokio runtime for a store on tokio I/O, a madsim runtime for a store
/// that sleeps on madsim time).
///
/// A store that never completes a call makes the run hang: wrap the call
/// in your runtime's timeout if that can happen.
///
/// ```
/// # madsim::runtime::Runtime::new().block_on(async {
/// let report = dcb_sim::conformance::check(|| async { dcb_sim::store::MemoryStore::new() }).await;
/// assert!(report.all_passed(), "{report}");
/// # });
/// ```
pub async fn check<S, F, Fut>(factory: F) -> ConformanceReport
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    check_cases(CASES, factory).await
}

/// [`check`] for the chosen `cases` only (e.g. one case while you fix
/// it: `check_cases([Case::named("limit").unwrap()], factory)`), in the
/// given order.
pub async fn check_cases<S, F, Fut>(cases: impl IntoIterator<Item = &'static Case>, mut factory: F) -> ConformanceReport
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    let mut results = Vec::new();
    for case in cases {
        let outcome = run_on_fresh_store(case, &mut factory).await;
        results.push(CaseResult { case, outcome });
    }
    ConformanceReport::new(results)
}

/// Builds a store with `factory` (catching a panic) and runs `case` on it.
async fn run_on_fresh_store<S, F, Fut>(case: &Case, factory: &mut F) -> Result<(), CaseFailure>
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    let building = match catch_unwind(AssertUnwindSafe(&mut *factory)) {
        Ok(future) => future,
        Err(payload) => return Err(CaseFailure::FactoryPanicked { message: panic_message(&*payload) }),
    };
    let store = match CatchPanic::new(Box::pin(building)).await {
        Ok(store) => store,
        Err(message) => return Err(CaseFailure::FactoryPanicked { message }),
    };
    case.run(store).await
}

/// [`check`] on a fresh madsim runtime (seed 0, virtual time), blocking
/// until every case ran: for a plain `#[test]` over an in-memory or
/// simulated store in a `--cfg madsim` build (stores that sleep on
/// `madsim::time`, such as [`RuntimeSleeper`](crate::retry::RuntimeSleeper),
/// need this runtime). A store on real I/O needs its own runtime: await
/// [`check`] inside it instead.
///
/// ```
/// dcb_sim::conformance::check_in_madsim(|| async { dcb_sim::store::MemoryStore::new() }).assert_all_passed();
/// ```
///
/// # Panics
/// If called inside another madsim runtime.
#[cfg(madsim)]
pub fn check_in_madsim<S, F, Fut>(factory: F) -> ConformanceReport
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    madsim::runtime::Runtime::new().block_on(check(factory))
}

/// Polls a future, turning a panic during a poll into `Err(message)`.
pub(crate) struct CatchPanic<F> {
    inner: F,
}

impl<F> CatchPanic<F> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: F) -> Self {
        CatchPanic { inner }
    }
}

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.get_mut().inner;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
        }
    }
}

/// The message of a panic payload (`panic!` with a literal or a format).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "(a panic payload that is not a string)".to_string())
}
