//! The imperative shell around a pure decision: read the consistency
//! boundary, decide, append with a condition built from the **same query**
//! and the last position read, and let the [`RetryEngine`](crate::retry::RetryEngine)
//! re-run the whole cycle on a conflict.
//!
//! A domain implements [`Decider`] (a query per command and a pure
//! `decide`); [`CommandHandler`] does the rest and reports every attempt.
//!
//! The simulator runs any [`Handler`]: imperative async code that gets a
//! [`Ctx`] (store, clock, seeded RNG, request id, policy) and returns an
//! [`Outcome`]; [`DeciderHandler`] is the shell as one such handler.

mod context;
mod decider;
mod execute;
mod outcome;
pub mod request;
mod shell;
mod traits;

#[cfg(test)]
mod mutant_tests;

pub use context::{CallHooks, Clock, Ctx, NoHooks};
pub use decider::{Decider, Decision};
pub use execute::CommandHandler;
pub use shell::DeciderHandler;
pub use traits::Handler;
pub use outcome::{AppendRecord, AttemptRecord, DecisionRecord, HandleReport, Outcome};
