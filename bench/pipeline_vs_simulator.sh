#!/usr/bin/env bash
# The streaming pipeline against the simulator on the same settings, in one run (docs/BENCHMARKS.md):
# DemLearn-P, MLR, the shared split, 20 rounds, Amplify as in the reference figures.
# Prints each one's median seconds per round, their ratio, and whether the metrics are equal.
# Usage: bench/pipeline_vs_simulator.sh [OUT] [extra run options, e.g. --workers 3]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/bench-pipeline}"; shift || true
COMMON=(--partition-file bench/inputs/fmnist-50agents-seed1.json --rounds 20 --amplify 1.15 --overwrite)
./demlearn simulate "${COMMON[@]}" --out "$OUT/simulate" > /dev/null
./demlearn run "${COMMON[@]}" --out "$OUT/run" --experiment "bench-$(date +%s)" "$@" > /dev/null
/usr/bin/env python3 bench/same_metrics.py "$OUT/run/metrics.jsonl" "$OUT/simulate/metrics.jsonl"
/usr/bin/env python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
med = {}
for name in ("simulate", "run"):
    rows = [json.loads(line) for line in open(f"{out}/{name}/metrics.jsonl")]
    med[name] = statistics.median(r["seconds"] for r in rows)
    print(f"{name}: median {med[name]:.3f} s/round over {len(rows)} rounds")
print(f"ratio run/simulate: {med['run'] / med['simulate']:.2f}")
PY
