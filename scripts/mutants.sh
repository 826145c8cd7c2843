#!/usr/bin/env bash
# Mutation testing of one directory (issue 11, part 6); see mutants.md.
#
#   scripts/mutants.sh retry            # all mutants of src/retry
#   scripts/mutants.sh store --shard 0/2 # half of them (any cargo-mutants flag)
#
# Reads .cargo/mutants.toml (features, postgres.rs excluded, timeouts) and
# builds and runs only the tests that exercise the directory, in place
# (mutates the working tree while it runs, one mutant at a time; it restores
# each file).
# Output goes to mutants.out/<dir>/ (git-ignored).
set -euo pipefail
dir=${1:?usage: scripts/mutants.sh store|retry|handler|domain|check|sim/sched|explore [cargo-mutants flags]}
shift
# The modules of the `sim` test binary (sim-tests/<module>.rs) that exercise
# the directory.
case "$dir" in
  store)   modules=(store_conformance) ;;
  retry)   modules=(retry_policy csharp_scenarios) ;;
  handler) modules=(csharp_scenarios library_domain faults) ;;
  domain)  modules=(library_domain enrollment_sim library_sim) ;;
  # issue 21: the checkers, schedulers, shrinker, Check / Catch and the
  # replay and regression files (src/sim before issue 24's split)
  check)   modules=(planted reexecution open_runner faults retry_policy coverage hotkey) ;;
  sim/sched) modules=(schedulers open_runner planted determinism) ;;
  explore) modules=(schedulers open_runner planted determinism regressions coverage) ;;
  *) echo "unknown directory: $dir" >&2; exit 2 ;;
esac
# Two test binaries, as --cargo-arg so that the build phase (`cargo test
# --no-run`) builds only them: the library's unit tests and `sim`. The test
# filters after `-- --` reach both binaries: `tests::` selects every unit
# test of the library (each lives in a `tests` or `*_tests` module; no
# module of `sim` is named so), `<module>::` the modules above in `sim`.
filters=(tests::)
for m in "${modules[@]}"; do filters+=("$m::"); done
# The `sim` binary is compiled with only those modules (and `support`):
# sim-tests/main.rs is cut down for the run and restored when it ends. A
# mutant of generic code is monomorphised in `sim`, so with all ~30
# modules every such mutant re-compiled it for 150-220 s; with the
# selection, 10-20 s. (Another reason not to edit the tree during a run.)
main=sim-tests/main.rs
cp "$main" "$main.full"
trap 'mv "$main.full" "$main"' EXIT
awk -v keep="support ${modules[*]}" '
  # the header, and the `mod` lines (with a `#[cfg(..)]` line just above) of `keep`
  BEGIN { n = split(keep, k, " "); for (i = 1; i <= n; i++) K[k[i]] = 1 }
  /^#\[cfg\(/ { pending = $0; next }
  /^mod [a-z_0-9]+;/ {
    name = $2; sub(/;$/, "", name)
    if (name in K) { if (pending != "") print pending; print }
    pending = ""; next
  }
  { if (pending != "") { print pending; pending = "" } print }
' "$main.full" > "$main"
mkdir -p "mutants.out/$dir"
# The files mutated: the whole directory, except for `explore`, where issue
# 21's scope is the shrinker, `Check` / `Catch`, the replay and regression
# files (the rest of src/explore is not part of old src/sim's checkers).
files=(-f "src/$dir/**")
if [ "$dir" = explore ]; then
  files=()
  for f in shrink catch gate test_target regression determinism report; do files+=(-f "src/explore/$f.rs"); done
fi
cargo mutants --in-place "${files[@]}" --cargo-arg=--lib --cargo-arg=--test=sim -o "mutants.out/$dir" "$@" -- -- "${filters[@]}"
