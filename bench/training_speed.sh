#!/usr/bin/env bash
# Local training and evaluation speed of this checkout against an earlier commit (docs/BENCHMARKS.md):
# `simulate` on the shared Fashion-MNIST split (needs Debian's dataset-fashion-mnist) with MLR (20
# rounds) and MLP (10 rounds) (MODELS="mlr mlp cnn" adds the CNN, 3 rounds), both commits run in
# turns, PAIRS times; per run the median over the
# rounds after the first of each phase's seconds (metrics.jsonl's timings), then the median of each
# over the pairs and the earlier commit's time over this one's.
# Usage: bench/training_speed.sh [OUT] [REV] [PAIRS]   (REV is built in a temporary worktree)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/training-speed}"
REV="${2:-HEAD~1}"
PAIRS="${3:-3}"
SPLIT=bench/inputs/fmnist-50agents-seed1.json
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
OLD="$(mktemp -d)/old"
trap 'git worktree remove --force "$OLD" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$OLD" "$REV"
echo "building $REV in $OLD ..."
(cd "$OLD" && ./demlearn --version > /dev/null)
for p in $(seq 1 "$PAIRS"); do
  for model in ${MODELS:-mlr mlp}; do
    rounds=20; [[ $model == mlp ]] && rounds=10; [[ $model == cnn ]] && rounds=3
    for side in old new; do
      dir=.; [[ $side == old ]] && dir="$OLD"
      (cd "$dir" && ./demlearn simulate --partition-file "$OLD/$SPLIT" --model $model --rounds $rounds \
        --overwrite --out "$OUT/$model-$side-$p" > /dev/null)
    done
  done
done
MODELS="${MODELS:-mlr mlp}" python3 - "$OUT" "$PAIRS" "$REV" <<'PY'
import json, os, statistics, sys
out, pairs, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def phases(d):
    rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl")][1:]
    keys = ["seconds"] + list(rows[0]["timings"])
    return {k: statistics.median(r["seconds"] if k == "seconds" else r["timings"][k] for r in rows) for k in keys}
for model in os.environ["MODELS"].split():
    print(f"== {model}: median over {pairs} pairs, seconds per round ({rev} / this checkout)")
    old = [phases(f"{out}/{model}-old-{p}") for p in range(1, pairs + 1)]
    new = [phases(f"{out}/{model}-new-{p}") for p in range(1, pairs + 1)]
    for k in old[0]:
        o = statistics.median(x[k] for x in old); n = statistics.median(x[k] for x in new)
        print(f"   {k:10s} {o:8.4f} {n:8.4f}   {o / n:5.1f}x")
PY
