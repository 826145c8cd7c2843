//! The retry engine for command handlers.
//!
//! A handler's whole read → decide → append cycle is one *attempt*; the
//! engine re-runs it on errors its [`ErrorKind`] says are retryable, sleeping
//! between attempts as the [`RetryPolicy`] says:
//!
//! * before attempt 1: nothing;
//! * before attempt `n ≥ 2`: `base · multiplier^(n-2)`, then [`Jitter`],
//!   then clamped to `max_delay` (the cap is applied **last**, so jitter can
//!   never push a delay above it);
//! * a sleep that would end at or past the `deadline`, or exceed the total
//!   `budget`, is not taken: the engine stops with the last error.
//!
//! The delay math is pure ([`RetryPolicy::delay_before`],
//! [`RetryPolicy::schedule`]) and draws jitter from an injected
//! [`ChaCha8Rng`](rand_chacha::ChaCha8Rng); only [`RetryEngine`] sleeps,
//! through a [`Sleeper`] (madsim's virtual clock under simulation, tokio's
//! clock in a normal build).
//!
//! ```
//! use std::time::Duration;
//! use dcb_sim::retry::{Jitter, RetryPolicy};
//! // The C# enrollment handler: 3 attempts, waits 0, 50 ms, 100 ms.
//! let p = RetryPolicy::builder().max_attempts(3).base_delay(Duration::from_millis(50))
//!     .jitter(Jitter::None).build().unwrap();
//! let mut rng = dcb_sim::rng::seeded(7);
//! let delays: Vec<_> = p.schedule(&mut rng).collect();
//! assert_eq!(delays, [Duration::from_millis(50), Duration::from_millis(100)]);
//! ```

mod backoff;
mod classify;
mod engine;
pub mod metrics;
mod observer;
mod policy;
mod sleeper;

pub use backoff::{DelayBounds, Schedule};
pub use classify::{Classify, ErrorKind};
pub use engine::{RetryEngine, RetryError, RetryReport};
pub use metrics::MetricsObserver;
pub use observer::{NoopObserver, RecordingObserver, RetryEvent, RetryObserver, RetrySummary};
pub use policy::{Jitter, PolicyError, RetryPolicy, RetryPolicyBuilder};
pub use sleeper::{RunClock, RuntimeSleeper, Sleeper};
#[cfg(feature = "tokio")]
pub use sleeper::TokioSleeper;
