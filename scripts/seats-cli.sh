#!/usr/bin/env bash
# The seats-sim example end to end (seats/tests/cli.rs): builds the example
# once, then runs the `cli::` tests of the seats test binary against it
# (they are #[ignore]d in a plain `cargo test`, which does not give them the
# binary: `SEATS_SIM` names it). Fails when a test fails or none ran.
#
# It runs from the workspace root without `-p`, so dcb-sim's features
# resolve as in `cargo test --release` and nothing rebuilds after it
# (`-p seats` would resolve them for seats alone and rebuild dcb-sim).
#
# usage: scripts/seats-cli.sh   (from anywhere in the repository; CI runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --example seats-sim
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target/release/examples/seats-sim"
[ -x "$bin" ] || { echo "FAIL: $bin is missing after the build" >&2; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
SEATS_SIM="$bin" cargo test --release --test sim -- --ignored cli:: 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo "FAIL: the seats-sim tests exited with $status" >&2
    exit "$status"
fi
passed=$(grep -c '^test cli::.* \.\.\. ok$' "$out" || true)
if [ "$passed" -eq 0 ]; then
    echo "FAIL: no cli:: test ran" >&2
    exit 1
fi
echo "seats-sim example: $passed tests passed"
