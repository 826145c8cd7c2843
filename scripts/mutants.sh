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
dir=${1:?usage: scripts/mutants.sh store|retry|handler|domain [cargo-mutants flags]}
shift
case "$dir" in
  store)   tests=(--lib --test=store_conformance) ;;
  retry)   tests=(--lib --test=retry_policy --test=csharp_scenarios) ;;
  handler) tests=(--lib --test=csharp_scenarios --test=library_domain --test=faults) ;;
  domain)  tests=(--lib --test=library_domain --test=enrollment_sim --test=library_sim) ;;
  *) echo "unknown directory: $dir" >&2; exit 2 ;;
esac
args=()
for t in "${tests[@]}"; do args+=(--cargo-arg="$t"); done
mkdir -p "mutants.out/$dir"
exec cargo mutants --in-place -f "src/$dir/**" "${args[@]}" -o "mutants.out/$dir" "$@"
