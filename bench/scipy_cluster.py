#!/usr/bin/env python3
"""Times scipy's pdist + average linkage on random agent models, the way the reference code
clusters (sklearn's AgglomerativeClustering calls scipy.cluster.hierarchy.linkage). For comparison
with `./demlearn benchmark cluster`; see docs/BENCHMARKS.md. Needs Debian's python3-scipy."""
import argparse
import resource
import statistics
import time

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import pdist

parser = argparse.ArgumentParser()
parser.add_argument("--agents", type=int, default=50)
parser.add_argument("--dim", type=int, default=7850)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

rng = np.random.default_rng(1)
centres = rng.standard_normal((10, args.dim)).astype(np.float32)
x = centres[rng.integers(0, 10, args.agents)] + 0.3 * rng.standard_normal((args.agents, args.dim)).astype(np.float32)
x = x.astype(np.float64)  # as sklearn/scipy work on the models' float64 copies
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
linkage(pdist(x, "euclidean"), method="average")  # warm-up
times = []
for _ in range(args.repeats):
    t0 = time.perf_counter()
    linkage(pdist(x, "euclidean"), method="average")
    times.append((time.perf_counter() - t0) * 1000)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"scipy {args.agents} x {args.dim}: median {statistics.median(times):.2f} ms "
      f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeats} runs); peak RSS {peak // 1024} MB "
      f"({rss_before // 1024} MB before clustering)")
