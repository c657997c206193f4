#!/usr/bin/env python3
"""Compares many seeds of the authors' code with many seeds of ours, round by round.

Usage: compare.py ROUND THEIR_RUN_GLOB OUR_RUN_GLOB [CSPE,CGEN,GLOBAL]
  THEIR_RUN_GLOB: run folders of their code (results/*.h5), e.g. 'their-runs/seed-*'
  OUR_RUN_GLOB:   folders of `demlearn simulate` (metrics.jsonl), e.g. 'runs/bench/seed-*'
Prints, for C-SPE, C-GEN and Global: at ROUND the mean, sd, median, min and max of each side and how
many runs are within 0.03 of the reference figures (default: the reference figures, DemLearn-P 20
rounds, 0.914,0.634,0.690; for 100 rounds give 0.960,0.668,0.756); the
per-round means of both sides with their difference in standard errors; and means over windows of
ten rounds. Needs h5py and numpy (Debian's python3-h5py, python3-numpy)."""
import glob
import json
import sys

import h5py
import numpy as np

METRICS = ("C-SPE", "C-GEN", "Global")
REFERENCE = (0.914, 0.634, 0.690)


def theirs(pattern):
    runs = []
    for run in sorted(glob.glob(pattern)):
        files = glob.glob(f"{run}/results/*.h5")
        if files:
            d = h5py.File(files[0], "r")
            runs.append(np.array([d["cs_avg_data_test"], d["cg_avg_data_test"], d["root_test"]]))
    return runs


def ours(pattern):
    runs = []
    for run in sorted(glob.glob(pattern)):
        rows = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
        runs.append(np.array([[r["cSpe"] for r in rows], [r["cGen"] for r in rows],
                              [np.nan if r["global"] is None else r["global"] for r in rows]]))
    return runs


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    at = int(sys.argv[1])
    reference = REFERENCE if len(sys.argv) == 4 else tuple(float(x) for x in sys.argv[4].split(","))
    if len(reference) != 3:
        sys.exit(f"error: reference figures must be three numbers, C-SPE,C-GEN,Global: {sys.argv[4]}")
    t, o = theirs(sys.argv[2]), ours(sys.argv[3])
    if not t or not o:
        sys.exit(f"error: no runs found ({len(t)} of theirs for {sys.argv[2]}, {len(o)} of ours for {sys.argv[3]})")
    rounds = min(min(r.shape[1] for r in t), min(r.shape[1] for r in o))
    if at >= rounds:
        sys.exit(f"error: round {at} asked, but the shortest run has {rounds} rounds")
    t = np.array([r[:, :rounds] for r in t])
    o = np.array([r[:, :rounds] for r in o])
    print(f"theirs: {len(t)} runs, ours: {len(o)} runs, rounds 0-{rounds - 1}")
    for k, name in enumerate(METRICS):
        print(f"\n{name} at round {at} (reference {reference[k]:.3f}):")
        for side, runs in (("theirs", t), ("ours", o)):
            v = runs[:, k, at]
            within = int(np.sum(np.abs(v - reference[k]) <= 0.03 + 1e-9))
            print(f"  {side:6s} mean {v.mean():.3f}  sd {v.std(ddof=1):.3f}  median {np.median(v):.3f}  "
                  f"min {v.min():.3f}  max {v.max():.3f}  within 0.03 of the reference: {within} of {len(v)}")
        tm, om = t[:, k, 1:].mean(0), o[:, k, 1:].mean(0)
        se = np.sqrt(t[:, k, 1:].var(0, ddof=1) / len(t) + o[:, k, 1:].var(0, ddof=1) / len(o))
        print("  round          " + " ".join(f"{r:6d}" for r in range(1, rounds)))
        print("  theirs, mean   " + " ".join(f"{x:6.3f}" for x in tm))
        print("  ours, mean     " + " ".join(f"{x:6.3f}" for x in om))
        print("  difference/se  " + " ".join(f"{x:+6.1f}" for x in (om - tm) / se))
        for start in range(0, rounds - 9, 10):
            w = slice(max(start, 1), start + 10)
            print(f"  rounds {w.start}-{w.stop - 1} mean: theirs {t[:, k, w].mean():.4f}, ours {o[:, k, w].mean():.4f}")
    both = [np.all([np.abs(runs[:, k, at] - reference[k]) <= 0.03 + 1e-9 for k in range(3)], axis=0) for runs in (t, o)]
    print(f"\nall three within 0.03 at round {at}: theirs {int(both[0].sum())} of {len(t)}, ours {int(both[1].sum())} of {len(o)}")


main()
