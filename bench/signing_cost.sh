#!/usr/bin/env bash
# What signing costs a run: `./demlearn run --sign` (every update, features record and hierarchy
# version signed; the aggregator, the clusterer, the workers and the metrics collector verify)
# against the same run unsigned, one right after the other, PAIRS times; each run's median
# s/round over the rounds after the first; the metrics of each pair checked equal.
# Usage: bench/signing_cost.sh [OUT] [PAIRS] [-- experiment options, default 50 synthetic agents,
# 20 rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-runs/signing-cost}")"
PAIRS="${2:-3}"
shift $(( $# < 2 ? $# : 2 ))
[[ "${1:-}" == "--" ]] && shift
ARGS=("$@")
(( ${#ARGS[@]} )) || ARGS=(--dataset synthetic --agents 50 --rounds 20)
mkdir -p "$OUT"
median() { python3 bench/median_seconds.py "$1"; }
ratios=()
for i in $(seq 1 "$PAIRS"); do
  ./demlearn run "${ARGS[@]}" --overwrite --out "$OUT/plain-$i" > "$OUT/plain-$i.log" 2>&1
  ./demlearn run "${ARGS[@]}" --sign --key-dir "$OUT/keys" --overwrite --out "$OUT/signed-$i" \
    > "$OUT/signed-$i.log" 2>&1
  p=$(median "$OUT/plain-$i"); s=$(median "$OUT/signed-$i")
  same=$(python3 bench/same_metrics.py "$OUT/plain-$i/metrics.jsonl" "$OUT/signed-$i/metrics.jsonl" || true)
  r=$(python3 -c "print(f'{$s/$p:.3f}')")
  ratios+=("$r")
  echo "pair $i: plain $p s/round, signed $s s/round, ratio $r; metrics: $same"
done
echo "median ratio signed/plain: $(python3 -c "import statistics; print(f'{statistics.median([${ratios[*]/%/,}]):.3f}')")"
