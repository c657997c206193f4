#!/usr/bin/env bash
# What the hierarchy costs in traffic (the paper's RQ4): DemLearn-P and FedAvg through Kafka on the
# same experiment, each round's bytes by hop from metrics.jsonl ('bytes'), medians over the rounds,
# and the compare page of the two.
# Usage: bench/traffic.sh [OUT] [-- experiment options, default 50 synthetic agents, 20 rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-runs/traffic}")"
shift $(( $# < 1 ? $# : 1 ))
[[ "${1:-}" == "--" ]] && shift
ARGS=("$@")
(( ${#ARGS[@]} )) || ARGS=(--dataset synthetic --agents 50 --rounds 20)
mkdir -p "$OUT"
for algorithm in demlearn-p fedavg; do
  ./demlearn run "${ARGS[@]}" --algorithm "$algorithm" --overwrite --out "$OUT/$algorithm" \
    > "$OUT/$algorithm.log" 2>&1 || { echo "the $algorithm run failed: $OUT/$algorithm.log" >&2; exit 1; }
done
./demlearn compare "$OUT/demlearn-p" "$OUT/fedavg" --out "$OUT/compare.html" > /dev/null
python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def rows(a):
    return [json.loads(l) for l in open(f"{out}/{a}/metrics.jsonl")]
def med(values):
    return statistics.median(values) / 1000
print("| kB per round (median over rounds) | DemLearn-P | FedAvg |")
print("|---|---|---|")
r = {a: rows(a) for a in ("demlearn-p", "fedavg")}
def line(name, f):
    print(f"| {name} | " + " | ".join(f"{med([f(x['bytes']) for x in r[a]]):.1f}" for a in r) + " |")
line("model updates, agents up", lambda b: b["updates"])
line("clustering features, agents up", lambda b: b["features"])
line("hierarchy versions, down", lambda b: b["hierarchy"])
levels = max(len(x["bytes"]["sums"]) for a in r for x in r[a])
for l in range(levels):
    line(f"sums into level {l + 1}", lambda b, l=l: b["sums"][l] if l < len(b["sums"]) else 0)
    line(f"group models of level {l + 1}", lambda b, l=l: b["groupModels"][l] if l < len(b["groupModels"]) else 0)
line("**written, all hops**", lambda b: b["written"])
line("group models on every agent's path", lambda b: b["toAgents"])
for a in r:
    s = statistics.median(x["seconds"] for x in r[a][1:])
    print(f"{a}: median {s:.3f} s/round; last round C-SPE {r[a][-1]['cSpe']:.4f} C-GEN {r[a][-1]['cGen']:.4f}")
PY
echo "page: $OUT/compare.html"
