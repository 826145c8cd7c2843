//! The seats crate's tests: one integration-test binary, `sim`, with one
//! module per file of `tests/` (one binary links dcb-sim and seats once,
//! so a change rebuilds one test binary, not nine).
//!
//! Run them with `cargo test --release -p seats --test sim`, one file's
//! with its module path as the filter, e.g. `cargo test --release -p seats
//! --test sim -- bugs::`. The modules share this process and run in
//! parallel threads: none may change process-wide state (environment
//! variables, the current directory, the replay program).

#[cfg(not(madsim))]
compile_error!("the seats simulation tests need --cfg madsim (set in the workspace's .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

mod common;

mod bugs;
mod check;
mod cli;
mod conformance;
mod correct;
mod determinism;
mod measure;
mod schedulers;
mod tools;
