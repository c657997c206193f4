#!/usr/bin/env bash
# `simulate` and `run` at 1,000, 3,000 and 10,000 agents (docs/BENCHMARKS.md, "10,000 agents"):
# synthetic data, and Fashion-MNIST where its split can be dealt (at most 3,150 agents); metrics
# every 5 rounds, C-SPE/C-GEN on a seeded sample of 1,000 agents above 1,000. Per case: median and
# mean s/round over the rounds after the first, the simulator's phases (train, cluster, aggregate,
# evaluate), and the peak resident memory of every process the command starts. Writes OUT/scale.md
# and OUT/scale.svg (median s/round against agents, log-log).
# Usage: bench/scale.sh [OUT] [ROUNDS] [SIZES] [DATASETS]
#   defaults: runs/scale 11 "1000 3000 10000" "synthetic fashion-mnist"  (about 15 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/scale.py "${1:-runs/scale}" "${2:-11}" "${3:-1000 3000 10000}" \
  "${4:-synthetic fashion-mnist}"
