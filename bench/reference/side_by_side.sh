#!/usr/bin/env bash
# Ours against the authors' code on this machine, in turns (docs/BENCHMARKS.md): the 20-round
# DemLearn-P run with Amplify on the shared split, PAIRS times theirs (torch seed 0) then ours
# (seed 1); each run's median seconds per round, then the median of each over the pairs and their
# ratio. THEIR_DIR: their code prepared by prepare.sh.
# Usage: bench/reference/side_by_side.sh THEIR_DIR [OUT] [PAIRS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
their="$(cd "$1" && pwd)"
out="${2:-runs/side-by-side}"
pairs="${3:-3}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here/../.."
for p in $(seq 1 "$pairs"); do
  "$here/run_seeds.sh" "$their" "$out/theirs-$p" 0 2> /dev/null
  ./demlearn simulate --partition-file bench/inputs/fmnist-50agents-seed1.json --amplify 1.15 \
    --rounds 20 --overwrite --out "$out/ours-$p" > /dev/null
done
(cd "$out" && /usr/bin/python3 "$here/extract.py" "$out"/theirs-*/seed-0 > theirs.txt)
/usr/bin/python3 "$here/pair_medians.py" "$out" "$pairs"
