//! A runtime-neutral join: drives several futures concurrently on the
//! task that awaits it (no spawn, so it needs no particular runtime and is
//! deterministic under madsim).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A boxed, `Send` future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs `futures` concurrently and yields their outputs in the same order.
///
/// Each poll of the join polls every unfinished future once, in order: all
/// of them start (and run up to their first `.await` that is not ready)
/// before any of them resumes, which is how a check-then-insert adapter
/// lets every append pass the same check.
pub(crate) fn join_all<T>(futures: Vec<BoxFuture<'_, T>>) -> JoinAll<'_, T> {
    JoinAll { slots: futures.into_iter().map(Slot::Running).collect() }
}

/// The future of [`join_all`].
pub(crate) struct JoinAll<'a, T> {
    slots: Vec<Slot<'a, T>>,
}

enum Slot<'a, T> {
    Running(BoxFuture<'a, T>),
    Done(T),
}

/// The futures are boxed and the outputs are never pinned (no structural
/// pinning), so moving a `JoinAll` is fine whatever `T` is.
impl<T> Unpin for JoinAll<'_, T> {}

impl<T> Future for JoinAll<'_, T> {
    type Output = Vec<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = self.get_mut();
        let mut running = false;
        for slot in &mut this.slots {
            if let Slot::Running(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *slot = Slot::Done(output),
                    Poll::Pending => running = true,
                }
            }
        }
        if running {
            return Poll::Pending;
        }
        let outputs = std::mem::take(&mut this.slots)
            .into_iter()
            .filter_map(|slot| match slot {
                Slot::Done(output) => Some(output),
                Slot::Running(_) => None,
            })
            .collect();
        Poll::Ready(outputs)
    }
}
