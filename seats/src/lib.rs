//! # seats
//!
//! Seat reservations for events, written as a separate team would write
//! them against dcb-sim's public API only: an imperative command handler
//! with its own retry loop ([`SeatsHandler`]), an own store adapter
//! ([`SeatsStore`]), and — under `--cfg madsim` — a simulator workload
//! ([`SeatsWorkload`]) with the domain's invariants.
//!
//! Known bugs are kept as variants ([`HandlerVariant`], [`AdapterVariant`])
//! so the tests can show that the simulator catches each of them.
//!
//! | module | concept |
//! |---|---|
//! | [`commands`] | what customers ask |
//! | [`events`] | the facts and their DCB events |
//! | [`state`] | folding facts into who holds what |
//! | [`decide`] | the business rules |
//! | [`boundary`] | each command's consistency boundary as DCB queries |
//! | [`handler`] | read → decide → append → retry, and its bug variants |
//! | [`adapter`] | the store adapter, and its bug variant |
//! | `generate`, `workload`, `check` | the simulator workload (madsim builds) |

pub mod adapter;
pub mod boundary;
#[cfg(madsim)]
pub mod check;
pub mod commands;
pub mod decide;
pub mod events;
#[cfg(madsim)]
pub mod generate;
pub mod handler;
pub mod state;
#[cfg(madsim)]
pub mod workload;

pub use adapter::{AdapterVariant, SeatsStore};
pub use commands::SeatCommand;
pub use handler::{HandlerVariant, SeatsHandler};
#[cfg(madsim)]
pub use workload::SeatsWorkload;
