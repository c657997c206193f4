#!/usr/bin/env bash
# Prepares the authors' code in THEIR_DIR for the side-by-side runs (README.md steps 2-3): drops
# the imports their DemLearn and FedAvg do not use and that are not installed, selects fmnist in
# their Setting.py (Amplify on, DemLearn), and converts the shared split into their data format.
# THEIR_DIR: a copy of their repository (git clone, or their files at commit 2125709).
# Usage: bench/reference/prepare.sh THEIR_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$1"
main="$dir/demlearn_main.py"
[ -f "$main" ] && [ -f "$dir/Setting.py" ] || { echo "error: $dir has no demlearn_main.py and Setting.py (their repository?)" >&2; exit 2; }
sed -i -E '/^from comet_ml import|^from FLAlgorithms\.servers\.(serverperavg|serverFedU|serverlocal|serverglobal) import|^from utils\.plot_utils import/d' "$main"
sed -i -E 's/^DATASET = DATASETS\[[0-9]\]/DATASET = DATASETS[1]/; s/^RUNNING_ALG = RUNNING_ALGS\[[0-9]\]/RUNNING_ALG = RUNNING_ALGS[2]/; s/^Amplify = (True|False)/Amplify = True/' "$dir/Setting.py"
grep -q '^DATASET = DATASETS\[1\]' "$dir/Setting.py" || { echo "error: no 'DATASET = DATASETS[N]' line in $dir/Setting.py" >&2; exit 2; }
mkdir -p "$dir/data/fmnist/data" "$dir/results" "$dir/figs"
(cd "$here/../.." && /usr/bin/python3 "$here/convert_fmnist.py" "$dir/data/fmnist/data" bench/inputs/fmnist-50agents-seed1.json)
echo "prepared $dir"
