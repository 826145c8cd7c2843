//! The `dcb-sim` command line: explore schedules, replay one.
//!
//! Exit codes: 0 all invariants held; 1 a safety invariant was violated;
//! 2 usage error (bad flag or input); 3 liveness violation; 4 harness error.

#[cfg(not(madsim))]
fn main() {
    eprintln!("dcb-sim was built without `--cfg madsim`, so it cannot simulate.");
    eprintln!("Build it from the repository root (its .cargo/config.toml sets the flag), or keep `--cfg madsim` in RUSTFLAGS.");
    std::process::exit(2);
}

#[cfg(madsim)]
mod cli;

#[cfg(madsim)]
fn main() {
    std::process::exit(cli::main());
}
