#!/usr/bin/env bash
# `run` against `simulate` in seconds per round, on a shared, noisy machine (docs/BENCHMARKS.md):
# PAIRS times, `simulate` then `run` with the same options, one right after the other; each run's
# median s/round over the rounds after the first; the ratio of the medians of each over the pairs,
# and each pair's own ratio. Every run's metrics are checked equal to its simulation's.
# Usage: bench/run_vs_simulate.sh [OUT] [PAIRS] [-- options for both, default 1,000 synthetic
# agents, 8 rounds]   (about 2.5 minutes per pair on 2 cores with the default options)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/run-vs-simulate}"
PAIRS="${2:-3}"
shift $(( $# < 2 ? $# : 2 ))
[[ "${1:-}" == "--" ]] && shift
ARGS=("$@")
(( ${#ARGS[@]} )) || ARGS=(--dataset synthetic --agents 1000 --rounds 8)
mkdir -p "$OUT"
median() { python3 -c "
import json, statistics
rows = [json.loads(l) for l in open('$1/metrics.jsonl')]
print(f\"{statistics.median(r['seconds'] for r in rows[1:]):.3f}\")"; }
sims=(); runs=()
for i in $(seq 1 "$PAIRS"); do
  ./demlearn simulate "${ARGS[@]}" --overwrite --out "$OUT/simulate-$i" > "$OUT/simulate-$i.log" 2>&1
  ./demlearn run "${ARGS[@]}" --overwrite --out "$OUT/run-$i" > "$OUT/run-$i.log" 2>&1
  s=$(median "$OUT/simulate-$i"); r=$(median "$OUT/run-$i")
  same=$(python3 bench/same_metrics.py "$OUT/simulate-$i/metrics.jsonl" "$OUT/run-$i/metrics.jsonl" || true)
  sims+=("$s"); runs+=("$r")
  echo "pair $i: simulate $s s/round, run $r s/round, ratio $(python3 -c "print(f'{$r / $s:.2f}')"); $same"
done
S=$(IFS=,; echo "${sims[*]}"); R=$(IFS=,; echo "${runs[*]}")
python3 -c "
import statistics
s = statistics.median([$S]); r = statistics.median([$R])
print(f'median over $PAIRS pairs: simulate {s:.3f} s/round, run {r:.3f} s/round: run/simulate {r / s:.2f}')"
