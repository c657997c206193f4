#!/usr/bin/env bash
# Aggregation per group and per level (docs/BENCHMARKS.md): `run` against `simulate`, bit for bit,
# with (aggregators, partitions) = (1,1), (2,4), (3,6), each with 1 and 3 workers, and in two tiers
# (levels 1-2 and 3-4 in separate aggregator processes); on the shared Fashion-MNIST split (20
# rounds; needs Debian's dataset-fashion-mnist) and on 1,000 synthetic agents (8 rounds); and the
# seconds per round of each against the simulator's, measured in this one script.
# Usage: bench/aggregation.sh [OUT] [CASE]   (about 25 minutes on 2 cores; CASE: split or
# synthetic-1000 for one of the two)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/aggregation}"
CASE="${2:-}"
SPLIT=bench/inputs/fmnist-50agents-seed1.json
median() { python3 -c "
import json, statistics, sys
rows = [json.loads(l) for l in open('$1/metrics.jsonl')]
print(f\"{statistics.median(r['seconds'] for r in rows[1:]):.3f}\")"; }

cases=("split|--partition-file $SPLIT --rounds 20" "synthetic-1000|--dataset synthetic --agents 1000 --rounds 8")
for c in "${cases[@]}"; do
  name="${c%%|*}"; args="${c#*|}"
  [[ -n "$CASE" && "$CASE" != "$name" ]] && continue
  # shellcheck disable=SC2086
  ./demlearn simulate $args --overwrite --out "$OUT/$name-simulate" > /dev/null
  sim=$(median "$OUT/$name-simulate")
  echo "== $name: simulate median $sim s/round (rounds after the first)"
  for layout in "1 1 1" "1 1 3" "2 4 1" "2 4 3" "3 6 1" "3 6 3" "tiers 4 1"; do
    set -- $layout
    if [[ "$1" == tiers ]]; then
      extra="--aggregator-tiers 1-2,3-4 --process-per-service --partitions $2 --workers $3"
      run="$OUT/$name-run-tiers-p$2-w$3"
    else
      extra="--aggregators $1 --partitions $2 --workers $3"
      run="$OUT/$name-run-a$1-p$2-w$3"
    fi
    # shellcheck disable=SC2086
    ./demlearn run $args $extra --overwrite --out "$run" > "$run.log" 2>&1 || { echo "$run failed:"; tail -5 "$run.log"; exit 1; }
    same=$(python3 bench/same_metrics.py "$OUT/$name-simulate/metrics.jsonl" "$run/metrics.jsonl" || true)
    r=$(median "$run")
    ratio=$(python3 -c "print(f'{$r / $sim:.2f}')")
    echo "   run $extra: median $r s/round, ${ratio}x simulate; $same"
  done
done
