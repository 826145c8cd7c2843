#!/usr/bin/env bash
# Proves the set-up recipe a user crate follows (README, "Set up your crate"):
# plain `cargo build` / `cargo test` stay production builds (no madsim), and
# `cargo simtest` runs the simulation tests with `--cfg madsim` in a target
# directory of their own (no rebuild of everything when switching).
#
# It copies seats/ out of this workspace into a temporary directory, points
# its dcb-sim dependency at this checkout, adds exactly the README's
# .cargo/config.toml, and checks both sides.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$repo/seats" "$work/seats"
cd "$work/seats"
sed -i "s|path = \"..\"|path = \"$repo\"|g" Cargo.toml
printf '\n# standalone, as in a user repository\n[workspace]\n' >> Cargo.toml
cp "$repo/Cargo.lock" Cargo.lock
export CARGO_TARGET_DIR="$work/seats/target"

mkdir -p .cargo
# --- the recipe (keep in sync with README.md) ---
cat > .cargo/config.toml <<'EOF'
[alias]
# Simulation tests: madsim's virtual time and scheduler, in their own target dir.
simtest = ["test", "--config", "build.rustflags=['--cfg','madsim']", "--config", "build.rustdocflags=['--cfg','madsim']", "--target-dir", "target/madsim"]
# Your registry binary (explore / replay / tune over your workloads): `cargo sim-run --release --example <name> -- explore`.
sim-run = ["run", "--config", "build.rustflags=['--cfg','madsim']", "--config", "build.rustdocflags=['--cfg','madsim']", "--target-dir", "target/madsim"]
EOF
# ---

echo "== production build (no madsim): the library compiles"
cargo build --release --quiet
echo "== a plain 'cargo test' of a simulation test refuses to run without madsim"
if cargo test --release --quiet --test sim >"$work/plain.log" 2>&1; then
    echo "FAIL: the simulation test ran without --cfg madsim" >&2
    exit 1
fi
grep -q "need --cfg madsim\|needs --cfg madsim" "$work/plain.log" || { echo "FAIL: not the madsim guard:" >&2; tail -20 "$work/plain.log" >&2; exit 1; }
echo "== cargo simtest: the simulation tests run"
unset CARGO_TARGET_DIR
cargo simtest --release 2>&1 | tee "$work/sim.log" | grep -E "^test result|Running" || true
if grep -q "FAILED\|error\[" "$work/sim.log" || ! grep -q "^test result: ok" "$work/sim.log"; then
    echo "FAIL: cargo simtest" >&2
    tail -40 "$work/sim.log" >&2
    exit 1
fi
echo "== the seats-sim example that cargo simtest built runs its end-to-end tests (cli::, ignored without SEATS_SIM)"
export SEATS_SIM="$work/seats/target/madsim/release/examples/seats-sim"
[ -x "$SEATS_SIM" ] || { echo "FAIL: cargo simtest did not build $SEATS_SIM" >&2; exit 1; }
cargo simtest --release --test sim -- --ignored cli:: >"$work/cli.log" 2>&1 || { echo "FAIL: the seats-sim tests:" >&2; tail -40 "$work/cli.log" >&2; exit 1; }
grep -q '^test cli::.* \.\.\. ok$' "$work/cli.log" || { echo "FAIL: no cli:: test ran:" >&2; tail -40 "$work/cli.log" >&2; exit 1; }
unset SEATS_SIM
# replays <log> <expected text in every line>: each DCB_SEED / DCB_SCENARIO
# line the failing test printed runs verbatim and fails again with [dcb-soundness].
replays() {
    mapfile -t lines < <(grep -E '^ +DCB_(SEED|SCENARIO)=[^ ]+ cargo test ' "$1" | sed -E 's/^ +//')
    [ "${#lines[@]}" -ge 2 ] || { echo "FAIL: no replay lines:" >&2; tail -40 "$1" >&2; exit 1; }
    for line in "${lines[@]}"; do
        echo "   replay: $line"
        case "$line" in *"$2"*) ;; *) echo "FAIL: the line lacks '$2'" >&2; exit 1 ;; esac
        if bash -c "$line" >"$work/replay.log" 2>&1; then
            echo "FAIL: the replay line passed instead of failing again" >&2
            exit 1
        fi
        if ! grep -q "^test result: FAILED. 0 passed; 1 failed" "$work/replay.log" || ! grep -q "\[dcb-soundness\]" "$work/replay.log"; then
            echo "FAIL: the replay did not fail the test with [dcb-soundness]:" >&2
            tail -40 "$work/replay.log" >&2
            exit 1
        fi
        echo "   ok: fails again with [dcb-soundness]"
    done
}
echo "== a failing simulation test's printed replay lines run verbatim (without the alias)"
if cargo simtest --release --test sim -- check::fixture_two_reads_bug_fails_the_check --exact --include-ignored >"$work/fixture.log" 2>&1; then
    echo "FAIL: the fixture passed; it must fail on purpose" >&2
    exit 1
fi
replays "$work/fixture.log" "--test sim -- check::fixture_two_reads_bug_fails_the_check --exact"
echo "== a fixture that exists only with a cargo feature: its replay lines carry --features (or they would select no test)"
if cargo simtest --release --features planted-bug --test sim -- check::fixture_feature_gated_bug_fails_the_check --exact --include-ignored >"$work/feature.log" 2>&1; then
    echo "FAIL: the feature-gated fixture passed; it must fail on purpose" >&2
    exit 1
fi
grep -q "^test check::fixture_feature_gated_bug_fails_the_check \.\.\. FAILED" "$work/feature.log" || { echo "FAIL: the feature-gated fixture did not run:" >&2; tail -40 "$work/feature.log" >&2; exit 1; }
replays "$work/feature.log" "--features planted-bug"
echo "== cargo sim-run: the registry example runs under madsim from the alias"
cargo sim-run --release --example seats-sim -- explore --workload seats --seeds 200 >"$work/run.log" 2>&1 || { echo "FAIL: cargo sim-run:" >&2; tail -40 "$work/run.log" >&2; exit 1; }
grep -Eq "schedules +200 " "$work/run.log" || { echo "FAIL: no summary of 200 schedules:" >&2; tail -40 "$work/run.log" >&2; exit 1; }
echo "user-crate recipe OK"
