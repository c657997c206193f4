"""The side-by-side scripts' summary: each pair's median seconds per round, theirs (OUT/theirs.txt,
extract.py's lines) and ours (OUT/ours-P/metrics.jsonl), then the median of each over the pairs
and their ratio.
Usage: /usr/bin/python3 pair_medians.py OUT PAIRS"""
import json, re, statistics, sys

out, pairs = sys.argv[1], int(sys.argv[2])
theirs = [float(re.search(r"median ([0-9.]+) s/round", l).group(1)) for l in open(f"{out}/theirs.txt")]
ours = [statistics.median(json.loads(l)["seconds"] for l in open(f"{out}/ours-{p}/metrics.jsonl"))
        for p in range(1, pairs + 1)]
for p, (t, o) in enumerate(zip(theirs, ours), 1):
    print(f"pair {p}: theirs {t:.3f} s/round, ours {o:.3f} s/round: {t / o:.2f}x")
t, o = statistics.median(theirs), statistics.median(ours)
print(f"median over {pairs} pairs: theirs {t:.3f}, ours {o:.3f} s/round: ours {t / o:.2f}x faster")
