#!/usr/bin/env python3
"""Exit 0 if two metrics.jsonl files are equal in every field but the timings ('seconds',
'timings') and the traffic ('bytes': a run's records; none in a simulation), bit for bit (the JSON text of each value); else print the first difference, exit 1.
Usage: bench/same_metrics.py A/metrics.jsonl B/metrics.jsonl"""
import json
import sys

a = [json.loads(line) for line in open(sys.argv[1])]
b = [json.loads(line) for line in open(sys.argv[2])]
if len(a) != len(b):
    sys.exit(print(f"{len(a)} rounds vs {len(b)} rounds") or 1)
for ra, rb in zip(a, b):
    for key in sorted(set(ra) | set(rb)):
        if key in ("seconds", "timings", "bytes"):
            continue
        if json.dumps(ra.get(key)) != json.dumps(rb.get(key)):
            sys.exit(print(f"round {ra['round']}: {key} differs: {ra.get(key)} vs {rb.get(key)}") or 1)
print(f"identical: {len(a)} rounds, every field but the timings and traffic")
