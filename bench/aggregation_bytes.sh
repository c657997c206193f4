#!/usr/bin/env bash
# Bytes the aggregator writes to its own topics (partial sums per level, control, tallies) and to
# its state stores' changelogs, against the bytes of the updates it reads (docs/BENCHMARKS.md).
# Runs on a background stack of its own (a temporary DEMLEARN_HOME) and sums the broker's log
# files per topic after each run. Usage: bench/aggregation_bytes.sh [OUT]   (about 5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/aggregation-bytes}"
mkdir -p "$OUT"
export DEMLEARN_HOME
DEMLEARN_HOME=$(mktemp -d)
trap './demlearn stack stop --delete-data > /dev/null 2>&1 || true; rm -rf "$DEMLEARN_HOME"' EXIT
./demlearn stack start --kafka-port 0 --registry-port 0 > /dev/null
cases=("split-50|20|--partition-file bench/inputs/fmnist-50agents-seed1.json --rounds 20"
       "synthetic-1000|3|--dataset synthetic --agents 1000 --rounds 3"
       "synthetic-1000-a2-p4|3|--dataset synthetic --agents 1000 --rounds 3 --aggregators 2 --partitions 4")
for c in "${cases[@]}"; do
  IFS='|' read -r name rounds args <<< "$c"
  id="bytes-$name-$$"
  # shellcheck disable=SC2086
  ./demlearn run $args --experiment "$id" --overwrite --out "$OUT/$name" > "$OUT/$name.log" 2>&1
  python3 - "$DEMLEARN_HOME/stack/kafka/logs" "$id" "$rounds" "$name" <<'PY'
import os, sys, collections
logs, exp, rounds, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
size = collections.Counter()
for d in os.listdir(logs):
    if exp not in d:
        continue
    topic = d.rsplit("-", 1)[0]
    total = sum(os.path.getsize(os.path.join(logs, d, f)) for f in os.listdir(os.path.join(logs, d)) if f.endswith(".log"))
    if topic.endswith("-changelog"):
        kind = "changelogs"
    elif ".aggregation-level-" in topic or topic.endswith(".aggregation-control") or topic.endswith(".round-tallies"):
        kind = "aggregator topics"
    else:
        kind = topic.rsplit(".", 1)[1]
    size[kind] += total
mb = lambda b: f"{b / rounds / 1e6:.2f} MB"
inp = size["model-updates"]
print(f"{name}: per round: updates in {mb(inp)}; the aggregator's topics {mb(size['aggregator topics'])}"
      f" ({size['aggregator topics'] / inp:.2f} of the input); changelogs {mb(size['changelogs'])}"
      f" ({size['changelogs'] / inp:.2f}); both {(size['aggregator topics'] + size['changelogs']) / inp:.2f};"
      f" group models {mb(size['group-models'])}")
PY
done
