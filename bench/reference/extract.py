#!/usr/bin/env python3
"""Per-round C-SPE, C-GEN, Global and seconds of runs of the authors' code.
Usage: extract.py RUN_DIR [RUN_DIR ...]   (each RUN_DIR holds results/*.h5 and stdout_ts.log,
the run's output timestamped by tsline.py); writes results_summary.json in the working directory."""
import glob
import json
import sys

import h5py
import numpy as np


def seconds_per_round(log, fedavg):
    marks, end = [], None
    for line in open(log):
        t, _, msg = line.partition("\t")
        t = float(t)
        start = "-------------Round number:" if fedavg else "============= Test Client Models - Specialization"
        if msg.startswith(start):
            marks.append(t)
        if msg.startswith("Successfully save to file!"):
            end = t
    marks.append(end)
    return np.diff(marks)


out = {}
for run in sys.argv[1:]:
    h5 = glob.glob(f"{run}/results/*.h5")[0]
    d = h5py.File(h5, "r")
    cs, cg, root = (np.array(d[k]) for k in ("cs_avg_data_test", "cg_avg_data_test", "root_test"))
    dt = seconds_per_round(f"{run}/stdout_ts.log", "FedAvg" in h5)
    out[run] = dict(cs=cs.tolist(), cg=cg.tolist(), root=root.tolist(), sec=dt.tolist())
    r = min(19, len(cs) - 1)  # round 19, or the last of a shorter run
    print(f"{run}: round {r}: C-SPE {cs[r]:.3f}  C-GEN {cg[r]:.3f}  Global {root[r]:.3f}  "
          f"median {np.median(dt):.3f} s/round (each: {' '.join(f'{x:.1f}' for x in dt)}); rounds {max(0, r - 9)}-{r} "
          f"mean: C-SPE {cs[max(0, r - 9):r + 1].mean():.4f}  C-GEN {cg[max(0, r - 9):r + 1].mean():.4f}  "
          f"Global {root[max(0, r - 9):r + 1].mean():.4f}")
json.dump(out, open("results_summary.json", "w"), indent=1)
