#!/usr/bin/env bash
# What measuring costs: `run` of this checkout (the metrics collector reads every round's records
# back for the traffic in metrics.jsonl; the services count their meters) against `run` of an
# earlier revision without them (default f9337e1, the last commit before issue 14), the same
# experiment, one right after the other, PAIRS times; each run's median s/round over the rounds
# after the first; the metrics of both checked equal (seconds, timings and bytes aside).
# Usage: bench/observability_cost.sh [OUT] [PAIRS] [BASE_REV] [-- experiment options, default 50
# synthetic agents, 30 rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-runs/observability-cost}")"
PAIRS="${2:-3}"
BASE="${3:-f9337e1}"
shift $(( $# < 3 ? $# : 3 ))
[[ "${1:-}" == "--" ]] && shift
ARGS=("$@")
(( ${#ARGS[@]} )) || ARGS=(--dataset synthetic --agents 50 --rounds 30)
mkdir -p "$OUT"
base_dir="$OUT/base-$BASE"
if [[ ! -d "$base_dir" ]]; then
  git worktree add --detach "$base_dir" "$BASE" >/dev/null
fi
echo "building $BASE in $base_dir ..." >&2
(cd "$base_dir" && mvn -B -q -o -DskipTests package -pl runner -am > "$OUT/base-build.log" 2>&1) \
  || (cd "$base_dir" && mvn -B -q -DskipTests package -pl runner -am > "$OUT/base-build.log" 2>&1)
median() { python3 bench/median_seconds.py "$1"; }
ratios=()
for i in $(seq 1 "$PAIRS"); do
  "$base_dir/demlearn" run "${ARGS[@]}" --overwrite --out "$OUT/base-$i" > "$OUT/base-$i.log" 2>&1
  ./demlearn run "${ARGS[@]}" --overwrite --out "$OUT/now-$i" > "$OUT/now-$i.log" 2>&1
  b=$(median "$OUT/base-$i"); n=$(median "$OUT/now-$i")
  same=$(python3 bench/same_metrics.py "$OUT/base-$i/metrics.jsonl" "$OUT/now-$i/metrics.jsonl" || true)
  r=$(python3 -c "print(f'{$n/$b:.3f}')")
  ratios+=("$r")
  echo "pair $i: $BASE $b s/round, now $n s/round, ratio $r; metrics: $same"
done
echo "median ratio now/$BASE: $(python3 -c "import statistics; print(f'{statistics.median([${ratios[*]/%/,}]):.3f}')")"
