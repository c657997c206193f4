#!/usr/bin/env bash
# The learning core's acceptance figures (docs/BENCHMARKS.md): DemLearn-P and FedAvg on the
# shared Fashion-MNIST split with MLR, 20 rounds; determinism; seeds; 100 rounds; the CNN.
# Needs Debian's package dataset-fashion-mnist. Usage: bench/accuracy_and_speed.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/bench}"
SPLIT=bench/inputs/fmnist-50agents-seed1.json
sim() { ./demlearn simulate --partition-file "$SPLIT" --overwrite "$@" > /dev/null; }

sim --algorithm demlearn-p --amplify 1.15 --rounds 20 --out "$OUT/demlearn-p-amplify"
sim --algorithm demlearn-p --amplify 1.15 --rounds 20 --out "$OUT/demlearn-p-amplify-again"
sim --algorithm demlearn --amplify 1.15 --rounds 20 --out "$OUT/demlearn-amplify"
sim --algorithm demlearn-p --rounds 20 --out "$OUT/demlearn-p"
sim --algorithm fedavg --rounds 20 --out "$OUT/fedavg"
echo "== 20 rounds, metrics at round index 19"
/usr/bin/env python3 bench/summarise.py 19 "$OUT/demlearn-p-amplify" "$OUT/demlearn-amplify" "$OUT/demlearn-p" "$OUT/fedavg"
echo "== determinism"
/usr/bin/env python3 bench/same_metrics.py "$OUT/demlearn-p-amplify/metrics.jsonl" "$OUT/demlearn-p-amplify-again/metrics.jsonl"
echo "== seeds 1..48, DemLearn-P with Amplify, 30 rounds (a round's metrics do not depend on how many follow)"
for s in $(seq 1 48); do sim --algorithm demlearn-p --amplify 1.15 --rounds 30 --seed $s --out "$OUT/seed-$s"; done
/usr/bin/env python3 bench/summarise.py 19 "$OUT"/seed-* | tail -1
echo "   against seeds of the authors' code: bench/reference/compare.py 19 'THEIR_RUNS/seed-*' '$OUT/seed-*'"
echo "== 100 rounds, DemLearn-P with Amplify, round index 99 (seed 1, then seeds 1..8)"
sim --algorithm demlearn-p --amplify 1.15 --rounds 100 --out "$OUT/demlearn-p-amplify-100"
/usr/bin/env python3 bench/summarise.py 99 "$OUT/demlearn-p-amplify-100"
for s in $(seq 1 8); do sim --algorithm demlearn-p --amplify 1.15 --rounds 100 --seed $s --out "$OUT/seed100-$s"; done
/usr/bin/env python3 bench/summarise.py 99 "$OUT"/seed100-* | tail -1
echo "   against seeds of the authors' code: bench/reference/compare.py 99 'THEIR_RUNS/seed-*' '$OUT/seed100-*'"
echo "== CNN, DemLearn-P, 4 rounds"
sim --algorithm demlearn-p --model cnn --rounds 4 --out "$OUT/cnn"
/usr/bin/env python3 bench/summarise.py 3 "$OUT/cnn"
