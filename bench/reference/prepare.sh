#!/usr/bin/env bash
# Prepares the authors' code in THEIR_DIR for the side-by-side runs (README.md steps 2-3): drops
# the imports their DemLearn and FedAvg do not use and that are not installed, selects the data set
# in their Setting.py (Amplify on unless AMPLIFY=False, DemLearn-P): fmnist, converting the shared split into their data
# format, or with DATASET=Cifar10 their CIFAR-10 (its data comes from cifar_like.py); AGENTS (50)
# sets their N_clients, which must be the number of users in the data.
# THEIR_DIR: a copy of their repository (git clone, or their files at commit 2125709).
# Usage: [DATASET=fmnist|Cifar10] [AGENTS=N] [AMPLIFY=True|False] bench/reference/prepare.sh THEIR_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$1"
main="$dir/demlearn_main.py"
[ -f "$main" ] && [ -f "$dir/Setting.py" ] || { echo "error: $dir has no demlearn_main.py and Setting.py (their repository?)" >&2; exit 2; }
sed -i -E '/^from comet_ml import|^from FLAlgorithms\.servers\.(serverperavg|serverFedU|serverlocal|serverglobal) import|^from utils\.plot_utils import/d' "$main"
case "${DATASET:-fmnist}" in
  fmnist) index=1 ;;
  Cifar10) index=3 ;;
  *) echo "error: DATASET must be fmnist or Cifar10, got $DATASET" >&2; exit 2 ;;
esac
sed -i -E 's/^DATASET = DATASETS\[[0-9]\]/DATASET = DATASETS['"$index"']/; s/^RUNNING_ALG = RUNNING_ALGS\[[0-9]\]/RUNNING_ALG = RUNNING_ALGS[2]/; s/^Amplify = (True|False)/Amplify = '"${AMPLIFY:-True}"'/; s/^N_clients = [0-9]+/N_clients = '"${AGENTS:-50}"'/' "$dir/Setting.py"
grep -q "^DATASET = DATASETS\[$index\]" "$dir/Setting.py" || { echo "error: no 'DATASET = DATASETS[N]' line in $dir/Setting.py" >&2; exit 2; }
mkdir -p "$dir/results" "$dir/figs"
if [ "${DATASET:-fmnist}" = fmnist ]; then
  mkdir -p "$dir/data/fmnist/data"
  (cd "$here/../.." && /usr/bin/python3 "$here/convert_fmnist.py" "$dir/data/fmnist/data" bench/inputs/fmnist-50agents-seed1.json)
fi
echo "prepared $dir"
