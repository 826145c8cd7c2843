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
    // Exit quietly when stdout is closed early (`dcb-sim explore | head`)
    // instead of panicking on the broken pipe.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    std::process::exit(dcb_sim::cli::main(dcb_sim::cli::Registry::builtin()));
}
