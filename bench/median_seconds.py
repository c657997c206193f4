#!/usr/bin/env python3
"""Prints a run folder's median seconds per round over the rounds after the first (the first
includes starting up), to three places.
Usage: bench/median_seconds.py RUN_DIR"""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(f"{sys.argv[1]}/metrics.jsonl")]
print(f"{statistics.median(r['seconds'] for r in rows[1:]):.3f}")
