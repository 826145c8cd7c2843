//! The imperative shell around a pure decision: read the consistency
//! boundary, decide, append with a condition built from the **same query**
//! and the last position read, and let the [`RetryEngine`](crate::retry::RetryEngine)
//! re-run the whole cycle on a conflict.
//!
//! A domain implements [`Decider`] (a query per command and a pure
//! `decide`); [`CommandHandler`] does the rest and reports every attempt.

mod decider;
mod execute;
mod outcome;
pub mod request;

pub use decider::{Decider, Decision};
pub use execute::CommandHandler;
pub use outcome::{AppendRecord, AttemptRecord, DecisionRecord, HandleReport, Outcome};
