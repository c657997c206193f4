#!/usr/bin/env bash
# The Compose deployment (three brokers, replication 3, min ISR 2, the services in containers)
# against `run --process-per-service` on the local single broker, in seconds per round, on a
# shared, noisy machine (docs/BENCHMARKS.md): PAIRS times, the same experiment both ways, one
# right after the other; each run's median s/round over the rounds after the first; every
# result's metrics checked equal to `simulate`'s. Needs a Docker engine, docker-compose and the
# images (README, "Deploy with Docker Compose").
# Usage: bench/deployment.sh [OUT] [PAIRS] [WORKERS] [-- experiment options, default 50 synthetic
# agents, 20 rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-runs/deployment}")"
PAIRS="${2:-3}"
WORKERS="${3:-2}"
shift $(( $# < 3 ? $# : 3 ))
[[ "${1:-}" == "--" ]] && shift
ARGS=("$@")
(( ${#ARGS[@]} )) || ARGS=(--dataset synthetic --agents 50 --rounds 20)
mkdir -p "$OUT"
median() { python3 bench/median_seconds.py "$1"; }
./demlearn simulate "${ARGS[@]}" --overwrite --out "$OUT/simulate" > "$OUT/simulate.log" 2>&1
composes=(); locals=()
for i in $(seq 1 "$PAIRS"); do
  id="bench-deploy-$(date +%s)-$i"
  project="benchdeploy$i"
  export EXPERIMENT="$id" EXPERIMENT_OPTIONS="${ARGS[*]}" RUNS_DIR="$OUT/compose"
  start=$(date +%s)
  docker-compose -p "$project" -f docker/compose.yaml up -d --scale worker="$WORKERS" > "$OUT/compose-$i.log" 2>&1
  code=$(docker wait "$(docker-compose -p "$project" -f docker/compose.yaml ps -q experiment)")
  docker-compose -p "$project" -f docker/compose.yaml logs --no-color experiment >> "$OUT/compose-$i.log" 2>&1
  docker-compose -p "$project" -f docker/compose.yaml down -v >> "$OUT/compose-$i.log" 2>&1
  [[ "$code" == 0 ]] || { echo "the compose experiment failed (exit $code): $OUT/compose-$i.log" >&2; exit 1; }
  wall=$(( $(date +%s) - start ))
  ./demlearn run "${ARGS[@]}" --process-per-service --workers "$WORKERS" --overwrite \
    --out "$OUT/local-$i" > "$OUT/local-$i.log" 2>&1
  c=$(median "$OUT/compose/$id"); l=$(median "$OUT/local-$i")
  same_c=$(python3 bench/same_metrics.py "$OUT/simulate/metrics.jsonl" "$OUT/compose/$id/metrics.jsonl" || true)
  same_l=$(python3 bench/same_metrics.py "$OUT/simulate/metrics.jsonl" "$OUT/local-$i/metrics.jsonl" || true)
  composes+=("$c"); locals+=("$l")
  echo "pair $i: compose $c s/round (${wall} s from up to down), local $l s/round, ratio $(python3 -c "print(f'{$c / $l:.2f}')"); compose: $same_c; local: $same_l"
done
C=$(IFS=,; echo "${composes[*]}"); L=$(IFS=,; echo "${locals[*]}")
python3 -c "
import statistics
c = statistics.median([$C]); l = statistics.median([$L])
print(f'median over $PAIRS pairs: compose {c:.3f} s/round, local {l:.3f} s/round: compose/local {c / l:.2f}')"
