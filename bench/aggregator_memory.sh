#!/usr/bin/env bash
# The aggregator's live heap with 50 and with 1,000 MLR agents (docs/BENCHMARKS.md): a run with
# every service in a process of its own; several times a second the aggregator process's live
# objects are counted (jcmd GC.class_histogram: a full GC, then the bytes of every object still
# reachable); the figure is the largest count. The class histogram at that peak is kept in OUT.
# Usage: bench/aggregator_memory.sh [OUT] [ROUNDS]   (about 4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/aggregator-memory}"
ROUNDS="${2:-4}"
mkdir -p "$OUT"
for agents in 50 1000; do
  ./demlearn run --dataset synthetic --agents "$agents" --rounds "$ROUNDS" --process-per-service \
    --overwrite --out "$OUT/run-$agents" > "$OUT/run-$agents.log" 2>&1 &
  run=$!
  peak=0
  samples=0
  while kill -0 "$run" 2> /dev/null; do
    pid=$(jcmd -l 2> /dev/null | awk '/AggregatorMain/ {print $1; exit}')
    if [[ -n "$pid" ]] && jcmd "$pid" GC.class_histogram > "$OUT/histogram.txt" 2> /dev/null; then
      live=$(awk '/^Total/ {print $3}' "$OUT/histogram.txt")
      if [[ -n "$live" ]]; then
        samples=$((samples + 1))
        if (( live > peak )); then
          peak=$live
          cp "$OUT/histogram.txt" "$OUT/peak-histogram-$agents.txt"
        fi
      fi
    fi
    sleep 0.2
  done
  wait "$run"
  echo "$agents agents, $ROUNDS rounds: aggregator's live heap at most $((peak / 1048576)) MiB ($samples readings)"
done
