#!/usr/bin/env bash
# Bounded soak (docs/BENCHMARKS.md): the MLR experiment on the shared split for 200 rounds, every
# service in a process of its own, against a background stack. At rounds 25, 50, ..., 175 and
# ROUNDS-5 (the processes end with the last round) it
# forces a full GC in each service process and records its heap in use after it, its resident
# memory, and the size of the aggregator's local state directory. Prints one row per sample and
# writes them to OUT/soak.tsv. Usage: bench/soak.sh [OUT] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/bench-soak}"
ROUNDS="${2:-200}"
ID="soak-$(date +%s)"
STACK="$OUT/stack"
rm -rf "$OUT/run" "$STACK"   # a fresh stack and output, so that the samples are this run's
mkdir -p "$OUT"

./demlearn stack start --dir "$STACK" --kafka-port 0 --registry-port 0 > "$OUT/stack.txt"
trap './demlearn stack stop --dir "$STACK" > /dev/null; ./demlearn stack status --dir "$STACK" > /dev/null || true' EXIT
BOOTSTRAP=$(awk '/bootstrap servers:/ {print $3}' "$OUT/stack.txt")
REGISTRY=$(awk '/schema registry URL:/ {print $4}' "$OUT/stack.txt")

./demlearn run --partition-file bench/inputs/fmnist-50agents-seed1.json --rounds "$ROUNDS" \
  --experiment "$ID" --out "$OUT/run" --overwrite --process-per-service --stall-timeout 600 \
  --bootstrap-servers "$BOOTSTRAP" --schema-registry-url "$REGISTRY" > "$OUT/run.txt" 2>&1 &
RUN=$!

rounds_done() { cat "$OUT/run/metrics.jsonl.partial" "$OUT/run/metrics.jsonl" 2>/dev/null | wc -l; }
heap_used_kb() { # heap in use after a full GC, KB
  jcmd "$1" GC.run > /dev/null 2>&1 || { echo "-"; return; }
  jcmd "$1" GC.heap_info 2>/dev/null | awk '/total/ && /used/ {for (i = 1; i <= NF; i++) if ($i == "used") {print $(i+1); exit}}' | tr -d 'K'
}
pid_of() { pgrep -f "$1.*--experiment $ID" | head -1 || true; }

printf "round\tservice\theap_used_after_gc_kb\trss_kb\n" > "$OUT/soak.tsv"
next=25
last=$((ROUNDS - 5))
while kill -0 "$RUN" 2>/dev/null && [ "$next" -le "$last" ]; do
  if [ "$(rounds_done)" -ge "$next" ]; then
    for svc in AggregatorMain ClustererMain AgentWorkerMain "demlearn.jar run"; do
      pid=$(pid_of "$svc")
      [ -n "$pid" ] || continue
      printf "%s\t%s\t%s\t%s\n" "$next" "${svc%% *}" "$(heap_used_kb "$pid")" "$(ps -o rss= -p "$pid" | tr -d ' ' || true)" >> "$OUT/soak.tsv"
    done
    state_kb=$(du -sk .demlearn/state/"$ID"-* 2>/dev/null | awk '{s += $1} END {print s + 0}')
    printf "%s\t%s\t%s\t%s\n" "$next" "aggregator-state-dir" "$state_kb" "-" >> "$OUT/soak.tsv"
    next=$((next + 25))
    if [ "$next" -gt "$last" ] && [ "$next" -lt "$((last + 25))" ]; then next=$last; fi
  fi
  sleep 0.5
done
wait "$RUN"
column -t "$OUT/soak.tsv"
/usr/bin/env python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(f"{sys.argv[1]}/run/metrics.jsonl")]
print(f"{len(rows)} rounds, median {statistics.median(r['seconds'] for r in rows):.3f} s/round")
PY
