//! The one source of randomness: [`ChaCha8Rng`] seeded from a run's seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A ChaCha8 generator seeded with `seed`.
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A generator for sub-stream `stream` of `seed` (e.g. one per command), so
/// that each consumer's draws do not depend on how others interleave.
pub fn substream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}
