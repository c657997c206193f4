#!/usr/bin/env bash
# Runs the authors' code (prepared as in README.md steps 1-3, or by prepare.sh) once per torch seed,
# ROUNDS (20) rounds of MODEL (mclr; or cnn) on DATASET (fmnist; or Cifar10), DemLearn-P with
# Amplify as prepare.sh set it, on the data prepared in THEIR_DIR/data/DATASET, each run in its own
# copy of their folder.
# Usage: run_seeds.sh THEIR_DIR OUT SEED [SEED ...]
#   THEIR_DIR: their repository with README.md's changes and the converted data in data/DATASET
#   OUT: where the runs go (OUT/seed-N/results/*.h5, OUT/seed-N/stdout_ts.log)
# Then: /usr/bin/python3 extract.py OUT/seed-*
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$1"; out="$2"; shift 2
[ -f "$src/demlearn_main.py" ] || { echo "error: $src/demlearn_main.py not found (their repository?)" >&2; exit 2; }
dataset="${DATASET:-fmnist}"
[ -d "$src/data/$dataset" ] || { echo "error: $src/data/$dataset not found (README.md step 3)" >&2; exit 2; }
for s in "$@"; do
  run="$out/seed-$s"
  rm -rf "$run"; mkdir -p "$run"
  (cd "$src" && tar --exclude=results --exclude=figs --exclude=__pycache__ -cf - .) | tar -xf - -C "$run"
  mkdir -p "$run/results" "$run/figs"
  sed -i "s/^torch.manual_seed([0-9]*)/torch.manual_seed($s)/" "$run/demlearn_main.py"
  grep -q "^torch.manual_seed($s)" "$run/demlearn_main.py" || { echo "error: no torch.manual_seed line in $run/demlearn_main.py" >&2; exit 2; }
  echo "seed $s: $run" >&2
  (cd "$run" && MPLBACKEND=Agg /usr/bin/python3 -u demlearn_main.py --dataset "$dataset" --model "${MODEL:-mclr}" \
     --algorithm DemLearn --learning_rate 0.05 --batch_size 10 --local_epochs 2 --num_global_iters "${ROUNDS:-20}" \
     --subusers 1 --alpha_factor 0.7 --times 1 --gpu -1 2> stderr.log | /usr/bin/python3 "$here/tsline.py" > stdout_ts.log)
done
