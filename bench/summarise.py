#!/usr/bin/env python3
"""Prints one line per run folder: the metrics at a round and the median seconds per round.
Usage: bench/summarise.py ROUND DIR [DIR ...]"""
import json
import statistics
import sys

round_index = int(sys.argv[1])
for folder in sys.argv[2:]:
    rows = [json.loads(line) for line in open(f"{folder}/metrics.jsonl")]
    row = next(r for r in rows if r["round"] == round_index)
    glob = "-" if row["global"] is None else f"{row['global']:.3f}"
    median = statistics.median(r["seconds"] for r in rows)
    print(f"{folder}: round {round_index}: C-SPE {row['cSpe']:.3f}  C-GEN {row['cGen']:.3f}  Global {glob}  "
          f"median {median:.3f} s/round over {len(rows)} rounds")
