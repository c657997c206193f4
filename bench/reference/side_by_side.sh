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
/usr/bin/python3 - "$out" "$pairs" <<'PY'
import json, re, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
theirs = [float(re.search(r"median ([0-9.]+) s/round", l).group(1)) for l in open(f"{out}/theirs.txt")]
ours = [statistics.median(json.loads(l)["seconds"] for l in open(f"{out}/ours-{p}/metrics.jsonl"))
        for p in range(1, pairs + 1)]
for p, (t, o) in enumerate(zip(theirs, ours), 1):
    print(f"pair {p}: theirs {t:.3f} s/round, ours {o:.3f} s/round: {t / o:.1f}x")
t, o = statistics.median(theirs), statistics.median(ours)
print(f"median over {pairs} pairs: theirs {t:.3f}, ours {o:.3f} s/round: ours {t / o:.1f}x faster")
PY
