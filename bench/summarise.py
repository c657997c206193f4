#!/usr/bin/env python3
"""Prints one line per run folder: the metrics at a round, their mean over the ten rounds up to it,
and the median seconds per round; then the mean of those lines over all folders.
Usage: bench/summarise.py ROUND DIR [DIR ...]"""
import json
import statistics
import sys

round_index = int(sys.argv[1])
keys = ("cSpe", "cGen", "global")
at, window = [], []
for folder in sys.argv[2:]:
    rows = [json.loads(line) for line in open(f"{folder}/metrics.jsonl")]
    row = next(r for r in rows if r["round"] == round_index)
    first = max(0, round_index - 9)
    last10 = [r for r in rows if first <= r["round"] <= round_index]
    means = {k: statistics.mean(r[k] for r in last10 if r[k] is not None) for k in keys}
    at.append(row)
    window.append(means)
    glob = "-" if row["global"] is None else f"{row['global']:.3f}"
    print(f"{folder}: round {round_index}: C-SPE {row['cSpe']:.3f}  C-GEN {row['cGen']:.3f}  Global {glob}  "
          f"median {statistics.median(r['seconds'] for r in rows):.3f} s/round; rounds {first}-{round_index} "
          f"mean: C-SPE {means['cSpe']:.4f}  C-GEN {means['cGen']:.4f}  Global {means['global']:.4f}")
if len(at) > 1:
    print(f"mean of {len(at)} runs: round {round_index}: " + "  ".join(
        f"{k} {statistics.mean(r[k] for r in at):.4f}" for k in keys) + f"; rounds {max(0, round_index - 9)}-{round_index}: "
        + "  ".join(f"{k} {statistics.mean(m[k] for m in window):.4f}" for k in keys))
