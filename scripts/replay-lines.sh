#!/usr/bin/env bash
# Proves that the replay lines a failing simulation test prints replay the
# same violation when run verbatim. For each fixture (a test that fails on
# purpose, marked #[ignore]): run it, take every "DCB_SEED=… cargo test …"
# and "DCB_SCENARIO=… cargo test …" line from its report, run each line as
# printed, and require that it fails again with the same invariant.
#
# usage: scripts/replay-lines.sh   (from the repository root; CI runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

# fixture test command | invariant its report must name
fixtures=(
    "cargo test --release -p seats --test sim -- check::fixture_two_reads_bug_fails_the_check --exact --include-ignored|dcb-soundness"
    "cargo test --release -p dcb-sim --test sim -- planted::fixture_enrollment_narrow_condition_fails_the_check --exact --include-ignored|dcb-soundness"
    "cargo test --release -p dcb-sim --test sim -- library_sim::fixture_library_stale_decision_fails_the_check --exact --include-ignored|serializability"
)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
for entry in "${fixtures[@]}"; do
    cmd=${entry%|*}
    invariant=${entry##*|}
    echo "== fixture: $cmd"
    if bash -c "$cmd" >"$out" 2>&1; then
        echo "FAIL: the fixture passed; it must fail on purpose" >&2
        status=1
        continue
    fi
    if ! grep -q "^test result: FAILED. 0 passed; 1 failed" "$out"; then
        echo "FAIL: the fixture did not run and fail (a build error?):" >&2
        tail -40 "$out" >&2
        status=1
        continue
    fi
    mapfile -t lines < <(grep -E '^ +DCB_(SEED|SCENARIO)=[^ ]+ cargo test ' "$out" | sed -E 's/^ +//')
    if [ "${#lines[@]}" -lt 2 ]; then
        echo "FAIL: expected a DCB_SEED and a DCB_SCENARIO replay line, found ${#lines[@]}:" >&2
        tail -40 "$out" >&2
        status=1
        continue
    fi
    for line in "${lines[@]}"; do
        echo "   replay: $line"
        if bash -c "$line" >"$out" 2>&1; then
            echo "FAIL: the replay line passed instead of failing again" >&2
            status=1
        elif ! grep -q "^test result: FAILED. 0 passed; 1 failed" "$out" || ! grep -q "\[$invariant\]" "$out"; then
            echo "FAIL: the replay did not fail exactly one test with [$invariant]:" >&2
            tail -40 "$out" >&2
            status=1
        else
            echo "   ok: fails again with [$invariant]"
        fi
    done
done
exit "$status"
