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
    print(f"{run}: round 19: C-SPE {cs[19]:.3f}  C-GEN {cg[19]:.3f}  Global {root[19]:.3f}  "
          f"median {np.median(dt):.3f} s/round; rounds 10-19 mean: C-SPE {cs[10:20].mean():.4f}  "
          f"C-GEN {cg[10:20].mean():.4f}  Global {root[10:20].mean():.4f}")
json.dump(out, open("results_summary.json", "w"), indent=1)
