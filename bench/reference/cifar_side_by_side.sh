#!/usr/bin/env bash
# The CIFAR-10 CNN, ours against the authors' code on this machine, in turns (docs/BENCHMARKS.md):
# DemLearn-P without Amplify (with it, their run's models turn to NaN in round 3 here), ROUNDS rounds, on generated data of CIFAR-10's shape (cifar_like.py:
# the real data set cannot be downloaded here), the same agents' samples on both sides. PAIRS times
# theirs (torch seed 0) then ours (seed 1); each run's median seconds per round, then the median of
# each over the pairs and their ratio.
# THEIR_DIR: a copy of their repository (git clone, or their files at commit 2125709); it is
# prepared here (DATASET=Cifar10 prepare.sh) and gets the generated data in data/Cifar10/data.
# Usage: bench/reference/cifar_side_by_side.sh THEIR_DIR [OUT] [PAIRS] [ROUNDS] [AGENTS] [PER_CLASS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
their="$(cd "$1" && pwd)"
out="${2:-runs/cifar-side-by-side}"
pairs="${3:-3}"
rounds="${4:-4}"
agents="${5:-20}"
per_class="${6:-1200}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here/../.."
# the generated data, made again unless both sides have it for these parameters
params="agents=$agents per_class=$per_class seed=1"
if [ "$(cat "$out/params" 2> /dev/null)" != "$params" ] || [ ! -f "$out/split.json" ] \
    || [ ! -f "$their/data/Cifar10/data/train/cifar_train.json" ]; then
  /usr/bin/python3 "$here/cifar_like.py" "$out" "$their/data/Cifar10/data" "$agents" "$per_class" 1
  echo "$params" > "$out/params"
fi
DATASET=Cifar10 AGENTS="$agents" AMPLIFY=False "$here/prepare.sh" "$their" > /dev/null
for p in $(seq 1 "$pairs"); do
  DATASET=Cifar10 MODEL=cnn ROUNDS="$rounds" "$here/run_seeds.sh" "$their" "$out/theirs-$p" 0 2> /dev/null
  ./demlearn simulate --dataset cifar10 --data-dir "$out/bins" --partition-file "$out/split.json" \
    --model cnn --rounds "$rounds" --overwrite --out "$out/ours-$p" > /dev/null
done
(cd "$out" && /usr/bin/python3 "$here/extract.py" "$out"/theirs-*/seed-0 > theirs.txt)
/usr/bin/python3 "$here/pair_medians.py" "$out" "$pairs"
