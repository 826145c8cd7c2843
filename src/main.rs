//! The `dcb-sim` command line: explore schedules, replay one. A thin entry
//! over the library's `dcb_sim::cli` with the built-in workloads; your own
//! crate gets the same command line for its workloads from `dcb_sim::cli::main`.
//!
//! Exit codes: 0 all invariants held; 1 a safety invariant was violated;
//! 2 usage error (bad flag or input); 3 liveness violation; 4 harness error;
//! 5 nondeterminism (`check-determinism` found a seed whose two runs differ).

#[cfg(not(madsim))]
fn main() {
    eprintln!("dcb-sim was built without `--cfg madsim`, so it cannot simulate.");
    eprintln!("Build it from the repository root (its .cargo/config.toml sets the flag), or keep `--cfg madsim` in RUSTFLAGS.");
    std::process::exit(2);
}

/// Simulation allocates many small, short-lived objects; mimalloc runs them
/// markedly faster than the system allocator (see `dcb-sim bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(madsim)]
fn main() {
    std::process::exit(dcb_sim::cli::main(dcb_sim::cli::Registry::builtin()));
}
