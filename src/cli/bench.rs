//! `dcb-sim bench`: placeholder replaced below.

use clap::Args;

/// `bench` flags.
#[derive(Debug, Args)]
pub struct BenchArgs {}

/// Runs `bench`.
pub fn run(_: &BenchArgs) -> i32 {
    0
}
