#!/usr/bin/env bash
# The aggregator's live heap with 50 and with 1,000 MLR agents (docs/BENCHMARKS.md): a run with
# every service in a process of its own; every second the aggregator process is garbage-collected
# (jcmd GC.run) and its heap in use read (jcmd GC.heap_info); the figure is the largest reading.
# Usage: bench/aggregator_memory.sh [OUT] [ROUNDS]   (about 5 minutes on 2 cores)
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
    pid=$(pgrep -f 'io.demlearn.aggregator.AggregatorMain' | head -1 || true)
    if [[ -n "$pid" ]] && jcmd "$pid" GC.run > /dev/null 2>&1; then
      used=$( (jcmd "$pid" GC.heap_info 2> /dev/null || true) | sed -n 's/.*total [0-9]*K, used \([0-9]*\)K.*/\1/p' | head -1)
      if [[ -n "$used" ]]; then
        samples=$((samples + 1))
        (( used > peak )) && peak=$used
      fi
    fi
    sleep 1
  done
  wait "$run"
  echo "$agents agents, $ROUNDS rounds: aggregator's live heap at most $((peak / 1024)) MiB ($samples readings)"
done
