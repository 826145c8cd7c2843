#!/usr/bin/env bash
# Store reuse on the SQLite file engine (issue 22, part 7): schedules/s of
# `dcb-sim explore --realtime --store sqlite` with a new file per run and
# with one file reset between runs (`--reuse`), RUNS whole-process runs each
# (alternating), medians. Numbers go into BENCHMARKS.md.
#
# usage: scripts/bench-realtime-reuse.sh [RUNS] [SEEDS] [WORKLOAD ARGS...]
#   default: 5 runs of 200 seeds of `--workload hotkey --clients 8`
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
seeds=${2:-200}
shift 2 2>/dev/null || shift $#
workload=("$@")
[ ${#workload[@]} -gt 0 ] || workload=(--workload hotkey --clients 8)

[ -x target/release/dcb-sim ] || cargo build --release --quiet --bin dcb-sim
bin=target/release/dcb-sim
rate() { "$bin" explore --realtime --store sqlite --seeds "$seeds" --json "${workload[@]}" "$@" 2>/dev/null | sed -n 's/.*"schedules_per_sec": \([0-9.]*\).*/\1/p'; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

fresh=() reused=()
for _ in $(seq "$runs"); do
    fresh+=("$(rate)")
    reused+=("$(rate --reuse)")
done
f=$(printf '%s\n' "${fresh[@]}" | median)
r=$(printf '%s\n' "${reused[@]}" | median)
echo "workload: ${workload[*]} · $seeds seeds per run · $runs runs each"
echo "a new file per run:   ${fresh[*]} schedules/s → median $f"
echo "one file, reset:      ${reused[*]} schedules/s → median $r"
awk -v f="$f" -v r="$r" 'BEGIN { printf "speedup (medians):    %.2fx\n", r / f }'
