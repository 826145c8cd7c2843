//! `seats-sim`: dcb-sim's command line — `explore`, `replay`,
//! `check-determinism`, `tune`, `merge` — over the seats workload and, as
//! negative controls, its known bugs:
//!
//! ```sh
//! cargo run --release -p seats --example seats-sim -- explore --seeds 10000
//! cargo run --release -p seats --example seats-sim -- explore --workload seats-two-reads --seeds 2000
//! ```
//!
//! Every failure report prints the `seats-sim replay …` command that
//! replays it. `--clients N` runs exactly N clients per scenario; `--faults`
//! is not used (the seats generator draws no faults of its own).

#[cfg(not(madsim))]
compile_error!("seats-sim needs --cfg madsim (set in .cargo/config.toml; an env RUSTFLAGS replaces it: keep --cfg madsim in it)");

use dcb_sim::cli::{Knobs, Registry};
use seats::{AdapterVariant, HandlerVariant, SeatsWorkload};

/// `w` with the command line's knobs applied.
fn seats(w: SeatsWorkload, knobs: &Knobs) -> SeatsWorkload {
    match knobs.clients {
        Some(n) => SeatsWorkload { clients_min: n, clients_max: n, ..w },
        None => w,
    }
}

fn main() {
    std::process::exit(dcb_sim::cli::main(
        Registry::new()
            .add("seats", "seat reservations: the correct handler over the correct adapter", |k| seats(SeatsWorkload::default(), k))
            .add("seats-narrow-condition", "bug: the append condition covers the seats, not the customer", |k| {
                seats(SeatsWorkload::with_handler(HandlerVariant::NarrowCondition), k)
            })
            .add("seats-stale-retry", "bug: a retry reuses the first attempt's read", |k| seats(SeatsWorkload::with_handler(HandlerVariant::StaleRetry), k))
            .add("seats-two-reads", "bug: two reads, one condition after the larger position", |k| {
                seats(SeatsWorkload::with_handler(HandlerVariant::TwoReadsMaxAfter), k)
            })
            .add("seats-stale-decision", "bug: a retry re-reads, then appends its first attempt's decision", |k| {
                seats(SeatsWorkload::with_handler(HandlerVariant::StaleDecision), k)
            })
            .add("seats-check-then-insert", "bug: the adapter checks the condition, then inserts, not atomically", |k| {
                seats(SeatsWorkload::with_adapter(AdapterVariant::CheckThenInsert), k)
            }),
    ))
}
